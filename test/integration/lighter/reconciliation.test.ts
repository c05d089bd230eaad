/**
 * Reconciliation reads of the Lighter venue against the emulator: the account snapshot compared
 * with the emulator's own ledger, status queries by client order index (including the window in
 * which a just-canceled order is listed nowhere, and a venue that cannot answer), and the real
 * Reconciler at startup after a gap in which the account changed behind our back. These tests
 * use the deterministic fake signer: they are about the account's books, not signing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrackedOrder } from '../../../src/core/account.ts';
import { KestrelError } from '../../../src/core/errors.ts';
import type { Fill } from '../../../src/core/fill.ts';
import { clientOrderId } from '../../../src/core/ids.ts';
import { createOrderRequest } from '../../../src/core/order-request.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { Reconciler } from '../../../src/engine/reconciler.ts';
import type { Harness, HarnessOptions } from './harness.ts';
import { placeForeignOrder, sleep, startHarness, until } from './harness.ts';

async function withHarness(run: (h: Harness) => Promise<void>, options: HarnessOptions = {}) {
  const h = await startHarness(options);
  try {
    h.emulator.setQuote('ETH', 2000, 2001, { bid: 5, ask: 5 });
    h.emulator.setQuote('BTC', 100_000, 100_010, { bid: 1, ask: 1 });
    if (options.start !== false) {
      await until(() => h.venue.quote(h.instrument('ETH'))?.ask === 2001, 'the ETH quote');
    }
    await run(h);
    const errors = h.logger.records.filter((r) => r.level === 'error');
    assert.deepEqual(errors, [], 'no errors logged');
  } finally {
    await h.close();
  }
}

const statusOf = (h: Harness, clientId: string) => h.account.findOrder(clientId)?.status;
const order = (h: Harness, clientId: string): TrackedOrder => {
  const found = h.account.findOrder(clientId);
  if (found === undefined) throw new Error(`no order ${clientId}`);
  return found;
};
const six = (value: number) => Number(value.toFixed(6));

/** The venue's status query of one order (the Lighter venue has one) */
function queryOf(h: Harness) {
  const ask = h.venue.queryOrder;
  assert.ok(ask !== undefined);
  return (o: TrackedOrder) => ask.call(h.venue, o);
}

/** Every fill the account booked (duplicates are not booked twice) */
function bookedFills(h: Harness): Fill[] {
  const fills: Fill[] = [];
  h.account.subscribe((result) => {
    if (result.outcome === 'applied' && result.fill !== undefined) fills.push(result.fill);
  });
  return fills;
}

