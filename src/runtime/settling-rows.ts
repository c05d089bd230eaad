import type { TrackedOrder } from '../core/account.ts';
import type { OrderStatus } from '../core/order.ts';

/** What becomes of a settling order's slot when its time comes */
export const ROW_MADE = 0;
/** The order changed after its row was made: the row is made again, from the order as it is */
export const ROW_STALE = 1;
/** The order's row was claimed before (an order that finished twice): nothing to write */
export const ROW_NONE = 2;

/** Slots an event on a finished order looks back through for it before giving up */
const LOOK_BACK = 64;

// Per slot, the numbers kept: when it finished, where its row lies, and what of the order can change
const SINCE = 0;
const START = 1;
const END = 2;
const QUANTITY = 3;
const PRICE = 4;
const STOP_PRICE = 5;
const FILLED = 6;
const AVERAGE = 7;
const UPDATED = 8;
const STEPS = 9;
const REDUCE_ONLY = 10;
const NUMBERS = 11;
// And the strings
const STATUS = 0;
const VENUE_ID = 1;
const SIDE = 2;
const TYPE = 3;
const TIME_IN_FORCE = 4;
const ORIGIN = 5;
const REASON = 6;
const TEXTS = 7;

/** A number field as kept (NaN for none) */
const kept = (value: number | undefined): number => (value === undefined ? Number.NaN : value);
const same = (value: number | undefined, held: number): boolean =>
  value === undefined ? Number.isNaN(held) : value === held;

/**
 * Orders gone terminal that wait out the recorder's settle time (late fills make it into their
 * row), oldest first, in a ring of columns (no object per order). Each slot keeps what its row
 * was made from when the order finished, while the order was still in cache: a row made then
 * and still true when its time comes is written as made, without reading the order again (a
 * minute later it is far from any cache, and reading it was most of a row's cost). An order
 * that changes in between (a late fill, a venue id, a status report) is caught by `recheck`,
 * which the recorder calls for every event on a finished order: its row is made again when due.
 */
export class SettlingRows {
  private orders: Array<TrackedOrder | undefined>;
  private numbers: Float64Array;
  private texts: Array<string | undefined>;
  private states: Uint8Array;
  /** Slots in the ring (a power of two) */
  private capacity: number;
  /** Ring index of the oldest slot */
  private head = 0;
  size = 0;
  /** Slots pushed in all: the oldest slot's sequence number is `pushed - size` */
  private pushed = 0;
  /**
   * Slots before this sequence number are stale: an event on a finished order `recheck` did not
   * find within LOOK_BACK slots may concern any of them
   */
  private staleBefore = 0;

  constructor(capacity = 256) {
    this.capacity = capacity;
    this.orders = new Array(capacity).fill(undefined);
    this.numbers = new Float64Array(capacity * NUMBERS);
    this.texts = new Array(capacity * TEXTS).fill(undefined);
    this.states = new Uint8Array(capacity);
  }

  /**
   * Adds an order that just finished, with what its row is made of now; `claimed` false for an
   * order whose row was claimed before (nothing to write). Returns the slot's ring index
   */
  push(order: TrackedOrder, since: number, claimed: boolean): number {
    if (this.size === this.capacity) this.grow();
    const slot = (this.head + this.size) & (this.capacity - 1);
    this.size += 1;
    this.pushed += 1;
    this.orders[slot] = order;
    const n = slot * NUMBERS;
    const numbers = this.numbers;
    numbers[n + SINCE] = since;
    numbers[n + START] = -1;
    numbers[n + END] = -1;
    this.states[slot] = claimed ? ROW_MADE : ROW_NONE;
    if (!claimed) return slot;
    numbers[n + QUANTITY] = order.quantity;
    numbers[n + PRICE] = kept(order.price);
    numbers[n + STOP_PRICE] = kept(order.stopPrice);
    numbers[n + FILLED] = order.filledQuantity;
    numbers[n + AVERAGE] = order.averageFillPrice;
    numbers[n + UPDATED] = order.updatedAt;
    numbers[n + STEPS] = order.transitions.length;
    numbers[n + REDUCE_ONLY] = order.reduceOnly ? 1 : 0;
    const t = slot * TEXTS;
    const texts = this.texts;
    texts[t + STATUS] = order.status;
    texts[t + VENUE_ID] = order.venueOrderId;
    texts[t + SIDE] = order.side;
    texts[t + TYPE] = order.type;
    texts[t + TIME_IN_FORCE] = order.timeInForce;
    texts[t + ORIGIN] = order.origin;
    texts[t + REASON] = order.reason;
    return slot;
  }

  /** Where the slot's row lies in the orders file's buffer (absolute offsets) */
  setRow(slot: number, start: number, end: number): void {
    this.numbers[slot * NUMBERS + START] = start;
    this.numbers[slot * NUMBERS + END] = end;
  }

  /** Whether the oldest slot has waited `settleMs` by `now` */
  due(now: number, settleMs: number): boolean {
    return this.size > 0 && this.numbers[this.head * NUMBERS + SINCE]! + settleMs <= now;
  }

