/**
 * What goes wrong on the way to Lighter and back, injected by the emulator's faults: dropped
 * and refused connections, lost, duplicated and reordered pushes, failed and timed-out replies,
 * refusals, the window in which a canceled order is listed nowhere, token expiry and book gaps.
 * These tests use the deterministic fake signer: they are about the order flow, not signing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Harness } from './harness.ts';
import { creates, until, withHarness } from './harness.ts';

const statusOf = (h: Harness, clientId: string) => h.account.findOrder(clientId)?.status;

/** Trades 0.01 ETH at 1990 with the next sendTx answered by `fault`: REJECTED; its reason */
async function refusedBy(
  h: Harness,
  fault: { status: number; code?: number; message?: string },
): Promise<string> {
  h.emulator.faults.failRequests({ path: '/api/v1/sendTx', ...fault });
  const order = await h.trading.trade(h.instrument('ETH'), 0.01, 1990);
  assert.equal(order.status, 'REJECTED');
  return order.reason ?? '';
}

describe('lighter resilience', () => {
  it('reconnect with fills during the gap recovered: the REST resync books what the stream missed', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      const order = await h.trading.trade(eth, 0.02, 1995);
      assert.equal(order.status, 'OPEN');
      h.emulator.faults.refuseConnections(3);
      assert.equal(h.emulator.faults.dropConnections(), 1);
      // While nobody listens, the market trades through the bid
      h.emulator.setQuote('ETH', 1990, 1994, { bid: 5, ask: 5 });
      assert.equal(h.emulator.venue.getPosition('ETH')?.quantity, 0.02, 'filled at the venue');
      await until(
        () => statusOf(h, order.clientId) === 'FILLED',
        'the fill recovered by the resync',
      );
      assert.equal(h.account.getPosition(eth).quantity, 0.02);
      assert.equal(h.account.findOrder(order.clientId)?.averageFillPrice, 1995);
      assert.equal(h.events.filter((e) => e.type === 'orderFilled').length, 1);
      const stats = h.venue.stats();
      assert.ok(stats.reconnects >= 1, `reconnected (${stats.reconnects})`);
      assert.ok(stats.resyncs >= 2, 'a resync after the start and after the reconnect');
      const health = h.health.snapshot().exchanges.find((e) => e.exchange === 'lighter');
      assert.equal(health?.streamConnected, true);
      assert.ok((health?.counts.reconnects ?? 0) >= 1);
      // The stream works again after the gap
      const next = await h.trading.trade(eth, 0.01, 1980);
      assert.equal(next.status, 'OPEN');
    });
  });

  it('duplicated and reordered pushes book each fill once and end in the right status', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      h.emulator.faults.duplicatePushes(20);
      const first = await h.trading.trade(eth, 0.01, 2001);
      await until(() => statusOf(h, first.clientId) === 'FILLED', 'the first fill');
      h.emulator.faults.clear();
      h.emulator.faults.reorderPushes(3);
      const second = await h.trading.trade(eth, 0.02, 2001);
      await until(() => statusOf(h, second.clientId) === 'FILLED', 'the second fill');
      assert.equal(h.account.getPosition(eth).quantity, 0.03);
      assert.ok(h.account.counters.duplicateFills >= 1, 'the duplicate fill was absorbed');
      assert.equal(h.account.counters.illegalTransitions, 0);
    });
  });

  it('an ambiguous failure never marks an order failed: a lost reply, then the stream decides', async () => {
    await withHarness(
      async (h) => {
        const eth = h.instrument('ETH');
        h.emulator.faults.failRequests({ path: '/api/v1/sendTx', status: 502, afterApply: true });
        const order = await h.trading.trade(eth, 0.01, 1990);
        assert.equal(order.status, 'PENDING', 'a 502 is no verdict');
        await until(() => statusOf(h, order.clientId) === 'OPEN', 'the venue had it');
        assert.ok(!h.changes.some((c) => c.clientId === order.clientId && c.change === 'rejected'));

        // A reply that never comes: timed out on our side, applied on the venue's
        h.emulator.faults.delayRequests({ path: '/api/v1/sendTx', ms: 1_500 });
        const slow = await h.trading.trade(eth, 0.01, 1989);
        assert.equal(slow.status === 'PENDING' || slow.status === 'OPEN', true);
        await until(() => statusOf(h, slow.clientId) === 'OPEN', 'the slow order at the venue');
        assert.ok(!h.changes.some((c) => c.clientId === slow.clientId && c.change === 'rejected'));
      },
      { overrides: { requestTimeoutMs: 300 } },
    );
  });

  it('an order the venue never got becomes LOST only once its transaction has expired', async () => {
    // Transactions valid for 1.5 s instead of ten minutes
    const ttl = 1_500;
    await withHarness(
      async (h) => {
        const eth = h.instrument('ETH');
        // A gateway error before the venue queued it: nobody can tell it was not executed
        h.emulator.faults.failRequests({ path: '/api/v1/sendTx', status: 502 });
        const sentAt = Date.now();
        const order = await h.trading.trade(eth, 0.01, 1990);
        assert.equal(order.status, 'PENDING', 'a 502 is no verdict');
        await until(() => statusOf(h, order.clientId) === 'LOST', 'the LOST verdict');
        assert.ok(Date.now() >= sentAt + ttl, 'not before the transaction expired');
        assert.match(h.account.findOrder(order.clientId)?.reason ?? '', /expired/);
        assert.equal(creates(h).length, 0, 'the venue never had it');
      },
      { overrides: { txTtlMs: ttl } },
    );
  });

  it('a rate-limit refusal (HTTP 429, or 23000 in a 400) rejects the order: the venue queued nothing', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      assert.match(await refusedBy(h, { status: 429 }), /HTTP 429/);
      assert.match(
        await refusedBy(h, { status: 400, code: 23000, message: 'Too Many Requests!' }),
        /23000/,
      );
      assert.equal(creates(h).length, 0, 'the venue has neither');
      const next = await h.trading.trade(eth, 0.01, 1990);
      await until(() => statusOf(h, next.clientId) === 'OPEN', 'the next order, on the next nonce');
    });
  });

  it('a definite refusal rejects the order and rolls the nonce back', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      assert.match(
        await refusedBy(h, {
          status: 400,
          code: 21739,
          message: 'not enough margin to create the order',
        }),
        /^21739: /,
      );
      const next = await h.trading.trade(eth, 0.01, 1990);
      assert.equal(next.status, 'OPEN');
      assert.deepEqual(
        creates(h).map((t) => t.Nonce),
        [0],
        'the refused nonce was reused: no gap, no resync',
      );
      assert.equal(h.venue.stats().nonceResyncs, 0);
    });
  });

  it('a batch refused as a whole leaves its orders PENDING and checked, never REJECTED', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      h.emulator.faults.failRequests({
        path: '/api/v1/sendTxBatch',
        status: 400,
        code: 21501,
        message: 'invalid tx info',
      });
      const orders = await h.trading.submitOrders([
        { instrument: eth, amount: 0.01, price: 1990 },
        { instrument: eth, amount: 0.01, price: 1991 },
      ]);
      assert.deepEqual(
        orders.map((o) => o.status),
        ['PENDING', 'PENDING'],
        'no per-order verdict: nobody knows which of them the venue queued',
      );
      assert.equal(h.venue.stats().unconfirmedOrders, 2, 'both are being checked');
      assert.ok(!h.changes.some((c) => c.change === 'rejected'));
    });
  });

  it('a post-only order that would cross is REJECTED with the venue status as its code', async () => {
    await withHarness(async (h) => {
      const order = await h.trading.trade(h.instrument('ETH'), 0.01, 2001, { postOnly: true });
      assert.equal(order.status, 'REJECTED');
      assert.equal(order.reason, 'canceled-post-only: lighter canceled-post-only');
    });
  });

  it('a just-canceled order listed nowhere for a while is waited for, not declared LOST', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      const order = await h.trading.trade(eth, 0.01, 1990);
      h.emulator.faults.hideCanceled(600);
      h.emulator.faults.dropPushes(10);
      await h.trading.cancelOrder(order.clientId);
      await until(() => h.emulator.venue.openOrders().length === 0, 'the cancel at the venue');
      assert.equal(statusOf(h, order.clientId), 'PENDING_CANCEL', 'the push was lost');
      await h.venue.resync();
      assert.equal(h.emulator.exchange.inactiveOrders().length, 0, 'listed nowhere right now');
      await until(() => statusOf(h, order.clientId) === 'CANCELED', 'the cancel found');
      assert.ok(!h.changes.some((c) => c.change === 'lost'));
    });
  });

  it('auth tokens are refreshed before they expire, and the stream carries on', async () => {
    await withHarness(
      async (h) => {
        await until(
          () => h.venue.stats().authTokens >= 2 && h.venue.stats().connected,
          'a refreshed token',
        );
        assert.ok(h.venue.stats().reconnects >= 1);
        const expired = h.logger.records.filter(
          (r) => r.message === 'lighter stream error frame' && r.fields['code'] === 20013,
        );
        assert.deepEqual(expired, [], 'the venue never had to say the token expired');
        const order = await h.trading.trade(h.instrument('ETH'), 0.01, 1990);
        assert.equal(order.status, 'OPEN');
      },
      // Refreshed 10 % before expiry: 600 ms of margin, for a busy machine's stalls
      { overrides: { authTokenTtlMs: 6_000 } },
    );
  });

  it('app-level pings keep the connection alive; without them the venue drops it and we reconnect', async () => {
    await withHarness(
      async (h) => {
        // Twice the idle limit: a connection without pings would have been dropped by then
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        assert.equal(h.venue.stats().reconnects, 0, 'pings every 100 ms beat the 1.5 s idle limit');
      },
      // The idle limit leaves room for a busy machine's stalls between pings
      { emulator: { idleTimeoutMs: 1_500 }, overrides: { pingIntervalMs: 100 } },
    );
    await withHarness(
      async (h) => {
        await until(
          () => h.venue.stats().reconnects >= 1 && h.venue.stats().connected,
          'the reconnect',
        );
        assert.ok(h.venue.stats().resyncs >= 2, 'resynced after it');
      },
      { emulator: { idleTimeoutMs: 400 }, overrides: { pingIntervalMs: 60_000 } },
    );
  });

  it('an expired token on a live subscription gets a new token and a resubscribe', async () => {
    await withHarness(async (h) => {
      const before = h.venue.stats();
      assert.ok(h.emulator.faults.expireAuthTokens() >= 4, 'every account channel ended');
      await until(
        () => h.venue.stats().reconnects > before.reconnects && h.venue.stats().connected,
        'the resubscribe',
      );
      assert.ok(h.venue.stats().authTokens > before.authTokens, 'a fresh token');
      const order = await h.trading.trade(h.instrument('ETH'), 0.01, 1990);
      assert.equal(order.status, 'OPEN', 'account pushes flow again');
    });
  });

  it('an order book gap resubscribes and the touch is right again', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      h.emulator.faults.breakBookContinuity(1);
      h.emulator.setQuote('ETH', 2002, 2003, { bid: 2, ask: 3 });
      await until(() => h.venue.stats().bookGaps === 1, 'the gap');
      await until(() => h.venue.quote(eth)?.bid === 2002, 'the fresh snapshot');
      h.emulator.setQuote('ETH', 2004, 2005.5, { bid: 1, ask: 1 });
      await until(() => h.venue.quote(eth)?.ask === 2005.5, 'updates after the resubscribe');
      const quotes = h.market.filter((e) => e.type === 'quote');
      assert.ok(quotes.every((q) => q.type === 'quote' && q.bid < q.ask));
      h.emulator.printTrade('ETH', 2005.5, 0.5, 'BUY');
      await until(() => h.market.some((e) => e.type === 'trade'), 'the print');
      const trade = h.market.find((e) => e.type === 'trade');
      assert.ok(trade?.type === 'trade');
      assert.equal(trade.side, 'BUY');
      assert.equal(trade.price, 2005.5);
      assert.equal(trade.size, 0.5);
    });
  });

  it('balances follow the venue: user_stats on the stream and fetchBalances over REST', async () => {
    await withHarness(
      async (h) => {
        const eth = h.instrument('ETH');
        const order = await h.trading.trade(eth, 0.1, 2001);
        await until(() => statusOf(h, order.clientId) === 'FILLED', 'the fill');
        const venue = h.emulator.venue.getBalances().find((b) => b.currency === 'USDC');
        await until(
          () =>
            h.account.getBalances().find((b) => b.currency === 'USDC')?.total ===
            Number(venue?.total.toFixed(6)),
          'the balance push',
        );
        const [fetched] = await h.venue.fetchBalances();
        assert.equal(fetched?.currency, 'USDC');
        assert.equal(fetched?.total, Number(venue?.total.toFixed(6)));
        // 0.1 ETH × 2001 × 196 / 1 000 000 taker fee, as the venue charged it
        assert.equal(h.account.getPosition(eth).commissions, 0.0392196);
        assert.equal(
          h.venue.positions().get('ETH')?.quantity,
          0.1,
          'the venue position, sign × size',
        );
      },
      { emulator: { balances: 10_000 } },
    );
  });
});
