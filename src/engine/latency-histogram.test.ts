/**
 * The latency histogram answers percentiles exactly as an HDR histogram of 3 significant digits
 * does (hdr-histogram-js, the library the health monitor used before): for any values recorded,
 * p50, p90, p99 and the other percentiles asked for are the same numbers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import int32Histogram from 'hdr-histogram-js/dist/Int32Histogram.js';
import { LatencyHistogram } from './latency-histogram.ts';

const Int32Histogram = int32Histogram.default;
const PERCENTILES = [0.1, 1, 7, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100];

function both(values: readonly number[]): {
  ours: LatencyHistogram;
  hdr: InstanceType<typeof Int32Histogram>;
} {
  const ours = new LatencyHistogram();
  const hdr = new Int32Histogram(1, 60_000_000, 3);
  hdr.autoResize = true;
  for (const value of values) {
    ours.record(value);
    hdr.recordValue(value);
  }
  return { ours, hdr };
}

describe('LatencyHistogram', () => {
  it('answers every percentile as an HDR histogram of 3 significant digits', () => {
    const value = fc.oneof(
      fc.integer({ min: 0, max: 4_096 }),
      fc.integer({ min: 0, max: 200_000 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.integer({ min: 2 ** 31, max: 2 ** 40 }),
    );
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 300 }), (values) => {
        const { ours, hdr } = both(values);
        for (const q of PERCENTILES)
          assert.equal(ours.valueAt(q), hdr.getValueAtPercentile(q), `p${q} of ${values}`);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees at the bucket edges and across many samples', () => {
    const values: number[] = [];
    for (let bits = 0; bits < 34; bits++) {
      const power = 2 ** bits;
      values.push(power - 1, power, power + 1);
    }
    for (let i = 0; i < 20_000; i++) values.push(Math.floor(40_000 + 30_000 * Math.sin(i)));
    const { ours, hdr } = both(values);
    for (let q = 1; q <= 100; q += 0.5) assert.equal(ours.valueAt(q), hdr.getValueAtPercentile(q));
    assert.equal(ours.total, values.length);
  });

  it('takes the rank a percentile names even when the product lands a hair above it', () => {
    // 0.07 × 100 is 7.000000000000001 in floating point: still rank 7, not 8
    const { ours, hdr } = both(Array.from({ length: 100 }, (_, i) => i + 1));
    assert.equal(ours.valueAt(7), 7);
    assert.equal(ours.valueAt(7), hdr.getValueAtPercentile(7));
  });

  it('rounds to integers, counts negatives as 0, and answers 0 when empty', () => {
    const histogram = new LatencyHistogram();
    assert.equal(histogram.valueAt(50), 0);
    histogram.record(-5);
    histogram.record(2.6);
    assert.equal(histogram.valueAt(50), 0);
    assert.equal(histogram.valueAt(100), 3);
  });
});
