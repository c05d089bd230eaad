import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../../src/engine/clock.ts';
import { runSmokeCheck } from '../../../src/venues/ccxt/index.ts';
import type { CcxtSetup } from './harness.ts';
import { eventually, setupCcxt } from './harness.ts';

describe('ccxt venue against the Binance USDⓈ-M emulator: the smoke flow', () => {
  let setup: CcxtSetup;
  before(async () => {
    setup = await setupCcxt();
  });
  after(async () => {
    await setup.close();
  });

  it('loads instruments from the markets ccxt parsed', () => {
    const { btc, venue } = setup;
    assert.equal(btc.symbol, 'BTC/USDT:USDT');
    assert.equal(btc.venueSymbol, 'BTCUSDT');
    assert.equal(btc.exchange, 'binanceusdm');
    assert.equal(btc.marketType, 'SWAP');
    assert.equal(btc.tickSize, 0.1);
    assert.equal(btc.lotSize, 0.001);
    assert.equal(btc.minNotional, 100);
    assert.equal(btc.makerFee, 0.0002);
    assert.equal(btc.takerFee, 0.0005);
    assert.deepEqual(venue.instruments.map((i) => i.symbol).sort(), [
      'BTC/USDT:USDT',
      'ETH/USDT:USDT',
    ]);
  });

  it('places a minimum post-only order far from the touch, sees it on the stream, cancels it', async () => {
    const { venue, trading, account, emulator } = setup;
    const result = await runSmokeCheck({ venue, trading, account, clock: systemClock });
    assert.equal(result.symbol, 'BTC/USDT:USDT');
    assert.equal(result.price, 57600);
    assert.equal(result.quantity, 0.002);
    assert.ok(
      result.submitLatencyMs >= 0 && result.cancelLatencyMs >= 0 && result.streamAckLatencyMs >= 0,
    );
    const order = account.findOrder(result.clientId);
    assert.equal(order?.status, 'CANCELED');
    assert.equal(order?.venueOrderId, result.venueOrderId);
    // On the wire: post-only (GTX) with our client id, cancelled by origClientOrderId
    const placed = emulator.requests.find(
      (r) => r.method === 'POST' && r.path === '/fapi/v1/order',
    );
    assert.equal(placed?.params['newClientOrderId'], result.clientId);
    assert.equal(placed?.params['timeInForce'], 'GTX');
    assert.equal(placed?.params['quantity'], '0.002');
    assert.equal(placed?.params['price'], '57600');
    const cancel = emulator.requests.find(
      (r) => r.method === 'DELETE' && r.path === '/fapi/v1/order',
    );
    assert.equal(cancel?.params['origClientOrderId'], result.clientId);
    assert.equal(emulator.venue.openOrders().length, 0);
    await eventually(
      () => setup.health.snapshot().exchanges[0]?.cancelLatency.count === 1,
      'the cancel latency sample',
    );
  });
});
