import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientOrderId, tradeId, venueOrderId } from '../../core/ids.ts';
import { createOrderRequest } from '../../core/order-request.ts';
import { AccountProcessor } from '../../engine/account-processor.ts';
import { SimulatedClock } from '../../engine/clock.ts';
import { createMemoryLogger } from '../../engine/logger.ts';
import { simInstrument } from '../instruments.ts';
import { TearsheetRecorder } from './tearsheet.ts';

const BTC = simInstrument('BTCUSDT');

describe('TearsheetRecorder: last orders', () => {
  it('shows each of the last orders as it was when written, though it changed later', () => {
    const clock = new SimulatedClock(1_000);
    const account = new AccountProcessor({
      exchange: 'sim',
      clock,
      logger: createMemoryLogger(),
      balances: [{ currency: 'USDT', total: 10_000, free: 10_000, locked: 0 }],
    });
    const recorder = new TearsheetRecorder({ instruments: [BTC], keepOrders: 3 });
    const ids = ['a1', 'a2', 'a3', 'a4'].map(clientOrderId);
    for (const [i, clientId] of ids.entries()) {
      account.processOrderRequest(
        createOrderRequest({
          clientId,
          instrument: BTC,
          side: 'BUY',
          quantity: 0.01,
          orderType: 'LIMIT',
          price: 60_000 + i,
          timeInForce: 'GTC',
        }),
      );
      const venueId = venueOrderId(`v${i}`);
      account.apply({
        type: 'orderAccepted',
        exchange: 'sim',
        clientId,
        venueOrderId: venueId,
        time: 1_001,
      });
      account.apply({
        type: 'orderCanceled',
        exchange: 'sim',
        clientId,
        venueOrderId: venueId,
        reason: 'canceled by the client',
        time: 1_002,
      });
      recorder.onOrder(account.findOrder(clientId)!);
    }
    // A fill that was in flight when the last order was canceled books after it was written
    const late = ids[3]!;
    account.apply({
      type: 'orderFilled',
      exchange: 'sim',
      clientId: late,
      venueOrderId: venueOrderId('v3'),
      fill: {
        tradeId: tradeId('t1'),
        clientId: late,
        venueOrderId: venueOrderId('v3'),
        instrument: BTC,
        side: 'BUY',
        quantity: 0.01,
        price: 60_003,
        fee: 0.12,
        feeCurrency: 'USDT',
        liquidity: 'MAKER',
        time: 1_003,
      },
      time: 1_003,
    });
    assert.equal(account.findOrder(late)?.status, 'FILLED', 'the order did change');
    const { tearsheet } = recorder.finish([], 1_000, 1_000, 2_000);
    assert.deepEqual(
      tearsheet.lastOrders.map((o) => o.clientId),
      ['a2', 'a3', 'a4'],
      'the last three, oldest first',
    );
    const last = tearsheet.lastOrders[2]!;
    assert.equal(last.status, 'CANCELED');
    assert.equal(last.filledQuantity, 0);
    assert.equal(last.reason, 'canceled by the client');
    assert.deepEqual(
      last.transitions.map((t) => `${t.from}>${t.to}`),
      ['PENDING>OPEN', 'OPEN>CANCELED'],
    );
    assert.equal(last.price, 60_003);
  });
});
