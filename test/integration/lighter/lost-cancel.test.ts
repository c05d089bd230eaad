/**
 * A Lighter cancel whose answer never comes must not leave an orphan: an order PENDING_CANCEL
 * here and working at the venue. Whether the transaction was dropped on its way (the venue
 * answered 5xx and queued nothing) or a restart cut it off between the journal and the wire,
 * once the venue still lists the order open the cancel goes out again, as a new signed
 * transaction with the key's next nonce, a bounded number of times; a resend the venue refuses
 * goes through the rejection boundary, a cancel the venue acknowledged is never sent twice, and
 * one still unanswered after the last resend is rejected (the order OPEN, as the venue lists it).
 * Through the real path: the emulator (which verifies every signature and nonce), the
 * TypeScript signer, and a SQLite journal across the restart.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Order } from '../../../src/core/order.ts';
import type { LighterEmulator } from '../../../src/emulators/lighter/index.ts';
import { TX } from '../../../src/emulators/lighter/protocol.ts';
import type { CancelTx } from '../../../src/emulators/lighter/tx.ts';
import { createMemoryLogger } from '../../../src/engine/logger.ts';
import { MAX_CANCEL_RESENDS } from '../../../src/engine/unanswered-cancels.ts';
import { readJournal } from '../../../src/runtime/journal-view.ts';
import type { Strategy } from '../../../src/runtime/strategy.ts';
import type { Harness } from './harness.ts';
import {
  runOnJournal,
  runThenDie,
  runVenue,
  startRestartBed,
  until,
  withHarness,
} from './harness.ts';

const SEND_TX = '/api/v1/sendTx';
const RESENT = 'sending again a cancel whose answer was lost';

/** The cancel transactions that reached the venue (REST or stream), with their answers */
const cancelRequests = (emulator: LighterEmulator) =>
  emulator.txRequests.filter((r) => r.txs.some((tx) => tx.txType === TX.CANCEL));

/** The cancel transactions the venue accepted for the order carrying this client order index */
const acceptedCancels = (emulator: LighterEmulator, index: number) =>
  emulator.exchange
    .acceptedTransactions()
    .filter((tx): tx is CancelTx => tx.txType === TX.CANCEL && tx.Index === index);

/** The venue's status of the order carrying this client order index */
const venueStatus = (emulator: LighterEmulator, index: number) =>
  emulator.orders().find((o) => o.correlationKey === String(index))?.status;

const indexOf = (order: Order | undefined) =>
  Number((order as (Order & { readonly correlationKey?: string }) | undefined)?.correlationKey);

/** A resting buy, OPEN here and at the venue */
async function restingOrder(h: Harness): Promise<{ clientId: string; index: number }> {
  const order = await h.trading.trade(h.instrument('ETH'), 0.01, 1990);
  await until(() => h.account.findOrder(order.clientId)?.status === 'OPEN', 'the order open');
  return { clientId: order.clientId, index: indexOf(h.account.findOrder(order.clientId)) };
}

