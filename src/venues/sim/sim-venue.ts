import type { Balance } from '../../core/balance.ts';
import { BoundedMap } from '../../core/bounded-map.ts';
import type { Liquidity } from '../../core/fill.ts';
import { accountingCurrency, scheduleFee } from '../../core/fill.ts';
import type { Instrument } from '../../core/instrument.ts';
import { isDerivative, snapPrice, snapSize } from '../../core/instrument.ts';
import type { BookSnapshot, Quote, Trade } from '../../core/market-data.ts';
import { formatDecimal, isOnStep, money } from '../../core/numeric.ts';
import type { OrderType, Side, TimeInForce } from '../../core/order.ts';
import { ORDER_TYPES, SIDES, TIMES_IN_FORCE } from '../../core/order.ts';
import type { MutablePosition, Position } from '../../core/position.ts';
import { bookExecution, createPosition, markPosition } from '../../core/position.ts';
import type { Execution, PositionSide, SimOrder, SimOrderStatus } from './matching-engine.ts';
import { MatchingEngine, remaining } from './matching-engine.ts';

export type { PositionSide } from './matching-engine.ts';

/**
 * Reason codes the simulated venue answers with. They follow Binance USDⓈ-M, so the sim, the
 * Binance emulator and the real venue speak the same language.
 */
export const SIM_CODES = {
  UNKNOWN_SYMBOL: { code: '-1121', message: 'Invalid symbol.' },
  MANDATORY_PARAMETER: {
    code: '-1102',
    message: 'Mandatory parameter was not sent, was empty/null, or malformed.',
  },
  INVALID_PARAMETER: { code: '-1130', message: 'Data sent for parameter is not valid.' },
  QUANTITY_NOT_POSITIVE: { code: '-4003', message: 'Quantity less than or equal to zero.' },
  QUANTITY_BELOW_MINIMUM: { code: '-4004', message: 'Quantity less than min quantity.' },
  QUANTITY_OFF_STEP: { code: '-4023', message: 'Qty not increased by step size.' },
  PRICE_NOT_POSITIVE: { code: '-4001', message: 'Price less than 0.' },
  PRICE_OFF_TICK: { code: '-4014', message: 'Price not increased by tick size.' },
  PRECISION: { code: '-1111', message: 'Precision is over the maximum defined for this asset.' },
  MIN_NOTIONAL: { code: '-4164', message: "Order's notional must be no smaller than" },
  POST_ONLY_WOULD_CROSS: {
    code: '-5022',
    message:
      'Due to the order could not be executed as maker, the Post Only order will be rejected.',
  },
  REDUCE_ONLY_REJECTED: { code: '-2022', message: 'ReduceOnly Order is rejected.' },
  INSUFFICIENT_MARGIN: { code: '-2019', message: 'Margin is insufficient.' },
  INSUFFICIENT_BALANCE: {
    code: '-2010',
    message: 'Account has insufficient balance for requested action.',
  },
  WOULD_TRIGGER: { code: '-2021', message: 'Order would immediately trigger.' },
  DUPLICATE_CLIENT_ID: { code: '-4116', message: 'ClientOrderId is duplicated.' },
  NO_LIQUIDITY: { code: '-2020', message: 'Unable to fill.' },
  FOK_NOT_FILLABLE: {
    code: '-5021',
    message:
      'Due to the order could not be filled immediately, the FOK order has been rejected. The order will not be recorded in the order history',
  },
  POSITION_SIDE_MISMATCH: {
    code: '-4061',
    message: "Order's position side does not match user's setting.",
  },
  UNKNOWN_ORDER: { code: '-2011', message: 'Unknown order sent.' },
  NOT_AMENDABLE: { code: '-5025', message: 'Only limit order is supported.' },
} as const;

export type SimCode = keyof typeof SIM_CODES;

/**
 * Where venues differ in how orders end. The defaults are the sim's own; a venue emulator sets
 * its venue's (Binance: EXPIRED remainders, FOK refused with -5021, a market order on an empty
 * book accepted and expired).
 */
export interface SimRules {
  /** How the unfilled rest of an IOC, FOK or market order ends */
  readonly unfilledRemainder: 'CANCELED' | 'EXPIRED';
  /** A FOK that cannot fill in full: accepted and then ended (`close`), or refused (`refuse`) */
  readonly fillOrKill: 'close' | 'refuse';
  /** A market order with no book to trade against: refused (`refuse`) or accepted and ended */
  readonly marketWithoutLiquidity: 'refuse' | 'close';
}

