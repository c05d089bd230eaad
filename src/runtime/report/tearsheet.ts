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
import type { Drawdown, EquitySample, RiskMetrics } from './metrics.ts';
import { DrawdownTracker, periodReturns, riskMetrics, SAMPLE_PERIODS_MS } from './metrics.ts';
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

/**
 * Gathers what the tearsheet needs while a run goes on, in bounded memory: drawdown sampled every
 * second, price buckets with fill volume on the equity curve's grid, round trips, the last orders.
 */
export class TearsheetRecorder {
  private readonly instruments: readonly Instrument[];
  private readonly settle: (instrument: Instrument) => string;
  readonly drawdown = new DrawdownTracker();
  readonly trips: RoundTripTracker;
  private readonly buckets = new Map<string, PriceBucket[]>();
  private periodIndex = 0;
  private fills: FillMark[] | undefined = [];
  private readonly orders: OrderSummary[] = [];
  private readonly keepOrders: number;
  private readonly realized = new Map<string, number>();
  private firstPrices: Map<string, number> | undefined;
  private readonly lastPrices = new Map<string, number>();

  constructor(options: {
    readonly instruments: readonly Instrument[];
    readonly keepOrders?: number;
    readonly keepTrades?: number;
    readonly onTrade?: (trip: RoundTrip) => void;
  }) {
    this.instruments = options.instruments;
    this.keepOrders = options.keepOrders ?? 50;
    this.trips = new RoundTripTracker(options.keepTrades ?? 100, options.onTrade);
    this.settle = (instrument) => (isDerivative(instrument) ? instrument.settle : instrument.quote);
  }

  get periodMs(): number {
    return SAMPLE_PERIODS_MS[this.periodIndex]!;
  }

  /** A one-second sample: equity for the drawdown, mark prices for the price chart */
  sample(time: number, equity: number, mark: (instrument: Instrument) => number): void {
    this.drawdown.add(time, equity);
    for (const instrument of this.instruments) {
      const price = mark(instrument);
      if (!(price > 0)) continue;
      this.lastPrices.set(instrument.symbol, price);
      this.bucket(instrument.symbol, time, price);
    }
    if (this.firstPrices === undefined && this.lastPrices.size === this.instruments.length)
      this.firstPrices = new Map(this.lastPrices);
  }

  private bucket(symbol: string, time: number, price: number): PriceBucket {
    let list = this.buckets.get(symbol);
    if (list === undefined) {
      list = [];
      this.buckets.set(symbol, list);
    }
    const start = Math.floor(time / this.periodMs) * this.periodMs;
    let last = list[list.length - 1];
    if (last === undefined || last.time !== start) {
      const open = last?.close ?? price;
      last = {
        time: start,
        open,
        high: Math.max(open, price),
        low: Math.min(open, price),
        close: price,
        buyQuantity: 0,
        buyNotional: 0,
        sellQuantity: 0,
        sellNotional: 0,
      };
      list.push(last);
      if (list.length > MAX_BUCKETS) this.coarsen();
      return list[list.length - 1]!;
    }
    if (price > last.high) last.high = price;
    if (price < last.low) last.low = price;
    last.close = price;
    return last;
  }

  /** Moves every price series to the next sampling period, merging buckets */
  private coarsen(): void {
    if (this.periodIndex + 1 >= SAMPLE_PERIODS_MS.length) return;
    this.periodIndex += 1;
    const period = this.periodMs;
    for (const [symbol, list] of this.buckets) {
      const merged: PriceBucket[] = [];
      for (const b of list) {
        const start = Math.floor(b.time / period) * period;
        const last = merged[merged.length - 1];
        if (last === undefined || last.time !== start) {
          // Spelled out rather than spread: a run can coarsen its thousands of buckets several times
          merged.push({
            time: start,
            open: b.open,
            high: b.high,
            low: b.low,
            close: b.close,
            buyQuantity: b.buyQuantity,
            buyNotional: b.buyNotional,
            sellQuantity: b.sellQuantity,
            sellNotional: b.sellNotional,
          });
          continue;
        }
        last.high = Math.max(last.high, b.high);
        last.low = Math.min(last.low, b.low);
        last.close = b.close;
        last.buyQuantity += b.buyQuantity;
        last.buyNotional += b.buyNotional;
        last.sellQuantity += b.sellQuantity;
        last.sellNotional += b.sellNotional;
      }
      this.buckets.set(symbol, merged);
    }
  }

  /** A booked fill with the position right after it */
  onFill(fill: Fill, position: Position | undefined): void {
    const symbol = fill.instrument.symbol;
    const bucket = this.bucket(symbol, fill.time, this.lastPrices.get(symbol) ?? fill.price);
    const notional = fill.quantity * fill.price;
    if (fill.side === 'BUY') {
      bucket.buyQuantity += fill.quantity;
      bucket.buyNotional += notional;
    } else {
      bucket.sellQuantity += fill.quantity;
      bucket.sellNotional += notional;
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
    this.orders.push({
      clientId: order.clientId,
      symbol: order.instrument.symbol,
      side: order.side,
      type: order.type,
      timeInForce: order.timeInForce,
      quantity: order.quantity,
      price: order.price ?? null,
      status: order.status,
      filledQuantity: order.filledQuantity,
      averageFillPrice: order.averageFillPrice,
      reason: order.reason ?? null,
      createdAt: order.createdAt,
      transitions: [...order.transitions],
    });
    if (this.orders.length > this.keepOrders * 2) this.orders.splice(0, this.keepOrders);
  }

  /** The figures, over the equity curve and the run's period */
  finish(
    curve: readonly EquitySample[],
    curvePeriodMs: number,
    start: number,
    end: number,
  ): { readonly tearsheet: Tearsheet; readonly charts: TearsheetCharts } {
    const drawdown = this.drawdown.result();
    const first = curve[0]?.equity;
    const last = curve[curve.length - 1]?.equity;
    const totalReturn =
      first === undefined || last === undefined || first <= 0 ? null : last / first - 1;
    const metrics = riskMetrics(
      periodReturns(curve, curvePeriodMs),
      curvePeriodMs,
      totalReturn,
      drawdown.maxDrawdown,
    );
    const symbols = this.instruments.map((i) => i.symbol);
    let holdReturn: number | null = null;
    if (this.firstPrices !== undefined && symbols.length > 0) {
      let sum = 0;
      for (const symbol of symbols)
        sum += (this.lastPrices.get(symbol) ?? 0) / (this.firstPrices.get(symbol) ?? 1) - 1;
      holdReturn = sum / symbols.length;
    }
    return {
      tearsheet: {
        metrics,
        drawdown,
        trades: this.trips.stats(start, end),
        buyAndHold: { symbols, totalReturn: holdReturn },
        lastTrades: this.trips.lastTrades(),
        lastOrders: this.orders.slice(-this.keepOrders),
      },
      charts: {
        prices: Object.fromEntries(this.buckets),
        fills: this.fills,
        buyAndHold: first === undefined ? [] : this.holdCurve(first),
      },
    };
  }

  /** Buy and hold on the price grid: capital × mean(close / first price) over the instruments */
  private holdCurve(capital: number): Array<[number, number]> {
    const firsts = this.firstPrices;
    if (firsts === undefined) return [];
    const symbols = this.instruments.map((i) => i.symbol);
    const series = symbols.map((s) => this.buckets.get(s) ?? []);
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
