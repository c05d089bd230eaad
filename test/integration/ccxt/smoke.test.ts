import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../../src/engine/clock.ts';
import { createMemoryLogger } from '../../../src/engine/logger.ts';
import { runSmoke } from '../../../src/runtime/smoke.ts';
import { createCcxtVenue } from '../../../src/venues/ccxt/index.ts';
import type { CcxtSetup } from './harness.ts';
import { setupCcxt, testConfig } from './harness.ts';

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

  it('kestrel smoke: a minimum post-only order far from the touch, acknowledged, confirmed by a query, canceled', async () => {
    const { emulator } = setup;
    // A venue of its own, as the smoke command opens one
    const venue = createCcxtVenue(testConfig(emulator.url), {
      clock: systemClock,
      logger: createMemoryLogger(),
    });
    // bookTicker pushes only on change: keep the touch ticking until the smoke has its quote
    let tick = 0;
    const ticker = setInterval(() => {
      tick += 1;
      emulator.setQuote('BTCUSDT', 64000, 64000.5, 2, 2 + (tick % 2));
    }, 50);
    const result = await runSmoke({
      venue,
      clock: systemClock,
      logger: createMemoryLogger(),
    }).finally(() => clearInterval(ticker));
    assert.equal(result.symbol, 'BTC/USDT:USDT');
    assert.equal(result.price, 57600, '10 % under the 64 000 bid');
    assert.equal(result.quantity, 0.002, 'the least that clears the 100 USDT minimum notional');
    assert.equal(result.confirmedByQuery, true, 'the venue listed it open, then canceled');
    assert.equal(result.submitLatency.count, 1);
    assert.equal(result.cancelLatency.count, 1);
    const venueOrder = emulator.orders().find((o) => o.clientId === result.clientId);
    assert.equal(venueOrder?.status, 'CANCELED');
    assert.equal(venueOrder?.orderId, result.venueOrderId);
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
  });
});
