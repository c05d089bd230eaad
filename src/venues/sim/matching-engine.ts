import type { Liquidity } from '../../core/fill.ts';
import type { Instrument } from '../../core/instrument.ts';
import { snapSize } from '../../core/instrument.ts';
import type { BookSnapshot, Level, Quote, Trade } from '../../core/market-data.ts';
import type { OrderType, PositionSide, Side, TimeInForce } from '../../core/order.ts';
import { emptyObjectList } from '../../core/tagged-fields.ts';

export type SimOrderStatus =
  | 'NEW'
  | 'PARTIALLY_FILLED'
  | 'FILLED'
  | 'CANCELED'
  | 'EXPIRED'
  | 'REJECTED';

/** An order as the simulated venue holds it; mutated only by the venue */
export interface SimOrder {
  readonly orderId: string;
  readonly clientId: string;
  readonly instrument: Instrument;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  quantity: number;
  price: number | undefined;
  readonly stopPrice: number | undefined;
  readonly reduceOnly: boolean;
  /** Hedge mode only: the position the order opens or closes */
  readonly positionSide?: PositionSide | undefined;
  filled: number;
  /** Σ quantity × price of the fills */
  notional: number;
  /** notional / filled, 0 before the first fill */
  averagePrice: number;
  status: SimOrderStatus;
  /** A stop whose trigger has fired; it now works like a market or limit order */
  triggered: boolean;
  /** The market price that fired a stop: its fills are never better than this */
  triggerPrice: number | undefined;
  /**
   * What the venue holds for the order while it is live: quote for a spot buy, base for a spot
   * sell, initial margin in the settle currency for a derivative
   */
  reserved: number;
  /** Time priority: lower is earlier */
  seq: number;
  readonly createdAt: number;
  updatedAt: number;
}

/** One execution the engine decided; the venue books it */
export interface Execution {
  readonly order: SimOrder;
  readonly quantity: number;
  readonly price: number;
  readonly liquidity: Liquidity;
}

/**
 * How much of an execution the venue allows (reduce-only caps it at the position). An object with
 * a method, the venue itself, not a function made per venue: that would be a new function to V8
 * in every run, and the engine's code optimized to call the first run's thrown away at the next
 */
export interface ExecutionCap {
  capExecution(order: SimOrder, quantity: number): number;
}

const uncapped: ExecutionCap = { capExecution: (_order, quantity) => quantity };

/** Shared by the many market events that fill nothing, so they allocate nothing */
const NONE: Execution[] = emptyObjectList();
const NO_ORDERS: SimOrder[] = emptyObjectList();

/**
 * The price a taker fills at for liquidity at `price`: a triggered stop never fills better than
 * the price that fired it (a stale touch behind the print does not count)
 */
function noBetter(order: SimOrder, price: number): number {
  const trigger = order.triggerPrice;
  if (trigger === undefined) return price;
  return order.side === 'BUY' ? Math.max(price, trigger) : Math.min(price, trigger);
}

// Orders leave and join the book lists in place: splice returns an array of what it removed
// (even when nothing was), one allocation per order placed and per order gone

function insertAt(list: SimOrder[], index: number, order: SimOrder): void {
  list.push(order);
  for (let i = list.length - 1; i > index; i--) list[i] = list[i - 1]!;
  list[index] = order;
}

function removeAt(list: SimOrder[], index: number): void {
  for (let i = index; i < list.length - 1; i++) list[i] = list[i + 1]!;
  list.pop();
}

function removeFrom(list: SimOrder[], order: SimOrder): boolean {
  const index = list.indexOf(order);
  if (index < 0) return false;
  removeAt(list, index);
  return true;
}

export function remaining(order: SimOrder): number {
  return snapSize(order.instrument, order.quantity - order.filled);
}

/**
 * The matching core of one instrument: our resting orders in price-time priority against a
 * market seen through quotes, trades and (when given) book snapshots. Deterministic and pure:
 * no clock, no I/O; time comes in with each call and executions go out as data.
 *
 * The model, chosen to be conservative and simple to reason about:
 * - a taker (MARKET, or a LIMIT crossing the touch) takes the visible size at the touch, then
 *   walks the depth of the last book behind it when books are known (a quote since the book
 *   refreshes the touch, the book's levels beyond it stay); liquidity it takes stays taken
 *   until the next quote or book;
 * - a resting limit fills at its own price, as maker, when a trade prints strictly through it
 *   or the quote (or book) crosses it; the fill is bounded by the trade's or quote's size, shared
 *   among our orders in price-then-time order;
 * - with trades but no quotes yet, the touch is implied by the last trade (its price on the
 *   aggressor's side, one tick away on the other) and sized by it.
 */
