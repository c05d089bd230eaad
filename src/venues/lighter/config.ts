import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { KestrelError } from '../../core/errors.ts';
import { isSecret, Secret } from '../../engine/secret.ts';
import { DEFAULT_TX_TTL_MS, MAX_ACCOUNT_INDEX, MAX_API_KEY_INDEX } from './constants.ts';
import { LIGHTER_EXCHANGE } from './markets.ts';

/** Hosts and chain ids of the venue's networks (lighter-python `endpoint_profiles.py`) */
export const LIGHTER_PRESETS = {
  mainnet: {
    url: 'https://mainnet.zklighter.elliot.ai',
    wsUrl: 'wss://mainnet.zklighter.elliot.ai/stream',
    chainId: 304,
  },
  testnet: {
    url: 'https://testnet.zklighter.elliot.ai',
    wsUrl: 'wss://testnet.zklighter.elliot.ai/stream',
    chainId: 300,
  },
} as const;

export type LighterNetwork = keyof typeof LIGHTER_PRESETS | 'custom';

/** One API key of the account: its index and private key (never printed) */
export interface LighterApiKey {
  readonly apiKeyIndex: number;
  readonly privateKey: Secret;
}

/** Everything a Lighter venue connection needs; build it with `loadLighterConfig` */
export interface LighterVenueConfig {
  readonly network: LighterNetwork;
  /** REST base, e.g. https://mainnet.zklighter.elliot.ai */
  readonly url: string;
  /** WebSocket, e.g. wss://mainnet.zklighter.elliot.ai/stream */
  readonly wsUrl: string;
  /** Part of every signed transaction: 304 mainnet, 300 testnet */
  readonly chainId: number;
  readonly accountIndex: number;
  /**
   * The API keys this process signs with, at least one, each index once. Nonces belong to a key,
   * so the process spreads its transactions over them for throughput; no other process may use
   * any of them at the same time.
   */
  readonly apiKeys: readonly LighterApiKey[];
  /** The first key's index: the stream's auth tokens are signed with it */
  readonly apiKeyIndex: number;
  /** The first key's private key; never printed (it prints `[redacted]`) */
  readonly privateKey: Secret | undefined;
  /**
   * `wasm` (the official signer, default) or `fake` (Kestrel's TypeScript signer: real
   * signatures, deterministic nonces, no worker; not the official signer, so local emulator only)
   */
  readonly signer: 'wasm' | 'fake';
  /** The exchange name of instruments and events; default `lighter` */
  readonly exchange: string;
  /** Trade only these symbols (`ETH`, `BTC`); all active perpetuals when absent */
  readonly symbols: readonly string[] | undefined;
  /** Compare the venue's tx hash with the signer's (a mismatch means the venue signed something else) */
  readonly checkTxHash: boolean;
  /** Per REST request, ms; default 10 000 */
  readonly requestTimeoutMs: number;
  /** Auth token lifetime, ms; default 1 hour (the venue allows 8) */
  readonly authTokenTtlMs: number;
  /** App-level ping period, ms; default 20 000 */
  readonly pingIntervalMs: number;
  /** Reconnect when nothing was received for this long, ms; default 60 000 */
  readonly staleAfterMs: number;
  /** Reconnect backoff: first delay and cap, ms; default 250 and 10 000 */
  readonly reconnectInitialMs: number;
  readonly reconnectMaxMs: number;
  /** Orders per sendTxBatch; default 15 */
  readonly maxBatchSize: number;
  /** Worst price of a market order, as a fraction beyond the touch; default 0.05 */
  readonly marketSlippage: number;
  /** Delay between status checks of an order the venue has not confirmed, ms; default 1 000 */
  readonly recheckMs: number;
  /**
   * Each transaction's own validity (its ExpiredAt = signing time + this), ms; default the
   * signers' 10 minutes - 1 second. Past it the venue can never execute the transaction, which
   * is what lets a status query call a never-seen order unknown.
   */
  readonly txTtlMs: number;
  /**
   * A status query that finds an order nowhere asks once more after this long, ms; default
   * 1 500: the venue lists a just-canceled order in neither list for about a second.
   */
  readonly queryRetryMs: number;
}

export interface LoadLighterConfigOptions {
  /** `mainnet`, `testnet` or a custom REST `url` (the local emulator) */
  readonly network?: 'mainnet' | 'testnet';
  readonly url?: string;
  readonly wsUrl?: string;
  readonly chainId?: number;
  readonly accountIndex?: number;
  /** One API key index, or several (each with its private key, in the same order) */
  readonly apiKeyIndex?: number | readonly number[];
  readonly privateKey?: string | Secret | readonly (string | Secret)[];
  readonly signer?: 'wasm' | 'fake';
  /**
   * A JSON file with any of: network, url, wsUrl, chainId, accountIndex, apiKeyIndex (a number
   * or a list), privateKey (a string or a list)
   */
  readonly configFile?: string;
  /** Where LIGHTER_* variables are read; default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Any tuning field of LighterVenueConfig */
  readonly overrides?: Partial<
    Omit<LighterVenueConfig, 'network' | 'url' | 'wsUrl' | 'chainId' | 'privateKey'>
  >;
}

