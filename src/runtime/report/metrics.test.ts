import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { EquitySample } from './metrics.ts';
import {
  curveRiskMetrics,
  DrawdownTracker,
  downsideDeviation,
  periodReturns,
  riskMetrics,
  stdev,
  underwater,
} from './metrics.ts';
import { RoundTripTracker } from './round-trips.ts';
import { formatMoney, formatPercent, formatRatio } from './summary.ts';
import { formatTimeTick, timeTicks } from './svg.ts';

const DAY = 86_400_000;
const close = (actual: number | null, expected: number, digits = 6) => {
  assert.notEqual(actual, null);
  assert.ok(
    Math.abs((actual as number) - expected) < 10 ** -digits,
    `${actual} is not ${expected} to ${digits} decimals`,
  );
};

describe('risk metrics (hand-computed)', () => {
  // Equity 100 → 110 → 99 → 108.9 over three days: returns +10 %, −10 %, +10 %
  const curve = [
    { time: 0, equity: 100 },
    { time: DAY, equity: 110 },
    { time: 2 * DAY, equity: 99 },
    { time: 3 * DAY, equity: 108.9 },
  ];

  it('takes simple returns per period', () => {
    const returns = periodReturns(curve, DAY);
    assert.equal(returns.length, 3);
    close(returns[0]!, 0.1, 12);
    close(returns[1]!, -0.1, 12);
    close(returns[2]!, 0.1, 12);
  });

  it('carries equity across a period without a sample (a zero return)', () => {
    const gappy = [curve[0]!, curve[1]!, { time: 3 * DAY, equity: 121 }];
    const returns = periodReturns(gappy, DAY);
    assert.equal(returns.length, 3);
    close(returns[1]!, 0, 12);
    close(returns[2]!, 0.1, 12);
  });

  it('annualises Sharpe, Sortino and Calmar with √365 for daily returns', () => {
    const returns = periodReturns(curve, DAY);
    // mean = 1/30; sample stdev = √(0.08/3 / 2) = 0.11547; downside = √(0.01 / 3) = 0.057735
    close(stdev(returns), Math.sqrt(0.02666666666666667 / 2), 9);
    close(downsideDeviation(returns), Math.sqrt(0.01 / 3), 9);
    const tracker = new DrawdownTracker();
    for (const p of curve) tracker.add(p.time, p.equity);
    const drawdown = tracker.result();
    close(drawdown.maxDrawdown, 0.1, 12);
    const m = riskMetrics(returns, DAY, 0.089, drawdown.maxDrawdown);
    assert.equal(m.periodsPerYear, 365);
    // Sharpe = (1/30) / 0.11547 × √365 = √365 / (2√3)
    close(m.sharpe, 5.515130702591433);
    // Sortino = (1/30) / 0.057735 × √365
    close(m.sortino, 11.030261405182863);
    // Annualised return = (1/30) × 365; Calmar = that / 0.1
    close(m.annualizedReturn, 12.166666666666666);
    close(m.calmar, 121.66666666666666);
    close(m.annualizedVolatility, 0.1154700538 * Math.sqrt(365));
  });

  it('gives null ratios where the denominator is zero', () => {
    const flat = riskMetrics([0, 0, 0], 1000, 0, 0);
    assert.equal(flat.sharpe, null);
    assert.equal(flat.sortino, null);
    assert.equal(flat.calmar, null);
    const rising = riskMetrics([0.01, 0.02], 1000, 0.03, 0);
    assert.equal(rising.sortino, null, 'no losing period');
    assert.notEqual(rising.sharpe, null);
    assert.equal(riskMetrics([], 1000, null, 0).sharpe, null);
  });

  it('dates the deepest drawdown: peak, trough, recovery, longest time under water', () => {
    const tracker = new DrawdownTracker();
    const points: Array<[number, number]> = [
      [0, 100],
      [1, 120], // peak
      [2, 90], // trough: −25 %
      [3, 110],
      [4, 125], // recovered (≥ 120)
      [5, 119], // a shallower dip, still under water at the end
    ];
    for (const [t, e] of points) tracker.add(t, e);
    const d = tracker.result();
    close(d.maxDrawdown, 0.25, 12);
    assert.equal(d.maxDrawdownAmount, 30);
    assert.equal(d.peakTime, 1);
    assert.equal(d.troughTime, 2);
    assert.equal(d.recoveryTime, 4);
    assert.equal(d.longestMs, 3);
    assert.deepEqual(
      underwater(points.map(([time, equity]) => ({ time, equity }))).map(([, v]) =>
        Number(v.toFixed(4)),
      ),
      [0, 0, -0.25, -0.0833, 0, -0.048],
    );
  });

  it('leaves recovery null when equity never regains the peak', () => {
    const tracker = new DrawdownTracker();
    for (const [t, e] of [
      [0, 100],
      [1, 80],
      [2, 95],
    ] as const)
      tracker.add(t, e);
    assert.equal(tracker.result().recoveryTime, null);
    assert.equal(tracker.result().longestMs, 2);
  });
});

