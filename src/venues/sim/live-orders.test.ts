import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveOrders } from './live-orders.ts';
import type { SimOrder } from './matching-engine.ts';

const order = (clientId: string): SimOrder => ({ clientId }) as SimOrder;

describe('LiveOrders', () => {
  it('shows only the orders put in, by clientId and in the order placed, through any churn', () => {
    const live = new LiveOrders();
    assert.equal(live.size, 0);
    assert.deepEqual(live.toArray(), []);
    // Past several rebuilds of the table: orders come and go two at a time, a few stay
    const kept = [order('keep-1'), order('keep-2')];
    live.set(kept[0]!);
    for (let i = 0; i < 500; i++) {
      const a = order(`a-${i}`);
      const b = order(`b-${i}`);
      live.set(a);
      live.set(b);
      if (i === 250) live.set(kept[1]!);
      assert.equal(live.get(a.clientId), a);
      assert.equal(live.has(b.clientId), true);
      live.delete(a.clientId);
      live.delete(b.clientId);
      assert.equal(live.get(a.clientId), undefined);
    }
    assert.equal(live.size, 2);
    assert.deepEqual(live.toArray(), kept);
    live.delete('keep-1');
    live.delete('keep-2');
    assert.equal(live.size, 0);
    assert.deepEqual(live.toArray(), []);
  });
});