const DEFAULT_RULES: SimRules = {
  unfilledRemainder: 'CANCELED',
  fillOrKill: 'close',
  marketWithoutLiquidity: 'refuse',
};

/** One-way: one position per instrument; hedge: a LONG and a SHORT position per instrument */
export type PositionMode = 'ONE_WAY' | 'HEDGE';

/** A venue position, with the side it is in hedge mode (`BOTH` in one-way mode) */
export type SimPosition = Position & { readonly positionSide: PositionSide | 'BOTH' };

/** An order as a venue report shows it: a copy, frozen at the report */
export type SimOrderSnapshot = Readonly<SimOrder> & { readonly averagePrice: number };

export type SimReport =
  | { readonly type: 'accepted'; readonly order: SimOrderSnapshot; readonly time: number }
  | {
      readonly type: 'rejected';
      readonly clientId: string;
      readonly symbol: string;
      readonly code: string;
      readonly message: string;
      readonly time: number;
    }
  | {
      readonly type: 'fill';
      readonly order: SimOrderSnapshot;
      readonly tradeId: string;
      readonly quantity: number;
      readonly price: number;
      readonly liquidity: Liquidity;
      readonly fee: number;
      readonly feeCurrency: string;
      readonly realizedPnl: number;
      readonly time: number;
    }
  | {
      readonly type: 'canceled';
      readonly order: SimOrderSnapshot;
      readonly reason: string;
      readonly time: number;
    }
  | { readonly type: 'expired'; readonly order: SimOrderSnapshot; readonly time: number }
  | { readonly type: 'triggered'; readonly order: SimOrderSnapshot; readonly time: number }
  | { readonly type: 'amended'; readonly order: SimOrderSnapshot; readonly time: number }
  | {
      readonly type: 'cancelRejected';
      readonly clientId: string | undefined;
      readonly orderId: string | undefined;
      readonly code: string;
      readonly message: string;
      readonly time: number;
    }
  | {
      readonly type: 'amendRejected';
      readonly clientId: string | undefined;
      readonly orderId: string | undefined;
      readonly code: string;
      readonly message: string;
      readonly time: number;
    };

/** A new order as the venue receives it: raw, possibly malformed */
export interface SimOrderInput {
  readonly clientId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: number;
  readonly price?: number | undefined;
  readonly stopPrice?: number | undefined;
  readonly timeInForce: TimeInForce;
  readonly reduceOnly?: boolean | undefined;
  /** Required in hedge mode, refused in one-way mode */
  readonly positionSide?: PositionSide | undefined;
}

/** Names an order: by the venue's id or by the client's */
export interface SimOrderRef {
  readonly orderId?: string | undefined;
  readonly clientId?: string | undefined;
}

export interface SimVenueOptions {
  readonly exchange: string;
  readonly instruments: readonly Instrument[];
  readonly balances?: readonly Balance[];
  /** Leverage for the margin check on derivatives; default 20 */
  readonly leverage?: number;
  /** Refuse orders the account cannot margin (or pay for, on spot); default true */
  readonly checkMargin?: boolean;
  /** The first venue order id handed out; default 1 000 001 */
  readonly orderIdStart?: number;
  readonly tradeIdPrefix?: string;
  /** Terminal orders kept for status queries; default 100 000 */
  readonly historySize?: number;
  /** How orders end where venues differ; default the sim's own (see SimRules) */
  readonly rules?: Partial<SimRules>;
}

interface LedgerBalance {
  total: number;
}

const NO_REPORTS: readonly SimReport[] = [];

function snapshot(o: SimOrder): SimOrderSnapshot {
  return {
    orderId: o.orderId,
    clientId: o.clientId,
    instrument: o.instrument,
    side: o.side,
    type: o.type,
    timeInForce: o.timeInForce,
    quantity: o.quantity,
    price: o.price,
    stopPrice: o.stopPrice,
    reduceOnly: o.reduceOnly,
    positionSide: o.positionSide,
    filled: o.filled,
    notional: o.notional,
    status: o.status,
    triggered: o.triggered,
    triggerPrice: o.triggerPrice,
    seq: o.seq,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    averagePrice: o.filled > 0 ? o.notional / o.filled : 0,
  };
}

function positionKey(symbol: string, side: PositionSide | undefined): string {
  return side === undefined ? symbol : `${symbol}|${side}`;
}

