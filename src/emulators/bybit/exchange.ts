import type { Balance } from '../../core/balance.ts';
import type { Instrument } from '../../core/instrument.ts';
import { createInstrument, instrumentSpec, snapSize } from '../../core/instrument.ts';
import type { Level } from '../../core/market-data.ts';
import { isOnStep, money } from '../../core/numeric.ts';
import type { Side, TimeInForce } from '../../core/order.ts';
import type { Position } from '../../core/position.ts';
import type { SimCode, SimOrderSnapshot, SimReport } from '../../venues/sim/sim-venue.ts';
import { SIM_CODES, SimVenue } from '../../venues/sim/sim-venue.ts';
import type { MarketChange, MarketState } from '../public-market.ts';
import {
  createMarketState,
  moveBook,
  recordTrade,
  snapLevels,
  snapQuote,
} from '../public-market.ts';
import type { BybitMarketSpec } from './defaults.ts';
import type { BybitError } from './errors.ts';
import { bybitError, paramsError } from './errors.ts';
import { uuidFor } from './ids.ts';
import type {
  BybitExecution,
  BybitOrder,
  BybitOrderType,
  BybitSide,
  BybitTimeInForce,
  PositionIdx,
} from './orders.ts';
import { isOpenStatus } from './orders.ts';
import { executionStreamRow, orderStreamRow, positionStreamRow, walletRow } from './wire.ts';

/** A private push: the topic and its data rows, wrapped by the stream as Bybit frames them */
export interface PrivatePush {
  readonly topic: 'order' | 'execution' | 'position' | 'wallet';
  readonly data: readonly Record<string, unknown>[];
}

/** What a venue action answers and the pushes it causes (sent after the answer) */
export interface Outcome<T> {
  readonly body: T;
  readonly pushes: readonly PrivatePush[];
}

/** A new order as the REST layer parsed it from `/v5/order/create` */
export interface NewOrder {
  readonly symbol: string;
  readonly side: BybitSide;
  readonly orderType: BybitOrderType;
  readonly qty: number;
  readonly price: number | undefined;
  readonly timeInForce: BybitTimeInForce;
  readonly orderLinkId: string;
  readonly positionIdx: PositionIdx;
  readonly reduceOnly: boolean;
  readonly closeOnTrigger: boolean;
  readonly triggerPrice: number | undefined;
  readonly triggerDirection: 1 | 2 | undefined;
  readonly triggerBy: string;
}

/** Names an order: by Bybit's order id (which wins) or the client's orderLinkId */
export interface OrderRef {
  readonly symbol: string;
  readonly orderId: string | undefined;
  readonly orderLinkId: string | undefined;
}

/** How the wire shows one position side of a symbol */
export interface PositionView {
  readonly instrument: Instrument;
  readonly positionIdx: PositionIdx;
  /** Signed: positive long */
  readonly quantity: number;
  readonly averagePrice: number;
  readonly markPrice: number;
  readonly unrealizedPnl: number;
  readonly leverage: number;
  readonly curRealisedPnl: number;
  readonly cumRealisedPnl: number;
  readonly createdTime: number;
  readonly updatedTime: number;
  readonly seq: number;
}

/** The unified account's view of one coin */
export interface CoinView {
  readonly coin: string;
  readonly walletBalance: number;
  readonly unrealisedPnl: number;
  readonly cumRealisedPnl: number;
  readonly totalPositionIM: number;
  readonly totalOrderIM: number;
  readonly totalPositionMM: number;
}

export interface BybitExchangeOptions {
  readonly markets: readonly BybitMarketSpec[];
  readonly balances: readonly Balance[];
  /** Leverage every symbol starts with; default 10 */
  readonly leverage?: number;
  /** Seeds the order and execution ids */
  readonly seed: number;
}

/** Active orders per symbol and conditional orders per symbol Bybit allows (Place Order) */
const MAX_ACTIVE_ORDERS = 500;
const MAX_CONDITIONAL_ORDERS = 10;
/** Maintenance margin rate of the first risk tier of the default markets */
const MAINTENANCE_RATE = 0.005;

interface SideLedger {
  cumRealisedPnl: number;
  curRealisedPnl: number;
  createdTime: number;
  updatedTime: number;
  seq: number;
  /** The position size before the fill being booked, to tell the closed part */
  held: number;
}

interface SimTarget {
  readonly market: BybitMarketSpec;
  readonly positionIdx: PositionIdx;
}

function toSide(side: BybitSide): Side {
  return side === 'Buy' ? 'BUY' : 'SELL';
}

function simTimeInForce(timeInForce: BybitTimeInForce): TimeInForce {
  return timeInForce === 'PostOnly' ? 'GTX' : timeInForce;
}

function isSimCode(report: { code: string; message: string }, name: SimCode): boolean {
  const entry = SIM_CODES[name];
  return report.code === entry.code && report.message.startsWith(entry.message);
}

/**
 * The Bybit venue behind the emulator's wire protocol: the sim's matching and ledger (one sim
 * instrument per symbol and position side, so hedge-mode sides book apart and share one
 * wallet) plus what Bybit keeps and checks that the sim does not: UUID order and execution
 * ids, the orderLinkId rules, per-symbol leverage and position mode, the unified account's
 * margin, the order statuses, cancel types and reject reasons of its enums, the execution
 * and order history, and the private pushes of every change.
 */
