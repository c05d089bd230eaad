import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Random } from './random.ts';
import { createRandom } from './random.ts';

// A seed is a promise: the same seed draws the same numbers in every version, or every seeded
// backtest, synthetic market and latency sample changes under its users. These figures are the
// sequence the generator has always drawn.
/** One draw of every kind, in a fixed order */
const drawEach = (random: Random): number[] => [
  random.next(),
  random.normal(),
  random.exponential(2),
  random.logNormal(20, 0.4),
  random.integer(-5, 9),
  random.normal(),
];

describe('createRandom', () => {
  it('draws the same sequence from a seed as it always has', () => {
    assert.deepEqual(
      drawEach(createRandom(1)),
      [
        0.09004965843632817, -0.29899286315891666, 0.7031634976262733, 19.190956234334866, 7,
        1.4720230189017098,
      ],
    );
  });

  it('keeps whole long runs of every kind of draw, for any seed', () => {
    const out: number[] = [];
    for (const seed of [1, 7, -3, 123456789, 0x7fffffff]) {
      const random = createRandom(seed);
      for (let i = 0; i < 2000; i++) out.push(...drawEach(random));
    }
    // A hash of every bit drawn: one number differing anywhere changes it
    const bits = new Uint32Array(new Float64Array(out).buffer);
    let hash = 0;
    for (let i = 0; i < bits.length; i++) hash = (Math.imul(hash, 31) + bits[i]!) | 0;
    assert.equal(hash, 1927804984);
  });

  it('hands out normals in bulk exactly as one by one, wherever a pair was left', () => {
    const single = createRandom(9);
    const bulk = createRandom(9);
    const into = new Float64Array(8);
    // Counts odd and even, so a batch starts both on a fresh pair and on a pair's second half,
    // with uniform draws in between
    for (const count of [1, 2, 3, 1, 5, 8, 1]) {
      assert.equal(bulk.next(), single.next());
      bulk.normals(into, 8 - count, count);
      for (let i = 8 - count; i < 8; i++) assert.equal(into[i], single.normal());
    }
    assert.equal(bulk.normal(), single.normal());
  });

  it('gives two sources of one seed the same numbers, and other seeds others', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const drawsA = Array.from({ length: 5 }, () => a.normal());
    assert.deepEqual(
      Array.from({ length: 5 }, () => b.normal()),
      drawsA,
    );
    assert.notDeepEqual(
      Array.from({ length: 5 }, () => c.normal()),
      drawsA,
    );
  });
});
