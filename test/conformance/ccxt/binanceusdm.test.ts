import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { until } from '../../helpers/wait.ts';
import { BinanceVenue, binanceError, binanceRules } from './binance-venue.ts';
import type { KestrelOnVenue } from './harness.ts';
import { cancelAdopted, kestrelOn } from './harness.ts';
import { hasCcxtStatic, requestCases, SKIP_MESSAGE } from './static-fixtures.ts';

const DAY_MS = 86_400_000;

/**
 * Kestrel's Binance USDⓈ-M profile through the real ccxt `binanceusdm` class, every request
 * checked against Binance's futures rules (binance-venue.ts) and answered from ccxt's captured
 * answers.
 */
describe('conformance: Binance USDⓈ-M through real ccxt', {
  skip: hasCcxtStatic ? false : SKIP_MESSAGE,
}, () => {
  let binance: BinanceVenue | undefined;
  let kestrel: KestrelOnVenue | undefined;
  const start = async (overrides = {}) => {
    const venue = new BinanceVenue('usdm');
    binance = venue;
    kestrel = await kestrelOn({ exchange: 'binanceusdm', wire: venue.wire, overrides });
    return { ...kestrel, binance: venue, perp: kestrel.instrument('BTC/USDT:USDT') };
  };
  afterEach(async () => {
    await kestrel?.close();
    kestrel = undefined;
    assert.deepEqual(
      binance?.wire.violations ?? [],
      [],
      'every request keeps Binance USDⓈ-M rules',
    );
    binance = undefined;
  });
  const sent = (method: string, path = '/fapi/v1/order') =>
    (binance?.wire.sent(method, path) ?? []).map(
      (r) => ({ ...r.query, ...(r.body as object) }) as Record<string, string>,
    );

  it("accepts the USDⓈ-M order requests of ccxt's own Binance static tests (the rules are Binance's)", () => {
    const rules = binanceRules('usdm', () => false);
    let checked = 0;
    for (const sample of requestCases('binance', 'createOrder')) {
      const url = new URL(sample.url);
      if (url.pathname !== '/fapi/v1/order' || typeof sample.output !== 'string') continue;
      const body = Object.fromEntries(new URLSearchParams(sample.output));
      if (!['LIMIT', 'MARKET'].includes(body['type'] ?? '') || body['positionSide'] !== undefined)
        continue;
      checked += 1;
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
    assert.ok(checked > 0);
  });

  it('submits limit, market, post-only (GTX), IOC and reduce-only orders, our clientId as newClientOrderId', async () => {
    const { trading, perp } = await start();
    const orders = [
      await trading.trade(perp, 0.01, 60_000),
      await trading.trade(perp, 0.01),
      await trading.trade(perp, 0.01, 59_000, { postOnly: true }),
      await trading.trade(perp, 0.01, 59_000, { timeInForce: 'IOC' }),
      await trading.trade(perp, -0.01, 70_000, { reduceOnly: true }),
    ];
    assert.deepEqual(
      orders.map((o) => o.status),
      ['OPEN', 'OPEN', 'OPEN', 'OPEN', 'OPEN'],
    );
    assert.deepEqual(
      sent('POST').map((p) => [
        p['type'],
        p['side'],
        p['timeInForce'],
        p['reduceOnly'],
        p['newClientOrderId'],
      ]),
      [
        ['LIMIT', 'BUY', 'GTC', undefined, orders[0]?.clientId],
        ['MARKET', 'BUY', undefined, undefined, orders[1]?.clientId],
        ['LIMIT', 'BUY', 'GTX', undefined, orders[2]?.clientId],
        ['LIMIT', 'BUY', 'IOC', undefined, orders[3]?.clientId],
        ['LIMIT', 'SELL', 'GTC', 'true', orders[4]?.clientId],
      ],
    );
  });

  it('sends a batch as batchOrders of at most 5, and a refused entry (-2019) is REJECTED with its code', async () => {
    const { trading, perp, binance } = await start();
    const refused = `kconf1-${(1_000_004).toString(36)}`;
    binance.refuseInBatch = (id) =>
      id === refused ? { code: -2019, msg: 'Margin is insufficient.' } : undefined;
    const orders = await trading.submitOrders(
      Array.from({ length: 7 }, (_, i) => ({ instrument: perp, amount: 0.001, price: 50_000 + i })),
    );
    assert.deepEqual(
      sent('POST', '/fapi/v1/batchOrders').map((p) => JSON.parse(p['batchOrders'] ?? '[]').length),
      [5, 2],
    );
    const rejected = orders.filter((o) => o.status === 'REJECTED');
    assert.deepEqual(
      rejected.map((o) => o.clientId),
      [refused],
    );
    assert.match(rejected[0]?.reason ?? '', /^-2019: .*Margin is insufficient/);
    assert.equal(orders.filter((o) => o.status === 'OPEN').length, 6);
  });

  it('cancels by origClientOrderId, and a PENDING order whose answer was lost the same way', async () => {
    const { trading, perp, account, binance } = await start();
    const order = await trading.trade(perp, 0.01, 60_000);
    await trading.cancelOrder(order);
    assert.equal(account.findOrder(order.clientId)?.status, 'CANCELED');
    binance.wire.loseNext('POST', '/fapi/v1/order', 502);
    const id = trading.tradeAsync(perp, 0.01, 60_000);
    await until(
      () => binance.byClientId(id) !== undefined && account.findOrder(id)?.status === 'PENDING',
      'the lost answer',
    );
    await trading.cancelOrder(id);
    assert.deepEqual(
      sent('DELETE').map((p) => [p['origClientOrderId'], p['orderId']]),
      [
        [order.clientId, undefined],
        [id, undefined],
      ],
    );
    assert.equal(account.findOrder(id)?.status, 'CANCELED');
  });

  it('amends in place (PUT /fapi/v1/order): same order id, new price', async () => {
    const { trading, perp, account } = await start();
    const order = await trading.trade(perp, 0.01, 60_000);
    await trading.updateOrder(order, { price: 60_500 });
    const amend = sent('PUT')[0];
    assert.equal(amend?.['price'], '60500');
    assert.equal(amend?.['origClientOrderId'], order.clientId);
    assert.equal(account.findOrder(order.clientId)?.price, 60_500);
    assert.equal(account.findOrder(order.clientId)?.venueOrderId, order.venueOrderId);
  });

  it('asks after an unknown order by origClientOrderId and hears -2013 as "unknown"', async () => {
    const { trading, perp, venue, account, binance } = await start();
    const order = await trading.trade(perp, 0.01, 60_000);
    binance.orders.clear();
    assert.equal(await venue.queryOrder(account.findOrder(order.clientId) ?? order), undefined);
    assert.equal(
      binance.wire.sent('GET', '/fapi/v1/order').at(-1)?.query['origClientOrderId'],
      order.clientId,
    );
  });

  it('reads fills back across 7-day windows and pages (1,050 recent, 3 from 8 days ago), each once', async () => {
    const { trading, perp, venue, binance } = await start();
    const order = await trading.trade(perp, 1.1, 60_000);
    const venueOrder = binance.byClientId(order.clientId);
    assert.ok(venueOrder);
    const now = Date.now();
    for (let i = 0; i < 3; i++) binance.fill(venueOrder, '0.001', '60000', now - 8 * DAY_MS + i);
    for (let i = 0; i < 1050; i++)
      binance.fill(venueOrder, '0.001', '60000', now - 60_000 + Math.floor(i / 5));
    const snapshot = await venue.fetchSnapshot({ since: now - 9 * DAY_MS });
    assert.equal(snapshot.fills.length, 1053);
    assert.equal(new Set(snapshot.fills.map((f) => f.tradeId)).size, 1053);
    assert.ok(snapshot.fills.every((f) => f.clientId === order.clientId));
    const pages = sent('GET', '/fapi/v1/userTrades');
    assert.ok(pages.length >= 3, `${pages.length} pages`);
  });

  it('classifies -2019 as a venue rejection and -1007 (execution status unknown) as ambiguous', async () => {
    const { trading, perp, binance } = await start();
    binance.wire.next('POST', '/fapi/v1/order', () =>
      binanceError(-2019, 'Margin is insufficient.'),
    );
    const rejected = await trading.trade(perp, 1, 60_000);
    assert.equal(rejected.status, 'REJECTED');
    assert.match(rejected.reason ?? '', /^-2019: /);
    binance.wire.next('POST', '/fapi/v1/order', () =>
      binanceError(
        -1007,
        'Timeout waiting for response from backend server. Send status unknown; execution status unknown.',
        408,
      ),
    );
    const ambiguous = await trading.trade(perp, 0.01, 60_000);
    assert.equal(ambiguous.status, 'PENDING');
    await until(
      () =>
        binance.wire
          .sent('GET', '/fapi/v1/order')
          .some((r) => r.query['origClientOrderId'] === ambiguous.clientId),
      'a status query by origClientOrderId',
    );
  });

  it('cancels an order placed outside Kestrel (adopted EXTERNAL) by its venue id alone', async () => {
    const { trading, perp, venue, account, binance } = await start();
    await trading.trade(perp, 0.01, 50_000);
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

describe('conformance: Binance USDⓈ-M hedge mode through real ccxt', {
  skip: hasCcxtStatic ? false : SKIP_MESSAGE,
}, () => {
  let binance: BinanceVenue | undefined;
  let kestrel: KestrelOnVenue | undefined;
  afterEach(async () => {
    await kestrel?.close();
    kestrel = undefined;
    assert.deepEqual(
      binance?.wire.violations ?? [],
      [],
      'every request keeps Binance hedge-mode rules',
    );
    binance = undefined;
  });

  it('opens and closes a LONG and a SHORT leg (positionSide on the wire, never reduceOnly) and keeps a position per leg', async () => {
    const venue = new BinanceVenue('usdm');
    venue.hedgeMode = true;
    binance = venue;
    kestrel = await kestrelOn({
      exchange: 'binanceusdm',
      wire: venue.wire,
      overrides: { positionMode: 'hedge' },
    });
    const { trading, account } = kestrel;
    const perp = kestrel.instrument('BTC/USDT:USDT');
    const fill = (clientId: string, price: string) => {
      const order = venue.byClientId(clientId);
      assert.ok(order);
      venue.fill(order, order.origQty, price, Date.now());
    };
    const openLong = await trading.trade(perp, 0.01, 60_000, { positionSide: 'LONG' });
    const openShort = await trading.trade(perp, -0.02, 61_000, { positionSide: 'SHORT' });
    fill(openLong.clientId, '60000');
    fill(openShort.clientId, '61000');
    await kestrel.venue.resync();
    assert.equal(account.getPosition(perp, 'LONG').quantity, 0.01);
    assert.equal(account.getPosition(perp, 'SHORT').quantity, -0.02);
    assert.equal(account.getPosition(perp).quantity, 0, 'no net position on a hedge account');
    const snapshot = await kestrel.venue.fetchSnapshot({ since: Date.now() - 60_000 });
    assert.deepEqual(
      snapshot.positions.map((p) => [p.side, p.quantity, p.averagePrice]),
      [
        ['LONG', 0.01, 60_000],
        ['SHORT', -0.02, 61_000],
      ],
    );
    const closeLong = await trading.trade(perp, -0.01, 62_000, {
      positionSide: 'LONG',
      reduceOnly: true,
    });
    const closeShort = await trading.closePosition(perp, { positionSide: 'SHORT' });
    assert.ok(closeShort);
    fill(closeLong.clientId, '62000');
    fill(closeShort.clientId, '60000');
    await kestrel.venue.resync();
    const orders = venue.wire
      .sent('POST', '/fapi/v1/order')
      .map((r) => ({ ...r.query, ...(r.body as object) }) as Record<string, string>);
    assert.deepEqual(
      orders.map((p) => [p['side'], p['positionSide'], p['reduceOnly']]),
      [
        ['BUY', 'LONG', undefined],
        ['SELL', 'SHORT', undefined],
        ['SELL', 'LONG', undefined],
        ['BUY', 'SHORT', undefined],
      ],
    );
    const long = account.getPosition(perp, 'LONG');
    const short = account.getPosition(perp, 'SHORT');
    assert.deepEqual([long.quantity, short.quantity], [0, 0]);
    // Realized per leg: the long gained 0.01 × 2000, the short gained 0.02 × 1000
    assert.equal(long.realizedPnl, 20);
    assert.equal(short.realizedPnl, 20);
  });

  it('refuses locally, sending and tracking nothing: no leg on a hedge account, a leg on a one-way account, a reduce-only order that opens its leg', async () => {
    for (const mode of ['hedge', 'oneWay'] as const) {
      const venue = new BinanceVenue('usdm');
      venue.hedgeMode = mode === 'hedge';
      binance = venue;
      kestrel = await kestrelOn({
        exchange: 'binanceusdm',
        wire: venue.wire,
        overrides: { positionMode: mode },
      });
      const { trading, account } = kestrel;
      const perp = kestrel.instrument('BTC/USDT:USDT');
      const before = venue.wire.requests.length;
      const refusals: [() => Promise<unknown>, string, string][] =
        mode === 'hedge'
          ? [
              [
                () => trading.trade(perp, 0.01, 60_000),
                'INVALID_ARGUMENT',
                'is required on the hedge-mode',
              ],
              [
                () => trading.trade(perp, 0.01, 60_000, { positionSide: 'LONG', reduceOnly: true }),
                'INVALID_ARGUMENT',
                'a BUY opens the LONG leg',
              ],
            ]
          : [
              [
                () => trading.trade(perp, 0.01, 60_000, { positionSide: 'LONG' }),
                'NOT_SUPPORTED',
                'one-way position mode',
              ],
            ];
      for (const [attempt, code, words] of refusals) {
        await assert.rejects(attempt, (error: unknown) => {
          const e = error as { code?: string; field?: string; message?: string };
          return e.code === code && e.field === 'positionSide' && (e.message ?? '').includes(words);
        });
      }
      assert.equal(venue.wire.requests.length, before, `${mode}: nothing sent`);
      assert.equal(account.getOrders().length, 0, `${mode}: nothing tracked`);
      await kestrel.close();
      kestrel = undefined;
      assert.deepEqual(venue.wire.violations, []);
    }
  });
});
