import type { Balance } from '../../core/balance.ts';
import type { Instrument } from '../../core/instrument.ts';
import { createInstrument, instrumentSpec, snapPrice, snapSize } from '../../core/instrument.ts';
import type { Level } from '../../core/market-data.ts';
import type { PositionSide, Side } from '../../core/order.ts';
import type { SimOrderSnapshot, SimPosition, SimReport } from '../../venues/sim/sim-venue.ts';
import { priceRefusal, quantityRefusal, SIM_CODES, SimVenue } from '../../venues/sim/sim-venue.ts';
import type {
  MarketChange as PublicChange,
  MarketState as PublicMarket,
} from '../public-market.ts';
import {
  createMarketState,
  moveBook,
  recordTrade,
  snapLevels,
  snapQuote,
} from '../public-market.ts';
import type { AlgoOrder } from './algo-orders.ts';
import { isWaiting, meetsTrigger, triggersMarket } from './algo-orders.ts';
import { CandleSeries } from './candles.ts';
import { EMULATOR_EXCHANGE } from './defaults.ts';
import { binanceError, verdictError } from './errors.ts';
import type {
  AlgoOrderParams,
  AlgoRefParams,
  NewOrderParams,
  OrderRefParams,
} from './request-params.ts';
import type {
  FilledView,
  MarginView,
  OrderMeta,
  PositionSideName,
  PriceMatch,
  SymbolSettings,
  TradeRecord,
} from './wire.ts';
import { accountUpdate, algoOrderJson, algoUpdate, orderJson, orderTradeUpdate } from './wire.ts';

/** A liquidation order of the market, as the forceOrder streams show it */
export interface Liquidation {
  readonly side: Side;
  readonly price: number;
  readonly quantity: number;
  readonly averagePrice: number;
  readonly time: number;
}

/** One symbol's public market, with the candles its klines are built from */
export interface MarketState extends PublicMarket {
  readonly candles: CandleSeries;
}

/** What changed in the public market, for the streams to publish */
export type MarketChange =
  | (PublicChange & { readonly state: MarketState })
  | {
      readonly kind: 'liquidation';
      readonly state: MarketState;
      readonly liquidation: Liquidation;
    };

/** A REST answer and the pushes it causes, which go out after the answer is written */
export interface Outcome<T> {
  readonly body: T;
  readonly pushes: Record<string, unknown>[];
}

export interface UsdmExchangeOptions {
  readonly instruments: readonly Instrument[];
  readonly balances: readonly Balance[];
  /** Every symbol's leverage at start; default 20 */
  readonly leverage?: number;
  /** The funding rate premiumIndex and the mark price streams show; default 0.0001 (0.01 %) */
  readonly fundingRate?: number;
  /** Executions kept for userTrades; default 100 000 */
  readonly tradeHistory?: number;
}

const MAX_LEVERAGE = 125;
/** Funding settles every 8 hours, at 00:00, 08:00 and 16:00 UTC */
const FUNDING_INTERVAL_MS = 8 * 3_600_000;
/** Good-till-date orders Binance expired within this past the date (the emulator's check period) */
const NONE_FILLED: FilledView = { quantity: 0, averagePrice: 0, actualType: '' };

function toVenueInstrument(instrument: Instrument): Instrument {
  if (instrument.symbol === instrument.venueSymbol && instrument.exchange === EMULATOR_EXCHANGE)
    return instrument;
  return createInstrument({
    ...instrumentSpec(instrument),
    symbol: instrument.venueSymbol,
    exchange: EMULATOR_EXCHANGE,
  });
}

/** The `er` expire reason Binance gives an order ending EXPIRED */
function expireReason(order: SimOrderSnapshot, meta: OrderMeta | undefined): number {
  if (meta?.goodTillDate !== undefined) return 0;
  if (order.type === 'MARKET') return 9;
  return order.timeInForce === 'IOC' || order.timeInForce === 'FOK' ? 2 : 0;
}

/**
 * The venue behind the emulator's wire protocol: a SimVenue with Binance's rules (matching,
 * ledger, reason codes; IOC and market remainders EXPIRED, unfillable FOKs refused with -5021),
 * plus what Binance keeps that the sim does not: per-symbol leverage and margin type, the
 * position mode, good-till-date and priceMatch orders, the Algo Service's conditional orders,
 * the execution history for userTrades, and the public book, tape and candles. Every sim report
 * becomes the pushes Binance sends.
 */
