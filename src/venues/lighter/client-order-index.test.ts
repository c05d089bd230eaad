import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KestrelError } from '../../core/errors.ts';
import { SimulatedClock } from '../../engine/clock.ts';
import { createClientOrderIndexAllocator, ownerSlotOfIndex } from './client-order-index.ts';
import { MAX_CLIENT_ORDER_INDEX } from './constants.ts';

describe('lighter client order index allocator', () => {
  it('is monotonic and unique even when the clock stands still or steps back', () => {
    const clock = new SimulatedClock(1_700_000_000_000);
    const allocator = createClientOrderIndexAllocator({ clock });
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(allocator.next());
    assert.equal(seen.size, 1000);
    const clockBack = new SimulatedClock(1_600_000_000_000);
    const again = createClientOrderIndexAllocator({
      clock: clockBack,
      lastAllocated: allocator.lastAllocated,
    });
    assert.equal(again.next(), allocator.lastAllocated + 1);
  });

  it('a restarted process starts past the last run without a journal (clock seeded)', () => {
    const clock = new SimulatedClock(1_700_000_000_000);
    const first = createClientOrderIndexAllocator({ clock });
    const a = [first.next(), first.next(), first.next()];
    clock.advanceTo(1_700_000_000_050);
    const restarted = createClientOrderIndexAllocator({ clock });
    const b = restarted.next();
    assert.ok(
      a.every((x) => x < b),
      `${b} is above ${a.join(', ')}`,
    );
    assert.ok(b >= 1 && b <= MAX_CLIENT_ORDER_INDEX);
  });

  it("carries the owner slot of a process sharing the account, never colliding with a sibling's", () => {
    const clock = new SimulatedClock(1_795_000_000_000);
    const mine = createClientOrderIndexAllocator({ clock });
    const theirs = createClientOrderIndexAllocator({ clock });
    const before = mine.next();
    assert.equal(ownerSlotOfIndex(before), undefined, 'unslotted: a process alone');
    mine.useOwnerSlot(3);
    theirs.useOwnerSlot(4);
    // The clock stands still: both allocate within one millisecond
    const a = [mine.next(), mine.next(), mine.next()];
    const b = [theirs.next(), theirs.next()];
    assert.ok(a[0] !== undefined && a[0] > before, 'above every unslotted index');
    assert.deepEqual(
      a.map((i) => ownerSlotOfIndex(i)),
      [3, 3, 3],
    );
    assert.deepEqual(
      b.map((i) => ownerSlotOfIndex(i)),
      [4, 4],
    );
    assert.equal(new Set([...a, ...b]).size, 5, 'no index shared');
    assert.ok([...a, ...b].every((i) => i <= MAX_CLIENT_ORDER_INDEX));
    assert.throws(() => mine.useOwnerSlot(64), KestrelError);
  });

  it('is deterministic: the same clock gives the same indexes', () => {
    const run = () => {
      const allocator = createClientOrderIndexAllocator({ clock: new SimulatedClock(1_234_567) });
      return [allocator.next(), allocator.next()];
    };
    assert.deepEqual(run(), run());
    assert.deepEqual(run(), [1_234_567, 1_234_568]);
  });

  it('restore never moves backwards and refuses values outside 0..2^48-1', () => {
    const allocator = createClientOrderIndexAllocator({ clock: new SimulatedClock(10) });
    allocator.restore(500);
    allocator.restore(20);
    assert.equal(allocator.next(), 501);
    assert.throws(() => allocator.restore(2 ** 48), KestrelError);
    assert.throws(() => allocator.restore(-1), KestrelError);
  });

  it('refuses to hand out an index past 2^48-1', () => {
    const allocator = createClientOrderIndexAllocator({
      clock: new SimulatedClock(0),
      lastAllocated: MAX_CLIENT_ORDER_INDEX,
    });
    assert.throws(
      () => allocator.next(),
      (error: unknown) => error instanceof KestrelError && error.code === 'INVALID_CONFIG',
    );
  });
});
