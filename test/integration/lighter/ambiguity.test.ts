/**
 * Ambiguity on Lighter's paths (issue #11 item 4): a modify whose reply is lost after the venue
 * applied it, its push lost too, is read back from the venue by client order index; and a
 * restart while the venue holds a create in its sequencer. Each ends with our orders equal to
 * the venue's and nothing resting. (Lighter answers a batch as a whole, so it has no per-entry
 * path; resilience.test.ts covers a lost create reply.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KestrelError } from '../../../src/core/errors.ts';
import type { Order } from '../../../src/core/order.ts';
import type { LighterEmulator } from '../../../src/emulators/lighter/index.ts';
import { createMemoryLogger } from '../../../src/engine/logger.ts';
import { readJournal } from '../../../src/runtime/journal-view.ts';
import type { Strategy } from '../../../src/runtime/strategy.ts';
import { runOnJournal, runVenue, startRestartBed, until, withHarness } from './harness.ts';

function makeVenue(emulator: LighterEmulator) {
  const logger = createMemoryLogger('debug');
  return { venue: runVenue(emulator, logger), logger };
}

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

  it('a restart while the venue holds a create: PENDING, not LOST, at startup; OPEN once executed; canceled by the stop', async (t) => {
    const { emulator, journalPath } = await startRestartBed(t, 'held');

    // First life: the venue takes the create into its sequencer and holds it; the process dies
    let clientId = '';
    const first = makeVenue(emulator);
    const abort = new AbortController();
    await runOnJournal({
      strategy: {
        name: 'held-create-first-life',
        async onStart(ctx) {
          emulator.faults.holdExecution();
          const accepted = emulator.exchange.acceptedTransactions().length;
          clientId = ctx.tradeAsync(ctx.instrument('ETH'), 0.01, 1990);
          await until(
            () => emulator.exchange.acceptedTransactions().length > accepted,
            'the create taken in and held',
          );
          await first.venue.stop();
          abort.abort();
        },
      },
      venue: first.venue,
      logger: first.logger,
      journalPath,
      signal: abort.signal,
      settleMs: 100,
    });
    assert.equal(emulator.exchange.activeOrders().length, 0, 'not placed yet');

    // Second life while the create is still held
    let atStart: Order | undefined;
    let placed: Order | undefined;
    const second = makeVenue(emulator);
    const strategy: Strategy = {
      name: 'held-create-second-life',
      async onStart(ctx) {
        const order = ctx.order(clientId);
        atStart =
          order === undefined ? undefined : { ...order, transitions: [...order.transitions] };
        emulator.faults.releaseExecution();
        await until(() => ctx.order(clientId)?.status === 'OPEN', 'the held create executed');
        const found = ctx.order(clientId);
        placed =
          found === undefined ? undefined : { ...found, transitions: [...found.transitions] };
      },
    };
    await runOnJournal({
      strategy,
      venue: second.venue,
      logger: second.logger,
      journalPath,
      durationMs: 100,
      settleMs: 60_000,
      reconcile: { queryIntervalMs: 100 },
    });
    assert.equal(atStart?.status, 'PENDING', 'not given up at startup');
    assert.equal(placed?.status, 'OPEN');
    assert.ok(
      placed?.transitions.every((x) => x.to !== 'LOST'),
      'never LOST on the way',
    );
    // Our ledger is the venue's: the order canceled on both sides, nothing resting
    const ours = readJournal(journalPath).orders.find((o) => o.clientId === clientId);
    assert.equal(ours?.status, 'CANCELED');
    const theirs = emulator.orders();
    assert.equal(theirs.length, 1);
    assert.equal(theirs[0]?.status, 'canceled');
    assert.equal(ours?.venueOrderId, theirs[0]?.venueOrderId);
    assert.equal(ours?.quantity, theirs[0]?.quantity);
    assert.equal(ours?.price, theirs[0]?.price);
    assert.equal(emulator.exchange.activeOrders().length, 0, 'nothing resting');
  });
});
