import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { KestrelError } from '../../core/errors.ts';
import type { Secret } from '../../engine/secret.ts';
import { toSecret } from '../../engine/secret.ts';

/** How the account stream and market data reconnect and watch themselves */
export interface StreamSettings {
  /** First reconnect delay, ms; doubles per failed attempt (with jitter) up to backoffMaxMs */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** A stream silent this long is torn down and resubscribed (with a resync), ms */
  readonly watchdogMs: number;
  /** How long a (re)subscribe may take to open its socket, ms */
  readonly connectTimeoutMs: number;
}

export interface MarketDataSettings {
  /** `bidsAsks` (bookTicker), `orderBook` (depth snapshots), or `none` */
  readonly quotes: 'bidsAsks' | 'orderBook' | 'none';
  readonly trades: boolean;
  /** Levels per side in book snapshots */
  readonly depth: number;
}

/** Everything a ccxt venue needs; credentials are Secrets and never print */
export interface CcxtVenueConfig {
  /** The ccxt exchange id, e.g. `binanceusdm` */
  readonly exchange: string;
  /** The name orders and instruments carry; default the exchange id */
  readonly name?: string;
  readonly apiKey?: Secret;
  readonly secret?: Secret;
  readonly password?: Secret;
  /** The exchange's testnet (ccxt sandbox mode) */
  readonly testnet?: boolean;
  /** The exchange's demo trading environment, where ccxt has one */
  readonly demo?: boolean;
  /** One base URL for a local or proxied venue (REST; WebSocket derived from it) */
  readonly url?: string;
  /** The WebSocket base when it is not the REST base with ws:// */
  readonly wsUrl?: string;
  /** Only these markets (unified symbols or exchange ids); default all */
  readonly symbols?: readonly string[];
  /** Extra ccxt options, merged over Kestrel's */
  readonly options?: Readonly<Record<string, unknown>>;
  /** REST timeout, ms; default 10 000 */
  readonly requestTimeoutMs?: number;
  readonly stream?: Partial<StreamSettings>;
  readonly marketData?: Partial<MarketDataSettings>;
  /** A PENDING order the venue does not know this long after it was asked for is LOST, ms; default 15 000 */
  readonly lostAfterMs?: number;
  /** First targeted status query after an ambiguous send, ms; default 1 000 */
  readonly statusCheckDelayMs?: number;
  /** Periodic REST resync, ms; 0 turns it off; default 60 000 */
  readonly resyncIntervalMs?: number;
  /** Seeds the reconnect jitter */
  readonly seed?: number;
  /**
   * The venue's order and trade ids are positive decimal integers, so any other id marks a
   * malformed payload (refused, never booked under a made-up id); default: the venue profile's
   * (true for the Binance exchanges)
   */
  readonly numericIds?: boolean;
  /**
   * The account's position mode where the venue has one: `oneWay` (default: one net position
   * per market) or `hedge` (a LONG and a SHORT leg per market; every order names the leg it
   * opens or closes, and positions are kept per leg)
   */
  readonly positionMode?: 'oneWay' | 'hedge';
  /**
   * ms per unit of request weight: the pace of the key's bucket (shared with every process on
   * the key under `--redis`); default ccxt's for the venue. Raise it to leave room for other
   * programs on the key
   */
  readonly rateLimitMs?: number;
  /**
   * The fetch ccxt's REST calls go through (an HTTP client with its own proxy or TLS settings,
   * or a venue answered in-process); default ccxt's own
   */
  readonly fetchImplementation?: (url: string, init: RequestInit) => Promise<Response>;
}

export const DEFAULT_STREAM_SETTINGS: StreamSettings = {
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  watchdogMs: 180_000,
  connectTimeoutMs: 10_000,
};

export const DEFAULT_MARKET_DATA: MarketDataSettings = {
  quotes: 'bidsAsks',
  trades: true,
  depth: 20,
};

const fileSchema = z.object({
  exchange: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  apiKey: z.string().optional(),
  secret: z.string().optional(),
  password: z.string().optional(),
  testnet: z.boolean().optional(),
  demo: z.boolean().optional(),
  url: z.url().optional(),
  wsUrl: z.url().optional(),
  symbols: z.array(z.string().min(1)).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
  positionMode: z.enum(['oneWay', 'hedge']).optional(),
  rateLimitMs: z.number().positive().optional(),
});

export type CcxtConfigFile = z.infer<typeof fileSchema>;

/** Where loadCcxtConfig looks, highest priority first: these fields, the file, the environment */
export interface LoadCcxtConfigInput {
  readonly exchange?: string;
  readonly name?: string;
  readonly apiKey?: string;
  readonly secret?: string;
  readonly password?: string;
  readonly testnet?: boolean;
  readonly demo?: boolean;
  readonly url?: string;
  readonly wsUrl?: string;
  /** A JSON file with the same fields (credentials included) */
  readonly file?: string;
  /** Default: process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Settings passed through unchanged */
  readonly overrides?: Omit<
    CcxtVenueConfig,
    'exchange' | 'apiKey' | 'secret' | 'password' | 'testnet' | 'demo' | 'url' | 'wsUrl' | 'name'
  >;
}

