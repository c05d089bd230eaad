import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BTC_PERP, ETH_PERP } from '../../test/helpers/instruments.ts';
import { limitBuy } from '../../test/helpers/requests.ts';
import { findTracked } from '../core/account.ts';
import type { ClientOrderId } from '../core/ids.ts';
import { tradeId, venueOrderId } from '../core/ids.ts';
import { AccountProcessor } from './account-processor.ts';
import { SimulatedClock } from './clock.ts';
import { createMemoryLogger } from './logger.ts';
import { fillEvents, planReconciliation } from './reconcile.ts';
import type { VenueOrderState, VenueSnapshot } from './venue.ts';

function account() {
  const clock = new SimulatedClock(10_000);
  const processor = new AccountProcessor({
    exchange: 'TEST',
    clock,
    logger: createMemoryLogger(),
    balances: [{ currency: 'USDT', total: 1000, free: 1000, locked: 0 }],
  });
  const place = (id: string, quantity = 1) => processor.processOrderRequest(limitBuy(id, quantity));
  const view = (now = 20_000) => ({
    exchange: 'TEST',
    openOrders: processor.getOrders(),
    find: (ref: Parameters<typeof findTracked>[1]) => findTracked(processor.state, ref),
    positions: processor.getPositions(),
    balances: processor.getBalances(),
    isOwn: (clientId: string) => clientId.startsWith('kours'),
    graceMs: 5_000,
    now,
  });
  return { processor, place, view };
}

const open = (patch: Partial<VenueOrderState>): VenueOrderState => ({
  instrument: BTC_PERP,
  venueOrderId: 'V1',
  side: 'BUY',
  type: 'LIMIT',
  timeInForce: 'GTC',
  quantity: 1,
  price: 100,
  status: 'OPEN',
  filledQuantity: 0,
  time: 15_000,
  ...patch,
});

const snapshot = (patch: Partial<VenueSnapshot>): VenueSnapshot => ({
  openOrders: [],
  fills: [],
  positions: [],
  balances: [],
  time: 16_000,
  ...patch,
});

describe('planReconciliation', () => {
  it('confirms a PENDING order the venue lists as open', () => {
    const { processor, place, view } = account();
    place('a');
    const plan = planReconciliation(
      view(),
      snapshot({ openOrders: [open({ clientId: 'a', venueOrderId: 'V1' })] }),
    );
    for (const event of plan.events) processor.apply(event);
    assert.equal(processor.findOrder('a')?.status, 'OPEN');
    assert.equal(processor.findOrder('a')?.venueOrderId, 'V1');
    assert.deepEqual(plan.query, []);
    assert.equal(plan.corrections.length, 1);
  });

  it('adopts unknown venue orders: ours as RECOVERED, others as EXTERNAL', () => {
    const { processor, view } = account();
    const plan = planReconciliation(
      view(),
      snapshot({
        openOrders: [
          open({ clientId: 'kours-7', venueOrderId: 'V7' }),
          open({ clientId: 'web_123', venueOrderId: 'V8', side: 'SELL' }),
        ],
      }),
    );
    for (const event of plan.events) processor.apply(event);
    assert.equal(processor.findOrder('kours-7')?.origin, 'RECOVERED');
    assert.equal(processor.findOrder('ext:V8')?.origin, 'EXTERNAL');
  });

  it("leaves a sibling process's orders alone: neither adopted nor corrected", () => {
    const { processor, view } = account();
    const plan = planReconciliation(
      { ...view(), isSibling: (ref) => ref.clientId?.startsWith('kbtheirs-') === true },
      snapshot({
        openOrders: [
          open({ clientId: 'kbtheirs-1', venueOrderId: 'V1' }),
          open({ clientId: 'web_123', venueOrderId: 'V2', side: 'SELL' }),
        ],
      }),
    );
    for (const event of plan.events) processor.apply(event);
    assert.equal(processor.findOrder('kbtheirs-1'), undefined);
    assert.equal(processor.findOrder('ext:V1'), undefined, 'not adopted as EXTERNAL');
    assert.equal(processor.findOrder('ext:V2')?.origin, 'EXTERNAL', 'a manual order still is');
    assert.equal(processor.getOrders().length, 1);
  });

  it('asks about our live orders the venue does not list, except the very young', () => {
    const { place, view } = account();
    place('old');
    const plan = planReconciliation(view(20_000), snapshot({}));
    assert.deepEqual(
      plan.query.map((o) => o.clientId),
      ['old'],
    );
    assert.deepEqual(
      planReconciliation(view(12_000), snapshot({})).query,
      [],
      'within the grace window',
    );
  });

  it('books missed fills once and lets the venue position and balances win', () => {
    const { processor, place, view } = account();
    place('a', 2);
    const fills = [
      {
        tradeId: tradeId('t1'),
        clientId: 'a' as ClientOrderId,
        instrument: BTC_PERP,
        side: 'BUY' as const,
        quantity: 1,
        price: 100,
        fee: 0.02,
        feeCurrency: 'USDT',
        liquidity: 'MAKER' as const,
        time: 15_000,
      },
    ];
    for (const event of fillEvents('TEST', snapshot({ fills }))) processor.apply(event);
    for (const event of fillEvents('TEST', snapshot({ fills }))) processor.apply(event);
    assert.equal(processor.getPosition(BTC_PERP).quantity, 1, 'booked once');
    const venueSays = snapshot({
      openOrders: [
        open({ clientId: 'a', quantity: 2, status: 'PARTIALLY_FILLED', filledQuantity: 1 }),
      ],
      positions: [
        { instrument: BTC_PERP, quantity: 1.5, averagePrice: 100 },
        { instrument: ETH_PERP, quantity: -2, averagePrice: 3000 },
      ],
      balances: [{ currency: 'USDT', total: 990, free: 900, locked: 90 }],
    });
    const plan = planReconciliation(view(), venueSays);
    for (const event of plan.events) processor.apply(event);
    assert.equal(processor.getPosition(BTC_PERP).quantity, 1.5);
    assert.equal(processor.getPosition(ETH_PERP).quantity, -2);
    assert.equal(processor.getBalances()[0]?.total, 990);
    assert.equal(processor.findOrder('a')?.status, 'PARTIALLY_FILLED');
    const again = planReconciliation(view(), venueSays);
    assert.deepEqual(again.events, [], 'nothing to correct once in line');
  });

  it('finds an order by its venue id or correlation key when the venue does not carry our clientId', () => {
    const { processor, view } = account();
    processor.processOrderRequest(limitBuy('mine'), '42');
    const plan = planReconciliation(
      view(),
      snapshot({ openOrders: [open({ correlationKey: '42', venueOrderId: '281474976710700' })] }),
    );
    for (const event of plan.events) processor.apply(event);
    assert.equal(processor.findOrder('mine')?.status, 'OPEN');
    assert.equal(processor.findOrder('mine')?.venueOrderId, venueOrderId('281474976710700'));
  });
});
