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
  readonly apiKeyIndex: number;
  /** The API key's private key; never printed (it prints `[redacted]`) */
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
  readonly apiKeyIndex?: number;
  readonly privateKey?: string | Secret;
  readonly signer?: 'wasm' | 'fake';
  /** A JSON file with any of: network, url, wsUrl, chainId, accountIndex, apiKeyIndex, privateKey */
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
  apiKeyIndex: z.number().int().optional(),
  privateKey: z.string().optional(),
  signer: z.enum(['wasm', 'fake']).optional(),
});

function configError(field: string, problem: string): KestrelError {
  // The value is left out on purpose: it may be (or sit next to) a private key
  return new KestrelError('INVALID_CONFIG', `lighter config: ${field} ${problem}`, { field });
}

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
 * preset (testnet when nothing says otherwise). A custom `url` (the local emulator) derives the
 * WebSocket URL. The private key is wrapped so it never prints.
 * @throws KestrelError INVALID_CONFIG naming the missing or malformed field (never the key)
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
  const apiKeyIndex =
    options.apiKeyIndex ??
    integerFrom('LIGHTER_API_KEY_INDEX', env['LIGHTER_API_KEY_INDEX']) ??
    file.apiKeyIndex;
  if (apiKeyIndex === undefined)
    throw configError('apiKeyIndex', 'is required (LIGHTER_API_KEY_INDEX)');
  if (apiKeyIndex < 0 || apiKeyIndex > MAX_API_KEY_INDEX)
    throw configError('apiKeyIndex', `must be in 0..${MAX_API_KEY_INDEX}`);
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
  const rawKey =
    options.privateKey ?? (env['LIGHTER_API_PRIVATE_KEY'] || undefined) ?? file.privateKey;
  const privateKey =
    rawKey === undefined ? undefined : isSecret(rawKey) ? rawKey : new Secret(rawKey);
  if (privateKey === undefined)
    throw configError('privateKey', 'is required (LIGHTER_API_PRIVATE_KEY)');
  if (!/^(0x)?[0-9a-fA-F]{80}$/.test(privateKey.reveal())) {
    throw configError(
      'privateKey',
      'must be 40 bytes of hex (80 hex digits, optionally 0x-prefixed)',
    );
  }
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
    apiKeyIndex,
    privateKey,
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
