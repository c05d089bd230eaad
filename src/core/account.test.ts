import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BTC_PERP, BTC_PERP_OTHER, BTC_SPOT, ETH_PERP } from '../../test/helpers/instruments.ts';
import type { AccountState } from './account.ts';
import {
  apply,
  createAccountState,
  evictTerminal,
  findOrder,
  findTracked,
  liveOrders,
} from './account.ts';
import type { AccountEvent } from './events.ts';
import type { FillReport, Liquidity } from './fill.ts';
import type { ClientOrderId } from './ids.ts';
import { clientOrderId, tradeId, venueOrderId } from './ids.ts';
import type { Instrument } from './instrument.ts';
import type { OrderRequest, Side } from './order.ts';
import { createOrderRequest } from './order-request.ts';

const EX = 'TEST';

function request(
  id: string,
  side: Side = 'BUY',
  quantity = 1,
  price = 100,
  instrument: Instrument = BTC_PERP,
): OrderRequest {
  return createOrderRequest({
    clientId: clientOrderId(id),
    instrument,
    side,
    quantity,
    orderType: 'LIMIT',
    price,
    timeInForce: 'GTC',
  });
}

function requested(r: OrderRequest, correlationKey?: string, time = 0): AccountEvent {
  return { type: 'orderRequested', request: r, correlationKey, time };
}

function accepted(id: string, venueId = `v-${id}`, time = 1): AccountEvent {
  return {
    type: 'orderAccepted',
    exchange: EX,
    clientId: id as ClientOrderId,
    venueOrderId: venueOrderId(venueId),
    time,
  };
}

function fill(
  id: string | undefined,
  trade: string,
  quantity: number,
  price: number,
  options: {
    side?: Side;
    instrument?: Instrument;
    fee?: number;
    feeCurrency?: string;
    liquidity?: Liquidity;
    venueId?: string;
    time?: number;
  } = {},
): AccountEvent {
  const report: FillReport = {
    tradeId: tradeId(trade),
    clientId: id as ClientOrderId | undefined,
    venueOrderId: options.venueId === undefined ? undefined : venueOrderId(options.venueId),
    instrument: options.instrument ?? BTC_PERP,
    side: options.side ?? 'BUY',
    quantity,
    price,
    fee: options.fee,
    feeCurrency: options.feeCurrency,
    liquidity: options.liquidity ?? 'TAKER',
    time: options.time ?? 2,
  };
  return {
    type: 'orderFilled',
    exchange: EX,
    clientId: report.clientId,
    venueOrderId: report.venueOrderId,
    fill: report,
    time: options.time ?? 2,
  };
}

function canceled(id: string, time = 3): AccountEvent {
  return { type: 'orderCanceled', exchange: EX, clientId: id as ClientOrderId, time };
}

function cancelRequested(id: string, time: number, deferred = false): AccountEvent {
  return { type: 'cancelRequested', exchange: EX, clientId: id as ClientOrderId, deferred, time };
}

function rejected(id: string, code: string, message: string, time = 1): AccountEvent {
  return {
    type: 'orderRejected',
    exchange: EX,
    clientId: id as ClientOrderId,
    code,
    message,
    time,
  };
}

/** A cancel the venue reports by its own order id only */
function canceledAtVenue(venueId: string, time: number): AccountEvent {
  return { type: 'orderCanceled', exchange: EX, venueOrderId: venueOrderId(venueId), time };
}

function fresh(
  balances = [{ currency: 'USDT', total: 10_000, free: 10_000, locked: 0 }],
): AccountState {
  return createAccountState({ exchange: EX, balances });
}

function statusOf(state: AccountState, id: string) {
  return findOrder(state, id)?.status;
}

