import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { OKX_PROFILE } from '../../../src/venues/ccxt/profiles/okx.ts';
import { until } from '../../helpers/wait.ts';
import type { KestrelOnVenue } from './harness.ts';
import { assertClientIdRefused, cancelAdopted, kestrelOn } from './harness.ts';
import { OkxVenue, okxRefused, okxRules } from './okx-venue.ts';
import { hasCcxtStatic, requestCases, SKIP_MESSAGE } from './static-fixtures.ts';

const wire = (clientId: string) => OKX_PROFILE.clientId.codec.encode(clientId) ?? '';

/**
 * Kestrel's OKX profile through the real ccxt `okx` class, every request checked against OKX's
 * v5 rules (okx-venue.ts) and answered from ccxt's captured OKX answers. Our clientIds carry a
 * `-`, which `clOrdId` refuses: they travel escaped and come back decoded.
 */
describe('conformance: OKX v5 through real ccxt', {
  skip: hasCcxtStatic ? false : SKIP_MESSAGE,
}, () => {
  let okx: OkxVenue | undefined;
  let kestrel: KestrelOnVenue | undefined;
  const start = async () => {
    const venue = new OkxVenue();
    okx = venue;
    kestrel = await kestrelOn({
      exchange: 'okx',
      wire: venue.wire,
      password: 'conformance-passphrase',
    });
    return {
      ...kestrel,
      okx: venue,
      swap: kestrel.instrument('BTC/USDT:USDT'),
      spot: kestrel.instrument('BTC/USDT'),
    };
  };
  afterEach(async () => {
    await kestrel?.close();
    kestrel = undefined;
    assert.deepEqual(okx?.wire.violations ?? [], [], 'every request keeps OKX v5 rules');
    okx = undefined;
  });
  const entries = () =>
    (okx?.wire.sent('POST', '/api/v5/trade/batch-orders') ?? []).flatMap(
      (r) => r.body as Record<string, unknown>[],
    );

  it("accepts the order requests of ccxt's own OKX static tests (the rules are OKX's)", () => {
    const rules = okxRules(() => false);
    let checked = 0;
    for (const sample of requestCases('okx', 'createOrder')) {
      const url = new URL(sample.url);
      if (url.pathname !== '/api/v5/trade/batch-orders') continue;
      const body = JSON.parse(String(sample.output)) as Record<string, unknown>[];
      if (
        body.some(
          (o) =>
            o['posSide'] !== undefined ||
            (o['tdMode'] === 'cross' && !String(o['instId']).endsWith('-SWAP')),
        )
      )
        continue;
      if (body.some((o) => String(o['instId']).startsWith('BTC-USD-'))) continue;
      checked += 1;
      const problems = rules({
        method: 'POST',
        url: sample.url,
        path: url.pathname,
        query: {},
        body,
        headers: {
          'ok-access-key': 'k',
          'ok-access-sign': 's',
          'ok-access-timestamp': 't',
          'ok-access-passphrase': 'p',
        },
      });
      assert.deepEqual(problems, [], `createOrder "${sample.description}"`);
    }
    assert.ok(checked > 0);
  });

  it('submits limit, market, post-only, IOC and reduce-only swap orders and a spot limit, each clientId escaped into clOrdId and decoded back', async () => {
    const { trading, swap, spot, account } = await start();
    const orders = [
      await trading.trade(swap, 1, 60_000),
      await trading.trade(swap, -1),
      await trading.trade(swap, 1, 59_000, { postOnly: true }),
      await trading.trade(swap, 1, 59_000, { timeInForce: 'IOC' }),
      await trading.trade(swap, -1, 70_000, { reduceOnly: true }),
      await trading.trade(spot, 0.001, 60_000),
    ];
    assert.deepEqual(
      orders.map((o) => o.status),
      ['OPEN', 'OPEN', 'OPEN', 'OPEN', 'OPEN', 'OPEN'],
    );
    assert.deepEqual(
      entries().map((e) => [
        e['instId'],
        e['ordType'],
        e['side'],
        e['sz'],
        e['px'],
        e['tdMode'],
        e['reduceOnly'],
      ]),
      [
        ['BTC-USDT-SWAP', 'limit', 'buy', '1', '60000', 'cross', undefined],
        ['BTC-USDT-SWAP', 'market', 'sell', '1', undefined, 'cross', undefined],
        ['BTC-USDT-SWAP', 'post_only', 'buy', '1', '59000', 'cross', undefined],
        ['BTC-USDT-SWAP', 'ioc', 'buy', '1', '59000', 'cross', undefined],
        ['BTC-USDT-SWAP', 'limit', 'sell', '1', '70000', 'cross', true],
        ['BTC-USDT', 'limit', 'buy', '0.001', '60000', 'cash', undefined],
      ],
    );
    for (const [i, order] of orders.entries()) {
      assert.match(order.clientId, /^kconf1-[0-9a-z]+$/, 'the clientId never changes');
      assert.equal(entries()[i]?.['clOrdId'], wire(order.clientId));
      assert.equal(account.findOrder(order.clientId)?.correlationKey, wire(order.clientId));
    }
  });

  it('sends a batch as batch-orders of at most 20, and a refused entry (sCode 51008) is REJECTED with its code', async () => {
    const { trading, swap, okx } = await start();
    const refused = `kconf1-${(1_000_007).toString(36)}`;
    okx.refuseInBatch = (clOrdId) =>
      clOrdId === wire(refused)
        ? { sCode: '51008', sMsg: 'Order failed. Insufficient USDT margin in account' }
        : undefined;
    const orders = await trading.submitOrders(
      Array.from({ length: 22 }, (_, i) => ({ instrument: swap, amount: 1, price: 50_000 + i })),
    );
    assert.deepEqual(
      okx.wire.sent('POST', '/api/v5/trade/batch-orders').map((r) => (r.body as unknown[]).length),
      [20, 2],
    );
    const rejected = orders.filter((o) => o.status === 'REJECTED');
    assert.deepEqual(
      rejected.map((o) => o.clientId),
      [refused],
    );
    assert.match(rejected[0]?.reason ?? '', /^51008: .*Insufficient USDT margin/);
    assert.equal(orders.filter((o) => o.status === 'OPEN').length, 21);
  });

  it('cancels by clOrdId (ccxt sends it alone), also a PENDING order whose answer was lost; both confirmed', async () => {
    const { trading, swap, account, okx } = await start();
    const order = await trading.trade(swap, 1, 60_000);
    await trading.cancelOrder(order);
    okx.wire.loseNext('POST', '/api/v5/trade/batch-orders', 502);
    const id = trading.tradeAsync(swap, 1, 60_000);
    await until(
      () => okx.byClOrdId(wire(id)) !== undefined && account.findOrder(id)?.status === 'PENDING',
      'the lost answer',
    );
    await trading.cancelOrder(id);
    const cancels = okx.wire
      .sent('POST', '/api/v5/trade/cancel-order')
      .map((r) => r.body as Record<string, unknown>);
    assert.deepEqual(
      cancels.map((c) => [c['clOrdId'], c['ordId']]),
      [
        [wire(order.clientId), undefined],
        [wire(id), undefined],
      ],
    );
    await until(
      () =>
        account.findOrder(order.clientId)?.status === 'CANCELED' &&
        account.findOrder(id)?.status === 'CANCELED',
      'both cancels confirmed',
    );
  });

  it('amends in place by clOrdId; the order id stays and the new price is learned', async () => {
    const { trading, swap, account, okx } = await start();
    const order = await trading.trade(swap, 1, 60_000);
    await trading.updateOrder(order, { price: 60_500 });
    const amend = okx.wire.sent('POST', '/api/v5/trade/amend-order')[0]?.body as Record<
      string,
      unknown
    >;
    assert.equal(amend['clOrdId'], wire(order.clientId));
    assert.equal(amend['newPx'], '60500');
    await until(() => account.findOrder(order.clientId)?.price === 60_500, 'the amendment learned');
    assert.equal(account.findOrder(order.clientId)?.venueOrderId, order.venueOrderId);
  });

  it('asks after an unknown order by clOrdId and hears 51603 as "unknown"', async () => {
    const { trading, swap, venue, account, okx } = await start();
    const order = await trading.trade(swap, 1, 60_000);
    okx.orders.clear();
    assert.equal(await venue.queryOrder(account.findOrder(order.clientId) ?? order), undefined);
    assert.equal(
      okx.wire.sent('GET', '/api/v5/trade/order').at(-1)?.query['clOrdId'],
      wire(order.clientId),
    );
  });

  it('recovers 250 missed fills over three fills-history pages (after = billId), each booked once, also on a second resync', async () => {
    const { trading, swap, venue, account, okx } = await start();
    const order = await trading.trade(swap, 250, 60_000);
    const venueOrder = okx.byClOrdId(wire(order.clientId));
    assert.ok(venueOrder);
    const base = account.findOrder(order.clientId)?.createdAt ?? Date.now();
    for (let i = 0; i < 250; i++) okx.fill(venueOrder, '1', String(60_000 - (i % 5)), base + i);
    await venue.resync();
    const pages = okx.wire.sent('GET', '/api/v5/trade/fills-history');
    assert.equal(pages.length, 3);
    assert.equal(pages[0]?.query['after'], undefined);
    assert.ok(pages[1]?.query['after'] !== undefined && pages[2]?.query['after'] !== undefined);
    assert.equal(account.findOrder(order.clientId)?.status, 'FILLED');
    assert.equal(account.findOrder(order.clientId)?.filledQuantity, 250);
    assert.equal(account.getPosition(swap).quantity, 250);
    const booked = account.state.seen.size;
    await venue.resync();
    assert.equal(account.state.seen.size, booked, 'nothing booked twice');
    assert.equal(account.getPosition(swap).quantity, 250);
  });

  it('classifies sCode 51008 as a venue rejection and 50004 (endpoint timeout) as ambiguous, the order PENDING and asked after', async () => {
    const { trading, swap, okx } = await start();
    okx.wire.next('POST', '/api/v5/trade/batch-orders', () =>
      okxRefused('51008', 'Order failed. Insufficient USDT balance in account'),
    );
    const rejected = await trading.trade(swap, 1000, 60_000);
    assert.equal(rejected.status, 'REJECTED');
    assert.match(rejected.reason ?? '', /^51008: /);
    okx.wire.next('POST', '/api/v5/trade/batch-orders', () => ({
      body: {
        code: '50004',
        msg: 'API endpoint request timeout (does not mean that the request was successful or failed, please check the request result).',
        data: [],
      },
    }));
    const ambiguous = await trading.trade(swap, 1, 60_000);
    assert.equal(ambiguous.status, 'PENDING');
    await until(
      () =>
        okx.wire
          .sent('GET', '/api/v5/trade/order')
          .some((r) => r.query['clOrdId'] === wire(ambiguous.clientId)),
      'a status query by clOrdId',
    );
  });

  it('escapes a caller clientId with other characters and refuses one it cannot carry, sending and tracking nothing', async () => {
    const { trading, swap, account, okx } = await start();
    const order = await trading.trade(swap, 1, 60_000, { clientId: 'desk.a/17' });
    assert.equal(order.clientId, 'desk.a/17');
    assert.equal(entries()[0]?.['clOrdId'], 'ZdeskZpaZs17');
    await assertClientIdRefused(
      { trading, account },
      okx.wire,
      { instrument: swap, amount: 1, price: 60_000 },
      'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r',
      'clOrdId',
    );
  });

  it('cancels an order placed outside Kestrel (adopted EXTERNAL) by its venue id alone', async () => {
    const { trading, swap, venue, account, okx } = await start();
    await trading.trade(swap, 1, 50_000);
    const foreign = okx.placeForeign({
      instId: 'BTC-USDT-SWAP',
      side: 'sell',
      ordType: 'limit',
      sz: '2',
      px: '70000',
    });
    const id = await cancelAdopted({ venue, account, trading }, foreign.ordId);
    const cancel = okx.wire.sent('POST', '/api/v5/trade/cancel-order').at(-1)?.body as Record<
      string,
      unknown
    >;
    assert.deepEqual([cancel['ordId'], cancel['clOrdId']], [foreign.ordId, undefined]);
    await until(() => account.findOrder(id)?.status === 'CANCELED', 'the cancel confirmed');
  });

  it('takes a quote from the ticker (OKX has no bids/asks call)', async () => {
    const { venue, swap, okx } = await start();
    const quote = await venue.fetchQuote(swap);
    assert.deepEqual([quote.bid, quote.ask], [60_000, 60_001]);
    assert.equal(
      okx.wire.sent('GET', '/api/v5/market/ticker').at(-1)?.query['instId'],
      'BTC-USDT-SWAP',
    );
  });
});