/** Period returns as the file header defines them, one grid point at a time */
function returnsByDefinition(curve: readonly EquitySample[], periodMs: number): number[] {
  const first = curve[0];
  if (first === undefined) return [];
  const returns: number[] = [];
  let previous = first.equity;
  const last = curve[curve.length - 1]!.time;
  for (let j = 1; first.time + j * periodMs <= last + 1e-9; j++) {
    const t = first.time + j * periodMs;
    let equity = first.equity;
    for (const sample of curve) if (sample.time <= t) equity = sample.equity;
    returns.push(previous > 0 ? equity / previous - 1 : 0);
    previous = equity;
  }
  return returns;
}

/**
 * Curves as the recorder samples them: ascending times (some sharing a period, some periods
 * left without a sample: gaps of up to `maxGap` periods), equity around 1000 (zero now and then)
 */
const curves = (periodMs: number, maxGap: number) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: 10 ** 12 }),
      fc.array(
        fc.tuple(
          fc.integer({ min: 0, max: maxGap }),
          fc.integer({ min: 0, max: periodMs - 1 }),
          fc.oneof(fc.double({ min: 900, max: 1100, noNaN: true }), fc.constant(0)),
        ),
        { maxLength: 60 },
      ),
    )
    .map(([start, steps]) => {
      const curve: EquitySample[] = [{ time: start, equity: 1000 }];
      let period = 0;
      for (const [skip, offset, equity] of steps) {
        period += skip;
        const time = Math.max(start + period * periodMs + offset, curve[curve.length - 1]!.time);
        curve.push({ time, equity });
      }
      return curve;
    });

const PERIODS = [1_000, 60_000, 86_400_000];

describe('risk metrics from an equity curve, without a list of returns', () => {
  it('takes the period returns of the definition, gaps and all', () => {
    for (const periodMs of PERIODS)
      fc.assert(
        fc.property(curves(periodMs, 50), (curve) => {
          assert.deepEqual(periodReturns(curve, periodMs), returnsByDefinition(curve, periodMs));
        }),
      );
  });

  it('gives the figures of the returns to the bit when every period has a sample', () => {
    for (const periodMs of PERIODS)
      fc.assert(
        fc.property(
          curves(periodMs, 1),
          fc.double({ min: 0, max: 1, noNaN: true }),
          (curve, dd) => {
            const returns = returnsByDefinition(curve, periodMs);
            assert.deepEqual(
              curveRiskMetrics(curve, periodMs, 0.01, dd),
              riskMetrics(returns, periodMs, 0.01, dd),
            );
          },
        ),
      );
  });

  it('counts a gap as that many zero returns (figures equal but for the last bits)', () => {
    const near = (a: number | null, b: number | null) =>
      a === null || b === null
        ? a === b
        : a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
    for (const periodMs of PERIODS)
      fc.assert(
        fc.property(curves(periodMs, 2000), (curve) => {
          const expected = riskMetrics(returnsByDefinition(curve, periodMs), periodMs, 0.01, 0.02);
          const actual = curveRiskMetrics(curve, periodMs, 0.01, 0.02);
          assert.equal(actual.returns, expected.returns);
          assert.equal(actual.annualizedReturn, expected.annualizedReturn, 'the mean is exact');
          assert.equal(actual.sortino, expected.sortino, 'the downside is exact');
          for (const key of ['annualizedVolatility', 'sharpe', 'calmar'] as const)
            assert.ok(
              near(actual[key], expected[key]),
              `${key}: ${actual[key]} vs ${expected[key]}`,
            );
        }),
      );
  });

  it('counts a month without samples on a one-minute grid as its zero returns', () => {
    const start = Date.UTC(2024, 9, 28);
    const month = 30 * 86_400_000;
    const curve = [
      { time: start, equity: 100 },
      { time: start + 60_000, equity: 110 },
      { time: start + month, equity: 99 },
      { time: start + month + 60_000, equity: 99 },
    ];
    const m = curveRiskMetrics(curve, 60_000, -0.01, 0.1);
    // 43 201 periods: +10 %, 43 198 zeros, −10 % on the sample that ends the gap, then a zero
    assert.equal(m.returns, month / 60_000 + 1);
    const expected = riskMetrics(returnsByDefinition(curve, 60_000), 60_000, -0.01, 0.1);
    assert.equal(m.returns, expected.returns);
    close(m.sharpe, expected.sharpe as number, 9);
    assert.equal(m.sortino, expected.sortino);
  });
});