describe('apply: tracking and matching', () => {
  it('tracks a request as PENDING, findable by clientId', () => {
    const state = fresh();
    const result = apply(state, requested(request('a')));
    assert.equal(result.outcome, 'applied');
    const order = findOrder(state, 'a');
    assert.equal(order?.status, 'PENDING');
    assert.equal(order?.origin, 'FRAMEWORK');
    assert.equal(order?.quantity, 1);
    assert.equal(order?.filledQuantity, 0);
  });

  it('refuses a second request with the same clientId and keeps the first', () => {
    const state = fresh();
    apply(state, requested(request('a', 'BUY', 1)));
    const result = apply(state, requested(request('a', 'SELL', 2)));
    assert.equal(result.outcome, 'refused');
    assert.equal(findOrder(state, 'a')?.side, 'BUY');
    assert.equal(state.counters.refused, 1);
  });

  it('matches by venue order id when the update has no clientId', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, accepted('a', 'V1'));
    apply(state, canceledAtVenue('V1', 5));
    assert.equal(statusOf(state, 'a'), 'CANCELED');
  });

  it('matches by correlation key and restores the original clientId', () => {
    const state = fresh();
    apply(state, requested(request('my-order-1'), '77'));
    const result = apply(state, {
      type: 'orderAccepted',
      exchange: EX,
      correlationKey: '77',
      venueOrderId: venueOrderId('9001'),
      time: 1,
    });
    assert.equal(result.outcome, 'applied');
    assert.equal(result.outcome === 'applied' && result.order?.clientId, 'my-order-1');
    const filled = apply(state, {
      type: 'orderFilled',
      exchange: EX,
      correlationKey: '77',
      fill: {
        tradeId: tradeId('x1'),
        instrument: BTC_PERP,
        side: 'BUY',
        quantity: 1,
        price: 100,
        liquidity: 'MAKER',
        time: 2,
      },
      time: 2,
    });
    assert.equal(
      filled.outcome === 'applied' && filled.fill?.clientId,
      'my-order-1',
      'fill carries our clientId',
    );
    assert.equal(statusOf(state, 'my-order-1'), 'FILLED');
  });

  it('prefers clientId over venue id, and follows a changed venue id', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, requested(request('b')));
    apply(state, accepted('a', 'V1'));
    apply(state, accepted('b', 'V2'));
    apply(state, {
      type: 'orderAmended',
      exchange: EX,
      clientId: 'a' as ClientOrderId,
      newVenueOrderId: venueOrderId('V3'),
      price: 101,
      time: 4,
    });
    assert.equal(findOrder(state, 'a')?.venueOrderId, 'V3');
    assert.equal(findOrder(state, 'a')?.price, 101);
    apply(state, canceledAtVenue('V3', 5));
    assert.equal(statusOf(state, 'a'), 'CANCELED');
    apply(state, canceledAtVenue('V1', 6));
    assert.equal(statusOf(state, 'b'), 'OPEN', 'the old venue id no longer names anything');
  });

  it('finds orders by venue id alone before and after the first such event, as ids change and orders leave', () => {
    // The venue-id index is built on the first event that needs it; every later change must keep it true
    const state = createAccountState({ exchange: EX, balances: [], limits: { graceMs: 100 } });
    apply(state, requested(request('a')));
    apply(state, requested(request('b')));
    apply(state, requested(request('c')));
    apply(state, accepted('a', 'V1'));
    apply(state, canceledAtVenue('V1', 5));
    assert.equal(statusOf(state, 'a'), 'CANCELED', 'found by venue id learned before the index');
    apply(state, accepted('b', 'V2'));
    apply(state, {
      type: 'orderAmended',
      exchange: EX,
      clientId: 'b' as ClientOrderId,
      newVenueOrderId: venueOrderId('V3'),
      time: 6,
    });
    assert.equal(apply(state, canceledAtVenue('V2', 7)).outcome, 'refused', 'V2 was replaced');
    apply(state, canceledAtVenue('V3', 8));
    assert.equal(statusOf(state, 'b'), 'CANCELED', 'found by the venue id that replaced it');
    evictTerminal(state, 200);
    assert.equal(
      apply(state, canceledAtVenue('V3', 9)).outcome,
      'refused',
      'history is by clientId',
    );
    apply(state, accepted('c', 'V3'));
    apply(state, canceledAtVenue('V3', 10));
    assert.equal(statusOf(state, 'c'), 'CANCELED', 'a venue id reused by a new order names it');
  });

  it('adopts an order the venue reports that we never asked for as EXTERNAL', () => {
    const state = fresh();
    const result = apply(state, {
      type: 'orderAccepted',
      exchange: EX,
      venueOrderId: venueOrderId('555'),
      report: {
        instrument: BTC_PERP,
        side: 'SELL',
        type: 'LIMIT',
        quantity: 2,
        price: 110,
        timeInForce: 'GTC',
      },
      time: 1,
    });
    assert.equal(result.outcome === 'applied' && result.change, 'adopted');
    const order = findOrder(state, 'ext:555');
    assert.equal(order?.origin, 'EXTERNAL');
    assert.equal(order?.status, 'OPEN');
  });

  it('refuses and counts updates for unknown orders without changing state', () => {
    const state = fresh();
    const result = apply(state, canceled('ghost'));
    assert.equal(result.outcome, 'refused');
    assert.equal(state.orders.size, 0);
    assert.equal(state.counters.refused, 1);
  });
});