const fileSchema = z.object({
  network: z.enum(['mainnet', 'testnet']).optional(),
  url: z.string().optional(),
  wsUrl: z.string().optional(),
  chainId: z.number().int().optional(),
  accountIndex: z.number().int().optional(),
  apiKeyIndex: z.union([z.number().int(), z.array(z.number().int()).min(1)]).optional(),
  privateKey: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
  signer: z.enum(['wasm', 'fake']).optional(),
});

function configError(field: string, problem: string, value?: unknown): KestrelError {
  // The value is named only where it cannot be (or sit next to) a private key
  return new KestrelError('INVALID_CONFIG', `lighter config: ${field} ${problem}`, {
    field,
    ...(value === undefined ? {} : { value }),
  });
}

/** `3` or `3,4,5` (LIGHTER_API_KEY_INDEX) as a list; undefined when empty */
function indexesFrom(field: string, text: string | undefined): number[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  return text.split(',').map((part) => {
    const value = part.trim() === '' ? Number.NaN : Number(part);
    if (!Number.isSafeInteger(value))
      throw configError(
        field,
        `must list integers separated by commas, got ${JSON.stringify(part.trim())}`,
        part.trim(),
      );
    return value;
  });
}

/**
 * Pairs each API key index with its private key, in order, and checks both.
 * @throws KestrelError INVALID_CONFIG naming the index (never a key)
 */
function pairKeys(
  indexes: readonly number[],
  rawKeys: readonly (string | Secret)[],
): LighterApiKey[] {
  indexes.forEach((index, i) => {
    if (index < 0 || index > MAX_API_KEY_INDEX)
      throw configError('apiKeyIndex', `${index} must be in 0..${MAX_API_KEY_INDEX}`, index);
    if (indexes.indexOf(index) !== i)
      throw configError('apiKeyIndex', `lists ${index} twice (each key is used once)`, index);
  });
  if (rawKeys.length !== indexes.length) {
    throw configError(
      'privateKey',
      `lists ${rawKeys.length} key${rawKeys.length === 1 ? '' : 's'} for ${indexes.length} API key index${indexes.length === 1 ? '' : 'es'} (${indexes.join(',')}): give one per index, in the same order`,
    );
  }
  return indexes.map((apiKeyIndex, i) => {
    const raw = rawKeys[i] ?? '';
    const privateKey = isSecret(raw) ? raw : new Secret(raw.trim());
    if (!/^(0x)?[0-9a-fA-F]{80}$/.test(privateKey.reveal())) {
      throw configError(
        'privateKey',
        `of API key ${apiKeyIndex} must be 40 bytes of hex (80 hex digits, optionally 0x-prefixed)`,
      );
    }
    return { apiKeyIndex, privateKey };
  });
}

const listOf = <T>(value: T | readonly T[] | undefined): readonly T[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? (value as readonly T[]) : [value as T];

function integerFrom(field: string, text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw configError(field, 'must be an integer');
  return value;
}

function readFile(path: string): z.infer<typeof fileSchema> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new KestrelError(
      'INVALID_CONFIG',
      `lighter config: cannot read ${path}: ${(error as Error).message}`,
      {
        field: 'configFile',
      },
    );
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw configError(`${path}: ${issue?.path.join('.') ?? ''}`, issue?.message ?? 'is invalid');
  }
  return parsed.data;
}

/** The WebSocket URL of a REST base: http→ws, https→wss, plus /stream */
export function streamUrlOf(url: string): string {
  return `${url.replace(/^http/, 'ws').replace(/\/+$/, '')}/stream`;
}

/**
 * Builds a Lighter configuration from, in order of precedence: the options, the environment
 * (`LIGHTER_NETWORK`, `LIGHTER_URL`, `LIGHTER_WS_URL`, `LIGHTER_CHAIN_ID`,
 * `LIGHTER_ACCOUNT_INDEX`, `LIGHTER_API_KEY_INDEX`, `LIGHTER_API_PRIVATE_KEY`,
 * `LIGHTER_SIGNER`, `LIGHTER_CONFIG` naming a JSON file), a JSON config file, and the network
 * preset (testnet when nothing says otherwise). Several API keys are a comma-separated list of
 * indexes (`LIGHTER_API_KEY_INDEX=3,4`) with their private keys in the same order. A custom
 * `url` (the local emulator) derives the WebSocket URL. Private keys are wrapped so they never
 * print.
 * @throws KestrelError INVALID_CONFIG naming the missing or malformed field (never a key)
 */