export class BybitExchange {
  readonly venue: SimVenue;
  readonly markets: readonly BybitMarketSpec[];
  private readonly bySymbol = new Map<string, BybitMarketSpec>();
  private readonly simTargets = new Map<string, SimTarget>();
  private readonly simInstruments = new Map<string, [Instrument, Instrument, Instrument]>();
  private readonly publicMarkets = new Map<string, MarketState>();
  private readonly leverages = new Map<string, number>();
  private readonly hedged = new Set<string>();
  private readonly sides = new Map<string, SideLedger>();
  private readonly orders = new Map<string, BybitOrder>();
  private readonly bySimId = new Map<string, BybitOrder>();
  private readonly byLinkId = new Map<string, BybitOrder>();
  private readonly executionLog: BybitExecution[] = [];
  /** Orders in the order they closed (filled, cancelled, deactivated) */
  private readonly closedLog: BybitOrder[] = [];
  /** Order rows going out ahead of the batch (the instantaneous Triggered status) */
  private readonly pushNow: Record<string, unknown>[] = [];
  private readonly seed: number;
  private marketListener: ((change: MarketChange) => void) | undefined;
  private nextOrder = 0;
  private nextExecution = 0;
  private crossSeq = 1_000_000;

  constructor(options: BybitExchangeOptions) {
    this.seed = options.seed;
    this.markets = options.markets;
    const simInstruments: Instrument[] = [];
    for (const market of options.markets) {
      const instrument = market.instrument;
      this.bySymbol.set(instrument.venueSymbol, market);
      this.publicMarkets.set(instrument.venueSymbol, createMarketState(instrument));
      this.leverages.set(instrument.venueSymbol, options.leverage ?? 10);
      const side = (idx: 1 | 2) =>
        createInstrument({
          ...instrumentSpec(instrument),
          symbol: `${instrument.symbol}#${idx}`,
        });
      const trio: [Instrument, Instrument, Instrument] = [instrument, side(1), side(2)];
      this.simInstruments.set(instrument.venueSymbol, trio);
      trio.forEach((simInstrument, idx) => {
        this.simTargets.set(simInstrument.symbol, { market, positionIdx: idx as PositionIdx });
        simInstruments.push(simInstrument);
      });
    }
    this.venue = new SimVenue({
      exchange: options.markets[0]?.instrument.exchange ?? 'bybit',
      instruments: simInstruments,
      balances: options.balances,
      // Bybit's margin is checked here, per symbol leverage and position side
      checkMargin: false,
    });
  }

  onMarketChange(listener: (change: MarketChange) => void): void {
    this.marketListener = listener;
  }

  /**
   * The market of a Bybit symbol.
   * @throws BybitError 10001 for a symbol the venue does not list
   */
  market(symbol: string | undefined): BybitMarketSpec {
    const market = symbol === undefined ? undefined : this.bySymbol.get(symbol);
    if (market === undefined) throw paramsError('symbol invalid');
    return market;
  }

  /** Whether the venue lists a symbol */
  lists(symbol: string): boolean {
    return this.bySymbol.has(symbol);
  }

  publicMarket(symbol: string): MarketState {
    const state = this.publicMarkets.get(this.market(symbol).instrument.venueSymbol);
    if (state === undefined) throw paramsError('symbol invalid');
    return state;
  }

  listPublicMarkets(): MarketState[] {
    return [...this.publicMarkets.values()];
  }

  leverage(symbol: string): number {
    return this.leverages.get(symbol) ?? 10;
  }

  isHedged(symbol: string): boolean {
    return this.hedged.has(symbol);
  }

  private simInstrument(symbol: string, positionIdx: PositionIdx): Instrument {
    const trio = this.simInstruments.get(symbol);
    if (trio === undefined) throw paramsError('symbol invalid');
    return trio[positionIdx];
  }

  private newOrderId(): string {
    return uuidFor(this.seed, 'order', ++this.nextOrder);
  }

  // ---- trading ----

