import { invalidField } from '../core/errors.ts';
import type { Instrument } from '../core/instrument.ts';
import type { MarketEvent, Quote, Trade } from '../core/market-data.ts';
import { emptyObjectList } from '../core/tagged-fields.ts';
import type { Clock, Timer } from '../engine/clock.ts';
import type { Bar } from './bars.ts';
import { BarBuilder, RingBuffer } from './bars.ts';

/** A read-only view of the last items of a stream, oldest first; `at(-1)` is the newest */
export type History<T> = Pick<RingBuffer<T>, 'capacity' | 'length' | 'at' | 'toArray'> &
  Iterable<T>;

/** How many bars, quotes and trades a strategy's context keeps per instrument by default */
export const DEFAULT_HISTORY_SIZE = 500;

const NO_HISTORY: History<never> = new RingBuffer<never>(1);

/**
 * The market as a strategy looks back on it: the last quotes and trades of each instrument, and
 * candles at the intervals the strategy subscribed to. Bars close on the clock at their end (a
 * timer, so a quiet market still closes them live), or at the first event past the end, and are
 * handed to `onBar` after they join their history. Across a long gap in the data (ten intervals
 * without an event) the timer pauses and the next event catches up.
 */
export class MarketHistory {
  private readonly clock: Clock;
  private readonly size: number;
  private readonly onBar: (bar: Bar) => void;
  private readonly quoteHistory = new Map<Instrument, RingBuffer<Quote>>();
  private readonly tradeHistory = new Map<Instrument, RingBuffer<Trade>>();
  private readonly builders: BarBuilder[] = emptyObjectList();
  /** Per builder, what it hands each bar it closes to (its history, then onBar) */
  private readonly emits: Array<(bar: Bar) => void> = emptyObjectList();
  private readonly barHistory = new Map<BarBuilder, RingBuffer<Bar>>();
  private readonly byKey = new Map<string, BarBuilder>();
  /** The shortest interval subscribed to, ms */
  private shortest = Number.POSITIVE_INFINITY;
  private timer: Timer | undefined;
  /** The bar timer that fired last, for the clock to set again (no timer made per bar) */
  private spare: Timer | undefined;
  /** The bar timer's callback (one function for the run, not one per bar) */
  private readonly onTimer = () => {
    this.spare = this.timer;
    this.timer = undefined;
    if (!this.running) return;
    const at = this.clock.now();
    this.closeUntil(at);
    // Across a gap in the data the timer rests; the next event wakes it
    if (at - this.lastEventAt <= 10 * this.shortest) this.arm();
  };
  private running = false;
  /**
   * The instrument of the last quote and the last trade, with their histories: a run of one
   * instrument finds them without a lookup per event
   */
  private lastQuoted: Instrument | undefined;
  private lastQuotes: RingBuffer<Quote> | undefined;
  private lastTraded: Instrument | undefined;
  private lastTrades: RingBuffer<Trade> | undefined;
  private lastEventAt = Number.NEGATIVE_INFINITY;
  /** The earliest end of an open bar; events before it close nothing */
  private nextEnd = Number.POSITIVE_INFINITY;
  /**
   * Builders that have seen no data yet: only their first event opens a bar and moves `nextEnd`
   * between closes (a bar's end is otherwise fixed until it closes)
   */
  private unopened = 0;

  constructor(options: {
    readonly clock: Clock;
    readonly size?: number | undefined;
    readonly onBar: (bar: Bar) => void;
  }) {
    this.clock = options.clock;
    this.size = options.size ?? DEFAULT_HISTORY_SIZE;
    if (!Number.isInteger(this.size) || this.size < 1)
      throw invalidField(
        'INVALID_ARGUMENT',
        'historySize',
        this.size,
        'must be a positive integer',
      );
    this.onBar = options.onBar;
  }

  /**
   * Builds bars of `interval` for the instrument from now on; subscribing twice is harmless.
   * @throws KestrelError INVALID_ARGUMENT for an interval such as `7x`
   */
  subscribe(instrument: Instrument, interval: string): void {
    const key = `${instrument.symbol}\u0000${interval}`;
    if (this.byKey.has(key)) return;
    const builder = new BarBuilder(instrument, interval);
    const ring = new RingBuffer<Bar>(this.size);
    this.byKey.set(key, builder);
    this.builders.push(builder);
    this.emits.push((bar) => {
      ring.push(bar);
      this.onBar(bar);
    });
    this.barHistory.set(builder, ring);
    this.unopened += 1;
    this.shortest = Math.min(this.shortest, builder.intervalMs);
  }

