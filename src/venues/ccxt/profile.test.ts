import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ccxt from 'ccxt';
import { BTC_PERP, BTC_SPOT } from '../../../test/helpers/instruments.ts';
import { clientOrderId } from '../../core/ids.ts';
import type { OrderType } from '../../core/order.ts';
import { createOrderRequest } from '../../core/order-request.ts';
import { systemClock } from '../../engine/clock.ts';
import { createMemoryLogger } from '../../engine/logger.ts';
import { loadCcxtConfig } from './config.ts';
import { createExchange } from './exchange.ts';
import { orderArguments } from './order-arguments.ts';
import { describeProfile } from './profile.ts';
import { genericProfile } from './profiles/generic.ts';
import { PROFILES } from './profiles/registry.ts';
import { createCcxtVenue } from './venue.ts';

describe('venue profiles', () => {
  it('have one per exchange of the issue, each for a ccxt pro class, with batch sizes within what ccxt allows', () => {
    assert.deepEqual([...PROFILES.keys()].sort(), [
      'binance',
      'binanceusdm',
      'bybit',
      'hyperliquid',
      'okx',
    ]);
    for (const [id, profile] of PROFILES) {
      const Exchange = (ccxt.pro as unknown as Record<string, new () => { features?: unknown }>)[
        id
      ];
      assert.ok(Exchange, `ccxt pro has ${id}`);
      assert.equal(profile.checked, true);
      assert.deepEqual(profile.unchecked, []);
      for (const size of Object.values(profile.batch))
        assert.ok(size !== undefined && size >= 2 && size <= 20);
    }
  });

  it('stand in for an exchange without one with ccxt generic behaviour, naming what could not be checked', () => {
    const kraken = genericProfile(new ccxt.pro.kraken() as never);
    assert.equal(kraken.checked, false);
    assert.equal(kraken.clientIdParam, undefined, 'a PENDING cancel waits for the venue id');
    assert.equal(kraken.hedge, undefined);
    assert.match(
      describeProfile(kraken, 'oneWay'),
      /^venue profile: none for kraken, ccxt's generic behaviour \(not checked: the client-id format.*error codes.*trade-history paging.*position mode/,
    );
  });

  it('print what a run drives: the profile, how our clientId travels, cancels, batches and the position mode', () => {
    const bybit = PROFILES.get('bybit');
    assert.ok(bybit);
    assert.equal(
      describeProfile(bybit, 'hedge'),
      [
        'venue profile: Bybit v5 (linear perpetuals and spot) (ccxt bybit), hedge mode (a LONG and a SHORT leg per market)',
        '  client ids: orderLinkId (1 to 36 of letters, digits, - and _), encoded where ours does not fit; cancels by orderLinkId; 10 per spot batch, 10 per swap batch',
      ].join('\n'),
    );
  });

  it('refuse hedge mode at creation where the venue has none (Hyperliquid)', () => {
    assert.throws(
      () =>
        createCcxtVenue(
          loadCcxtConfig({
            exchange: 'hyperliquid',
            env: {},
            overrides: { positionMode: 'hedge' },
          }),
          { clock: systemClock, logger: createMemoryLogger() },
        ),
      (error: unknown) =>
        (error as { code?: string; field?: string }).code === 'INVALID_CONFIG' &&
        (error as { field?: string }).field === 'positionMode',
    );
  });

  it('take stop orders where the profile has them (Binance USDⓈ-M perpetuals) and refuse them elsewhere, naming the field and value', () => {
    const venueOf = (exchange: string) =>
      createCcxtVenue(loadCcxtConfig({ exchange, env: {} }), {
        clock: systemClock,
        logger: createMemoryLogger(),
      });
    const stop = (orderType: OrderType, instrument = BTC_PERP) =>
      createOrderRequest({
        clientId: clientOrderId(`stop-${orderType}`),
        instrument,
        side: 'SELL',
        quantity: 0.002,
        orderType,
        ...(orderType === 'STOP_LIMIT' ? { price: 62900 } : {}),
        stopPrice: 63000,
        timeInForce: orderType === 'STOP_LIMIT' ? 'GTC' : 'IOC',
        reduceOnly: true,
      });
    const usdm = venueOf('binanceusdm');
    const profile = usdm.broker.profile;
    usdm.broker.prepare(stop('STOP_MARKET'));
    assert.deepEqual(orderArguments(stop('STOP_MARKET'), profile), {
      symbol: 'BTCUSDT',
      type: 'market',
      side: 'sell',
      amount: 0.002,
      price: undefined,
      params: { clientOrderId: 'stop-STOP_MARKET', triggerPrice: 63000, reduceOnly: true },
    });
    const limit = orderArguments(stop('STOP_LIMIT'), profile);
    assert.deepEqual(
      [limit.type, limit.price, limit.params['triggerPrice'], limit.params['timeInForce']],
      ['limit', 62900, 63000, 'GTC'],
    );
    const refusal = (exchange: string, instrument = BTC_PERP) => {
      try {
        venueOf(exchange).broker.prepare(stop('STOP_MARKET', instrument));
      } catch (error) {
        const { code, field, value, message } = error as KestrelErrorLike;
        return [code, field, value, message];
      }
      return undefined;
    };
    const [code, field, value, message] = refusal('bybit') ?? [];
    assert.deepEqual([code, field, value], ['NOT_SUPPORTED', 'orderType', 'STOP_MARKET']);
    assert.match(String(message), /is not supported by the ccxt broker on Bybit v5/);
    const future = refusal('binanceusdm', { ...BTC_PERP, marketType: 'FUTURE' });
    assert.equal(future?.[0], 'NOT_SUPPORTED');
    assert.match(String(future?.[3]), /future markets of Binance USDⓈ-M futures \(swap only\)/);
    assert.equal(refusal('binanceusdm', BTC_SPOT)?.[0], 'NOT_SUPPORTED');
  });
});