export function loadLighterConfig(options: LoadLighterConfigOptions = {}): LighterVenueConfig {
  const env = options.env ?? process.env;
  const path = options.configFile ?? env['LIGHTER_CONFIG'];
  const file = path === undefined || path === '' ? {} : readFile(path);
  const envNetwork = env['LIGHTER_NETWORK'];
  if (
    envNetwork !== undefined &&
    envNetwork !== '' &&
    envNetwork !== 'mainnet' &&
    envNetwork !== 'testnet'
  ) {
    throw configError('LIGHTER_NETWORK', 'must be mainnet or testnet');
  }
  const url = options.url ?? (env['LIGHTER_URL'] || undefined) ?? file.url;
  const named = options.network ?? (envNetwork || undefined) ?? file.network;
  const network: LighterNetwork =
    url !== undefined && named === undefined ? 'custom' : (named ?? 'testnet');
  const preset = network === 'custom' ? undefined : LIGHTER_PRESETS[network];
  const baseUrl = (url ?? preset?.url ?? '').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(baseUrl)) throw configError('url', 'must be an http(s) URL');
  const wsUrl =
    options.wsUrl ??
    (env['LIGHTER_WS_URL'] || undefined) ??
    file.wsUrl ??
    (url === undefined ? preset?.wsUrl : undefined) ??
    streamUrlOf(baseUrl);
  if (!/^wss?:\/\//.test(wsUrl)) throw configError('wsUrl', 'must be a ws(s) URL');
  const chainId =
    options.chainId ??
    integerFrom('LIGHTER_CHAIN_ID', env['LIGHTER_CHAIN_ID']) ??
    file.chainId ??
    preset?.chainId ??
    LIGHTER_PRESETS.testnet.chainId;
  const accountIndex =
    options.accountIndex ??
    integerFrom('LIGHTER_ACCOUNT_INDEX', env['LIGHTER_ACCOUNT_INDEX']) ??
    file.accountIndex;
  if (accountIndex === undefined)
    throw configError('accountIndex', 'is required (LIGHTER_ACCOUNT_INDEX)');
  if (accountIndex < 0 || accountIndex > MAX_ACCOUNT_INDEX)
    throw configError('accountIndex', `must be in 0..${MAX_ACCOUNT_INDEX}`);
  const indexes =
    listOf(options.apiKeyIndex) ??
    indexesFrom('LIGHTER_API_KEY_INDEX', env['LIGHTER_API_KEY_INDEX']) ??
    listOf(file.apiKeyIndex);
  if (indexes === undefined || indexes.length === 0)
    throw configError('apiKeyIndex', 'is required (LIGHTER_API_KEY_INDEX)');
  const envSigner = env['LIGHTER_SIGNER'];
  const signer =
    options.signer ??
    (envSigner === 'fake' || envSigner === 'wasm' ? envSigner : undefined) ??
    file.signer ??
    'wasm';
  if (signer === 'fake' && network !== 'custom') {
    throw configError(
      'signer',
      'fake signs only for a local emulator (a custom url), never for mainnet or testnet',
    );
  }
  const envKeys = env['LIGHTER_API_PRIVATE_KEY'];
  const rawKeys =
    listOf<string | Secret>(options.privateKey) ??
    (envKeys === undefined || envKeys === '' ? undefined : envKeys.split(',')) ??
    listOf(file.privateKey);
  if (rawKeys === undefined)
    throw configError('privateKey', 'is required (LIGHTER_API_PRIVATE_KEY)');
  const apiKeys = pairKeys(indexes, rawKeys);
  const overrides = options.overrides ?? {};
  const envTtl = env['LIGHTER_TX_TTL_MS'];
  const ttl =
    overrides.txTtlMs ?? (envTtl === undefined || envTtl === '' ? undefined : Number(envTtl));
  if (ttl !== undefined && (!Number.isSafeInteger(ttl) || ttl < 1_000 || ttl > DEFAULT_TX_TTL_MS)) {
    // The signers' default is the longest validity the venue is known to accept
    throw configError('txTtlMs', `must be an integer in 1000..${DEFAULT_TX_TTL_MS}`);
  }
  return Object.freeze({
    network,
    url: baseUrl,
    wsUrl,
    chainId,
    accountIndex,
    apiKeys,
    apiKeyIndex: apiKeys[0]?.apiKeyIndex ?? 0,
    privateKey: apiKeys[0]?.privateKey,
    signer,
    exchange: overrides.exchange ?? LIGHTER_EXCHANGE,
    symbols: overrides.symbols,
    checkTxHash: overrides.checkTxHash ?? true,
    requestTimeoutMs: overrides.requestTimeoutMs ?? 10_000,
    authTokenTtlMs: overrides.authTokenTtlMs ?? 3_600_000,
    pingIntervalMs: overrides.pingIntervalMs ?? 20_000,
    staleAfterMs: overrides.staleAfterMs ?? 60_000,
    reconnectInitialMs: overrides.reconnectInitialMs ?? 250,
    reconnectMaxMs: overrides.reconnectMaxMs ?? 10_000,
    maxBatchSize: overrides.maxBatchSize ?? 15,
    marketSlippage: overrides.marketSlippage ?? 0.05,
    recheckMs: overrides.recheckMs ?? 1_000,
    txTtlMs: ttl ?? DEFAULT_TX_TTL_MS,
    queryRetryMs: overrides.queryRetryMs ?? 1_500,
  });
}
