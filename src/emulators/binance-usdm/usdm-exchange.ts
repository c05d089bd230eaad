import type { Balance } from '../../core/balance.ts';
import type { Instrument } from '../../core/instrument.ts';
import { createInstrument, snapPrice, snapSize } from '../../core/instrument.ts';
import type { Level } from '../../core/market-data.ts';
import type { Side } from '../../core/order.ts';
import type { Position } from '../../core/position.ts';
import type { SimOrderSnapshot, SimReport } from '../../venues/sim/sim-venue.ts';
import { SimVenue } from '../../venues/sim/sim-venue.ts';
import type { MarketChange, MarketState } from '../public-market.ts';
import { createMarketState, moveBook, recordTrade } from '../public-market.ts';
import { binanceError, verdictError } from './binance-errors.ts';
import { EMULATOR_EXCHANGE } from './defaults.ts';
import type { NewOrderParams, OrderRefParams } from './request-params.ts';
import type { MarginView, TradeRecord } from './wire.ts';
import { accountUpdate, orderJson, orderTradeUpdate } from './wire.ts';

/** A REST answer and the pushes it causes, which go out after the answer is written */
export interface Outcome<T> {
  readonly body: T;
  readonly pushes: Record<string, unknown>[];
}

export interface UsdmExchangeOptions {
  readonly instruments: readonly Instrument[];
  readonly balances: readonly Balance[];
  readonly leverage?: number;
  /** Executions kept for userTrades; default 100 000 */
  readonly tradeHistory?: number;
}

function toVenueInstrument(instrument: Instrument): Instrument {
  if (instrument.symbol === instrument.venueSymbol && instrument.exchange === EMULATOR_EXCHANGE)
    return instrument;
  return createInstrument({
    symbol: instrument.venueSymbol,
    exchange: EMULATOR_EXCHANGE,
    marketType: instrument.marketType,
    base: instrument.base,
    quote: instrument.quote,
    settle: instrument.settle,
    tickSize: instrument.tickSize,
    lotSize: instrument.lotSize,
    minSize: instrument.minSize,
    minNotional: instrument.minNotional,
    contractSize: instrument.contractSize,
    makerFee: instrument.makerFee,
    takerFee: instrument.takerFee,
  });
}

/**
 * The venue behind the emulator's wire protocol: a SimVenue (matching, ledger, Binance reason
 * codes) plus what Binance keeps that the sim does not (the execution history for userTrades,
 * the public book and tape), turning every sim report into the pushes Binance sends.
 */
export class UsdmExchange {
  readonly venue: SimVenue;
  readonly instruments: readonly Instrument[];
  readonly leverage: number;
  private readonly bySymbol = new Map<string, Instrument>();
  private readonly markets = new Map<string, MarketState>();
  private readonly executions: TradeRecord[] = [];
  /** Every execution ever booked (userTrades serves a bounded window of them) */
  private readonly executionLog: TradeRecord[] = [];
  /** The latest state of every order the venue accepted, in acceptance order */
  private readonly orderLog = new Map<string, SimOrderSnapshot>();
  private readonly tradeHistory: number;
  private marketListener: ((change: MarketChange) => void) | undefined;
  private autoIds = 0;

  constructor(options: UsdmExchangeOptions) {
    this.instruments = options.instruments.map(toVenueInstrument);
    this.leverage = options.leverage ?? 20;
    this.tradeHistory = options.tradeHistory ?? 100_000;
    this.venue = new SimVenue({
      exchange: EMULATOR_EXCHANGE,
      instruments: this.instruments,
      balances: options.balances,
      leverage: this.leverage,
    });
    for (const instrument of this.instruments) {
      this.bySymbol.set(instrument.venueSymbol, instrument);
      this.markets.set(instrument.venueSymbol, createMarketState(instrument));
    }
  }

  onMarketChange(listener: (change: MarketChange) => void): void {
    this.marketListener = listener;
  }

