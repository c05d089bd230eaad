import type { Instrument } from '../../core/instrument.ts';
import { matchesSymbol } from '../../core/instrument.ts';
import { systemClock } from '../../engine/clock.ts';
import type { SimVenue } from '../../venues/sim/sim-venue.ts';
import type { StreamKind } from '../faults.ts';
import { EmulatorFaults } from '../faults.ts';
import { replayOnto } from '../feed-replay.ts';
import type { VenueEmulator, VenueEmulatorOptions } from '../venue-emulator.ts';
import { marketSetters } from '../venue-emulator.ts';
import { refuseUpgrade, startVenueServer } from '../venue-server.ts';
import type { BybitMarketSpec } from './defaults.ts';
import {
  DEFAULT_API_KEY,
  DEFAULT_API_SECRET,
  defaultBalances,
  defaultMarkets,
  toMarketSpecs,
} from './defaults.ts';
import { bybitFaultAnswer, envelope } from './errors.ts';
import type { PrivatePush } from './exchange.ts';
import { BybitExchange } from './exchange.ts';
import { parseAliveTime } from './idle-cut.ts';
import type { BybitExecution, BybitOrder } from './orders.ts';
import { PrivateStreams } from './private-stream.ts';
import { PublicStreams } from './public-stream.ts';
import { RateLimits } from './rate-limits.ts';
import type { RequestRecord } from './rest-api.ts';
import { handleRest } from './rest-api.ts';
import { executionRow, orderRow, positionRow, walletRow } from './wire.ts';

export interface BybitEmulatorOptions extends VenueEmulatorOptions {
  /** Default: BTCUSDT and ETHUSDT linear perpetuals with Bybit's filters (defaultMarkets) */
  readonly markets?: readonly BybitMarketSpec[];
  /** Plain instruments instead of markets: listed with generous order limits */
  readonly instruments?: readonly Instrument[];
  /** The leverage every symbol starts with; default 10 */
  readonly leverage?: number;
  /** Enforce Bybit's per-UID rate limits (10 orders/s per trade endpoint...); default true */
  readonly rateLimits?: boolean;
  /** Seeds the order, execution and trade ids; default 1 */
  readonly seed?: number;
}

/** The WebSocket paths are `/v5/public/linear` (and the other categories) and `/v5/private` */
export interface BybitEmulator extends VenueEmulator<RequestRecord> {
  /** The venue's ledger and matching (one sim instrument per symbol and position side) */
  readonly venue: SimVenue;
  /**
   * Every execution the venue made, oldest first, unbounded: execId (the trade id Kestrel
   * dedups by), orderId, orderLinkId (ours when we placed it), side, quantity, price, fee.
   */
  executions(): readonly BybitExecution[];
  /** Every order the venue accepted, as it stands now, oldest first, in Bybit's statuses */
  orders(): readonly BybitOrder[];
  /** The venue's position in a symbol (net of both hedge sides), signed */
  position(symbol: string): number;
  /** The topics subscribed now: private (authenticated sockets only) and public */
  subscriptions(): { readonly private: readonly string[]; readonly public: readonly string[] };
}

const PUBLIC_PATH = /^\/v5\/public\/(linear|inverse|spot|option)$/;

/**
 * Starts a local Bybit v5 venue on 127.0.0.1 that real, unmodified ccxt (`bybit`, default
 * options) drives as it would drive Bybit: REST v5 (X-BAPI-* HMAC signatures and recv
 * windows, retCodes, UID rate limits), the private stream (auth, order, execution, position,
 * wallet) and the public linear stream (orderbook, publicTrade, tickers), over the sim's
 * matching engine and ledger, with the same fault injection and control API as the other
 * emulators.
 * @throws Error when the port cannot be bound
 */