describe('conformance: OKX long/short mode through real ccxt', {
  skip: hasCcxtStatic ? false : SKIP_MESSAGE,
}, () => {
  it('opens and closes a LONG and a SHORT leg with posSide long and short (never reduceOnly), positions per leg', async () => {
    const okx = new OkxVenue();
    okx.hedgeMode = true;
    const kestrel = await kestrelOn({
      exchange: 'okx',
      wire: okx.wire,
      password: 'conformance-passphrase',
      overrides: { positionMode: 'hedge' },
    });
    try {
      const { trading, account, venue } = kestrel;
      const swap = kestrel.instrument('BTC/USDT:USDT');
      const fill = (clientId: string, price: string) => {
        const order = okx.byClOrdId(wire(clientId));
        assert.ok(order);
        okx.fill(order, order.sz, price, Date.now());
      };
      const open = [
        await trading.trade(swap, 1, 60_000, { positionSide: 'LONG' }),
        await trading.trade(swap, -2, 61_000, { positionSide: 'SHORT' }),
      ];
      fill(open[0]?.clientId ?? '', '60000');
      fill(open[1]?.clientId ?? '', '61000');
      await venue.resync();
      assert.deepEqual(
        [account.getPosition(swap, 'LONG').quantity, account.getPosition(swap, 'SHORT').quantity],
        [1, -2],
      );
      const snapshot = await venue.fetchSnapshot({ since: Date.now() - 60_000 });
      assert.deepEqual(
        snapshot.positions.map((p) => [p.side, p.quantity]),
        [
          ['LONG', 1],
          ['SHORT', -2],
        ],
      );
      const closes = [
        await trading.closePosition(swap, { positionSide: 'LONG' }),
        await trading.closePosition(swap, { positionSide: 'SHORT' }),
      ];
      for (const close of closes) fill(close?.clientId ?? '', '60500');
      await venue.resync();
      assert.deepEqual(
        entriesOf(okx).map((e) => [e['side'], e['posSide'], e['reduceOnly']]),
        [
          ['buy', 'long', undefined],
          ['sell', 'short', undefined],
          ['sell', 'long', undefined],
          ['buy', 'short', undefined],
        ],
      );
      assert.deepEqual(
        [account.getPosition(swap, 'LONG').quantity, account.getPosition(swap, 'SHORT').quantity],
        [0, 0],
      );
    } finally {
      await kestrel.close();
    }
    assert.deepEqual(okx.wire.violations, []);
  });
});

function entriesOf(okx: OkxVenue): Record<string, unknown>[] {
  return okx.wire
    .sent('POST', '/api/v5/trade/batch-orders')
    .flatMap((r) => r.body as Record<string, unknown>[]);
}