  /**
   * The closed bars of an instrument at an interval.
   * @throws KestrelError INVALID_ARGUMENT when the strategy did not subscribe to them
   */
  bars(instrument: Instrument, interval: string): History<Bar> {
    const builder = this.byKey.get(`${instrument.symbol}\u0000${interval}`);
    if (builder === undefined)
      throw invalidField(
        'INVALID_ARGUMENT',
        'interval',
        interval,
        `has no bars for ${instrument.symbol}: call ctx.subscribeBars(${JSON.stringify(interval)}) in onStart first`,
      );
    return this.barHistory.get(builder)!;
  }

  quotes(instrument: Instrument): History<Quote> {
    return this.quoteHistory.get(instrument) ?? NO_HISTORY;
  }

  trades(instrument: Instrument): History<Trade> {
    return this.tradeHistory.get(instrument) ?? NO_HISTORY;
  }

  /** Bars close from now on, on the clock */
  start(): void {
    this.running = true;
    this.arm();
  }

  /** No bar closes after this */
  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Closes the bars the event's time ends, then records the event */
  onMarket(event: MarketEvent): void {
    const time = event.time;
    this.lastEventAt = this.clock.now();
    if (this.builders.length > 0 && time >= this.nextEnd) this.closeUntil(time);
    const instrument = event.instrument;
    if (event.type === 'trade') {
      if (instrument !== this.lastTraded) {
        this.lastTrades = this.history(this.tradeHistory, instrument);
        this.lastTraded = instrument;
      }
      this.lastTrades!.push(event);
      for (const b of this.builders)
        if (b.instrument === instrument) b.trade(time, event.price, event.size);
    } else {
      let quote: Quote | undefined;
      if (event.type === 'quote') quote = event;
      else {
        const bid = event.bids[0];
        const ask = event.asks[0];
        if (bid !== undefined && ask !== undefined)
          quote = {
            type: 'quote',
            instrument,
            time,
            bid: bid[0],
            bidSize: bid[1],
            ask: ask[0],
            askSize: ask[1],
          };
      }
      if (quote === undefined) return;
      if (instrument !== this.lastQuoted) {
        this.lastQuotes = this.history(this.quoteHistory, instrument);
        this.lastQuoted = instrument;
      }
      this.lastQuotes!.push(quote);
      const mid = (quote.bid + quote.ask) / 2;
      for (const b of this.builders) if (b.instrument === instrument) b.quote(time, mid);
    }
    if (this.builders.length > 0) {
      if (this.unopened > 0) this.updateNextEnd();
      if (this.timer === undefined) this.arm();
    }
  }

  private history<T>(map: Map<Instrument, RingBuffer<T>>, instrument: Instrument): RingBuffer<T> {
    let ring = map.get(instrument);
    if (ring === undefined) {
      ring = new RingBuffer<T>(this.size);
      map.set(instrument, ring);
    }
    return ring;
  }

  private closeUntil(time: number): void {
    const builders = this.builders;
    for (let i = 0; i < builders.length; i++) builders[i]!.close(time, this.emits[i]!);
    this.updateNextEnd();
  }

  private updateNextEnd(): void {
    let next = Number.POSITIVE_INFINITY;
    let unopened = 0;
    const builders = this.builders;
    for (let i = 0; i < builders.length; i++) {
      const end = builders[i]!.end;
      if (end < next) next = end;
      else if (Number.isNaN(end)) unopened += 1;
    }
    this.nextEnd = next;
    this.unopened = unopened;
  }

  private arm(): void {
    if (!this.running || !Number.isFinite(this.nextEnd)) return;
    this.timer?.cancel();
    const now = this.clock.now();
    const spare = this.spare;
    this.spare = undefined;
    this.timer = this.clock.setTimer(Math.max(0, this.nextEnd - now), this.onTimer, spare);
  }
}
