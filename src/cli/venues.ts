import type { Clock } from '../engine/clock.ts';
import type { Logger } from '../engine/logger.ts';
import type { VenueConnection } from '../engine/venue.ts';
import type { SharedRateLimit } from '../venues/ccxt/shared-rate-limit.ts';
import { UsageError } from './exit-codes.ts';

export interface VenueChoice {
  /** `lighter`, or a ccxt exchange id such as `binanceusdm` (optionally `ccxt:<id>`) */
  readonly venue: string;
  /** A custom base URL: the local emulators, or a venue's own */
  readonly url?: string | undefined;
  readonly testnet?: boolean | undefined;
  /** A JSON config file with the venue's settings and keys */
  readonly config?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Other names the command takes for --venue, for the refusal of an unknown one */
  readonly otherNames?: readonly string[];
  /**
   * A Redis URL: the API key's rate limit is shared there with every process using the key
   * (ccxt venues); without it each process spaces its own requests
   */
  readonly redis?: string | undefined;
}

function isLoopback(url: string | undefined): boolean {
  return (
    url !== undefined && /^(https?|wss?):\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(url)
  );
}

/**
 * Opens a live venue by name, loading only that venue's code (ccxt, or Lighter's signer). Keys
 * come from the environment or the config file (never the command line); against a local
 * emulator URL with no keys configured, the emulator's well-known local keys are used, so
 * rehearsing needs no setup.
 * @throws UsageError for an unknown venue; KestrelError INVALID_CONFIG for bad settings
 */
export async function openVenue(choice: VenueChoice): Promise<VenueConnection> {
  const name = choice.venue.startsWith('ccxt:') ? choice.venue.slice(5) : choice.venue;
  const local = isLoopback(choice.url);
  if (name === 'lighter') {
    if (choice.redis !== undefined)
      throw new UsageError(
        '--redis shares the rate limits of ccxt venues; on Lighter each process signs with its own API key index',
      );
    const [{ loadLighterConfig }, { createLighterVenue }] = await Promise.all([
      import('../venues/lighter/config.ts'),
      import('../venues/lighter/venue.ts'),
    ]);
    const configured =
      choice.env['LIGHTER_ACCOUNT_INDEX'] !== undefined || choice.config !== undefined;
    // The emulator's well-known keys, loaded only when they are used
    const emulator =
      local && !configured ? await import('../emulators/lighter/emulator.ts') : undefined;
    const config = loadLighterConfig({
      ...(choice.testnet === true ? { network: 'testnet' as const } : {}),
      ...(choice.url === undefined ? {} : { url: choice.url }),
      ...(choice.config === undefined ? {} : { configFile: choice.config }),
      ...(emulator !== undefined ? emulatorKeys(emulator, choice.env) : {}),
      env: choice.env,
    });
    return createLighterVenue(config, { clock: choice.clock, logger: choice.logger });
  }
  const refuse = () =>
    new UsageError(
      `--venue must be ${[...(choice.otherNames ?? []), 'lighter'].join(', ')} or a ccxt exchange id such as binanceusdm or bybit, got ${JSON.stringify(choice.venue)}`,
    );
  if (!/^[a-z0-9]+$/.test(name)) throw refuse();
  const [{ default: ccxt }, { loadCcxtConfig }, { createCcxtVenue }, emulator] = await Promise.all([
    import('ccxt'),
    import('../venues/ccxt/config.ts'),
    import('../venues/ccxt/venue.ts'),
    import('../emulators/credentials.ts'),
  ]);
  if (!ccxt.exchanges.includes(name)) throw refuse();
  if (!(name in ccxt.pro))
    throw new UsageError(
      `--venue ${name}: ccxt has no WebSocket (ccxt.pro) support for it, which a live venue needs`,
    );
  const upper = name.toUpperCase();
  const configured =
    choice.env[`${upper}_API_KEY`] !== undefined ||
    choice.env['KESTREL_CCXT_API_KEY'] !== undefined ||
    choice.config !== undefined;
  const config = loadCcxtConfig({
    exchange: name,
    ...(choice.testnet === true ? { testnet: true } : {}),
    ...(choice.url === undefined ? {} : { url: choice.url }),
    ...(choice.config === undefined ? {} : { file: choice.config }),
    ...(local && !configured && (name === 'binanceusdm' || name === 'bybit')
      ? { apiKey: emulator.DEFAULT_API_KEY, secret: emulator.DEFAULT_API_SECRET }
      : {}),
    env: choice.env,
  });
  // Last: a server that does not answer refuses the run before anything is opened
  const rateLimit = choice.redis === undefined ? undefined : await sharedRateLimit(choice);
  try {
    return createCcxtVenue(config, { clock: choice.clock, logger: choice.logger, rateLimit });
  } catch (error) {
    await rateLimit?.close();
    throw error;
  }
}

/**
 * The local Lighter emulator's account, chain and keys: the API key indexes of
 * LIGHTER_API_KEY_INDEX (3 when unset; a list signs with several), each with its well-known
 * local private key unless LIGHTER_API_PRIVATE_KEY gives the keys
 */
function emulatorKeys(
  emulator: typeof import('../emulators/lighter/emulator.ts'),
  env: Readonly<Record<string, string | undefined>>,
) {
  const listed = env['LIGHTER_API_KEY_INDEX'];
  const indexes =
    listed === undefined || listed.trim() === ''
      ? [emulator.LIGHTER_EMULATOR_API_KEY_INDEX]
      : listed.split(',').map((part) => Number(part));
  const known = indexes.every((index) => Number.isInteger(index) && index >= 0 && index <= 254);
  return {
    accountIndex: emulator.LIGHTER_EMULATOR_ACCOUNT_INDEX,
    chainId: emulator.LIGHTER_EMULATOR_CHAIN_ID,
    // Malformed indexes are left to the config, which names them
    ...(known ? { apiKeyIndex: indexes } : {}),
    ...(known && (env['LIGHTER_API_PRIVATE_KEY'] ?? '') === ''
      ? { privateKey: indexes.map((index) => emulator.lighterEmulatorKey(index).privateKey) }
      : {}),
  };
}

/**
 * The rate limit shared on Redis, once the server answered.
 * @throws KestrelError NETWORK naming the server (password hidden) when it cannot be reached
 */
async function sharedRateLimit(choice: VenueChoice): Promise<SharedRateLimit> {
  const [{ connectRedis }, { RedisRateLimit }] = await Promise.all([
    import('../runtime/redis.ts'),
    import('../venues/ccxt/shared-rate-limit.ts'),
  ]);
  const redis = await connectRedis(choice.redis ?? '', 'rate-limit', 'redis', {
    offlineQueue: false,
  });
  return new RedisRateLimit(redis, choice.clock);
}
