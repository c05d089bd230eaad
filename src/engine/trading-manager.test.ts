import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createHarness } from '../../test/helpers/harness.ts';
import { BTC_PERP, BTC_PERP_OTHER, ETH_PERP } from '../../test/helpers/instruments.ts';
import type { Reply } from '../../test/helpers/scripted-broker.ts';
import { ScriptedBroker } from '../../test/helpers/scripted-broker.ts';
import type { ApplyResult } from '../core/account.ts';
import { KestrelError } from '../core/errors.ts';
import type { AccountEvent } from '../core/events.ts';
import { clientOrderId, createClientIdGenerator } from '../core/ids.ts';
import type { OrderChange } from '../core/order.ts';
import { createOrderRequest } from '../core/order-request.ts';
import { AccountProcessor } from './account-processor.ts';
import { SimulatedClock } from './clock.ts';
import { CompositeAccountProcessor } from './composite-account-processor.ts';
import { createMemoryLogger } from './logger.ts';
import { createDefaultClientIds, TradingManager } from './trading-manager.ts';

function changes(account: { subscribe(l: (r: ApplyResult, e: AccountEvent) => void): unknown }) {
  const seen: Array<[string, OrderChange | undefined]> = [];
  account.subscribe((result) => {
    if (result.outcome === 'applied' && result.order !== undefined)
      seen.push([result.order.clientId, result.change]);
  });
  return seen;
}

describe('TradingManager: pending before I/O', () => {
  it('trade async creates and tracks request', () => {
    const { trading, account, broker, health } = createHarness({ reply: () => 'silent' });
    const clientId = trading.tradeAsync(BTC_PERP, 0.01, 64000);
    const order = account.findOrder(clientId);
    assert.equal(order?.status, 'PENDING');
    assert.equal(order?.quantity, 0.01);
    assert.equal(order?.side, 'BUY');
    assert.deepEqual(
      account.getOrders().map((o) => o.clientId),
      [clientId],
    );
    assert.deepEqual(broker.wire, [{ op: 'send', clientId, options: {} }]);
    assert.equal(health.snapshot().exchanges[0]?.outstandingSubmits, 1);
  });

  it('trade async preserves client id', async () => {
    const { trading, account, broker, health, logger, clock } = createHarness({
      reply: () => 'silent',
    });
    const seen = changes(account);
    const fills: string[] = [];
    account.subscribe((r) => {
      if (r.outcome === 'applied' && r.fill?.clientId !== undefined) fills.push(r.fill.clientId);
    });
    const clientId = trading.tradeAsync(BTC_PERP, -0.02, 64000, { clientId: 'strategy-A.7' });
    assert.equal(clientId, 'strategy-A.7');
    await Promise.resolve();
    clock.advanceTo(clock.now() + 12);
    broker.emitAccepted(clientId);
    broker.emitFill(clientId, 0.01, 64000);
    await trading.cancelOrder(clientId);
    broker.emitCanceled(clientId);
    const order = account.findOrder(clientId);
    assert.equal(order?.clientId, 'strategy-A.7');
    assert.equal(order?.status, 'CANCELED');
    assert.ok(
      seen.every(([id]) => id === 'strategy-A.7'),
      'every callback carries it',
    );
    assert.deepEqual(fills, ['strategy-A.7']);
    assert.ok(
      broker.wire.every((m) => m.op !== 'batch' && m.clientId === 'strategy-A.7'),
      'every wire message carries it',
    );
    assert.equal(health.submitLatency('TEST').count, 1);
    assert.equal(
      health.submitLatency('TEST').p50,
      12,
      'the health sample was matched by this clientId',
    );
    assert.equal(health.cancelLatency('TEST').count, 1);
    for (const record of logger.records.filter((r) => 'clientId' in r.fields)) {
      assert.equal(record.fields['clientId'], 'strategy-A.7');
    }
  });

  it('matches a venue answer that arrives before the send resolves', async () => {
    let statusDuringSend: string | undefined;
    const harness = createHarness({
      reply: (request) => {
        statusDuringSend = harness.account.findOrder(request.clientId)?.status;
        return 'accept';
      },
    });
    const order = await harness.trading.trade(BTC_PERP, 0.01, 64000);
    assert.equal(statusDuringSend, 'PENDING', 'tracked before the broker was called');
    assert.equal(order.status, 'OPEN');
    assert.equal(harness.account.state.counters.refused, 0);
  });

  it('lets the broker enrich options before tracking, never the clientId', () => {
    const { trading, account, broker } = createHarness({
      numericIndexes: true,
      reply: () => 'silent',
    });
    const clientId = trading.tradeAsync(BTC_PERP, 0.01, 64000, {
      clientId: 'keep-me',
      options: { note: 'x' },
    });
    const order = account.findOrder(clientId);
    assert.equal(order?.clientId, 'keep-me');
    assert.equal(order?.correlationKey, '1');
    assert.deepEqual(broker.wire[0], {
      op: 'send',
      clientId: 'keep-me',
      options: { note: 'x', testIndex: 1 },
    });
  });

  it('generates ids unique across processes and restarts: prefix, instance tag, counter', () => {
    const clock = new SimulatedClock(1_700_000_000_000);
    const a = createDefaultClientIds(clock);
    const b = createDefaultClientIds(clock);
    const idsA = Array.from({ length: 1000 }, () => a.next());
    const idsB = Array.from({ length: 1000 }, () => b.next());
    assert.equal(new Set([...idsA, ...idsB]).size, 2000);
    assert.match(idsA[0] ?? '', /^k[a-z0-9]{5}-[a-z0-9]+$/);
    const restarted = createClientIdGenerator({ instanceTag: 'abc', counterStart: a.counter });
    assert.ok(!idsA.includes(restarted.next()), 'a restored counter continues past every id used');
  });

  it('never assigns to a clientId after creation anywhere in src', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts') && !path.endsWith('.test.ts')) {
          readFileSync(path, 'utf8')
            .split('\n')
            .forEach((line, i) => {
              if (/\.clientId\s*(=[^=>]|\+=)/.test(line))
                offenders.push(`${path}:${i + 1}: ${line.trim()}`);
            });
        }
      }
    };
    walk(join(import.meta.dirname, '..'));
    assert.deepEqual(offenders, []);
  });
});