describe('round-trip trades', () => {
  it('opens on leaving zero, closes on returning, and splits the fee of a fill through zero', () => {
    const closed: string[] = [];
    const trips = new RoundTripTracker(10, (t) => closed.push(`${t.direction} ${t.netPnl}`));
    const fill = (
      time: number,
      side: 'BUY' | 'SELL',
      quantity: number,
      price: number,
      positionAfter: number,
      realized: number,
      fee: number,
    ) =>
      trips.add({ symbol: 'BTCUSDT', time, side, quantity, price, fee, positionAfter, realized });
    fill(0, 'BUY', 1, 100, 1, 0, 0.1); // open long 1 @ 100
    fill(10, 'BUY', 1, 110, 2, 0, 0.1); // add 1 @ 110: entry 105
    fill(20, 'SELL', 2, 120, 0, 30, 0.2); // close 2 @ 120: +30
    fill(30, 'SELL', 1, 120, -1, 0, 0.1); // open short 1 @ 120
    fill(40, 'BUY', 3, 130, 2, -10, 0.3); // close short (−10) and open long 2 @ 130, fee 0.1 / 0.2
    fill(50, 'SELL', 2, 125, 0, -10, 0.2); // close long: −10
    assert.deepEqual(closed, ['LONG 29.6', 'SHORT -10.2', 'LONG -10.4']);
    const [first, second, third] = trips.lastTrades();
    assert.equal(first!.entryPrice, 105);
    assert.equal(first!.exitPrice, 120);
    assert.equal(first!.quantity, 2);
    assert.equal(first!.fees, 0.4);
    assert.equal(first!.durationMs, 20);
    assert.equal(second!.fees, 0.2);
    assert.equal(third!.entryPrice, 130);
    assert.equal(third!.quantity, 2);
    assert.equal(third!.fees, 0.4);
    const stats = trips.stats(0, 100);
    assert.equal(stats.trades, 3);
    assert.equal(stats.wins, 1);
    assert.equal(stats.losses, 2);
    close(stats.winRate, 1 / 3, 12);
    assert.equal(stats.grossProfit, 29.6);
    assert.equal(stats.grossLoss, -20.6);
    close(stats.profitFactor, 29.6 / 20.6, 12);
    assert.equal(stats.expectancy, 3); // (29.6 − 20.6) / 3
    assert.equal(stats.largestLoss, -10.4);
    // Exposed from 0 to 20 and from 30 to 50: 40 of 100
    assert.equal(stats.exposure, 0.4);
    assert.equal(stats.open, 0);
  });
});

describe('report formatting', () => {
  it('prints money with the currency decimals', () => {
    assert.equal(formatMoney(180.90012272, 'USDT'), '180.90');
    assert.equal(formatMoney(-1234567.891, 'USD'), '-1,234,567.89');
    assert.equal(formatMoney(0.00012345, 'BTC'), '0.00012345');
    assert.equal(formatMoney(-0.001, 'USDT'), '0.00');
    assert.equal(formatPercent(-0.0172), '-1.72%');
    assert.equal(formatPercent(0.5, 1, false), '50.0%');
    assert.equal(formatRatio(null), 'n/a');
  });

  it('puts time ticks at round times', () => {
    const start = Date.UTC(2026, 0, 1, 0, 0, 0);
    const day = timeTicks(start + 3_600_000 * 0.3, start + DAY);
    assert.equal(day.step, 4 * 3_600_000);
    assert.deepEqual(
      day.ticks.map((t) => formatTimeTick(t, day.step)),
      ['04:00', '08:00', '12:00', '16:00', '20:00', '01-02 00:00'],
    );
    const tenMinutes = timeTicks(Date.UTC(2024, 7, 8, 23, 54, 13), Date.UTC(2024, 7, 9, 0, 5, 4));
    assert.equal(tenMinutes.step, 2 * 60_000);
    assert.equal(formatTimeTick(tenMinutes.ticks[0]!, tenMinutes.step), '23:56');
    const seconds = timeTicks(1000, 20_000);
    assert.equal(formatTimeTick(seconds.ticks[0]!, seconds.step), '00:00:05');
  });
});
