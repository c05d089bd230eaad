import type { Instrument } from '../../core/instrument.ts';
import { matchesSymbol } from '../../core/instrument.ts';
import type { Side } from '../../core/order.ts';
import { createRandom } from '../../core/random.ts';
import type { Timer } from '../../engine/clock.ts';
import { systemClock } from '../../engine/clock.ts';
import type { SimOrderSnapshot } from '../../venues/sim/sim-venue.ts';
import type { StreamKind } from '../faults.ts';
import { EmulatorFaults } from '../faults.ts';
import { replayOnto } from '../feed-replay.ts';
import type { VenueEmulator, VenueEmulatorOptions } from '../venue-emulator.ts';
import { marketSetters } from '../venue-emulator.ts';
import { refuseUpgrade, startVenueServer } from '../venue-server.ts';
import {
  DEFAULT_API_KEY,
  DEFAULT_API_SECRET,
  defaultBalances,
  defaultInstruments,
} from './defaults.ts';
import { binanceFaultAnswer } from './errors.ts';
import { UsdmExchange } from './exchange.ts';
import { MarketStreams } from './market-streams.ts';
import type { OrderRateLimit, RequestWeightLimit } from './request-weight.ts';
import { OrderRateWindows, RequestWeightWindow } from './request-weight.ts';
import type { RequestRecord } from './rest-api.ts';
import { handleRest } from './rest-api.ts';
import { UserDataStreams } from './user-stream.ts';
import type { TradeRecord } from './wire.ts';

export interface BinanceUsdmEmulatorOptions extends VenueEmulatorOptions {
  /** Default: BTCUSDT and ETHUSDT perpetuals with Binance's filters */
  readonly instruments?: readonly Instrument[];
  /** Every symbol's leverage at start (the margin check); default 20 */
  readonly leverage?: number;
  /** The funding rate premiumIndex and the mark price streams show; default 0.0001 */
  readonly fundingRate?: number;
  /** Seeds listenKeys; default 1 */
  readonly seed?: number;
  /** The IP request-weight limit; default Binance's, 2 400 per minute */
  readonly requestWeight?: RequestWeightLimit;
  /** The account's order-rate limits, [10 s, 1 min]; default Binance's, 300 and 1 200 */
  readonly orderRate?: readonly [OrderRateLimit, OrderRateLimit];
}

/** The emulator's user data stream is the private socket kind (`user`), its market streams the public */
export interface BinanceUsdmEmulator extends VenueEmulator<RequestRecord> {
  /**
   * Every execution the venue made, oldest first: trade id, venue order id, the order's client
   * id (ours when we placed it), side, quantity, price, fee and its currency, liquidity,
   * realized PnL, time. Unbounded (userTrades serves only the latest 100 000).
   */
  executions(): readonly TradeRecord[];
  /**
   * Every order the venue accepted, open and closed, as it stands now, oldest first: venue
   * order id, client id, status (NEW, PARTIALLY_FILLED, FILLED, CANCELED, EXPIRED), side,
   * type, quantity, price, filled quantity and average price. Refused orders never existed.
   */
  orders(): readonly SimOrderSnapshot[];
  /**
   * A liquidation order of the market (someone else's): printed on the tape and published on
   * the forceOrder streams
   */
  liquidate(symbol: string, side: Side, price: number, size: number): void;
}

const PUBLIC_PATHS = /^\/(?:(?:public|market)\/)?(ws|stream)(?:\/(.*))?$/;
/** The venue clock's beat: good-till-date expiries and the mark price streams */
const BEAT_MS = 1_000;

/**
 * Starts a local Binance USDⓈ-M venue on 127.0.0.1 that real, unmodified ccxt drives with its
 * default options: REST (`/fapi/...` and the two wallet routes ccxt loads markets with,
 * HMAC-signed, timestamp and recvWindow checked), conditional orders through the Algo Service
 * routes, the listenKey user data stream (ORDER_TRADE_UPDATE, ACCOUNT_UPDATE, ALGO_UPDATE), the
 * public streams (bookTicker, trade, aggTrade, depth, kline, ticker, markPrice, forceOrder),
 * over the sim's matching engine and ledger, with fault injection.
 * @throws Error when the port cannot be bound
 */