interface KestrelErrorLike {
  readonly code: string;
  readonly field: string;
  readonly value: unknown;
  readonly message: string;
}

describe('venue profiles: pacing of batches', () => {
  /** What Kestrel's ccxt exchange charges its pacing bucket for one request, in ms */
  const pacedMs = (exchange: string, path: string, params: unknown) => {
    const { exchange: instance, shutdown } = createExchange(
      loadCcxtConfig({ exchange, apiKey: 'k', secret: 's', password: 'p', env: {} }),
      systemClock,
      'private',
      undefined,
      PROFILES.get(exchange),
    );
    const ccxtInstance = instance as unknown as {
      rateLimit: number;
      calculateRateLimiterCost(...args: unknown[]): number;
    };
    const cost = ccxtInstance.calculateRateLimiterCost('private', 'POST', path, params, {
      cost: 1,
    });
    void shutdown();
    return cost * ccxtInstance.rateLimit;
  };

  it('charge a batch per order it carries where the venue counts each (OKX 300 per 2 s, Bybit 10 a second)', () => {
    const orders = (n: number) => Array.from({ length: n }, () => ({}));
    // OKX: batches of 20 back to back, plus one at the window's start, stay within 300 per 2 s
    const okx = pacedMs('okx', 'trade/batch-orders', orders(20));
    assert.ok((Math.floor(2000 / okx) + 1) * 20 <= 300, `OKX batch of 20 paced ${okx} ms`);
    assert.equal(pacedMs('okx', 'trade/batch-orders', orders(2)) * 10, okx, 'by its size');
    // Bybit: a create-batch of 10 takes the endpoint's whole second
    const bybit = pacedMs('bybit', 'v5/order/create-batch', {
      category: 'linear',
      request: orders(10),
    });
    assert.ok(bybit >= 1000, `Bybit batch of 10 paced ${bybit} ms`);
    assert.equal(
      pacedMs('bybit', 'v5/order/create-batch', { category: 'linear', request: orders(1) }) * 10,
      bybit,
    );
  });
});
