/**
 * Stop orders through Kestrel's ccxt venue (binanceusdm profile, real ccxt) against the Binance
 * USDⓈ-M emulator: ccxt 4.5.84 sends them to the Algo Service, the algo order waits under its
 * own id, and when the market reaches it the venue places an ordinary order under a new id and
 * our client id. Kestrel keeps one order through all of it, under the clientId it was given.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccountEvent } from '../../../src/core/events.ts';
import { freshSetupPerTest, settle, until } from './harness.ts';

const ALGO = '/fapi/v1/algoOrder';

describe('stop orders through Kestrel on ccxt binanceusdm', () => {
  const start = freshSetupPerTest();

  it('places a STOP_MARKET, which the market triggers and fills: one order, its fill, the position closed', async () => {
    const { trading, account, emulator, btc } = await start();
    const events: AccountEvent[] = [];
    account.subscribe((_result, event) => events.push(event));
    const long = await trading.trade(btc, 0.003);
    await until(() => account.findOrder(long.clientId)?.status === 'FILLED', 'the long');
    assert.equal(account.getPosition(btc).quantity, 0.003);

    const stop = await trading.trade(btc, -0.003, undefined, {
      stopPrice: 63000,
      reduceOnly: true,
    });
    const id = stop.clientId;
    assert.equal(stop.type, 'STOP_MARKET');
    assert.equal(stop.status, 'OPEN');
    const sent = emulator.requests.find((r) => r.method === 'POST' && r.path === ALGO);
    assert.equal(sent?.params['clientAlgoId'], id, 'our clientId is the algo client id');
    assert.equal(sent?.params['type'], 'STOP_MARKET');
    assert.equal(sent?.params['triggerPrice'], '63000');
    const algoId = account.findOrder(id)?.venueOrderId;
    assert.ok(algoId !== undefined, 'the algo id is the venue id while the stop waits');
    await settle();
    assert.equal(account.findOrder(id)?.status, 'OPEN', 'nothing triggers above the stop');

    // The market falls through the stop
    emulator.setBook(
      'BTCUSDT',
      [
        [62990, 2],
        [62980, 3],
      ],
      [
        [62990.5, 2],
        [62991, 3],
      ],
    );
    emulator.printTrade('BTCUSDT', 62990, 0.01, 'SELL');
    await until(() => account.findOrder(id)?.status === 'FILLED', 'the stop to trigger and fill');

    const order = account.findOrder(id);
    const placed = emulator.venue.order({ clientId: id });
    assert.ok(placed !== undefined, 'the venue placed the triggered order under our clientId');
    assert.equal(order?.venueOrderId, placed.orderId, 'the venue id follows the triggered order');
    assert.notEqual(order?.venueOrderId, algoId);
    assert.equal(order?.filledQuantity, 0.003);
    assert.equal(order?.type, 'STOP_MARKET');
    assert.equal(order?.clientId, id);
    const fills = events.flatMap((e) =>
      e.type === 'orderFilled' && e.clientId === id ? [e.fill] : [],
    );
    assert.deepEqual(
      fills.map((f) => [f.side, f.quantity, f.price]),
      [['SELL', 0.003, 62990]],
      'one fill, at the bid the stop sold into',
    );
    assert.equal(account.getPosition(btc).quantity, 0, 'the stop closed the position');
    await settle(300);
    assert.equal(account.findOrder(id)?.status, 'FILLED', 'the algo order ending changes nothing');
    assert.equal(account.findOrder(id)?.venueOrderId, placed.orderId);
    assert.equal(account.counters.refused, 0);
    assert.equal(account.counters.unmatchedFills, 0);
    assert.equal(account.counters.illegalTransitions, 0);
    // What the venue holds agrees: no position, nothing open
    assert.equal(emulator.venue.getPosition('BTCUSDT')?.quantity ?? 0, 0);
    assert.equal(emulator.venue.openOrders().length, 0);
  });

  it('cancels a STOP_LIMIT before it triggers, through the Algo Service; reconciliation lists it meanwhile', async () => {
    const { trading, account, emulator, btc, venue } = await start();
    const stop = await trading.trade(btc, 0.002, 65100, { stopPrice: 65000 });
    const id = stop.clientId;
    assert.equal(stop.type, 'STOP_LIMIT');
    assert.equal(stop.status, 'OPEN');
    const sent = emulator.requests.find((r) => r.method === 'POST' && r.path === ALGO);
    assert.deepEqual(
      [sent?.params['type'], sent?.params['price'], sent?.params['triggerPrice']],
      ['STOP', '65100', '65000'],
    );
    // The venue's open orders include the waiting stop, so it is not taken for lost
    const snapshot = await venue.broker.reconciliation.fetchSnapshot({
      since: Date.now() - 60_000,
    });
    assert.deepEqual(
      snapshot.openOrders.map((o) => [o.clientId, o.type, o.stopPrice, o.price]),
      [[id, 'STOP_LIMIT', 65000, 65100]],
    );
    const state = await venue.broker.reconciliation.fetchOrderState(account.findOrder(id)!);
    assert.equal(state?.status, 'OPEN', 'looked up as the waiting stop it is');

    await trading.cancelOrder(id);
    await until(() => account.findOrder(id)?.status === 'CANCELED', 'the cancel');
    const cancel = emulator.requests.find((r) => r.method === 'DELETE' && r.path === ALGO);
    assert.equal(cancel?.params['clientAlgoId'], id);
    // The market passing the stop afterwards places nothing
    emulator.printTrade('BTCUSDT', 65050, 0.01, 'BUY');
    await settle(300);
    assert.equal(emulator.venue.order({ clientId: id }), undefined, 'never triggered');
    assert.equal(account.findOrder(id)?.status, 'CANCELED');
    assert.equal(account.findOrder(id)?.filledQuantity, 0);
    assert.equal(account.counters.refused, 0);
  });
});
