import ccxt from 'ccxt';
import { KestrelError } from '../../core/errors.ts';
import type { Clock, Timer } from '../../engine/clock.ts';
import type { Logger } from '../../engine/logger.ts';
import type { CcxtVenueConfig } from './config.ts';
import type { VenueProfile } from './profile.ts';
import { CCXT_CREDENTIALS } from './profile.ts';

/**
 * The part of a ccxt pro exchange Kestrel uses. Everything it returns is `unknown` on purpose:
 * ccxt's answers are venue payloads like any other and go through a schema before use.
 */
export interface CcxtExchange {
  readonly id: string;
  readonly has: Readonly<Record<string, unknown>>;
  /** ccxt's per-market-type feature table (batch sizes, page sizes) */
  readonly features?: unknown;
  readonly precisionMode: number;
  urls: Record<string, unknown>;
  options: Record<string, unknown>;
  markets: Record<string, unknown> | undefined;
  clients: Record<string, unknown>;
  last_response_headers: unknown;
  last_http_response: unknown;
  newUpdates: boolean;
  /** ms per unit of request cost: ccxt's in-process bucket refills one token per rateLimit ms */
  rateLimit: number;
  /** Waits until a request of this cost (the endpoint's weight) may go */
  throttle(cost?: number): Promise<unknown>;
  loadHttpProxyAgent(): Promise<unknown>;
  loadMarkets(reload?: boolean): Promise<Record<string, unknown>>;
  setMarkets(markets: Record<string, unknown>, currencies?: unknown): unknown;
  setSandboxMode(enabled: boolean): void;
  createOrder(
    symbol: string,
    type: string,
    side: string,
    amount: number,
    price?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  createOrders(
    orders: readonly Record<string, unknown>[],
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  cancelOrder(
    id: string | undefined,
    symbol: string,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  editOrder(
    id: string,
    symbol: string,
    type: string,
    side: string,
    amount?: number,
    price?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  fetchOrder(id: string, symbol: string, params?: Record<string, unknown>): Promise<unknown>;
  fetchOpenOrders(
    symbol?: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  fetchCanceledAndClosedOrders(
    symbol?: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  fetchMyTrades(
    symbol?: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  fetchBalance(params?: Record<string, unknown>): Promise<unknown>;
  fetchPositions(symbols?: string[], params?: Record<string, unknown>): Promise<unknown>;
  fetchBidsAsks(symbols?: string[], params?: Record<string, unknown>): Promise<unknown>;
  fetchOrderBook(
    symbol: string,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  watchOrders(
    symbol?: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  watchMyTrades(
    symbol?: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  watchBalance(params?: Record<string, unknown>): Promise<unknown>;
  watchBidsAsks(symbols?: string[], params?: Record<string, unknown>): Promise<unknown>;
  watchTradesForSymbols(
    symbols: string[],
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  watchOrderBook(
    symbol: string,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  watchTrades(
    symbol: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  fetchTicker(symbol: string, params?: Record<string, unknown>): Promise<unknown>;
  watchOrderBookForSymbols(
    symbols: string[],
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  close(): Promise<unknown>;
  delay(timeout: number, method: unknown, ...args: unknown[]): void;
  spawn(method: unknown, ...args: unknown[]): unknown;
}

/** A ccxt exchange plus the timers it scheduled, which Kestrel owns and cancels on close */
export interface ManagedExchange {
  readonly exchange: CcxtExchange;
  /** Cancels ccxt's delayed calls (the listenKey keepalive) and closes its sockets */
  shutdown(): Promise<void>;
}

type ExchangeConstructor = new (config: Record<string, unknown>) => CcxtExchange;

/** The ccxt pro exchange ids Kestrel can trade on (they need private streams) */
export function isSupportedExchange(id: string): boolean {
  return typeof (ccxt.pro as unknown as Record<string, unknown>)[id] === 'function';
}

function rebase(value: unknown, from: RegExp, to: string): unknown {
  if (typeof value === 'string') return value.replace(from, to);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rebase(v, from, to)]));
  }
  return value;
}

/** The WebSocket base for a REST base: http → ws, https → wss, same host and port */
export function deriveWsUrl(url: string): string {
  return url.replace(/^http(s?):\/\//, 'ws$1://').replace(/\/+$/, '');
}

/**
 * Creates the ccxt pro exchange a venue trades through: credentials revealed only here (under
 * the names the venue's profile gives them: Hyperliquid's are a wallet address and a private
 * key), Kestrel's options (no currency or margin-pair calls at load, open orders without a
 * symbol, no positions snapshot per watch) under the profile's and the user's, testnet/demo, or
 * every REST and WebSocket URL rebased on one custom base (a local emulator or a proxy), and a
 * fetch implementation when the config gives one. ccxt's delayed calls run on the injected
 * clock so they can be cancelled: ccxt schedules a 20-minute keepalive no close() clears.
 * @throws KestrelError UNKNOWN_EXCHANGE for an id ccxt pro does not have, NOT_SUPPORTED when
 *   the exchange has no testnet or demo
 */
export function createExchange(
  config: CcxtVenueConfig,
  clock: Clock,
  role: 'private' | 'public',
  logger?: Logger,
  profile?: VenueProfile,
  /** Told of each frame ccxt could not parse (it logs them and goes on) */
  onUnreadable?: (message: string) => void,
): ManagedExchange {
  const Constructor = (ccxt.pro as unknown as Record<string, ExchangeConstructor | undefined>)[
    config.exchange
  ];
  if (Constructor === undefined) {
    throw new KestrelError(
      'UNKNOWN_EXCHANGE',
      `ccxt pro has no exchange ${JSON.stringify(config.exchange)}`,
      {
        field: 'exchange',
        value: config.exchange,
      },
    );
  }
  const names = profile?.credentials ?? CCXT_CREDENTIALS;
  const credentials =
    role === 'private'
      ? {
          ...(config.apiKey === undefined ? {} : { [names.apiKey]: config.apiKey.reveal() }),
          ...(config.secret === undefined ? {} : { [names.secret]: config.secret.reveal() }),
          ...(config.password === undefined ? {} : { [names.password]: config.password.reveal() }),
        }
      : {};
  const exchange = new Constructor({
    ...credentials,
    enableRateLimit: true,
    ...(config.rateLimitMs === undefined ? {} : { rateLimit: config.rateLimitMs }),
    timeout: config.requestTimeoutMs ?? 10_000,
    // Deep-merged by ccxt into its own api table: documented weights it underprices
    ...(profile?.requestCosts === undefined ? {} : { api: profile.requestCosts }),
    ...(config.fetchImplementation === undefined
      ? {}
      : { fetchImplementation: config.fetchImplementation }),
    options: {
      fetchCurrencies: false,
      fetchMargins: false,
      warnOnFetchOpenOrdersWithoutSymbol: false,
      fetchOpenOrders: { warnWithoutSymbol: false },
      watchPositions: { fetchPositionsSnapshot: false },
      // Kestrel's stream supervisor owns the reconnect backoff; ccxt's would stack on top of it
      ws: { backoff: { base: 0, max: 0 } },
      ...profile?.options,
      ...config.options,
    },
  });
  const requestCost = profile?.requestCost;
  if (requestCost !== undefined) {
    // A cost that depends on the request (orders in a batch): ccxt's hook for it, per instance
    const instance = exchange as unknown as {
      calculateRateLimiterCost(...args: unknown[]): number;
    };
    const ccxtCost = instance.calculateRateLimiterCost.bind(instance);
    instance.calculateRateLimiterCost = (api, method, path, params, config) =>
      requestCost(String(path), params) ?? ccxtCost(api, method, path, params, config);
  }
  if (logger !== undefined) {
    // ccxt prints what it could not parse (a frame that is not JSON...) to the console; those
    // lines belong in the run's log
    (exchange as unknown as { log: (...args: unknown[]) => void }).log = (...args) => {
      const message = args
        .filter((a) => !(a instanceof Date))
        .map((a) => (a instanceof Error ? a.message : String(a)))
        .join(' ');
      if (onUnreadable !== undefined && args.includes('onMessage JSON.parse'))
        onUnreadable(message);
      else logger.warn('ccxt reported', { exchange: config.exchange, message });
    };
  }
  const timers = new Set<Timer>();
  exchange.delay = (timeout: number, method: unknown, ...args: unknown[]) => {
    const timer = clock.setTimer(timeout, () => {
      timers.delete(timer);
      exchange.spawn(method, ...args);
    });
    timers.add(timer);
  };
  if (config.url !== undefined) {
    const base = config.url.replace(/\/+$/, '');
    const ws = (config.wsUrl ?? deriveWsUrl(base)).replace(/\/+$/, '');
    const api = exchange.urls['api'];
    const { ws: wsUrls, ...rest } = (typeof api === 'object' && api !== null ? api : {}) as Record<
      string,
      unknown
    >;
    exchange.urls['api'] = {
      ...(rebase(rest, /^https?:\/\/[^/]+/, base) as Record<string, unknown>),
      ...(wsUrls === undefined ? {} : { ws: rebase(wsUrls, /^wss?:\/\/[^/]+/, ws) }),
    };
  } else if (config.testnet === true) {
    try {
      exchange.setSandboxMode(true);
    } catch (error) {
      throw new KestrelError(
        'NOT_SUPPORTED',
        `${config.exchange} has no testnet in ccxt: ${(error as Error).message}`,
        {
          field: 'testnet',
          value: true,
        },
      );
    }
  } else if (config.demo === true) {
    const enable = (exchange as unknown as { enableDemoTrading?: (on: boolean) => void })
      .enableDemoTrading;
    if (typeof enable !== 'function') {
      throw new KestrelError('NOT_SUPPORTED', `${config.exchange} has no demo trading in ccxt`, {
        field: 'demo',
        value: true,
      });
    }
    enable.call(exchange, true);
  }
  return {
    exchange,
    async shutdown() {
      for (const timer of timers) timer.cancel();
      timers.clear();
      await closeSockets(exchange);
    },
  };
}

/**
 * Closes the exchange's sockets. ccxt rejects every pending future of a closing socket with
 * ExchangeClosedByUser, including futures of subscriptions abandoned by a resubscribe that
 * nobody awaits any more; those are marked handled first, so closing never raises an
 * unhandled rejection.
 */
export async function closeSockets(exchange: CcxtExchange): Promise<void> {
  const ignore = () => {};
  for (const client of Object.values(exchange.clients)) {
    if (typeof client !== 'object' || client === null) continue;
    const { connected, futures } = client as { connected?: unknown; futures?: unknown };
    for (const future of [connected, ...Object.values(futures ?? {})]) {
      if (typeof (future as { catch?: unknown } | undefined)?.catch === 'function')
        (future as Promise<unknown>).catch(ignore);
    }
  }
  await exchange.close();
}

/** Whether the exchange talks to a ws:// URL, for which ccxt needs its HTTP agent loaded first */
export function usesPlainWebSocket(exchange: CcxtExchange): boolean {
  return JSON.stringify(exchange.urls['api'] ?? {}).includes('"ws://');
}

/**
 * Forgets cached private-stream credentials (Binance's listenKey), so the next watch fetches a
 * fresh one instead of dialing a key the venue may have expired; ccxt reuses a cached key for
 * 20 minutes whatever happened to it.
 */
export function forgetListenKeys(exchange: CcxtExchange): void {
  for (const value of Object.values(exchange.options)) {
    if (typeof value === 'object' && value !== null && 'listenKey' in value) {
      const bucket = value as Record<string, unknown>;
      bucket['listenKey'] = undefined;
      bucket['lastAuthenticatedTime'] = 0;
    }
  }
}

/**
 * Resolves true once every WebSocket the exchange has opened is connected, false at the
 * timeout or when `abandon` settles first. ccxt gives no "subscribed" signal, and anything the
 * venue pushes before the socket is open is lost, so the resync must wait for this.
 */
export async function waitForSockets(
  exchange: CcxtExchange,
  clock: Clock,
  timeoutMs: number,
  abandon: Promise<unknown>,
): Promise<boolean> {
  let abandoned = false;
  const timers = new Set<Timer>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = clock.setTimer(ms, () => {
        timers.delete(timer);
        resolve();
      });
      timers.add(timer);
    });
  const gaveUp = abandon.then(() => {
    abandoned = true;
    return false;
  });
  const deadline = clock.now() + timeoutMs;
  try {
    while (clock.now() < deadline && !abandoned) {
      const sockets = Object.values(exchange.clients).filter(
        (client): client is { url: string; connected: Promise<unknown> } =>
          typeof client === 'object' &&
          client !== null &&
          typeof (client as { url?: unknown }).url === 'string' &&
          /^wss?:\/\//.test((client as { url: string }).url) &&
          typeof (client as { connected?: { then?: unknown } }).connected?.then === 'function',
      );
      if (sockets.length > 0) {
        const open = Promise.all(sockets.map((s) => s.connected)).then(
          () => true,
          () => false,
        );
        const timeout = sleep(Math.max(0, deadline - clock.now())).then(() => false);
        return await Promise.race([open, timeout, gaveUp]);
      }
      await Promise.race([sleep(10), gaveUp]);
    }
    return false;
  } finally {
    for (const timer of timers) timer.cancel();
  }
}
