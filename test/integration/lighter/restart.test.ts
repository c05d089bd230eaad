/**
 * A Kestrel process trading Lighter dies with orders working, and a new one starts on the same
 * journal: runLive twice against one emulator. The second run must know every order of the
 * first (and settle them from the venue), book each fill once, hand out client order indexes
 * past every one used before and clientIds that continue the first run's sequence, and map the
 * stream's frames (which name orders only by index) to our clientIds. Fake signer: this is
 * about identity and books, not signing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OrderFilled } from '../../../src/core/events.ts';
import type { Order } from '../../../src/core/order.ts';
import { createMemoryLogger } from '../../../src/engine/logger.ts';
import { SqliteJournal } from '../../../src/journal/sqlite-journal.ts';
import type { Strategy, StrategyContext } from '../../../src/runtime/strategy.ts';
import { until } from '../../helpers/wait.ts';
import { runOnJournal, runThenDie, runVenue, startRestartBed } from './harness.ts';

/** The counter of a default clientId (`k<tag>-<base36>`) and its head */
function idParts(clientId: string): { readonly head: string; readonly counter: number } {
  const dash = clientId.lastIndexOf('-');
  return {
    head: clientId.slice(0, dash + 1),
    counter: Number.parseInt(clientId.slice(dash + 1), 36),
  };
}

const keyOf = (ctx: StrategyContext, clientId: string): number =>
  Number(
    (ctx.order(clientId) as (Order & { readonly correlationKey?: string }) | undefined)
      ?.correlationKey,
  );

