import { DEFAULT_API_KEY, DEFAULT_API_SECRET } from '../emulators/credentials.ts';
import {
  LIGHTER_EMULATOR_ACCOUNT_INDEX,
  LIGHTER_EMULATOR_API_KEY_INDEX,
  LIGHTER_EMULATOR_CHAIN_ID,
  LIGHTER_EMULATOR_PRIVATE_KEY,
} from '../emulators/lighter/emulator.ts';
import type { Clock } from '../engine/clock.ts';
import type { Logger } from '../engine/logger.ts';
import type { VenueConnection } from '../engine/venue.ts';
import { loadCcxtConfig } from '../venues/ccxt/config.ts';
import { createCcxtVenue } from '../venues/ccxt/venue.ts';
import { loadLighterConfig } from '../venues/lighter/config.ts';
import { createLighterVenue } from '../venues/lighter/venue.ts';
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
}

function isLoopback(url: string | undefined): boolean {
  return (
    url !== undefined && /^(https?|wss?):\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(url)
  );
}

/**
 * Opens a live venue by name. Keys come from the environment or the config file (never the
 * command line); against a local emulator URL with no keys configured, the emulator's
 * well-known local keys are used, so rehearsing needs no setup.
 * @throws UsageError for an unknown venue; KestrelError INVALID_CONFIG for bad settings
 */
export function openVenue(choice: VenueChoice): VenueConnection {
  const name = choice.venue.startsWith('ccxt:') ? choice.venue.slice(5) : choice.venue;
  const local = isLoopback(choice.url);
  if (name === 'lighter') {
    const configured =
      choice.env['LIGHTER_ACCOUNT_INDEX'] !== undefined || choice.config !== undefined;
    const config = loadLighterConfig({
      ...(choice.testnet === true ? { network: 'testnet' as const } : {}),
      ...(choice.url === undefined ? {} : { url: choice.url }),
      ...(choice.config === undefined ? {} : { configFile: choice.config }),
      ...(local && !configured
        ? {
            accountIndex: LIGHTER_EMULATOR_ACCOUNT_INDEX,
            apiKeyIndex: LIGHTER_EMULATOR_API_KEY_INDEX,
            chainId: LIGHTER_EMULATOR_CHAIN_ID,
            privateKey: LIGHTER_EMULATOR_PRIVATE_KEY,
          }
        : {}),
      env: choice.env,
    });
    return createLighterVenue(config, { clock: choice.clock, logger: choice.logger });
  }
  if (!/^[a-z0-9]+$/.test(name))
    throw new UsageError(
      `--venue must be lighter or a ccxt exchange id such as binanceusdm, got ${JSON.stringify(choice.venue)}`,
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
      ? { apiKey: DEFAULT_API_KEY, secret: DEFAULT_API_SECRET }
      : {}),
    env: choice.env,
  });
  return createCcxtVenue(config, { clock: choice.clock, logger: choice.logger });
}
