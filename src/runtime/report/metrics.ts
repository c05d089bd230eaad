/**
 * Risk and return figures of an equity curve, as pure functions.
 *
 * Returns are simple returns over the curve's sampling period P (the recorder samples equity on a
 * grid of round periods: 1 s, 5 s, 15 s, 1 min, 5 min, 15 min, 1 h, 4 h, 1 d, the finest that
 * keeps the run under 4 000 samples). A period with no sample (a gap in the data) carries the
 * last equity forward, so it counts as a zero return. Crypto trades all year, so a year holds
 * N = 365 × 86 400 000 / P periods, and:
 *
 * - Sharpe = mean(r) / stdev(r) × √N (sample standard deviation, risk-free rate 0)
 * - Sortino = mean(r) / downside(r) × √N, downside = √(Σ min(r, 0)² / n) (target 0)
 * - annualised return = mean(r) × N (arithmetic: a short run compounded over a year is noise)
 * - annualised volatility = stdev(r) × √N
 * - Calmar = annualised return / max drawdown
 *
 * A ratio whose denominator is zero (no variation, no losing period, no drawdown) is null.
 */

import { keepFieldsDouble } from '../../core/tagged-fields.ts';

/** One sample of an equity curve */
export interface EquitySample {
  readonly time: number;
  readonly equity: number;
}

export const YEAR_MS = 365 * 86_400_000;

/** The round sampling periods an equity curve may use, finest first; each divides the next */
export const SAMPLE_PERIODS_MS: readonly number[] = [
  1_000, 5_000, 15_000, 60_000, 300_000, 900_000, 3_600_000, 14_400_000, 86_400_000,
];

export interface RiskMetrics {
  /** The return period, ms */
  readonly periodMs: number;
  /** Return periods in a year: 365 days / periodMs */
  readonly periodsPerYear: number;
  /** How many period returns the figures are computed from */
  readonly returns: number;
  /** (end − start) / start */
  readonly totalReturn: number | null;
  readonly annualizedReturn: number | null;
  readonly annualizedVolatility: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly calmar: number | null;
}

export interface Drawdown {
  /** The deepest fall from a running peak, as a fraction of that peak (0.05 = 5 %) */
  readonly maxDrawdown: number;
  /** The same fall in the currency */
  readonly maxDrawdownAmount: number;
  /** When the peak before the deepest fall was reached; null without a drawdown */
  readonly peakTime: number | null;
  readonly troughTime: number | null;
  /** When equity first regained that peak; null if it never did */
  readonly recoveryTime: number | null;
  /** The longest time spent below a previous peak, ms */
  readonly longestMs: number;
}

/**
 * Period returns on a grid of `periodMs` from the first sample: the equity at each grid point is
 * the last sample at or before it. The first sample is the starting equity.
 */
export function periodReturns(curve: readonly EquitySample[], periodMs: number): number[] {
  const returns: number[] = [];
  forEachReturnRun(curve, periodMs, (value, count) => {
    for (let k = 0; k < count; k++) returns.push(value);
  });
  return returns;
}

/**
 * Walks the period returns of `curve` (see periodReturns) in order, handing equal returns in a
 * row to `visit` at once where the curve has no sample: a stretch of periods without one (a gap
 * in the data) is `count` zero returns in one call, so a long gap costs nothing per period.
 * Grid point j is first.time + j × periodMs.
 */
