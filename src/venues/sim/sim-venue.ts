import type { Balance } from '../../core/balance.ts';
import { invalidField } from '../../core/errors.ts';
import type { Liquidity } from '../../core/fill.ts';
import { accountingCurrency, scheduleFee } from '../../core/fill.ts';
import type { Instrument } from '../../core/instrument.ts';
import { isDerivative, snapPrice, snapSize } from '../../core/instrument.ts';
import type { BookSnapshot, Quote, Trade } from '../../core/market-data.ts';
import { formatDecimal, isOnStep, money } from '../../core/numeric.ts';
import type { OrderType, PositionSide, Side, TimeInForce } from '../../core/order.ts';
import { ORDER_TYPES, SIDES, TIMES_IN_FORCE } from '../../core/order.ts';
import type { MutablePosition, Position } from '../../core/position.ts';
import { bookExecution, createPosition, markPosition } from '../../core/position.ts';
import {
  emptyObjectList,
  keepFieldsDouble,
  keepFieldsMutable,
  keepFieldsTagged,
} from '../../core/tagged-fields.ts';
import type { FundingSchedule } from './funding.ts';
import { checkFundingSchedule, FundingCursor } from './funding.ts';
import { LiveOrders } from './live-orders.ts';
import type { Execution, SimOrder, SimOrderStatus } from './matching-engine.ts';
import { MatchingEngine, remaining } from './matching-engine.ts';

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

/** An order as a venue report or query shows it: a copy, frozen when taken (see `copyOrders`) */
export type SimOrderSnapshot = Readonly<SimOrder>;

export type SimReport =
  | {
      readonly type: 'accepted';
      readonly order: SimOrderSnapshot;
      /** Why the venue placed an order of its own (`liquidation`); absent for the client's */
      readonly reason?: string | undefined;
      readonly time: number;
    }
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
      /** A funding settlement on a perpetual position: positive received, negative paid */
      readonly type: 'funding';
      readonly instrument: Instrument;
      readonly rate: number;
      readonly markPrice: number;
      /** The signed position it settled */
      readonly quantity: number;
      readonly amount: number;
      readonly fundingId: string;
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
  /**
   * Whether each report carries a copy of its order frozen at the report (default), or the
   * venue's own order, which the venue's later calls change. Without copies a caller must read
   * every report before it calls the venue again, as the SimBroker does; it saves a copy of the
   * order per report. Queries (`order`, `openOrders`) always answer with copies
   */
  readonly copyOrders?: boolean;
  /** How orders end where venues differ; default the sim's own (see SimRules) */
  readonly rules?: Partial<SimRules>;
  /** Funding of perpetuals (SWAP), by symbol; none by default */
  readonly funding?: Readonly<Record<string, FundingSchedule>>;
  /**
   * Maintenance margin as a fraction of position value at mark: when a settle currency's equity
   * (wallet plus unrealized PnL) falls below it, the venue liquidates; default 0.005
   */
  readonly maintenanceMargin?: number;
  /**
   * Liquidation fee as a fraction of the value liquidated, taken up to what the wallet has left
   * after the close; default 0.01
   */
  readonly liquidationFee?: number;
}

/** The reason the venue gives for an order it placed to liquidate a position */
export const LIQUIDATION = 'liquidation';

/** An instrument's matching engine and the venue's positions in it, each made at its first fill */
interface SimMarket {
  readonly engine: MatchingEngine;
  /** The one-way position */
  oneWay: MutablePosition | undefined;
  /** The hedge-mode positions */
  long: MutablePosition | undefined;
  short: MutablePosition | undefined;
}

function newMarket(engine: MatchingEngine): SimMarket {
  return { engine, oneWay: undefined, long: undefined, short: undefined };
}

// A market's engine is held as any object, not as a matching engine's hidden class: the engines of
// a second run in the same process may have new ones (the first run's die with it), and every
// function compiled reading the field would be thrown away at the next run's first venue
keepFieldsTagged(newMarket({} as MatchingEngine), ['engine']);

interface LedgerBalance {
  readonly currency: string;
  total: number;
  /** Held by live orders and by positions' initial margin; may exceed total after losses */
  locked: number;
}

// Fractional from the first fill or reserve on: doubles from the start (the ledger's two
// literals share this shape), so that fill does not change it under optimized code
keepFieldsDouble<LedgerBalance>({ currency: '', total: 0, locked: 0 }, ['total', 'locked']);

const NO_REPORTS: readonly SimReport[] = emptyObjectList();