function sideOfKey(key: string): PositionSide | 'BOTH' {
  if (key.endsWith('|LONG')) return 'LONG';
  if (key.endsWith('|SHORT')) return 'SHORT';
  return 'BOTH';
}

/** Which filter a quantity fails, in the venue's order of checks */
export function quantityRefusal(instrument: Instrument, quantity: number): SimCode | undefined {
  if (!(quantity > 0) || !Number.isFinite(quantity)) return 'QUANTITY_NOT_POSITIVE';
  if (!isOnStep(quantity, 10 ** -instrument.sizeDecimals, instrument.sizeDecimals))
    return 'PRECISION';
  if (quantity < instrument.minSize) return 'QUANTITY_BELOW_MINIMUM';
  if (!isOnStep(quantity, instrument.lotSize, instrument.sizeDecimals)) return 'QUANTITY_OFF_STEP';
  return undefined;
}

/** Which filter a price fails, in the venue's order of checks */
export function priceRefusal(instrument: Instrument, price: number): SimCode | undefined {
  if (!(price > 0) || !Number.isFinite(price)) return 'PRICE_NOT_POSITIVE';
  if (!isOnStep(price, 10 ** -instrument.priceDecimals, instrument.priceDecimals))
    return 'PRECISION';
  if (!isOnStep(price, instrument.tickSize, instrument.priceDecimals)) return 'PRICE_OFF_TICK';
  return undefined;
}

/**
 * A whole simulated exchange: validation with venue-style reason codes, ids, a matching engine
 * per instrument, and the venue's own ledger (positions, balances, margin). Deterministic and
 * pure: time comes in with each call and everything that happens goes out as reports, so the
 * SimBroker and the local venue emulators drive the same core.
 */
export class SimVenue {
  readonly exchange: string;
  private readonly engines = new Map<string, MatchingEngine>();
  private readonly instruments = new Map<string, Instrument>();
  private readonly live = new Map<string, SimOrder>();
  private readonly liveByClientId = new Map<string, SimOrder>();
  private readonly history: BoundedMap<string, SimOrder>;
  private readonly historyByClientId = new Map<string, string>();
  private readonly positions = new Map<string, MutablePosition>();
  private readonly ledger = new Map<string, LedgerBalance>();
  private readonly leverage: number;
  private readonly leverages = new Map<string, number>();
  private readonly rules: SimRules;
  private positionMode: PositionMode = 'ONE_WAY';
  private readonly checkMargin: boolean;
  private readonly historySize: number;
  private readonly tradeIdPrefix: string;
  private nextOrderId: number;
  private nextTradeId = 1;
  private seq = 0;
  /** Live reduce-only orders, so the check after each market event costs nothing without them */
  private reduceOnlyLive = 0;

  constructor(options: SimVenueOptions) {
    this.exchange = options.exchange;
    for (const instrument of options.instruments) {
      this.instruments.set(instrument.symbol, instrument);
      this.engines.set(instrument.symbol, new MatchingEngine(instrument));
    }
    for (const balance of options.balances ?? [])
      this.ledger.set(balance.currency, { total: balance.total });
    this.leverage = options.leverage ?? 20;
    this.rules = { ...DEFAULT_RULES, ...options.rules };
    this.checkMargin = options.checkMargin ?? true;
    this.historySize = options.historySize ?? 100_000;
    this.history = new BoundedMap(this.historySize);
    this.tradeIdPrefix = options.tradeIdPrefix ?? '';
    this.nextOrderId = options.orderIdStart ?? 1_000_001;
  }

  instrument(symbol: string): Instrument | undefined {
    return this.instruments.get(symbol);
  }

  listInstruments(): Instrument[] {
    return [...this.instruments.values()];
  }

  /** The engine of one instrument, for its market view */
  engine(symbol: string): MatchingEngine | undefined {
    return this.engines.get(symbol);
  }

  private reject(
    input: Pick<SimOrderInput, 'clientId' | 'symbol'>,
    reason: SimCode,
    time: number,
    detail?: string,
  ): SimReport[] {
    const { code, message } = SIM_CODES[reason];
    return [
      {
        type: 'rejected',
        clientId: input.clientId,
        symbol: input.symbol,
        code,
        message: detail === undefined ? message : `${message} ${detail}`,
        time,
      },
    ];
  }