  /**
   * The instrument of a Binance symbol.
   * @throws BinanceHttpError -1121 for an unknown symbol
   */
  instrument(symbol: string): Instrument {
    const instrument = this.bySymbol.get(symbol.toUpperCase());
    if (instrument === undefined) throw binanceError('BAD_SYMBOL');
    return instrument;
  }

  market(symbol: string): MarketState {
    const state = this.markets.get(this.instrument(symbol).venueSymbol);
    if (state === undefined) throw binanceError('BAD_SYMBOL');
    return state;
  }

  listMarkets(): MarketState[] {
    return [...this.markets.values()];
  }

  // ---- trading ----

  /**
   * Places an order and answers as POST /fapi/v1/order does.
   * @throws BinanceHttpError the venue's verdict (-2019, -5022, -4164, -4116, -1013, ...)
   */
  submit(params: NewOrderParams, now: number): Outcome<Record<string, unknown>> {
    const instrument = this.instrument(params.symbol);
    const reports = this.venue.submit(
      {
        clientId: params.clientId ?? `autoclientid-${++this.autoIds}`,
        symbol: instrument.venueSymbol,
        side: params.side,
        type: params.type,
        quantity: params.quantity,
        price: params.price,
        timeInForce: params.timeInForce,
        reduceOnly: params.reduceOnly,
      },
      now,
    );
    const first = reports[0];
    if (first === undefined) throw binanceError('UNKNOWN');
    if (first.type === 'rejected') throw verdictError(first.code, first.message);
    if (first.type !== 'accepted') throw binanceError('UNKNOWN');
    const order =
      params.responseType === 'ACK'
        ? first.order
        : (this.latest(reports, first.order.orderId) ?? first.order);
    return { body: orderJson(order), pushes: this.toPushes(reports, now) };
  }

  /**
   * Answers GET /fapi/v1/order.
   * @throws BinanceHttpError -2013 when the venue does not know the order
   */
  query(ref: OrderRefParams): Record<string, unknown> {
    const instrument = this.instrument(ref.symbol);
    const order = this.venue.order({ orderId: ref.orderId, clientId: ref.clientId });
    if (order === undefined || order.instrument.venueSymbol !== instrument.venueSymbol) {
      throw binanceError('NO_SUCH_ORDER');
    }
    return orderJson(order);
  }

  /**
   * Cancels as DELETE /fapi/v1/order does.
   * @throws BinanceHttpError -2011 for an unknown or already closed order
   */
  cancel(ref: OrderRefParams, now: number): Outcome<Record<string, unknown>> {
    const instrument = this.instrument(ref.symbol);
    const target = this.venue.order({ orderId: ref.orderId, clientId: ref.clientId });
    if (target === undefined || target.instrument.venueSymbol !== instrument.venueSymbol) {
      throw binanceError('UNKNOWN_ORDER');
    }
    const reports = this.venue.cancel({ orderId: target.orderId }, now);
    const first = reports[0];
    if (first === undefined || first.type === 'cancelRejected') throw binanceError('UNKNOWN_ORDER');
    const order = this.latest(reports, target.orderId) ?? target;
    return { body: orderJson(order), pushes: this.toPushes(reports, now) };
  }

  /**
   * Modifies price and quantity as PUT /fapi/v1/order does.
   * @throws BinanceHttpError -2013 for an unknown order, or the venue's verdict
   */
  amend(
    ref: OrderRefParams,
    change: { readonly price: number | undefined; readonly quantity: number | undefined },
    now: number,
  ): Outcome<Record<string, unknown>> {
    const instrument = this.instrument(ref.symbol);
    const target = this.venue.order({ orderId: ref.orderId, clientId: ref.clientId });
    if (target === undefined || target.instrument.venueSymbol !== instrument.venueSymbol) {
      throw binanceError('NO_SUCH_ORDER');
    }
    const reports = this.venue.amend(
      { orderId: target.orderId },
      {
        ...(change.price === undefined ? {} : { price: change.price }),
        ...(change.quantity === undefined ? {} : { quantity: change.quantity }),
      },
      now,
    );
    const first = reports[0];
    if (first === undefined) throw binanceError('UNKNOWN');
    if (first.type === 'amendRejected') {
      if (first.code === '-2011') throw binanceError('NO_SUCH_ORDER');
      throw verdictError(first.code, first.message);
    }
    const order = this.latest(reports, target.orderId) ?? target;
    return { body: orderJson(order), pushes: this.toPushes(reports, now) };
  }