describe('lighter snapshot', () => {
  it('reports open orders, fills since a time, positions and balances as the ledger has them', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      const btc = h.instrument('BTC');
      const before = await h.trading.trade(eth, 0.02, 2001);
      await until(() => statusOf(h, before.clientId) === 'FILLED', 'the first fill');
      await sleep(30);
      const since = Date.now();
      await sleep(5);
      const sold = await h.trading.trade(eth, -0.01, 2000);
      await until(() => statusOf(h, sold.clientId) === 'FILLED', 'the second fill');
      const resting = await h.trading.trade(eth, 0.03, 1990);
      const short = await h.trading.trade(btc, -0.001, 120_000);
      await placeForeignOrder(h.emulator, {
        symbol: 'ETH',
        side: 'SELL',
        size: 0.01,
        price: 2050,
        clientOrderIndex: 4242,
      });
      await until(() => h.emulator.exchange.activeOrders().length === 3, 'three resting orders');

      const fetch = h.venue.fetchSnapshot;
      assert.ok(fetch !== undefined);
      const snapshot = await fetch.call(h.venue, { since });

      const ledgerOpen = h.emulator
        .orders()
        .filter((o) => o.status === 'open')
        .map((o) => ({
          venueOrderId: o.venueOrderId,
          correlationKey: o.correlationKey,
          symbol: o.symbol,
          side: o.side,
          quantity: o.quantity,
          price: o.price,
          filled: o.filledQuantity,
        }));
      const reported = snapshot.openOrders.map((o) => ({
        venueOrderId: o.venueOrderId,
        correlationKey: o.correlationKey,
        symbol: o.instrument.symbol,
        side: o.side,
        quantity: o.quantity,
        price: o.price,
        filled: o.filledQuantity,
      }));
      const byId = (a: { venueOrderId: string }, b: { venueOrderId: string }) =>
        a.venueOrderId.localeCompare(b.venueOrderId);
      assert.deepEqual(reported.sort(byId), ledgerOpen.sort(byId));
      const clientIds = new Map(snapshot.openOrders.map((o) => [o.correlationKey, o.clientId]));
      assert.equal(clientIds.get(order(h, resting.clientId).correlationKey), resting.clientId);
      assert.equal(clientIds.get(order(h, short.clientId).correlationKey), short.clientId);
      assert.equal(clientIds.get('4242'), undefined, 'a foreign index names no clientId of ours');
      assert.ok(snapshot.openOrders.every((o) => o.status === 'OPEN'));

      const ledgerFills = h.emulator
        .executions()
        .filter((e) => e.time >= since)
        .map((e) => ({
          tradeId: e.tradeId,
          venueOrderId: e.venueOrderId,
          side: e.side,
          quantity: e.quantity,
          price: e.price,
          fee: e.fee,
        }));
      assert.equal(ledgerFills.length, 1, 'only the fill after `since`');
      assert.deepEqual(
        snapshot.fills.map((f) => ({
          tradeId: f.tradeId,
          venueOrderId: f.venueOrderId,
          side: f.side,
          quantity: f.quantity,
          price: f.price,
          fee: f.fee,
        })),
        ledgerFills,
      );
      assert.equal(snapshot.fills[0]?.clientId, sold.clientId, 'the fill names our clientId');

      const ledgerPositions = h.emulator.venue
        .getPositions()
        .filter((p) => p.quantity !== 0)
        .map((p) => ({
          symbol: p.instrument.symbol,
          quantity: p.quantity,
          averagePrice: Number(p.averagePrice.toFixed(p.instrument.priceDecimals)),
        }));
      assert.deepEqual(
        snapshot.positions.map((p) => ({
          symbol: p.instrument.symbol,
          quantity: p.quantity,
          averagePrice: p.averagePrice,
        })),
        ledgerPositions,
      );
      assert.deepEqual(ledgerPositions, [{ symbol: 'ETH', quantity: 0.01, averagePrice: 2001 }]);

      const usdc = h.emulator.venue.getBalances().find((b) => b.currency === 'USDC');
      assert.ok(usdc !== undefined);
      assert.deepEqual(
        snapshot.balances.map((b) => ({ currency: b.currency, total: b.total, free: b.free })),
        [{ currency: 'USDC', total: six(usdc.total), free: six(usdc.free) }],
      );
      assert.equal(h.venue.account, String(h.emulator.accountIndex), 'the account index names it');
    });
  });
});