  /** Validates and places a new order; returns what the venue reports, in order */
  submit(input: SimOrderInput, now: number): SimReport[] {
    const instrument = this.instruments.get(input.symbol);
    const engine = this.engines.get(input.symbol);
    if (instrument === undefined || engine === undefined)
      return this.reject(input, 'UNKNOWN_SYMBOL', now);
    if (typeof input.clientId !== 'string' || input.clientId.length === 0) {
      return this.reject(input, 'MANDATORY_PARAMETER', now, 'clientId');
    }
    if (
      !SIDES.includes(input.side) ||
      !ORDER_TYPES.includes(input.type) ||
      !TIMES_IN_FORCE.includes(input.timeInForce)
    ) {
      return this.reject(input, 'INVALID_PARAMETER', now);
    }
    if (this.liveByClientId.has(input.clientId))
      return this.reject(input, 'DUPLICATE_CLIENT_ID', now);
    if ((input.positionSide !== undefined) !== (this.positionMode === 'HEDGE'))
      return this.reject(input, 'POSITION_SIDE_MISMATCH', now);
    const quantityFault = quantityRefusal(instrument, input.quantity);
    if (quantityFault !== undefined) return this.reject(input, quantityFault, now);
    const needsPrice = input.type === 'LIMIT' || input.type === 'STOP_LIMIT';
    const needsStop = input.type === 'STOP_MARKET' || input.type === 'STOP_LIMIT';
    if (needsPrice && input.price === undefined)
      return this.reject(input, 'MANDATORY_PARAMETER', now, 'price');
    if (needsStop && input.stopPrice === undefined)
      return this.reject(input, 'MANDATORY_PARAMETER', now, 'stopPrice');
    for (const price of [
      needsPrice ? input.price : undefined,
      needsStop ? input.stopPrice : undefined,
    ]) {
      if (price === undefined) continue;
      const priceFault = priceRefusal(instrument, price);
      if (priceFault !== undefined) return this.reject(input, priceFault, now);
    }
    if (input.timeInForce === 'GTX' && input.type !== 'LIMIT')
      return this.reject(input, 'INVALID_PARAMETER', now);
    const reference = needsPrice
      ? (input.price ?? 0)
      : needsStop
        ? (input.stopPrice ?? 0)
        : this.markOf(engine);
    // In hedge mode an order against its position side closes it: reduce-only by construction
    const closing =
      (input.positionSide === 'LONG' && input.side === 'SELL') ||
      (input.positionSide === 'SHORT' && input.side === 'BUY');
    const reduceOnly = input.reduceOnly === true || closing;
    if (!reduceOnly && instrument.minNotional > 0 && Number.isFinite(reference) && reference > 0) {
      if (input.quantity * reference * instrument.contractSize < instrument.minNotional) {
        return this.reject(input, 'MIN_NOTIONAL', now, formatDecimal(instrument.minNotional));
      }
    }
    let quantity = input.quantity;
    if (reduceOnly) {
      const reducible = this.reducible(instrument, input.side, input.positionSide);
      if (reducible <= 0) return this.reject(input, 'REDUCE_ONLY_REJECTED', now);
      quantity = Math.min(quantity, reducible);
    }
    if (
      input.type === 'MARKET' &&
      !engine.hasMarket &&
      this.rules.marketWithoutLiquidity === 'refuse'
    )
      return this.reject(input, 'NO_LIQUIDITY', now);
    if (
      input.timeInForce === 'GTX' &&
      input.price !== undefined &&
      engine.crosses(input.side, input.price)
    ) {
      return this.reject(input, 'POST_ONLY_WOULD_CROSS', now);
    }
    if (
      input.timeInForce === 'FOK' &&
      !needsStop &&
      this.rules.fillOrKill === 'refuse' &&
      engine.fillable(input.side, needsPrice ? input.price : undefined) < quantity
    ) {
      return this.reject(input, 'FOK_NOT_FILLABLE', now);
    }
    if (
      needsStop &&
      input.stopPrice !== undefined &&
      engine.wouldTrigger(input.side, input.stopPrice)
    ) {
      return this.reject(input, 'WOULD_TRIGGER', now);
    }
    if (!reduceOnly && this.checkMargin) {
      const shortfall = this.marginShortfall(instrument, input.side, quantity, reference);
      if (shortfall !== undefined) return this.reject(input, shortfall, now);
    }

    const order: SimOrder = {
      orderId: String(this.nextOrderId++),
      clientId: input.clientId,
      instrument,
      side: input.side,
      type: input.type,
      timeInForce: input.type === 'MARKET' ? 'IOC' : input.timeInForce,
      quantity,
      price: needsPrice ? input.price : undefined,
      stopPrice: needsStop ? input.stopPrice : undefined,
      reduceOnly,
      positionSide: input.positionSide,
      filled: 0,
      notional: 0,
      status: 'NEW',
      triggered: false,
      triggerPrice: undefined,
      seq: this.seq++,
      createdAt: now,
      updatedAt: now,
    };
    this.live.set(order.orderId, order);
    this.liveByClientId.set(order.clientId, order);
    if (order.reduceOnly) this.reduceOnlyLive += 1;
    const reports: SimReport[] = [{ type: 'accepted', order: snapshot(order), time: now }];
    if (needsStop) {
      engine.arm(order);
      return reports;
    }
    this.work(engine, order, now, reports);
    return reports;
  }