  /**
   * Places an order as POST /v5/order/create does: Bybit's checks, then the book. What Bybit
   * accepts and then cancels (a PostOnly that would take, a FOK that cannot fill in full, a
   * market order with nothing to trade against) is answered with its id and pushed Cancelled.
   * @throws BybitError 10001 (parameters, position index), 110072 (orderLinkId used before),
   *   110017 (reduce-only with nothing to reduce), 110094 (notional), 110007 (margin),
   *   110020 / 110009 (order limits), 110092 / 110093 (trigger already passed)
   */
  submit(request: NewOrder, now: number): Outcome<Record<string, unknown>> {
    const market = this.market(request.symbol);
    const instrument = market.instrument;
    const symbol = instrument.venueSymbol;
    this.checkOrderShape(market, request);
    // In hedge mode the side and the leg say it: a Sell on the Buy leg (or a Buy on the Sell leg) closes
    const closesLeg =
      request.positionIdx !== 0 && (request.positionIdx === 1) !== (request.side === 'Buy');
    const order: NewOrder = closesLeg ? { ...request, reduceOnly: true } : request;
    if (order.orderLinkId !== '' && this.byLinkId.has(order.orderLinkId))
      throw bybitError('DUPLICATE_LINK_ID');
    const open = [...this.orders.values()].filter(
      (o) => o.instrument.venueSymbol === symbol && isOpenStatus(o.status),
    );
    const conditional = order.triggerPrice !== undefined;
    if (
      conditional &&
      open.filter((o) => o.status === 'Untriggered').length >= MAX_CONDITIONAL_ORDERS
    )
      throw bybitError('CONDITIONAL_LIMIT');
    if (!conditional && open.filter((o) => o.status !== 'Untriggered').length >= MAX_ACTIVE_ORDERS)
      throw bybitError('ACTIVE_ORDER_LIMIT');
    const simInstrument = this.simInstrument(symbol, order.positionIdx);
    const engine = this.venue.engine(simInstrument.symbol);
    const side = toSide(order.side);
    const reducible = this.reducible(simInstrument, side);
    if (order.reduceOnly && reducible <= 0) throw bybitError('REDUCE_ONLY');
    const reference = order.price ?? order.triggerPrice ?? this.touch(symbol, order.side);
    if (
      !order.reduceOnly &&
      reference !== undefined &&
      order.qty * reference * instrument.contractSize < instrument.minNotional
    )
      throw bybitError('MIN_NOTIONAL');
    if (!order.reduceOnly && !conditional && reference !== undefined) {
      const opening = Math.max(0, order.qty - reducible);
      const needed = (opening * reference * instrument.contractSize) / this.leverage(symbol);
      if (needed > this.available(instrument.settle)) throw bybitError('AVAILABLE_BALANCE');
    }
    if (conditional && order.triggerPrice !== undefined && engine !== undefined) {
      // The sim triggers a Buy on a rise and a Sell on a fall
      if (engine.wouldTrigger(side, order.triggerPrice))
        throw bybitError(order.triggerDirection === 1 ? 'TRIGGER_RISING' : 'TRIGGER_FALLING');
    }

    const record = (simOrderId: string | undefined, status: BybitOrder['status']): BybitOrder => {
      const created: BybitOrder = {
        orderId: this.newOrderId(),
        orderLinkId: order.orderLinkId,
        instrument,
        side: order.side,
        orderType: order.orderType,
        price: order.orderType === 'Limit' ? order.price : undefined,
        qty: order.qty,
        timeInForce: order.orderType === 'Market' ? 'IOC' : order.timeInForce,
        positionIdx: order.positionIdx,
        reduceOnly: order.reduceOnly,
        closeOnTrigger: order.closeOnTrigger,
        triggerPrice: order.triggerPrice,
        triggerDirection: order.triggerDirection ?? 0,
        triggerBy: conditional ? order.triggerBy : '',
        status,
        cancelType: 'UNKNOWN',
        rejectReason: 'EC_NoError',
        cumExecQty: 0,
        cumExecValue: 0,
        cumExecFee: 0,
        closedPnl: 0,
        lastPriceOnCreated: this.lastPrice(symbol),
        createdTime: now,
        updatedTime: now,
        simOrderId,
        seq: this.nextOrder,
      };
      this.orders.set(created.orderId, created);
      if (created.orderLinkId !== '') this.byLinkId.set(created.orderLinkId, created);
      if (simOrderId !== undefined) this.bySimId.set(simOrderId, created);
      return created;
    };
    const cancelledAtOnce = (reason: string): Outcome<Record<string, unknown>> => {
      const created = record(undefined, 'Cancelled');
      this.closedLog.push(created);
      created.rejectReason = reason;
      return { body: this.ack(created), pushes: [this.orderPush([created])] };
    };
    if (!conditional && engine !== undefined) {
      if (
        order.timeInForce === 'PostOnly' &&
        order.price !== undefined &&
        engine.crosses(side, order.price)
      )
        return cancelledAtOnce('EC_PostOnlyWillTakeLiquidity');
      if (order.orderType === 'Market' && !engine.hasMarket)
        return cancelledAtOnce('EC_NoImmediateQtyToFill');
      if (
        order.orderType === 'Limit' &&
        order.timeInForce === 'FOK' &&
        engine.fillable(side, order.price) <
          (order.reduceOnly ? Math.min(order.qty, reducible) : order.qty)
      )
        return cancelledAtOnce('EC_CancelForNoFullFill');
    }

    const clientId = order.orderLinkId !== '' ? order.orderLinkId : `bybit-${this.nextOrder + 1}`;
    const reports = this.venue.submit(
      {
        clientId,
        symbol: simInstrument.symbol,
        side,
        type: conditional
          ? order.orderType === 'Market'
            ? 'STOP_MARKET'
            : 'STOP_LIMIT'
          : order.orderType === 'Market'
            ? 'MARKET'
            : 'LIMIT',
        quantity: order.qty,
        price: order.orderType === 'Limit' ? order.price : undefined,
        stopPrice: order.triggerPrice,
        timeInForce: order.orderType === 'Market' ? 'IOC' : simTimeInForce(order.timeInForce),
        reduceOnly: order.reduceOnly,
      },
      now,
    );
    const first = reports[0];
    if (first === undefined) throw bybitError('SERVER_ERROR');
    if (first.type === 'rejected') throw this.refusal(first);
    if (first.type !== 'accepted') throw bybitError('SERVER_ERROR');
    const created = record(first.order.orderId, conditional ? 'Untriggered' : 'New');
    return { body: this.ack(created), pushes: this.absorb(reports, now, 'submit') };
  }