describe('TradingManager: matching', () => {
  it('match pending request by client id', async () => {
    const { trading, account, broker } = createHarness({ reply: () => 'silent' });
    const clientId = trading.tradeAsync(BTC_PERP, 0.01, 64000);
    await Promise.resolve();
    broker.emit({
      type: 'orderAccepted',
      exchange: 'TEST',
      clientId,
      venueOrderId: broker.venueIdOf(clientId),
      time: 1,
    });
    assert.equal(account.findOrder(clientId)?.status, 'OPEN');
    assert.equal(account.findOrder(clientId)?.venueOrderId, broker.venueIdOf(clientId));
  });

  it('match pending request by venue correlation key', async () => {
    const { trading, account, broker } = createHarness({
      numericIndexes: true,
      reply: () => 'silent',
    });
    const first = trading.tradeAsync(BTC_PERP, 0.01, 64000, { clientId: 'alpha' });
    const second = trading.tradeAsync(BTC_PERP, 0.02, 63000, { clientId: 'beta' });
    await Promise.resolve();
    // This venue reports only its numeric index and its own id: no clientId on the wire
    broker.emitAccepted(second);
    broker.emitFill(second, 0.02, 63000);
    broker.emitAccepted(first);
    assert.equal(account.findOrder('alpha')?.status, 'OPEN');
    assert.equal(account.findOrder('beta')?.status, 'FILLED');
    assert.equal(account.findOrder('beta')?.correlationKey, '2');
    assert.equal(account.getPosition(BTC_PERP).quantity, 0.02);
    assert.equal(account.state.counters.unmatchedFills, 0);
  });

  it('order confirmation removes pending', async () => {
    const { trading, account, broker, health, clock } = createHarness({ reply: () => 'silent' });
    const clientId = trading.tradeAsync(BTC_PERP, 0.01, 64000);
    assert.equal(account.findOrder(clientId)?.status, 'PENDING');
    clock.advanceTo(clock.now() + 7);
    broker.emitAccepted(clientId);
    assert.equal(account.findOrder(clientId)?.status, 'OPEN');
    assert.equal(account.getOrders().filter((o) => o.status === 'PENDING').length, 0);
    const snapshot = health.snapshot().exchanges[0];
    assert.equal(snapshot?.outstandingSubmits, 0, 'the pending submit request is resolved');
    assert.equal(snapshot?.counts.accepted, 1);
    assert.equal(snapshot?.submitLatency.p50, 7);
  });
});

