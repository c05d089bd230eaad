import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientOrderId } from '../../core/ids.ts';
import { createInstrument } from '../../core/instrument.ts';
import { clientIdHead } from './order-registry.ts';
import {
  apiKeyFingerprint,
  orderEvents,
  toBalances,
  toVenueOrderState,
  toVenuePositions,
} from './parsers.ts';
import { orderSchema } from './schemas.ts';

const btc = createInstrument({
  symbol: 'BTC/USDT:USDT',
  venueSymbol: 'BTCUSDT',
  exchange: 'binanceusdm',
  marketType: 'SWAP',
  base: 'BTC',
  quote: 'USDT',
  settle: 'USDT',
  tickSize: 0.1,
  lotSize: 0.001,
  minSize: 0.001,
  minNotional: 100,
});
const markets = new Map([[btc.symbol, btc]]);

describe('ccxt reconciliation parsing', () => {
  it('names the account by a short fingerprint that never contains the key', () => {
    const key = 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A';
    const account = apiKeyFingerprint(key);
    assert.match(account, /^key-[0-9a-f]{16}$/);
    assert.equal(apiKeyFingerprint(key), account, 'stable');
    assert.notEqual(apiKeyFingerprint(`${key}x`), account);
    assert.ok(!account.includes(key.slice(0, 8)));
  });

  it('finds the generator head of our clientIds and none in adopted or bare ids', () => {
    assert.equal(clientIdHead('kab12c-1z'), 'kab12c-');
    assert.equal(clientIdHead('ext:123'), undefined);
    assert.equal(clientIdHead('manual'), undefined);
    assert.equal(clientIdHead('trailing-'), undefined);
  });

  it('reads an order state: status by what filled, averages four decimals past the tick', () => {
    const order = orderSchema.parse({
      id: '42',
      clientOrderId: 'kab-1',
      symbol: 'BTC/USDT:USDT',
      status: 'open',
      side: 'sell',
      type: 'limit',
      timeInForce: 'GTX',
      postOnly: true,
      price: 64100,
      amount: 0.005,
      filled: 0.002,
      average: 64100.000000001,
      lastUpdateTimestamp: 1_700_000_000_123,
      info: {},
    });
    assert.deepEqual(toVenueOrderState(order, btc, 'kab-1', 0), {
      instrument: btc,
      clientId: 'kab-1',
      venueOrderId: '42',
      side: 'SELL',
      type: 'LIMIT',
      timeInForce: 'GTX',
      quantity: 0.005,
      price: 64100,
      reduceOnly: false,
      status: 'PARTIALLY_FILLED',
      filledQuantity: 0.002,
      averagePrice: 64100,
      time: 1_700_000_000_123,
    });
    const closed = orderSchema.parse({ ...order, status: 'closed', filled: 0.005 });
    assert.equal(toVenueOrderState(closed, btc, undefined, 0)?.status, 'FILLED');
    const canceled = orderSchema.parse({ ...order, status: 'canceled' });
    assert.equal(toVenueOrderState(canceled, btc, undefined, 0)?.status, 'CANCELED');
    assert.equal(
      toVenueOrderState(orderSchema.parse({ ...order, side: null }), btc, undefined, 0),
      undefined,
    );
  });

  it('signs positions, nets hedge legs, leaves flat ones and unknown markets out', () => {
    const { positions, skipped } = toVenuePositions(
      [
        {
          symbol: 'BTC/USDT:USDT',
          contracts: 0.003,
          side: 'short',
          entryPrice: 64000.12345,
          info: {},
        },
        { symbol: 'BTC/USDT:USDT', contracts: 0.001, side: 'long', entryPrice: 63000, info: {} },
        { symbol: 'ETH/USDT:USDT', contracts: 1, side: 'long', entryPrice: 3000, info: {} },
        { symbol: 'BTC/USDT:USDT', contracts: 0, side: null, entryPrice: 0, info: {} },
        'nonsense',
      ],
      markets,
    );
    assert.deepEqual(positions, [{ instrument: btc, quantity: -0.002, averagePrice: 64000.12345 }]);
    assert.equal(skipped, 2);
  });

  it('takes the wallet balance of a Binance futures account, not the margin balance', () => {
    const balance = {
      info: {
        assets: [{ asset: 'USDT', walletBalance: '9999.84135825', marginBalance: '9999.84035825' }],
      },
      total: { USDT: 9999.84035825 },
      free: { USDT: 9970.32633325 },
      used: { USDT: 29.515025 },
    };
    assert.deepEqual(toBalances(balance), [
      { currency: 'USDT', total: 9999.84135825, free: 9970.32633325, locked: 29.515025 },
    ]);
    assert.deepEqual(toBalances({ ...balance, info: {} }), [
      { currency: 'USDT', total: 9999.84035825, free: 9970.32633325, locked: 29.515025 },
    ]);
  });
});

describe('ccxt order events', () => {
  const order = (status: 'open' | 'closed', amount: number, price: number) =>
    orderSchema.parse({
      id: '81',
      clientOrderId: 'k1',
      symbol: btc.symbol,
      status,
      side: 'buy',
      type: 'limit',
      price,
      amount,
      filled: status === 'closed' ? amount : 0,
      info: {},
    });
  const context = (answered: boolean) => ({
    exchange: 'binanceusdm',
    instrument: btc,
    clientId: clientOrderId('k1'),
    time: 5,
    local: { price: 62000, quantity: 0.002, answered },
  });

  it('takes the terms of an order the venue amended, open or already filled (an amend whose answer was lost)', () => {
    for (const status of ['open', 'closed'] as const) {
      const events = orderEvents(order(status, 0.004, 62500), context(true));
      assert.deepEqual(
        events.map((e) => e.type),
        ['orderAccepted', 'orderAmended'],
      );
      const amended = events[1];
      assert.ok(amended?.type === 'orderAmended');
      assert.equal(amended.quantity, 0.004);
      assert.equal(amended.price, 62500);
    }
  });

  it('says nothing of terms that agree, or of an order not yet answered', () => {
    assert.equal(orderEvents(order('closed', 0.002, 62000), context(true)).length, 1);
    assert.equal(orderEvents(order('open', 0.004, 62500), context(false)).length, 1);
  });
});