  /** Bybit's shape checks of a new order against its market, before any state is looked at */
  private checkOrderShape(market: BybitMarketSpec, order: NewOrder): void {
    const instrument = market.instrument;
    const symbol = instrument.venueSymbol;
    const hedged = this.hedged.has(symbol);
    if (!hedged && order.positionIdx !== 0)
      throw paramsError('position idx not match position mode');
    if (hedged) {
      if (order.positionIdx === 0) throw paramsError('position idx not match position mode');
      const opens = (order.positionIdx === 1) === (order.side === 'Buy');
      if (opens && order.reduceOnly) throw paramsError('position idx not match side');
    }
    const qty = order.qty;
    if (!(qty > 0)) throw paramsError('qty must be greater than 0');
    if (!isOnStep(qty, instrument.lotSize, instrument.sizeDecimals))
      throw paramsError(`qty must be a multiple of qtyStep ${instrument.lotSize}`);
    if (qty < instrument.minSize)
      throw paramsError(`qty must be at least minOrderQty ${instrument.minSize}`);
    const maxQty = order.orderType === 'Market' ? market.maxMarketOrderQty : market.maxOrderQty;
    if (qty > maxQty) throw paramsError(`qty must not exceed ${maxQty}`);
    for (const [name, value] of [
      ['price', order.orderType === 'Limit' ? order.price : undefined],
      ['triggerPrice', order.triggerPrice],
    ] as const) {
      if (value === undefined) continue;
      if (!(value >= market.minPrice && value <= market.maxPrice))
        throw paramsError(
          `${name} must be between minPrice ${market.minPrice} and maxPrice ${market.maxPrice}`,
        );
      if (!isOnStep(value, instrument.tickSize, instrument.priceDecimals))
        throw paramsError(`${name} must be a multiple of tickSize ${instrument.tickSize}`);
    }
    if (order.orderType === 'Limit' && order.price === undefined)
      throw paramsError('price is required for a Limit order');
    if (order.orderType === 'Market' && order.timeInForce === 'PostOnly')
      throw paramsError('Market order cannot be PostOnly');
    if (order.triggerPrice !== undefined) {
      if (order.triggerDirection === undefined)
        throw paramsError('triggerDirection is required for a conditional order');
      if ((order.triggerDirection === 1) !== (order.side === 'Buy'))
        throw paramsError(
          'the emulator models a conditional Buy triggered on a rise and a Sell on a fall only',
        );
    }
  }

  /** A sim refusal in Bybit's words */
  private refusal(report: { code: string; message: string }): BybitError {
    if (isSimCode(report, 'INSUFFICIENT_MARGIN') || isSimCode(report, 'INSUFFICIENT_BALANCE'))
      return bybitError('AVAILABLE_BALANCE');
    if (isSimCode(report, 'REDUCE_ONLY_REJECTED')) return bybitError('REDUCE_ONLY');
    if (isSimCode(report, 'MIN_NOTIONAL')) return bybitError('MIN_NOTIONAL');
    if (isSimCode(report, 'DUPLICATE_CLIENT_ID')) return bybitError('DUPLICATE_LINK_ID');
    if (isSimCode(report, 'UNKNOWN_ORDER')) return bybitError('ORDER_NOT_FOUND');
    return paramsError(report.message);
  }

  /**
   * The live order a request names: by orderId first, else by orderLinkId, on the symbol.
   * @throws BybitError 110001 when no live order matches
   */
  private liveOrder(ref: OrderRef): BybitOrder {
    const order = this.findOrder(ref);
    if (order === undefined || !isOpenStatus(order.status)) throw bybitError('ORDER_NOT_FOUND');
    return order;
  }

  /** Any order the venue has, open or closed, by orderId first, else by orderLinkId, on the symbol */
  findOrder(ref: OrderRef): BybitOrder | undefined {
    const order =
      ref.orderId !== undefined
        ? this.orders.get(ref.orderId)
        : ref.orderLinkId !== undefined
          ? this.byLinkId.get(ref.orderLinkId)
          : undefined;
    if (order === undefined || order.instrument.venueSymbol !== ref.symbol) return undefined;
    return order;
  }

  /**
   * Cancels as POST /v5/order/cancel does.
   * @throws BybitError 110001 for an order that does not exist or is no longer open
   */
  cancel(ref: OrderRef, now: number): Outcome<Record<string, unknown>> {
    const order = this.liveOrder(ref);
    return { body: this.ack(order), pushes: this.cancelOrders([order], now) };
  }

  /** Cancels every open order of a symbol, base coin or settle coin, as POST /v5/order/cancel-all does */
  cancelAll(
    match: (order: BybitOrder) => boolean,
    now: number,
  ): Outcome<{ list: Record<string, unknown>[]; success: string }> {
    const targets = [...this.orders.values()]
      .filter((o) => isOpenStatus(o.status) && match(o))
      .slice(0, MAX_ACTIVE_ORDERS);
    return {
      body: { list: targets.map((o) => this.ack(o)), success: '1' },
      pushes: this.cancelOrders(targets, now),
    };
  }

