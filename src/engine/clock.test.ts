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

  it('fires timers set with schedule like those of setTimer, reusing their entries', () => {
    // Two clocks, one with schedule and one with setTimer, given the same timers: a chain of
    // timers set from timers (whose fired entries are reused), with ties against timers set apart
    const run = (set: (clock: SimulatedClock, delay: number, callback: () => void) => void) => {
      const clock = new SimulatedClock(0);
      const fired: Array<[string, number]> = [];
      const chain = (name: string, left: number) => () => {
        fired.push([name, clock.now()]);
        if (left > 0) set(clock, 1 + (left % 3), chain(name, left - 1));
      };
      set(clock, 2, chain('a', 20));
      set(clock, 2, chain('b', 20));
      clock.setTimer(7, () => fired.push(['apart', clock.now()]));
      set(clock, 7, () => fired.push(['tie', clock.now()]));
      clock.advanceTo(15);
      const before = clock.pending;
      clock.runAll();
      return { fired, before, after: clock.pending };
    };
    const scheduled = run((clock, delay, callback) => clock.schedule(delay, callback));
    const timed = run((clock, delay, callback) => clock.setTimer(delay, callback));
    assert.deepEqual(scheduled, timed);
    assert.equal(scheduled.fired.length, 44);
    // Timers set earlier for the same time fire first
    assert.deepEqual(scheduled.fired.slice(0, 8), [
      ['a', 2],
      ['b', 2],
      ['a', 5],
      ['b', 5],
      ['apart', 7],
      ['tie', 7],
      ['a', 7],
      ['b', 7],
    ]);
    assert.equal(scheduled.after, 0);
  });
  it('sets a fired spare timer again as a new one, and makes a new one for a spare still set', () => {
    // The same chains with and without spares fire alike (ties included); a spare still waiting
    // (or canceled but not yet dropped) is not taken over
    const run = (useSpare: boolean) => {
      const clock = new SimulatedClock(0);
      const fired: Array<[string, number]> = [];
      const timers = new Map<string, ReturnType<SimulatedClock['setTimer']>>();
      const chain = (name: string, left: number) => () => {
        fired.push([name, clock.now()]);
        if (left <= 0) return;
        const spare = useSpare ? timers.get(name) : undefined;
        timers.set(name, clock.setTimer(1 + (left % 3), chain(name, left - 1), spare));
      };
      timers.set('a', clock.setTimer(2, chain('a', 20)));
      timers.set('b', clock.setTimer(2, chain('b', 20)));
      clock.setTimer(7, () => fired.push(['tie', clock.now()]));
      const waiting = clock.setTimer(50, () => fired.push(['waiting', clock.now()]));
      const other = clock.setTimer(3, () => fired.push(['other', clock.now()]), waiting);
      const canceled = clock.setTimer(60, () => fired.push(['canceled', clock.now()]));
      canceled.cancel();
      const again = clock.setTimer(4, () => fired.push(['again', clock.now()]), canceled);
      clock.runAll();
      return { fired, distinct: other !== waiting && again !== canceled };
    };
    const withSpares = run(true);
    assert.deepEqual(withSpares, run(false));
    assert.equal(withSpares.distinct, true);
    assert.equal(withSpares.fired.filter(([name]) => name === 'canceled').length, 0);
    assert.deepEqual(withSpares.fired.at(-1), ['waiting', 50]);
  });
});