describe('lighter status queries', () => {
  it('answers for an open, a filled, a canceled and an unknown order; a 5xx throws', async () => {
    await withHarness(
      async (h) => {
        const eth = h.instrument('ETH');
        const query = queryOf(h);

        const resting = await h.trading.trade(eth, 0.03, 1990);
        const open = await query(order(h, resting.clientId));
        assert.equal(open?.status, 'OPEN');
        assert.equal(open?.clientId, resting.clientId);
        assert.equal(open?.correlationKey, order(h, resting.clientId).correlationKey);
        assert.equal(open?.venueOrderId, order(h, resting.clientId).venueOrderId);
        assert.equal(open?.quantity, 0.03);
        assert.equal(open?.price, 1990);

        const bought = await h.trading.trade(eth, 0.02, 2001);
        await until(() => statusOf(h, bought.clientId) === 'FILLED', 'the fill');
        const filled = await query(order(h, bought.clientId));
        assert.equal(filled?.status, 'FILLED');
        assert.equal(filled?.filledQuantity, 0.02);
        assert.equal(filled?.averagePrice, 2001);

        await h.trading.cancelOrder(resting.clientId);
        await until(() => statusOf(h, resting.clientId) === 'CANCELED', 'the cancel');
        const canceled = await query(order(h, resting.clientId));
        assert.equal(canceled?.status, 'CANCELED');

        // An order of ours the venue never received, from long ago: its create transaction
        // has expired, so the venue can never place it
        const never: TrackedOrder = {
          ...order(h, resting.clientId),
          clientId: clientOrderId('klt-never'),
          venueOrderId: undefined,
          correlationKey: '1234567',
          status: 'PENDING',
          answered: false,
          createdAt: Date.now() - 3_600_000,
        };
        assert.equal(await query(never), undefined);
        // The same order sent a moment ago may still be placed: not unknown, undecided
        await assert.rejects(
          query({ ...never, createdAt: Date.now() }),
          (error: unknown) =>
            error instanceof KestrelError &&
            error.kind === 'ambiguous' &&
            /may still execute/.test(error.message),
        );

        // Terminal states are final, so the ones already seen are answered from memory; a live
        // order needs the venue, and a venue that cannot answer proves nothing
        const live = await h.trading.trade(eth, 0.01, 1985);
        h.emulator.faults.failRequests({ path: '/api/v1/accountOrders', status: 503 });
        await assert.rejects(
          query(order(h, live.clientId)),
          (error: unknown) =>
            error instanceof KestrelError &&
            error.code === 'VENUE_UNAVAILABLE' &&
            error.kind === 'ambiguous',
        );
      },
      { overrides: { queryRetryMs: 100 } },
    );
  });

  it('finds an order without a client order index by its order index', async () => {
    await withHarness(async (h) => {
      const query = queryOf(h);
      // Placed by hand (the web UI sends no client order index): the stream adopts it
      await placeForeignOrder(h.emulator, { symbol: 'ETH', side: 'SELL', size: 0.02, price: 2100 });
      await until(
        () => h.account.getOrders().some((o) => o.origin === 'EXTERNAL'),
        'the external order adopted',
      );
      const external = h.account.getOrders().find((o) => o.origin === 'EXTERNAL');
      assert.ok(external !== undefined);
      assert.equal(external.correlationKey, undefined);
      const open = await query(external);
      assert.equal(open?.status, 'OPEN');
      assert.equal(open?.venueOrderId, external.venueOrderId);
      assert.equal(open?.quantity, 0.02);
      // Canceled by its order index, then found among the inactive orders
      await h.trading.cancelOrder(external.clientId);
      await until(() => statusOf(h, external.clientId) === 'CANCELED', 'the external cancel');
      const done = await query(order(h, external.clientId));
      assert.equal(done?.status, 'CANCELED');
    });
  });

  it('the stream adopts an order of ours the account never tracked as RECOVERED', async () => {
    await withHarness(async (h) => {
      const request = createOrderRequest({
        clientId: clientOrderId('klt-untracked'),
        instrument: h.instrument('ETH'),
        side: 'BUY',
        quantity: 0.01,
        orderType: 'LIMIT',
        price: 1900,
        timeInForce: 'GTC',
      });
      h.venue.broker.prepare(request);
      await h.venue.broker.sendOrder(request);
      await until(() => h.account.findOrder('klt-untracked') !== undefined, 'the adoption');
      const adopted = order(h, 'klt-untracked');
      assert.equal(adopted.origin, 'RECOVERED');
      assert.equal(adopted.status, 'OPEN');
      assert.equal(adopted.correlationKey, String(request.options['lighterClientOrderIndex']));
      assert.equal(h.account.getOrders().filter((o) => o.origin === 'EXTERNAL').length, 0);
    });
  });

  it('a just-canceled order listed nowhere is asked about again, and never called unknown', async () => {
    await withHarness(
      async (h) => {
        const eth = h.instrument('ETH');
        const query = queryOf(h);

        // Hidden for less than the retry: the second look finds it canceled
        const first = await h.trading.trade(eth, 0.01, 1980);
        h.emulator.faults.hideCanceled(300);
        await h.trading.cancelOrder(first.clientId);
        await until(
          () => h.emulator.orders().some((o) => o.status === 'canceled'),
          'the cancel at the venue',
        );
        assert.equal(
          h.emulator.exchange.ordersByClientIndex([Number(order(h, first.clientId).correlationKey)])
            .length,
          0,
          'listed nowhere right now',
        );
        const found = await query(order(h, first.clientId));
        assert.equal(found?.status, 'CANCELED');

        // Hidden for longer: the venue acknowledged it, so an empty answer is no verdict
        const second = await h.trading.trade(eth, 0.01, 1981);
        h.emulator.faults.hideCanceled(10_000);
        await h.trading.cancelOrder(second.clientId);
        await until(
          () => h.emulator.exchange.activeOrders().length === 0,
          'the second cancel at the venue',
        );
        await assert.rejects(
          query(order(h, second.clientId)),
          (error: unknown) =>
            error instanceof KestrelError &&
            error.kind === 'ambiguous' &&
            /cannot tell/.test(error.message),
        );
        h.emulator.faults.hideCanceled(0);
      },
      { overrides: { queryRetryMs: 600 } },
    );
  });
});

