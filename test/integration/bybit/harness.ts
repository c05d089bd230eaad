import { afterEach } from 'node:test';
import ccxt from 'ccxt';
import type { BybitEmulator, BybitEmulatorOptions } from '../../../src/emulators/bybit/index.ts';
import { startBybitEmulator } from '../../../src/emulators/bybit/index.ts';
import type { LoadCcxtConfigInput } from '../../../src/venues/ccxt/index.ts';
import type { KestrelOnVenue } from '../ccxt/harness.ts';
import { testConfig, tradeOn } from '../ccxt/harness.ts';

/** The part of ccxt's pro `bybit` the tests call (its answers are checked where used) */
// biome-ignore lint/suspicious/noExplicitAny: ccxt's own class, driven as a user drives it
export type BybitClient = any;

function rebase(value: unknown, from: RegExp, to: string): unknown {
  if (typeof value === 'string') return value.replace(from, to);
  if (typeof value === 'object' && value !== null && !Array.isArray(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rebase(v, from, to)]));
  return value;
}

/**
 * Real, unmodified ccxt `bybit` with its default options, pointed at the emulator: only the
 * hosts of its REST and WebSocket URLs change (as a user points a client at a proxy).
 */
export async function bybitClient(
  emulator: BybitEmulator,
  credentials: { readonly apiKey?: string; readonly secret?: string } = {},
): Promise<BybitClient> {
  const Bybit = (ccxt.pro as unknown as Record<string, new (config: object) => BybitClient>)[
    'bybit'
  ];
  if (Bybit === undefined) throw new Error('ccxt pro has no bybit');
  const client = new Bybit({
    apiKey: credentials.apiKey ?? emulator.apiKey,
    secret: credentials.secret ?? emulator.apiSecret,
  });
  const { ws, ...rest } = client.urls.api as Record<string, unknown>;
  client.urls.api = {
    ...(rebase(rest, /^https?:\/\/[^/]+/, emulator.url) as Record<string, unknown>),
    ws: rebase(ws, /^wss?:\/\/[^/]+/, emulator.wsUrl),
  };
  // ccxt needs its HTTP agent before it may dial a ws:// URL
  await client.loadHttpProxyAgent();
  return client;
}

/** An emulator with a two-sided book on BTCUSDT, for a test to trade against */
export async function startBookedEmulator(
  options: BybitEmulatorOptions = {},
): Promise<BybitEmulator> {
  const emulator = await startBybitEmulator(options);
  emulator.setBook(
    'BTCUSDT',
    [
      [64000, 1],
      [63999.9, 2],
    ],
    [
      [64000.1, 1],
      [64000.2, 2],
    ],
  );
  emulator.setBook(
    'ETHUSDT',
    [
      [3000, 10],
      [2999.99, 20],
    ],
    [
      [3000.01, 10],
      [3000.02, 20],
    ],
  );
  return emulator;
}

/** Kestrel's live objects over its ccxt venue (profile bybit) against a Bybit emulator */
export interface BybitSetup extends KestrelOnVenue {
  readonly emulator: BybitEmulator;
}

/**
 * For a describe block: `start(overrides)` gives a test Kestrel trading through real ccxt
 * `bybit` against a fresh emulator (BTCUSDT quoted 64000 / 64000.5, no rate limits), with the
 * small reconnect delays of the ccxt tests; whatever it started is closed after it
 */
export function freshBybitPerTest(): (
  overrides?: LoadCcxtConfigInput['overrides'],
) => Promise<BybitSetup> {
  let setup: BybitSetup | undefined;
  afterEach(async () => {
    await setup?.close();
    setup = undefined;
  });
  return async (overrides) => {
    const emulator = await startBybitEmulator({ rateLimits: false });
    emulator.setQuote('BTCUSDT', 64000, 64000.5, 2, 2);
    const config = testConfig(emulator.url, { exchange: 'bybit', overrides });
    setup = { emulator, ...(await tradeOn(config, emulator)) };
    return setup;
  };
}