  /** Lets a (new or just triggered) order take what it can, then rest, or close its remainder */
  private work(engine: MatchingEngine, order: SimOrder, now: number, reports: SimReport[]): void {
    const marketable =
      order.type === 'MARKET' ||
      order.type === 'STOP_MARKET' ||
      engine.crosses(order.side, order.price ?? 0);
    const ending = this.rules.unfilledRemainder;
    if (
      order.timeInForce === 'FOK' &&
      engine.fillable(order.side, order.price) < remaining(order)
    ) {
      this.close(order, ending, now, reports, 'FOK order could not be filled in full');
      return;
    }
    if (marketable) this.book(engine.take(order, this.cap), now, reports);
    if (remaining(order) <= 0) return;
    if (order.type === 'MARKET' || order.type === 'STOP_MARKET') {
      this.close(order, ending, now, reports, 'no more liquidity at the touch');
    } else if (order.timeInForce === 'IOC' || order.timeInForce === 'FOK') {
      this.close(order, ending, now, reports, 'IOC remainder');
    } else {
      engine.rest(order);
    }
  }

  private readonly cap = (order: SimOrder, quantity: number): number => {
    if (!order.reduceOnly) return quantity;
    return Math.min(quantity, this.reducible(order.instrument, order.side, order.positionSide));
  };

  /** How much an order on `side` can reduce the position it works on */
  private reducible(
    instrument: Instrument,
    side: Side,
    positionSide: PositionSide | undefined,
  ): number {
    const held = this.positions.get(positionKey(instrument.symbol, positionSide))?.quantity ?? 0;
    if (side === 'BUY' && held < 0) return -held;
    if (side === 'SELL' && held > 0) return held;
    return 0;
  }

  /** The leverage of an instrument: set per symbol, else the venue's */
  private leverageOf(instrument: Instrument): number {
    return this.leverages.get(instrument.symbol) ?? this.leverage;
  }

  private markOf(engine: MatchingEngine): number {
    if (engine.hasMarket) return (engine.bid + engine.ask) / 2;
    return engine.last;
  }

  /** Which refusal applies, if the account cannot carry the order */
  private marginShortfall(
    instrument: Instrument,
    side: Side,
    quantity: number,
    price: number,
  ): SimCode | undefined {
    if (!Number.isFinite(price) || price <= 0) return undefined;
    if (!isDerivative(instrument)) {
      if (side === 'BUY') {
        const reserved = this.openNotional(
          (o) =>
            o.instrument.quote === instrument.quote &&
            o.side === 'BUY' &&
            !isDerivative(o.instrument),
        );
        return this.balanceOf(instrument.quote) - reserved < quantity * price
          ? 'INSUFFICIENT_BALANCE'
          : undefined;
      }
      const reserved = [...this.live.values()]
        .filter((o) => o.instrument.symbol === instrument.symbol && o.side === 'SELL')
        .reduce((sum, o) => sum + remaining(o), 0);
      return this.balanceOf(instrument.base) - reserved < quantity
        ? 'INSUFFICIENT_BALANCE'
        : undefined;
    }
    const settle = instrument.settle;
    let equity = this.balanceOf(settle);
    let used = 0;
    for (const position of this.positions.values()) {
      if (!isDerivative(position.instrument) || position.instrument.settle !== settle) continue;
      equity += position.unrealizedPnl;
      used +=
        (Math.abs(position.quantity) * position.markPrice * position.instrument.contractSize) /
        this.leverageOf(position.instrument);
    }
    used += this.openNotional(
      (o) => isDerivative(o.instrument) && o.instrument.settle === settle && !o.reduceOnly,
      true,
    );
    const needed = (quantity * price * instrument.contractSize) / this.leverageOf(instrument);
    return equity - used < needed ? 'INSUFFICIENT_MARGIN' : undefined;
  }