describe('lighter startup reconciliation', () => {
  it('books a gap fill once, adopts foreign and unjournaled orders, declares a dropped submit LOST, and takes the venue position and balance', async () => {
    await withHarness(
      async (h) => {
        const eth = h.instrument('ETH');
        const fills = bookedFills(h);
        // Long before this account's window someone traded on it: a position we never booked
        await placeForeignOrder(h.emulator, {
          symbol: 'ETH',
          side: 'BUY',
          size: 0.03,
          price: 2001,
          ioc: true,
        });
        await until(() => h.emulator.venue.getPosition('ETH')?.quantity === 0.03, 'the old fill');
        await sleep(60);
        const windowStart = Date.now();
        await h.venue.start({ instruments: h.venue.instruments, onMarket: () => {} });
        await until(() => h.venue.quote(eth)?.ask === 2001, 'the ETH quote');
        assert.equal(h.account.getPosition(eth).quantity, 0, 'history before us is not booked');

        const gapped = await h.trading.trade(eth, 0.02, 1995);
        assert.equal(gapped.status, 'OPEN');
        const kept = await h.trading.trade(eth, 0.01, 1980);
        assert.equal(kept.status, 'OPEN');
        // The stream goes away and stays away
        h.emulator.faults.refuseConnectionsFor(60_000);
        h.emulator.faults.dropConnections();
        await until(() => !h.venue.stats().connected, 'the stream down');

        // ... while the market fills our bid,
        h.emulator.setQuote('ETH', 1990, 1994, { bid: 5, ask: 5 });
        assert.equal(h.emulator.venue.getPosition('ETH')?.quantity, 0.05);
        // another client places an order on the account,
        await placeForeignOrder(h.emulator, {
          symbol: 'ETH',
          side: 'SELL',
          size: 0.01,
          price: 2100,
          clientOrderIndex: 777,
        });
        // one of ours reaches the venue without the account ever tracking it,
        const unjournaled = createOrderRequest({
          clientId: clientOrderId('klt-unjournaled'),
          instrument: eth,
          side: 'BUY',
          quantity: 0.01,
          orderType: 'LIMIT',
          price: 1900,
          timeInForce: 'GTC',
        });
        h.venue.broker.prepare(unjournaled);
        await h.venue.broker.sendOrder(unjournaled);
        // and a submit of ours never reaches it
        h.emulator.faults.failRequests({ path: '/api/v1/sendTx', status: 502 });
        const dropped = await h.trading.trade(eth, 0.01, 1950);
        assert.equal(dropped.status, 'PENDING');
        const droppedAt = Date.now();
        await until(() => h.emulator.exchange.activeOrders().length === 3, 'three resting orders');
        assert.equal(statusOf(h, gapped.clientId), 'OPEN', 'the gap fill is unseen');

        // A query right away cannot call it unknown: its transaction could still execute
        const query = queryOf(h);
        await assert.rejects(query(order(h, dropped.clientId)), /may still execute/);
        // Past its transaction's expiry (5 s here) the venue can never place it
        await sleep(Math.max(0, droppedAt + 6_300 - Date.now()));

        const reconciler = new Reconciler({
          venue: h.venue,
          account: h.account,
          clock: systemClock,
          logger: h.logger,
          isOwn: (id) => id.startsWith('klt-'),
          lookbackMs: Date.now() - windowStart + 10,
          snapshotIntervalMs: 0,
          // The window in which a held submit may still land: its transaction's life here
          lostAfterMs: 5_000,
        });
        const report = await reconciler.reconcile('startup');
        assert.deepEqual(report, {
          corrections: report.corrections,
          booked: 1,
          adopted: 2,
          lost: 1,
        });

        assert.equal(statusOf(h, gapped.clientId), 'FILLED', 'the gap fill booked');
        assert.equal(order(h, gapped.clientId).averageFillPrice, 1995);
        assert.equal(fills.filter((f) => f.clientId === gapped.clientId).length, 1);
        const external = h.account.getOrders().filter((o) => o.origin === 'EXTERNAL');
        assert.equal(external.length, 1);
        assert.equal(external[0]?.correlationKey, '777');
        assert.equal(external[0]?.price, 2100);
        const recovered = h.account.findOrder('klt-unjournaled');
        assert.equal(recovered?.origin, 'RECOVERED');
        assert.equal(recovered?.status, 'OPEN');
        assert.equal(statusOf(h, dropped.clientId), 'LOST');
        assert.equal(order(h, kept.clientId).origin, 'RECOVERED', 'ours, confirmed live');
        assert.equal(statusOf(h, kept.clientId), 'OPEN');
        const ledger = h.emulator.venue.getPosition('ETH');
        assert.equal(h.account.getPosition(eth).quantity, 0.05, 'the venue position wins');
        assert.equal(h.account.getPosition(eth).quantity, ledger?.quantity);
        assert.equal(h.account.getPosition(eth).averagePrice, 1998.6);
        const usdc = h.emulator.venue.getBalances().find((b) => b.currency === 'USDC');
        const ours = h.account.getBalances().find((b) => b.currency === 'USDC');
        assert.equal(ours?.total, six(usdc?.total ?? 0), 'the venue balance wins');
        assert.equal(ours?.free, six(usdc?.free ?? 0));

        // Reconciling again changes nothing: the gap fill is not booked twice
        const again = await reconciler.reconcile('startup');
        assert.deepEqual(again, { corrections: 0, booked: 0, adopted: 0, lost: 0 });

        // The stream comes back and resyncs: still one fill, and our orders stay ours
        h.emulator.faults.clear();
        await until(() => h.venue.stats().connected, 'the stream back');
        await h.venue.resync();
        assert.equal(fills.filter((f) => f.clientId === gapped.clientId).length, 1);
        assert.equal(h.account.getPosition(eth).quantity, 0.05);
        assert.equal(h.account.getOrders().filter((o) => o.origin === 'EXTERNAL').length, 1);
        // The recovered order can be canceled by its client order index
        await h.trading.cancelOrder('klt-unjournaled');
        await until(() => statusOf(h, 'klt-unjournaled') === 'CANCELED', 'the recovered cancel');
        await reconciler.stop();
      },
      {
        start: false,
        // The stream's own checks stay out of the way: the Reconciler decides here
        overrides: { recheckMs: 60_000, txTtlMs: 5_000, queryRetryMs: 200 },
      },
    );
  });
});
