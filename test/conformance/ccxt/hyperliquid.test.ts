import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { KestrelError } from '../../../src/core/errors.ts';
import { HYPERLIQUID_PROFILE } from '../../../src/venues/ccxt/profiles/hyperliquid.ts';
import { until } from '../../helpers/wait.ts';
import type { KestrelOnVenue } from './harness.ts';
import { assertClientIdRefused, cancelAdopted, kestrelOn } from './harness.ts';
import { HyperliquidVenue, hyperliquidRules } from './hyperliquid-venue.ts';
import { field } from './in-process-venue.ts';
import { hasCcxtStatic, requestCases, SKIP_MESSAGE } from './static-fixtures.ts';

const cloid = (clientId: string) => HYPERLIQUID_PROFILE.clientId.codec.encode(clientId) ?? '';
/** A wallet for the test: ccxt signs every action with the key for real */
const WALLET = '0x15f43D1f2DeE81424aFd891943262aa90F22cc2A';
const PRIVATE_KEY = '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';

/**
 * Kestrel's Hyperliquid profile through the real ccxt `hyperliquid` class (actions signed with a
 * real key), every action checked against Hyperliquid's rules (hyperliquid-venue.ts) and answered
 * from ccxt's captured Hyperliquid answers. Our clientIds travel packed into cloids.
 */