export class MatchingEngine {
  readonly instrument: Instrument;
  // Lists of objects from the start (see emptyObjectList): `removeFrom` meets all three, and an
  // empty `[]` (the stops, in a run without any) has another hidden class than a list of orders
  private readonly bids: SimOrder[] = emptyObjectList();
  private readonly asks: SimOrder[] = emptyObjectList();
  private readonly stops: SimOrder[] = emptyObjectList();
  bid = Number.NaN;
  ask = Number.NaN;
  bidSize = 0;
  askSize = 0;
  last = Number.NaN;
  private hasQuotes = false;
  /**
   * The touch a crossing quote offers, as a one-level list: reused (crossResting copies what it
   * takes from it), and of doubles from the start, where a list made per quote was first made
   * of small integers and changed kind inside optimized code, which was then thrown away
   */
  private readonly touch: Array<[number, number]> = [[Number.NaN, Number.NaN]];
  private bookBids: readonly Level[] | undefined;
  private bookAsks: readonly Level[] | undefined;
  /** Liquidity taken by our takers since the market last refreshed, by price */
  private readonly taken = new Map<number, number>();

  constructor(instrument: Instrument) {
    this.instrument = instrument;
  }

  /** Whether there is a touch to trade against */
  get hasMarket(): boolean {
    return Number.isFinite(this.bid) && Number.isFinite(this.ask);
  }

  /** Resting limit orders and untriggered stops, in priority order */
  openOrders(): SimOrder[] {
    return [...this.bids, ...this.asks, ...this.stops];
  }

  /** Levels a taker on `side` can trade against, best first, net of what we already took */
  private liquidity(side: Side): Array<[number, number]> {
    const book = side === 'BUY' ? this.bookAsks : this.bookBids;
    const levels: Array<[number, number]> = [];
    if (this.hasMarket) {
      // The touch is the freshest (a quote may have moved it since the book); depth behind it
      // comes from the last book
      const touch = side === 'BUY' ? this.ask : this.bid;
      levels.push([touch, side === 'BUY' ? this.askSize : this.bidSize]);
      for (const [price, size] of book ?? [])
        if (side === 'BUY' ? price > touch : price < touch) levels.push([price, size]);
    }
    for (const level of levels)
      level[1] = snapSize(this.instrument, Math.max(0, level[1] - (this.taken.get(level[0]) ?? 0)));
    return levels;
  }

  /** Whether a limit at `price` on `side` would take liquidity now */
  crosses(side: Side, price: number): boolean {
    if (!this.hasMarket) return false;
    return side === 'BUY' ? price >= this.ask : price <= this.bid;
  }

  /** How much a taker on `side` could fill now within `limit` (FOK check) */
  fillable(side: Side, limit: number | undefined): number {
    let total = 0;
    for (const [price, size] of this.liquidity(side)) {
      if (limit !== undefined && (side === 'BUY' ? price > limit : price < limit)) break;
      total += size;
    }
    return snapSize(this.instrument, total);
  }

  /** Executes `order` as a taker against the touch (or book), up to `limit` */
  take(order: SimOrder, cap: ExecutionCap = uncapped): Execution[] {
    const executions: Execution[] = [];
    const limit = order.type === 'MARKET' || order.type === 'STOP_MARKET' ? undefined : order.price;
    for (const [price, size] of this.liquidity(order.side)) {
      const want = remaining(order);
      if (want <= 0) break;
      const fillPrice = noBetter(order, price);
      if (limit !== undefined && (order.side === 'BUY' ? fillPrice > limit : fillPrice < limit))
        break;
      const quantity = snapSize(
        this.instrument,
        Math.min(want, size, cap.capExecution(order, Math.min(want, size))),
      );
      if (quantity <= 0) break;
      this.taken.set(price, snapSize(this.instrument, (this.taken.get(price) ?? 0) + quantity));
      executions.push(this.execute(order, quantity, fillPrice, 'TAKER'));
    }
    return executions;
  }

