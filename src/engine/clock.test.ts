import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimulatedClock } from './clock.ts';

describe('SimulatedClock', () => {
  it('fires timers in due order, ties in the order set, each at its due time', () => {
    const clock = new SimulatedClock(100);
    const fired: Array<[string, number]> = [];
    clock.setTimer(30, () => fired.push(['c', clock.now()]));
    clock.setTimer(10, () => fired.push(['a', clock.now()]));
    clock.setTimer(10, () => fired.push(['b', clock.now()]));
    const canceled = clock.setTimer(20, () => fired.push(['x', clock.now()]));
    canceled.cancel();
    clock.advanceTo(125);
    assert.deepEqual(fired, [
      ['a', 110],
      ['b', 110],
    ]);
    assert.equal(clock.now(), 125);
    clock.advanceTo(200);
    assert.deepEqual(fired.at(-1), ['c', 130]);
  });

  it('runs timers set by timers, and never goes backwards', () => {
    const clock = new SimulatedClock(0);
    const seen: number[] = [];
    clock.setTimer(5, () => {
      seen.push(clock.now());
      clock.setTimer(5, () => seen.push(clock.now()));
    });
    assert.equal(clock.runAll(), 2);
    assert.deepEqual(seen, [5, 10]);
    clock.advanceTo(3);
    assert.equal(clock.now(), 10);
  });
});
