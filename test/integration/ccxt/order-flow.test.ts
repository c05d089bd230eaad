import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccountEvent } from '../../../src/core/events.ts';
import { buyFilledByPrint, freshSetupPerTest, settle, until } from './harness.ts';

const ORDER = '/fapi/v1/order';

describe('ccxt broker order flow through real ccxt', () => {
  const start = freshSetupPerTest();

  it('tracks an async order PENDING, confirms it from the push before the REST reply, and records its latency', async () => {
    const { trading, account, emulator, btc, health } = await start();
    emulator.faults.delayResponses(30_000, { count: 1, path: ORDER, when: 'after' });
    const id = trading.tradeAsync(btc, 0.002, 63000);
    assert.equal(account.findOrder(id)?.status, 'PENDING');
    await until(() => account.findOrder(id)?.status === 'OPEN', 'the push to accept the order');
    // The REST answer is still held: the stream alone confirmed it
    assert.equal(emulator.faults.heldResponses, 1);
    const venueOrder = emulator.venue.order({ clientId: id });
    assert.equal(account.findOrder(id)?.venueOrderId, venueOrder?.orderId);
    assert.equal(health.snapshot().exchanges[0]?.submitLatency.count, 1);
    emulator.faults.releaseResponses();
    await settle();
    assert.equal(account.findOrder(id)?.status, 'OPEN');
  });

  it('puts our clientId on the wire and reads it back from every update, also after a reconnect', async () => {
    const { trading, account, emulator, btc, venue } = await start();
    const events: AccountEvent[] = [];
    account.subscribe((_result, event) => events.push(event));
    const order = await trading.trade(btc, 0.003, 63000);
    const id = order.clientId;
    assert.equal(order.status, 'OPEN');
    const sent = emulator.requests.find((r) => r.method === 'POST' && r.path === ORDER);
    assert.equal(sent?.params['newClientOrderId'], id);
    emulator.printTrade('BTCUSDT', 62999.9, 0.001, 'SELL');
    await until(() => account.findOrder(id)?.filledQuantity === 0.001, 'the first fill');
    emulator.faults.dropConnections({ stream: 'user' });
    await until(
      () => venue.stats().accountReconnects >= 1 && venue.stats().accountConnected,
      'the reconnect',
    );
    emulator.printTrade('BTCUSDT', 62999.9, 0.002, 'SELL');
    await until(() => account.findOrder(id)?.status === 'FILLED', 'the fill after the reconnect');
    const pushes = emulator.pushes.filter((p) => p['e'] === 'ORDER_TRADE_UPDATE');
    assert.ok(pushes.length >= 3);
    for (const push of pushes) assert.equal((push['o'] as Record<string, unknown>)['c'], id);
    const venueEvents = events.filter(
      (e) =>
        e.type !== 'orderRequested' && e.type !== 'cancelRequested' && e.type !== 'balanceUpdated',
    );
    assert.ok(venueEvents.length >= 4);
    for (const event of venueEvents) {
      assert.equal(
        'clientId' in event ? event.clientId : undefined,
        id,
        `${event.type} carries our clientId`,
      );
    }
    assert.equal(account.findOrder(id)?.clientId, id);
  });

  it('cancels a PENDING order by client id once its submit is answered, and an active one', async () => {
    const { trading, account, emulator, btc } = await start();
    emulator.faults.delayResponses(30_000, { count: 1, path: ORDER });
    const pending = trading.tradeAsync(btc, 0.002, 63000);
    await until(() => emulator.faults.heldResponses === 1, 'the submit to reach the venue');
    const canceling = trading.cancelOrder(pending);
    assert.equal(account.findOrder(pending)?.status, 'PENDING_CANCEL');
    emulator.faults.releaseResponses();
    await canceling;
    await until(
      () => account.findOrder(pending)?.status === 'CANCELED',
      'the pending order to cancel',
    );
    const cancel = emulator.requests.find((r) => r.method === 'DELETE' && r.path === ORDER);
    assert.equal(cancel?.params['origClientOrderId'], pending);
    assert.equal(emulator.venue.order({ clientId: pending })?.status, 'CANCELED');

    const active = await trading.trade(btc, 0.002, 62000);
    assert.equal(active.status, 'OPEN');
    await trading.cancelOrder(active.clientId);
    await until(
      () => account.findOrder(active.clientId)?.status === 'CANCELED',
      'the active order to cancel',
    );
    assert.equal(emulator.venue.openOrders().length, 0);
  });

  it('books partial fills once when the same fill arrives by push and by REST', async () => {
    const { trading, account, emulator, btc, venue } = await start();
    const order = await trading.trade(btc, 0.005, 63000);
    emulator.printTrade('BTCUSDT', 62999.9, 0.002, 'SELL');
    await until(
      () => account.findOrder(order.clientId)?.status === 'PARTIALLY_FILLED',
      'the partial fill',
    );
    await venue.resync();
    assert.equal(account.findOrder(order.clientId)?.filledQuantity, 0.002);
    assert.ok(account.counters.duplicateFills >= 1, 'the REST copy was recognised as a duplicate');
    emulator.printTrade('BTCUSDT', 62999.9, 0.003, 'SELL');
    await until(() => account.findOrder(order.clientId)?.status === 'FILLED', 'the order to fill');
    await venue.resync();
    const filled = account.findOrder(order.clientId);
    assert.equal(filled?.filledQuantity, 0.005);
    assert.equal(filled?.averageFillPrice, 63000);
    assert.equal(account.getPosition(btc).quantity, 0.005);
    assert.equal(emulator.venue.getPosition('BTCUSDT')?.quantity, 0.005);
  });

  it('recovers fills made while the socket was down, with nothing lost or doubled', async () => {
    const { trading, account, emulator, btc, venue } = await start();
    const a = await trading.trade(btc, 0.004, 63000);
    const b = await trading.trade(btc, -0.002, 65000);
    emulator.faults.refuseConnections(600);
    emulator.faults.dropConnections({ stream: 'user' });
    await until(() => !venue.stats().accountConnected, 'the stream to notice the drop');
    emulator.printTrade('BTCUSDT', 62999.9, 0.001, 'SELL');
    emulator.printTrade('BTCUSDT', 62999.9, 0.003, 'SELL');
    emulator.printTrade('BTCUSDT', 65000.1, 0.001, 'BUY');
    await until(
      () => account.findOrder(a.clientId)?.status === 'FILLED',
      'the resync to book the gap',
      10_000,
    );
    await until(() => account.findOrder(b.clientId)?.filledQuantity === 0.001, 'the partial sell');
    assert.equal(account.findOrder(a.clientId)?.filledQuantity, 0.004);
    assert.equal(
      account.getPosition(btc).quantity,
      emulator.venue.getPosition('BTCUSDT')?.quantity,
    );
    assert.equal(account.getPosition(btc).quantity, 0.003);
    assert.equal(account.counters.overfills, 0);
    // The venue's balances replace the local ones once the resync has fetched them
    const venueUsdt = emulator.venue.getBalances().find((x) => x.currency === 'USDT');
    await until(
      () => account.getBalances().find((x) => x.currency === 'USDT')?.free === venueUsdt?.free,
      'the venue balance to replace the local one',
    );
    assert.ok(emulator.faults.state().refusedUpgrades >= 1, 'the first redial was refused');
  });

  it('leaves an order PENDING after a 5xx until the resync finds it accepted', async () => {
    const { trading, account, emulator, btc, venue, health } = await start({
      overrides: { statusCheckDelayMs: 60_000 },
    });
    emulator.faults.failRequests({ status: 503, method: 'POST', path: ORDER, when: 'after' });
    emulator.faults.dropPushes(1);
    const order = await trading.trade(btc, 0.002, 63000);
    assert.equal(order.status, 'PENDING');
    assert.equal(health.snapshot().exchanges[0]?.counts.ambiguous, 1);
    const atVenue = emulator.venue.order({ clientId: order.clientId });
    assert.equal(atVenue?.status, 'NEW');
    await settle();
    assert.equal(account.findOrder(order.clientId)?.status, 'PENDING');
    venue.reconnect('test');
    await until(
      () => account.findOrder(order.clientId)?.status === 'OPEN',
      'the resync to accept it',
    );
    assert.equal(account.findOrder(order.clientId)?.venueOrderId, atVenue?.orderId);
  });

  it('declares an order LOST only after asking the venue, when a 5xx hid that it never arrived', async () => {
    const { trading, account, emulator, btc } = await start({
      overrides: { lostAfterMs: 300, statusCheckDelayMs: 100 },
    });
    emulator.faults.failRequests({ status: 502, method: 'POST', path: ORDER, when: 'before' });
    const order = await trading.trade(btc, 0.002, 63000);
    assert.equal(order.status, 'PENDING');
    await until(
      () => account.findOrder(order.clientId)?.status === 'LOST',
      'the status queries to give up',
    );
    assert.ok(
      emulator.requests.some(
        (r) =>
          r.method === 'GET' &&
          r.path === ORDER &&
          r.params['origClientOrderId'] === order.clientId,
      ),
    );
  });

  it('reports insufficient margin as a venue verdict', async () => {
    const { trading, btc } = await start();
    const order = await trading.trade(btc, 10, 63000);
    assert.equal(order.status, 'REJECTED');
    assert.match(order.reason ?? '', /^-2019: .*Margin is insufficient/);
  });

  it('matches the venue verdicts of a batch to its orders by position', async () => {
    const { trading, account, emulator, btc } = await start();
    const orders = await trading.submitOrders([
      { instrument: btc, amount: 0.002, price: 62000 },
      { instrument: btc, amount: 5, price: 62000 },
      { instrument: btc, amount: -0.002, price: 66000 },
    ]);
    assert.deepEqual(
      orders.map((o) => o.status),
      ['OPEN', 'REJECTED', 'OPEN'],
    );
    assert.match(orders[1]?.reason ?? '', /^-2019/);
    const batches = emulator.requests.filter((r) => r.path === '/fapi/v1/batchOrders');
    assert.equal(batches.length, 1);
    const sent = JSON.parse(batches[0]?.params['batchOrders'] ?? '[]') as Record<string, unknown>[];
    assert.deepEqual(
      sent.map((e) => e['newClientOrderId']),
      orders.map((o) => o.clientId),
    );
    assert.equal(account.getOrders().length, 2);
  });

  it('amends price and quantity in place with editOrder', async () => {
    const { trading, account, emulator, btc } = await start();
    const order = await trading.trade(btc, 0.002, 62000);
    await trading.updateOrder(order.clientId, { price: 62100.05, quantity: 0.004 });
    const amended = account.findOrder(order.clientId);
    assert.equal(amended?.price, 62100);
    assert.equal(amended?.quantity, 0.004);
    assert.equal(amended?.venueOrderId, order.venueOrderId);
    const put = emulator.requests.find((r) => r.method === 'PUT' && r.path === ORDER);
    assert.equal(put?.params['origClientOrderId'], order.clientId);
    assert.equal(put?.params['price'], '62100');
    assert.equal(emulator.venue.order({ clientId: order.clientId })?.quantity, 0.004);
  });

  it('absorbs duplicated and reordered pushes', async () => {
    const s = await start();
    const { account, emulator, btc } = s;
    emulator.faults.duplicatePushes(10);
    const a = await buyFilledByPrint(s, emulator, 'the duplicated fill');
    emulator.faults.reorderPushes(4);
    const b = await buyFilledByPrint(s, emulator, 'the reordered fill');
    await settle(400);
    assert.equal(account.getPosition(btc).quantity, 0.004);
    assert.equal(account.findOrder(a.clientId)?.filledQuantity, 0.002);
    assert.equal(account.findOrder(b.clientId)?.filledQuantity, 0.002);
    assert.equal(account.counters.overfills, 0);
    const trades = emulator.pushes.filter(
      (p) => (p['o'] as Record<string, unknown> | undefined)?.['x'] === 'TRADE',
    );
    assert.ok(trades.length >= 3, 'the venue really sent a fill twice');
  });
});