function rate(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0 || value >= 1)
    throw invalidField('INVALID_ARGUMENT', field, value, 'must be a fraction in [0, 1)');
  return value;
}

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
    reserved: o.reserved,
    seq: o.seq,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    averagePrice: o.averagePrice,
  };
}

/**
 * A new order, nothing filled yet, under its venue order id; every field spelled out, in one
 * order, so all share one hidden class
 */
function newOrder(
  orderId: string,
  clientId: string,
  instrument: Instrument,
  side: Side,
  type: OrderType,
  timeInForce: TimeInForce,
  quantity: number,
  price: number | undefined,
  stopPrice: number | undefined,
  reduceOnly: boolean,
  positionSide: PositionSide | undefined,
  seq: number,
  now: number,
): SimOrder {
  return {
    orderId,
    clientId,
    instrument,
    side,
    type,
    timeInForce,
    quantity,
    price,
    stopPrice,
    reduceOnly,
    positionSide,
    filled: 0,
    notional: 0,
    averagePrice: 0,
    status: 'NEW',
    triggered: false,
    triggerPrice: undefined,
    reserved: 0,
    seq,
    createdAt: now,
    updatedAt: now,
  };
}

// Most orders end unfilled (placed, then canceled): their fill figures and reserve stay 0, and a
// size or time already boxed elsewhere is shared (the account's records do the same)
keepFieldsTagged(
  newOrder('', '', {} as Instrument, 'BUY', 'LIMIT', 'GTC', 0, 0, 0, false, undefined, 0, 0),
  ['quantity', 'filled', 'notional', 'averagePrice', 'reserved', 'createdAt', 'updatedAt'],
);

function positionKey(symbol: string, side: PositionSide | undefined): string {
  return side === undefined ? symbol : `${symbol}|${side}`;
}

function sideOfKey(key: string): PositionSide | 'BOTH' {
  if (key.endsWith('|LONG')) return 'LONG';
  if (key.endsWith('|SHORT')) return 'SHORT';
  return 'BOTH';
}

/** 10^-d, the smallest step with d decimals, computed once per d instead of once per check */
const SMALLEST_STEP = Array.from({ length: 21 }, (_, decimals) => 10 ** -decimals);

function smallestStep(decimals: number): number {
  return SMALLEST_STEP[decimals] ?? 10 ** -decimals;
}

/** Which filter a quantity fails, in the venue's order of checks */
export function quantityRefusal(instrument: Instrument, quantity: number): SimCode | undefined {
  if (!(quantity > 0) || !Number.isFinite(quantity)) return 'QUANTITY_NOT_POSITIVE';
  if (!isOnStep(quantity, smallestStep(instrument.sizeDecimals), instrument.sizeDecimals))
    return 'PRECISION';
  if (quantity < instrument.minSize) return 'QUANTITY_BELOW_MINIMUM';
  if (!isOnStep(quantity, instrument.lotSize, instrument.sizeDecimals)) return 'QUANTITY_OFF_STEP';
  return undefined;
}

