import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrackedOrder } from '../../core/account.ts';
import { KestrelError } from '../../core/errors.ts';
import { clientOrderId } from '../../core/ids.ts';
import type { Quote } from '../../core/market-data.ts';
import type { OrderSpec } from '../../core/order-request.ts';
import { createOrderRequest } from '../../core/order-request.ts';
import { SimulatedClock } from '../../engine/clock.ts';
import { silentLogger } from '../../engine/logger.ts';
import { LighterBroker } from './broker.ts';
import { createClientOrderIndexAllocator } from './client-order-index.ts';
import { DEFAULT_TX_TTL_MS } from './constants.ts';
import { toLighterMarket } from './markets.ts';
import { LighterOrderRegistry } from './order-registry.ts';
import { LighterRestClient } from './rest-client.ts';

const ETH = toLighterMarket({
  symbol: 'ETH',
  market_id: 0,
  status: 'active',
  taker_fee: '0.0196',
  maker_fee: '0.0028',
  min_base_amount: '0.0050',
  min_quote_amount: '10.000000',
  supported_size_decimals: 4,
  supported_price_decimals: 2,
  size_decimals: 4,
  price_decimals: 2,
});

function setup(quote?: Quote) {
  const clock = new SimulatedClock(1_790_000_000_000);
  const registry = new LighterOrderRegistry();
  const allocator = createClientOrderIndexAllocator({ clock });
  const broker = new LighterBroker({
    exchange: 'lighter',
    clock,
    logger: silentLogger,
    rest: new LighterRestClient({ baseUrl: 'http://127.0.0.1:9', clock, timeoutMs: 10 }),
    registry,
    allocator,
    maxBatchSize: 15,
    marketSlippage: 0.05,
    checkTxHash: false,
    txTtlMs: DEFAULT_TX_TTL_MS,
    market: (symbol) => (symbol === 'ETH' ? ETH : undefined),
    keys: () => undefined,
    quote: () => quote,
    watch: () => {},
  });
  const request = (spec: Partial<OrderSpec> = {}) =>
    createOrderRequest({
      clientId: clientOrderId('k-1'),
      instrument: ETH.instrument,
      side: 'BUY',
      quantity: 0.0123,
      orderType: 'LIMIT',
      price: 2000.11,
      timeInForce: 'GTC',
      ...spec,
    });
  return { broker, registry, allocator, request };
}

describe('lighter broker prepare', () => {
  it('adds the client order index to options and registers it; the clientId is untouched', () => {
    const { broker, registry, request } = setup();
    const order = request();
    broker.prepare(order);
    const index = order.options['lighterClientOrderIndex'];
    assert.equal(index, 1_790_000_000_000);
    assert.equal(order.clientId, 'k-1');
    assert.equal(broker.correlationKey(order), '1790000000000');
    assert.equal(registry.clientIdOf(1_790_000_000_000), 'k-1');
    const next = request({ clientId: clientOrderId('k-2') });
    broker.prepare(next);
    assert.equal(next.options['lighterClientOrderIndex'], 1_790_000_000_001, 'monotonic, unique');
  });

  it('takes a given index (a recovered order) and keeps later ones above it', () => {
    const { broker, request } = setup();
    const recovered = request({ options: { lighterClientOrderIndex: 1_800_000_000_000 } });
    broker.prepare(recovered);
    assert.equal(recovered.options['lighterClientOrderIndex'], 1_800_000_000_000);
    const next = request({ clientId: clientOrderId('k-2') });
    broker.prepare(next);
    assert.equal(next.options['lighterClientOrderIndex'], 1_800_000_000_001);
    assert.throws(
      () =>
        broker.prepare(
          request({
            clientId: clientOrderId('k-3'),
            options: { lighterClientOrderIndex: 2 ** 48 },
          }),
        ),
      (error: unknown) => error instanceof KestrelError && error.kind === 'local',
    );
  });

  it('refuses what Lighter cannot do, locally, before anything is tracked', () => {
    const { broker, request } = setup();
    const refused = (spec: Partial<OrderSpec>, code: string) =>
      assert.throws(
        () => broker.prepare(request(spec)),
        (error: unknown) => error instanceof KestrelError && error.code === code,
      );
    refused({ timeInForce: 'FOK' }, 'NOT_SUPPORTED');
    refused({ orderType: 'STOP_LIMIT', stopPrice: 1990 }, 'NOT_SUPPORTED');
    refused({ orderType: 'MARKET', price: undefined, timeInForce: 'IOC' }, 'PRICE_REQUIRED');
    refused({ instrument: { ...ETH.instrument, symbol: 'DOGE' } }, 'UNKNOWN_INSTRUMENT');
  });

  it('bounds a market order by the touch ± slippage, rounded away from the touch onto the tick', () => {
    const quote: Quote = {
      type: 'quote',
      instrument: ETH.instrument,
      time: 0,
      bid: 2000.01,
      bidSize: 1,
      ask: 2000.03,
      askSize: 1,
    };
    const { broker, request } = setup(quote);
    const buy = request({ orderType: 'MARKET', price: undefined, timeInForce: 'IOC' });
    broker.prepare(buy);
    assert.equal(buy.options['lighterWorstPrice'], 2100.04, '2000.03 × 1.05 = 2100.0315 → up');
    const sell = request({
      clientId: clientOrderId('k-2'),
      side: 'SELL',
      orderType: 'MARKET',
      price: undefined,
      timeInForce: 'IOC',
    });
    broker.prepare(sell);
    assert.equal(sell.options['lighterWorstPrice'], 1900, '2000.01 × 0.95 = 1900.0095 → down');
  });
});