describe('lighter restart on a journal', () => {
  it('knows the first run’s orders, books each fill once, and continues indexes and clientIds', async (t) => {
    const bed = await startRestartBed(t, 'restart');
    const { emulator, journalPath } = bed;
    // An index far ahead of the clock: only a restore can keep the next run above it
    const ahead = Date.now() + 10_000_000_000;

    // ---- First run: orders working, one filled, one still queued at the venue; then it dies
    const first: Record<string, Order> = {};
    let heldKey = 0;
    const logger1 = await runThenDie(bed, 'restart-phase-1', async (ctx) => {
      const eth = ctx.instrument('ETH');
      first['resting'] = {
        ...(await ctx.trade(eth, 0.01, 1990, { options: { lighterClientOrderIndex: ahead } })),
      };
      first['selling'] = { ...(await ctx.trade(eth, -0.01, 2010)) };
      const bought = await ctx.trade(eth, 0.02, 2001);
      await until(() => ctx.order(bought.clientId)?.status === 'FILLED', 'the first fill');
      first['bought'] = { ...(ctx.order(bought.clientId) as Order) };
      // The venue accepts the next transaction but has not executed it when the process dies
      emulator.faults.holdExecution();
      const held = ctx.tradeAsync(eth, 0.01, 2005);
      const before = emulator.exchange.acceptedTransactions().length;
      await until(
        () => emulator.exchange.acceptedTransactions().length > before,
        'the held create accepted',
      );
      first['held'] = { ...(ctx.order(held) as Order) };
      heldKey = keyOf(ctx, held);
      for (const order of Object.values(first)) assert.ok(order.status !== 'REJECTED');
    });
    const resting = first['resting'];
    const selling = first['selling'];
    const bought = first['bought'];
    const held = first['held'];
    assert.ok(resting && selling && bought && held);
    assert.equal(
      emulator.exchange.activeOrders().length,
      2,
      'the resting orders outlived the process',
    );
    assert.equal(resting.clientId.length > 0, true);

    // ---- The gap, while nobody listens: the queued create executes and fills at once (the
    // venue names it only by its client order index), then the market fills the resting sell
    emulator.faults.releaseExecution();
    await until(() => emulator.executions().length === 2, 'the held order filled');
    emulator.setQuote('ETH', 2011, 2012, { bid: 5, ask: 5 });
    assert.equal(emulator.venue.getPosition('ETH')?.quantity, 0.02);

    // ---- Second run on the same journal
    const seen: Record<string, Order | undefined> = {};
    const logger2 = createMemoryLogger('debug');
    const venue2 = runVenue(emulator, logger2);
    const abort2 = new AbortController();
    let next: Order | undefined;
    const phase2: Strategy = {
      name: 'restart-phase-2',
      async onStart(ctx) {
        const eth = ctx.instrument('ETH');
        for (const [name, order] of Object.entries(first)) {
          const known = ctx.order(order.clientId);
          seen[name] = known === undefined ? undefined : { ...known };
        }
        next = await ctx.trade(eth, 0.01, 1970);
        assert.ok(keyOf(ctx, next.clientId) > ahead, 'indexes continue past every one used');
        // The first run's order is canceled by its client order index
        await ctx.cancelOrder(resting.clientId);
        await until(
          () => ctx.order(resting.clientId)?.status === 'CANCELED',
          'the restored order canceled',
        );
        abort2.abort();
      },
    };
    const report = await runOnJournal({
      strategy: phase2,
      venue: venue2,
      logger: logger2,
      journalPath,
      signal: abort2.signal,
      // A bound, not a wait: the settling ends as soon as nothing is open
      settleMs: 60_000,
      reconcile: { queryIntervalMs: 100 },
    });

    // Every order of the first run was known to the second, under its own clientId
    assert.equal(seen['resting']?.status, 'OPEN');
    assert.equal(seen['selling']?.status, 'FILLED', 'the gap fill settled it');
    assert.equal(seen['bought']?.status, 'FILLED');
    assert.equal(seen['held']?.status, 'FILLED', 'mapped by its index alone, fill booked');
    assert.equal(seen['held']?.filledQuantity, 0.01);
    assert.equal(seen['selling']?.averageFillPrice, 2010);
    assert.ok(next !== undefined);
    // clientIds continue the first run's sequence
    const firstIds = [resting, selling, bought, held].map((o) => idParts(o.clientId));
    const nextId = idParts(next.clientId);
    assert.ok(
      firstIds.every((p) => p.head === nextId.head),
      'the same instance tag',
    );
    assert.ok(
      firstIds.every((p) => p.counter < nextId.counter),
      'a counter past every one',
    );
    assert.ok(heldKey > 0);

    // Each fill booked exactly once, and exactly the venue's executions
    const journal = new SqliteJournal({
      path: journalPath,
      identity: { exchange: 'lighter', account: String(emulator.accountIndex) },
      readOnly: true,
    });
    const booked: string[] = [];
    const clientIds = new Set<string>();
    for (const { event } of journal.entries()) {
      if (event.type === 'orderFilled') booked.push((event as OrderFilled).fill.tradeId);
      if (event.type === 'orderRequested') clientIds.add(event.request.clientId);
      if (event.type === 'orderAccepted' && event.adoptAs !== undefined)
        assert.fail(`nothing adopted: ${event.adoptAs} ${event.venueOrderId}`);
    }
    void journal.close();
    const executions = emulator.executions().map((e) => e.tradeId);
    assert.deepEqual([...booked].sort(), [...executions].sort());
    assert.equal(new Set(booked).size, booked.length, 'no trade id twice');
    assert.equal(report.counters.overfills, 0);
    // Each order of ours at the venue carries a different index, and names one of our clientIds
    const venueOrders = emulator.orders();
    assert.equal(new Set(venueOrders.map((o) => o.clientOrderIndex)).size, venueOrders.length);
    assert.equal(venueOrders.length, clientIds.size);
    // Nothing left working, and our position is the venue's
    assert.equal(emulator.exchange.activeOrders().length, 0);
    const position = report.positions.find((p) => p.instrument.symbol === 'ETH')?.quantity ?? 0;
    assert.equal(position, emulator.venue.getPosition('ETH')?.quantity);
    assert.equal(position, 0.02);
    const errors = [...logger1.records, ...logger2.records].filter(
      (r) => r.level === 'error' && r.message !== 'cancel at stop failed',
    );
    assert.deepEqual(errors, []);

    // runLive builds a Reconciler but (as of this commit) never runs its startup diff, which is
    // what confirms a journaled order live at the venue and marks it RECOVERED
    await t.test('the first run’s open order is RECOVERED', () =>
      assert.equal(seen['resting']?.origin, 'RECOVERED'),
    );
  });
});
