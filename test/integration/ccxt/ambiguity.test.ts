/**
 * Ambiguity on every path, through real ccxt against the Binance USDⓈ-M emulator's fault
 * controls (issue #11 item 4): a batch entry answered -1001 / -1008 that the venue placed, an
 * amend answered 503 that the venue made, and a restart while the venue holds a submit. Each
 * run goes through runLive with a journal and its graceful stop, and ends with the journal
 * equal to the venue's ledger (orders, fills, position) and nothing resting at the venue.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { KestrelError } from '../../../src/core/errors.ts';
import type { Order, OrderStatus } from '../../../src/core/order.ts';
import type { BinanceUsdmEmulator } from '../../../src/emulators/binance-usdm/index.ts';
import { startBinanceUsdmEmulator } from '../../../src/emulators/binance-usdm/index.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { createMemoryLogger } from '../../../src/engine/logger.ts';
import type { ReconcilerOptions } from '../../../src/engine/reconciler.ts';
import { MAX_CANCEL_RESENDS } from '../../../src/engine/unanswered-cancels.ts';
import { readJournal } from '../../../src/runtime/journal-view.ts';
import { runLive } from '../../../src/runtime/live.ts';
import type { Strategy } from '../../../src/runtime/strategy.ts';
import type { LoadCcxtConfigInput } from '../../../src/venues/ccxt/index.ts';
import { createCcxtVenue } from '../../../src/venues/ccxt/index.ts';
import { until } from '../../helpers/wait.ts';
import { testConfig } from './harness.ts';

const VENUE_STATUS: Readonly<Record<string, OrderStatus>> = {
  NEW: 'OPEN',
  PARTIALLY_FILLED: 'PARTIALLY_FILLED',
  FILLED: 'FILLED',
  CANCELED: 'CANCELED',
  EXPIRED: 'EXPIRED',
  REJECTED: 'REJECTED',
};

/**
 * Where the journal and the venue's ledger disagree: each order's status, quantity, price and
 * filled quantity, the executions booked, the position, and orders still resting at the venue
 */
function ledgerDifferences(journalPath: string, emulator: BinanceUsdmEmulator): string[] {
  const view = readJournal(journalPath);
  const differences: string[] = [];
  const ours = new Set(view.orders.map((o) => o.clientId as string));
  for (const order of view.orders) {
    const theirs = emulator.venue.order({ clientId: order.clientId });
    if (theirs === undefined) {
      if (order.status !== 'LOST' && order.status !== 'REJECTED')
        differences.push(`${order.clientId}: ${order.status} here, unknown at the venue`);
      continue;
    }
    const here = [order.status, order.quantity, order.price, order.filledQuantity];
    const there = [VENUE_STATUS[theirs.status], theirs.quantity, theirs.price, theirs.filled];
    if (JSON.stringify(here) !== JSON.stringify(there))
      differences.push(
        `${order.clientId}: ${JSON.stringify(here)} here, ${JSON.stringify(there)} at the venue`,
      );
  }
  for (const order of emulator.orders())
    if (!ours.has(order.clientId)) differences.push(`${order.clientId}: unknown here`);
  const booked = view.fills.map((f) => String(f.tradeId)).sort();
  const executed = emulator
    .executions()
    .map((t) => String(t.id))
    .sort();
  if (JSON.stringify(booked) !== JSON.stringify(executed))
    differences.push(`fills ${booked.join(',')} here, ${executed.join(',')} at the venue`);
  const position = view.positions.find((p) => p.instrument.venueSymbol === 'BTCUSDT');
  const venuePosition = emulator.venue.getPosition('BTCUSDT');
  if ((position?.quantity ?? 0) !== (venuePosition?.quantity ?? 0))
    differences.push(
      `position ${position?.quantity} here, ${venuePosition?.quantity} at the venue`,
    );
  for (const order of emulator.venue.openOrders())
    differences.push(`${order.clientId} still resting at the venue`);
  return differences;
}

interface Life {
  readonly emulator: BinanceUsdmEmulator;
  readonly journalPath: string;
  readonly strategy: Strategy;
  readonly overrides?: LoadCcxtConfigInput['overrides'];
  readonly reconcile?: NonNullable<Parameters<typeof runLive>[0]['reconcile']> &
    Pick<ReconcilerOptions, 'lostAfterMs'>;
}

/** One live run against the emulator until its strategy's onStart returns, then the graceful stop */
async function live(life: Life) {
  const logger = createMemoryLogger();
  const venue = createCcxtVenue(testConfig(life.emulator.url, { overrides: life.overrides }), {
    clock: systemClock,
    logger,
  });
  const report = await runLive({
    strategy: life.strategy,
    venue,
    symbols: ['BTC/USDT:USDT'],
    clock: systemClock,
    logger,
    journalPath: life.journalPath,
    durationMs: 100,
    settleMs: 60_000,
    reconcile: { snapshotIntervalMs: 0, ...life.reconcile },
  });
  return { report, logger };
}

