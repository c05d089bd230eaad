import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDecimal, money, quotient, snap, snapDown, snapUp, stepDecimals } from './numeric.ts';

describe('numeric', () => {
  it('counts the decimals of a step, scientific notation included', () => {
    const cases: Array<[number, number]> = [
      [1, 0],
      [10, 0],
      [0.5, 1],
      [0.1, 1],
      [0.001, 3],
      [0.00001, 5],
      [1e-8, 8],
      [2.5e-7, 8],
    ];
    for (const [step, decimals] of cases)
      assert.equal(stepDecimals(step), decimals, `step ${step}`);
  });

  it('snaps onto the step grid with no float noise', () => {
    assert.equal(snap(0.1 + 0.2, 0.1, 1), 0.3);
    assert.equal(snap(64000.05000001, 0.1, 1), 64000.1);
    assert.equal(snap(-0.30000000000000004, 0.001, 3), -0.3);
    assert.equal(snap(1.0005, 0.5, 1), 1);
    assert.equal(snap(0.0000001, 0.001, 3), 0);
    assert.ok(!Object.is(snap(-0.0001, 0.001, 3), -0), 'no negative zero');
  });

  it('rounds toward and away from zero, tolerating float noise', () => {
    assert.equal(snapDown(0.3 / 0.1 / 10, 0.1, 1), 0.3, '2.9999999999999996 steps floors to 3');
    assert.equal(snapDown(0.0019, 0.001, 3), 0.001);
    assert.equal(snapDown(-0.0019, 0.001, 3), -0.001);
    assert.equal(snapUp(0.0011, 0.001, 3), 0.002);
    assert.equal(snapUp(0.3, 0.1, 1), 0.3);
    assert.equal(snapUp(64000.01, 0.1, 1), 64000.1);
  });

  it('sums partial sizes to an exact total when snapped after each step', () => {
    let total = 0;
    for (let i = 0; i < 10; i++) total = snap(total + 0.1, 0.001, 3);
    assert.equal(total, 1);
  });

  it('keeps money at eight decimals, so sums do not depend on their order', () => {
    assert.equal(money(0.1 + 0.2), 0.3);
    assert.equal(money(12.800000000049), 12.8);
    const parts = [999_999.12345678, 0.00000001, -0.12000004, 3.1];
    const forward = parts.reduce((sum, x) => money(sum + x), 0);
    const backward = [...parts].reverse().reduce((sum, x) => money(sum + x), 0);
    assert.equal(forward, backward);
  });

  it('divides decimals as integers: a short decimal ratio comes out exact, any other as near as a double gets', () => {
    assert.equal(quotient(33, 8, 0.3, 3), 110);
    assert.equal(quotient(21, 8, 0.2, 3), 105);
    assert.equal(quotient(32, 8, 0.3, 3), 320 / 3);
    assert.equal(quotient(0.0123, 8, 123, 0), 0.0001);
    assert.equal(quotient(6.4, 8, 0.00001, 9), 640_000);
  });

  it('prints without float noise or trailing zeros', () => {
    assert.equal(formatDecimal(0.1 + 0.2), '0.3');
    assert.equal(formatDecimal(64000.1, 1), '64000.1');
    assert.equal(formatDecimal(1000000.0000000002), '1000000');
    assert.equal(formatDecimal(-0.0000000000001), '0');
    assert.equal(formatDecimal(12.5, 0), '13');
    assert.equal(formatDecimal(0.00012, 8), '0.00012');
  });
});
