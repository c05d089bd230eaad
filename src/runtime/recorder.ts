import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { TrackedOrder } from '../core/account.ts';
import type { Fill } from '../core/fill.ts';
import type { Instrument } from '../core/instrument.ts';
import { isDerivative } from '../core/instrument.ts';
import { formatDecimal, money, snap } from '../core/numeric.ts';
import type { Order, OrderStatus, Side } from '../core/order.ts';
import { isTerminal, ORDER_STATUSES } from '../core/order.ts';
import type { Position } from '../core/position.ts';
import type { AccountView, BalanceView } from '../engine/account-processor.ts';
import type { Clock } from '../engine/clock.ts';
import { LIQUIDATION } from '../venues/sim/sim-venue.ts';
import { SAMPLE_PERIODS_MS } from './report/metrics.ts';
import type { RoundTrip } from './report/round-trips.ts';
import type { Tearsheet, TearsheetCharts } from './report/tearsheet.ts';
import { TearsheetRecorder } from './report/tearsheet.ts';

/** Latency histogram bin edges, ms: ten per decade from 0.1 ms to 100 s */
export const LATENCY_BINS: readonly number[] = Array.from({ length: 61 }, (_, k) =>
  Number((10 ** ((k - 10) / 10)).toPrecision(3)),
);

export interface EquityPoint {
  readonly time: number;
  readonly equity: number;
  /** Signed position per instrument symbol */
  readonly positions: Readonly<Record<string, number>>;
}

/** What a run did, in numbers */
export interface RunResults {
  readonly ordersByStatus: Readonly<Record<OrderStatus, number>>;
  readonly orders: number;
  readonly fills: number;
  readonly makerFills: number;
  readonly takerFills: number;
  /** Σ |quantity × price| of the fills */
  readonly tradedNotional: number;
  readonly fees: Readonly<Record<string, number>>;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly funding: number;
  readonly positions: readonly Position[];
  readonly balances: readonly BalanceView[];
  readonly startEquity: number;
  readonly endEquity: number;
  readonly equityCurve: readonly EquityPoint[];
  /** Counts per LATENCY_BINS bin (the last bin holds everything above its edge) */
  readonly submitLatencyHistogram: readonly number[];
  readonly cancelLatencyHistogram: readonly number[];
  /** Cancels asked for while the venue had not yet acknowledged the order */
  readonly cancelsBeforeAck: number;
  /** Orders whose first venue word was a fill, not an accept */
  readonly fillsBeforeAck: number;
  /** Funding settlements booked (their sum is `funding`) */
  readonly fundingPayments: number;
  /** Positions the venue liquidated: its closing fills, the most recent MAX_LIQUIDATIONS */
  readonly liquidations: readonly Liquidation[];
  /** The equity curve's sampling period at the end, ms (the return period of the metrics) */
  readonly samplePeriodMs: number;
  /** Drawdown, risk-adjusted return, round trips, last orders */
  readonly tearsheet: Tearsheet;
  /** The report's chart data (not in summary.json) */
  readonly charts: TearsheetCharts;
}

/** One fill of a venue's liquidation of our position */
export interface Liquidation {
  readonly time: number;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
  readonly price: number;
  readonly fee: number;
  readonly feeCurrency: string;
}

const MAX_LIQUIDATIONS = 1000;

export interface RecorderOptions {
  readonly account: AccountView;
  readonly clock: Clock;
  readonly instruments: readonly Instrument[];
  /** The currency equity is counted in */
  readonly currency: string;
  /** Where orders.csv, fills.csv, trades.csv and equity.csv go; nothing is written without it */
  readonly outDir?: string | undefined;
  /** Whether orders.csv is written (it is the bulk of a report); default true */
  readonly ordersCsv?: boolean;
  /** Terminal orders are written once this old, so late fills make it into the row, ms */
  readonly settleMs?: number;
}

const MAX_POINTS = 4000;
/** Drawdown and prices are sampled this often, ms */
const FINE_SAMPLE_MS = 1000;

/** Appends rows to a CSV file in chunks, synchronously, so memory stays bounded */
class CsvWriter {
  private readonly fd: number;
  private buffer: string[] = [];
  private size = 0;

  constructor(path: string, header: readonly string[]) {
    this.fd = openSync(path, 'w');
    this.row(header);
  }

