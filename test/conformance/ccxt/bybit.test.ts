import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { until } from '../../helpers/wait.ts';
import { BybitVenue, bybitError, bybitRules } from './bybit-venue.ts';
import type { KestrelOnVenue } from './harness.ts';
import { assertClientIdRefused, cancelAdopted, kestrelOn } from './harness.ts';
import { hasCcxtStatic, requestCases, SKIP_MESSAGE } from './static-fixtures.ts';

/**
 * Kestrel's Bybit profile through the real ccxt `bybit` class, every request checked against
 * Bybit's v5 rules (bybit-venue.ts) and answered from ccxt's captured Bybit answers.
 */
describe('conformance: Bybit v5 through real ccxt', {
  skip: hasCcxtStatic ? false : SKIP_MESSAGE,
}, () => {
  let bybit: BybitVenue | undefined;
  let kestrel: KestrelOnVenue | undefined;
  const start = async (overrides = {}) => {
    const venue = new BybitVenue();
    bybit = venue;
    kestrel = await kestrelOn({ exchange: 'bybit', wire: venue.wire, overrides });
    return { ...kestrel, bybit: venue };
  };
  afterEach(async () => {
    await kestrel?.close();
    kestrel = undefined;
    assert.deepEqual(bybit?.wire.violations ?? [], [], 'every request keeps Bybit v5 rules');
    bybit = undefined;
  });

  const bodies = (path: string) =>
    (bybit?.wire.sent('POST', path) ?? []).map((r) => r.body as Record<string, unknown>);

  it("accepts every request of ccxt's own Bybit static tests that Kestrel's calls make (the rules are Bybit's, not Kestrel's)", () => {
    const rules = bybitRulesFor(false);
    for (const method of ['createOrder', 'createOrders', 'cancelOrder'] as const) {
      for (const sample of requestCases('bybit', method)) {
        const url = new URL(sample.url);
        const body = sample.output === undefined ? undefined : JSON.parse(String(sample.output));
        if (
          !['spot', 'linear'].includes(String(body?.category)) ||
          url.pathname.includes('trading-stop')
        )
          continue;
        if (body?.triggerPrice !== undefined || body?.positionIdx !== undefined) continue;
        const problems = rules({
          method: 'POST',
          url: sample.url,
          path: url.pathname,
          query: {},
          body,
          headers: { 'x-bapi-api-key': 'k', 'x-bapi-sign': 's', 'x-bapi-timestamp': '1' },
        });
        assert.deepEqual(problems, [], `${method} "${sample.description}"`);
      }
    }
  });

  it('submits limit, market, post-only, IOC and reduce-only linear orders and a spot limit, our clientId as orderLinkId', async () => {
    const { trading, instrument, bybit } = await start();
    const perp = instrument('BTC/USDT:USDT');
    const spot = instrument('BTC/USDT');
    const limit = await trading.trade(perp, 0.01, 60_000);
    const market = await trading.trade(perp, -0.01);
    const postOnly = await trading.trade(perp, 0.002, 59_000, { postOnly: true });
    const ioc = await trading.trade(perp, 0.002, 59_000, { timeInForce: 'IOC' });
    const reduce = await trading.trade(perp, -0.002, 70_000, { reduceOnly: true });
    const spotLimit = await trading.trade(spot, 0.001, 60_000);
    for (const order of [limit, market, postOnly, ioc, reduce, spotLimit]) {
      assert.equal(order.status, 'OPEN', `${order.clientId} acknowledged`);
      assert.equal(bybit.byLinkId(order.clientId)?.orderId, order.venueOrderId);
    }
    const sent = bodies('/v5/order/create');
    assert.deepEqual(
      sent.map((b) => [
        b['category'],
        b['orderType'],
        b['side'],
        b['qty'],
        b['price'],
        b['timeInForce'],
        b['reduceOnly'],
      ]),
      [
        ['linear', 'Limit', 'Buy', '0.01', '60000', 'GTC', undefined],
        ['linear', 'Market', 'Sell', '0.01', undefined, undefined, undefined],
        ['linear', 'Limit', 'Buy', '0.002', '59000', 'PostOnly', undefined],
        ['linear', 'Limit', 'Buy', '0.002', '59000', 'IOC', undefined],
        ['linear', 'Limit', 'Sell', '0.002', '70000', 'GTC', true],
        ['spot', 'Limit', 'Buy', '0.001', '60000', 'GTC', undefined],
      ],
    );
    assert.deepEqual(
      sent.map((b) => b['orderLinkId']),
      [limit, market, postOnly, ioc, reduce, spotLimit].map((o) => o.clientId),
    );
  });

  it('sends a batch as create-batch calls of at most 10 orders, and a refused entry is REJECTED with its code', async () => {
    const { trading, instrument, bybit } = await start();
    const perp = instrument('BTC/USDT:USDT');
    const specs = Array.from({ length: 12 }, (_, i) => ({
      instrument: perp,
      amount: 0.001,
      price: 50_000 + i,
    }));
    let refused: string | undefined;
    bybit.refuseInBatch = (link) =>
      link === refused ? { code: 110007, msg: 'ab not enough for new order' } : undefined;
    refused = `kconf1-${(1_000_003).toString(36)}`;
    const orders = await trading.submitOrders(specs);
    const batches = bodies('/v5/order/create-batch');
    assert.deepEqual(
      batches.map((b) => (b['request'] as unknown[]).length),
      [10, 2],
    );
    assert.equal(orders.filter((o) => o.status === 'OPEN').length, 11);
    const rejected = orders.find((o) => o.status === 'REJECTED');
    assert.equal(rejected?.clientId, refused);
    assert.match(rejected?.reason ?? '', /^110007: .*ab not enough/);
  });

  it('cancels an open order by orderLinkId (the venue id riding along) and confirms the acknowledged cancel', async () => {
    const { trading, instrument, account } = await start();
    const order = await trading.trade(instrument('BTC/USDT:USDT'), 0.01, 60_000);
    await trading.cancelOrder(order);
    const cancel = bodies('/v5/order/cancel')[0];
    assert.equal(cancel?.['orderLinkId'], order.clientId);
    assert.equal(cancel?.['orderId'], order.venueOrderId);
    await until(
      () => account.findOrder(order.clientId)?.status === 'CANCELED',
      'the cancel confirmed',
    );
  });

  it('cancels a PENDING order (the venue placed it, its answer was lost) by orderLinkId alone', async () => {
    const { trading, instrument, account, bybit } = await start();
    bybit.wire.loseNext('POST', '/v5/order/create');
    const id = trading.tradeAsync(instrument('BTC/USDT:USDT'), 0.01, 60_000);
    await until(() => bybit.wire.sent('POST', '/v5/order/create').length === 1, 'the create');
    await until(
      () => account.findOrder(id)?.status === 'PENDING' && bybit.byLinkId(id) !== undefined,
      'the lost answer',
    );
    assert.equal(account.findOrder(id)?.venueOrderId, undefined);
    await trading.cancelOrder(id);
    const cancel = bodies('/v5/order/cancel')[0];
    assert.equal(cancel?.['orderLinkId'], id);
    assert.equal(cancel?.['orderId'], undefined);
    await until(() => account.findOrder(id)?.status === 'CANCELED', 'the cancel confirmed');
    assert.equal(bybit.byLinkId(id)?.orderStatus, 'Cancelled');
  });

  it('amends in place by orderLinkId; the venue id stays and the new price is learned', async () => {
    const { trading, instrument, account } = await start();
    const order = await trading.trade(instrument('BTC/USDT:USDT'), 0.01, 60_000);
    await trading.updateOrder(order, { price: 60_500 });
    const amend = bodies('/v5/order/amend')[0];
    assert.equal(amend?.['orderLinkId'], order.clientId);
    assert.equal(amend?.['price'], '60500');
    await until(() => account.findOrder(order.clientId)?.price === 60_500, 'the amendment learned');
    assert.equal(account.findOrder(order.clientId)?.venueOrderId, order.venueOrderId);
  });

  it('asks after an order the venue does not know in the open list and the history, by orderLinkId, and hears "unknown"', async () => {
    const { trading, instrument, venue, account, bybit } = await start();
    const order = await trading.trade(instrument('BTC/USDT:USDT'), 0.01, 60_000);
    bybit.orders.clear();
    const state = await venue.queryOrder(account.findOrder(order.clientId) ?? order);
    assert.equal(state, undefined);
    const lookups = [
      ...bybit.wire.sent('GET', '/v5/order/realtime'),
      ...bybit.wire.sent('GET', '/v5/order/history'),
    ];
    assert.equal(lookups.length, 2);
    for (const lookup of lookups) assert.equal(lookup.query['orderLinkId'], order.clientId);
  });

  it('recovers 250 missed fills across three execution pages, each booked once, also on a second resync', async () => {
    const { trading, instrument, venue, account, bybit } = await start();
    const perp = instrument('BTC/USDT:USDT');
    const order = await trading.trade(perp, 0.25, 60_000);
    const venueOrder = bybit.byLinkId(order.clientId);
    assert.ok(venueOrder);
    // Executions after the order was placed, none of them pushed (the stream was down)
    const base = account.findOrder(order.clientId)?.createdAt ?? Date.now();
    for (let i = 0; i < 250; i++)
      bybit.fill(venueOrder, '0.001', String(60_000 - (i % 7)), base + i, `exec-${i}`);
    await venue.resync();
    const pages = bybit.wire.sent('GET', '/v5/execution/list');
    assert.deepEqual(
      pages.map((p) => [p.query['limit'], p.query['cursor']]),
      [
        ['100', undefined],
        ['100', '100'],
        ['100', '200'],
      ],
    );
    const filled = account.findOrder(order.clientId);
    assert.equal(filled?.status, 'FILLED');
    assert.equal(filled?.filledQuantity, 0.25);
    assert.equal(account.getPosition(perp).quantity, 0.25);
    const booked = account.state.seen.size;
    await venue.resync();
    assert.equal(account.state.seen.size, booked, 'nothing booked twice');
    assert.equal(account.getPosition(perp).quantity, 0.25);
  });

  it('classifies a venue rejection (110007) as REJECTED and a system error (10016) as ambiguous, the order PENDING and asked after', async () => {
    const { trading, instrument, account, bybit } = await start();
    const perp = instrument('BTC/USDT:USDT');
    bybit.next('POST', '/v5/order/create', () => bybitError(110007, 'ab not enough for new order'));
    const rejected = await trading.trade(perp, 5, 60_000);
    assert.equal(rejected.status, 'REJECTED');
    assert.match(rejected.reason ?? '', /^110007: .*ab not enough for new order/);
    bybit.next('POST', '/v5/order/create', () =>
      bybitError(10016, 'System error. Please try again later.'),
    );
    const ambiguous = await trading.trade(perp, 0.01, 60_000);
    assert.equal(ambiguous.status, 'PENDING');
    await until(
      () =>
        bybit.wire
          .sent('GET', '/v5/order/realtime')
          .some((r) => r.query['orderLinkId'] === ambiguous.clientId),
      'a status query by orderLinkId',
    );
    assert.equal(account.findOrder(ambiguous.clientId)?.status, 'PENDING');
  });

  it('escapes a caller clientId Bybit cannot carry and refuses one it cannot encode, sending and tracking nothing', async () => {
    const { trading, instrument, account, bybit } = await start();
    const perp = instrument('BTC/USDT:USDT');
    const order = await trading.trade(perp, 0.01, 60_000, { clientId: 'desk.a/17' });
    assert.equal(order.clientId, 'desk.a/17');
    assert.equal(bodies('/v5/order/create')[0]?.['orderLinkId'], '_desk_pa_s17');
    assert.equal(order.status, 'OPEN');
    await assertClientIdRefused(
      { trading, account },
      bybit.wire,
      { instrument: perp, amount: 0.01, price: 60_000 },
      'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r',
      'orderLinkId',
    );
  });

  it('cancels an order placed outside Kestrel (adopted EXTERNAL) by its venue id alone', async () => {
    const { trading, instrument, venue, account, bybit } = await start();
    const perp = instrument('BTC/USDT:USDT');
    await trading.trade(perp, 0.001, 50_000);
    const foreign = bybit.placeForeign(
      { symbol: 'BTCUSDT', side: 'Sell', orderType: 'Limit', qty: '0.002', price: '70000' },
      'linear',
    );
    const id = await cancelAdopted({ venue, account, trading }, foreign.orderId);
    const cancel = bodies('/v5/order/cancel').at(-1);
    assert.deepEqual([cancel?.['orderId'], cancel?.['orderLinkId']], [foreign.orderId, undefined]);
    await until(() => account.findOrder(id)?.status === 'CANCELED', 'the cancel confirmed');
  });
});