  private cancelOrders(targets: readonly BybitOrder[], now: number): PrivatePush[] {
    const reports: SimReport[] = [];
    for (const order of targets) {
      if (order.simOrderId === undefined) continue;
      reports.push(...this.venue.cancel({ orderId: order.simOrderId }, now));
    }
    return this.absorb(reports, now, 'user');
  }

  /**
   * Amends quantity and/or price of an open order as POST /v5/order/amend does (same ids).
   * @throws BybitError 110001 (no such open order), 10001 (nothing changes, a bad price or
   *   quantity), 110064 (quantity not above what is filled)
   */
  amend(
    ref: OrderRef,
    change: {
      readonly qty: number | undefined;
      readonly price: number | undefined;
      readonly triggerPrice: number | undefined;
    },
    now: number,
  ): Outcome<Record<string, unknown>> {
    const order = this.liveOrder(ref);
    const market = this.market(ref.symbol);
    const instrument = market.instrument;
    const qty = change.qty ?? order.qty;
    const price = change.price ?? order.price;
    if (
      qty === order.qty &&
      price === order.price &&
      (change.triggerPrice ?? order.triggerPrice) === order.triggerPrice
    )
      throw paramsError(
        'The order remains unchanged as the parameters entered match the existing ones.',
      );
    if (change.triggerPrice !== undefined && order.status !== 'Untriggered')
      throw paramsError('triggerPrice can only be amended on an untriggered conditional order');
    if (change.triggerPrice !== undefined)
      throw paramsError('the emulator does not model amending a trigger price');
    if (
      !(qty > 0) ||
      !isOnStep(qty, instrument.lotSize, instrument.sizeDecimals) ||
      qty < instrument.minSize
    )
      throw paramsError(
        `qty must be a multiple of qtyStep ${instrument.lotSize} and at least ${instrument.minSize}`,
      );
    if (qty <= order.cumExecQty) throw bybitError('QTY_NOT_ABOVE_FILLED');
    if (change.price !== undefined && order.orderType !== 'Limit')
      throw paramsError('price can only be amended on a Limit order');
    if (
      price !== undefined &&
      (!(price >= market.minPrice && price <= market.maxPrice) ||
        !isOnStep(price, instrument.tickSize, instrument.priceDecimals))
    )
      throw paramsError(
        `price must be a multiple of tickSize ${instrument.tickSize} within the price limits`,
      );
    if (order.simOrderId === undefined) throw bybitError('ORDER_NOT_FOUND');
    const reports = this.venue.amend(
      { orderId: order.simOrderId },
      {
        ...(change.qty === undefined ? {} : { quantity: qty }),
        ...(change.price === undefined || price === undefined ? {} : { price }),
      },
      now,
    );
    const first = reports[0];
    if (first === undefined) throw bybitError('SERVER_ERROR');
    if (first.type === 'amendRejected') {
      if (isSimCode(first, 'UNKNOWN_ORDER')) throw bybitError('ORDER_NOT_FOUND');
      if (isSimCode(first, 'POST_ONLY_WOULD_CROSS'))
        throw paramsError('the amended PostOnly order would take liquidity');
      throw this.refusal(first);
    }
    return { body: this.ack(order), pushes: this.absorb(reports, now, 'amend') };
  }

  private ack(order: BybitOrder): Record<string, unknown> {
    return { orderId: order.orderId, orderLinkId: order.orderLinkId };
  }

  // ---- queries ----

  /** Every order the venue accepted, oldest first */
  allOrders(): readonly BybitOrder[] {
    return [...this.orders.values()];
  }

  /** The latest `count` orders to close, newest first (what /v5/order/realtime keeps) */
  recentlyClosed(count: number): BybitOrder[] {
    if (this.closedLog.length > count * 4) this.closedLog.splice(0, this.closedLog.length - count);
    return this.closedLog.slice(-count).reverse();
  }

  /** Every execution the venue made, oldest first */
  allExecutions(): readonly BybitExecution[] {
    return this.executionLog;
  }

  /** The positions of a symbol: one in one-way mode, both sides in hedge mode (flat ones included) */
  positionsOf(symbol: string): PositionView[] {
    const instrument = this.market(symbol).instrument;
    const sides: PositionIdx[] = this.hedged.has(instrument.venueSymbol) ? [1, 2] : [0];
    return sides.map((idx) => this.positionView(instrument, idx));
  }

  /** Every open position (size above zero), by symbol and side */
  openPositions(): PositionView[] {
    const views: PositionView[] = [];
    for (const market of this.markets)
      for (const view of this.positionsOf(market.instrument.venueSymbol))
        if (view.quantity !== 0) views.push(view);
    return views;
  }