  private execute(
    order: SimOrder,
    quantity: number,
    price: number,
    liquidity: Liquidity,
  ): Execution {
    order.filled = snapSize(this.instrument, order.filled + quantity);
    order.notional += quantity * price;
    order.averagePrice = order.filled > 0 ? order.notional / order.filled : 0;
    order.status = order.filled >= order.quantity ? 'FILLED' : 'PARTIALLY_FILLED';
    return { order, quantity, price, liquidity };
  }

  /** Puts a limit order on our side of the book, in price-time priority */
  rest(order: SimOrder): void {
    const list = order.side === 'BUY' ? this.bids : this.asks;
    const price = order.price ?? 0;
    const buy = order.side === 'BUY';
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const other = list[mid]!;
      const otherPrice = other.price ?? 0;
      const better = buy ? otherPrice > price : otherPrice < price;
      if (better || (otherPrice === price && other.seq < order.seq)) lo = mid + 1;
      else hi = mid;
    }
    insertAt(list, lo, order);
  }

  /** Adds an untriggered stop */
  arm(order: SimOrder): void {
    this.stops.push(order);
  }

  /** Takes an order off the book (resting or stop); false if it was not there */
  remove(order: SimOrder): boolean {
    return (
      removeFrom(this.bids, order) || removeFrom(this.asks, order) || removeFrom(this.stops, order)
    );
  }

  /** Whether a stop on `side` at `stop` would trigger at the current market */
  wouldTrigger(side: Side, stop: number): boolean {
    const reference = side === 'BUY' ? this.triggerUp() : this.triggerDown();
    if (!Number.isFinite(reference)) return false;
    return side === 'BUY' ? reference >= stop : reference <= stop;
  }

  private triggerUp(): number {
    return Number.isFinite(this.last)
      ? Math.max(this.last, this.hasQuotes ? this.ask : -Infinity)
      : this.ask;
  }

  private triggerDown(): number {
    return Number.isFinite(this.last)
      ? Math.min(this.last, this.hasQuotes ? this.bid : Infinity)
      : this.bid;
  }

  /** A new best bid and offer: resets taken liquidity, fills resting orders it crosses */
  onQuote(quote: Quote, cap: ExecutionCap = uncapped): Execution[] {
    this.hasQuotes = true;
    this.bid = quote.bid;
    this.ask = quote.ask;
    this.bidSize = quote.bidSize;
    this.askSize = quote.askSize;
    if (this.taken.size > 0) this.taken.clear();
    // Only our orders the new quote crosses can fill; most quotes cross none
    const bestBid = this.bids[0];
    const bestAsk = this.asks[0];
    const bidCrossed = bestBid !== undefined && quote.ask <= (bestBid.price ?? 0);
    const askCrossed = bestAsk !== undefined && quote.bid >= (bestAsk.price ?? 0);
    if (!bidCrossed && !askCrossed) return NONE;
    const executions: Execution[] = [];
    const touch = this.touch[0]!;
    if (bidCrossed) {
      touch[0] = quote.ask;
      touch[1] = quote.askSize;
      this.crossResting(this.bids, this.touch, cap, executions);
    }
    if (askCrossed) {
      touch[0] = quote.bid;
      touch[1] = quote.bidSize;
      this.crossResting(this.asks, this.touch, cap, executions);
    }
    return executions;
  }

  /** A new visible book: like a quote, with depth */
  onBook(book: BookSnapshot, cap: ExecutionCap = uncapped): Execution[] {
    const bestBid = book.bids[0];
    const bestAsk = book.asks[0];
    if (bestBid === undefined || bestAsk === undefined) return [];
    this.hasQuotes = true;
    this.bid = bestBid[0];
    this.bidSize = bestBid[1];
    this.ask = bestAsk[0];
    this.askSize = bestAsk[1];
    this.bookBids = book.bids;
    this.bookAsks = book.asks;
    if (this.taken.size > 0) this.taken.clear();
    const executions: Execution[] = [];
    this.crossResting(this.bids, book.asks, cap, executions);
    this.crossResting(this.asks, book.bids, cap, executions);
    return executions;
  }

  /** A print: fills resting orders it trades strictly through, up to its size */
  onTrade(trade: Trade, cap: ExecutionCap = uncapped): Execution[] {
    this.last = trade.price;
    if (!this.hasQuotes) {
      const tick = this.instrument.tickSize;
      this.bid = trade.side === 'SELL' ? trade.price : trade.price - tick;
      this.ask = trade.side === 'BUY' ? trade.price : trade.price + tick;
      this.bidSize = trade.size;
      this.askSize = trade.size;
      // Only when something was taken: clear() gives the Map a new table even when empty, and a
      // tape of trades without quotes comes through here on every print
      if (this.taken.size > 0) this.taken.clear();
    }
    // A print below our best bid (or above our best ask) is the only way it fills us
    const bestBid = this.bids[0];
    const bestAsk = this.asks[0];
    const bidThrough = bestBid !== undefined && (bestBid.price ?? 0) > trade.price;
    const askThrough = bestAsk !== undefined && (bestAsk.price ?? 0) < trade.price;
    if (!bidThrough && !askThrough) return NONE;
    const executions: Execution[] = [];
    if (bidThrough) this.sweep(this.bids, trade, cap, executions);
    if (askThrough) this.sweep(this.asks, trade, cap, executions);
    return executions;
  }

  /** Fills resting orders a trade printed strictly through, in priority order, up to its size */
  private sweep(list: SimOrder[], trade: Trade, cap: ExecutionCap, executions: Execution[]): void {
    let budget = trade.size;
    for (const order of list.slice()) {
      const price = order.price ?? 0;
      const through = order.side === 'BUY' ? price > trade.price : price < trade.price;
      if (budget <= 0 || !through) break;
      const want = Math.min(remaining(order), budget);
      const quantity = snapSize(this.instrument, Math.min(want, cap.capExecution(order, want)));
      if (quantity <= 0) continue;
      budget = snapSize(this.instrument, budget - quantity);
      executions.push(this.execute(order, quantity, price, 'MAKER'));
      if (order.status === 'FILLED') this.remove(order);
    }
  }

  /** Resting orders crossed by the other side's levels fill at their own price, as makers */
  private crossResting(
    list: SimOrder[],
    levels: readonly Level[],
    cap: ExecutionCap,
    executions: Execution[],
  ): void {
    // Copied by a loop, not `map`: an optimized `map` makes its list with another hidden class
    // than the interpreter's, and `budget[0]` below was compiled for one of them
    const budget: Array<[number, number]> = [];
    for (let i = 0; i < levels.length; i++) budget.push([levels[i]![0], levels[i]![1]]);
    for (const order of list.slice()) {
      const price = order.price ?? 0;
      const buy = order.side === 'BUY';
      const best = budget[0];
      // Orders are in priority order: once the best level does not cross one, it crosses none after
      if (best === undefined || (buy ? best[0] > price : best[0] < price)) break;
      for (const level of budget) {
        if (remaining(order) <= 0 || (buy ? level[0] > price : level[0] < price)) break;
        if (level[1] <= 0) continue;
        const want = Math.min(remaining(order), level[1]);
        const quantity = snapSize(this.instrument, Math.min(want, cap.capExecution(order, want)));
        if (quantity <= 0) break;
        level[1] = snapSize(this.instrument, level[1] - quantity);
        this.taken.set(
          level[0],
          snapSize(this.instrument, (this.taken.get(level[0]) ?? 0) + quantity),
        );
        executions.push(this.execute(order, quantity, price, 'MAKER'));
      }
      if (order.status === 'FILLED') this.remove(order);
    }
  }

  /**
   * Stops whose trigger the market has reached, in arming order; they leave the stop list and
   * remember the price that fired them (the print, or the touch, that reached the stop)
   */
  takeTriggered(): SimOrder[] {
    if (this.stops.length === 0) return NO_ORDERS;
    const fired: SimOrder[] = [];
    for (let i = 0; i < this.stops.length; ) {
      const order = this.stops[i]!;
      if (order.stopPrice !== undefined && this.wouldTrigger(order.side, order.stopPrice)) {
        removeAt(this.stops, i);
        order.triggered = true;
        order.triggerPrice = order.side === 'BUY' ? this.triggerUp() : this.triggerDown();
        fired.push(order);
      } else {
        i += 1;
      }
    }
    return fired;
  }
}