describe('apply: state machine', () => {
  it('audits every change with from, to, cause and time', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, accepted('a', 'V', 10));
    apply(state, fill('a', 't1', 0.4, 100, { time: 20 }));
    apply(state, fill('a', 't2', 0.6, 100, { time: 30 }));
    assert.deepEqual(
      findOrder(state, 'a')?.transitions.map((t) => [t.from, t.to, t.cause, t.time]),
      [
        ['PENDING', 'OPEN', 'orderAccepted', 10],
        ['OPEN', 'PARTIALLY_FILLED', 'orderFilled', 20],
        ['PARTIALLY_FILLED', 'FILLED', 'orderFilled', 30],
      ],
    );
  });

  it('shares one audit entry between orders that change alike at the same moment', () => {
    const state = fresh();
    for (const id of ['a', 'b', 'c']) apply(state, requested(request(id)));
    // One reply accepts a and b; c a moment later; a and b canceled by one request
    for (const id of ['a', 'b']) apply(state, accepted(id, `v-${id}`, 10));
    apply(state, accepted('c', 'v-c', 11));
    for (const id of ['a', 'b']) {
      apply(state, cancelRequested(id, 12));
    }
    apply(state, {
      type: 'orderStatusReported',
      exchange: EX,
      clientId: 'c' as ClientOrderId,
      status: 'CANCELED',
      filledQuantity: 0,
      time: 12,
    });
    apply(state, canceled('a', 13));
    apply(state, canceled('b', 14));
    const trail = (id: string) => findOrder(state, id)?.transitions ?? [];
    const [a, b, c] = [trail('a'), trail('b'), trail('c')];
    assert.deepEqual(
      b.map((t) => [t.from, t.to, t.cause, t.time]),
      [
        ['PENDING', 'OPEN', 'orderAccepted', 10],
        ['OPEN', 'PENDING_CANCEL', 'cancelRequested', 12],
        ['PENDING_CANCEL', 'CANCELED', 'orderCanceled', 14],
      ],
      'each trail reads as before',
    );
    assert.equal(a[0], b[0], 'accepted by one reply: one entry');
    assert.equal(a[1], b[1], 'one cancel request: one entry');
    assert.notEqual(a[2], b[2], 'canceled at different times');
    assert.notEqual(c[0], a[0], 'accepted a moment later');
    assert.notEqual(c[1], b[1], 'the same moment, but another cause and change');
  });

  it('absorbs a fill before its accept', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, fill('a', 't1', 0.5, 100));
    assert.equal(statusOf(state, 'a'), 'PARTIALLY_FILLED');
    const late = apply(state, accepted('a'));
    assert.equal(statusOf(state, 'a'), 'PARTIALLY_FILLED');
    assert.equal(late.outcome, 'ignored');
    assert.equal(
      findOrder(state, 'a')?.venueOrderId,
      'v-a',
      'the late accept still records the venue id',
    );
    assert.equal(state.counters.illegalTransitions, 0);
  });

  it('keeps PENDING_CANCEL when the accept arrives after the cancel request', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, cancelRequested('a', 1, true));
    const result = apply(state, accepted('a'));
    assert.equal(statusOf(state, 'a'), 'PENDING_CANCEL');
    assert.ok(result.outcome === 'applied' && result.sendCancel, 'the deferred cancel can go now');
    apply(state, canceled('a'));
    assert.equal(statusOf(state, 'a'), 'CANCELED');
  });

  it('goes back to where it was when a cancel is refused', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, accepted('a'));
    apply(state, fill('a', 't1', 0.3, 100));
    apply(state, cancelRequested('a', 4));
    apply(state, {
      type: 'cancelRejected',
      exchange: EX,
      clientId: 'a' as ClientOrderId,
      code: '-2011',
      message: 'Unknown order sent.',
      time: 5,
    });
    assert.equal(statusOf(state, 'a'), 'PARTIALLY_FILLED');
  });

  it('dedups the same fill by trade id', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, fill('a', 't1', 0.5, 100));
    const again = apply(state, fill('a', 't1', 0.5, 100));
    assert.equal(again.outcome, 'ignored');
    assert.equal(findOrder(state, 'a')?.filledQuantity, 0.5);
    assert.equal(state.positions.get('BTCUSDT')?.quantity, 0.5);
    assert.equal(state.counters.duplicateFills, 1);
  });

  it('refuses and counts a fill past the order quantity (a duplicate under another trade id)', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, fill('a', 't1', 0.6, 100));
    const over = apply(state, fill('a', 't2', 0.6, 100));
    assert.equal(over.outcome, 'refused');
    assert.match(
      over.outcome === 'refused' ? over.reason : '',
      /overfill: fill t2 of 0.6 on order a filled 0.6 of 1/,
    );
    assert.equal(findOrder(state, 'a')?.filledQuantity, 0.6);
    assert.equal(state.positions.get('BTCUSDT')?.quantity, 0.6);
    assert.equal(state.counters.overfills, 1);
    // The rest of the order still books, and a replay of the refused one stays refused
    assert.equal(apply(state, fill('a', 't3', 0.4, 100)).outcome, 'applied');
    assert.equal(statusOf(state, 'a'), 'FILLED');
    assert.equal(apply(state, fill('a', 't2', 0.6, 100)).outcome, 'refused');
    assert.equal(state.positions.get('BTCUSDT')?.quantity, 1);
  });

  it('books an overfill when the account allows them', () => {
    const state = createAccountState({ exchange: EX, limits: { allowOverfills: true } });
    apply(state, requested(request('a')));
    apply(state, fill('a', 't1', 1, 100));
    assert.equal(apply(state, fill('a', 't2', 0.5, 100)).outcome, 'applied');
    assert.equal(findOrder(state, 'a')?.filledQuantity, 1.5);
    assert.equal(state.counters.overfills, 1);
  });

  it('absorbs a status push racing the REST reply (the same accept twice)', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    assert.equal(apply(state, accepted('a')).outcome, 'applied');
    assert.equal(apply(state, accepted('a')).outcome, 'ignored');
    assert.equal(findOrder(state, 'a')?.transitions.length, 1);
  });

  it('books a late fill after the cancel and completes the order (canceled → filled)', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, accepted('a'));
    apply(state, fill('a', 't1', 0.5, 100));
    apply(state, canceled('a'));
    apply(state, fill('a', 't2', 0.5, 100));
    assert.equal(statusOf(state, 'a'), 'FILLED');
    assert.equal(state.positions.get('BTCUSDT')?.quantity, 1);
  });

  it('books a late partial fill after the cancel and stays CANCELED', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, accepted('a'));
    apply(state, canceled('a'));
    apply(state, fill('a', 't1', 0.2, 100));
    assert.equal(statusOf(state, 'a'), 'CANCELED');
    assert.equal(findOrder(state, 'a')?.filledQuantity, 0.2);
  });

  it('refuses and counts an illegal transition, leaving the status alone', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, rejected('a', '-2019', 'Margin is insufficient.'));
    const result = apply(state, fill('a', 't1', 1, 100));
    assert.equal(statusOf(state, 'a'), 'REJECTED');
    assert.equal(state.counters.illegalTransitions, 1);
    assert.ok(
      result.outcome === 'applied' && result.change === undefined,
      'the fill books, the status change is refused',
    );
    assert.equal(state.positions.get('BTCUSDT')?.quantity, 1, 'the position is real');
  });

  it('never changes a terminal order on a duplicate terminal event', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, accepted('a'));
    apply(state, fill('a', 't1', 1, 100));
    assert.equal(apply(state, canceled('a')).outcome, 'ignored');
    assert.equal(
      apply(state, { type: 'orderExpired', exchange: EX, clientId: 'a' as ClientOrderId, time: 9 })
        .outcome,
      'ignored',
    );
    assert.equal(statusOf(state, 'a'), 'FILLED');
  });

  it('records the venue reason on a rejection', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, rejected('a', '-5022', 'Post Only order will be rejected.'));
    assert.equal(findOrder(state, 'a')?.reason, '-5022: Post Only order will be rejected.');
  });

  it('declares LOST only as an explicit event, and takes the venue back if it finds the order', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, {
      type: 'orderLost',
      exchange: EX,
      clientId: 'a' as ClientOrderId,
      reason: 'not found after 5 status queries',
      time: 9,
    });
    assert.equal(statusOf(state, 'a'), 'LOST');
    apply(state, fill('a', 't1', 1, 100));
    assert.equal(statusOf(state, 'a'), 'FILLED');
  });

  it('makes partial fills that add up to the quantity FILLED exactly', () => {
    const state = fresh();
    apply(state, requested(request('a', 'BUY', 0.3)));
    apply(state, fill('a', 't1', 0.1, 100));
    apply(state, fill('a', 't2', 0.1, 100));
    apply(state, fill('a', 't3', 0.1, 100));
    const order = findOrder(state, 'a');
    assert.equal(order?.filledQuantity, 0.3);
    assert.equal(order?.status, 'FILLED');
  });
});

