import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ApplyResult, TrackedOrder } from '../core/account.ts';
import { claimReportRow } from '../core/account.ts';
import type { AccountEvent } from '../core/events.ts';
import type { Fill } from '../core/fill.ts';
import type { Instrument } from '../core/instrument.ts';
import { isDerivative } from '../core/instrument.ts';
import { formatDecimal, money, snap } from '../core/numeric.ts';
import type { Order, OrderStatus, OrderTransition, Side } from '../core/order.ts';
import { isTerminal, ORDER_STATUSES } from '../core/order.ts';
import type { Position } from '../core/position.ts';
import { emptyObjectList, keepFieldsDouble, keepFieldsMutable } from '../core/tagged-fields.ts';
import type { AccountView, BalanceView } from '../engine/account-processor.ts';
import type { Clock } from '../engine/clock.ts';
import { LIQUIDATION } from '../venues/sim/sim-venue.ts';
import { CsvWriter } from './csv-writer.ts';
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

/**
 * A run's results with the fields a report adds after them, as `{ ...results, ...fields }` would
 * give, except that the chart data stays unbuilt until read
 */
export function withResults<T extends object>(results: RunResults, fields: T): RunResults & T {
  const report = Object.defineProperties({}, Object.getOwnPropertyDescriptors(results));
  return Object.assign(report, fields) as RunResults & T;
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

export { isoTime, writeNumber } from './csv-writer.ts';

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

/** An average price for a report: kept exact in the account, shown to four decimals past the tick */
function displayAverage(order: Order): number | string {
  const average = order.averageFillPrice;
  const { tickSize, priceDecimals } = order.instrument;
  return snap(average, tickSize, priceDecimals) === average
    ? average
    : formatDecimal(average, priceDecimals + 4);
}

/** When the cancel was last asked for: the latest step into PENDING_CANCEL */
function cancelAskedAt(path: readonly OrderTransition[]): number | undefined {
  for (let i = path.length - 1; i >= 0; i--)
    if (path[i]!.to === 'PENDING_CANCEL') return path[i]!.time;
  return undefined;
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
 * The equity curve in columns (times, equity, each instrument's position), bounded: a sample
 * costs no object, and thinning to a coarser period compacts the columns in place. Points are
 * built only when the run ends.
 */
class EquityCurve {
  private readonly width: number;
  private times = new Float64Array(256);
  private equities = new Float64Array(256);
  /** Row-major: point i's position of instrument k at i × width + k */
  private positions: Float64Array;
  length = 0;

  constructor(width: number) {
    this.width = width;
    this.positions = new Float64Array(256 * width);
  }

  firstTime(): number | undefined {
    return this.length === 0 ? undefined : this.times[0];
  }

  push(time: number, equity: number, positions: ArrayLike<number>): void {
    if (this.length === this.times.length) this.grow();
    const i = this.length;
    this.times[i] = time;
    this.equities[i] = equity;
    for (let k = 0; k < this.width; k++) this.positions[i * this.width + k] = positions[k]!;
    this.length = i + 1;
  }

  private grow(): void {
    const grown = (from: Float64Array, size: number) => {
      const to = new Float64Array(size);
      to.set(from);
      return to;
    };
    this.times = grown(this.times, this.times.length * 2);
    this.equities = grown(this.equities, this.equities.length * 2);
    this.positions = grown(this.positions, this.positions.length * 2);
  }

  /** Keeps the first and last points and the first of each `period` (ends compared to the point before) */
  thin(period: number): void {
    const last = this.length - 1;
    const { times, equities, positions, width } = this;
    let kept = 0;
    let previous = Number.NaN;
    for (let i = 0; i <= last; i++) {
      const time = times[i]!;
      const keep =
        i === 0 || i === last || Math.floor(time / period) !== Math.floor(previous / period);
      previous = time;
      if (!keep) continue;
      if (kept !== i) {
        // Rows move only once something before them was dropped
        times[kept] = time;
        equities[kept] = equities[i]!;
        for (let k = 0; k < width; k++) positions[kept * width + k] = positions[i * width + k]!;
      }
      kept += 1;
    }
    this.length = kept;
  }

  /** The curve as points, each position by its instrument's symbol */
  points(instruments: readonly Instrument[]): EquityPoint[] {
    const points: EquityPoint[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) {
      const positions: Record<string, number> = {};
      for (let k = 0; k < this.width; k++)
        positions[instruments[k]!.symbol] = this.positions[i * this.width + k]!;
      points[i] = { time: this.times[i]!, equity: this.equities[i]!, positions };
    }
    return points;
  }
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
  private readonly curve: EquityCurve;
  /**
   * Orders by final status, in ORDER_STATUSES order. A Map, not a record: a record's update by a
   * status name is compiled for the names seen so far, and the first order to end another way
   * (the first fill, the first rejection) threw the settling code away
   */
  private readonly statusCounts = new Map<OrderStatus, number>(ORDER_STATUSES.map((s) => [s, 0]));
  /** Orders gone terminal, waiting out `settleMs` before their row is written, and since when */
  private readonly settling: Array<TrackedOrder | undefined> = emptyObjectList();
  private readonly settlingSince: number[] = [];
  private settlingHead = 0;
  private orders = 0;
  private fills = 0;
  private makerFills = 0;
  private takerFills = 0;
  private tradedNotional = 0;
  private cancelsBeforeAck = 0;
  private fillsBeforeAck = 0;
  private fundingPayments = 0;
  private readonly liquidations: Liquidation[] = emptyObjectList();
  private readonly fees = new Map<string, number>();
  private readonly submitHistogram = new Array<number>(LATENCY_BINS.length).fill(0);
  private readonly cancelHistogram = new Array<number>(LATENCY_BINS.length).fill(0);
  private readonly ordersCsv: CsvWriter | undefined;
  private readonly fillsCsv: CsvWriter | undefined;
  private readonly equityCsv: CsvWriter | undefined;
  private startEquity: number | undefined;
  private readonly unsubscribe: () => void;
  /**
   * What equity is made of, read from the account again only after it applied something that
   * can change it (a mark moves unrealized PnL inside the positions read, not the balances or
   * which positions exist), so a sample reads no balance list and builds nothing
   */
  private stale = true;
  /** The balance totals last read, by currency: a snapshot that repeats them changes nothing */
  private readonly totals = new Map<string, number>();
  /** Σ balances in the run's currency */
  private cash = 0;
  private positions: readonly Position[] = [];
  /** Per position, the base held for a spot one (its balance total) */
  private readonly held: number[] = [];
  /** Per instrument, its net position (an empty one while it has none) */
  private readonly netPositions: Position[] = emptyObjectList();
  /** Per instrument, the instrument whose position its symbol's column shows (the last of that symbol) */
  private readonly symbolOwner: number[];
  /**
   * Per instrument, the position quantities of the sample being taken: doubles from the start. A
   * list of zeros was one of small integers until the first sample of an open position stored a
   * fraction, a change V8 saw before it recorded what `sample` does; the next run's new list, of
   * small integers again, threw away the code of `sample` at its first sample ('wrong map')
   */
  private readonly quantities: Float64Array;

  constructor(options: RecorderOptions) {
    this.account = options.account;
    this.clock = options.clock;
    this.instruments = options.instruments;
    // One per instrument from the start, so `refresh` stores within the list: code optimized
    // while it did is thrown away when a store grows the list (the next run's first refresh)
    for (const instrument of options.instruments)
      this.netPositions.push(options.account.getPosition(instrument));
    this.currency = options.currency;
    this.settleMs = options.settleMs ?? 60_000;
    this.curve = new EquityCurve(options.instruments.length);
    this.symbolOwner = options.instruments.map((i) =>
      options.instruments.findLastIndex((other) => other.symbol === i.symbol),
    );
    this.quantities = new Float64Array(options.instruments.length);
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
      if (!this.stale && this.movesEquity(result, event)) this.stale = true;
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
          const asked = cancelAskedAt(order.transitions);
          if (asked !== undefined) this.cancelHistogram[bin(now - asked)]! += 1;
        }
        if (
          result.previousStatus !== undefined &&
          !isTerminal(result.previousStatus) &&
          isTerminal(order.status)
        ) {
          this.settling.push(order);
          this.settlingSince.push(now);
        }
      }
      if (result.fill !== undefined) {
        this.onFill(result.fill);
        if (result.order?.reason === LIQUIDATION) this.onLiquidation(result.fill);
        this.tearsheet.onFill(result.fill, result.position);
      }
    });
    // Fractional from the first fill on: doubles from the start, so that fill does not change
    // the recorder's shape under its optimized code
    keepFieldsDouble<{ tradedNotional: number; cash: number }>(this as never, [
      'tradedNotional',
      'cash',
    ]);
    // The sampling period changes first an hour or so into a run (see keepFieldsMutable)
    keepFieldsMutable<{ periodIndex: number }>(this as never, ['periodIndex']);
  }

  private writeTrade(trip: RoundTrip): void {
    this.tradesCsv
      ?.spelled(trip.symbol)
      .spelled(trip.direction)
      .time(trip.entryTime)
      .time(trip.exitTime)
      .number(trip.entryPrice)
      .number(trip.exitPrice)
      .number(trip.quantity)
      .number(trip.pnl)
      .number(trip.fees)
      .number(trip.netPnl)
      .number(Math.round(trip.durationMs))
      .end();
  }

  private onFill(fill: Fill): void {
    this.fills += 1;
    if (fill.liquidity === 'MAKER') this.makerFills += 1;
    else this.takerFills += 1;
    this.tradedNotional = money(
      this.tradedNotional + fill.quantity * fill.price * fill.instrument.contractSize,
    );
    this.fees.set(fill.feeCurrency, money((this.fees.get(fill.feeCurrency) ?? 0) + fill.fee));
    this.fillsCsv
      ?.time(fill.time)
      .text(fill.tradeId)
      .text(fill.clientId)
      .text(fill.venueOrderId)
      .spelled(fill.instrument.symbol)
      .spelled(fill.side)
      .number(fill.quantity)
      .number(fill.price)
      .number(fill.fee)
      .spelled(fill.feeCurrency)
      .spelled(fill.liquidity)
      .end();
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

  /**
   * Whether an event the account applied can change equity's parts: a fill, funding, a venue's
   * report of positions or orders, a balance snapshot with a total that differs from the last
   * read; not an order's lifecycle alone (requested, accepted, canceled, ...), which books nothing
   */
  private movesEquity(result: ApplyResult, event: AccountEvent): boolean {
    if (result.outcome === 'applied' && result.fill !== undefined) return true;
    switch (event.type) {
      case 'orderRequested':
      case 'cancelRequested':
      case 'orderAccepted':
      case 'orderRejected':
      case 'orderCanceled':
      case 'orderExpired':
      case 'cancelRejected':
      case 'orderLost':
      case 'orderAmended':
        return false;
      case 'balanceUpdated':
        for (const balance of event.balances)
          if (this.totals.get(balance.currency) !== money(balance.total)) return true;
        return false;
      default:
        return true;
    }
  }

  /** Reads balances and positions again if the account applied anything since the last read */
  private refresh(): void {
    if (!this.stale) return;
    this.stale = false;
    const balances = this.account.getBalances();
    let cash = 0;
    for (const balance of balances) {
      if (balance.currency === this.currency) cash += balance.total;
      this.totals.set(balance.currency, balance.total);
    }
    this.cash = cash;
    this.positions = this.account.getPositions();
    // Both lists refilled in place, not remade by `map`: an optimized `map` makes its list with
    // another hidden class than the interpreter's, which deoptimized the code reading them
    const held = this.held;
    while (held.length > 0) held.pop();
    for (const position of this.positions) {
      held.push(
        isDerivative(position.instrument)
          ? 0
          : (balances.find((b) => b.currency === position.instrument.base)?.total ?? 0),
      );
    }
    for (let k = 0; k < this.instruments.length; k++)
      this.netPositions[k] = this.account.getPosition(this.instruments[k]!);
  }

  /**
   * The mark price of the instrument at `index`, for the tearsheet's samples: a method, handed
   * on with the recorder (a function made per recorder would be a new one to V8 in every run)
   */
  markOf(index: number): number {
    this.refresh();
    return this.netPositions[index]!.markPrice;
  }

  /** Account equity in the run's currency: balances plus unrealized PnL and spot holdings at mark */
  equity(): number {
    this.refresh();
    let equity = this.cash;
    const positions = this.positions;
    for (let i = 0; i < positions.length; i++) {
      const position = positions[i]!;
      if (isDerivative(position.instrument)) {
        if (position.instrument.settle === this.currency) equity += position.unrealizedPnl;
      } else if (position.instrument.quote === this.currency) {
        equity += this.held[i]! * position.markPrice;
      }
    }
    return money(equity);
  }

  /** Called as time passes: samples equity when due and writes settled orders */
  tick(): void {
    const now = this.clock.now();
    // Both samples of one moment see one equity, computed once
    let equity = Number.NaN;
    if (now >= this.nextFineSample) {
      equity = this.equity();
      this.fineSample(now, equity);
      this.nextFineSample = (Math.floor(now / FINE_SAMPLE_MS) + 1) * FINE_SAMPLE_MS;
    }
    if (now >= this.nextSample) {
      this.sample(now, Number.isNaN(equity) ? this.equity() : equity);
      const period = SAMPLE_PERIODS_MS[this.periodIndex]!;
      this.nextSample = (Math.floor(now / period) + 1) * period;
    }
    while (
      this.settlingHead < this.settling.length &&
      this.settlingSince[this.settlingHead]! + this.settleMs <= now
    ) {
      this.settle(this.settling[this.settlingHead]!);
      // Let go of the written order now, not when the list is next moved down
      this.settling[this.settlingHead] = undefined;
      this.settlingHead += 1;
    }
    if (this.settlingHead > 4096) {
      this.settling.splice(0, this.settlingHead);
      this.settlingSince.splice(0, this.settlingHead);
      this.settlingHead = 0;
    }
  }

  private sample(now: number, equity: number): void {
    this.startEquity ??= equity;
    const quantities = this.quantities;
    for (let k = 0; k < quantities.length; k++)
      quantities[k] = this.netPositions[this.symbolOwner[k]!]!.quantity;
    this.curve.push(now, equity, quantities);
    if (this.equityCsv !== undefined) {
      this.equityCsv.time(now).number(equity);
      for (let k = 0; k < quantities.length; k++) this.equityCsv.number(quantities[k]);
      this.equityCsv.end();
    }
    if (this.curve.length > MAX_POINTS && this.periodIndex + 1 < SAMPLE_PERIODS_MS.length) {
      // Sample on the next round period, keeping the first point of each: the curve stays bounded
      this.periodIndex += 1;
      this.curve.thin(SAMPLE_PERIODS_MS[this.periodIndex]!);
    }
  }

  private fineSample(now: number, equity: number): void {
    this.tearsheet.sample(now, equity, this);
  }

  private settle(order: TrackedOrder): void {
    if (!claimReportRow(order)) return;
    this.statusCounts.set(order.status, (this.statusCounts.get(order.status) ?? 0) + 1);
    this.tearsheet.onOrder(order);
    if (this.ordersCsv === undefined) return;
    const average = displayAverage(order);
    const csv = this.ordersCsv
      .text(order.clientId)
      .text(order.venueOrderId)
      .spelled(order.instrument.symbol)
      .spelled(order.side)
      .spelled(order.type)
      .spelled(order.timeInForce)
      .number(order.quantity)
      .number(order.price)
      .number(order.stopPrice)
      .spelled(order.reduceOnly ? 'true' : 'false')
      .spelled(order.status)
      .number(order.filledQuantity);
    if (typeof average === 'number') csv.number(average);
    else csv.text(average);
    csv
      .spelled(order.origin)
      .spelled(order.reason)
      .time(order.createdAt)
      .time(order.updatedAt)
      .transitions(order.transitions);
    csv.end();
  }

  /** Writes every order not yet written (terminal or still open), the last sample, and closes the files */
  finish(): RunResults {
    const now = this.clock.now();
    const equity = this.equity();
    this.fineSample(now, equity);
    this.sample(now, equity);
    for (let i = this.settlingHead; i < this.settling.length; i++) this.settle(this.settling[i]!);
    this.settling.length = 0;
    this.settlingSince.length = 0;
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
    const curve = this.curve.points(this.instruments);
    const { tearsheet, charts } = this.tearsheet.finish(
      curve,
      samplePeriodMs,
      this.curve.firstTime() ?? now,
      now,
    );
    let built: TearsheetCharts | undefined;
    return {
      ordersByStatus: Object.fromEntries(this.statusCounts) as Record<OrderStatus, number>,
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
      equityCurve: curve,
      submitLatencyHistogram: [...this.submitHistogram],
      cancelLatencyHistogram: [...this.cancelHistogram],
      cancelsBeforeAck: this.cancelsBeforeAck,
      fillsBeforeAck: this.fillsBeforeAck,
      fundingPayments: this.fundingPayments,
      liquidations: [...this.liquidations],
      samplePeriodMs,
      tearsheet,
      // Built when first read (the HTML report reads it; a backtest's caller may never)
      get charts() {
        built ??= charts();
        return built;
      },
    };
  }
}