describe('lighter broker restore', () => {
  const tracked = (
    clientId: string,
    correlationKey: string | undefined,
    extra: Partial<TrackedOrder> = {},
  ): TrackedOrder => ({
    clientId: clientOrderId(clientId),
    venueOrderId: undefined,
    instrument: ETH.instrument,
    side: 'BUY',
    type: 'LIMIT',
    timeInForce: 'GTC',
    quantity: 0.01,
    price: 2000,
    stopPrice: undefined,
    reduceOnly: false,
    positionSide: undefined,
    status: 'OPEN',
    filledQuantity: 0,
    averageFillPrice: 0,
    origin: 'FRAMEWORK',
    reason: undefined,
    createdAt: 1_789_000_000_000,
    updatedAt: 1_789_000_000_000,
    transitions: [],
    correlationKey,
    answered: true,
    ...extra,
  });

  it('maps every journaled index back to its clientId and allocates past the highest of ours', () => {
    const { broker, registry, allocator, request } = setup();
    broker.restore([
      tracked('k-a', '1795000000000'),
      tracked('k-b', '1795000000007', { status: 'FILLED' }),
      tracked('k-c', '1790000000003', {
        status: 'PENDING',
        answered: false,
        createdAt: 1_789_999_000_000,
      }),
      // Someone else's index (an adopted order) maps nowhere and does not move the allocator
      tracked('ext:281474976710999', '281474976710000', { origin: 'EXTERNAL' }),
      tracked('k-d', undefined),
    ]);
    assert.equal(registry.clientIdOf(1_795_000_000_000), 'k-a');
    assert.equal(registry.clientIdOf(1_795_000_000_007), 'k-b');
    assert.equal(registry.indexOf('k-c'), 1_790_000_000_003);
    assert.equal(registry.clientIdOf(281_474_976_710_000), undefined);
    assert.equal(allocator.lastAllocated, 1_795_000_000_007);
    assert.equal(
      registry.txExpiry('k-c'),
      1_789_999_000_000 + DEFAULT_TX_TTL_MS + 60_000,
      'a never-answered create is taken to expire one TTL (plus signing slack) after it was made',
    );
    assert.equal(registry.txExpiry('k-a'), undefined);
    const next = request({ clientId: clientOrderId('k-e') });
    broker.prepare(next);
    assert.equal(next.options['lighterClientOrderIndex'], 1_795_000_000_008);
  });
});