describe('apply: accounting', () => {
  it('moves the average on increases and realizes PnL on reductions', () => {
    const state = fresh();
    apply(state, requested(request('b1', 'BUY', 1, 100)));
    apply(state, fill('b1', 't1', 1, 100, { fee: 0 }));
    apply(state, requested(request('b2', 'BUY', 1, 110)));
    apply(state, fill('b2', 't2', 1, 110, { fee: 0 }));
    let position = state.positions.get('BTCUSDT');
    assert.equal(position?.quantity, 2);
    assert.equal(position?.averagePrice, 105);
    apply(state, requested(request('s1', 'SELL', 1.5, 120)));
    apply(state, fill('s1', 't3', 1.5, 120, { side: 'SELL', fee: 0 }));
    position = state.positions.get('BTCUSDT');
    assert.equal(position?.quantity, 0.5);
    assert.equal(position?.averagePrice, 105);
    assert.equal(position?.realizedPnl, 22.5);
    assert.equal(state.balances.get('USDT')?.total, 10_022.5);
  });

  it('keeps the average exact: a ladder that ends flat realizes its sells less its buys', () => {
    const state = fresh();
    apply(state, fill(undefined, 'l1', 0.1, 100, { fee: 0 }));
    apply(state, fill(undefined, 'l2', 0.2, 110, { fee: 0 }));
    const open = state.positions.get('BTCUSDT');
    assert.equal(open?.averagePrice, 320 / 3, 'full precision, not rounded to the tick');
    assert.equal(open?.costBasis, 32);
    apply(state, fill(undefined, 'l3', 0.3, 120, { side: 'SELL', fee: 0 }));
    assert.equal(state.positions.get('BTCUSDT')?.realizedPnl, 4, 'not 3.999999');
    assert.equal(state.balances.get('USDT')?.total, 10_004);
  });

  it('realizes partial closes against the cost basis and the last close takes the rest', () => {
    const state = fresh();
    apply(state, fill(undefined, 'p1', 0.3, 100.1, { fee: 0 }));
    apply(state, fill(undefined, 'p2', 0.3, 100.2, { fee: 0 }));
    apply(state, fill(undefined, 'p3', 0.3, 100.4, { fee: 0 }));
    for (const [i, price] of [101.3, 99.9, 100.7, 102.1, 98.3, 100].entries()) {
      apply(state, fill(undefined, `s${i}`, 0.15, price, { side: 'SELL', fee: 0 }));
    }
    const position = state.positions.get('BTCUSDT');
    assert.equal(position?.quantity, 0);
    assert.equal(position?.costBasis, 0);
    // Σ sells 0.15 × 602.3 = 90.345, Σ buys 0.3 × 300.7 = 90.21
    assert.equal(position?.realizedPnl, 0.135);
  });

  it('flips through zero: realizes the closing leg, opens the rest at the fill price', () => {
    const state = fresh();
    apply(state, requested(request('b', 'BUY', 1, 100)));
    apply(state, fill('b', 't1', 1, 100, { fee: 0 }));
    apply(state, requested(request('s', 'SELL', 3, 90)));
    apply(state, fill('s', 't2', 3, 90, { side: 'SELL', fee: 0 }));
    const position = state.positions.get('BTCUSDT');
    assert.equal(position?.quantity, -2);
    assert.equal(position?.averagePrice, 90);
    assert.equal(position?.realizedPnl, -10);
    apply(state, requested(request('c', 'BUY', 2, 80)));
    apply(state, fill('c', 't3', 2, 80, { fee: 0 }));
    assert.equal(state.positions.get('BTCUSDT')?.realizedPnl, 10);
    assert.equal(state.positions.get('BTCUSDT')?.averagePrice, 0);
  });

  it('charges the schedule fee by liquidity when the venue gives none', () => {
    const state = fresh();
    apply(state, requested(request('a', 'BUY', 0.1, 64000)));
    apply(state, fill('a', 't1', 0.05, 64000, { liquidity: 'MAKER' }));
    apply(state, fill('a', 't2', 0.05, 64000, { liquidity: 'TAKER' }));
    // 3200 × 2 bp + 3200 × 5 bp
    assert.equal(state.positions.get('BTCUSDT')?.commissions, 2.24);
    assert.equal(state.balances.get('USDT')?.total, 9997.76);
    assert.equal(state.fees.get('USDT')?.total, 2.24);
  });

  it('uses the venue fee when reported, in its currency, rebates included', () => {
    const state = fresh();
    apply(state, requested(request('a', 'BUY', 1, 100)));
    apply(
      state,
      fill('a', 't1', 0.5, 100, { fee: -0.01, feeCurrency: 'USDT', liquidity: 'MAKER' }),
    );
    apply(state, fill('a', 't2', 0.5, 100, { fee: 0.002, feeCurrency: 'BNB' }));
    assert.equal(state.balances.get('USDT')?.total, 10_000.01, 'rebate credited');
    assert.equal(
      state.balances.get('BNB')?.total,
      -0.002,
      'third-asset fee debits that asset, not the quote',
    );
    assert.equal(state.positions.get('BTCUSDT')?.commissions, -0.01);
  });

  it('moves base and quote for spot, with a base fee reducing the base received', () => {
    const state = fresh([{ currency: 'USDT', total: 1000, free: 1000, locked: 0 }]);
    apply(state, requested(request('a', 'BUY', 0.01, 50000, BTC_SPOT)));
    apply(
      state,
      fill('a', 't1', 0.01, 50000, { instrument: BTC_SPOT, fee: 0.00001, feeCurrency: 'BTC' }),
    );
    assert.equal(state.balances.get('BTC')?.total, 0.00999);
    assert.equal(state.balances.get('USDT')?.total, 500);
    apply(state, requested(request('b', 'SELL', 0.00999, 51000, BTC_SPOT)));
    apply(state, fill('b', 't2', 0.00999, 51000, { instrument: BTC_SPOT, side: 'SELL' }));
    // 509.49 received less 0.50949 schedule fee in quote
    assert.equal(state.balances.get('USDT')?.total, 1008.98051);
    assert.equal(state.balances.get('BTC')?.total, 0);
  });

  it('books each fill of a batch once, into the right instrument', () => {
    const state = fresh();
    apply(state, requested(request('a', 'BUY', 1, 100)));
    apply(state, requested(request('e', 'SELL', 2, 10, ETH_PERP)));
    const events = [
      fill('a', 't1', 0.5, 100, { fee: 0 }),
      fill('e', 't1', 1, 10, { instrument: ETH_PERP, side: 'SELL', fee: 0 }),
      fill('a', 't2', 0.5, 102, { fee: 0 }),
      fill('e', 't2', 1, 10, { instrument: ETH_PERP, side: 'SELL', fee: 0 }),
    ];
    for (const e of events) apply(state, e);
    assert.equal(state.positions.get('BTCUSDT')?.quantity, 1);
    assert.equal(state.positions.get('BTCUSDT')?.averagePrice, 101);
    assert.equal(state.positions.get('ETHUSDT')?.quantity, -2);
    assert.equal(findOrder(state, 'a')?.averageFillPrice, 101);
    assert.equal(state.balances.get('USDT')?.total, 10_000, 'opening moves no derivative balance');
  });

  it('counts funding once, apart from realized PnL', () => {
    const state = fresh();
    const funding: AccountEvent = {
      type: 'fundingPaid',
      exchange: EX,
      instrument: BTC_PERP,
      amount: -1.25,
      fundingId: 'f1',
      time: 8,
    };
    apply(state, funding);
    assert.equal(apply(state, funding).outcome, 'ignored');
    const position = state.positions.get('BTCUSDT');
    assert.equal(position?.funding, -1.25);
    assert.equal(position?.realizedPnl, 0);
    assert.equal(state.balances.get('USDT')?.total, 9998.75);
  });

  it('replaces local balances with the venue snapshot', () => {
    const state = fresh();
    apply(state, {
      type: 'balanceUpdated',
      exchange: EX,
      balances: [{ currency: 'USDT', total: 512.5, free: 500, locked: 12.5 }],
      time: 1,
    });
    assert.deepEqual(state.balances.get('USDT'), {
      currency: 'USDT',
      total: 512.5,
      free: 500,
      locked: 12.5,
    });
  });

  it('books a fill for an unknown order into the position and counts it', () => {
    const state = fresh();
    const result = apply(state, fill(undefined, 'z1', 1, 100, { venueId: '999', fee: 0 }));
    assert.equal(result.outcome, 'applied');
    assert.equal(state.counters.unmatchedFills, 1);
    assert.equal(state.positions.get('BTCUSDT')?.quantity, 1);
  });

  it('refuses malformed fills without touching state', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    for (const bad of [
      fill('a', 'n1', Number.NaN, 100),
      fill('a', 'n2', -1, 100),
      fill('a', 'n3', 1, 0),
      fill('a', 'n4', 1, 100, { fee: Number.POSITIVE_INFINITY }),
    ]) {
      assert.equal(apply(state, bad).outcome, 'refused');
    }
    assert.equal(state.positions.size, 0);
    assert.equal(findOrder(state, 'a')?.filledQuantity, 0);
  });
});