  /** The notional of the live orders `include` picks, or the margin they hold when `margined` */
  private openNotional(include: (order: SimOrder) => boolean, margined = false): number {
    let total = 0;
    for (const order of this.live.values()) {
      if (!include(order)) continue;
      const engine = this.engines.get(order.instrument.symbol);
      const price =
        order.price ?? order.stopPrice ?? (engine === undefined ? 0 : this.markOf(engine));
      const notional = remaining(order) * price * order.instrument.contractSize;
      total += margined ? notional / this.leverageOf(order.instrument) : notional;
    }
    return total;
  }

  private balanceOf(currency: string): number {
    return this.ledger.get(currency)?.total ?? 0;
  }

  private credit(currency: string, amount: number): void {
    if (amount === 0) return;
    let balance = this.ledger.get(currency);
    if (balance === undefined) {
      balance = { total: 0 };
      this.ledger.set(currency, balance);
    }
    balance.total = money(balance.total + amount);
  }

  /** Books executions into the ledger and reports them, closing filled orders */
  private book(executions: readonly Execution[], now: number, reports: SimReport[]): void {
    for (const { order, quantity, price, liquidity } of executions) {
      const instrument = order.instrument;
      const key = positionKey(instrument.symbol, order.positionSide);
      let position = this.positions.get(key);
      if (position === undefined) {
        position = createPosition(instrument);
        this.positions.set(key, position);
      }
      const realized = bookExecution(position, order.side, quantity, price, now);
      const fee = scheduleFee(instrument, quantity, price, liquidity);
      const feeCurrency = accountingCurrency(instrument);
      if (isDerivative(instrument)) {
        this.credit(instrument.settle, realized);
      } else {
        const direction = order.side === 'BUY' ? 1 : -1;
        this.credit(instrument.base, direction * quantity);
        this.credit(instrument.quote, -direction * quantity * price);
      }
      this.credit(feeCurrency, -fee);
      order.updatedAt = now;
      reports.push({
        type: 'fill',
        order: snapshot(order),
        tradeId: `${this.tradeIdPrefix}${this.nextTradeId++}`,
        quantity,
        price,
        liquidity,
        fee,
        feeCurrency,
        realizedPnl: realized,
        time: now,
      });
      if (order.status === 'FILLED') this.retire(order);
    }
  }

  /** Ends a live order with a terminal status and reports it */
  private close(
    order: SimOrder,
    status: 'CANCELED' | 'EXPIRED',
    now: number,
    reports: SimReport[],
    reason: string,
  ): void {
    this.engines.get(order.instrument.symbol)?.remove(order);
    order.status = status;
    order.updatedAt = now;
    this.retire(order);
    reports.push(
      status === 'CANCELED'
        ? { type: 'canceled', order: snapshot(order), reason, time: now }
        : { type: 'expired', order: snapshot(order), time: now },
    );
  }

  private retire(order: SimOrder): void {
    if (this.live.delete(order.orderId) && order.reduceOnly) this.reduceOnlyLive -= 1;
    if (this.liveByClientId.get(order.clientId) === order)
      this.liveByClientId.delete(order.clientId);
    this.history.set(order.orderId, order);
    this.historyByClientId.set(order.clientId, order.orderId);
    // The client id index only points at orders the bounded history still has
    if (this.historyByClientId.size > this.historySize * 2) {
      for (const [clientId, orderId] of this.historyByClientId) {
        if (!this.history.has(orderId)) this.historyByClientId.delete(clientId);
      }
    }
  }

  private findLive(ref: SimOrderRef): SimOrder | undefined {
    if (ref.orderId !== undefined) return this.live.get(ref.orderId);
    if (ref.clientId !== undefined) return this.liveByClientId.get(ref.clientId);
    return undefined;
  }

  /** Any order, live or recently terminal, by venue or client id */
  order(ref: SimOrderRef): SimOrderSnapshot | undefined {
    const live = this.findLive(ref);
    if (live !== undefined) return snapshot(live);
    const orderId =
      ref.orderId ??
      (ref.clientId === undefined ? undefined : this.historyByClientId.get(ref.clientId));
    const past = orderId === undefined ? undefined : this.history.get(orderId);
    if (past === undefined) return undefined;
    if (ref.clientId !== undefined && past.clientId !== ref.clientId) return undefined;
    return snapshot(past);
  }

