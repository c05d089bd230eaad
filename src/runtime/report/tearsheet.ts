/**
 * What a trader reads first: drawdown, risk-adjusted return, round-trip trades, a price chart
 * with the fills on it, the last orders with their audit. The TearsheetRecorder gathers it during
 * a run in bounded memory; `buildTearsheet` turns it and the equity curve into figures.
 */
import type { Fill } from '../../core/fill.ts';
import type { Instrument } from '../../core/instrument.ts';
import { isDerivative } from '../../core/instrument.ts';
import type { Order, OrderTransition } from '../../core/order.ts';
import type { Position } from '../../core/position.ts';
import { emptyObjectList, keepFieldsMutable } from '../../core/tagged-fields.ts';
import type { Drawdown, EquitySample, RiskMetrics } from './metrics.ts';
import { curveRiskMetrics, DrawdownTracker, SAMPLE_PERIODS_MS } from './metrics.ts';
import type { RoundTrip, TradeStats } from './round-trips.ts';
import { RoundTripTracker } from './round-trips.ts';

/** Price and fills of one instrument over one sampling period */
export interface PriceBucket {
  readonly time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  buyQuantity: number;
  buyNotional: number;
  sellQuantity: number;
  sellNotional: number;
}

/** A fill as the price chart marks it */
export interface FillMark {
  readonly symbol: string;
  readonly time: number;
  readonly side: 'BUY' | 'SELL';
  readonly price: number;
  readonly quantity: number;
}

/** An order as the report's last-orders table shows it */
export interface OrderSummary {
  readonly clientId: string;
  readonly symbol: string;
  readonly side: string;
  readonly type: string;
  readonly timeInForce: string;
  readonly quantity: number;
  readonly price: number | null;
  readonly status: string;
  readonly filledQuantity: number;
  readonly averageFillPrice: number;
  readonly reason: string | null;
  readonly createdAt: number;
  readonly transitions: readonly OrderTransition[];
}

export interface BuyAndHold {
  /** The instruments held, equal weights */
  readonly symbols: readonly string[];
  /** Its return over the run; null without prices */
  readonly totalReturn: number | null;
}

/** The tearsheet figures of a run, as summary.json holds them */
export interface Tearsheet {
  readonly metrics: RiskMetrics;
  readonly drawdown: Drawdown;
  readonly trades: TradeStats;
  readonly buyAndHold: BuyAndHold;
  readonly lastTrades: readonly RoundTrip[];
  readonly lastOrders: readonly OrderSummary[];
}

/** The chart data of a run (not written to summary.json) */
export interface TearsheetCharts {
  /** Per symbol, one bucket per sampling period with a price */
  readonly prices: Readonly<Record<string, readonly PriceBucket[]>>;
  /** Every fill when there were few, else undefined (the buckets hold them aggregated) */
  readonly fills: readonly FillMark[] | undefined;
  /** Equity had the starting capital bought the instruments at the first price, on the price grid */
  readonly buyAndHold: ReadonlyArray<readonly [number, number]>;
}

const MAX_BUCKETS = 4000;
const MAX_FILL_MARKS = 600;

/** The fields of a price bucket, in the order its columns hold them */
const OPEN = 0;
const HIGH = 1;
const LOW = 2;
const CLOSE = 3;
const BUY_QUANTITY = 4;
const BUY_NOTIONAL = 5;
const SELL_QUANTITY = 6;
const SELL_NOTIONAL = 7;
const FIELDS = 8;

/**
 * One instrument's price buckets in columns: a new bucket is a few numbers written, not an
 * object kept for the rest of the run, and coarsening merges them in place. Buckets are built
 * as objects only when the run ends.
 */
class PriceSeries {
  times = new Float64Array(256);
  /** Row-major: bucket i's field f at i × FIELDS + f */
  values = new Float64Array(256 * FIELDS);
  length = 0;

  /** Opens a bucket at `time` whose first price is `price`, after the last one's close */
  open(time: number, price: number): number {
    if (this.length === this.times.length) {
      const times = new Float64Array(this.times.length * 2);
      times.set(this.times);
      this.times = times;
      const values = new Float64Array(this.values.length * 2);
      values.set(this.values);
      this.values = values;
    }
    const i = this.length;
    const v = this.values;
    const at = i * FIELDS;
    const open = i === 0 ? price : v[(i - 1) * FIELDS + CLOSE]!;
    this.times[i] = time;
    v[at + OPEN] = open;
    v[at + HIGH] = Math.max(open, price);
    v[at + LOW] = Math.min(open, price);
    v[at + CLOSE] = price;
    v[at + BUY_QUANTITY] = 0;
    v[at + BUY_NOTIONAL] = 0;
    v[at + SELL_QUANTITY] = 0;
    v[at + SELL_NOTIONAL] = 0;
    this.length = i + 1;
    return i;
  }

