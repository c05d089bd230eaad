/**
 * Candles (OHLCV bars) built from market data as it streams: from trades when the bar saw any,
 * otherwise from the mid of the quotes (volume 0), so a quote-only feed or a quiet minute still
 * gets a bar. A bar covers [time, time + interval) in UTC-aligned intervals and closes when the
 * clock reaches its end. Intervals with no data at all get a flat bar at the last close
 * (`source: 'gap'`), up to MAX_GAP_BARS in a row; a longer gap starts afresh after it.
 */

import { invalidField } from '../core/errors.ts';
import type { Instrument } from '../core/instrument.ts';
import { emptyObjectList } from '../core/tagged-fields.ts';

export interface Bar {
  readonly instrument: Instrument;
  /** The interval as asked for: `1m`, `15m`, `1h`... */
  readonly interval: string;
  readonly intervalMs: number;
  /** When the bar opens, ms since the epoch (a multiple of intervalMs) */
  readonly time: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Base quantity traded; 0 for a bar made from quotes */
  readonly volume: number;
  /** How many trades printed in it */
  readonly trades: number;
  /** What it was made from: trades, quote mids, or nothing (a flat bar across a gap) */
  readonly source: 'trades' | 'quotes' | 'gap';
}

/** The most flat bars filled in across one gap in the data */
export const MAX_GAP_BARS = 1000;

const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The length of an interval such as `1s`, `5m`, `4h`, `1d`, ms.
 * @throws KestrelError INVALID_ARGUMENT for anything else, or one that does not divide a day
 */
export function parseInterval(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text);
  const ms = match === null ? Number.NaN : Number(match[1]) * UNITS[match[2]!]!;
  if (!(ms > 0) || (ms < 86_400_000 ? 86_400_000 % ms !== 0 : ms % 86_400_000 !== 0))
    throw invalidField(
      'INVALID_ARGUMENT',
      'interval',
      text,
      'must be a number and a unit (s, m, h, d) that divides a day evenly, e.g. 1m, 15m, 4h, 1d',
    );
  return ms;
}

interface Accumulator {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  count: number;
}

const empty = (): Accumulator => ({
  open: Number.NaN,
  high: Number.NEGATIVE_INFINITY,
  low: Number.POSITIVE_INFINITY,
  close: Number.NaN,
  volume: 0,
  count: 0,
});

/** Empties an accumulator for the next bar, in place */
function reset(acc: Accumulator): void {
  acc.open = Number.NaN;
  acc.high = Number.NEGATIVE_INFINITY;
  acc.low = Number.POSITIVE_INFINITY;
  acc.close = Number.NaN;
  acc.volume = 0;
  acc.count = 0;
}

function add(acc: Accumulator, price: number, size: number): void {
  if (acc.count === 0) acc.open = price;
  if (price > acc.high) acc.high = price;
  if (price < acc.low) acc.low = price;
  acc.close = price;
  acc.volume += size;
  acc.count += 1;
}

/** Builds the bars of one instrument at one interval */
export class BarBuilder {
  readonly instrument: Instrument;
  readonly interval: string;
  readonly intervalMs: number;
  /** When the open bar started; NaN before any data */
  private start = Number.NaN;
  private readonly fromTrades = empty();
  private readonly fromQuotes = empty();
  private lastClose = Number.NaN;

  constructor(instrument: Instrument, interval: string) {
    this.instrument = instrument;
    this.interval = interval;
    this.intervalMs = parseInterval(interval);
  }

  /** When the open bar ends (NaN before any data) */
  get end(): number {
    return this.start + this.intervalMs;
  }

  /** Adds a trade; call `close(time)` first so it lands in the right bar */
  trade(time: number, price: number, size: number): void {
    this.open(time);
    add(this.fromTrades, price, size);
  }

  /** Adds a quote's mid */
  quote(time: number, mid: number): void {
    this.open(time);
    add(this.fromQuotes, mid, 0);
  }

  private open(time: number): void {
    if (Number.isNaN(this.start)) this.start = Math.floor(time / this.intervalMs) * this.intervalMs;
  }

  /**
   * Closes every bar that ended at or before `time`, with flat bars for intervals that saw no
   * data (at most MAX_GAP_BARS of them), and opens the bar `time` falls in
   */
  close(time: number, emit: (bar: Bar) => void): void {
    if (Number.isNaN(this.start) || time < this.end) return;
    const acc = this.fromTrades.count > 0 ? this.fromTrades : this.fromQuotes;
    if (acc.count > 0) {
      emit(this.bar(this.start, acc, this.fromTrades.count > 0 ? 'trades' : 'quotes'));
      this.lastClose = acc.close;
    } else if (!Number.isNaN(this.lastClose)) {
      emit(this.gapBar(this.start));
    }
    reset(this.fromTrades);
    reset(this.fromQuotes);
    const next = Math.floor(time / this.intervalMs) * this.intervalMs;
    let gaps = 0;
    for (let t = this.end; t < next && gaps < MAX_GAP_BARS; t += this.intervalMs, gaps++)
      if (!Number.isNaN(this.lastClose)) emit(this.gapBar(t));
    this.start = next;
  }

  private bar(time: number, acc: Accumulator, source: Bar['source']): Bar {
    return {
      instrument: this.instrument,
      interval: this.interval,
      intervalMs: this.intervalMs,
      time,
      open: acc.open,
      high: acc.high,
      low: acc.low,
      close: acc.close,
      volume: acc.volume,
      trades: source === 'trades' ? acc.count : 0,
      source,
    };
  }

  private gapBar(time: number): Bar {
    const price = this.lastClose;
    return this.bar(
      time,
      { open: price, high: price, low: price, close: price, volume: 0, count: 0 },
      'gap',
    );
  }
}

/**
 * The last `capacity` items of a stream, oldest first; `at(-1)` is the newest. Pushing past the
 * capacity drops the oldest, so memory stays fixed however long the run.
 */
export class RingBuffer<T> implements Iterable<T> {
  readonly capacity: number;
  private readonly items: T[] = emptyObjectList();
  private head = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw invalidField('INVALID_ARGUMENT', 'capacity', capacity, 'must be a positive integer');
    this.capacity = capacity;
  }

  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      this.items[this.head] = item;
      this.head = (this.head + 1) % this.capacity;
    }
  }

  /** The item at `index` counting from the oldest (0) or, when negative, from the newest (-1) */
  at(index: number): T | undefined {
    const n = this.items.length;
    const i = index < 0 ? n + index : index;
    if (i < 0 || i >= n) return undefined;
    return this.items[(this.head + i) % n];
  }

  /** The newest `count` items (all when omitted), oldest first */
  toArray(count = this.items.length): T[] {
    const n = this.items.length;
    const take = Math.min(Math.max(0, count), n);
    const out: T[] = new Array(take);
    for (let k = 0; k < take; k++) out[k] = this.items[(this.head + n - take + k) % n]!;
    return out;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let k = 0; k < this.items.length; k++) yield this.at(k)!;
  }
}