  private positionView(instrument: Instrument, idx: PositionIdx): PositionView {
    const simInstrument = this.simInstrument(instrument.venueSymbol, idx);
    const position: Position | undefined = this.venue.getPosition(simInstrument.symbol);
    const ledger = this.sides.get(simInstrument.symbol);
    const mark = this.markPrice(instrument.venueSymbol) ?? position?.markPrice ?? 0;
    const quantity = position?.quantity ?? 0;
    return {
      instrument,
      positionIdx: idx,
      quantity,
      averagePrice: quantity === 0 ? 0 : (position?.averagePrice ?? 0),
      markPrice: mark,
      unrealizedPnl:
        quantity === 0
          ? 0
          : money((mark - (position?.averagePrice ?? 0)) * quantity * instrument.contractSize),
      leverage: this.leverage(instrument.venueSymbol),
      curRealisedPnl: ledger?.curRealisedPnl ?? 0,
      cumRealisedPnl: ledger?.cumRealisedPnl ?? 0,
      createdTime: ledger?.createdTime ?? 0,
      updatedTime: ledger?.updatedTime ?? 0,
      seq: ledger?.seq ?? -1,
    };
  }

  /** The unified account, per coin: wallet, unrealized PnL, margins in use */
  coins(): CoinView[] {
    return this.venue.getBalances().map((balance) => {
      const positions = this.openPositions().filter(
        (p) => p.instrument.settle === balance.currency,
      );
      let positionIM = 0;
      let positionMM = 0;
      let upl = 0;
      let cum = 0;
      for (const p of positions) {
        const value = Math.abs(p.quantity) * p.markPrice * p.instrument.contractSize;
        positionIM += value / p.leverage;
        positionMM += value * MAINTENANCE_RATE;
        upl += p.unrealizedPnl;
      }
      for (const [key, ledger] of this.sides) {
        if (this.simTargets.get(key)?.market.instrument.settle === balance.currency)
          cum += ledger.cumRealisedPnl;
      }
      return {
        coin: balance.currency,
        walletBalance: balance.total,
        unrealisedPnl: money(upl),
        cumRealisedPnl: money(cum),
        totalPositionIM: money(positionIM),
        totalOrderIM: money(this.orderMargin(balance.currency)),
        totalPositionMM: money(positionMM),
      };
    });
  }

  /** Margin held by open (triggered) orders that open position, per their symbol's leverage */
  private orderMargin(currency: string): number {
    let total = 0;
    for (const order of this.orders.values()) {
      if (order.status !== 'New' && order.status !== 'PartiallyFilled') continue;
      if (order.reduceOnly || order.instrument.settle !== currency) continue;
      const price = order.price ?? this.touch(order.instrument.venueSymbol, order.side) ?? 0;
      total +=
        ((order.qty - order.cumExecQty) * price * order.instrument.contractSize) /
        this.leverage(order.instrument.venueSymbol);
    }
    return total;
  }

  /** What the account can still commit in a coin: equity less the margins in use */
  private available(currency: string): number {
    const coin = this.coins().find((c) => c.coin === currency);
    if (coin === undefined) return 0;
    return coin.walletBalance + coin.unrealisedPnl - coin.totalPositionIM - coin.totalOrderIM;
  }

  private reducible(simInstrument: Instrument, side: Side): number {
    const held = this.venue.getPosition(simInstrument.symbol)?.quantity ?? 0;
    if (side === 'BUY' && held < 0) return -held;
    if (side === 'SELL' && held > 0) return held;
    return 0;
  }

  // ---- settings ----

  /**
   * Sets a symbol's leverage, as POST /v5/position/set-leverage does.
   * @throws BybitError 10001 (out of [1, max] or buy and sell differ), 110043 (unchanged)
   */
  setLeverage(symbol: string, buy: number, sell: number): Outcome<Record<string, never>> {
    const market = this.market(symbol);
    if (buy !== sell) throw paramsError('buyLeverage must be the same as sellLeverage');
    if (!(buy >= 1 && buy <= market.maxLeverage) || Math.round(buy * 100) !== buy * 100)
      throw paramsError(`leverage must be in [1, ${market.maxLeverage}] in steps of 0.01`);
    if (this.leverage(symbol) === buy) throw bybitError('LEVERAGE_NOT_MODIFIED');
    this.leverages.set(symbol, buy);
    return { body: {}, pushes: [this.positionPush(symbol)] };
  }

  /**
   * Switches position mode (0 one-way, 3 hedge) of a symbol or of every symbol of a settle
   * coin that has no position and no open order, as POST /v5/position/switch-mode does.
   * @throws BybitError 110024 (a position), 110028 (open orders), 110025 (unchanged)
   */
  switchMode(target: { readonly symbol?: string; readonly coin?: string }, hedge: boolean): void {
    const busy = (symbol: string) => ({
      position: this.positionsOf(symbol).some((p) => p.quantity !== 0),
      orders: [...this.orders.values()].some(
        (o) => o.instrument.venueSymbol === symbol && isOpenStatus(o.status),
      ),
    });
    const set = (symbol: string) => {
      if (hedge) this.hedged.add(symbol);
      else this.hedged.delete(symbol);
    };
    if (target.symbol !== undefined) {
      const symbol = this.market(target.symbol).instrument.venueSymbol;
      const state = busy(symbol);
      if (state.position) throw bybitError('MODE_POSITION');
      if (state.orders) throw bybitError('MODE_OPEN_ORDERS');
      if (this.hedged.has(symbol) === hedge) throw bybitError('MODE_NOT_MODIFIED');
      set(symbol);
      return;
    }
    for (const market of this.markets) {
      const symbol = market.instrument.venueSymbol;
      if (market.instrument.settle !== target.coin) continue;
      const state = busy(symbol);
      if (!state.position && !state.orders) set(symbol);
    }
  }

