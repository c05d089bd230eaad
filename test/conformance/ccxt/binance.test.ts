import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { KestrelError } from '../../../src/core/errors.ts';
import { until } from '../../helpers/wait.ts';
import { BinanceVenue, binanceError, binanceRules } from './binance-venue.ts';
import type { KestrelOnVenue } from './harness.ts';
import { cancelAdopted, kestrelOn } from './harness.ts';
import { hasCcxtStatic, requestCases, SKIP_MESSAGE } from './static-fixtures.ts';

/**
 * Kestrel's Binance spot profile through the real ccxt `binance` class, every request checked
 * against Binance's spot rules (binance-venue.ts) and answered from ccxt's captured answers.
 */
describe('conformance: Binance spot through real ccxt', {
  skip: hasCcxtStatic ? false : SKIP_MESSAGE,
}, () => {
  let binance: BinanceVenue | undefined;
  let kestrel: KestrelOnVenue | undefined;
  const start = async () => {
    const venue = new BinanceVenue('spot');
    binance = venue;
    kestrel = await kestrelOn({ exchange: 'binance', wire: venue.wire });
    return { ...kestrel, binance: venue, btc: kestrel.instrument('BTC/USDT') };
  };
  afterEach(async () => {
    await kestrel?.close();
    kestrel = undefined;
    assert.deepEqual(binance?.wire.violations ?? [], [], 'every request keeps Binance spot rules');
    binance = undefined;
  });
  const sent = (method: string) =>
    (binance?.wire.sent(method, '/api/v3/order') ?? []).map(
      (r) => ({ ...r.query, ...(r.body as object) }) as Record<string, string>,
    );

  it("accepts the spot order requests of ccxt's own Binance static tests (the rules are Binance's)", () => {
    const rules = binanceRules('spot', () => false);
    for (const sample of requestCases('binance', 'createOrder')) {
      const url = new URL(sample.url);
      if (url.pathname !== '/api/v3/order' || typeof sample.output !== 'string') continue;
      const body = Object.fromEntries(new URLSearchParams(sample.output));
      if (
        !['LIMIT', 'MARKET', 'LIMIT_MAKER'].includes(body['type'] ?? '') ||
        body['quoteOrderQty'] !== undefined
      )
        continue;
      const problems = rules({
        method: 'POST',
        url: sample.url,
        path: url.pathname,
        query: {},
        body,
        headers: { 'x-mbx-apikey': 'k' },
      });
      assert.deepEqual(problems, [], `createOrder "${sample.description}"`);
    }
  });

  it('submits limit, market, post-only (LIMIT_MAKER) and IOC orders, and refuses reduce-only locally (spot has no positions)', async () => {
    const { trading, btc, account } = await start();
    const limit = await trading.trade(btc, 0.01, 60_000);
    const market = await trading.trade(btc, 0.01);
    const postOnly = await trading.trade(btc, 0.01, 59_000, { postOnly: true });
    const ioc = await trading.trade(btc, 0.01, 59_000, { timeInForce: 'IOC' });
    assert.deepEqual(
      [limit, market, postOnly, ioc].map((o) => o.status),
      ['OPEN', 'OPEN', 'OPEN', 'OPEN'],
    );
    assert.deepEqual(
      sent('POST').map((p) => [
        p['type'],
        p['side'],
        p['quantity'],
        p['price'],
        p['timeInForce'],
        p['newClientOrderId'],
      ]),
      [
        ['LIMIT', 'BUY', '0.01', '60000', 'GTC', limit.clientId],
        ['MARKET', 'BUY', '0.01', undefined, undefined, market.clientId],
        ['LIMIT_MAKER', 'BUY', '0.01', '59000', undefined, postOnly.clientId],
        ['LIMIT', 'BUY', '0.01', '59000', 'IOC', ioc.clientId],
      ],
    );
    const before = binance?.wire.requests.length;
    await assert.rejects(
      () => trading.trade(btc, -0.01, 70_000, { reduceOnly: true }),
      (error: unknown) =>
        error instanceof KestrelError &&
        error.code === 'NOT_SUPPORTED' &&
        error.field === 'reduceOnly',
    );
    assert.equal(binance?.wire.requests.length, before, 'nothing sent');
    assert.equal(account.getOrders().length, 4, 'nothing tracked');
  });

  it('sends a batch order by order (ccxt refuses createOrders on spot), each answered', async () => {
    const { trading, btc } = await start();
    const orders = await trading.submitOrders([
      { instrument: btc, amount: 0.01, price: 50_000 },
      { instrument: btc, amount: 0.01, price: 50_001 },
      { instrument: btc, amount: -0.01, price: 70_000 },
    ]);
    assert.deepEqual(
      orders.map((o) => o.status),
      ['OPEN', 'OPEN', 'OPEN'],
    );
    assert.equal(sent('POST').length, 3);
    assert.equal(binance?.wire.requests.filter((r) => r.path.includes('batch')).length, 0);
  });

  it("cancels by origClientOrderId and keeps our clientId though the answer's clientOrderId is the cancel's own", async () => {
    const { trading, btc, account, logger } = await start();
    const order = await trading.trade(btc, 0.01, 60_000);
    await trading.cancelOrder(order);
    assert.equal(sent('DELETE')[0]?.['origClientOrderId'], order.clientId);
    assert.equal(account.findOrder(order.clientId)?.status, 'CANCELED');
    assert.equal(logger.records.filter((r) => r.message.includes('another client id')).length, 0);
  });

  it('cancels a PENDING order (the venue placed it, its answer was lost) by origClientOrderId', async () => {
    const { trading, btc, account, binance } = await start();
    binance.wire.loseNext('POST', '/api/v3/order', 503);
    const id = trading.tradeAsync(btc, 0.01, 60_000);
    await until(
      () => binance.byClientId(id) !== undefined && account.findOrder(id)?.status === 'PENDING',
      'the lost answer',
    );
    await trading.cancelOrder(id);
    const cancel = sent('DELETE')[0];
    assert.equal(cancel?.['origClientOrderId'], id);
    assert.equal(cancel?.['orderId'], undefined);
    assert.equal(account.findOrder(id)?.status, 'CANCELED');
  });

  it('refuses an amend locally (a spot edit is a cancel-replace with a new id), sending nothing', async () => {
    const { trading, btc, binance } = await start();
    const order = await trading.trade(btc, 0.01, 60_000);
    const before = binance.wire.requests.length;
    await assert.rejects(
      () => trading.updateOrder(order, { price: 60_500 }),
      (error: unknown) => error instanceof KestrelError && error.code === 'NOT_SUPPORTED',
    );
    assert.equal(binance.wire.requests.length, before);
  });

  it('asks after an unknown order by origClientOrderId and hears -2013 as "unknown"', async () => {
    const { trading, btc, venue, account, binance } = await start();
    const order = await trading.trade(btc, 0.01, 60_000);
    binance.orders.clear();
    assert.equal(await venue.queryOrder(account.findOrder(order.clientId) ?? order), undefined);
    const lookup = binance.wire.sent('GET', '/api/v3/order').at(-1);
    assert.equal(lookup?.query['origClientOrderId'], order.clientId);
  });

  it('recovers 1,100 missed fills over two pages of myTrades, each once, and never asks the futures API', async () => {
    const { trading, btc, venue, account, binance } = await start();
    const order = await trading.trade(btc, 1.1, 60_000);
    const venueOrder = binance.byClientId(order.clientId);
    assert.ok(venueOrder);
    const base = account.findOrder(order.clientId)?.createdAt ?? Date.now();
    for (let i = 0; i < 1100; i++)
      binance.fill(venueOrder, '0.001', '60000', base + Math.floor(i / 3));
    await venue.resync();
    const pages = binance.wire.sent('GET', '/api/v3/myTrades');
    assert.equal(pages.length, 2);
    assert.equal(account.findOrder(order.clientId)?.status, 'FILLED');
    const snapshot = await venue.fetchSnapshot({ since: base - 1000 });
    assert.equal(snapshot.fills.length, 1100);
    assert.deepEqual(snapshot.positions, []);
  });

  it('classifies -2010 as a venue rejection and a 503 as ambiguous (PENDING, then asked after)', async () => {
    const { trading, btc, account, binance } = await start();
    binance.wire.next('POST', '/api/v3/order', () =>
      binanceError(-2010, 'Account has insufficient balance for requested action.'),
    );
    const rejected = await trading.trade(btc, 10, 60_000);
    assert.equal(rejected.status, 'REJECTED');
    assert.match(rejected.reason ?? '', /^-2010: .*insufficient balance/);
    binance.wire.next('POST', '/api/v3/order', () => ({
      status: 503,
      body: 'Service Unavailable',
    }));
    const ambiguous = await trading.trade(btc, 0.01, 60_000);
    assert.equal(ambiguous.status, 'PENDING');
    await until(
      () =>
        binance.wire
          .sent('GET', '/api/v3/order')
          .some((r) => r.query['origClientOrderId'] === ambiguous.clientId),
      'a status query by origClientOrderId',
    );
    assert.notEqual(account.findOrder(ambiguous.clientId)?.status, 'REJECTED');
  });

  it('cancels an order placed outside Kestrel (adopted EXTERNAL) by its venue id alone', async () => {
    const { trading, btc, venue, account, binance } = await start();
    await trading.trade(btc, 0.01, 50_000);
    const foreign = binance.placeForeign({
      symbol: 'BTCUSDT',
      side: 'SELL',
      type: 'LIMIT',
      quantity: '0.02',
      price: '70000',
      timeInForce: 'GTC',
    });
    const id = await cancelAdopted({ venue, account, trading }, foreign.orderId);
    const cancel = sent('DELETE').at(-1);
    assert.deepEqual(
      [cancel?.['orderId'], cancel?.['origClientOrderId']],
      [String(foreign.orderId), undefined],
    );
    assert.equal(account.findOrder(id)?.status, 'CANCELED');
  });
});