  /** Merges the buckets into `period`-long ones, in place */
  coarsen(period: number): void {
    const { times, values: v } = this;
    let merged = -1;
    for (let i = 0; i < this.length; i++) {
      const start = Math.floor(times[i]! / period) * period;
      const from = i * FIELDS;
      if (merged < 0 || times[merged] !== start) {
        merged += 1;
        times[merged] = start;
        // A bucket moves only once an earlier one was merged
        if (merged !== i) {
          const to = merged * FIELDS;
          for (let f = 0; f < FIELDS; f++) v[to + f] = v[from + f]!;
        }
        continue;
      }
      const to = merged * FIELDS;
      v[to + HIGH] = Math.max(v[to + HIGH]!, v[from + HIGH]!);
      v[to + LOW] = Math.min(v[to + LOW]!, v[from + LOW]!);
      v[to + CLOSE] = v[from + CLOSE]!;
      v[to + BUY_QUANTITY] = v[to + BUY_QUANTITY]! + v[from + BUY_QUANTITY]!;
      v[to + BUY_NOTIONAL] = v[to + BUY_NOTIONAL]! + v[from + BUY_NOTIONAL]!;
      v[to + SELL_QUANTITY] = v[to + SELL_QUANTITY]! + v[from + SELL_QUANTITY]!;
      v[to + SELL_NOTIONAL] = v[to + SELL_NOTIONAL]! + v[from + SELL_NOTIONAL]!;
    }
    this.length = merged + 1;
  }

  buckets(): PriceBucket[] {
    const list: PriceBucket[] = new Array(this.length);
    const v = this.values;
    for (let i = 0; i < this.length; i++) {
      const at = i * FIELDS;
      list[i] = {
        time: this.times[i]!,
        open: v[at + OPEN]!,
        high: v[at + HIGH]!,
        low: v[at + LOW]!,
        close: v[at + CLOSE]!,
        buyQuantity: v[at + BUY_QUANTITY]!,
        buyNotional: v[at + BUY_NOTIONAL]!,
        sellQuantity: v[at + SELL_QUANTITY]!,
        sellNotional: v[at + SELL_NOTIONAL]!,
      };
    }
    return list;
  }
}

/** Where a tearsheet's samples read mark prices, by the instrument's index in the run's */
export interface MarkPrices {
  markOf(index: number): number;
}

/**
 * Gathers what the tearsheet needs while a run goes on, in bounded memory: drawdown sampled every
 * second, price buckets with fill volume on the equity curve's grid, round trips, the last orders.
 */
export class TearsheetRecorder {
  private readonly instruments: readonly Instrument[];
  private readonly settle: (instrument: Instrument) => string;
  readonly drawdown = new DrawdownTracker();
  readonly trips: RoundTripTracker;
  private readonly series = new Map<string, PriceSeries>();
  /** Each instrument's series, by its index in the run's instruments, once it has one */
  private readonly seriesAt: Array<PriceSeries | undefined> = emptyObjectList();
  private periodIndex = 0;
  private fills: FillMark[] | undefined = emptyObjectList();
  /**
   * The last orders written, a ring of `keepOrders`: each order with what of it can still change
   * once written (status, fills, reason, how far its audit trail went), taken then. Their
   * summaries are built at the end, not one object and a trail copy per order
   */
  private readonly lastOrders: Array<Order | undefined>;
  private readonly lastStatus: Array<Order['status'] | undefined>;
  private readonly lastFilled: Float64Array;
  private readonly lastAverage: Float64Array;
  private readonly lastReason: Array<string | undefined>;
  private readonly lastTransitions: Uint32Array;
  private ordersWritten = 0;
  private readonly keepOrders: number;
  private readonly realized = new Map<string, number>();
  private firstPrices: Map<string, number> | undefined;
  private readonly lastPrices = new Map<string, { price: number }>();

