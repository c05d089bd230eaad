import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BTC_PERP } from '../../test/helpers/instruments.ts';
import type { ErrorCode } from './errors.ts';
import { KestrelError } from './errors.ts';
import { clientOrderId } from './ids.ts';
import type { OrderSpec } from './order-request.ts';
import { createOrderRequest } from './order-request.ts';

const base: OrderSpec = {
  clientId: clientOrderId('c1'),
  instrument: BTC_PERP,
  side: 'BUY',
  quantity: 0.0105,
  orderType: 'LIMIT',
  price: 64000.07,
  timeInForce: 'GTC',
};

describe('createOrderRequest', () => {
  it('rounds size down to the lot and the price to the passive tick', () => {
    const request = createOrderRequest(base);
    assert.equal(request.quantity, 0.01);
    assert.equal(request.price, 64000);
    assert.equal(request.clientId, 'c1');
    assert.equal(request.reduceOnly, false);
    assert.deepEqual(request.options, {});
  });

  it('copies options so the broker never writes into the caller object', () => {
    const options = { tag: 'x' };
    const request = createOrderRequest({ ...base, options });
    request.options['venueKey'] = 1;
    assert.deepEqual(options, { tag: 'x' });
  });

  it('refuses bad input with a typed error naming field and value', () => {
    const cases: Array<[string, Partial<OrderSpec>, ErrorCode, string]> = [
      ['size below min after rounding to lot', { quantity: 0.0009 }, 'SIZE_BELOW_MIN', 'quantity'],
      ['notional below min', { quantity: 0.001, price: 1000 }, 'NOTIONAL_BELOW_MIN', 'quantity'],
      ['limit without price', { price: undefined }, 'PRICE_REQUIRED', 'price'],
      ['negative quantity', { quantity: -1 }, 'INVALID_QUANTITY', 'quantity'],
      ['NaN quantity', { quantity: Number.NaN }, 'INVALID_QUANTITY', 'quantity'],
      ['zero price', { price: 0 }, 'INVALID_PRICE', 'price'],
      [
        'market with a price',
        { orderType: 'MARKET', timeInForce: 'IOC' },
        'INVALID_ARGUMENT',
        'price',
      ],
      ['stop without stop price', { orderType: 'STOP_LIMIT' }, 'STOP_PRICE_REQUIRED', 'stopPrice'],
      [
        'post-only market',
        { orderType: 'MARKET', price: undefined, timeInForce: 'GTX' },
        'INVALID_ARGUMENT',
        'timeInForce',
      ],
      ['unknown side', { side: 'LONG' as never }, 'INVALID_ARGUMENT', 'side'],
      ['unknown time in force', { timeInForce: 'DAY' as never }, 'INVALID_ARGUMENT', 'timeInForce'],
    ];
    for (const [name, patch, code, field] of cases) {
      assert.throws(
        () => createOrderRequest({ ...base, ...patch }),
        (error: unknown) =>
          error instanceof KestrelError &&
          error.code === code &&
          error.field === field &&
          error.kind === 'local',
        name,
      );
    }
  });

  it('values market orders at the reference price and exempts reduce-only from min notional', () => {
    const market: OrderSpec = {
      ...base,
      orderType: 'MARKET',
      price: undefined,
      timeInForce: 'IOC',
      quantity: 0.001,
    };
    assert.throws(() => createOrderRequest({ ...market, referencePrice: 1000 }), {
      code: 'NOTIONAL_BELOW_MIN',
    });
    assert.equal(
      createOrderRequest(market).quantity,
      0.001,
      'no reference price: the venue judges',
    );
    assert.equal(
      createOrderRequest({ ...market, referencePrice: 1000, reduceOnly: true }).reduceOnly,
      true,
    );
  });

  it('says which minimum a refused size missed, in exact decimals', () => {
    assert.throws(() => createOrderRequest({ ...base, quantity: 0.0009 }), {
      message: 'quantity 0.0009 rounds to 0 on lot 0.001, below the minimum size 0.001 of BTCUSDT',
    });
  });

  it('has the same fields in the same order for every kind of order, the absent ones absent', () => {
    const keys = (spec: Partial<OrderSpec>) =>
      Object.keys(createOrderRequest({ ...base, ...spec }));
    const common = ['clientId', 'instrument', 'side', 'quantity', 'orderType', 'timeInForce'];
    assert.deepEqual(keys({}), [...common, 'reduceOnly', 'options', 'price'], 'a plain limit');
    assert.deepEqual(
      keys({ orderType: 'MARKET', price: undefined, timeInForce: 'IOC' }),
      [...common, 'reduceOnly', 'options'],
      'a market order has no price key',
    );
    assert.deepEqual(
      keys({ orderType: 'STOP_LIMIT', stopPrice: 65000 }),
      [...common, 'reduceOnly', 'options', 'price', 'stopPrice'],
      'a stop limit',
    );
    assert.deepEqual(
      keys({ positionSide: 'LONG' }),
      [...common, 'reduceOnly', 'options', 'price', 'positionSide'],
      'a hedge-mode leg',
    );
  });
});