export class UsdmExchange {
  readonly venue: SimVenue;
  readonly instruments: readonly Instrument[];
  private readonly bySymbol = new Map<string, Instrument>();
  private readonly markets = new Map<string, MarketState>();
  private readonly executions: TradeRecord[] = [];
  /** Every execution ever booked (userTrades serves a bounded window of them) */
  private readonly executionLog: TradeRecord[] = [];
  /** The latest state of every order the venue accepted, in acceptance order */
  private readonly orderLog = new Map<string, SimOrderSnapshot>();
  /** GTD and priceMatch details of the orders that have any */
  private readonly meta = new Map<string, OrderMeta>();
  private readonly marginTypes = new Map<string, 'CROSSED' | 'ISOLATED'>();
  private readonly algoOrders = new Map<number, AlgoOrder>();
  /** Triggered algo orders by the matching engine's order */
  private readonly algoByOrder = new Map<string, AlgoOrder>();
  private readonly tradeHistory: number;
  readonly fundingRate: number;
  private marketListener: ((change: MarketChange) => void) | undefined;
  private autoIds = 0;
  private nextAlgoId = 3_000_001;

  constructor(options: UsdmExchangeOptions) {
    this.instruments = options.instruments.map(toVenueInstrument);
    this.tradeHistory = options.tradeHistory ?? 100_000;
    this.fundingRate = options.fundingRate ?? 0.0001;
    this.venue = new SimVenue({
      exchange: EMULATOR_EXCHANGE,
      instruments: this.instruments,
      balances: options.balances,
      leverage: options.leverage ?? 20,
      rules: {
        unfilledRemainder: 'EXPIRED',
        fillOrKill: 'refuse',
        marketWithoutLiquidity: 'close',
      },
    });
    for (const instrument of this.instruments) {
      this.bySymbol.set(instrument.venueSymbol, instrument);
      this.markets.set(instrument.venueSymbol, {
        ...createMarketState(instrument),
        candles: new CandleSeries(),
      });
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

  // ---- account settings ----

  settings(symbol: string): SymbolSettings {
    const instrument = this.instrument(symbol);
    return {
      leverage: this.venue.getLeverage(instrument.symbol),
      marginType: this.marginTypes.get(instrument.symbol) ?? 'CROSSED',
    };
  }

  /**
   * POST /fapi/v1/leverage: 1 to 125, whole.
   * @throws BinanceHttpError -4028 for any other leverage
   */
  setLeverage(symbol: string, leverage: number): Record<string, unknown> {
    const instrument = this.instrument(symbol);
    if (!Number.isInteger(leverage) || leverage < 1 || leverage > MAX_LEVERAGE) {
      throw binanceError('INVALID_LEVERAGE', `Leverage ${leverage} is not valid`);
    }
    this.venue.setLeverage(instrument.symbol, leverage);
    return { leverage, maxNotionalValue: '250000', symbol: instrument.venueSymbol };
  }

  /**
   * POST /fapi/v1/marginType. The emulator keeps the setting (positions and symbolConfig show
   * it) but margins every position from the cross wallet.
   * @throws BinanceHttpError -4046 no change, -4047 open orders, -4048 a position
   */
  setMarginType(symbol: string, marginType: 'CROSSED' | 'ISOLATED'): Record<string, unknown> {
    const instrument = this.instrument(symbol);
    if (this.settings(symbol).marginType === marginType) throw binanceError('NO_NEED_MARGIN_TYPE');
    if (this.hasOpenOrders(instrument.symbol)) throw binanceError('MARGIN_TYPE_OPEN_ORDERS');
    if (this.hasPosition(instrument.symbol)) throw binanceError('MARGIN_TYPE_POSITION');
    this.marginTypes.set(instrument.symbol, marginType);
    return { code: 200, msg: 'success' };
  }

  get dualSidePosition(): boolean {
    return this.venue.mode === 'HEDGE';
  }

  /**
   * POST /fapi/v1/positionSide/dual: hedge (true) or one-way (false), for every symbol.
   * @throws BinanceHttpError -4059 no change, -4067 open orders, -4068 a position
   */
  setDualSidePosition(dual: boolean): Record<string, unknown> {
    if (dual === this.dualSidePosition) throw binanceError('NO_NEED_POSITION_SIDE');
    if (this.hasOpenOrders(undefined)) throw binanceError('POSITION_SIDE_OPEN_ORDERS');
    if (this.hasPosition(undefined)) throw binanceError('POSITION_SIDE_POSITION');
    this.venue.setPositionMode(dual ? 'HEDGE' : 'ONE_WAY');
    return { code: 200, msg: 'success' };
  }

  private hasOpenOrders(symbol: string | undefined): boolean {
    if (this.venue.openOrders(symbol).length > 0) return true;
    for (const order of this.algoOrders.values()) {
      if (isWaiting(order) && (symbol === undefined || order.instrument.symbol === symbol))
        return true;
    }
    return false;
  }

  private hasPosition(symbol: string | undefined): boolean {
    return this.venue
      .getPositions()
      .some((p) => p.quantity !== 0 && (symbol === undefined || p.instrument.symbol === symbol));
  }

  /**
   * The position side of an order as the sim takes it, by the account's mode.
   * @throws BinanceHttpError -4061 when the side does not match the mode, -1106 for reduceOnly
   *   sent in hedge mode
   */
  private positionSideFor(
    positionSide: PositionSideName | undefined,
    reduceOnlySent: boolean,
  ): PositionSide | undefined {
    if (this.dualSidePosition) {
      if (positionSide === undefined || positionSide === 'BOTH')
        throw binanceError('POSITION_SIDE_MISMATCH');
      if (reduceOnlySent)
        throw binanceError('PARAM_NOT_REQUIRED', "Parameter 'reduceOnly' sent when not required.");
      return positionSide;
    }
    if (positionSide === 'LONG' || positionSide === 'SHORT')
      throw binanceError('POSITION_SIDE_MISMATCH');
    return undefined;
  }

  // ---- prices ----

  /** The mark price: the mid of the book, else the last print */
  markPrice(symbol: string): number {
    const state = this.market(symbol);
    const bid = state.bids[0]?.[0];
    const ask = state.asks[0]?.[0];
    if (bid !== undefined && ask !== undefined) return snapPrice(state.instrument, (bid + ask) / 2);
    return state.trades.at(-1)?.price ?? 0;
  }

  /** The contract (last) price: the last print, else the mark */
  lastPrice(symbol: string): number {
    return this.market(symbol).trades.at(-1)?.price ?? this.markPrice(symbol);
  }

  /** The next funding settlement, ms */
  nextFundingTime(now: number): number {
    return (Math.floor(now / FUNDING_INTERVAL_MS) + 1) * FUNDING_INTERVAL_MS;
  }

  /**
   * The price priceMatch takes from the book: OPPONENT the best opposite price, QUEUE the best
   * of the order's own side, the _5/_10/_20 variants that many levels deep (the deepest level
   * there is when the book is shallower).
   * @throws BinanceHttpError -5041 when that side of the book is empty
   */
  private matchedPrice(state: MarketState, side: Side, match: PriceMatch): number {
    const [kind, depthText] = match.split('_');
    const own = side === 'BUY' ? state.bids : state.asks;
    const opposite = side === 'BUY' ? state.asks : state.bids;
    const levels = kind === 'QUEUE' ? own : opposite;
    const depth = depthText === undefined ? 1 : Number(depthText);
    const level = levels[Math.min(depth, levels.length) - 1];
    if (level === undefined) throw binanceError('NO_DEPTH');
    return level[0];
  }

  // ---- trading ----

  /**
   * Places an order and answers as POST /fapi/v1/order does.
   * @throws BinanceHttpError the venue's verdict (-2019, -5021, -5022, -4164, -4116, -4014, ...)
   */
  submit(params: NewOrderParams, now: number): Outcome<Record<string, unknown>> {
    const instrument = this.instrument(params.symbol);
    const positionSide = this.positionSideFor(params.positionSide, params.reduceOnlySent);
    const price =
      params.priceMatch === 'NONE'
        ? params.price
        : this.matchedPrice(this.market(instrument.venueSymbol), params.side, params.priceMatch);
    const reports = this.venue.submit(
      {
        clientId: params.clientId ?? `autoclientid-${++this.autoIds}`,
        symbol: instrument.venueSymbol,
        side: params.side,
        type: params.type,
        quantity: params.quantity,
        price,
        timeInForce: params.timeInForce === 'GTD' ? 'GTC' : params.timeInForce,
        reduceOnly: positionSide === undefined ? params.reduceOnly : undefined,
        positionSide,
      },
      now,
    );
    const first = reports[0];
    if (first === undefined) throw binanceError('UNKNOWN');
    if (first.type === 'rejected') throw verdictError(first.code, first.message);
    if (first.type !== 'accepted') throw binanceError('UNKNOWN');
    if (params.goodTillDate !== undefined || params.priceMatch !== 'NONE') {
      this.meta.set(first.order.orderId, {
        ...(params.goodTillDate === undefined ? {} : { goodTillDate: params.goodTillDate }),
        priceMatch: params.priceMatch,
      });
    }
    const order =
      params.responseType === 'ACK'
        ? first.order
        : (this.latest(reports, first.order.orderId) ?? first.order);
    return { body: this.orderJson(order), pushes: this.toPushes(reports, now) };
  }

  private orderJson(order: SimOrderSnapshot): Record<string, unknown> {
    return orderJson(order, this.meta.get(order.orderId));
  }

  private findOrder(
    ref: OrderRefParams,
    error: 'NO_SUCH_ORDER' | 'UNKNOWN_ORDER',
  ): SimOrderSnapshot {
    const instrument = this.instrument(ref.symbol);
    const order = this.venue.order({ orderId: ref.orderId, clientId: ref.clientId });
    if (order === undefined || order.instrument.venueSymbol !== instrument.venueSymbol) {
      throw binanceError(error);
    }
    return order;
  }

  /**
   * Answers GET /fapi/v1/order.
   * @throws BinanceHttpError -2013 when the venue does not know the order
   */
  query(ref: OrderRefParams): Record<string, unknown> {
    return this.orderJson(this.findOrder(ref, 'NO_SUCH_ORDER'));
  }

  /**
   * Cancels as DELETE /fapi/v1/order does.
   * @throws BinanceHttpError -2011 for an unknown or already closed order
   */
  cancel(ref: OrderRefParams, now: number): Outcome<Record<string, unknown>> {
    const target = this.findOrder(ref, 'UNKNOWN_ORDER');
    const reports = this.venue.cancel({ orderId: target.orderId }, now);
    const first = reports[0];
    if (first === undefined || first.type === 'cancelRejected') throw binanceError('UNKNOWN_ORDER');
    const order = this.latest(reports, target.orderId) ?? target;
    return { body: this.orderJson(order), pushes: this.toPushes(reports, now) };
  }

  /**
   * Cancels several orders of a symbol as DELETE /fapi/v1/batchOrders does: one entry per id,
   * in order, the order or `{code, msg}` where it could not be canceled.
   */
  cancelBatch(
    symbol: string,
    ids: { readonly orderIds: readonly string[]; readonly clientIds: readonly string[] },
    now: number,
  ): Outcome<unknown[]> {
    const body: unknown[] = [];
    const pushes: Record<string, unknown>[] = [];
    const refs = [
      ...ids.orderIds.map((orderId) => ({ symbol, orderId, clientId: undefined })),
      ...ids.clientIds.map((clientId) => ({ symbol, orderId: undefined, clientId })),
    ];
    for (const ref of refs) {
      try {
        const outcome = this.cancel(ref, now);
        body.push(outcome.body);
        pushes.push(...outcome.pushes);
      } catch (error) {
        if (!(error instanceof Error) || !('toBody' in error)) throw error;
        body.push((error as { toBody(): unknown }).toBody());
      }
    }
    return { body, pushes };
  }

  /**
   * Modifies price and quantity as PUT /fapi/v1/order does.
   * @throws BinanceHttpError -2013 for an unknown order, -5027 for no change, or the venue's verdict
   */
  amend(
    ref: OrderRefParams,
    change: { readonly price: number | undefined; readonly quantity: number | undefined },
    now: number,
  ): Outcome<Record<string, unknown>> {
    const target = this.findOrder(ref, 'NO_SUCH_ORDER');
    if (
      SimVenue.isLive(target.status) &&
      target.type === 'LIMIT' &&
      change.price === target.price &&
      change.quantity === target.quantity
    ) {
      throw binanceError('NO_NEED_TO_MODIFY');
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
      if (first.code === SIM_CODES.UNKNOWN_ORDER.code) throw binanceError('NO_SUCH_ORDER');
      throw verdictError(first.code, first.message);
    }
    const order = this.latest(reports, target.orderId) ?? target;
    return { body: this.orderJson(order), pushes: this.toPushes(reports, now) };
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
    return this.venue.openOrders(venueSymbol).map((o) => this.orderJson(o));
  }

  /**
   * GET /fapi/v1/allOrders: the symbol's orders, open and closed, from `orderId` on or within
   * [startTime, endTime], oldest first, at most `limit` (default 500, at most 1 000)
   */
  ordersOf(filter: {
    readonly symbol: string;
    readonly orderId?: number | undefined;
    readonly startTime?: number | undefined;
    readonly endTime?: number | undefined;
    readonly limit?: number | undefined;
  }): Record<string, unknown>[] {
    const instrument = this.instrument(filter.symbol);
    const limit = Math.min(1000, Math.max(1, filter.limit ?? 500));
    const matching = [...this.orderLog.values()].filter(
      (o) =>
        o.instrument.venueSymbol === instrument.venueSymbol &&
        (filter.orderId === undefined || Number(o.orderId) >= filter.orderId) &&
        (filter.startTime === undefined || o.createdAt >= filter.startTime) &&
        (filter.endTime === undefined || o.createdAt <= filter.endTime),
    );
    const fromStart = filter.orderId !== undefined || filter.startTime !== undefined;
    const page = fromStart ? matching.slice(0, limit) : matching.slice(-limit);
    return page.map((o) => this.orderJson(this.venue.order({ orderId: o.orderId }) ?? o));
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

  positions(): SimPosition[] {
    return this.venue.getPositions().filter((p) => p.quantity !== 0);
  }

  // ---- algo (conditional) orders ----

  /**
   * Places a conditional order as POST /fapi/v1/algoOrder does: checked like an order (filters,
   * minimum notional unless reduce-only or close-all, the position mode) and refused with -2021
   * when it would trigger at once; it then waits in the Algo Service.
   * @throws BinanceHttpError the venue's verdict
   */
  placeAlgo(params: AlgoOrderParams, now: number): Outcome<Record<string, unknown>> {
    const instrument = this.instrument(params.symbol);
    const state = this.market(instrument.venueSymbol);
    const positionSide = this.positionSideFor(params.positionSide, params.reduceOnlySent);
    const refuse = (code: keyof typeof SIM_CODES): never => {
      const { code: numeric, message } = SIM_CODES[code];
      throw verdictError(numeric, message);
    };
    if (!params.closePosition) {
      const fault = quantityRefusal(instrument, params.quantity);
      if (fault !== undefined) refuse(fault);
    }
    const price =
      params.priceMatch === 'NONE'
        ? params.price
        : this.matchedPrice(state, params.side, params.priceMatch);
    for (const value of [price, params.triggerPrice, params.activatePrice]) {
      if (value === undefined) continue;
      const fault = priceRefusal(instrument, value);
      if (fault !== undefined) refuse(fault);
    }
    const clientAlgoId = params.clientAlgoId ?? `autoalgoid-${++this.autoIds}`;
    for (const other of this.algoOrders.values()) {
      if (isWaiting(other) && other.clientAlgoId === clientAlgoId) refuse('DUPLICATE_CLIENT_ID');
    }
    const reference = price ?? params.triggerPrice ?? this.lastPrice(instrument.venueSymbol);
    const reducing = params.reduceOnly || params.closePosition || positionSide !== undefined;
    if (
      !reducing &&
      instrument.minNotional > 0 &&
      params.quantity * reference * instrument.contractSize < instrument.minNotional
    ) {
      const { code, message } = SIM_CODES.MIN_NOTIONAL;
      throw verdictError(code, `${message} ${instrument.minNotional}`);
    }
    const order: AlgoOrder = {
      algoId: this.nextAlgoId++,
      clientAlgoId,
      instrument,
      side: params.side,
      type: params.type,
      positionSide: positionSide ?? 'BOTH',
      timeInForce: params.timeInForce,
      quantity: params.quantity,
      price,
      triggerPrice: params.triggerPrice,
      workingType: params.workingType,
      reduceOnly: params.reduceOnly,
      closePosition: params.closePosition,
      priceProtect: params.priceProtect,
      priceMatch: params.priceMatch,
      goodTillDate: params.goodTillDate ?? 0,
      activatePrice: params.activatePrice,
      callbackRate: params.callbackRate,
      createTime: now,
      status: 'NEW',
      updateTime: now,
      triggerTime: 0,
      actualOrderId: '',
      rejectReason: '',
      armed: false,
      extreme: 0,
    };
    if (order.type !== 'TRAILING_STOP_MARKET' && meetsTrigger(order, this.triggerPrice(order))) {
      throw binanceError('WOULD_TRIGGER');
    }
    this.algoOrders.set(order.algoId, order);
    return {
      body: algoOrderJson(order, NONE_FILLED),
      pushes: [algoUpdate(order, NONE_FILLED, now)],
    };
  }

  private triggerPrice(order: AlgoOrder): number {
    return order.workingType === 'MARK_PRICE'
      ? this.markPrice(order.instrument.venueSymbol)
      : this.lastPrice(order.instrument.venueSymbol);
  }

  private findAlgo(ref: AlgoRefParams): AlgoOrder | undefined {
    if (ref.algoId !== undefined) {
      const order = this.algoOrders.get(ref.algoId);
      return ref.clientAlgoId === undefined || order?.clientAlgoId === ref.clientAlgoId
        ? order
        : undefined;
    }
    let found: AlgoOrder | undefined;
    for (const order of this.algoOrders.values())
      if (order.clientAlgoId === ref.clientAlgoId) found = order;
    return found;
  }

  /** What the matching engine filled of a triggered algo order */
  private filledOf(order: AlgoOrder): FilledView {
    if (order.actualOrderId === '') return NONE_FILLED;
    const actual = this.venue.order({ orderId: order.actualOrderId });
    return {
      quantity: actual?.filled ?? 0,
      averagePrice: actual?.averagePrice ?? 0,
      actualType: triggersMarket(order.type) ? 'MARKET' : 'LIMIT',
    };
  }

  /**
   * GET /fapi/v1/algoOrder.
   * @throws BinanceHttpError -2013 when no such algo order exists
   */
  queryAlgo(ref: AlgoRefParams): Record<string, unknown> {
    const order = this.findAlgo(ref);
    if (order === undefined) throw binanceError('NO_SUCH_ORDER');
    return algoOrderJson(order, this.filledOf(order));
  }

  /**
   * DELETE /fapi/v1/algoOrder: only an algo order still waiting can be canceled.
   * @throws BinanceHttpError -2011 for an unknown, triggered or ended one
   */
  cancelAlgo(ref: AlgoRefParams, now: number): Outcome<Record<string, unknown>> {
    const order = this.findAlgo(ref);
    if (order === undefined || !isWaiting(order)) throw binanceError('UNKNOWN_ORDER');
    return {
      body: { algoId: order.algoId, clientAlgoId: order.clientAlgoId, code: '200', msg: 'success' },
      pushes: [this.endAlgo(order, 'CANCELED', now)],
    };
  }

  /** DELETE /fapi/v1/algoOpenOrders: every waiting algo order of a symbol */
  cancelAllAlgo(symbol: string, now: number): Outcome<Record<string, unknown>> {
    const instrument = this.instrument(symbol);
    const pushes: Record<string, unknown>[] = [];
    for (const order of this.algoOrders.values()) {
      if (isWaiting(order) && order.instrument === instrument)
        pushes.push(this.endAlgo(order, 'CANCELED', now));
    }
    return { body: { code: 200, msg: 'The operation of cancel all open order is done.' }, pushes };
  }

  /** GET /fapi/v1/openAlgoOrders */
  openAlgoOrders(symbol: string | undefined): Record<string, unknown>[] {
    const instrument = symbol === undefined ? undefined : this.instrument(symbol);
    return [...this.algoOrders.values()]
      .filter((o) => isWaiting(o) && (instrument === undefined || o.instrument === instrument))
      .map((o) => algoOrderJson(o, NONE_FILLED));
  }

  /** GET /fapi/v1/allAlgoOrders: a symbol's algo orders in [startTime, endTime], oldest first */
  allAlgoOrders(filter: {
    readonly symbol: string;
    readonly startTime?: number | undefined;
    readonly endTime?: number | undefined;
    readonly limit?: number | undefined;
  }): Record<string, unknown>[] {
    const instrument = this.instrument(filter.symbol);
    const limit = Math.min(1000, Math.max(1, filter.limit ?? 500));
    const matching = [...this.algoOrders.values()].filter(
      (o) =>
        o.instrument === instrument &&
        (filter.startTime === undefined || o.createTime >= filter.startTime) &&
        (filter.endTime === undefined || o.createTime <= filter.endTime),
    );
    return matching.slice(-limit).map((o) => algoOrderJson(o, this.filledOf(o)));
  }

  private endAlgo(
    order: AlgoOrder,
    status: AlgoOrder['status'],
    now: number,
  ): Record<string, unknown> {
    order.status = status;
    order.updateTime = now;
    return algoUpdate(order, this.filledOf(order), now);
  }

  /**
   * Fires the waiting algo orders of a symbol whose trigger the market reached: TRIGGERING, then
   * the order placed in the matching engine under the algo order's client id (TRIGGERED, with
   * its `actualOrderId`), or REJECTED with the engine's reason
   */
  private fireAlgoOrders(
    instrument: Instrument,
    now: number,
    pushes: Record<string, unknown>[],
  ): void {
    for (const order of this.algoOrders.values()) {
      if (!isWaiting(order) || order.instrument !== instrument) continue;
      if (!meetsTrigger(order, this.triggerPrice(order))) continue;
      order.status = 'TRIGGERING';
      order.triggerTime = now;
      order.updateTime = now;
      pushes.push(algoUpdate(order, NONE_FILLED, now));
      const quantity = order.closePosition ? this.closable(order) : order.quantity;
      const positionSide = order.positionSide === 'BOTH' ? undefined : order.positionSide;
      const market = triggersMarket(order.type);
      const reports =
        quantity > 0
          ? this.venue.submit(
              {
                clientId: order.clientAlgoId,
                symbol: instrument.venueSymbol,
                side: order.side,
                type: market ? 'MARKET' : 'LIMIT',
                quantity,
                price: market ? undefined : order.price,
                timeInForce: market || order.timeInForce === 'GTD' ? 'GTC' : order.timeInForce,
                reduceOnly:
                  positionSide === undefined ? order.reduceOnly || order.closePosition : undefined,
                positionSide,
              },
              now,
            )
          : [];
      const first = reports[0];
      if (first?.type !== 'accepted') {
        order.rejectReason =
          first?.type === 'rejected' ? first.message : SIM_CODES.REDUCE_ONLY_REJECTED.message;
        pushes.push(this.endAlgo(order, 'REJECTED', now));
        continue;
      }
      order.actualOrderId = first.order.orderId;
      this.algoByOrder.set(first.order.orderId, order);
      order.status = 'TRIGGERED';
      pushes.push(algoUpdate(order, this.filledOf(order), now));
      pushes.push(...this.toPushes(reports, now));
    }
  }

  /** A close-all order's quantity: what the position it closes holds */
  private closable(order: AlgoOrder): number {
    const side = order.positionSide === 'BOTH' ? undefined : order.positionSide;
    const held = this.venue.getPosition(order.instrument.symbol, side)?.quantity ?? 0;
    return Math.max(0, order.side === 'SELL' ? held : -held);
  }

  // ---- time ----

  /**
   * What the venue's clock ends: good-till-date orders and algo orders past their date expire
   * (EXPIRED, Binance's system-side end). Returns the pushes it causes.
   */
  expireDue(now: number): Record<string, unknown>[] {
    const pushes: Record<string, unknown>[] = [];
    for (const [orderId, meta] of this.meta) {
      if (meta.goodTillDate === undefined || meta.goodTillDate > now) continue;
      const live = this.venue.order({ orderId });
      if (live === undefined || !SimVenue.isLive(live.status)) continue;
      pushes.push(...this.toPushes(this.venue.expire({ orderId }, now), now));
    }
    for (const order of this.algoOrders.values()) {
      if (isWaiting(order) && order.goodTillDate > 0 && order.goodTillDate <= now)
        pushes.push(this.endAlgo(order, 'EXPIRED', now));
    }
    return pushes;
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
      ...snapQuote(instrument, bid, ask, bidSize, askSize),
    };
    const reports = this.venue.onQuote(quote, now);
    this.moveBook(state, [[quote.bid, quote.bidSize]], [[quote.ask, quote.askSize]], now);
    return this.afterMarket(instrument, reports, now);
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
    const book = {
      type: 'book' as const,
      instrument,
      time: now,
      bids: snapLevels(instrument, bids),
      asks: snapLevels(instrument, asks),
    };
    const reports = this.venue.onBook(book, now);
    this.moveBook(state, book.bids, book.asks, now);
    return this.afterMarket(instrument, reports, now);
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
    const trade = recordTrade(state, price, size, side, now);
    state.candles.add(trade);
    const reports = this.venue.onTrade(
      { type: 'trade', instrument, time: now, price: trade.price, size: trade.quantity, side },
      now,
    );
    this.marketListener?.({ kind: 'trade', state, trade });
    return this.afterMarket(instrument, reports, now);
  }

  /**
   * A liquidation order of the market (not of this account): it prints on the tape and the
   * forceOrder streams publish it
   */
  liquidate(
    symbol: string,
    side: Side,
    price: number,
    size: number,
    now: number,
  ): Record<string, unknown>[] {
    const state = this.market(symbol);
    const liquidation: Liquidation = {
      side,
      price: snapPrice(state.instrument, price),
      quantity: snapSize(state.instrument, size),
      averagePrice: snapPrice(state.instrument, price),
      time: now,
    };
    this.marketListener?.({ kind: 'liquidation', state, liquidation });
    return this.printTrade(symbol, price, size, side, now);
  }

  /** The pushes of what a market event filled, then of the algo orders it triggered */
  private afterMarket(
    instrument: Instrument,
    reports: readonly SimReport[],
    now: number,
  ): Record<string, unknown>[] {
    const pushes = this.toPushes(reports, now);
    if (this.algoOrders.size > 0) this.fireAlgoOrders(instrument, now, pushes);
    return pushes;
  }

  private moveBook(state: MarketState, bids: Level[], asks: Level[], now: number): void {
    const change = moveBook(state, bids, asks, now);
    if (change !== undefined) this.marketListener?.({ ...change, state });
  }

  // ---- reports to pushes ----

  private latest(reports: readonly SimReport[], orderId: string): SimOrderSnapshot | undefined {
    let found: SimOrderSnapshot | undefined;
    for (const report of reports) {
      if ('order' in report && report.order.orderId === orderId) found = report.order;
    }
    return found;
  }

  /**
   * What Binance pushes for these sim reports: ORDER_TRADE_UPDATEs, an ACCOUNT_UPDATE after
   * fills, and ALGO_UPDATE FINISHED when a triggered algo order's order ends
   */
  private toPushes(reports: readonly SimReport[], now: number): Record<string, unknown>[] {
    const pushes: Record<string, unknown>[] = [];
    const moved = new Set<string>();
    const finished: AlgoOrder[] = [];
    for (const report of reports) {
      if ('order' in report) {
        this.orderLog.set(report.order.orderId, report.order);
        const algo = this.algoByOrder.get(report.order.orderId);
        if (algo !== undefined && !SimVenue.isLive(report.order.status)) {
          this.algoByOrder.delete(report.order.orderId);
          finished.push(algo);
        }
      }
      switch (report.type) {
        case 'accepted':
          pushes.push(this.update(report.order, 'NEW', report.time));
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
            positionSide: report.order.positionSide ?? 'BOTH',
            time: report.time,
          };
          this.executions.push(trade);
          this.executionLog.push(trade);
          if (this.executions.length > this.tradeHistory) this.executions.shift();
          moved.add(report.order.instrument.venueSymbol);
          pushes.push(this.update(report.order, 'TRADE', report.time, trade));
          break;
        }
        case 'canceled':
          pushes.push(this.update(report.order, 'CANCELED', report.time));
          break;
        case 'expired':
          pushes.push(this.update(report.order, 'EXPIRED', report.time));
          break;
        case 'amended':
          pushes.push(this.update(report.order, 'AMENDMENT', report.time));
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
    for (const algo of finished) pushes.push(this.endAlgo(algo, 'FINISHED', now));
    return pushes;
  }

  private update(
    order: SimOrderSnapshot,
    execution: 'NEW' | 'TRADE' | 'CANCELED' | 'EXPIRED' | 'AMENDMENT',
    time: number,
    trade?: TradeRecord,
  ): Record<string, unknown> {
    const meta = this.meta.get(order.orderId);
    const withReason =
      execution === 'EXPIRED' ? { ...meta, expireReason: expireReason(order, meta) } : meta;
    return orderTradeUpdate(order, execution, time, trade, withReason);
  }
}