  /** Ring index of the oldest slot (size > 0) */
  get first(): number {
    return this.head;
  }

  /** What becomes of the oldest slot: ROW_MADE, ROW_STALE or ROW_NONE */
  firstState(): number {
    const state = this.states[this.head]!;
    return state === ROW_MADE && this.pushed - this.size < this.staleBefore ? ROW_STALE : state;
  }

  order(slot: number): TrackedOrder {
    return this.orders[slot]!;
  }

  status(slot: number): OrderStatus {
    return this.texts[slot * TEXTS + STATUS] as OrderStatus;
  }

  reason(slot: number): string | undefined {
    return this.texts[slot * TEXTS + REASON];
  }

  filledQuantity(slot: number): number {
    return this.numbers[slot * NUMBERS + FILLED]!;
  }

  averageFillPrice(slot: number): number {
    return this.numbers[slot * NUMBERS + AVERAGE]!;
  }

  steps(slot: number): number {
    return this.numbers[slot * NUMBERS + STEPS]!;
  }

  rowStart(slot: number): number {
    return this.numbers[slot * NUMBERS + START]!;
  }

  rowEnd(slot: number): number {
    return this.numbers[slot * NUMBERS + END]!;
  }

  /** Drops the oldest slot, letting go of its order */
  shift(): void {
    this.orders[this.head] = undefined;
    const t = this.head * TEXTS;
    for (let k = 0; k < TEXTS; k++) this.texts[t + k] = undefined;
    this.head = (this.head + 1) & (this.capacity - 1);
    this.size -= 1;
  }

  /** Where the oldest row still waiting starts (Infinity when none): rows are made in slot order */
  heldFrom(): number {
    for (let i = 0; i < this.size; i++) {
      const slot = (this.head + i) & (this.capacity - 1);
      const start = this.numbers[slot * NUMBERS + START]!;
      if (start >= 0) return start;
    }
    return Number.POSITIVE_INFINITY;
  }

  /**
   * An event named a finished (or once finished) order: if its slot's row no longer matches the
   * order, the row is made again when due. Looked for among the newest LOOK_BACK slots (an
   * event on an order comes soon after it finished); past them, every older slot is taken as
   * stale, which costs a row made twice, never a wrong one
   */
  recheck(order: TrackedOrder): void {
    const look = Math.min(this.size, LOOK_BACK);
    const mask = this.capacity - 1;
    for (let i = 1; i <= look; i++) {
      const slot = (this.head + this.size - i) & mask;
      if (this.orders[slot] !== order) continue;
      if (this.states[slot] === ROW_MADE && !this.matches(slot, order))
        this.states[slot] = ROW_STALE;
      // An order that finished twice has an older slot too, made stale when it came back to life
      if (this.states[slot] !== ROW_NONE) return;
    }
    if (this.size > look) this.staleBefore = this.pushed - look;
  }

  /** Whether the order is still what its slot's row was made of */
  private matches(slot: number, order: TrackedOrder): boolean {
    const n = slot * NUMBERS;
    const numbers = this.numbers;
    const t = slot * TEXTS;
    const texts = this.texts;
    return (
      texts[t + STATUS] === order.status &&
      numbers[n + FILLED] === order.filledQuantity &&
      numbers[n + AVERAGE] === order.averageFillPrice &&
      numbers[n + UPDATED] === order.updatedAt &&
      numbers[n + STEPS] === order.transitions.length &&
      texts[t + VENUE_ID] === order.venueOrderId &&
      texts[t + REASON] === order.reason &&
      numbers[n + QUANTITY] === order.quantity &&
      same(order.price, numbers[n + PRICE]!) &&
      same(order.stopPrice, numbers[n + STOP_PRICE]!) &&
      numbers[n + REDUCE_ONLY] === (order.reduceOnly ? 1 : 0) &&
      texts[t + SIDE] === order.side &&
      texts[t + TYPE] === order.type &&
      texts[t + TIME_IN_FORCE] === order.timeInForce &&
      texts[t + ORIGIN] === order.origin
    );
  }

  /** Twice the room, the slots moved into ring order from 0 */
  private grow(): void {
    const capacity = this.capacity * 2;
    const orders: Array<TrackedOrder | undefined> = new Array(capacity).fill(undefined);
    const numbers = new Float64Array(capacity * NUMBERS);
    const texts: Array<string | undefined> = new Array(capacity * TEXTS).fill(undefined);
    const states = new Uint8Array(capacity);
    for (let i = 0; i < this.size; i++) {
      const from = (this.head + i) & (this.capacity - 1);
      orders[i] = this.orders[from];
      numbers.set(this.numbers.subarray(from * NUMBERS, (from + 1) * NUMBERS), i * NUMBERS);
      for (let k = 0; k < TEXTS; k++) texts[i * TEXTS + k] = this.texts[from * TEXTS + k];
      states[i] = this.states[from]!;
    }
    this.orders = orders;
    this.numbers = numbers;
    this.texts = texts;
    this.states = states;
    this.capacity = capacity;
    this.head = 0;
  }
}