  /** Live orders, optionally of one symbol */
  openOrders(symbol?: string): SimOrderSnapshot[] {
    const orders: SimOrderSnapshot[] = [];
    for (const order of this.live.values()) {
      if (symbol === undefined || order.instrument.symbol === symbol) orders.push(snapshot(order));
    }
    return orders;
  }

  /** Cancels a live order by venue or client id */
  cancel(ref: SimOrderRef, now: number): SimReport[] {
    const order = this.findLive(ref);
    if (order === undefined) {
      const { code, message } = SIM_CODES.UNKNOWN_ORDER;
      return [
        {
          type: 'cancelRejected',
          clientId: ref.clientId,
          orderId: ref.orderId,
          code,
          message,
          time: now,
        },
      ];
    }
    const reports: SimReport[] = [];
    this.close(order, 'CANCELED', now, reports, 'canceled by the client');
    return reports;
  }

  /** Cancels every live order, optionally of one symbol */
  cancelAll(symbol: string | undefined, now: number): SimReport[] {
    const reports: SimReport[] = [];
    for (const order of [...this.live.values()]) {
      if (symbol === undefined || order.instrument.symbol === symbol) {
        this.close(order, 'CANCELED', now, reports, 'canceled by the client');
      }
    }
    return reports;
  }

  /** Changes price and/or total quantity of a resting limit order */
  amend(
    ref: SimOrderRef,
    change: { readonly price?: number; readonly quantity?: number },
    now: number,
  ): SimReport[] {
    const order = this.findLive(ref);
    const refuse = (reason: SimCode): SimReport[] => {
      const { code, message } = SIM_CODES[reason];
      return [
        {
          type: 'amendRejected',
          clientId: ref.clientId,
          orderId: ref.orderId,
          code,
          message,
          time: now,
        },
      ];
    };
    if (order === undefined) return refuse('UNKNOWN_ORDER');
    if (order.type !== 'LIMIT') return refuse('NOT_AMENDABLE');
    const instrument = order.instrument;
    const price = change.price ?? order.price ?? 0;
    const quantity = change.quantity ?? order.quantity;
    const priceFault = priceRefusal(instrument, price);
    if (priceFault !== undefined) return refuse(priceFault);
    const quantityFault = quantityRefusal(instrument, quantity);
    if (quantityFault !== undefined) return refuse(quantityFault);
    if (quantity <= order.filled) return refuse('INVALID_PARAMETER');
    const engine = this.engines.get(instrument.symbol)!;
    if (order.timeInForce === 'GTX' && engine.crosses(order.side, price))
      return refuse('POST_ONLY_WOULD_CROSS');
    const repriced = price !== order.price || quantity > order.quantity;
    engine.remove(order);
    order.price = snapPrice(instrument, price);
    order.quantity = snapSize(instrument, quantity);
    order.updatedAt = now;
    // A new price, or more size, goes to the back of the queue
    if (repriced) order.seq = this.seq++;
    const reports: SimReport[] = [{ type: 'amended', order: snapshot(order), time: now }];
    this.work(engine, order, now, reports);
    return reports;
  }

  onQuote(quote: Quote, now: number): readonly SimReport[] {
    const engine = this.engines.get(quote.instrument.symbol);
    if (engine === undefined) return NO_REPORTS;
    return this.afterMarket(engine, engine.onQuote(quote, this.cap), now);
  }

  onTrade(trade: Trade, now: number): readonly SimReport[] {
    const engine = this.engines.get(trade.instrument.symbol);
    if (engine === undefined) return NO_REPORTS;
    return this.afterMarket(engine, engine.onTrade(trade, this.cap), now);
  }

  onBook(book: BookSnapshot, now: number): readonly SimReport[] {
    const engine = this.engines.get(book.instrument.symbol);
    if (engine === undefined) return NO_REPORTS;
    return this.afterMarket(engine, engine.onBook(book, this.cap), now);
  }