  constructor(options: {
    readonly instruments: readonly Instrument[];
    readonly keepOrders?: number;
    readonly keepTrades?: number;
    readonly onTrade?: (trip: RoundTrip) => void;
  }) {
    this.instruments = options.instruments;
    this.keepOrders = Math.max(1, options.keepOrders ?? 50);
    this.lastOrders = new Array(this.keepOrders).fill(undefined);
    this.lastStatus = new Array(this.keepOrders).fill(undefined);
    this.lastFilled = new Float64Array(this.keepOrders);
    this.lastAverage = new Float64Array(this.keepOrders);
    this.lastReason = new Array(this.keepOrders).fill(undefined);
    this.lastTransitions = new Uint32Array(this.keepOrders);
    this.trips = new RoundTripTracker(options.keepTrades ?? 100, options.onTrade);
    this.settle = (instrument) => (isDerivative(instrument) ? instrument.settle : instrument.quote);
    // The price grid coarsens first an hour or so into a run (see keepFieldsMutable)
    keepFieldsMutable<{ periodIndex: number }>(this as never, ['periodIndex']);
  }

  get periodMs(): number {
    return SAMPLE_PERIODS_MS[this.periodIndex]!;
  }

  /**
   * A one-second sample: equity for the drawdown, mark prices for the price chart (`marks` is
   * asked for each instrument by its index in the run's instruments)
   */
  sample(time: number, equity: number, marks: MarkPrices): void {
    this.drawdown.add(time, equity);
    const instruments = this.instruments;
    for (let k = 0; k < instruments.length; k++) {
      const price = marks.markOf(k);
      if (!(price > 0)) continue;
      const symbol = instruments[k]!.symbol;
      // Written in place: a number set into a Map is boxed anew on every sample
      const last = this.lastPrices.get(symbol);
      if (last === undefined) this.lastPrices.set(symbol, { price });
      else last.price = price;
      let series = this.seriesAt[k];
      if (series === undefined) {
        series = this.seriesOf(symbol);
        this.seriesAt[k] = series;
      }
      this.bucket(series, time, price);
    }
    if (this.firstPrices === undefined && this.lastPrices.size === this.instruments.length) {
      this.firstPrices = new Map();
      for (const [symbol, last] of this.lastPrices) this.firstPrices.set(symbol, last.price);
    }
  }

  private seriesOf(symbol: string): PriceSeries {
    let series = this.series.get(symbol);
    if (series === undefined) {
      series = new PriceSeries();
      this.series.set(symbol, series);
    }
    return series;
  }

  /** Takes a price into the series' bucket for `time` (opened at that price when new); its index */
  private bucket(series: PriceSeries, time: number, price: number): number {
    const start = Math.floor(time / this.periodMs) * this.periodMs;
    const last = series.length - 1;
    if (last < 0 || series.times[last] !== start) {
      series.open(start, price);
      if (series.length > MAX_BUCKETS) this.coarsen();
      return series.length - 1;
    }
    const v = series.values;
    const at = last * FIELDS;
    if (price > v[at + HIGH]!) v[at + HIGH] = price;
    if (price < v[at + LOW]!) v[at + LOW] = price;
    v[at + CLOSE] = price;
    return last;
  }

  /** Moves every price series to the next sampling period, merging buckets */
  private coarsen(): void {
    if (this.periodIndex + 1 >= SAMPLE_PERIODS_MS.length) return;
    this.periodIndex += 1;
    for (const series of this.series.values()) series.coarsen(this.periodMs);
  }

  /** A booked fill with the position right after it */
  onFill(fill: Fill, position: Position | undefined): void {
    const symbol = fill.instrument.symbol;
    const series = this.seriesOf(symbol);
    const at =
      this.bucket(series, fill.time, this.lastPrices.get(symbol)?.price ?? fill.price) * FIELDS;
    const v = series.values;
    const notional = fill.quantity * fill.price;
    if (fill.side === 'BUY') {
      v[at + BUY_QUANTITY] = v[at + BUY_QUANTITY]! + fill.quantity;
      v[at + BUY_NOTIONAL] = v[at + BUY_NOTIONAL]! + notional;
    } else {
      v[at + SELL_QUANTITY] = v[at + SELL_QUANTITY]! + fill.quantity;
      v[at + SELL_NOTIONAL] = v[at + SELL_NOTIONAL]! + notional;
    }
    if (this.fills !== undefined) {
      if (this.fills.length < MAX_FILL_MARKS)
        this.fills.push({
          symbol,
          time: fill.time,
          side: fill.side,
          price: fill.price,
          quantity: fill.quantity,
        });
      else this.fills = undefined;
    }
    if (position === undefined) return;
    const before = this.realized.get(symbol) ?? 0;
    this.realized.set(symbol, position.realizedPnl);
    this.trips.add({
      symbol,
      time: fill.time,
      side: fill.side,
      quantity: fill.quantity,
      price: fill.price,
      fee: fill.feeCurrency === this.settle(fill.instrument) ? fill.fee : 0,
      positionAfter: position.quantity,
      realized: position.realizedPnl - before,
    });
  }