  /** Cancels every open order of a symbol, as DELETE /fapi/v1/allOpenOrders does */
  cancelAll(symbol: string, now: number): Outcome<Record<string, unknown>> {
    const instrument = this.instrument(symbol);
    const reports = this.venue.cancelAll(instrument.venueSymbol, now);
    return {
      body: { code: 200, msg: 'The operation of cancel all open order is done.' },
      pushes: this.toPushes(reports, now),
    };
  }

  openOrders(symbol: string | undefined): Record<string, unknown>[] {
    const venueSymbol = symbol === undefined ? undefined : this.instrument(symbol).venueSymbol;
    return this.venue.openOrders(venueSymbol).map(orderJson);
  }

  /** Executions of a symbol matching Binance's userTrades filters, oldest first */
  userTrades(filter: {
    readonly symbol: string;
    readonly orderId?: number | undefined;
    readonly startTime?: number | undefined;
    readonly endTime?: number | undefined;
    readonly fromId?: number | undefined;
    readonly limit?: number | undefined;
  }): TradeRecord[] {
    const instrument = this.instrument(filter.symbol);
    const limit = Math.min(1000, Math.max(1, filter.limit ?? 500));
    const matching = this.executions.filter(
      (t) =>
        t.instrument.venueSymbol === instrument.venueSymbol &&
        (filter.orderId === undefined || t.orderId === filter.orderId) &&
        (filter.startTime === undefined || t.time >= filter.startTime) &&
        (filter.endTime === undefined || t.time <= filter.endTime) &&
        (filter.fromId === undefined || t.id >= filter.fromId),
    );
    const fromStart = filter.startTime !== undefined || filter.fromId !== undefined;
    return fromStart ? matching.slice(0, limit) : matching.slice(-limit);
  }

  /** Every execution the emulator has booked, oldest first (for tests and soak comparisons) */
  allExecutions(): readonly TradeRecord[] {
    return this.executionLog;
  }

  /** Every order the venue accepted, open and closed, as it stands now, oldest first */
  allOrders(): SimOrderSnapshot[] {
    return [...this.orderLog.values()];
  }

  margins(): MarginView[] {
    const positions = this.venue.getPositions();
    return this.venue.getBalances().map((balance) => ({
      balance,
      unrealizedPnl: positions
        .filter((p) => p.instrument.settle === balance.currency)
        .reduce((sum, p) => sum + p.unrealizedPnl, 0),
    }));
  }

  positions(): Position[] {
    return this.venue.getPositions().filter((p) => p.quantity !== 0);
  }

  // ---- market ----

  /** A new best bid and offer; fills what it crosses and publishes bookTicker and depth */
  setQuote(
    symbol: string,
    bid: number,
    ask: number,
    bidSize: number,
    askSize: number,
    now: number,
  ): Record<string, unknown>[] {
    const state = this.market(symbol);
    const instrument = state.instrument;
    const quote = {
      type: 'quote' as const,
      instrument,
      time: now,
      bid: snapPrice(instrument, bid),
      bidSize: snapSize(instrument, bidSize),
      ask: snapPrice(instrument, ask),
      askSize: snapSize(instrument, askSize),
    };
    const reports = this.venue.onQuote(quote, now);
    this.moveBook(state, [[quote.bid, quote.bidSize]], [[quote.ask, quote.askSize]], now);
    return this.toPushes(reports, now);
  }