function flag(text: string | undefined): boolean | undefined {
  if (text === undefined || text === '') return undefined;
  return text === '1' || text.toLowerCase() === 'true' || text.toLowerCase() === 'yes';
}

function readFile(path: string): CcxtConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new KestrelError(
      'INVALID_CONFIG',
      `cannot read the ccxt config file ${path}: ${(error as Error).message}`,
      {
        field: 'file',
        value: path,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KestrelError('INVALID_CONFIG', `the ccxt config file ${path} is not valid JSON`, {
      field: 'file',
      value: path,
    });
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    // Issue paths and messages only: never the values, which may be credentials
    const problems = parsed.error.issues.map(
      (i) => `${i.path.join('.') || '(root)'}: ${i.message}`,
    );
    throw new KestrelError(
      'INVALID_CONFIG',
      `the ccxt config file ${path} is invalid: ${problems.join('; ')}`,
      {
        field: 'file',
        value: path,
      },
    );
  }
  return parsed.data;
}

/**
 * Builds a ccxt venue config from explicit fields, a JSON config file and the environment,
 * in that order of priority. Credentials come from `apiKey`/`secret`/`password`, the file, the
 * exchange-specific variables `<EXCHANGE>_API_KEY`, `<EXCHANGE>_SECRET`, `<EXCHANGE>_PASSWORD`
 * (e.g. `BINANCEUSDM_API_KEY`), or the generic `KESTREL_CCXT_API_KEY`, `KESTREL_CCXT_SECRET`,
 * `KESTREL_CCXT_PASSWORD`; the exchange from `KESTREL_CCXT_EXCHANGE`, a custom base URL from
 * `KESTREL_CCXT_URL`, the testnet from `KESTREL_CCXT_TESTNET=1`. Credentials are wrapped as
 * Secrets and never appear in messages.
 * @throws KestrelError INVALID_CONFIG for an unreadable or invalid file, a missing exchange,
 *   a key without its secret, or testnet combined with demo or a custom URL
 */
export function loadCcxtConfig(input: LoadCcxtConfigInput = {}): CcxtVenueConfig {
  const env = input.env ?? process.env;
  const file = input.file === undefined ? {} : readFile(input.file);
  const exchange = input.exchange ?? file.exchange ?? env['KESTREL_CCXT_EXCHANGE'];
  if (exchange === undefined || exchange.length === 0) {
    throw new KestrelError(
      'INVALID_CONFIG',
      'no ccxt exchange id given (option, config file or KESTREL_CCXT_EXCHANGE)',
      {
        field: 'exchange',
      },
    );
  }
  const prefix = exchange.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  const pick = (field: 'apiKey' | 'secret' | 'password', suffix: string): Secret | undefined =>
    toSecret(
      input[field] ?? file[field] ?? env[`${prefix}_${suffix}`] ?? env[`KESTREL_CCXT_${suffix}`],
    );
  const apiKey = pick('apiKey', 'API_KEY');
  const secret = pick('secret', 'SECRET');
  const password = pick('password', 'PASSWORD');
  if ((apiKey === undefined) !== (secret === undefined)) {
    throw new KestrelError(
      'INVALID_CONFIG',
      `${exchange}: an API key needs its secret and a secret its key`,
      {
        field: apiKey === undefined ? 'apiKey' : 'secret',
      },
    );
  }
  const testnet = input.testnet ?? file.testnet ?? flag(env['KESTREL_CCXT_TESTNET']) ?? false;
  const demo = input.demo ?? file.demo ?? flag(env['KESTREL_CCXT_DEMO']) ?? false;
  const url = input.url ?? file.url ?? env['KESTREL_CCXT_URL'];
  const wsUrl = input.wsUrl ?? file.wsUrl ?? env['KESTREL_CCXT_WS_URL'];
  if (testnet && demo) {
    throw new KestrelError('INVALID_CONFIG', 'choose testnet or demo, not both', {
      field: 'testnet',
      value: true,
    });
  }
  if ((testnet || demo) && url !== undefined) {
    throw new KestrelError(
      'INVALID_CONFIG',
      'a custom url replaces the testnet/demo urls; give one or the other',
      {
        field: 'url',
        value: url,
      },
    );
  }
  const name = input.name ?? file.name;
  return {
    ...input.overrides,
    exchange,
    ...(name === undefined ? {} : { name }),
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(secret === undefined ? {} : { secret }),
    ...(password === undefined ? {} : { password }),
    testnet,
    demo,
    ...(url === undefined ? {} : { url }),
    ...(wsUrl === undefined ? {} : { wsUrl }),
    ...(input.overrides?.symbols === undefined && file.symbols !== undefined
      ? { symbols: file.symbols }
      : {}),
    ...(file.options === undefined
      ? {}
      : { options: { ...file.options, ...input.overrides?.options } }),
    ...(input.overrides?.positionMode === undefined && file.positionMode !== undefined
      ? { positionMode: file.positionMode }
      : {}),
    ...(file.rateLimitMs === undefined ? {} : { rateLimitMs: file.rateLimitMs }),
  };
}