describe('TradingManager: submitOrders', () => {
  /** Three limit buys a tick apart */
  const threeBuys = () =>
    [60000, 60001, 60002].map((price) => ({ instrument: BTC_PERP, amount: 0.01, price }));

  it('submit orders batch', async () => {
    const { trading, account, broker } = createHarness({
      capabilities: { batch: true, maxBatchSize: 5 },
    });
    const specs = Array.from({ length: 7 }, (_, i) => ({
      instrument: BTC_PERP,
      amount: i % 2 === 0 ? 0.01 : -0.01,
      price: 60000 + i,
    }));
    const orders = await trading.submitOrders(specs);
    assert.equal(orders.length, 7);
    assert.ok(orders.every((o) => o.status === 'OPEN'));
    const batches = broker.wire.filter((m) => m.op === 'batch');
    assert.deepEqual(
      batches.map((b) => b.op === 'batch' && b.clientIds.length),
      [5, 2],
    );
    assert.deepEqual(
      orders.map((o) => o.price),
      specs.map((s) => s.price),
      'resolved in the order given',
    );
    assert.equal(account.getOrders().length, 7);
  });

  it('tracks every request before any batch goes out', async () => {
    const harness = createHarness({ reply: () => 'silent' });
    const trackedAtSend: number[] = [];
    const original = harness.broker.submitOrders.bind(harness.broker);
    harness.broker.submitOrders = (requests) => {
      trackedAtSend.push(harness.account.getOrders().length);
      return original(requests);
    };
    const pending = harness.trading.submitOrders([
      { instrument: BTC_PERP, amount: 0.01, price: 60000 },
      { instrument: BTC_PERP, amount: 0.01, price: 60001 },
    ]);
    assert.deepEqual(trackedAtSend, [2]);
    for (const order of harness.account.getOrders()) harness.broker.emitAccepted(order.clientId);
    assert.ok((await pending).every((o) => o.status === 'OPEN'));
  });

  it('sends one by one where the broker has no batch', async () => {
    const { trading, broker } = createHarness({ capabilities: { batch: false } });
    const orders = await trading.submitOrders([
      { instrument: BTC_PERP, amount: 0.01, price: 60000 },
      { instrument: ETH_PERP, amount: -1, price: 3000 },
    ]);
    assert.deepEqual(
      broker.wire.map((m) => m.op),
      ['send', 'send'],
    );
    assert.ok(orders.every((o) => o.status === 'OPEN'));
  });

  it('refuses the whole batch when one spec is bad, tracking and sending nothing', async () => {
    const { trading, account, broker, health } = createHarness();
    await assert.rejects(
      trading.submitOrders([
        { instrument: BTC_PERP, amount: 0.01, price: 60000 },
        { instrument: BTC_PERP, amount: 0.0001, price: 60000 },
      ]),
      (error: unknown) =>
        error instanceof KestrelError &&
        error.code === 'SIZE_BELOW_MIN' &&
        error.field === '[1].quantity',
    );
    assert.equal(account.state.orders.size, 0);
    assert.deepEqual(broker.wire, []);
    assert.equal(health.snapshot().exchanges.length, 0);
  });

  it('rejects one bad order of a batch and opens the rest', async () => {
    const { trading } = createHarness({ reply: (r) => (r.price === 60001 ? 'reject' : 'accept') });
    const orders = await trading.submitOrders(threeBuys());
    assert.deepEqual(
      orders.map((o) => o.status),
      ['OPEN', 'REJECTED', 'OPEN'],
    );
    assert.equal(orders[1]?.reason, '-2019: Margin is insufficient.');
  });

  it('leaves every order of a batch that failed as a whole PENDING', async () => {
    const { trading, health } = createHarness({
      batchFailure: new KestrelError('BATCH_FAILED', 'HTTP 502 Bad Gateway'),
    });
    const orders = await trading.submitOrders([
      { instrument: BTC_PERP, amount: 0.01, price: 60000 },
      { instrument: BTC_PERP, amount: 0.01, price: 60001 },
    ]);
    assert.deepEqual(
      orders.map((o) => o.status),
      ['PENDING', 'PENDING'],
    );
    assert.equal(health.snapshot().exchanges[0]?.counts.ambiguous, 2);
  });

  it('cancels here, never sending it, a batch order a listener cancels before the batch goes out', async () => {
    const { trading, account, broker, health } = createHarness({
      capabilities: { batch: true, maxBatchSize: 5 },
    });
    let first: string | undefined;
    const refused: unknown[] = [];
    account.subscribe((result) => {
      if (result.outcome !== 'applied' || result.change !== 'requested' || first !== undefined)
        return;
      first = result.order?.clientId;
      // Synchronous, while the rest of the batch is still being tracked
      trading.cancelOrder(first!).catch((error: unknown) => refused.push(error));
    });
    const orders = await trading.submitOrders(threeBuys());
    assert.deepEqual(
      orders.map((o) => o.status),
      ['CANCELED', 'OPEN', 'OPEN'],
    );
    assert.equal(orders[0]?.clientId, first);
    assert.equal(orders[0]?.reason, 'canceled before it was sent');
    assert.deepEqual(broker.wire, [
      { op: 'batch', clientIds: [orders[1]?.clientId, orders[2]?.clientId] },
    ]);
    assert.deepEqual(refused, []);
    const counts = health.snapshot().exchanges[0]?.counts;
    assert.equal(counts?.submitted, 2, 'health counts what was sent');
    assert.equal(counts?.cancelRequested, 0, 'a cancel that never left is not the venue canceling');
  });

  it("withdraws an outer batch's order canceled while a listener's own batch is tracked", async () => {
    const { trading, account, broker } = createHarness({
      capabilities: { batch: true, maxBatchSize: 5 },
    });
    const seen: string[] = [];
    let inner: Promise<unknown> | undefined;
    account.subscribe((result) => {
      if (result.outcome !== 'applied' || result.change !== 'requested') return;
      const clientId = result.order?.clientId ?? '';
      seen.push(clientId);
      if (seen.length === 1) {
        // Tracking the outer batch's first order: the listener submits a batch of its own
        inner = trading.submitOrders([
          { instrument: BTC_PERP, amount: -0.01, price: 61000, clientId: 'inner-a' },
          { instrument: BTC_PERP, amount: -0.01, price: 61001, clientId: 'inner-b' },
        ]);
      } else if (clientId === 'inner-a') {
        // ... and, tracking that one, cancels the outer batch's first order
        trading.cancelOrder(seen[0]!).catch(() => {});
      }
    });
    const outer = await trading.submitOrders([
      { instrument: BTC_PERP, amount: 0.01, price: 60000, clientId: 'outer-a' },
      { instrument: BTC_PERP, amount: 0.01, price: 60001, clientId: 'outer-b' },
    ]);
    await inner;
    assert.deepEqual(
      outer.map((o) => o.status),
      ['CANCELED', 'OPEN'],
    );
    assert.equal(account.findOrder('inner-a')?.status, 'OPEN');
    assert.equal(account.findOrder('inner-b')?.status, 'OPEN');
    assert.deepEqual(broker.wire, [
      { op: 'batch', clientIds: ['inner-a', 'inner-b'] },
      { op: 'send', clientId: 'outer-b', options: {} },
    ]);
  });

  it('refuses duplicate clientIds within a batch', async () => {
    const { trading, account } = createHarness();
    await assert.rejects(
      trading.submitOrders([
        { instrument: BTC_PERP, amount: 0.01, price: 60000, clientId: 'same' },
        { instrument: BTC_PERP, amount: 0.01, price: 60001, clientId: 'same' },
      ]),
      { code: 'DUPLICATE_CLIENT_ID' },
    );
    assert.equal(account.state.orders.size, 0);
  });
});