  row(fields: readonly (string | number | boolean | undefined)[]): void {
    const line = `${fields.map(csvField).join(',')}\n`;
    this.buffer.push(line);
    this.size += line.length;
    if (this.size > 1 << 16) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    writeSync(this.fd, this.buffer.join(''));
    this.buffer = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

function csvField(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') {
    // Values are snapped to their step, so the shortest form is exact; tiny ones avoid exponents
    return Number.isInteger(value) || Math.abs(value) >= 1e-6
      ? String(value)
      : formatDecimal(value, 10);
  }
  const text = String(value);
  return text.includes('"') || text.includes(',') || text.includes('\n')
    ? `"${text.replace(/"/g, '""')}"`
    : text;
}

let isoSecond = Number.NaN;
let isoPrefix = '';

/** ISO 8601 with milliseconds; the part up to the second is cached, as rows come in time order */
function iso(time: number): string {
  if (!Number.isFinite(time)) return '';
  const second = Math.floor(time / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 19);
  }
  const ms = Math.floor(time - second * 1000);
  return `${isoPrefix}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}

/** An average price for a report: kept exact in the account, shown to four decimals past the tick */
function displayAverage(order: Order): number | string {
  const average = order.averageFillPrice;
  const { tickSize, priceDecimals } = order.instrument;
  return snap(average, tickSize, priceDecimals) === average
    ? average
    : formatDecimal(average, priceDecimals + 4);
}

function bin(latency: number): number {
  let lo = 0;
  let hi = LATENCY_BINS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (LATENCY_BINS[mid]! <= latency) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Watches a run through the account's events: counts orders by final status and fills by
 * liquidity, sums fees, builds latency histograms, samples equity and positions over time, and
 * streams orders, fills and equity to CSV files. Everything it keeps is bounded.
 */
export class RunRecorder {
  private readonly account: AccountView;
  private readonly clock: Clock;
  private readonly instruments: readonly Instrument[];
  private readonly currency: string;
  private readonly settleMs: number;
  /** Index into SAMPLE_PERIODS_MS: the curve's sampling period, coarsened as the run grows */
  private periodIndex = 0;
  private nextSample = Number.NEGATIVE_INFINITY;
  private nextFineSample = Number.NEGATIVE_INFINITY;
  private readonly tearsheet: TearsheetRecorder;
  private readonly tradesCsv: CsvWriter | undefined;
  private readonly curve: EquityPoint[] = [];
  private readonly statusCounts = Object.fromEntries(ORDER_STATUSES.map((s) => [s, 0])) as Record<
    OrderStatus,
    number
  >;
  private readonly settling: Array<{ readonly order: TrackedOrder; readonly at: number }> = [];
  private settlingHead = 0;
  private readonly written = new Set<string>();
  private orders = 0;
  private fills = 0;
  private makerFills = 0;
  private takerFills = 0;
  private tradedNotional = 0;
  private cancelsBeforeAck = 0;
  private fillsBeforeAck = 0;
  private fundingPayments = 0;
  private readonly liquidations: Liquidation[] = [];
  private readonly fees = new Map<string, number>();
  private readonly submitHistogram = new Array<number>(LATENCY_BINS.length).fill(0);
  private readonly cancelHistogram = new Array<number>(LATENCY_BINS.length).fill(0);
  private readonly ordersCsv: CsvWriter | undefined;
  private readonly fillsCsv: CsvWriter | undefined;
  private readonly equityCsv: CsvWriter | undefined;
  private startEquity: number | undefined;
  private readonly unsubscribe: () => void;

  constructor(options: RecorderOptions) {
    this.account = options.account;
    this.clock = options.clock;
    this.instruments = options.instruments;
    this.currency = options.currency;
    this.settleMs = options.settleMs ?? 60_000;
    if (options.outDir !== undefined) {
      mkdirSync(options.outDir, { recursive: true });
      this.tradesCsv = new CsvWriter(join(options.outDir, 'trades.csv'), [
        'symbol',
        'direction',
        'entryTime',
        'exitTime',
        'entryPrice',
        'exitPrice',
        'quantity',
        'pnl',
        'fees',
        'netPnl',
        'durationMs',
      ]);
    }
    this.tearsheet = new TearsheetRecorder({
      instruments: options.instruments,
      ...(this.tradesCsv === undefined
        ? {}
        : { onTrade: (trip: RoundTrip) => this.writeTrade(trip) }),
    });
    if (options.outDir !== undefined && options.ordersCsv !== false) {
      this.ordersCsv = new CsvWriter(join(options.outDir, 'orders.csv'), [
        'clientId',
        'venueOrderId',
        'symbol',
        'side',
        'type',
        'timeInForce',
        'quantity',
        'price',
        'stopPrice',
        'reduceOnly',
        'status',
        'filledQuantity',
        'averageFillPrice',
        'origin',
        'reason',
        'createdAt',
        'updatedAt',
        'transitions',
      ]);
    }
    if (options.outDir !== undefined) {
      this.fillsCsv = new CsvWriter(join(options.outDir, 'fills.csv'), [
        'time',
        'tradeId',
        'clientId',
        'venueOrderId',
        'symbol',
        'side',
        'quantity',
        'price',
        'fee',
        'feeCurrency',
        'liquidity',
      ]);
      this.equityCsv = new CsvWriter(join(options.outDir, 'equity.csv'), [
        'time',
        'equity',
        ...options.instruments.map((i) => `position:${i.symbol}`),
      ]);
    }
    this.unsubscribe = this.account.subscribe((result, event) => {
      if (result.outcome !== 'applied') return;
      if (event.type === 'fundingPaid') this.fundingPayments += 1;
      const now = this.clock.now();
      const order = result.order;
      if (order !== undefined) {
        if (result.change === 'requested' || result.change === 'adopted') this.orders += 1;
        if (result.change === 'cancelRequested' && result.previousStatus === 'PENDING')
          this.cancelsBeforeAck += 1;
        if (result.firstVerdict) {
          this.submitHistogram[bin(now - order.createdAt)]! += 1;
          if (result.fill !== undefined) this.fillsBeforeAck += 1;
        }
        if (result.cancelVerdict) {
          const asked = order.transitions.findLast((t) => t.to === 'PENDING_CANCEL');
          if (asked !== undefined) this.cancelHistogram[bin(now - asked.time)]! += 1;
        }
        if (
          result.previousStatus !== undefined &&
          !isTerminal(result.previousStatus) &&
          isTerminal(order.status)
        ) {
          this.settling.push({ order, at: now });
        }
      }
      if (result.fill !== undefined) {
        this.onFill(result.fill);
        if (result.order?.reason === LIQUIDATION) this.onLiquidation(result.fill);
        this.tearsheet.onFill(result.fill, result.position);
      }
    });
  }

  private writeTrade(trip: RoundTrip): void {
    this.tradesCsv?.row([
      trip.symbol,
      trip.direction,
      iso(trip.entryTime),
      iso(trip.exitTime),
      trip.entryPrice,
      trip.exitPrice,
      trip.quantity,
      trip.pnl,
      trip.fees,
      trip.netPnl,
      Math.round(trip.durationMs),
    ]);
  }

  private onFill(fill: Fill): void {
    this.fills += 1;
    if (fill.liquidity === 'MAKER') this.makerFills += 1;
    else this.takerFills += 1;
    this.tradedNotional = money(
      this.tradedNotional + fill.quantity * fill.price * fill.instrument.contractSize,
    );
    this.fees.set(fill.feeCurrency, money((this.fees.get(fill.feeCurrency) ?? 0) + fill.fee));
    this.fillsCsv?.row([
      iso(fill.time),
      fill.tradeId,
      fill.clientId,
      fill.venueOrderId,
      fill.instrument.symbol,
      fill.side,
      fill.quantity,
      fill.price,
      fill.fee,
      fill.feeCurrency,
      fill.liquidity,
    ]);
  }

  private onLiquidation(fill: Fill): void {
    if (this.liquidations.length >= MAX_LIQUIDATIONS) this.liquidations.shift();
    this.liquidations.push({
      time: fill.time,
      symbol: fill.instrument.symbol,
      side: fill.side,
      quantity: fill.quantity,
      price: fill.price,
      fee: fill.fee,
      feeCurrency: fill.feeCurrency,
    });
  }

  /** Account equity in the run's currency: balances plus unrealized PnL and spot holdings at mark */
  equity(): number {
    let equity = 0;
    for (const balance of this.account.getBalances()) {
      if (balance.currency === this.currency) equity += balance.total;
    }
    for (const position of this.account.getPositions()) {
      if (isDerivative(position.instrument)) {
        if (position.instrument.settle === this.currency) equity += position.unrealizedPnl;
      } else if (position.instrument.quote === this.currency) {
        const held =
          this.account.getBalances().find((b) => b.currency === position.instrument.base)?.total ??
          0;
        equity += held * position.markPrice;
      }
    }
    return money(equity);
  }

  /** Called as time passes: samples equity when due and writes settled orders */
  tick(): void {
    const now = this.clock.now();
    if (now >= this.nextFineSample) {
      this.fineSample(now);
      this.nextFineSample = (Math.floor(now / FINE_SAMPLE_MS) + 1) * FINE_SAMPLE_MS;
    }
    if (now >= this.nextSample) {
      this.sample(now);
      const period = SAMPLE_PERIODS_MS[this.periodIndex]!;
      this.nextSample = (Math.floor(now / period) + 1) * period;
    }
    while (
      this.settlingHead < this.settling.length &&
      this.settling[this.settlingHead]!.at + this.settleMs <= now
    ) {
      this.settle(this.settling[this.settlingHead]!.order);
      this.settlingHead += 1;
    }
    if (this.settlingHead > 4096) {
      this.settling.splice(0, this.settlingHead);
      this.settlingHead = 0;
    }
  }

  private sample(now: number): void {
    const equity = this.equity();
    this.startEquity ??= equity;
    const positions: Record<string, number> = {};
    for (const instrument of this.instruments)
      positions[instrument.symbol] = this.account.getPosition(instrument).quantity;
    this.curve.push({ time: now, equity, positions });
    this.equityCsv?.row([iso(now), equity, ...this.instruments.map((i) => positions[i.symbol])]);
    if (this.curve.length > MAX_POINTS && this.periodIndex + 1 < SAMPLE_PERIODS_MS.length) {
      // Sample on the next round period, keeping the first point of each: the curve stays bounded
      this.periodIndex += 1;
      const period = SAMPLE_PERIODS_MS[this.periodIndex]!;
      const last = this.curve.length - 1;
      const kept = this.curve.filter(
        (p, i) =>
          i === 0 ||
          i === last ||
          Math.floor(p.time / period) !== Math.floor(this.curve[i - 1]!.time / period),
      );
      this.curve.splice(0, this.curve.length, ...kept);
    }
  }

  private fineSample(now: number): void {
    this.tearsheet.sample(
      now,
      this.equity(),
      (instrument) => this.account.getPosition(instrument).markPrice,
    );
  }

  private settle(order: Order): void {
    if (this.written.has(order.clientId)) return;
    this.written.add(order.clientId);
    this.statusCounts[order.status] += 1;
    this.tearsheet.onOrder(order);
    this.ordersCsv?.row([
      order.clientId,
      order.venueOrderId,
      order.instrument.symbol,
      order.side,
      order.type,
      order.timeInForce,
      order.quantity,
      order.price,
      order.stopPrice,
      order.reduceOnly,
      order.status,
      order.filledQuantity,
      displayAverage(order),
      order.origin,
      order.reason,
      iso(order.createdAt),
      iso(order.updatedAt),
      order.transitions.map((t) => `${t.from}>${t.to}@${iso(t.time)}`).join(' '),
    ]);
    // Written orders are only remembered while they could appear again (until the history drops them)
    if (this.written.size > 200_000) this.written.clear();
  }

  /** Writes every order not yet written (terminal or still open), the last sample, and closes the files */
  finish(): RunResults {
    const now = this.clock.now();
    this.fineSample(now);
    this.sample(now);
    for (let i = this.settlingHead; i < this.settling.length; i++)
      this.settle(this.settling[i]!.order);
    this.settling.length = 0;
    this.settlingHead = 0;
    for (const order of this.account.getOrders()) this.settle(order);
    this.unsubscribe();
    this.ordersCsv?.close();
    this.fillsCsv?.close();
    this.equityCsv?.close();
    this.tradesCsv?.close();
    const positions = this.account.getPositions();
    const sum = (pick: (p: Position) => number) =>
      money(positions.reduce((total, p) => total + pick(p), 0));
    const samplePeriodMs = SAMPLE_PERIODS_MS[this.periodIndex]!;
    const { tearsheet, charts } = this.tearsheet.finish(
      this.curve,
      samplePeriodMs,
      this.curve[0]?.time ?? now,
      now,
    );
    return {
      ordersByStatus: { ...this.statusCounts },
      orders: this.orders,
      fills: this.fills,
      makerFills: this.makerFills,
      takerFills: this.takerFills,
      tradedNotional: this.tradedNotional,
      fees: Object.fromEntries(this.fees),
      realizedPnl: sum((p) => p.realizedPnl),
      unrealizedPnl: sum((p) => p.unrealizedPnl),
      funding: sum((p) => p.funding),
      positions,
      balances: this.account.getBalances(),
      startEquity: this.startEquity ?? this.equity(),
      endEquity: this.equity(),
      equityCurve: [...this.curve],
      submitLatencyHistogram: [...this.submitHistogram],
      cancelLatencyHistogram: [...this.cancelHistogram],
      cancelsBeforeAck: this.cancelsBeforeAck,
      fillsBeforeAck: this.fillsBeforeAck,
      fundingPayments: this.fundingPayments,
      liquidations: [...this.liquidations],
      samplePeriodMs,
      tearsheet,
      charts,
    };
  }
}