const froms = (order: Order | undefined) => order?.transitions.map((t) => t.to) ?? [];

/** The order as it is now (the account's record goes on changing) */
function copy(order: Order | undefined): Order | undefined {
  return order === undefined ? undefined : { ...order, transitions: [...order.transitions] };
}

describe('ambiguity through real ccxt and the Binance USDⓈ-M emulator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-ambiguity-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const emulators: BinanceUsdmEmulator[] = [];
  after(async () => {
    for (const emulator of emulators) await emulator.close();
  });
  const venueAt = async () => {
    const emulator = await startBinanceUsdmEmulator({});
    emulators.push(emulator);
    emulator.setQuote('BTCUSDT', 64000, 64000.5, 2, 2);
    return emulator;
  };

  it('a batch entry answered -1001 or -1008 stays PENDING until the venue says: OPEN, FILLED or LOST, never REJECTED; a stop leaves nothing resting', async () => {
    const emulator = await venueAt();
    const journalPath = join(dir, 'batch.sqlite');
    // Entry 0 crosses and fills, entry 1 rests: the venue placed both and answered -1008 and
    // -1001 in their place; entry 2 is answered -1001 without being placed; entry 3 a verdict
    emulator.faults.failBatchEntries({ entries: [0], status: 503 });
    emulator.faults.failBatchEntries({ entries: [1] });
    emulator.faults.failBatchEntries({ entries: [2], when: 'before' });
    let seen: Order[] = [];
    const strategy: Strategy = {
      name: 'ambiguous-batch',
      async onStart(ctx) {
        const btc = ctx.instrument('BTC/USDT:USDT');
        const orders = await ctx.submitOrders([
          { instrument: btc, amount: 0.002, price: 64000.5 },
          { instrument: btc, amount: 0.002, price: 62000 },
          { instrument: btc, amount: 0.002, price: 61000 },
          { instrument: btc, amount: 5, price: 62000 },
        ]);
        const wanted: OrderStatus[] = ['FILLED', 'OPEN', 'LOST', 'REJECTED'];
        await until(
          () => orders.every((o, i) => ctx.order(o.clientId)?.status === wanted[i]),
          'every entry settled by the venue',
        );
        seen = orders.map((o) => copy(ctx.order(o.clientId)) as Order);
      },
    };
    const { report, logger } = await live({ emulator, journalPath, strategy });

    const [filled, resting, never, refused] = seen;
    assert.ok(!froms(filled).includes('REJECTED'), 'placed, answered -1008: never REJECTED');
    assert.equal(filled?.status, 'FILLED', 'its fill booked');
    assert.equal(filled?.filledQuantity, 0.002);
    assert.deepEqual(froms(resting), ['OPEN'], 'placed, answered -1001: found OPEN');
    assert.deepEqual(froms(never), ['LOST'], 'answered -1001, never placed: LOST once asked');
    assert.match(never?.reason ?? '', /does not know the order/);
    assert.deepEqual(froms(refused), ['REJECTED'], 'a verdict stays a verdict');
    assert.match(refused?.reason ?? '', /^-2019/);
    assert.ok(
      logger.records.some((r) => /send failed without a verdict/.test(r.message)),
      'the ambiguous entries are logged as such',
    );
    assert.equal(report.counters.overfills, 0);
    const journaled = readJournal(journalPath).orders;
    assert.equal(journaled.find((o) => o.clientId === resting?.clientId)?.status, 'CANCELED');
    assert.deepEqual(ledgerDifferences(journalPath, emulator), []);
  });

  it('an amend answered 503 that the venue made is read back by a status query; the amended quantity fills and books in full; a stop leaves nothing resting', async () => {
    const emulator = await venueAt();
    const journalPath = join(dir, 'amend.sqlite');
    let amended: Order | undefined;
    let final: Order | undefined;
    let failure: unknown;
    const strategy: Strategy = {
      name: 'ambiguous-amend',
      async onStart(ctx) {
        const btc = ctx.instrument('BTC/USDT:USDT');
        const order = await ctx.trade(btc, 0.002, 62000);
        const resting = await ctx.trade(btc, 0.002, 61000);
        // The venue amends, then its answer is lost, and so is its push: only a query can tell
        emulator.faults.failRequests({
          status: 503,
          method: 'PUT',
          path: '/fapi/v1/order',
          when: 'after',
        });
        emulator.faults.dropPushes(5);
        failure = await ctx.updateOrder(order, { quantity: 0.004, price: 62500 }).catch((e) => e);
        await until(
          () => ctx.order(order.clientId)?.quantity === 0.004,
          'the amended terms read back',
        );
        amended = copy(ctx.order(order.clientId));
        emulator.faults.reset();
        // The market comes to the amended price: the venue fills 0.004
        emulator.setQuote('BTCUSDT', 62400, 62450, 2, 2);
        await until(() => ctx.order(order.clientId)?.status === 'FILLED', 'the amended fill');
        final = copy(ctx.order(order.clientId));
        assert.equal(ctx.order(resting.clientId)?.status, 'OPEN');
      },
    };
    const { report } = await live({
      emulator,
      journalPath,
      strategy,
      // No quiet-stream reconnect (and its resync) within the test: only the query can tell
      overrides: {
        stream: {
          backoffBaseMs: 40,
          backoffMaxMs: 400,
          watchdogMs: 600_000,
          connectTimeoutMs: 5_000,
        },
      },
    });

    assert.ok(failure instanceof KestrelError && failure.kind === 'ambiguous', String(failure));
    assert.equal(amended?.status, 'OPEN');
    assert.equal(amended?.quantity, 0.004);
    assert.equal(amended?.price, 62500);
    assert.equal(final?.filledQuantity, 0.004);
    assert.equal(final?.quantity, 0.004);
    assert.equal(report.counters.overfills, 0, 'the fill of the amended quantity is no overfill');
    assert.equal(readJournal(journalPath).positions[0]?.quantity, 0.004);
    assert.deepEqual(ledgerDifferences(journalPath, emulator), []);
  });

  it('a cancel answered 503 while the venue lists the order open is sent again three times, then rejected: OPEN as at the venue, canceled anew; a stop leaves nothing resting', async () => {
    const emulator = await venueAt();
    const journalPath = join(dir, 'unanswered-cancel.sqlite');
    let rejected: Order | undefined;
    let final: Order | undefined;
    const strategy: Strategy = {
      name: 'unanswered-cancel',
      async onStart(ctx) {
        const btc = ctx.instrument('BTC/USDT:USDT');
        const order = await ctx.trade(btc, 0.002, 62000);
        // Every cancel is refused unread: the venue does nothing, and the order rests on
        emulator.faults.failRequests({
          status: 503,
          method: 'DELETE',
          path: '/fapi/v1/order',
          count: 1 + MAX_CANCEL_RESENDS,
        });
        await ctx.cancelOrder(order);
        await until(
          () => froms(ctx.order(order.clientId)).slice(-2).join() === 'PENDING_CANCEL,OPEN',
          'the cancel given up',
        );
        rejected = copy(ctx.order(order.clientId));
        // The venue answers again: a new cancel takes
        await ctx.cancelOrder(order);
        await until(() => ctx.order(order.clientId)?.status === 'CANCELED', 'canceled anew');
        final = copy(ctx.order(order.clientId));
      },
    };
    const { logger } = await live({ emulator, journalPath, strategy });

    assert.equal(rejected?.status, 'OPEN', 'Kestrel agrees with the venue, which lists it open');
    assert.equal(rejected?.transitions.at(-1)?.cause, 'cancelRejected');
    assert.equal(
      logger.records.filter((r) => r.message === 'sending again a cancel whose answer was lost')
        .length,
      MAX_CANCEL_RESENDS,
    );
    assert.ok(logger.records.some((r) => r.message.startsWith('cancel still unanswered')));
    assert.equal(final?.status, 'CANCELED');
    assert.deepEqual(ledgerDifferences(journalPath, emulator), []);
  });

  const child = fileURLToPath(new URL('./held-submit-child.ts', import.meta.url));

  /**
   * Runs a first life whose submit the venue holds `holdMs`, and kills it while held; returns
   * the held order's clientId
   */
  async function heldSubmitFirstLife(
    emulator: BinanceUsdmEmulator,
    journalPath: string,
    holdMs: number,
  ): Promise<string> {
    emulator.faults.delayResponses(holdMs, { count: 1, path: '/fapi/v1/order' });
    const proc = spawn(process.execPath, ['--import', 'tsx', child, emulator.url, journalPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    try {
      await until(
        () => out.includes('\n') || proc.exitCode !== null,
        'the first life to trade',
        180_000,
      );
      const line = out.slice(0, out.indexOf('\n'));
      assert.ok(line !== '', `the first life exited early: ${err}`);
      const { clientId } = JSON.parse(line) as { clientId: string };
      await until(() => emulator.faults.heldResponses === 1, 'the submit held at the venue');
      await until(
        () =>
          readJournalSafely(journalPath)?.some(
            (o) => o.clientId === clientId && o.status === 'PENDING',
          ) === true,
        'the intent on disk',
      );
      return clientId;
    } finally {
      proc.kill('SIGKILL');
      await exited;
    }
  }

  it('a restart while the venue holds a submit: not LOST before the running window, OPEN once placed, canceled by the stop', async () => {
    const emulator = await venueAt();
    const journalPath = join(dir, 'held.sqlite');
    const clientId = await heldSubmitFirstLife(emulator, journalPath, 6_000);
    let found: Order | undefined;
    const strategy: Strategy = {
      name: 'held-submit-second-life',
      async onStart(ctx) {
        assert.equal(ctx.order(clientId)?.status, 'PENDING', 'not given up at startup');
        await until(() => ctx.order(clientId)?.status === 'OPEN', 'the held submit placed');
        found = copy(ctx.order(clientId));
      },
    };
    await live({
      emulator,
      journalPath,
      strategy,
      overrides: { lostAfterMs: 15_000 },
      reconcile: { lostAfterMs: 15_000 },
    });
    assert.deepEqual(froms(found), ['OPEN'], 'never LOST on the way');
    assert.equal(emulator.venue.order({ clientId })?.status, 'CANCELED', 'the stop canceled it');
    assert.deepEqual(ledgerDifferences(journalPath, emulator), []);
  });

  it("the startup reconciliation waits by the venue's own window: a 16 s old submit stays PENDING under a 20 s lostAfterMs", async () => {
    const emulator = await venueAt();
    const journalPath = join(dir, 'window.sqlite');
    // Held past Binance's recvWindow, so the venue refuses it when it finally reads it: never placed
    const clientId = await heldSubmitFirstLife(emulator, journalPath, 12_000);
    const requestedAt = readJournalSafely(journalPath)?.find(
      (o) => o.clientId === clientId,
    )?.createdAt;
    assert.ok(requestedAt !== undefined, 'the intent on disk');
    // Older than the engine's default window (15 s), younger than the venue's (20 s)
    await until(() => Date.now() - requestedAt > 15_500, 'the order past 15 s', 60_000);
    let atStart: Order | undefined;
    let lost: Order | undefined;
    const strategy: Strategy = {
      name: 'window-second-life',
      async onStart(ctx) {
        atStart = copy(ctx.order(clientId));
        await until(() => ctx.order(clientId)?.status === 'LOST', 'given up by the venue window');
        lost = copy(ctx.order(clientId));
      },
    };
    await live({ emulator, journalPath, strategy, overrides: { lostAfterMs: 20_000 } });
    assert.equal(atStart?.status, 'PENDING', 'not given up at startup by the engine default');
    assert.ok(lost !== undefined);
    assert.ok(
      (lost.transitions.at(-1)?.time ?? 0) - requestedAt >= 20_000,
      'LOST only past the venue window',
    );
    assert.equal(emulator.venue.order({ clientId }), undefined, 'the venue never placed it');
  });

  it('a held submit given up as LOST is reinstated when the venue lists it open (its push lost), then canceled by the stop', async () => {
    const emulator = await venueAt();
    const journalPath = join(dir, 'reinstated.sqlite');
    const clientId = await heldSubmitFirstLife(emulator, journalPath, 4_000);
    // The venue's push of the order is lost: only its open-order list tells
    emulator.faults.dropPushes(5);
    let lost: Order | undefined;
    let reinstated: Order | undefined;
    const strategy: Strategy = {
      name: 'reinstated-second-life',
      async onStart(ctx) {
        await until(() => ctx.order(clientId)?.status === 'LOST', 'given up');
        lost = copy(ctx.order(clientId));
        await until(() => ctx.order(clientId)?.status === 'OPEN', 'reinstated', 120_000);
        reinstated = copy(ctx.order(clientId));
        assert.ok(
          ctx.orders().some((o) => o.clientId === clientId),
          'among the live orders again',
        );
      },
    };
    await live({
      emulator,
      journalPath,
      strategy,
      overrides: { lostAfterMs: 500 },
      reconcile: { lostAfterMs: 500, snapshotIntervalMs: 1_000 },
    });
    assert.ok(lost !== undefined);
    assert.deepEqual(froms(reinstated), ['LOST', 'OPEN']);
    assert.match(reinstated?.reason ?? '', /^reinstated: LOST here, OPEN at the venue/);
    assert.equal(emulator.venue.order({ clientId })?.status, 'CANCELED', 'the stop canceled it');
    assert.deepEqual(ledgerDifferences(journalPath, emulator), []);
  });
});

function readJournalSafely(path: string): readonly Order[] | undefined {
  try {
    return readJournal(path).orders;
  } catch {
    return undefined;
  }
}