  /** A new visible book (best levels first); fills what it crosses and publishes depth */
  setBook(
    symbol: string,
    bids: readonly Level[],
    asks: readonly Level[],
    now: number,
  ): Record<string, unknown>[] {
    const state = this.market(symbol);
    const instrument = state.instrument;
    const snapLevels = (levels: readonly Level[]): Level[] =>
      levels.map(([p, s]) => [snapPrice(instrument, p), snapSize(instrument, s)] as const);
    const book = {
      type: 'book' as const,
      instrument,
      time: now,
      bids: snapLevels(bids),
      asks: snapLevels(asks),
    };
    const reports = this.venue.onBook(book, now);
    this.moveBook(state, book.bids, book.asks, now);
    return this.toPushes(reports, now);
  }

  /** A print on the tape; fills resting orders it trades through and publishes trade streams */
  printTrade(
    symbol: string,
    price: number,
    size: number,
    side: Side,
    now: number,
  ): Record<string, unknown>[] {
    const state = this.market(symbol);
    const instrument = state.instrument;
    const trade = recordTrade(
      state,
      snapPrice(instrument, price),
      snapSize(instrument, size),
      side,
      now,
    );
    const reports = this.venue.onTrade(
      { type: 'trade', instrument, time: now, price: trade.price, size: trade.quantity, side },
      now,
    );
    this.marketListener?.({ kind: 'trade', state, trade });
    return this.toPushes(reports, now);
  }

  private moveBook(state: MarketState, bids: Level[], asks: Level[], now: number): void {
    const change = moveBook(state, bids, asks, now);
    if (change !== undefined) this.marketListener?.(change);
  }

  // ---- reports to pushes ----

  private latest(reports: readonly SimReport[], orderId: string): SimOrderSnapshot | undefined {
    let found: SimOrderSnapshot | undefined;
    for (const report of reports) {
      if ('order' in report && report.order.orderId === orderId) found = report.order;
    }
    return found;
  }

  /** What Binance pushes for these sim reports: ORDER_TRADE_UPDATEs, then an ACCOUNT_UPDATE after fills */
  private toPushes(reports: readonly SimReport[], now: number): Record<string, unknown>[] {
    const pushes: Record<string, unknown>[] = [];
    const moved = new Set<string>();
    for (const report of reports) {
      if ('order' in report) this.orderLog.set(report.order.orderId, report.order);
      switch (report.type) {
        case 'accepted':
          pushes.push(orderTradeUpdate(report.order, 'NEW', report.time));
          break;
        case 'fill': {
          const trade: TradeRecord = {
            id: Number(report.tradeId),
            orderId: Number(report.order.orderId),
            clientId: report.order.clientId,
            instrument: report.order.instrument,
            side: report.order.side,
            price: report.price,
            quantity: report.quantity,
            fee: report.fee,
            feeCurrency: report.feeCurrency,
            liquidity: report.liquidity,
            realizedPnl: report.realizedPnl,
            time: report.time,
          };
          this.executions.push(trade);
          this.executionLog.push(trade);
          if (this.executions.length > this.tradeHistory) this.executions.shift();
          moved.add(report.order.instrument.venueSymbol);
          pushes.push(orderTradeUpdate(report.order, 'TRADE', report.time, trade));
          break;
        }
        case 'canceled':
          pushes.push(orderTradeUpdate(report.order, 'CANCELED', report.time));
          break;
        case 'expired':
          pushes.push(orderTradeUpdate(report.order, 'EXPIRED', report.time));
          break;
        case 'amended':
          pushes.push(orderTradeUpdate(report.order, 'AMENDMENT', report.time));
          break;
        case 'triggered':
        case 'rejected':
        case 'cancelRejected':
        case 'amendRejected':
          break;
      }
    }
    if (moved.size > 0) {
      const positions = this.venue
        .getPositions()
        .filter((p) => moved.has(p.instrument.venueSymbol));
      pushes.push(accountUpdate(this.venue.getBalances(), positions, 'ORDER', now));
    }
    return pushes;
  }
}