  /** An order written to orders.csv: the last few are kept for the report */
  onOrder(order: Order): void {
    const at = this.ordersWritten % this.keepOrders;
    this.ordersWritten += 1;
    this.lastOrders[at] = order;
    this.lastStatus[at] = order.status;
    this.lastFilled[at] = order.filledQuantity;
    this.lastAverage[at] = order.averageFillPrice;
    this.lastReason[at] = order.reason;
    this.lastTransitions[at] = order.transitions.length;
  }

  /** The last orders written, oldest first, as they were when written */
  private orderSummaries(): OrderSummary[] {
    const count = Math.min(this.ordersWritten, this.keepOrders);
    const summaries: OrderSummary[] = [];
    for (let k = this.ordersWritten - count; k < this.ordersWritten; k++) {
      const at = k % this.keepOrders;
      const order = this.lastOrders[at]!;
      summaries.push({
        clientId: order.clientId,
        symbol: order.instrument.symbol,
        side: order.side,
        type: order.type,
        timeInForce: order.timeInForce,
        quantity: order.quantity,
        price: order.price ?? null,
        status: this.lastStatus[at]!,
        filledQuantity: this.lastFilled[at]!,
        averageFillPrice: this.lastAverage[at]!,
        reason: this.lastReason[at] ?? null,
        createdAt: order.createdAt,
        // The audit trail only grows: its first entries are the trail as it was when written
        transitions: order.transitions.slice(0, this.lastTransitions[at]!),
      });
    }
    return summaries;
  }

  /**
   * The figures, over the equity curve and the run's period, and the chart data as a function:
   * thousands of candles are built only for a report that draws them
   */
  finish(
    curve: readonly EquitySample[],
    curvePeriodMs: number,
    start: number,
    end: number,
  ): { readonly tearsheet: Tearsheet; readonly charts: () => TearsheetCharts } {
    const drawdown = this.drawdown.result();
    const first = curve[0]?.equity;
    const last = curve[curve.length - 1]?.equity;
    const totalReturn =
      first === undefined || last === undefined || first <= 0 ? null : last / first - 1;
    const metrics = curveRiskMetrics(curve, curvePeriodMs, totalReturn, drawdown.maxDrawdown);
    const symbols = this.instruments.map((i) => i.symbol);
    let holdReturn: number | null = null;
    if (this.firstPrices !== undefined && symbols.length > 0) {
      let sum = 0;
      for (const symbol of symbols)
        sum += (this.lastPrices.get(symbol)?.price ?? 0) / (this.firstPrices.get(symbol) ?? 1) - 1;
      holdReturn = sum / symbols.length;
    }
    return {
      tearsheet: {
        metrics,
        drawdown,
        trades: this.trips.stats(start, end),
        buyAndHold: { symbols, totalReturn: holdReturn },
        lastTrades: this.trips.lastTrades(),
        lastOrders: this.orderSummaries(),
      },
      charts: () => this.charts(first),
    };
  }

  /** The chart data: candles per symbol, the fills, buy and hold from `capital` on the candles */
  private charts(capital: number | undefined): TearsheetCharts {
    const prices = new Map<string, PriceBucket[]>();
    for (const [symbol, series] of this.series) prices.set(symbol, series.buckets());
    return {
      prices: Object.fromEntries(prices),
      fills: this.fills,
      buyAndHold: capital === undefined ? [] : this.holdCurve(capital, prices),
    };
  }

  /** Buy and hold on the price grid: capital × mean(close / first price) over the instruments */
  private holdCurve(
    capital: number,
    prices: ReadonlyMap<string, readonly PriceBucket[]>,
  ): Array<[number, number]> {
    const firsts = this.firstPrices;
    if (firsts === undefined) return [];
    const symbols = this.instruments.map((i) => i.symbol);
    const series = symbols.map((s) => prices.get(s) ?? []);
    const period = this.periodMs;
    return (series[0] ?? []).map((bucket, i) => {
      let sum = 0;
      symbols.forEach((symbol, k) => {
        const list = series[k]!;
        const close = (list[i] ?? list[list.length - 1])?.close ?? firsts.get(symbol)!;
        sum += close / firsts.get(symbol)!;
      });
      return [bucket.time + period, (capital * sum) / symbols.length];
    });
  }
}