describe('conformance: Hyperliquid through real ccxt', {
  skip: hasCcxtStatic ? false : SKIP_MESSAGE,
}, () => {
  let hl: HyperliquidVenue | undefined;
  let kestrel: KestrelOnVenue | undefined;
  const start = async () => {
    const venue = new HyperliquidVenue();
    hl = venue;
    kestrel = await kestrelOn({
      exchange: 'hyperliquid',
      wire: venue.wire,
      apiKey: WALLET,
      secret: PRIVATE_KEY,
    });
    return { ...kestrel, hl: venue, btc: kestrel.instrument('BTC/USDC:USDC') };
  };
  afterEach(async () => {
    await kestrel?.close();
    kestrel = undefined;
    assert.deepEqual(
      hl?.wire.violations ?? [],
      [],
      'every action keeps Hyperliquid rules, and no action Kestrel did not ask for',
    );
    hl = undefined;
  });
  /** The orders of every `order` action sent, in order */
  const placed = () =>
    (hl?.wire.sent('POST', '/exchange') ?? [])
      .map((r) => (r.body as { action: Record<string, unknown> }).action)
      .filter((a) => a['type'] === 'order')
      .flatMap((a) => a['orders'] as Record<string, unknown>[]);

  it("accepts the BTC and ETH order actions of ccxt's own Hyperliquid static tests (the rules are Hyperliquid's)", () => {
    let checked = 0;
    for (const sample of requestCases('hyperliquid', 'createOrder')) {
      const body = JSON.parse(String(sample.output)) as {
        action: { orders: { a: number; t: unknown }[] };
      };
      if (!body.action.orders.every((o) => o.a <= 1 && field(o.t, 'limit') !== undefined)) continue;
      checked += 1;
      const problems = hyperliquidRules({
        method: 'POST',
        url: sample.url,
        path: '/exchange',
        query: {},
        body,
        headers: {},
      });
      assert.deepEqual(problems, [], `createOrder "${sample.description}"`);
    }
    assert.ok(checked >= 2);
  });

  it('submits limit, post-only (Alo), IOC and reduce-only orders and a market order bounded by the touch, each clientId packed into a cloid', async () => {
    const { trading, btc, venue, account } = await start();
    await assert.rejects(
      () => trading.trade(btc, 0.001),
      (error: unknown) =>
        error instanceof KestrelError && error.code === 'PRICE_REQUIRED' && error.field === 'price',
      'no quote yet: a market order cannot be bounded',
    );
    assert.equal(placed().length, 0);
    await venue.fetchQuote(btc);
    const orders = [
      await trading.trade(btc, 0.001, 59_000),
      await trading.trade(btc, 0.001, 59_000, { postOnly: true }),
      await trading.trade(btc, 0.001, 59_000, { timeInForce: 'IOC' }),
      await trading.trade(btc, -0.001, 70_000, { reduceOnly: true }),
      await trading.trade(btc, 0.001),
    ];
    assert.deepEqual(
      orders.map((o) => o.status),
      ['OPEN', 'OPEN', 'OPEN', 'OPEN', 'OPEN'],
    );
    assert.deepEqual(
      placed().map((o) => [
        o['a'],
        o['b'],
        o['p'],
        o['s'],
        o['r'],
        field(o['t'], 'limit') && (o['t'] as { limit: { tif: string } }).limit.tif,
      ]),
      [
        [0, true, '59000', '0.001', false, 'Gtc'],
        [0, true, '59000', '0.001', false, 'Alo'],
        [0, true, '59000', '0.001', false, 'Ioc'],
        [0, false, '70000', '0.001', true, 'Gtc'],
        // The ask (60001) plus 5 %, rounded to Hyperliquid's five significant figures
        [0, true, '63001', '0.001', false, 'Ioc'],
      ],
    );
    for (const [i, order] of orders.entries()) {
      assert.equal(placed()[i]?.['c'], cloid(order.clientId));
      assert.equal(
        HYPERLIQUID_PROFILE.clientId.codec.decode(cloid(order.clientId)),
        order.clientId,
      );
      assert.equal(account.findOrder(order.clientId)?.correlationKey, cloid(order.clientId));
    }
  });

  it('sends a batch order by order (ccxt would fail a whole batch for one refused order), each with its own verdict', async () => {
    const { trading, btc, hl } = await start();
    hl.refuseNext = undefined;
    const orders = await trading.submitOrders([
      { instrument: btc, amount: 0.001, price: 50_000 },
      { instrument: btc, amount: 0.001, price: 50_001 },
      { instrument: btc, amount: -0.001, price: 70_000 },
    ]);
    assert.deepEqual(
      orders.map((o) => o.status),
      ['OPEN', 'OPEN', 'OPEN'],
    );
    const actions = hl.wire
      .sent('POST', '/exchange')
      .map((r) => (r.body as { action: { orders?: unknown[] } }).action);
    assert.deepEqual(
      actions.map((a) => a.orders?.length),
      [1, 1, 1],
    );
  });

  it('cancels by cloid (cancelByCloid), also a PENDING order whose answer was lost, and confirms both', async () => {
    const { trading, btc, account, hl } = await start();
    const order = await trading.trade(btc, 0.001, 59_000);
    await trading.cancelOrder(order);
    hl.wire.loseNext('POST', '/exchange', 502);
    const id = trading.tradeAsync(btc, 0.001, 59_000);
    await until(
      () => hl.byCloid(cloid(id)) !== undefined && account.findOrder(id)?.status === 'PENDING',
      'the lost answer',
    );
    await trading.cancelOrder(id);
    const cancels = hl.wire
      .sent('POST', '/exchange')
      .map((r) => (r.body as { action: Record<string, unknown> }).action)
      .filter((a) => a['type'] === 'cancelByCloid')
      .flatMap((a) => a['cancels'] as Record<string, unknown>[]);
    assert.deepEqual(
      cancels.map((c) => c['cloid']),
      [cloid(order.clientId), cloid(id)],
    );
    await until(
      () =>
        account.findOrder(order.clientId)?.status === 'CANCELED' &&
        account.findOrder(id)?.status === 'CANCELED',
      'both cancels confirmed',
    );
  });

  it('amends with batchModify: the order gets a new id, the venue-id index follows, the new price is learned', async () => {
    const { trading, btc, account, hl } = await start();
    const order = await trading.trade(btc, 0.001, 59_000, { postOnly: true });
    const before = order.venueOrderId;
    await trading.updateOrder(order, { price: 59_500 });
    const modify = hl.wire
      .sent('POST', '/exchange')
      .map((r) => (r.body as { action: Record<string, unknown> }).action)
      .find((a) => a['type'] === 'batchModify');
    const change = ((modify?.['modifies'] ?? []) as Record<string, unknown>[])[0] ?? {};
    assert.equal(field(change['order'], 'p'), '59500');
    assert.equal(
      (change['order'] as { t: { limit: { tif: string } } }).t.limit.tif,
      'Alo',
      'still post-only',
    );
    await until(
      () =>
        account.findOrder(order.clientId)?.price === 59_500 &&
        account.findOrder(order.clientId)?.venueOrderId !== before,
      'the new id and price',
    );
    const now = account.findOrder(order.clientId);
    assert.equal(now?.venueOrderId, String(hl.byCloid(cloid(order.clientId))?.oid));
    assert.equal(account.findOrder(order.clientId)?.status, 'OPEN');
  });

  it('asks after an unknown order by cloid and hears unknownOid as "unknown"', async () => {
    const { trading, btc, venue, account, hl } = await start();
    const order = await trading.trade(btc, 0.001, 59_000);
    hl.orders.length = 0;
    assert.equal(await venue.queryOrder(account.findOrder(order.clientId) ?? order), undefined);
    const asked = hl.wire
      .sent('POST', '/info')
      .map((r) => r.body as Record<string, unknown>)
      .filter((b) => b['type'] === 'orderStatus');
    assert.equal(asked.at(-1)?.['oid'], cloid(order.clientId));
  });

  it('recovers 2,100 missed fills over two account-wide pages (fills of another market among them), each once', async () => {
    const { trading, btc, venue, account, hl } = await start();
    const order = await trading.trade(btc, 2.1, 59_000);
    const other = await trading.trade(kestrel?.instrument('ETH/USDC:USDC') ?? btc, 1, 2_900);
    const btcOrder = hl.byCloid(cloid(order.clientId));
    const ethOrder = hl.byCloid(cloid(other.clientId));
    assert.ok(btcOrder && ethOrder);
    const base = account.findOrder(order.clientId)?.createdAt ?? Date.now();
    for (let i = 0; i < 2100; i++) {
      hl.fill(btcOrder, '0.001', '59000', base + i);
      if (i % 10 === 0) hl.fill(ethOrder, '0.001', '2900', base + i);
    }
    await venue.resync();
    assert.equal(account.findOrder(order.clientId)?.status, 'FILLED');
    assert.equal(account.getPosition(btc).quantity, 2.1);
    const pages = hl.wire
      .sent('POST', '/info')
      .map((r) => r.body as Record<string, unknown>)
      .filter((b) => b['type'] === 'userFillsByTime');
    assert.ok(pages.length >= 2, `${pages.length} pages`);
    const booked = account.state.seen.size;
    await venue.resync();
    assert.equal(account.state.seen.size, booked, 'nothing booked twice');
  });

  it('classifies "Insufficient margin" as a venue rejection and a 502 as ambiguous (PENDING, then asked after)', async () => {
    const { trading, btc, hl } = await start();
    hl.refuseNext = 'Insufficient margin to place order. asset=0';
    const rejected = await trading.trade(btc, 1, 59_000);
    assert.equal(rejected.status, 'REJECTED');
    assert.match(rejected.reason ?? '', /^INSUFFICIENT_MARGIN: /);
    hl.wire.next('POST', '/exchange', () => ({ status: 502, body: 'Bad Gateway' }));
    const ambiguous = await trading.trade(btc, 0.001, 59_000);
    assert.equal(ambiguous.status, 'PENDING');
    await until(
      () =>
        hl.wire
          .sent('POST', '/info')
          .some((r) => (r.body as Record<string, unknown>)['oid'] === cloid(ambiguous.clientId)),
      'a status query by cloid',
    );
  });

  it('carries a short caller clientId literally and refuses one of 16 characters or more, sending and tracking nothing', async () => {
    const { trading, btc, account, hl } = await start();
    const order = await trading.trade(btc, 0.001, 59_000, { clientId: 'desk.a/17' });
    assert.equal(
      placed()[0]?.['c'],
      `0x4c${Buffer.from('desk.a/17').toString('hex').padEnd(30, '0')}`,
    );
    assert.equal(order.clientId, 'desk.a/17');
    await assertClientIdRefused(
      { trading, account },
      hl.wire,
      { instrument: btc, amount: 0.001, price: 59_000 },
      'my-strategy-order-17',
      'cloid',
    );
  });

  it('cancels an order placed outside Kestrel (adopted EXTERNAL) by its venue id alone', async () => {
    const { trading, btc, venue, account, hl } = await start();
    await trading.trade(btc, 0.001, 50_000);
    const foreign = hl.placeForeign('BTC', 'A', '70000', '0.002');
    const id = await cancelAdopted({ venue, account, trading }, foreign.oid);
    const cancel = hl.wire
      .sent('POST', '/exchange')
      .map((r) => (r.body as { action: Record<string, unknown> }).action)
      .filter((a) => a['type'] === 'cancel' || a['type'] === 'cancelByCloid')
      .at(-1);
    assert.deepEqual(
      [cancel?.['type'], ((cancel?.['cancels'] ?? []) as Record<string, unknown>[])[0]?.['o']],
      ['cancel', foreign.oid],
    );
    await until(() => account.findOrder(id)?.status === 'CANCELED', 'the cancel confirmed');
  });
});