/** The order given up as LOST */
function given(id: string, time: number): AccountEvent {
  return { type: 'orderLost', exchange: EX, clientId: id as ClientOrderId, reason: 'gone', time };
}

describe('apply: bounded memory', () => {
  it('keeps terminal orders for the grace window, then moves them to a bounded history', () => {
    const state = createAccountState({ exchange: EX, limits: { graceMs: 100, historySize: 2 } });
    for (const id of ['a', 'b', 'c']) {
      apply(state, requested(request(id)));
      apply(state, canceled(id, 10));
    }
    evictTerminal(state, 60);
    assert.equal(state.orders.size, 3, 'still in the grace window');
    apply(state, fill('a', 'late', 0.1, 100));
    assert.equal(findOrder(state, 'a')?.filledQuantity, 0.1, 'late fill books during grace');
    evictTerminal(state, 111);
    assert.deepEqual(
      [...state.history.values()].map((o) => o.clientId),
      ['b', 'c'],
    );
    assert.deepEqual([...state.orders.keys()], ['b', 'c'], 'the oldest forgotten altogether');
    assert.equal(findOrder(state, 'a'), undefined, 'oldest dropped from history');
    assert.equal(findOrder(state, 'c')?.status, 'CANCELED');
    assert.deepEqual(
      state.terminalQueue.slice(0, state.terminalHead),
      [undefined, undefined, undefined],
      'the terminal queue keeps no order it moved on (a dropped order can be collected)',
    );
  });

  it('refuses a request for a clientId it knows, live, in its grace window or in the history, changing nothing', () => {
    const state = createAccountState({ exchange: EX, limits: { graceMs: 100, historySize: 3 } });
    for (const id of ['h', 'g', 'l']) {
      apply(state, requested(request(id)));
      apply(state, accepted(id));
    }
    apply(state, canceled('h', 10));
    evictTerminal(state, 200);
    apply(state, canceled('g', 250));
    const before = new Map(state.orders);
    const live = liveOrders(state).slice();
    for (const id of ['l', 'g', 'h']) {
      const again = apply(state, requested(request(id, 'SELL', 2, 90)));
      assert.equal(again.outcome, 'refused', id);
      assert.equal(again.outcome === 'refused' && again.reason, `duplicate clientId ${id}`);
    }
    // A known clientId on another exchange's request is refused as a duplicate, as before
    const elsewhere = apply(state, requested(request('l', 'BUY', 1, 100, BTC_PERP_OTHER)));
    assert.equal(elsewhere.outcome === 'refused' && elsewhere.reason, 'duplicate clientId l');
    assert.deepEqual([...state.orders], [...before], 'the same orders, in the same order');
    assert.deepEqual(liveOrders(state), live);
    assert.deepEqual(
      [...state.history.values()].map((o) => o.clientId),
      ['h'],
    );
    assert.equal(findOrder(state, 'l')?.side, 'BUY');
    assert.equal(state.counters.refused, 4);
  });

  it('keeps each order once in one map: events name a history order as they did, a revived one leaves the history', () => {
    const state = createAccountState({ exchange: EX, limits: { graceMs: 100, historySize: 3 } });
    for (const id of ['a', 'b', 'c']) {
      apply(state, requested(request(id)));
      apply(state, accepted(id));
      apply(state, id === 'b' ? given(id, 10) : canceled(id, 10));
    }
    apply(state, requested(request('d')));
    evictTerminal(state, 200);
    assert.deepEqual(
      liveOrders(state).map((o) => o.clientId),
      ['d'],
      'the live list never shows the history',
    );
    assert.deepEqual(
      [...state.history.values()].map((o) => o.clientId),
      ['a', 'b', 'c'],
    );
    // A cancel or a loss for an order past its grace window is news about an unknown order, as
    // before the history shared the map; a duplicate request is still refused
    assert.equal(apply(state, cancelRequested('a', 300)).outcome, 'refused');
    assert.equal(
      apply(state, {
        type: 'orderLost',
        exchange: EX,
        clientId: clientOrderId('a'),
        reason: 'x',
        time: 300,
      }).outcome,
      'refused',
    );
    const duplicate = apply(state, requested(request('b')));
    assert.equal(duplicate.outcome, 'refused');
    assert.equal(duplicate.order, undefined, 'the refusal names no live order');
    // The venue id names a live order before a history order by clientId
    apply(state, accepted('d', 'v-d'));
    const named = findTracked(state, {
      clientId: clientOrderId('c'),
      venueOrderId: venueOrderId('v-d'),
    });
    assert.equal(named?.clientId, 'd');
    // A fill revives the LOST b out of the history: live again, listed once, history one shorter
    apply(state, fill('b', 'late', 0.5, 100, { time: 400 }));
    assert.equal(statusOf(state, 'b'), 'PARTIALLY_FILLED');
    assert.deepEqual(
      [...state.history.values()].map((o) => o.clientId),
      ['a', 'c'],
    );
    assert.deepEqual(
      liveOrders(state).map((o) => o.clientId),
      ['d', 'b'],
    );
    // Finished again, b goes back to the history once, after its new grace window
    apply(state, canceled('b', 500));
    evictTerminal(state, 550);
    assert.equal(state.history.size, 2, 'still in its grace window');
    evictTerminal(state, 700);
    assert.deepEqual(
      [...state.history.values()].map((o) => o.clientId),
      ['a', 'c', 'b'],
    );
    // Pushing past the capacity forgets the oldest altogether
    apply(state, canceled('d', 700));
    evictTerminal(state, 900);
    assert.deepEqual(
      [...state.history.values()].map((o) => o.clientId),
      ['c', 'b', 'd'],
    );
    assert.equal(findOrder(state, 'a'), undefined);
    assert.deepEqual([...state.orders.keys()].sort(), ['b', 'c', 'd']);
  });

  it('revives an order in its grace window without moving it to the history twice', () => {
    const state = createAccountState({ exchange: EX, limits: { graceMs: 100 } });
    apply(state, requested(request('a')));
    apply(state, accepted('a'));
    apply(state, given('a', 10));
    apply(state, fill('a', 'late', 0.5, 100, { time: 20 }));
    assert.equal(statusOf(state, 'a'), 'PARTIALLY_FILLED');
    apply(state, canceled('a', 30));
    evictTerminal(state, 500);
    assert.deepEqual(
      [...state.history.values()].map((o) => o.clientId),
      ['a'],
    );
    assert.deepEqual(liveOrders(state), []);
  });

  it('remembers at most dedupSize trade ids', () => {
    const state = createAccountState({ exchange: EX, limits: { dedupSize: 3 } });
    apply(state, requested(request('a', 'BUY', 10)));
    for (let i = 0; i < 10; i++) apply(state, fill('a', `t${i}`, 0.1, 100));
    assert.equal(state.seen.size, 3);
    const symbol = request('a', 'BUY', 10).instrument.symbol;
    assert.deepEqual(
      ['t0', 't6', 't7', 't8', 't9'].map((id) => state.seen.has(symbol, id)),
      [false, false, true, true, true],
      'the newest three, the oldest forgotten first',
    );
  });

  it('forgets trade ids oldest first across the chunks of its memory, and wraps around', () => {
    const state = createAccountState({ exchange: EX, limits: { dedupSize: 5000 } });
    apply(state, requested(request('a', 'BUY', 100)));
    for (let i = 0; i < 12_000; i++) apply(state, fill('a', `t${i}`, 0.001, 100));
    assert.equal(state.seen.size, 5000);
    const symbol = BTC_PERP.symbol;
    assert.deepEqual(
      ['t0', 't6999', 't7000', 't9000', 't11999'].map((id) => state.seen.has(symbol, id)),
      [false, false, true, true, true],
    );
    assert.equal(
      apply(state, fill('a', 't11000', 0.001, 100)).outcome,
      'ignored',
      'a remembered id is a duplicate',
    );
    assert.equal(
      apply(state, fill('a', 't100', 0.001, 100)).outcome,
      'applied',
      'a forgotten one books',
    );
  });
});