function bybitRulesFor(hedge: boolean) {
  return bybitRules(() => hedge);
}

describe('conformance: Bybit v5 hedge mode through real ccxt', {
  skip: hasCcxtStatic ? false : SKIP_MESSAGE,
}, () => {
  it('opens and closes a LONG and a SHORT leg with positionIdx 1 and 2 (reduce-only kept on closes), positions per leg', async () => {
    const bybit = new BybitVenue();
    bybit.hedgeMode = true;
    const kestrel = await kestrelOn({
      exchange: 'bybit',
      wire: bybit.wire,
      overrides: { positionMode: 'hedge' },
    });
    try {
      const { trading, account, venue } = kestrel;
      const perp = kestrel.instrument('BTC/USDT:USDT');
      const fill = (clientId: string, price: string) => {
        const order = bybit.byLinkId(clientId);
        assert.ok(order);
        bybit.fill(order, order.qty, price, Date.now(), `exec-${clientId}`);
      };
      const orders = [
        await trading.trade(perp, 0.01, 60_000, { positionSide: 'LONG' }),
        await trading.trade(perp, -0.02, 61_000, { positionSide: 'SHORT' }),
      ];
      for (const [i, o] of orders.entries()) fill(o.clientId, i === 0 ? '60000' : '61000');
      await venue.resync();
      assert.deepEqual(
        [account.getPosition(perp, 'LONG').quantity, account.getPosition(perp, 'SHORT').quantity],
        [0.01, -0.02],
      );
      const snapshot = await venue.fetchSnapshot({ since: Date.now() - 60_000 });
      assert.deepEqual(
        snapshot.positions.map((p) => [p.side, p.quantity]),
        [
          ['LONG', 0.01],
          ['SHORT', -0.02],
        ],
      );
      const closes = [
        await trading.closePosition(perp, { positionSide: 'LONG' }),
        await trading.closePosition(perp, { positionSide: 'SHORT' }),
      ];
      for (const close of closes) {
        assert.ok(close);
        fill(close.clientId, '60500');
      }
      await venue.resync();
      assert.deepEqual(
        bybit.wire.sent('POST', '/v5/order/create').map((r) => {
          const b = r.body as Record<string, unknown>;
          return [b['side'], b['positionIdx'], b['reduceOnly']];
        }),
        [
          ['Buy', 1, undefined],
          ['Sell', 2, undefined],
          ['Sell', 1, true],
          ['Buy', 2, true],
        ],
      );
      assert.deepEqual(
        [account.getPosition(perp, 'LONG').quantity, account.getPosition(perp, 'SHORT').quantity],
        [0, 0],
      );
      assert.equal(account.getPosition(perp, 'LONG').realizedPnl, 5);
      assert.equal(account.getPosition(perp, 'SHORT').realizedPnl, 10);
    } finally {
      await kestrel.close();
    }
    assert.deepEqual(bybit.wire.violations, []);
  });
});