function forEachReturnRun(
  curve: readonly EquitySample[],
  periodMs: number,
  visit: (value: number, count: number) => void,
): void {
  const first = curve[0];
  if (first === undefined) return;
  const start = first.time;
  const end = curve[curve.length - 1]!.time + 1e-9;
  let previous = first.equity;
  let index = 0;
  for (let j = 1; start + j * periodMs <= end; j++) {
    const t = start + j * periodMs;
    while (index + 1 < curve.length && curve[index + 1]!.time <= t) index += 1;
    const equity = curve[index]!.equity;
    visit(previous > 0 ? equity / previous - 1 : 0, 1);
    previous = equity;
    if (index + 1 === curve.length) continue;
    // The grid points before the next sample all see this equity again
    const next = curve[index + 1]!.time;
    let last = j + Math.max(0, Math.ceil((next - t) / periodMs) - 1);
    while (last > j && start + last * periodMs >= next) last -= 1;
    while (start + (last + 1) * periodMs < next) last += 1;
    if (last > j) {
      visit(previous > 0 ? previous / previous - 1 : 0, last - j);
      j = last;
    }
  }
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sample standard deviation (n − 1) */
export function stdev(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  let sum = 0;
  for (const v of values) sum += (v - m) ** 2;
  return Math.sqrt(sum / (values.length - 1));
}

/** √(Σ min(r, 0)² / n): the deviation of returns below zero */
export function downsideDeviation(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (const v of values) if (v < 0) sum += v * v;
  return Math.sqrt(sum / values.length);
}

const ratio = (numerator: number, denominator: number): number | null =>
  denominator === 0 || !Number.isFinite(numerator / denominator) ? null : numerator / denominator;

/** Sharpe, Sortino, Calmar and the annualised figures of period returns (see the file header) */
export function riskMetrics(
  returns: readonly number[],
  periodMs: number,
  totalReturn: number | null,
  maxDrawdown: number,
): RiskMetrics {
  if (returns.length === 0) return metricsOf(periodMs, totalReturn, maxDrawdown, 0, 0, 0, 0);
  return metricsOf(
    periodMs,
    totalReturn,
    maxDrawdown,
    returns.length,
    mean(returns),
    stdev(returns),
    downsideDeviation(returns),
  );
}

/**
 * The figures of riskMetrics over the period returns of an equity curve (as periodReturns takes
 * them), without a list of returns: two walks over the samples (the deviation needs the mean
 * first), a stretch of periods without a sample counted as that many zero returns at once. The
 * figures are those of riskMetrics(periodReturns(curve, periodMs), ...) to the bit when the curve
 * has a sample in every period; across a gap the squared deviations of its zero returns are
 * added as one product, which may move the last bits.
 */
export function curveRiskMetrics(
  curve: readonly EquitySample[],
  periodMs: number,
  totalReturn: number | null,
  maxDrawdown: number,
): RiskMetrics {
  let count = 0;
  let sum = 0;
  let downside = 0;
  forEachReturnRun(curve, periodMs, (value, runs) => {
    count += runs;
    // A zero return adds nothing to either sum: left out, they stay what adding them gives
    if (value === 0) return;
    // Only a run of one holds a return other than zero (or NaN, after an infinite equity)
    sum += runs === 1 ? value : runs * value;
    if (value < 0) downside += value * value;
  });
  if (count === 0) return metricsOf(periodMs, totalReturn, maxDrawdown, 0, 0, 0, 0);
  const m = sum / count;
  let squares = 0;
  if (count >= 2) {
    forEachReturnRun(curve, periodMs, (value, runs) => {
      const deviation = (value - m) ** 2;
      squares += runs === 1 ? deviation : runs * deviation;
    });
  }
  return metricsOf(
    periodMs,
    totalReturn,
    maxDrawdown,
    count,
    m,
    count < 2 ? 0 : Math.sqrt(squares / (count - 1)),
    Math.sqrt(downside / count),
  );
}

/** The figures from n returns' mean, sample standard deviation and downside deviation */
function metricsOf(
  periodMs: number,
  totalReturn: number | null,
  maxDrawdown: number,
  n: number,
  m: number,
  sd: number,
  downside: number,
): RiskMetrics {
  const periodsPerYear = YEAR_MS / periodMs;
  if (n === 0) {
    return {
      periodMs,
      periodsPerYear,
      returns: 0,
      totalReturn,
      annualizedReturn: null,
      annualizedVolatility: null,
      sharpe: null,
      sortino: null,
      calmar: null,
    };
  }
  const root = Math.sqrt(periodsPerYear);
  const annualizedReturn = m * periodsPerYear;
  const sharpe = ratio(m, sd);
  const sortino = ratio(m, downside);
  return {
    periodMs,
    periodsPerYear,
    returns: n,
    totalReturn,
    annualizedReturn,
    annualizedVolatility: n < 2 ? null : sd * root,
    sharpe: sharpe === null || n < 2 ? null : sharpe * root,
    sortino: sortino === null ? null : sortino * root,
    calmar: ratio(annualizedReturn, maxDrawdown),
  };
}

/**
 * Follows equity sample by sample and keeps the deepest drawdown from a running peak, when it
 * peaked, bottomed and recovered, and the longest time under water. Holds O(1) state.
 */
export class DrawdownTracker {
  private peak = Number.NaN;
  private peakTime = 0;
  private underSince: number | undefined;
  private longest = 0;
  private worst = 0;
  private worstAmount = 0;
  private worstPeak: number | null = null;
  private worstPeakTime: number | null = null;
  private worstTroughTime: number | null = null;
  private recovery: number | null = null;
  private lastTime = 0;

  constructor() {
    // Times and fractions from the first samples on: doubles from the start, so the first
    // drawdown does not change the tracker's shape under optimized code (see keepFieldsDouble)
    keepFieldsDouble<{
      peakTime: number;
      longest: number;
      worst: number;
      worstAmount: number;
      lastTime: number;
    }>(this as never, ['peakTime', 'longest', 'worst', 'worstAmount', 'lastTime']);
  }

  add(time: number, equity: number): void {
    this.lastTime = time;
    if (!(equity < this.peak)) {
      if (this.underSince !== undefined) {
        this.longest = Math.max(this.longest, time - this.underSince);
        this.underSince = undefined;
      }
      if (
        this.worstPeak !== null &&
        this.recovery === null &&
        equity >= this.worstPeak &&
        this.worstTroughTime !== null
      )
        this.recovery = time;
      this.peak = equity;
      this.peakTime = time;
      return;
    }
    this.underSince ??= this.peakTime;
    const fall = this.peak > 0 ? (this.peak - equity) / this.peak : 0;
    if (fall > this.worst) {
      this.worst = fall;
      this.worstAmount = this.peak - equity;
      this.worstPeak = this.peak;
      this.worstPeakTime = this.peakTime;
      this.worstTroughTime = time;
      this.recovery = null;
    }
  }

  result(): Drawdown {
    const openFor = this.underSince === undefined ? 0 : this.lastTime - this.underSince;
    return {
      maxDrawdown: this.worst,
      maxDrawdownAmount: this.worstAmount,
      peakTime: this.worstPeakTime,
      troughTime: this.worstTroughTime,
      recoveryTime: this.recovery,
      longestMs: Math.max(this.longest, openFor),
    };
  }
}

/** The drawdown of every sample below its running peak, as a negative fraction (the underwater curve) */
export function underwater(curve: readonly EquitySample[]): Array<[number, number]> {
  let peak = Number.NEGATIVE_INFINITY;
  return curve.map((p) => {
    if (p.equity > peak) peak = p.equity;
    return [p.time, peak > 0 ? p.equity / peak - 1 : 0];
  });
}