describe('apply: reconciliation events', () => {
  it('settles an order from a status report, without booking fills it cannot name', () => {
    const state = fresh();
    apply(state, requested(request('a', 'BUY', 1)));
    const result = apply(state, {
      type: 'orderStatusReported',
      exchange: EX,
      clientId: 'a' as ClientOrderId,
      venueOrderId: venueOrderId('V9'),
      status: 'FILLED',
      filledQuantity: 1,
      averagePrice: 100.5,
      time: 5,
    });
    assert.ok(result.outcome === 'applied' && result.change === 'filled' && result.firstVerdict);
    const order = findOrder(state, 'a');
    assert.equal(order?.status, 'FILLED');
    assert.equal(order?.filledQuantity, 1);
    assert.equal(order?.averageFillPrice, 100.5);
    assert.equal(order?.venueOrderId, 'V9');
    assert.equal(
      state.positions.get('BTCUSDT'),
      undefined,
      'positions come from the venue snapshot, not from guesses',
    );
  });

  it('keeps a pending cancel when the venue reports the order still open, and a later report closes it', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, accepted('a'));
    apply(state, cancelRequested('a', 2));
    assert.equal(
      apply(state, {
        type: 'orderStatusReported',
        exchange: EX,
        clientId: 'a' as ClientOrderId,
        status: 'OPEN',
        filledQuantity: 0,
        time: 3,
      }).outcome,
      'ignored',
    );
    assert.equal(statusOf(state, 'a'), 'PENDING_CANCEL');
    apply(state, {
      type: 'orderStatusReported',
      exchange: EX,
      clientId: 'a' as ClientOrderId,
      status: 'CANCELED',
      filledQuantity: 0,
      time: 4,
    });
    assert.equal(statusOf(state, 'a'), 'CANCELED');
  });

  it('replaces the position with the venue one and keeps local realized PnL and fees', () => {
    const state = fresh();
    apply(state, requested(request('b', 'BUY', 2, 100)));
    apply(state, fill('b', 't1', 2, 100, { fee: 0.5 }));
    apply(state, requested(request('s', 'SELL', 1, 110)));
    apply(state, fill('s', 't2', 1, 110, { side: 'SELL', fee: 0.5 }));
    apply(state, {
      type: 'positionSynced',
      exchange: EX,
      instrument: BTC_PERP,
      quantity: 1.5,
      averagePrice: 101,
      time: 9,
    });
    const position = state.positions.get('BTCUSDT');
    assert.equal(position?.quantity, 1.5);
    assert.equal(position?.averagePrice, 101);
    assert.equal(position?.realizedPnl, 10);
    assert.equal(position?.commissions, 1);
    assert.equal(
      apply(state, {
        type: 'positionSynced',
        exchange: EX,
        instrument: BTC_PERP,
        quantity: 1.5,
        averagePrice: 101,
        time: 10,
      }).outcome,
      'ignored',
    );
  });

  it('adopts one of our orders the journal lost as RECOVERED with its own clientId', () => {
    const state = fresh();
    const result = apply(state, {
      type: 'orderAccepted',
      exchange: EX,
      clientId: 'kabc-17' as ClientOrderId,
      venueOrderId: venueOrderId('V17'),
      adoptAs: 'RECOVERED',
      report: {
        instrument: BTC_PERP,
        side: 'BUY',
        type: 'LIMIT',
        quantity: 1,
        price: 99,
        timeInForce: 'GTC',
        filledQuantity: 0.4,
      },
      time: 1,
    });
    assert.ok(result.outcome === 'applied' && result.change === 'recovered');
    const order = findOrder(state, 'kabc-17');
    assert.equal(order?.origin, 'RECOVERED');
    assert.equal(order?.status, 'PARTIALLY_FILLED');
    assert.equal(order?.filledQuantity, 0.4);
    apply(state, canceledAtVenue('V17', 2));
    assert.equal(statusOf(state, 'kabc-17'), 'CANCELED');
  });

  it('marks a journaled order found live after a restart as RECOVERED', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, accepted('a'));
    const result = apply(state, {
      type: 'orderRecovered',
      exchange: EX,
      clientId: 'a' as ClientOrderId,
      time: 3,
    });
    assert.ok(result.outcome === 'applied' && result.change === 'recovered');
    assert.equal(findOrder(state, 'a')?.origin, 'RECOVERED');
  });
});