export async function startBybitEmulator(
  options: BybitEmulatorOptions = {},
): Promise<BybitEmulator> {
  const clock = options.clock ?? systemClock;
  const seed = options.seed ?? 1;
  const apiKey = options.apiKey ?? DEFAULT_API_KEY;
  const apiSecret = options.apiSecret ?? DEFAULT_API_SECRET;
  const credentials = { apiKey, apiSecret };
  const faults = new EmulatorFaults(clock, bybitFaultAnswer);
  const markets =
    options.markets ??
    (options.instruments === undefined ? defaultMarkets() : toMarketSpecs(options.instruments));
  const exchange = new BybitExchange({
    markets,
    balances: options.balances ?? defaultBalances(),
    seed,
    ...(options.leverage === undefined ? {} : { leverage: options.leverage }),
  });
  const privates = new PrivateStreams(clock, faults, credentials);
  const publics = new Map<string, PublicStreams>();
  for (const category of ['linear', 'inverse', 'spot', 'option']) {
    publics.set(
      category,
      new PublicStreams(
        clock,
        {
          market: (symbol) =>
            category === 'linear' && exchange.lists(symbol)
              ? exchange.publicMarket(symbol)
              : undefined,
          markPrice: (symbol) => exchange.markPrice(symbol),
        },
        seed,
      ),
    );
  }
  exchange.onMarketChange((change) => publics.get('linear')?.publish(change));
  const requests: RequestRecord[] = [];
  const deliver = (pushes: readonly PrivatePush[]) => {
    for (const push of pushes) privates.push(push);
  };
  faults.bind({
    dropSockets(kind: StreamKind, code: number | undefined) {
      let dropped = 0;
      if (kind !== 'market') dropped += privates.dropAll(code);
      if (kind !== 'user') for (const stream of publics.values()) dropped += stream.dropAll(code);
      return dropped;
    },
  });

  const resolveSymbol = (symbol: string): string => {
    const found = exchange.markets.find((m) => matchesSymbol(m.instrument, symbol));
    return found?.instrument.venueSymbol ?? symbol;
  };
  const { setQuote, setBook, printTrade } = marketSetters(exchange, resolveSymbol, deliver, clock);
  const position = (symbol: string) =>
    exchange.positionsOf(resolveSymbol(symbol)).reduce((sum, p) => sum + p.quantity, 0);

  const context = {
    exchange,
    faults,
    credentials,
    clock,
    requests,
    limits: options.rateLimits === false ? undefined : new RateLimits(),
    userId: 100_000 + seed,
    deliver,
  };
  const control = {
    faults,
    setQuote,
    printTrade,
    state: () =>
      envelope(
        {
          openOrders: exchange
            .allOrders()
            .filter(
              (o) =>
                o.status === 'New' || o.status === 'PartiallyFilled' || o.status === 'Untriggered',
            )
            .map(orderRow),
          positions: exchange.openPositions().map(positionRow),
          wallet: walletRow(exchange.coins()),
          executions: exchange.allExecutions().length,
        },
        clock.now(),
      ),
    orders: () => exchange.allOrders().map(orderRow),
    executions: () => exchange.allExecutions().map(executionRow),
  };

  const server = await startVenueServer(
    {
      faults,
      control,
      rest: (request, response) => handleRest(context, request, response),
      failure: (error) => envelope({}, clock.now(), {}, 10016, error.message),
      upgrade(url, socket, accept) {
        const path = url.pathname;
        if (path === '/v5/private') {
          const aliveMs = parseAliveTime(url.searchParams.get('max_active_time'));
          if (aliveMs === undefined) {
            refuseUpgrade(socket, '400 Bad Request');
            return;
          }
          accept((ws) => privates.attach(ws, aliveMs));
          return;
        }
        const publicMatch = PUBLIC_PATH.exec(path);
        const stream = publicMatch === null ? undefined : publics.get(publicMatch[1] ?? '');
        if (stream === undefined) {
          refuseUpgrade(socket, '404 Not Found');
          return;
        }
        accept((ws) => stream.attach(ws));
      },
    },
    options.port,
  );
  const port = server.port;

  const replay = replayOnto(
    options.feed,
    markets.map((m) => m.instrument),
    { setQuote, printTrade, setBook },
    { clock, speed: options.speed ?? 1 },
  );

  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    apiKey,
    apiSecret,
    venue: exchange.venue,
    instruments: markets.map((m) => m.instrument),
    faults,
    requests,
    pushes: privates.log,
    executions: () => exchange.allExecutions(),
    orders: () => exchange.allOrders(),
    position,
    injectFrames: (kind, frames) =>
      kind === 'user'
        ? privates.sendRaw(frames)
        : [...publics.values()].reduce((n, stream) => n + stream.sendRaw(frames), 0),
    connections: () => ({
      user: privates.connections,
      market: [...publics.values()].reduce((n, stream) => n + stream.connections, 0),
      openUser: privates.openSockets,
    }),
    subscriptions: () => ({
      private: privates.topics(),
      public: [...new Set([...publics.values()].flatMap((stream) => stream.topics()))],
    }),
    setQuote,
    setBook,
    printTrade,
    replayDone: replay?.done ?? Promise.resolve(),
    close() {
      closed ??= (async () => {
        await replay?.stop();
        privates.close();
        for (const stream of publics.values()) stream.close();
        await server.close();
      })();
      return closed;
    },
  };
}
