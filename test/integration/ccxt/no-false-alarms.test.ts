/**
 * Reconciliation calls a difference only when state newer than both sides still shows it. A
 * snapshot is older than whatever the stream applied while it was on its way, and may be older
 * than what we already know (a venue's REST view can lag its stream): an order the venue had
 * canceled must never be called "CANCELED locally, OPEN at the venue", logged, counted as a
 * correction, or refused by the account (updates_refused is for alerting). Real ccxt against
 * the Binance USDⓈ-M emulator; the snapshot's timing is arranged, nothing else is faked.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { systemClock } from '../../../src/engine/clock.ts';
import { Reconciler } from '../../../src/engine/reconciler.ts';
import type { VenueSnapshot } from '../../../src/engine/venue.ts';
import type { CcxtSetup } from './harness.ts';
import { setupCcxt, until } from './harness.ts';

describe('reconciliation without false alarms (ccxt, Binance USDⓈ-M emulator)', () => {
  let setup: CcxtSetup | undefined;
  afterEach(async () => {
    await setup?.close();
    setup = undefined;
  });

  const reconcilerOf = (s: CcxtSetup) =>
    new Reconciler({
      venue: s.venue,
      account: s.account,
      clock: systemClock,
      logger: s.logger,
      health: s.health,
      isOwn: (clientId) => clientId.startsWith('kitest'),
    });

  const warnings = (s: CcxtSetup) =>
    s.logger.records.filter((r) => r.level === 'warn' || r.level === 'error');

  it('a cancel applied while the snapshot was on its way is no difference', async () => {
    setup = await setupCcxt();
    const s = setup;
    const resting = await s.trading.trade(s.btc, 0.002, 63_000);
    await until(() => s.account.findOrder(resting.clientId)?.status === 'OPEN', 'resting');
    const fetchSnapshot = s.venue.fetchSnapshot.bind(s.venue);
    // The venue answers with the order open, then cancels it before the answer is read
    s.venue.fetchSnapshot = async (options) => {
      const snapshot = await fetchSnapshot(options);
      await s.trading.cancelOrder(resting.clientId);
      await until(
        () => s.account.findOrder(resting.clientId)?.status === 'CANCELED',
        'the cancel applied',
      );
      return snapshot;
    };
    const report = await reconcilerOf(s).reconcile('periodic');
    assert.equal(report.corrections, 0);
    assert.equal(s.account.findOrder(resting.clientId)?.status, 'CANCELED');
    assert.equal(s.account.counters.refused, 0, 'nothing refused: updates_refused stays quiet');
    assert.equal(s.health.snapshot().exchanges[0]?.counts.corrections ?? 0, 0);
    assert.deepEqual(warnings(s), []);
  });

  it('a snapshot older than what we already know is re-checked by a status query', async () => {
    setup = await setupCcxt();
    const s = setup;
    const resting = await s.trading.trade(s.btc, 0.002, 63_000);
    await until(() => s.account.findOrder(resting.clientId)?.status === 'OPEN', 'resting');
    // A view taken while the order rested, read after the cancel was applied (a lagging REST view)
    const stale: VenueSnapshot = await s.venue.fetchSnapshot({ since: Date.now() - 60_000 });
    await s.trading.cancelOrder(resting.clientId);
    await until(
      () => s.account.findOrder(resting.clientId)?.status === 'CANCELED',
      'the cancel applied',
    );
    s.venue.fetchSnapshot = async () => stale;
    const report = await reconcilerOf(s).reconcile('periodic');
    assert.equal(report.corrections, 0);
    assert.equal(s.account.findOrder(resting.clientId)?.status, 'CANCELED');
    assert.equal(s.account.counters.refused, 0);
    assert.deepEqual(warnings(s), []);
  });

  it('a resync while our cancel is in flight notes nothing; a fill the stream missed it notes', async () => {
    setup = await setupCcxt();
    const s = setup;
    const resting = await s.trading.trade(s.btc, 0.002, 63_000);
    await until(() => s.account.findOrder(resting.clientId)?.status === 'OPEN', 'resting');
    // Our cancel and its answer race the resync's own requests: that is the normal flow
    const canceling = s.trading.cancelOrder(resting.clientId);
    await s.venue.resync();
    await canceling;
    await until(() => s.account.findOrder(resting.clientId)?.status === 'CANCELED', 'canceled');
    assert.equal(s.health.snapshot().exchanges[0]?.counts.corrections ?? 0, 0);
    assert.deepEqual(warnings(s), []);
    // A fill whose push is lost is drift the resync finds, and says so
    const other = await s.trading.trade(s.btc, 0.002, 63_000);
    await until(() => s.account.findOrder(other.clientId)?.status === 'OPEN', 'resting again');
    s.emulator.faults.dropPushes(2);
    s.emulator.printTrade('BTCUSDT', 62_999.9, 0.002, 'SELL');
    await s.venue.resync();
    await until(() => s.account.findOrder(other.clientId)?.status === 'FILLED', 'the fill found');
    assert.ok((s.health.snapshot().exchanges[0]?.counts.corrections ?? 0) >= 1);
    assert.ok(warnings(s).some((r) => /reconciliation/.test(r.message)));
  });
});