/** Which filter a price fails, in the venue's order of checks */
export function priceRefusal(instrument: Instrument, price: number): SimCode | undefined {
  if (!(price > 0) || !Number.isFinite(price)) return 'PRICE_NOT_POSITIVE';
  if (!isOnStep(price, smallestStep(instrument.priceDecimals), instrument.priceDecimals))
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
  /** Each instrument's matching engine and positions, by symbol */
  private readonly markets = new Map<string, SimMarket>();
  private readonly instruments = new Map<string, Instrument>();
  /** Live orders by clientId (no two live orders share one: a duplicate is refused), as placed */
  private readonly live = new LiveOrders();
  /**
   * Live orders by venue order id: built at the first lookup by id (a backtest's broker never
   * makes one), then kept, so an order placed and gone costs one map entry, not two
   */
  private liveByOrderId: Map<string, SimOrder> | undefined;
  /**
   * Finished orders for status queries, the last `historySize`: a ring, oldest at `historyHead`
   * once full. Nothing is indexed until the first query asks (a backtest's broker never does),
   * then the index follows the ring
   */
  private readonly history: SimOrder[] = emptyObjectList();
  private historyHead = 0;
  private historyIndex:
    | { readonly byOrderId: Map<string, SimOrder>; readonly byClientId: Map<string, string> }
    | undefined;
  private readonly positions = new Map<string, MutablePosition>();
  private readonly ledger = new Map<string, LedgerBalance>();
  /** The ledger's balances in the order they were opened: a snapshot reads them without an iterator */
  private readonly ledgerList: LedgerBalance[] = emptyObjectList();
  /** Initial margin held for each derivative position, by symbol */
  private readonly positionMargin = new Map<string, number>();
  private ledgerVersion = 0;
  /** Derivative positions, for the margin checks that run on every mark */
  private readonly derivativePositions: MutablePosition[] = emptyObjectList();
  private readonly maintenanceMargin: number;
  private readonly liquidationFee: number;
  private readonly fundings: Array<{
    readonly instrument: Instrument;
    readonly schedule: FundingSchedule;
    cursor: FundingCursor | undefined;
  }> = emptyObjectList();
  /**
   * The next funding settlement of any instrument: Infinity without funding, -Infinity until the
   * first call starts the schedules
   */
  private nextFundingAt = Number.POSITIVE_INFINITY;
  private readonly leverage: number;
  private readonly leverages = new Map<string, number>();
  private readonly rules: SimRules;
  private positionMode: PositionMode = 'ONE_WAY';
  private readonly checkMargin: boolean;
  private readonly historySize: number;
  private readonly copyOrders: boolean;
  private readonly tradeIdPrefix: string;
  private nextOrderId: number;
  private nextTradeId = 1;
  private seq = 0;
  /** Live reduce-only orders, so the check after each market event costs nothing without them */
  private reduceOnlyLive = 0;

  constructor(options: SimVenueOptions) {
    this.exchange = options.exchange;
    // None until the first reduce-only order (see keepFieldsMutable)
    keepFieldsMutable<{ reduceOnlyLive: number }>(this as never, ['reduceOnlyLive']);
    for (const instrument of options.instruments) {
      this.instruments.set(instrument.symbol, instrument);
      this.markets.set(instrument.symbol, newMarket(new MatchingEngine(instrument)));
    }
    for (const balance of options.balances ?? [])
      this.ledger.set(balance.currency, {
        currency: balance.currency,
        total: balance.total,
        locked: 0,
      });
    for (const balance of this.ledger.values()) this.ledgerList.push(balance);
    this.leverage = options.leverage ?? 20;
    this.rules = { ...DEFAULT_RULES, ...options.rules };
    this.checkMargin = options.checkMargin ?? true;
    this.historySize = options.historySize ?? 100_000;
    this.copyOrders = options.copyOrders ?? true;
    this.tradeIdPrefix = options.tradeIdPrefix ?? '';
    this.nextOrderId = options.orderIdStart ?? 1_000_001;
    this.maintenanceMargin = rate('maintenanceMargin', options.maintenanceMargin ?? 0.005);
    this.liquidationFee = rate('liquidationFee', options.liquidationFee ?? 0.01);
    for (const [symbol, schedule] of Object.entries(options.funding ?? {})) {
      const instrument = this.instruments.get(symbol);
      if (instrument === undefined || instrument.marketType !== 'SWAP')
        throw invalidField(
          'INVALID_ARGUMENT',
          'funding',
          symbol,
          'names no perpetual (SWAP) instrument of this venue',
        );
      this.fundings.push({
        instrument,
        schedule: checkFundingSchedule(symbol, schedule),
        cursor: undefined,
      });
      this.nextFundingAt = Number.NEGATIVE_INFINITY;
    }
  }

  instrument(symbol: string): Instrument | undefined {
    return this.instruments.get(symbol);
  }

  listInstruments(): Instrument[] {
    return [...this.instruments.values()];
  }

  /** The engine of one instrument, for its market view */
  engine(symbol: string): MatchingEngine | undefined {
    return this.markets.get(symbol)?.engine;
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
    const engine = this.markets.get(input.symbol)?.engine;
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
    if (this.live.has(input.clientId)) return this.reject(input, 'DUPLICATE_CLIENT_ID', now);
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
    // The limit price, then the stop price (no array of the two per order)
    const priceFault =
      (needsPrice && input.price !== undefined
        ? priceRefusal(instrument, input.price)
        : undefined) ??
      (needsStop && input.stopPrice !== undefined
        ? priceRefusal(instrument, input.stopPrice)
        : undefined);
    if (priceFault !== undefined) return this.reject(input, priceFault, now);
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

    // Its fields one by one, not as an object of them: this runs for every order
    const order = this.place(
      newOrder(
        String(this.nextOrderId++),
        input.clientId,
        instrument,
        input.side,
        input.type,
        input.type === 'MARKET' ? 'IOC' : input.timeInForce,
        quantity,
        needsPrice ? input.price : undefined,
        needsStop ? input.stopPrice : undefined,
        reduceOnly,
        input.positionSide,
        this.seq++,
        now,
      ),
    );
    const reports: SimReport[] = [{ type: 'accepted', order: this.reported(order), time: now }];
    if (needsStop) engine.arm(order);
    else this.work(engine, order, now, reports);
    this.reserve(order);
    return reports;
  }

  /** Opens a new order: it is live from now on */
  private place(order: SimOrder): SimOrder {
    this.live.set(order);
    this.liveByOrderId?.set(order.orderId, order);
    if (order.reduceOnly) this.reduceOnlyLive += 1;
    return order;
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
    if (marketable) this.book(engine.take(order, this), now, reports);
    if (remaining(order) <= 0) return;
    if (order.type === 'MARKET' || order.type === 'STOP_MARKET') {
      this.close(order, ending, now, reports, 'no more liquidity at the touch');
    } else if (order.timeInForce === 'IOC' || order.timeInForce === 'FOK') {
      this.close(order, ending, now, reports, 'IOC remainder');
    } else {
      engine.rest(order);
    }
  }

  /** How much of an execution the venue allows: the matching engine's ExecutionCap */
  capExecution(order: SimOrder, quantity: number): number {
    if (!order.reduceOnly) return quantity;
    return Math.min(quantity, this.reducible(order.instrument, order.side, order.positionSide));
  }

  /** How much an order on `side` can reduce the position it works on */
  private reducible(
    instrument: Instrument,
    side: Side,
    positionSide: PositionSide | undefined,
  ): number {
    // Spelled out: `?.quantity ?? 0` boxes the number it reads in a new heap number
    const position = this.positions.get(positionKey(instrument.symbol, positionSide));
    const held = position === undefined ? 0 : position.quantity;
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

  /**
   * Which refusal applies, if the account cannot carry the order: spot orders need the quote
   * (buys) or the base (sells) free; derivatives need their initial margin out of what is free
   * in the settle currency plus the unrealized PnL of its positions
   */
  private marginShortfall(
    instrument: Instrument,
    side: Side,
    quantity: number,
    price: number,
  ): SimCode | undefined {
    if (!Number.isFinite(price) || price <= 0) return undefined;
    if (!isDerivative(instrument)) {
      const free = this.free(side === 'BUY' ? instrument.quote : instrument.base);
      return free < (side === 'BUY' ? quantity * price : quantity)
        ? 'INSUFFICIENT_BALANCE'
        : undefined;
    }
    const settle = instrument.settle;
    let available = this.free(settle);
    for (const position of this.derivativePositions) {
      if (position.instrument.settle === settle) available += position.unrealizedPnl;
    }
    const needed = (quantity * price * instrument.contractSize) / this.leverageOf(instrument);
    return available < needed ? 'INSUFFICIENT_MARGIN' : undefined;
  }

  private ledgerOf(currency: string): LedgerBalance {
    let balance = this.ledger.get(currency);
    if (balance === undefined) {
      balance = { currency, total: 0, locked: 0 };
      this.ledger.set(currency, balance);
      this.ledgerList.push(balance);
    }
    return balance;
  }

  private free(currency: string): number {
    const balance = this.ledger.get(currency);
    return balance === undefined ? 0 : balance.total - balance.locked;
  }

  private credit(currency: string, amount: number): void {
    if (amount === 0) return;
    const balance = this.ledgerOf(currency);
    balance.total = money(balance.total + amount);
    this.ledgerVersion += 1;
  }

  private lock(currency: string, amount: number): void {
    if (amount === 0) return;
    const balance = this.ledgerOf(currency);
    balance.locked = money(balance.locked + amount);
    this.ledgerVersion += 1;
  }

  /**
   * Holds what a live order needs (releasing it as the order fills, and all of it when the order
   * ends): its remaining quantity at its price (the stop price for a stop-market) in quote for a
   * spot buy, in base for a spot sell, as initial margin for a derivative (none if reduce-only)
   */
  private reserve(order: SimOrder): void {
    const instrument = order.instrument;
    const left = SimVenue.isLive(order.status) ? remaining(order) : 0;
    const price = order.price ?? order.stopPrice ?? 0;
    let needed: number;
    let currency: string;
    if (isDerivative(instrument)) {
      currency = instrument.settle;
      needed = order.reduceOnly
        ? 0
        : money((left * price * instrument.contractSize) / this.leverageOf(instrument));
    } else if (order.side === 'BUY') {
      currency = instrument.quote;
      needed = money(left * price);
    } else {
      currency = instrument.base;
      needed = left;
    }
    if (needed === order.reserved) return;
    this.lock(currency, needed - order.reserved);
    order.reserved = needed;
  }

  /** Holds a derivative position's initial margin: its entry value over the leverage */
  private holdMargin(key: string, position: Position): void {
    const instrument = position.instrument;
    const margin = money(position.costBasis / this.leverageOf(instrument));
    const held = this.positionMargin.get(key) ?? 0;
    if (margin === held) return;
    this.positionMargin.set(key, margin);
    this.lock(instrument.settle, margin - held);
  }

  /** Books executions into the ledger and reports them, closing filled orders */
  private book(executions: readonly Execution[], now: number, reports: SimReport[]): void {
    for (const { order, quantity, price, liquidity } of executions)
      this.bookFill(order, quantity, price, liquidity, undefined, now, reports);
  }

  /**
   * Books one execution into the position and the ledger and reports it; the fee is the
   * schedule's unless given
   */
  private bookFill(
    order: SimOrder,
    quantity: number,
    price: number,
    liquidity: Liquidity,
    fixedFee: ((realized: number) => number) | undefined,
    now: number,
    reports: SimReport[],
  ): void {
    const instrument = order.instrument;
    const key = positionKey(instrument.symbol, order.positionSide);
    let position = this.positions.get(key);
    if (position === undefined) {
      position = createPosition(instrument);
      this.positions.set(key, position);
      const market = this.markets.get(instrument.symbol)!;
      if (order.positionSide === 'LONG') market.long = position;
      else if (order.positionSide === 'SHORT') market.short = position;
      else market.oneWay = position;
      if (isDerivative(instrument)) this.derivativePositions.push(position);
    }
    const realized = bookExecution(position, order.side, quantity, price, now);
    const fee =
      fixedFee === undefined
        ? scheduleFee(instrument, quantity, price, liquidity)
        : fixedFee(realized);
    const feeCurrency = accountingCurrency(instrument);
    position.commissions = money(position.commissions + fee);
    if (isDerivative(instrument)) {
      this.credit(instrument.settle, realized);
      this.holdMargin(key, position);
    } else {
      const direction = order.side === 'BUY' ? 1 : -1;
      this.credit(instrument.base, direction * quantity);
      this.credit(instrument.quote, -direction * quantity * price);
    }
    this.credit(feeCurrency, -fee);
    order.updatedAt = now;
    reports.push({
      type: 'fill',
      order: this.reported(order),
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
    this.reserve(order);
  }

  /** Ends a live order with a terminal status and reports it */
  private close(
    order: SimOrder,
    status: 'CANCELED' | 'EXPIRED',
    now: number,
    reports: SimReport[],
    reason: string,
  ): void {
    reports.push(this.closed(order, status, now, reason));
  }

  /** Ends a live order with a terminal status; the report of it */
  private closed(
    order: SimOrder,
    status: 'CANCELED' | 'EXPIRED',
    now: number,
    reason: string,
  ): SimReport {
    this.markets.get(order.instrument.symbol)?.engine.remove(order);
    order.status = status;
    order.updatedAt = now;
    this.retire(order);
    this.reserve(order);
    return status === 'CANCELED'
      ? { type: 'canceled', order: this.reported(order), reason, time: now }
      : { type: 'expired', order: this.reported(order), time: now };
  }

  /** The order a report carries: a copy frozen now, or the order itself (see `copyOrders`) */
  private reported(order: SimOrder): SimOrderSnapshot {
    return this.copyOrders ? snapshot(order) : order;
  }

  private retire(order: SimOrder): void {
    // Every order that finishes was live (placed before it could fill or close), and only once
    if (this.live.get(order.clientId) !== order) return;
    this.live.delete(order.clientId);
    this.liveByOrderId?.delete(order.orderId);
    if (order.reduceOnly) this.reduceOnlyLive -= 1;
    if (this.historySize <= 0) return;
    const index = this.historyIndex;
    if (this.history.length < this.historySize) this.history.push(order);
    else {
      // Full: the oldest makes room, and leaves the index
      const oldest = this.history[this.historyHead]!;
      this.history[this.historyHead] = order;
      this.historyHead = (this.historyHead + 1) % this.historySize;
      if (index !== undefined) {
        index.byOrderId.delete(oldest.orderId);
        if (index.byClientId.get(oldest.clientId) === oldest.orderId)
          index.byClientId.delete(oldest.clientId);
      }
    }
    if (index !== undefined) {
      index.byOrderId.set(order.orderId, order);
      index.byClientId.set(order.clientId, order.orderId);
    }
  }

  /** The finished orders' index, built from the history at the first query */
  private finishedIndex(): NonNullable<SimVenue['historyIndex']> {
    if (this.historyIndex === undefined) {
      const byOrderId = new Map<string, SimOrder>();
      const byClientId = new Map<string, string>();
      const count = this.history.length;
      for (let i = 0; i < count; i++) {
        const order = this.history[(this.historyHead + i) % count]!;
        byOrderId.set(order.orderId, order);
        byClientId.set(order.clientId, order.orderId);
      }
      this.historyIndex = { byOrderId, byClientId };
    }
    return this.historyIndex;
  }

  private findLive(ref: SimOrderRef): SimOrder | undefined {
    if (ref.orderId !== undefined) return this.liveById().get(ref.orderId);
    if (ref.clientId !== undefined) return this.live.get(ref.clientId);
    return undefined;
  }

  /** The live orders' index by venue order id, built at the first lookup by id */
  private liveById(): Map<string, SimOrder> {
    if (this.liveByOrderId === undefined) {
      this.liveByOrderId = new Map();
      for (const order of this.live.toArray()) this.liveByOrderId.set(order.orderId, order);
    }
    return this.liveByOrderId;
  }

  /** Any order, live or recently terminal, by venue or client id */
  order(ref: SimOrderRef): SimOrderSnapshot | undefined {
    const live = this.findLive(ref);
    if (live !== undefined) return snapshot(live);
    const index = this.finishedIndex();
    const orderId =
      ref.orderId ?? (ref.clientId === undefined ? undefined : index.byClientId.get(ref.clientId));
    const past = orderId === undefined ? undefined : index.byOrderId.get(orderId);
    if (past === undefined) return undefined;
    if (ref.clientId !== undefined && past.clientId !== ref.clientId) return undefined;
    return snapshot(past);
  }

  /** Live orders, optionally of one symbol */
  openOrders(symbol?: string): SimOrderSnapshot[] {
    const orders: SimOrderSnapshot[] = [];
    for (const order of this.live.toArray()) {
      if (symbol === undefined || order.instrument.symbol === symbol) orders.push(snapshot(order));
    }
    return orders;
  }

  /** Cancels a live order by venue or client id */
  cancel(ref: SimOrderRef, now: number): SimReport[] {
    return [this.cancelReport(ref, now)];
  }

  /** Cancels a live order by venue or client id: the one report `cancel` lists (the cancel or its refusal) */
  cancelReport(ref: SimOrderRef, now: number): SimReport {
    const order = this.findLive(ref);
    if (order === undefined) {
      const { code, message } = SIM_CODES.UNKNOWN_ORDER;
      return {
        type: 'cancelRejected',
        clientId: ref.clientId,
        orderId: ref.orderId,
        code,
        message,
        time: now,
      };
    }
    return this.closed(order, 'CANCELED', now, 'canceled by the client');
  }

  /** Cancels every live order, optionally of one symbol */
  cancelAll(symbol: string | undefined, now: number): SimReport[] {
    const reports: SimReport[] = [];
    for (const order of this.live.toArray()) {
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
    const engine = this.markets.get(instrument.symbol)!.engine;
    if (order.timeInForce === 'GTX' && engine.crosses(order.side, price))
      return refuse('POST_ONLY_WOULD_CROSS');
    const repriced = price !== order.price || quantity > order.quantity;
    engine.remove(order);
    order.price = snapPrice(instrument, price);
    order.quantity = snapSize(instrument, quantity);
    order.updatedAt = now;
    // A new price, or more size, goes to the back of the queue
    if (repriced) order.seq = this.seq++;
    const reports: SimReport[] = [{ type: 'amended', order: this.reported(order), time: now }];
    this.work(engine, order, now, reports);
    this.reserve(order);
    return reports;
  }

  // Funding due before a market event settles at the mark the market had until then
  onQuote(quote: Quote, now: number): readonly SimReport[] {
    const market = this.markets.get(quote.instrument.symbol);
    if (market === undefined) return NO_REPORTS;
    const due = now >= this.nextFundingAt ? this.settleFunding(now) : undefined;
    return this.afterMarket(market, market.engine.onQuote(quote, this), now, due);
  }

  onTrade(trade: Trade, now: number): readonly SimReport[] {
    const market = this.markets.get(trade.instrument.symbol);
    if (market === undefined) return NO_REPORTS;
    const due = now >= this.nextFundingAt ? this.settleFunding(now) : undefined;
    return this.afterMarket(market, market.engine.onTrade(trade, this), now, due);
  }

  onBook(book: BookSnapshot, now: number): readonly SimReport[] {
    const market = this.markets.get(book.instrument.symbol);
    if (market === undefined) return NO_REPORTS;
    const due = now >= this.nextFundingAt ? this.settleFunding(now) : undefined;
    return this.afterMarket(market, market.engine.onBook(book, this), now, due);
  }

  /**
   * Settles what fell due by `now` without market data (funding, and a liquidation it causes):
   * a broker calls it before each request, so a settlement comes before the orders that follow it
   */
  advance(now: number): readonly SimReport[] {
    return now >= this.nextFundingAt ? (this.settleFunding(now) ?? NO_REPORTS) : NO_REPORTS;
  }

  /**
   * Pays or charges funding for every settlement due by `now`, in time order, on the position at
   * mark, then liquidates where that leaves equity below maintenance. The first call starts the
   * schedules: settlements before it are history.
   */
  private settleFunding(now: number): SimReport[] | undefined {
    let reports: SimReport[] | undefined;
    for (;;) {
      let due: (typeof this.fundings)[number] | undefined;
      let next = Number.POSITIVE_INFINITY;
      for (const funding of this.fundings) {
        funding.cursor ??= new FundingCursor(funding.schedule, now);
        if (funding.cursor.next < next) {
          next = funding.cursor.next;
          due = funding;
        }
      }
      this.nextFundingAt = next;
      if (due === undefined || next > now) break;
      const cursor = due.cursor!;
      const paid = this.payFunding(due.instrument, cursor.rate, next);
      cursor.advance();
      if (paid !== undefined) {
        reports ??= [];
        reports.push(paid);
        const settle = due.instrument.settle;
        if (this.belowMaintenance(settle)) this.liquidateAll(settle, now, reports);
      }
    }
    return reports;
  }

  // Funding settles on the one-way position; hedge-mode (LONG/SHORT) positions are not funded
  private payFunding(instrument: Instrument, rate: number, time: number): SimReport | undefined {
    const position = this.positions.get(instrument.symbol);
    if (position === undefined || position.quantity === 0) return undefined;
    const engine = this.markets.get(instrument.symbol)!.engine;
    const live = this.markOf(engine);
    const mark = Number.isFinite(live) ? live : position.markPrice;
    const amount = money(-position.quantity * mark * instrument.contractSize * rate);
    if (amount === 0) return undefined;
    position.funding = money(position.funding + amount);
    this.credit(instrument.settle, amount);
    return {
      type: 'funding',
      instrument,
      rate,
      markPrice: mark,
      quantity: position.quantity,
      amount,
      fundingId: `${instrument.symbol}:${time}`,
      time,
    };
  }

  /** Whether equity in `settle` (wallet plus unrealized PnL at mark) is below maintenance margin */
  private belowMaintenance(settle: string): boolean {
    // Spelled out: `?.total ?? 0` boxes the number it reads in a new heap number, on every mark
    const balance = this.ledger.get(settle);
    let equity = balance === undefined ? 0 : balance.total;
    let maintenance = 0;
    const positions = this.derivativePositions;
    for (let i = 0; i < positions.length; i++) {
      const position = positions[i]!;
      if (position.quantity === 0 || position.instrument.settle !== settle) continue;
      equity += position.unrealizedPnl;
      maintenance +=
        Math.abs(position.quantity) *
        position.markPrice *
        position.instrument.contractSize *
        this.maintenanceMargin;
    }
    return maintenance > 0 && equity < maintenance;
  }

  /**
   * Liquidates every derivative position margined in `settle`: live orders margined there are
   * canceled first, then each position closes in full at the touch (the bid for a long, the ask
   * for a short; the mark without one) as a venue order of its own, with the liquidation fee.
   * A loss beyond the wallet leaves it negative (there is no insurance fund).
   */
  private liquidateAll(settle: string, now: number, reports: SimReport[]): void {
    for (const order of this.live.toArray()) {
      if (isDerivative(order.instrument) && order.instrument.settle === settle)
        this.close(order, 'CANCELED', now, reports, LIQUIDATION);
    }
    for (const [key, position] of this.positions) {
      if (
        position.quantity !== 0 &&
        isDerivative(position.instrument) &&
        position.instrument.settle === settle
      )
        this.liquidate(position, sideOfKey(key), now, reports);
    }
  }

  private liquidate(
    position: MutablePosition,
    positionSide: PositionSide | 'BOTH',
    now: number,
    reports: SimReport[],
  ): void {
    const instrument = position.instrument;
    const engine = this.markets.get(instrument.symbol)!.engine;
    const side: Side = position.quantity > 0 ? 'SELL' : 'BUY';
    const quantity = Math.abs(position.quantity);
    const touch = side === 'SELL' ? engine.bid : engine.ask;
    const price = snapPrice(instrument, Number.isFinite(touch) ? touch : position.markPrice);
    // Named after its venue id; a client's live order that took the name keeps it
    let clientId = `${LIQUIDATION}-${this.nextOrderId}`;
    while (this.live.has(clientId)) clientId += '+';
    const order = this.place(
      newOrder(
        String(this.nextOrderId++),
        clientId,
        instrument,
        side,
        'MARKET',
        'IOC',
        quantity,
        undefined,
        undefined,
        true,
        positionSide === 'BOTH' ? undefined : positionSide,
        this.seq++,
        now,
      ),
    );
    reports.push({ type: 'accepted', order: this.reported(order), reason: LIQUIDATION, time: now });
    order.filled = quantity;
    order.notional = quantity * price;
    order.averagePrice = order.notional / order.filled;
    order.status = 'FILLED';
    const wallet = this.ledger.get(instrument.settle)?.total ?? 0;
    const fee = (realized: number) =>
      money(
        Math.min(
          quantity * price * instrument.contractSize * this.liquidationFee,
          Math.max(0, wallet + realized),
        ),
      );
    this.bookFill(order, quantity, price, 'TAKER', fee, now, reports);
  }

  /**
   * Books what a market event filled, marks the position, fires stops, and closes reduce-only
   * orders with nothing left to reduce. Allocates nothing when nothing happened.
   */
  private afterMarket(
    market: SimMarket,
    executions: readonly Execution[],
    now: number,
    due: SimReport[] | undefined,
  ): readonly SimReport[] {
    const engine = market.engine;
    const hedged = this.positionMode === 'HEDGE';
    // The positions to mark, taken before the executions are booked (no array per event)
    const first = hedged ? market.long : market.oneWay;
    const second = hedged ? market.short : undefined;
    let reports = due;
    if (executions.length > 0) {
      reports ??= [];
      this.book(executions, now, reports);
    }
    const mark = this.markOf(engine);
    if (Number.isFinite(mark)) {
      reports = this.mark(first, mark, now, reports);
      reports = this.mark(second, mark, now, reports);
    }
    for (const order of engine.takeTriggered()) {
      order.updatedAt = now;
      reports ??= [];
      reports.push({ type: 'triggered', order: this.reported(order), time: now });
      this.work(engine, order, now, reports);
      this.reserve(order);
    }
    if (this.reduceOnlyLive > 0) {
      for (const order of this.live.toArray()) {
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

  /** Marks a position; liquidates its margin currency when that leaves equity below maintenance */
  private mark(
    position: MutablePosition | undefined,
    mark: number,
    now: number,
    reports: SimReport[] | undefined,
  ): SimReport[] | undefined {
    if (position === undefined || mark === position.markPrice) return reports;
    markPosition(position, mark);
    const settle = position.instrument.settle;
    if (
      position.quantity !== 0 &&
      isDerivative(position.instrument) &&
      this.belowMaintenance(settle)
    ) {
      const out = reports ?? [];
      this.liquidateAll(settle, now, out);
      return out;
    }
    return reports;
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
    return [this.closed(order, 'EXPIRED', now, 'good-till-date reached')];
  }

  /**
   * The venue's balances: total is the wallet (realized PnL, fees and funding booked; unrealized
   * PnL not), locked what live orders reserve and positions hold as initial margin (entry value
   * over the leverage), free the rest
   */
  getBalances(): Balance[] {
    // A list of its size (an empty list pushed onto grows room for seventeen); a snapshot is
    // taken every time a live order's reserve changes
    const ledger = this.ledgerList;
    const balances: Balance[] = new Array(ledger.length);
    for (let i = 0; i < ledger.length; i++) {
      const { currency, total, locked } = ledger[i]!;
      const held = money(Math.max(0, Math.min(total, locked)));
      balances[i] = { currency, total, free: money(total - held), locked: held };
    }
    return balances;
  }

  /** Changes whenever a balance does: a broker pushes a snapshot when it moved */
  get balancesVersion(): number {
    return this.ledgerVersion;
  }

  /** The status a venue order is in, for callers that map it to their own words */
  static isLive(status: SimOrderStatus): boolean {
    return status === 'NEW' || status === 'PARTIALLY_FILLED';
  }
}
