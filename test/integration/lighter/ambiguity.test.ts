/**
 * Ambiguity on Lighter's amend path (issue #11 item 4): a modify whose reply is lost after the
 * venue applied it, its push lost too, is read back from the venue by client order index; the
 * order then agrees with the venue's, and a cancel leaves nothing resting. (Lighter answers a
 * batch as a whole, so it has no per-entry path; resilience.test.ts covers a lost create reply.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KestrelError } from '../../../src/core/errors.ts';
import { until, withHarness } from './harness.ts';

describe('lighter ambiguity against the emulator', () => {
  it('an amend whose reply and push are lost is read back from the venue; a cancel leaves nothing resting', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      const order = await h.trading.trade(eth, 0.02, 1990);
      await until(() => h.account.findOrder(order.clientId)?.status === 'OPEN', 'resting');
      h.emulator.faults.failRequests({ path: '/api/v1/sendTx', status: 502, afterApply: true });
      h.emulator.faults.dropPushes(5);
      const failure: unknown = await h.trading
        .updateOrder(order.clientId, { price: 1992.25, quantity: 0.03 })
        .catch((error: unknown) => error);
      assert.ok(failure instanceof KestrelError && failure.kind === 'ambiguous', String(failure));
      await until(() => {
        const ours = h.account.findOrder(order.clientId);
        return ours?.price === 1992.25 && ours.quantity === 0.03;
      }, 'the modified terms read back');
      const [theirs] = h.emulator.venue.openOrders();
      assert.equal(theirs?.price, 1992.25);
      assert.equal(theirs?.quantity, 0.03);
      assert.equal(h.account.findOrder(order.clientId)?.status, 'OPEN');
      h.emulator.faults.clear();
      await h.trading.cancelOrders();
      await until(() => h.account.getOrders().length === 0, 'the cancel confirmed');
      assert.equal(h.account.findOrder(order.clientId)?.status, 'CANCELED');
      assert.deepEqual(h.emulator.venue.openOrders(), [], 'nothing resting');
    });
  });
});
