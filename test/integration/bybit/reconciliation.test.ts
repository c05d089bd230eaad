/**
 * Reconciliation on Bybit while Kestrel runs, through real ccxt `bybit` against the emulator:
 * fills made while the private stream was down booked once from the REST resync, a submit
 * whose answer was a 5xx left PENDING until the resync finds it accepted, one that never
 * arrived declared LOST only after asking Bybit by its orderLinkId, and duplicated, reordered
 * or dropped pushes absorbed. Each outcome is compared with the emulator's ledger.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buyFilledByPrint, settle, until } from '../ccxt/harness.ts';
import { freshBybitPerTest } from './harness.ts';

const CREATE = '/v5/order/create';

describe('ccxt reconciliation against the Bybit emulator', () => {
  const start = freshBybitPerTest();

  it('books fills made while the private stream was down once, from the resync, equal to the ledger', async () => {
    const { trading, account, emulator, btc, venue } = await start();
    const a = await trading.trade(btc, 0.004, 63000);
    const b = await trading.trade(btc, -0.002, 65000);
    emulator.faults.refuseConnections(2_000);
    emulator.faults.dropConnections({ stream: 'user' });
    await until(() => !venue.stats().accountConnected, 'the stream to notice the drop');
    assert.equal(emulator.connections().openUser, 0, 'nobody listens while the venue fills');
    emulator.printTrade('BTCUSDT', 62999.9, 0.001, 'SELL');
    emulator.printTrade('BTCUSDT', 62999.9, 0.003, 'SELL');
    emulator.printTrade('BTCUSDT', 65000.1, 0.001, 'BUY');
    const gap = emulator.executions().map((e) => e.execId);
    assert.equal(gap.length, 3, 'the venue filled three times while nobody listened');
    await until(
      () =>
        account.findOrder(a.clientId)?.status === 'FILLED' &&
        account.findOrder(b.clientId)?.filledQuantity === 0.001,
      'the resync to book the gap',
    );
    assert.ok(emulator.faults.state().refusedUpgrades >= 1, 'the first redial was refused');
    assert.equal(account.findOrder(a.clientId)?.filledQuantity, 0.004);
    assert.equal(account.findOrder(a.clientId)?.averageFillPrice, 63000);
    assert.equal(account.findOrder(b.clientId)?.status, 'PARTIALLY_FILLED');
    assert.equal(account.getPosition(btc).quantity, 0.003);
    assert.equal(account.getPosition(btc).quantity, emulator.position('BTCUSDT'));
    assert.equal(account.counters.overfills, 0);
    await venue.resync();
    assert.equal(account.findOrder(a.clientId)?.filledQuantity, 0.004, 'a second resync adds none');
    assert.equal(account.getPosition(btc).quantity, 0.003);
    const wallet = emulator.venue.getBalances().find((x) => x.currency === 'USDT');
    await until(
      () => account.getBalances().find((x) => x.currency === 'USDT')?.total === wallet?.total,
      'the venue wallet to replace the local one',
    );
  });

  it('leaves a submit answered 503 PENDING until the resync finds it accepted, under its orderId', async () => {
    const { trading, account, emulator, btc, venue } = await start({
      statusCheckDelayMs: 60_000,
    });
    emulator.faults.failRequests({ status: 503, method: 'POST', path: CREATE, when: 'after' });
    emulator.faults.dropPushes(1);
    const order = await trading.trade(btc, 0.002, 63000);
    assert.equal(order.status, 'PENDING');
    const atVenue = emulator.orders().find((o) => o.orderLinkId === order.clientId);
    assert.equal(atVenue?.status, 'New', 'the venue took it although it answered 503');
    await settle();
    assert.equal(account.findOrder(order.clientId)?.status, 'PENDING');
    await venue.resync();
    await until(
      () => account.findOrder(order.clientId)?.status === 'OPEN',
      'the resync to accept it',
    );
    assert.equal(account.findOrder(order.clientId)?.venueOrderId, atVenue?.orderId);
    assert.equal(emulator.orders().length, 1, 'not sent again');
  });

  it('declares a submit that never arrived LOST only after asking Bybit by its orderLinkId', async () => {
    const { trading, account, emulator, btc } = await start({
      lostAfterMs: 300,
      statusCheckDelayMs: 100,
    });
    emulator.faults.failRequests({ status: 502, method: 'POST', path: CREATE, when: 'before' });
    const order = await trading.trade(btc, 0.002, 63000);
    assert.equal(order.status, 'PENDING');
    await until(
      () => account.findOrder(order.clientId)?.status === 'LOST',
      'the status queries to give up',
    );
    assert.deepEqual(emulator.orders(), [], 'the venue never had it');
    const asked = emulator.requests.filter(
      (r) => r.method === 'GET' && r.params['orderLinkId'] === order.clientId,
    );
    assert.ok(
      asked.some((r) => r.path === '/v5/order/realtime'),
      'asked for it among open and recent orders',
    );
    assert.ok(asked.every((r) => r.retCode === 0));
  });

  it('absorbs duplicated, reordered and dropped pushes: every fill booked once, as the ledger has it', async () => {
    const s = await start();
    const { trading, account, emulator, btc, venue } = s;
    emulator.faults.duplicatePushes(10);
    const a = await buyFilledByPrint(s, emulator, 'the duplicated fill');
    emulator.faults.reorderPushes(4);
    const b = await buyFilledByPrint(s, emulator, 'the reordered fill');
    emulator.faults.dropPushes(4);
    const c = await trading.trade(btc, 0.002, 63000);
    emulator.printTrade('BTCUSDT', 62999.9, 0.002, 'SELL');
    await venue.resync();
    await until(() => account.findOrder(c.clientId)?.status === 'FILLED', 'the dropped fill');
    await settle(400);
    const executions = emulator.executions().map((e) => e.execId);
    assert.equal(executions.length, 3);
    assert.ok(
      emulator.pushes.filter((p) => p['topic'] === 'execution').length > 3,
      'the venue really sent a fill twice',
    );
    for (const order of [a, b, c])
      assert.equal(account.findOrder(order.clientId)?.filledQuantity, 0.002);
    assert.equal(account.getPosition(btc).quantity, 0.006);
    assert.equal(account.getPosition(btc).quantity, emulator.position('BTCUSDT'));
    assert.equal(account.counters.overfills, 0);
  });
});