export async function startBinanceUsdmEmulator(
  options: BinanceUsdmEmulatorOptions = {},
): Promise<BinanceUsdmEmulator> {
  const clock = options.clock ?? systemClock;
  const apiKey = options.apiKey ?? DEFAULT_API_KEY;
  const apiSecret = options.apiSecret ?? DEFAULT_API_SECRET;
  const faults = new EmulatorFaults(clock, binanceFaultAnswer);
  const exchange = new UsdmExchange({
    instruments: options.instruments ?? defaultInstruments(),
    balances: options.balances ?? defaultBalances(),
    ...(options.leverage === undefined ? {} : { leverage: options.leverage }),
    ...(options.fundingRate === undefined ? {} : { fundingRate: options.fundingRate }),
  });
  const users = new UserDataStreams(clock, createRandom(options.seed ?? 1), faults);
  const markets = new MarketStreams(
    () => clock.now(),
    () => exchange.listMarkets(),
    {
      markPrice: (symbol) => exchange.markPrice(symbol),
      fundingRate: exchange.fundingRate,
      nextFundingTime: (now) => exchange.nextFundingTime(now),
    },
  );
  exchange.onMarketChange((change) => markets.publish(change));
  const requests: RequestRecord[] = [];
  const deliver = (pushes: readonly Record<string, unknown>[]) => {
    for (const push of pushes) users.push(push);
  };
  faults.bind({
    dropSockets(kind: StreamKind, code: number | undefined) {
      let dropped = 0;
      if (kind !== 'market') dropped += users.dropAll(code);
      if (kind !== 'user') dropped += markets.dropAll(code);
      return dropped;
    },
    expireListenKeys: () => users.expireAll(),
  });

  const resolveSymbol = (symbol: string): string => {
    const found = exchange.instruments.find((i) => matchesSymbol(i, symbol));
    return found?.venueSymbol ?? symbol;
  };
  const { setQuote, setBook, printTrade } = marketSetters(exchange, resolveSymbol, deliver, clock);
  const liquidate = (symbol: string, side: Side, price: number, size: number) =>
    deliver(exchange.liquidate(resolveSymbol(symbol), side, price, size, clock.now()));
  let beat: Timer | undefined;
  const tick = () => {
    deliver(exchange.expireDue(clock.now()));
    markets.tick();
    beat = clock.setTimer(BEAT_MS, tick);
  };
  beat = clock.setTimer(BEAT_MS, tick);

  const context = {
    exchange,
    users,
    faults,
    credentials: { apiKey, apiSecret },
    clock,
    requests,
    weights: new RequestWeightWindow(options.requestWeight),
    orderRate: new OrderRateWindows(options.orderRate),
    deliver,
  };
  const control = {
    faults,
    setQuote,
    printTrade,
    liquidate,
    state: () => ({
      openOrders: exchange.openOrders(undefined),
      positions: exchange.positions().map((p) => ({
        symbol: p.instrument.venueSymbol,
        positionSide: p.positionSide,
        quantity: p.quantity,
        averagePrice: p.averagePrice,
        unrealizedPnl: p.unrealizedPnl,
      })),
      balances: exchange.venue.getBalances(),
      executions: exchange.allExecutions().length,
    }),
    orders: () =>
      exchange.allOrders().map((o) => ({
        orderId: o.orderId,
        clientId: o.clientId,
        symbol: o.instrument.venueSymbol,
        side: o.side,
        type: o.type,
        timeInForce: o.timeInForce,
        quantity: o.quantity,
        price: o.price,
        reduceOnly: o.reduceOnly,
        status: o.status,
        filled: o.filled,
        averagePrice: o.averagePrice,
        createdAt: o.createdAt,
        updatedAt: o.updatedAt,
      })),
    executions: () =>
      exchange.allExecutions().map((t) => ({
        id: t.id,
        orderId: t.orderId,
        clientId: t.clientId,
        symbol: t.instrument.venueSymbol,
        side: t.side,
        price: t.price,
        quantity: t.quantity,
        fee: t.fee,
        feeCurrency: t.feeCurrency,
        liquidity: t.liquidity,
        realizedPnl: t.realizedPnl,
        time: t.time,
      })),
  };

  const server = await startVenueServer(
    {
      faults,
      control,
      rest: (request, response) => handleRest(context, request, response),
      failure: (error) => ({ code: -1000, msg: error.message }),
      upgrade(url, socket, accept) {
        const path = url.pathname;
        let listenKey: string | undefined;
        if (path === '/private/ws' || path === '/ws/private')
          listenKey = url.searchParams.get('listenKey') ?? '';
        const publicMatch = PUBLIC_PATHS.exec(path);
        if (listenKey === undefined && publicMatch?.[1] === 'ws' && publicMatch[2] !== undefined) {
          const tail = publicMatch[2];
          if (users.accepts(tail)) listenKey = tail;
        }
        if (listenKey !== undefined) {
          if (!users.accepts(listenKey)) {
            refuseUpgrade(socket, '400 Bad Request');
            return;
          }
          const key = listenKey;
          accept((ws) => users.attach(ws, key));
          return;
        }
        if (publicMatch === null) {
          refuseUpgrade(socket, '404 Not Found');
          return;
        }
        const combined = publicMatch[1] === 'stream';
        const streams = combined
          ? (url.searchParams.get('streams') ?? '').split('/')
          : /^\d*$/.test(publicMatch[2] ?? '')
            ? []
            : (publicMatch[2] ?? '').split('/');
        accept((ws) => markets.attach(ws, streams, combined));
      },
    },
    options.port,
  );
  const port = server.port;

  const replay = replayOnto(
    options.feed,
    exchange.instruments,
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
    instruments: exchange.instruments,
    faults,
    requests,
    pushes: users.log,
    executions: () => exchange.allExecutions(),
    orders: () => exchange.allOrders(),
    injectFrames: (kind, frames) =>
      kind === 'user' ? users.sendRaw(frames) : markets.sendRaw(frames),
    connections: () => ({
      user: users.connections,
      market: markets.connections,
      openUser: users.openSockets,
    }),
    setQuote,
    setBook,
    printTrade,
    liquidate,
    replayDone: replay?.done ?? Promise.resolve(),
    close() {
      closed ??= (async () => {
        beat?.cancel();
        await replay?.stop();
        users.close();
        markets.close();
        await server.close();
      })();
      return closed;
    },
  };
}