  /**
   * Books what a market event filled, marks the position, fires stops, and closes reduce-only
   * orders with nothing left to reduce. Allocates nothing when nothing happened.
   */
  private afterMarket(
    engine: MatchingEngine,
    executions: readonly Execution[],
    now: number,
  ): readonly SimReport[] {
    const symbol = engine.instrument.symbol;
    const position = this.positions.get(symbol);
    const hedged =
      this.positionMode === 'HEDGE'
        ? [
            this.positions.get(positionKey(symbol, 'LONG')),
            this.positions.get(positionKey(symbol, 'SHORT')),
          ]
        : undefined;
    let reports: SimReport[] | undefined;
    if (executions.length > 0) {
      reports = [];
      this.book(executions, now, reports);
    }
    const mark = this.markOf(engine);
    if (Number.isFinite(mark)) {
      for (const held of hedged ?? [position]) {
        if (held !== undefined && mark !== held.markPrice) markPosition(held, mark);
      }
    }
    for (const order of engine.takeTriggered()) {
      order.updatedAt = now;
      reports ??= [];
      reports.push({ type: 'triggered', order: snapshot(order), time: now });
      this.work(engine, order, now, reports);
    }
    if (this.reduceOnlyLive > 0) {
      for (const order of [...this.live.values()]) {
        if (
          order.reduceOnly &&
          order.instrument === engine.instrument &&
          this.reducible(order.instrument, order.side, order.positionSide) <= 0
        ) {
          reports ??= [];
          this.close(
            order,
            'CANCELED',
            now,
            reports,
            'reduce-only order has no position left to reduce',
          );
        }
      }
    }
    return reports ?? NO_REPORTS;
  }

  /** The venue's positions, each with its side (`BOTH` in one-way mode) */
  getPositions(): SimPosition[] {
    return [...this.positions.entries()].map(([key, p]) => ({
      ...p,
      positionSide: sideOfKey(key),
    }));
  }

  /** One position: the one-way position, or in hedge mode the `positionSide` one */
  getPosition(symbol: string, positionSide?: PositionSide): Position | undefined {
    const position = this.positions.get(positionKey(symbol, positionSide));
    return position === undefined ? undefined : { ...position };
  }

  get mode(): PositionMode {
    return this.positionMode;
  }

  /**
   * Switches between one-way and hedge positions. The venue refuses a switch while orders are
   * open or positions held, so this one does too.
   * @throws Error when an order is open or a position is held
   */
  setPositionMode(mode: PositionMode): void {
    if (mode === this.positionMode) return;
    if (this.live.size > 0 || [...this.positions.values()].some((p) => p.quantity !== 0)) {
      throw new Error('the position mode cannot change with open orders or positions');
    }
    this.positionMode = mode;
  }

  /** The leverage an instrument's margin is computed at */
  getLeverage(symbol: string): number {
    const instrument = this.instruments.get(symbol);
    return instrument === undefined ? this.leverage : this.leverageOf(instrument);
  }

  /** Sets one instrument's leverage (the margin of its positions and orders) */
  setLeverage(symbol: string, leverage: number): void {
    this.leverages.set(symbol, leverage);
  }

  /** Ends a live order as EXPIRED (a good-till-date reached), as the venue's clock decides */
  expire(ref: SimOrderRef, now: number): SimReport[] {
    const order = this.findLive(ref);
    if (order === undefined) return [];
    const reports: SimReport[] = [];
    this.close(order, 'EXPIRED', now, reports, 'good-till-date reached');
    return reports;
  }

  /** The venue's balances; free is total less margin in use (derivatives) or reserved by orders (spot) */
  getBalances(): Balance[] {
    return [...this.ledger.entries()].map(([currency, { total }]) => {
      const locked = money(Math.max(0, Math.min(total, this.lockedIn(currency))));
      return { currency, total, free: money(total - locked), locked };
    });
  }

  private lockedIn(currency: string): number {
    let locked = 0;
    for (const position of this.positions.values()) {
      const instrument = position.instrument;
      if (isDerivative(instrument) && instrument.settle === currency) {
        locked +=
          (Math.abs(position.quantity) * position.markPrice * instrument.contractSize) /
          this.leverageOf(instrument);
      }
    }
    locked += this.openNotional(
      (o) => isDerivative(o.instrument) && o.instrument.settle === currency && !o.reduceOnly,
      true,
    );
    locked += this.openNotional(
      (o) => !isDerivative(o.instrument) && o.instrument.quote === currency && o.side === 'BUY',
    );
    return locked;
  }

  /** The status a venue order is in, for callers that map it to their own words */
  static isLive(status: SimOrderStatus): boolean {
    return status === 'NEW' || status === 'PARTIALLY_FILLED';
  }
}