  // ---- market ----

  /** The best price on the other side for a taker on `side`, if there is a book */
  private touch(symbol: string, side: BybitSide): number | undefined {
    const state = this.publicMarkets.get(symbol);
    const level = side === 'Buy' ? state?.asks[0] : state?.bids[0];
    return level?.[0];
  }

  private lastPrice(symbol: string): number | undefined {
    const state = this.publicMarkets.get(symbol);
    return state?.trades.at(-1)?.price ?? this.markPrice(symbol);
  }

  /** The mark the emulator uses: the mid of the book, else the last print */
  markPrice(symbol: string): number | undefined {
    const state = this.publicMarkets.get(symbol);
    if (state === undefined) return undefined;
    const bid = state.bids[0]?.[0];
    const ask = state.asks[0]?.[0];
    if (bid !== undefined && ask !== undefined) return (bid + ask) / 2;
    return state.trades.at(-1)?.price;
  }

  /** A new best bid and offer: fills what it crosses on every position side, publishes the book */
  setQuote(
    symbol: string,
    bid: number,
    ask: number,
    bidSize: number,
    askSize: number,
    now: number,
  ): PrivatePush[] {
    const state = this.publicMarket(symbol);
    const instrument = state.instrument;
    const quote = snapQuote(instrument, bid, ask, bidSize, askSize);
    const reports = this.onEveryPositionSide(instrument, (simInstrument) =>
      this.venue.onQuote({ type: 'quote', instrument: simInstrument, time: now, ...quote }, now),
    );
    this.moveBook(state, [[quote.bid, quote.bidSize]], [[quote.ask, quote.askSize]], now);
    return this.absorb(reports, now, 'market');
  }

  /** A new visible book (best levels first): fills what it crosses, publishes the book */
  setBook(
    symbol: string,
    bids: readonly Level[],
    asks: readonly Level[],
    now: number,
  ): PrivatePush[] {
    const state = this.publicMarket(symbol);
    const instrument = state.instrument;
    const book = { bids: snapLevels(instrument, bids), asks: snapLevels(instrument, asks) };
    const reports = this.onEveryPositionSide(instrument, (simInstrument) =>
      this.venue.onBook({ type: 'book', instrument: simInstrument, time: now, ...book }, now),
    );
    this.moveBook(state, book.bids, book.asks, now);
    return this.absorb(reports, now, 'market');
  }

  /** A print on the tape (side = aggressor): fills resting orders it trades through, publishes it */
  printTrade(symbol: string, price: number, size: number, side: Side, now: number): PrivatePush[] {
    const state = this.publicMarket(symbol);
    const instrument = state.instrument;
    const trade = recordTrade(state, price, size, side, now);
    const reports = this.onEveryPositionSide(instrument, (simInstrument) =>
      this.venue.onTrade(
        {
          type: 'trade',
          instrument: simInstrument,
          time: now,
          price: trade.price,
          size: trade.quantity,
          side,
        },
        now,
      ),
    );
    this.marketListener?.({ kind: 'trade', state, trade });
    return this.absorb(reports, now, 'market');
  }

  /**
   * The sim's reports for a market event fed to each of the market's sim instruments, one per
   * position side (one-way, hedge buy, hedge sell), in that order
   */
  private onEveryPositionSide(
    instrument: Instrument,
    feed: (simInstrument: Instrument) => readonly SimReport[],
  ): SimReport[] {
    const reports: SimReport[] = [];
    for (const simInstrument of this.simInstruments.get(instrument.venueSymbol) ?? [])
      reports.push(...feed(simInstrument));
    return reports;
  }

  private moveBook(state: MarketState, bids: Level[], asks: Level[], now: number): void {
    const change = moveBook(state, bids, asks, now);
    if (change !== undefined) this.marketListener?.(change);
  }

  // ---- sim reports to Bybit state and pushes ----