describe('lighter: a cancel whose answer never came', () => {
  it('is sent again, with the next nonce, when the venue still lists the order open', () =>
    withHarness(async (h) => {
      const { clientId, index } = await restingOrder(h);
      // The venue drops the cancel transaction: a 5xx, nothing queued
      h.emulator.faults.failRequests({ path: SEND_TX, status: 500 });
      await h.trading.cancelOrder(clientId);
      await until(
        () => h.account.findOrder(clientId)?.status === 'CANCELED',
        'the order canceled by the resent cancel',
      );
      assert.equal(venueStatus(h.emulator, index), 'canceled');
      // Dropped; then sent again: the nonce the dropped one kept (it might have landed) is
      // refused as ahead of the venue, the key resyncs from nextNonce, and the resend is taken
      assert.deepEqual(
        cancelRequests(h.emulator).map((r) => r.answer),
        [500, 21_104, 200],
      );
      // One cancel executed, a transaction of its own on the key's sequence after the create
      const [create] = h.emulator.exchange
        .acceptedTransactions()
        .filter((tx) => tx.txType === TX.CREATE);
      const cancels = acceptedCancels(h.emulator, index);
      assert.equal(cancels.length, 1);
      assert.equal(cancels[0]?.Nonce, (create?.Nonce ?? -2) + 1);
      assert.equal(h.logger.records.filter((r) => r.message === RESENT).length, 1, 'logged');
    }));

  it('is not sent a third time while the resend is on its way, though the venue lists the order open', () =>
    withHarness(async (h) => {
      const { clientId, index } = await restingOrder(h);
      h.emulator.faults.failRequests({ path: SEND_TX, status: 500 });
      await h.trading.cancelOrder(clientId);
      // The resend is taken but not executed, and its answer (after the nonce resync's) is late
      h.emulator.faults.holdExecution();
      h.emulator.faults.delayRequests({ path: SEND_TX, ms: 3_000, count: 2 });
      await until(() => acceptedCancels(h.emulator, index).length === 1, 'the resend taken');
      await h.venue.resync();
      assert.equal(venueStatus(h.emulator, index), 'open', 'listed open by the resync');
      h.emulator.faults.releaseExecution();
      await until(() => h.account.findOrder(clientId)?.status === 'CANCELED', 'the order canceled');
      await until(() => h.venue.stats().keys.every((k) => k.inFlight === 0), 'the replies');
      assert.equal(acceptedCancels(h.emulator, index).length, 1, 'one resend, no more');
      assert.equal(h.logger.records.filter((r) => r.message === RESENT).length, 1);
    }));

  it('is sent again a bounded number of times, then rejected: OPEN as the venue lists it, and cancelable anew', () =>
    withHarness(async (h) => {
      const { clientId, index } = await restingOrder(h);
      h.emulator.faults.failRequests({ path: SEND_TX, status: 500, count: 100 });
      await h.trading.cancelOrder(clientId);
      await until(
        () => h.changes.some((c) => c.clientId === clientId && c.change === 'cancelRejected'),
        'the cancel given up',
      );
      h.emulator.faults.clear();
      assert.equal(cancelRequests(h.emulator).length, 1 + MAX_CANCEL_RESENDS);
      assert.equal(h.logger.records.filter((r) => r.message === RESENT).length, MAX_CANCEL_RESENDS);
      assert.ok(h.logger.records.some((r) => r.message.startsWith('cancel still unanswered')));
      assert.equal(venueStatus(h.emulator, index), 'open');
      // Kestrel agrees with the venue again, instead of holding PENDING_CANCEL for good
      const rejected = h.account.findOrder(clientId);
      assert.equal(rejected?.status, 'OPEN');
      const last = rejected?.transitions.at(-1);
      assert.deepEqual(
        [last?.from, last?.to, last?.cause],
        ['PENDING_CANCEL', 'OPEN', 'cancelRejected'],
      );
      // The venue answers again: a new cancel takes
      await h.trading.cancelOrder(clientId);
      await until(() => h.account.findOrder(clientId)?.status === 'CANCELED', 'canceled anew');
      assert.equal(venueStatus(h.emulator, index), 'canceled');
    }));

  it('goes through the rejection boundary when the venue refuses the resend', () =>
    withHarness(async (h) => {
      const { clientId, index } = await restingOrder(h);
      h.emulator.faults.failRequests({ path: SEND_TX, status: 500 });
      h.emulator.faults.failRequests({
        path: SEND_TX,
        status: 400,
        code: 21_600,
        message: 'given order is not an active limit order',
      });
      await h.trading.cancelOrder(clientId);
      await until(
        () => h.changes.some((c) => c.clientId === clientId && c.change === 'cancelRejected'),
        'the resend refused',
      );
      assert.equal(h.account.findOrder(clientId)?.status, 'OPEN', 'the order works on, as it does');
      assert.equal(venueStatus(h.emulator, index), 'open');
      assert.deepEqual(
        cancelRequests(h.emulator).map((r) => r.answer),
        [500, 21_600],
      );
    }));

  it('is never sent again once the venue acknowledged it, even while the order still shows open', () =>
    withHarness(async (h) => {
      const { clientId, index } = await restingOrder(h);
      // The venue takes the cancel but has not executed it yet
      h.emulator.faults.holdExecution();
      await h.trading.cancelOrder(clientId);
      await h.venue.resync();
      assert.equal(venueStatus(h.emulator, index), 'open', 'still listed open');
      assert.equal(h.account.findOrder(clientId)?.status, 'PENDING_CANCEL');
      h.emulator.faults.releaseExecution();
      await until(
        () => h.account.findOrder(clientId)?.status === 'CANCELED',
        'the acknowledged cancel executed',
      );
      assert.equal(cancelRequests(h.emulator).length, 1);
      assert.equal(acceptedCancels(h.emulator, index).length, 1);
    }));

  it('is sent after a restart that cut it off: the journal says PENDING_CANCEL, the venue OPEN', async (t) => {
    const bed = await startRestartBed(t, 'lost-cancel');
    const { emulator, journalPath } = bed;

    // ---- First run: the cancel is journaled, its transaction never reaches the venue, and the
    // process dies before anything could send it again
    let cut: Order | undefined;
    const logger1 = await runThenDie(bed, 'lost-cancel-phase-1', async (ctx) => {
      const order = await ctx.trade(ctx.instrument('ETH'), 0.01, 1990);
      await until(() => ctx.order(order.clientId)?.status === 'OPEN', 'the order open');
      emulator.faults.failRequests({ path: SEND_TX, status: 500 });
      await ctx.cancelOrder(order.clientId);
      cut = { ...(ctx.order(order.clientId) as Order) };
    });
    assert.ok(cut !== undefined);
    const index = indexOf(cut);
    assert.equal(cut.status, 'PENDING_CANCEL');
    assert.equal(
      readJournal(journalPath).orders.find((o) => o.clientId === cut?.clientId)?.status,
      'PENDING_CANCEL',
    );
    assert.equal(venueStatus(emulator, index), 'open', 'the cut cancel never reached the venue');
    assert.deepEqual(
      cancelRequests(emulator).map((r) => r.answer),
      [500],
    );

    // ---- Second run on the same journal: startup, then the strategy waits for the verdict
    const logger2 = createMemoryLogger('debug');
    const venue2 = runVenue(emulator, logger2);
    const abort2 = new AbortController();
    let settled: string | undefined;
    const phase2: Strategy = {
      name: 'lost-cancel-phase-2',
      async onStart(ctx) {
        const id = cut?.clientId ?? '';
        await until(() => ctx.order(id)?.status === 'CANCELED', 'the restored cancel sent again');
        settled = ctx.order(id)?.status;
        abort2.abort();
      },
    };
    await runOnJournal({
      strategy: phase2,
      venue: venue2,
      logger: logger2,
      journalPath,
      signal: abort2.signal,
      // A bound, not a wait: the settling ends as soon as nothing is open
      settleMs: 30_000,
    });
    assert.equal(settled, 'CANCELED');
    assert.equal(venueStatus(emulator, index), 'canceled');
    assert.equal(
      readJournal(journalPath).orders.find((o) => o.clientId === cut?.clientId)?.status,
      'CANCELED',
    );
    assert.equal(acceptedCancels(emulator, index).length, 1, 'one cancel executed');
    assert.equal(logger2.records.filter((r) => r.message === RESENT).length, 1);
    assert.equal(emulator.exchange.activeOrders().length, 0, 'nothing left working');
    const errors = [...logger1.records, ...logger2.records].filter((r) => r.level === 'error');
    assert.deepEqual(errors, []);
  });
});
