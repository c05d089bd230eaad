import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BTC_PERP } from '../../test/helpers/instruments.ts';
import type { AccountState } from './account.ts';
import { apply, createAccountState, markPrice } from './account.ts';
import { KestrelError } from './errors.ts';
import type { AccountEvent } from './events.ts';
import type { ClientOrderId } from './ids.ts';
import { clientOrderId, tradeId } from './ids.ts';
import type { PositionSide, Side } from './order.ts';
import { createOrderRequest } from './order-request.ts';
import { positionKey } from './position.ts';

const EX = BTC_PERP.exchange;

function order(
  state: AccountState,
  id: string,
  side: Side,
  quantity: number,
  positionSide?: PositionSide,
  reduceOnly = false,
): void {
  const request = createOrderRequest({
    clientId: clientOrderId(id),
    instrument: BTC_PERP,
    side,
    quantity,
    orderType: 'LIMIT',
    price: 100,
    timeInForce: 'GTC',
    reduceOnly,
    positionSide,
  });
  apply(state, { type: 'orderRequested', request, time: 0 });
}

function fill(
  state: AccountState,
  id: string,
  trade: string,
  side: Side,
  quantity: number,
  price: number,
): void {
  const event: AccountEvent = {
    type: 'orderFilled',
    exchange: EX,
    clientId: id as ClientOrderId,
    time: 1,
    fill: {
      tradeId: tradeId(trade),
      clientId: id as ClientOrderId,
      instrument: BTC_PERP,
      side,
      quantity,
      price,
      fee: 0,
      liquidity: 'TAKER',
      time: 1,
    },
  };
  apply(state, event);
}

describe('positions per leg on a hedge-mode account', () => {
  it('books each order into the leg it names: a long and a short held at once, each with its own average and realized PnL', () => {
    const state = createAccountState({ exchange: EX });
    order(state, 'long-open', 'BUY', 2, 'LONG');
    order(state, 'short-open', 'SELL', 3, 'SHORT');
    fill(state, 'long-open', 't1', 'BUY', 2, 100);
    fill(state, 'short-open', 't2', 'SELL', 3, 110);
    const long = state.positions.get(positionKey(BTC_PERP.symbol, 'LONG'));
    const short = state.positions.get(positionKey(BTC_PERP.symbol, 'SHORT'));
    assert.deepEqual([long?.quantity, long?.averagePrice, long?.side], [2, 100, 'LONG']);
    assert.deepEqual([short?.quantity, short?.averagePrice, short?.side], [-3, 110, 'SHORT']);
    assert.equal(state.positions.get(BTC_PERP.symbol), undefined, 'no net position');

    order(state, 'long-close', 'SELL', 2, 'LONG', true);
    order(state, 'short-close', 'BUY', 1, 'SHORT', true);
    fill(state, 'long-close', 't3', 'SELL', 2, 105);
    fill(state, 'short-close', 't4', 'BUY', 1, 100);
    assert.deepEqual([long?.quantity, long?.realizedPnl], [0, 10 * BTC_PERP.contractSize]);
    assert.deepEqual([short?.quantity, short?.realizedPnl], [-2, 10 * BTC_PERP.contractSize]);
    markPrice(state, BTC_PERP, 90);
    assert.equal(short?.unrealizedPnl, 40 * BTC_PERP.contractSize, 'the legs are marked too');
  });

  it('keeps a one-way account net, as before: a sell after a buy reduces the one position', () => {
    const state = createAccountState({ exchange: EX });
    order(state, 'a', 'BUY', 2);
    order(state, 'b', 'SELL', 3);
    fill(state, 'a', 't1', 'BUY', 2, 100);
    fill(state, 'b', 't2', 'SELL', 3, 110);
    assert.equal(state.positions.size, 1);
    assert.equal(state.positions.get(BTC_PERP.symbol)?.quantity, -1);
    assert.equal(state.hedged, false);
  });

  it('syncs a leg from the venue without touching the other', () => {
    const state = createAccountState({ exchange: EX });
    apply(state, {
      type: 'positionSynced',
      exchange: EX,
      instrument: BTC_PERP,
      positionSide: 'SHORT',
      quantity: -4,
      averagePrice: 120,
      time: 2,
    });
    apply(state, {
      type: 'positionSynced',
      exchange: EX,
      instrument: BTC_PERP,
      positionSide: 'LONG',
      quantity: 1,
      averagePrice: 100,
      time: 2,
    });
    assert.equal(state.positions.get(positionKey(BTC_PERP.symbol, 'SHORT'))?.quantity, -4);
    assert.equal(state.positions.get(positionKey(BTC_PERP.symbol, 'LONG'))?.quantity, 1);
  });

  it('refuses a reduce-only order that would open its leg, naming the field and value', () => {
    for (const [side, leg] of [
      ['BUY', 'LONG'],
      ['SELL', 'SHORT'],
    ] as const) {
      assert.throws(
        () => order(createAccountState({ exchange: EX }), 'x', side, 1, leg, true),
        (error: unknown) =>
          error instanceof KestrelError &&
          error.code === 'INVALID_ARGUMENT' &&
          error.field === 'positionSide' &&
          error.value === leg &&
          error.message.includes(`a ${side} opens the ${leg} leg`),
      );
    }
    assert.throws(
      () => order(createAccountState({ exchange: EX }), 'y', 'BUY', 1, 'BOTH' as PositionSide),
      (error: unknown) =>
        error instanceof KestrelError && error.field === 'positionSide' && error.value === 'BOTH',
    );
  });
});