  /**
   * Applies the sim's reports to the orders, executions and position ledgers, and returns the
   * pushes Bybit sends for them: order updates, executions, then the positions and wallet
   * they moved. `cause` says who ended an order: the client, the market, or the order's own
   * terms at submission.
   */
  private absorb(
    reports: readonly SimReport[],
    now: number,
    cause: 'submit' | 'user' | 'market' | 'amend',
  ): PrivatePush[] {
    const touchedOrders = new Map<string, BybitOrder>();
    const executions: BybitExecution[] = [];
    const touchedSymbols = new Set<string>();
    let matchSeq: number | undefined;
    for (const report of reports) {
      // Refusals and funding name no order of the book
      if (!('order' in report)) continue;
      const order = this.bySimId.get(report.order.orderId);
      if (order === undefined) continue;
      order.updatedTime = now;
      touchedOrders.set(order.orderId, order);
      touchedSymbols.add(order.instrument.venueSymbol);
      switch (report.type) {
        case 'accepted':
          break;
        case 'triggered':
          order.status = 'Triggered';
          // Triggered is instantaneous: the order works as a New order from here
          this.pushNow.push(orderStreamRow(order));
          order.status = 'New';
          break;
        case 'amended':
          order.qty = report.order.quantity;
          order.price = report.order.price;
          break;
        case 'fill': {
          matchSeq ??= ++this.crossSeq;
          executions.push(this.book(order, report, now, matchSeq));
          break;
        }
        case 'canceled':
        case 'expired':
          this.close(order, report.order, cause);
          break;
        default:
          break;
      }
    }
    const pushes: PrivatePush[] = [];
    const rows = [
      ...this.pushNow.splice(0),
      ...[...touchedOrders.values()].map((o) => orderStreamRow(o)),
    ];
    if (rows.length > 0) pushes.push({ topic: 'order', data: rows });
    if (executions.length > 0)
      pushes.push({ topic: 'execution', data: executions.map((e) => executionStreamRow(e)) });
    // Bybit sends a position message for every create, amend and cancel, and after fills
    for (const symbol of touchedSymbols) pushes.push(this.positionPush(symbol));
    if (executions.length > 0 || touchedSymbols.size > 0) pushes.push(this.walletPush());
    return pushes;
  }

  private book(
    order: BybitOrder,
    report: Extract<SimReport, { type: 'fill' }>,
    now: number,
    seq: number,
  ): BybitExecution {
    const simSymbol = report.order.instrument.symbol;
    let ledger = this.sides.get(simSymbol);
    if (ledger === undefined) {
      ledger = {
        cumRealisedPnl: 0,
        curRealisedPnl: 0,
        createdTime: now,
        updatedTime: now,
        seq,
        held: 0,
      };
      this.sides.set(simSymbol, ledger);
    }
    const signed = report.order.side === 'BUY' ? report.quantity : -report.quantity;
    const closedSize =
      ledger.held !== 0 && Math.sign(ledger.held) !== Math.sign(signed)
        ? Math.min(Math.abs(ledger.held), report.quantity)
        : 0;
    const wasFlat = ledger.held === 0;
    ledger.held = snapSize(order.instrument, ledger.held + signed);
    const net = money(report.realizedPnl - report.fee);
    ledger.curRealisedPnl = wasFlat ? net : money(ledger.curRealisedPnl + net);
    ledger.cumRealisedPnl = money(ledger.cumRealisedPnl + net);
    ledger.updatedTime = now;
    ledger.seq = seq;
    order.cumExecQty = report.order.filled;
    order.cumExecValue = money(report.order.notional);
    order.cumExecFee = money(order.cumExecFee + report.fee);
    order.closedPnl = money(order.closedPnl + net);
    order.status = report.order.status === 'FILLED' ? 'Filled' : 'PartiallyFilled';
    if (order.status === 'Filled') this.closedLog.push(order);
    const maker = report.liquidity === 'MAKER';
    const execution: BybitExecution = {
      execId: uuidFor(this.seed, 'execution', ++this.nextExecution),
      orderId: order.orderId,
      orderLinkId: order.orderLinkId,
      instrument: order.instrument,
      side: order.side,
      orderType: order.orderType,
      orderPrice: order.price,
      orderQty: order.qty,
      leavesQty: snapSize(order.instrument, Math.max(0, order.qty - order.cumExecQty)),
      execPrice: report.price,
      execQty: report.quantity,
      execFee: report.fee,
      feeRate: maker ? order.instrument.makerFee : order.instrument.takerFee,
      isMaker: maker,
      markPrice: this.markPrice(order.instrument.venueSymbol) ?? report.price,
      closedSize,
      execPnl: report.realizedPnl,
      execTime: report.time,
      stopOrderType: order.triggerDirection === 0 ? 'UNKNOWN' : 'Stop',
      seq,
      index: this.executionLog.length,
    };
    this.executionLog.push(execution);
    return execution;
  }

  private close(
    order: BybitOrder,
    snapshot: SimOrderSnapshot,
    cause: 'submit' | 'user' | 'market' | 'amend',
  ): void {
    order.cumExecQty = snapshot.filled;
    this.closedLog.push(order);
    if (order.status === 'Untriggered') {
      order.status = 'Deactivated';
      order.cancelType = cause === 'user' ? 'CancelByUser' : 'UNKNOWN';
      return;
    }
    order.status = 'Cancelled';
    if (cause === 'user') order.cancelType = 'CancelByUser';
    else if (cause === 'market' && order.reduceOnly) order.cancelType = 'CancelByReduceOnly';
    else if (order.cumExecQty === 0) order.rejectReason = 'EC_NoImmediateQtyToFill';
  }

  private orderPush(orders: readonly BybitOrder[]): PrivatePush {
    return { topic: 'order', data: orders.map((o) => orderStreamRow(o)) };
  }

  private positionPush(symbol: string): PrivatePush {
    return { topic: 'position', data: this.positionsOf(symbol).map((p) => positionStreamRow(p)) };
  }

  private walletPush(): PrivatePush {
    return { topic: 'wallet', data: [walletRow(this.coins())] };
  }
}