describe('apply: the venue is the authority over terminal verdicts', () => {
  function lost(id: string, time = 9): AccountEvent {
    return {
      type: 'orderLost',
      exchange: EX,
      clientId: id as ClientOrderId,
      reason: 'the venue does not know the order',
      time,
    };
  }

  function reported(
    id: string,
    status: 'OPEN' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED',
    filledQuantity: number,
    more: { quantity?: number; price?: number; time?: number } = {},
  ): AccountEvent {
    return {
      type: 'orderStatusReported',
      exchange: EX,
      clientId: id as ClientOrderId,
      venueOrderId: venueOrderId(`v-${id}`),
      status,
      filledQuantity,
      ...more,
      time: more.time ?? 20,
    };
  }

  it('revives a LOST order the venue accepts after all (a submit held up on its way)', () => {
    const state = createAccountState({ exchange: EX, limits: { graceMs: 100 } });
    apply(state, requested(request('a')));
    apply(state, lost('a', 9));
    evictTerminal(state, 500);
    assert.equal(state.history.size, 1, 'moved to history');
    const result = apply(state, accepted('a', 'v-a', 600));
    assert.equal(result.outcome === 'applied' ? result.change : result.outcome, 'accepted');
    assert.equal(statusOf(state, 'a'), 'OPEN');
    assert.equal(state.orders.get('a')?.status, 'OPEN', 'live again, so a stop cancels it');
    assert.equal(findTracked(state, { venueOrderId: venueOrderId('v-a') })?.clientId, 'a');
    assert.deepEqual(
      findOrder(state, 'a')?.transitions.map((t) => `${t.from}→${t.to}`),
      ['PENDING→LOST', 'LOST→OPEN'],
    );
    assert.equal(
      findOrder(state, 'a')?.reason,
      'revived: accepted by the venue after it was declared LOST (the venue does not know the order)',
      'no longer says why it was LOST as if it still were',
    );
  });

  it('revives a LOST order from the history on a fill', () => {
    const state = createAccountState({ exchange: EX, limits: { graceMs: 100 } });
    apply(state, requested(request('a')));
    apply(state, lost('a', 9));
    evictTerminal(state, 500);
    apply(state, fill('a', 't1', 0.4, 100, { time: 600 }));
    assert.equal(state.orders.get('a')?.status, 'PARTIALLY_FILLED');
    assert.equal(state.positions.get('BTCUSDT')?.quantity, 0.4);
    assert.match(
      state.orders.get('a')?.reason ?? '',
      /^revived: filled by the venue after it was declared LOST/,
    );
  });

  it('reinstates a REJECTED order the venue lists open, with its reason, among the live orders', () => {
    const state = createAccountState({ exchange: EX, limits: { graceMs: 100 } });
    apply(state, requested(request('a')));
    apply(
      state,
      rejected('a', '-1001', 'Internal error; unable to process your request. Please try again.'),
    );
    evictTerminal(state, 500);
    const result = apply(state, reported('a', 'OPEN', 0, { time: 600 }));
    assert.equal(result.outcome === 'applied' ? result.change : result.outcome, 'reinstated');
    const order = state.orders.get('a');
    assert.equal(order?.status, 'OPEN');
    assert.equal(order?.reason, 'reinstated: REJECTED here, OPEN at the venue when asked');
    assert.equal(order?.transitions.at(-1)?.cause, 'orderStatusReported');
    // Managed again: a cancel goes through, and the venue's cancel closes it
    apply(state, cancelRequested('a', 601));
    assert.equal(statusOf(state, 'a'), 'PENDING_CANCEL');
    apply(state, canceled('a', 602));
    assert.equal(statusOf(state, 'a'), 'CANCELED');
  });

  it('reinstates a CANCELED order the venue lists open and partly filled', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, accepted('a'));
    apply(state, canceled('a', 3));
    const result = apply(state, reported('a', 'PARTIALLY_FILLED', 0.3));
    assert.equal(result.outcome === 'applied' ? result.change : result.outcome, 'reinstated');
    assert.equal(statusOf(state, 'a'), 'PARTIALLY_FILLED');
    assert.equal(findOrder(state, 'a')?.filledQuantity, 0.3);
  });

  it('never reinstates a FILLED or EXPIRED order', () => {
    const state = fresh();
    apply(state, requested(request('a')));
    apply(state, fill('a', 't1', 1, 100));
    assert.equal(apply(state, reported('a', 'OPEN', 0, { quantity: 2 })).outcome, 'refused');
    assert.equal(findOrder(state, 'a')?.quantity, 1, 'refusing it changes nothing');
    assert.equal(state.counters.illegalTransitions, 1);
    apply(state, requested(request('b')));
    apply(state, { type: 'orderExpired', exchange: EX, clientId: 'b' as ClientOrderId, time: 3 });
    assert.equal(apply(state, reported('b', 'OPEN', 0)).outcome, 'refused');
    assert.equal(statusOf(state, 'b'), 'EXPIRED');
  });

  it('takes the quantity the venue reports (an amend whose answer was lost), so its fill books', () => {
    const state = fresh();
    apply(state, requested(request('a', 'BUY', 0.002, 64000)));
    apply(state, accepted('a'));
    // The venue amended to 0.004 and filled it; we still think 0.002
    const early = apply(state, fill('a', 't1', 0.004, 64000, { fee: 0.1, feeCurrency: 'USDT' }));
    assert.equal(early.outcome, 'refused', 'an overfill of what we know');
    const status = apply(state, reported('a', 'FILLED', 0.004, { quantity: 0.004 }));
    assert.equal(status.outcome === 'applied' ? status.change : status.outcome, 'filled');
    assert.equal(findOrder(state, 'a')?.quantity, 0.004);
    // The fill, delivered again (a snapshot, a resync), now books: trade, position and fee
    const again = apply(state, fill('a', 't1', 0.004, 64000, { fee: 0.1, feeCurrency: 'USDT' }));
    assert.equal(again.outcome, 'applied');
    const order = findOrder(state, 'a');
    assert.equal(order?.status, 'FILLED');
    assert.equal(order?.filledQuantity, 0.004);
    assert.equal(order?.averageFillPrice, 64000);
    assert.equal(state.positions.get('BTCUSDT')?.quantity, 0.004);
    assert.equal(state.fees.get('USDT')?.total, 0.1);
    assert.equal(apply(state, fill('a', 't1', 0.004, 64000)).outcome, 'ignored', 'once');
  });

  it('books the fills a status report told of ahead of them, once, without counting an overfill', () => {
    const state = fresh();
    apply(state, requested(request('a', 'BUY', 1, 100)));
    apply(state, accepted('a'));
    apply(state, { ...reported('a', 'FILLED', 1), averagePrice: 100.5 } as AccountEvent);
    assert.equal(findOrder(state, 'a')?.averageFillPrice, 100.5);
    assert.equal(apply(state, fill('a', 't1', 0.5, 100)).outcome, 'applied');
    assert.equal(findOrder(state, 'a')?.filledQuantity, 1, 'the venue word stands');
    assert.equal(apply(state, fill('a', 't2', 0.5, 101)).outcome, 'applied');
    assert.equal(findOrder(state, 'a')?.averageFillPrice, 100.5);
    assert.equal(apply(state, fill('a', 't3', 0.5, 101)).outcome, 'refused');
    assert.equal(state.counters.overfills, 1);
    assert.equal(state.positions.get('BTCUSDT')?.quantity, 1);
  });

  it('takes an amended price from a status report of a live order', () => {
    const state = fresh();
    apply(state, requested(request('a', 'BUY', 1, 100)));
    apply(state, accepted('a'));
    const result = apply(state, reported('a', 'OPEN', 0, { price: 99.5, quantity: 2 }));
    assert.equal(result.outcome === 'applied' ? result.change : result.outcome, 'amended');
    assert.equal(findOrder(state, 'a')?.price, 99.5);
    assert.equal(findOrder(state, 'a')?.quantity, 2);
    assert.equal(
      apply(state, reported('a', 'OPEN', 0, { price: Number.NaN })).outcome,
      'refused',
      'a malformed price changes nothing',
    );
  });
});