describe('TradingManager: rejection boundary', () => {
  it('throws local refusals before anything is tracked or sent', async () => {
    const { trading, account, broker, health } = createHarness();
    const cases: Array<[string, () => unknown, string]> = [
      [
        'size below min after rounding',
        () => trading.tradeAsync(BTC_PERP, 0.0004, 64000),
        'SIZE_BELOW_MIN',
      ],
      ['notional below min', () => trading.tradeAsync(BTC_PERP, 0.001, 100), 'NOTIONAL_BELOW_MIN'],
      [
        'limit without price',
        () => trading.tradeAsync(BTC_PERP, 0.01, undefined, { orderType: 'LIMIT' }),
        'PRICE_REQUIRED',
      ],
      [
        'unknown exchange',
        () => trading.tradeAsync(BTC_PERP_OTHER, 0.01, 64000),
        'UNKNOWN_EXCHANGE',
      ],
      ['zero amount', () => trading.tradeAsync(BTC_PERP, 0, 64000), 'INVALID_QUANTITY'],
      [
        'bad clientId',
        () => trading.tradeAsync(BTC_PERP, 0.01, 64000, { clientId: 'has spaces' }),
        'INVALID_CLIENT_ID',
      ],
    ];
    for (const [name, call, code] of cases) {
      assert.throws(
        call,
        (e: unknown) => e instanceof KestrelError && e.code === code && e.kind === 'local',
        name,
      );
    }
    await assert.rejects(trading.trade(BTC_PERP, 0.0004, 64000), { code: 'SIZE_BELOW_MIN' });
    assert.equal(account.state.orders.size, 0);
    assert.deepEqual(broker.wire, []);
    assert.equal(health.snapshot().exchanges.length, 0);
  });

  it('refuses a clientId already in use', () => {
    const { trading, account } = createHarness({ reply: () => 'silent' });
    trading.tradeAsync(BTC_PERP, 0.01, 64000, { clientId: 'once' });
    assert.throws(() => trading.tradeAsync(BTC_PERP, 0.02, 64000, { clientId: 'once' }), {
      code: 'DUPLICATE_CLIENT_ID',
    });
    assert.equal(account.findOrder('once')?.quantity, 0.01);
  });

  it('turns a venue verdict into OrderRejected and resolves trade with it', async () => {
    const { trading, account, health } = createHarness({ reply: () => 'reject' });
    const order = await trading.trade(BTC_PERP, 0.01, 64000);
    assert.equal(order.status, 'REJECTED');
    assert.equal(order.reason, '-2019: Margin is insufficient.');
    assert.equal(account.getOrders().length, 0, 'the pending entry is resolved');
    assert.equal(health.snapshot().exchanges[0]?.counts.rejected, 1);
  });

  it('reports an async venue verdict as an event, never a throw into the strategy', async () => {
    const { trading, account } = createHarness({ reply: () => 'reject' });
    const clientId = trading.tradeAsync(BTC_PERP, 0.01, 64000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(account.findOrder(clientId)?.status, 'REJECTED');
  });

  it('leaves an ambiguous failure PENDING and reports it as such', async () => {
    const { trading, health, logger } = createHarness({ reply: () => 'timeout' });
    const order = await trading.trade(BTC_PERP, 0.01, 64000);
    assert.equal(order.status, 'PENDING');
    assert.equal(health.snapshot().exchanges[0]?.counts.ambiguous, 1);
    assert.ok(
      logger.records.some(
        (r) =>
          r.level === 'warn' &&
          r.message.includes('stays PENDING') &&
          r.fields['clientId'] === order.clientId,
      ),
    );
  });

  it('resolves trade with the PENDING order when no verdict comes within the timeout', async () => {
    const { trading, clock } = createHarness({ reply: () => 'silent', verdictTimeoutMs: 5000 });
    const pending = trading.trade(BTC_PERP, 0.01, 64000);
    await new Promise((resolve) => setImmediate(resolve));
    clock.advanceTo(clock.now() + 5000);
    const order = await pending;
    assert.equal(order.status, 'PENDING');
  });

  it('resolves trade on the first verdict the stream delivers', async () => {
    const { trading, broker, account } = createHarness({ reply: () => 'silent' });
    const pending = trading.trade(BTC_PERP, 0.01, 64000);
    await new Promise((resolve) => setImmediate(resolve));
    const [order] = account.getOrders();
    broker.emitAccepted(order?.clientId ?? '');
    assert.equal((await pending).status, 'OPEN');
  });
});

describe('TradingManager: cancels', () => {
  it('cancels a PENDING order at once by clientId where the venue can', async () => {
    const { trading, broker, account } = createHarness({
      reply: () => 'silent',
      capabilities: { cancelByClientId: true },
    });
    const clientId = trading.tradeAsync(BTC_PERP, 0.01, 64000);
    await trading.cancelOrder(clientId);
    assert.equal(account.findOrder(clientId)?.status, 'PENDING_CANCEL');
    assert.deepEqual(broker.wire.at(-1), { op: 'cancel', clientId, venueOrderId: undefined });
    broker.emitCanceled(clientId);
    assert.equal(account.findOrder(clientId)?.status, 'CANCELED');
  });

  it('defers the cancel of a PENDING order until the venue id arrives', async () => {
    const { trading, broker, account } = createHarness({
      reply: () => 'silent',
      capabilities: { cancelByClientId: false },
    });
    const clientId = trading.tradeAsync(BTC_PERP, 0.01, 64000);
    const order = await trading.cancelOrder(clientId);
    assert.equal(order.status, 'PENDING_CANCEL');
    assert.equal(
      broker.wire.filter((m) => m.op === 'cancel').length,
      0,
      'nothing to cancel by yet',
    );
    broker.emitAccepted(clientId);
    assert.equal(account.findOrder(clientId)?.status, 'PENDING_CANCEL');
    assert.deepEqual(broker.wire.at(-1), {
      op: 'cancel',
      clientId,
      venueOrderId: broker.venueIdOf(clientId),
    });
    broker.emitCanceled(clientId);
    assert.equal(account.findOrder(clientId)?.status, 'CANCELED');
  });

  it('books a late fill after a cancel request', async () => {
    const { trading, broker, account } = createHarness({ reply: () => 'accept' });
    const order = await trading.trade(BTC_PERP, 0.02, 64000);
    await trading.cancelOrder(order);
    broker.emitFill(order.clientId, 0.01, 64000);
    assert.equal(account.findOrder(order.clientId)?.status, 'PENDING_CANCEL');
    assert.equal(account.findOrder(order.clientId)?.filledQuantity, 0.01);
    broker.emitCanceled(order.clientId);
    assert.equal(account.findOrder(order.clientId)?.status, 'CANCELED');
    assert.equal(account.getPosition(BTC_PERP).quantity, 0.01);
  });

  it('turns a refused cancel back into the order it was', async () => {
    const { trading, broker, account } = createHarness();
    const order = await trading.trade(BTC_PERP, 0.01, 64000);
    broker.cancelOrder = async () => {
      throw new KestrelError('VENUE_REJECTED', 'Unknown order sent.', { venueCode: '-2011' });
    };
    await trading.cancelOrder(order.clientId);
    assert.equal(account.findOrder(order.clientId)?.status, 'OPEN');
  });

  it('leaves an ambiguous cancel failure PENDING_CANCEL', async () => {
    const { trading, broker, account } = createHarness();
    const order = await trading.trade(BTC_PERP, 0.01, 64000);
    broker.cancelOrder = async () => {
      throw new KestrelError('NETWORK', 'socket hang up');
    };
    await trading.cancelOrder(order.clientId);
    assert.equal(account.findOrder(order.clientId)?.status, 'PENDING_CANCEL');
  });

  it('cancels every live order of an instrument', async () => {
    const { trading, broker, account } = createHarness();
    await trading.trade(BTC_PERP, 0.01, 64000);
    await trading.trade(BTC_PERP, -0.01, 65000);
    await trading.trade(ETH_PERP, 1, 3000);
    const canceled = await trading.cancelOrders(BTC_PERP);
    assert.equal(canceled.length, 2);
    assert.equal(broker.wire.filter((m) => m.op === 'cancel').length, 2);
    assert.equal(account.getOrders(ETH_PERP)[0]?.status, 'OPEN');
  });

  it('refuses to cancel an unknown order with a typed error', async () => {
    const { trading } = createHarness();
    await assert.rejects(trading.cancelOrder('nope'), {
      code: 'ORDER_NOT_FOUND',
      field: 'clientId',
    });
  });
});

describe('TradingManager: positions and amends', () => {
  it('closes a position with a reduce-only market order', async () => {
    const reply: Reply = 'fill';
    const { trading, broker, account } = createHarness({ reply: () => reply });
    await trading.trade(BTC_PERP, 0.03, 64000);
    assert.equal(account.getPosition(BTC_PERP).quantity, 0.03);
    const close = await trading.closePosition(BTC_PERP);
    assert.equal(close?.side, 'SELL');
    assert.equal(close?.type, 'MARKET');
    assert.equal(close?.reduceOnly, true);
    assert.equal(close?.quantity, 0.03);
    assert.equal(account.getPosition(BTC_PERP).quantity, 0);
    assert.equal(await trading.closePosition(BTC_PERP), undefined);
    assert.equal(broker.wire.length, 2);
  });

  it('closes every open position', async () => {
    const { trading, account } = createHarness({ reply: () => 'fill' });
    await trading.trade(BTC_PERP, 0.03, 64000);
    await trading.trade(ETH_PERP, -2, 3000);
    const closes = await trading.closePositions();
    assert.equal(closes.length, 2);
    assert.ok(account.getPositions().every((p) => p.quantity === 0));
  });

  it('amends a resting order in place and refuses amends the order cannot take', async () => {
    const { trading, broker } = createHarness();
    const order = await trading.trade(BTC_PERP, 0.02, 64000);
    await trading.updateOrder(order, { price: 64100.07 });
    assert.deepEqual(broker.wire.at(-1), {
      op: 'amend',
      clientId: order.clientId,
      amendment: { price: 64100 },
    });
    await assert.rejects(trading.updateOrder(order, {}), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(trading.updateOrder(order, { quantity: -1 }), {
      code: 'INVALID_QUANTITY',
    });
    await trading.cancelOrder(order);
    await assert.rejects(trading.updateOrder(order, { price: 1 }), { code: 'ORDER_NOT_AMENDABLE' });
  });
});

describe('TradingManager: several exchanges', () => {
  it('routes orders and updates by instrument exchange through a composite account', async () => {
    const clock = new SimulatedClock(0);
    const logger = createMemoryLogger();
    const test = new ScriptedBroker({ exchange: 'TEST', reply: () => 'fill' });
    const other = new ScriptedBroker({ exchange: 'OTHER', reply: () => 'fill' });
    const account = new CompositeAccountProcessor([
      new AccountProcessor({ exchange: 'TEST', clock, logger }),
      new AccountProcessor({ exchange: 'OTHER', clock, logger }),
    ]);
    const trading = new TradingManager({ brokers: [test, other], account, clock, logger });
    await trading.trade(BTC_PERP, 0.01, 64000);
    await trading.trade(BTC_PERP_OTHER, -0.02, 64000);
    assert.equal(account.account('TEST').getPosition(BTC_PERP).quantity, 0.01);
    assert.equal(account.account('OTHER').getPosition(BTC_PERP_OTHER).quantity, -0.02);
    assert.equal(account.getPositions().length, 2);
    assert.equal(test.wire.length, 1);
    assert.equal(other.wire.length, 1);
    assert.throws(() => account.account('NOPE'), { code: 'UNKNOWN_EXCHANGE' });
  });
});

describe('TradingManager: generated client ids', () => {
  // The generator's next ids are ktest-1, ktest-2, ... Each door an order can come in by, with
  // an id the generator would hand out later: the manager never hands that id out again
  const setup = () => {
    const clock = new SimulatedClock(1_700_000_000_000);
    const logger = createMemoryLogger();
    const broker = new ScriptedBroker({ reply: () => 'silent' });
    const account = new AccountProcessor({ exchange: broker.exchange, clock, logger });
    const track = (clientId: string) =>
      account.processOrderRequest(
        createOrderRequest({
          clientId: clientOrderId(clientId),
          instrument: BTC_PERP,
          side: 'BUY',
          quantity: 0.01,
          orderType: 'LIMIT',
          price: 64000,
          timeInForce: 'GTC',
        }),
      );
    const manager = () =>
      new TradingManager({
        brokers: [broker],
        account,
        clock,
        logger,
        ids: createClientIdGenerator({ instanceTag: 'test', counterStart: 0 }),
      });
    return { track, manager };
  };

  it('skips an id the account held before the manager existed (a replayed journal)', () => {
    const { track, manager } = setup();
    track('ktest-2');
    const trading = manager();
    assert.deepEqual([trading.nextClientId(), trading.nextClientId()], ['ktest-1', 'ktest-3']);
  });

  it('skips an id a caller chose through the manager, or tracked on the account itself', () => {
    const { manager } = setup();
    const trading = manager();
    assert.equal(trading.nextClientId(), 'ktest-1');
    trading.tradeAsync(BTC_PERP, 0.01, 64000, { clientId: 'ktest-3' });
    assert.deepEqual([trading.nextClientId(), trading.nextClientId()], ['ktest-2', 'ktest-4']);
    const other = setup();
    const direct = other.manager();
    other.track('ktest-2');
    assert.deepEqual([direct.nextClientId(), direct.nextClientId()], ['ktest-1', 'ktest-3']);
  });

  it('a generated id handed to a caller and traded is not mistaken for a taken one', () => {
    const { manager } = setup();
    const trading = manager();
    const id = trading.nextClientId();
    trading.tradeAsync(BTC_PERP, 0.01, 64000, { clientId: id });
    assert.deepEqual(
      [trading.nextClientId(), trading.tradeAsync(BTC_PERP, 0.01, 64000)],
      ['ktest-2', 'ktest-3'],
    );
  });

  it('an id handed out is refused once used, by the manager or on the account directly', () => {
    const { track, manager } = setup();
    const trading = manager();
    const [first, second] = [trading.nextClientId(), trading.nextClientId()];
    trading.tradeAsync(BTC_PERP, 0.01, 64000, { clientId: first });
    track(second);
    for (const clientId of [first, second]) {
      assert.throws(
        () => trading.tradeAsync(BTC_PERP, 0.01, 64000, { clientId }),
        (error: unknown) => error instanceof KestrelError && error.code === 'DUPLICATE_CLIENT_ID',
        clientId,
      );
    }
  });
});
