/**
 * The Lighter emulator's whole surface held to the venue's own description: every REST route
 * it serves answers with every field the OpenAPI spec (`../shared/fixtures/lighter/openapi.json`)
 * marks required, in the spec's types; the channels added for market data and the account
 * (`candle`, `height`, `market_stats`, `account_all`, `account_all_assets`, `account_market`,
 * `account_tx`) answer in the shape of the captured mainnet frames, and account ones need auth.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LighterEmulator } from '../../../src/emulators/lighter/index.ts';
import { startLighterEmulator } from '../../../src/emulators/lighter/index.ts';
import { ROUTE_NAMES } from '../../../src/emulators/lighter/rest-api.ts';
import { CHANNEL_NAMES } from '../../../src/emulators/lighter/stream.ts';
import { connect, fake, get, limit, sendTx } from './emulator-client.ts';
import { until } from './harness.ts';
import { hasSharedFixtures, readShared, SKIP_MESSAGE } from './shared-fixtures.ts';

interface SpecSchema {
  readonly $ref?: string;
  readonly type?: string;
  readonly properties?: Readonly<Record<string, SpecSchema>>;
  readonly required?: readonly string[];
  readonly items?: SpecSchema;
  readonly enum?: readonly unknown[];
}

interface Spec {
  readonly paths: Record<
    string,
    Record<string, { responses: Record<string, { schema?: SpecSchema }> }>
  >;
  readonly definitions: Record<string, SpecSchema>;
}

/** What in `value` breaks `schema`: a missing required field, a wrong type, a value off its enum */
function specFaults(spec: Spec, value: unknown, schema: SpecSchema, at: string): string[] {
  const resolved =
    schema.$ref === undefined
      ? schema
      : spec.definitions[schema.$ref.replace('#/definitions/', '')];
  if (resolved === undefined) return [`${at}: unknown schema ${schema.$ref}`];
  const faults: string[] = [];
  const type = resolved.type ?? (resolved.properties === undefined ? undefined : 'object');
  const is: Record<string, (v: unknown) => boolean> = {
    object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    array: Array.isArray,
    integer: Number.isInteger,
    number: (v) => typeof v === 'number' && Number.isFinite(v),
    string: (v) => typeof v === 'string',
    boolean: (v) => typeof v === 'boolean',
  };
  if (type !== undefined && is[type] !== undefined && !is[type](value)) {
    return [`${at}: ${JSON.stringify(value)?.slice(0, 60)} is not ${type}`];
  }
  if (resolved.enum !== undefined && !resolved.enum.includes(value))
    faults.push(`${at}: ${String(value)} is not one of ${resolved.enum.join(', ')}`);
  if (type === 'object') {
    const record = value as Record<string, unknown>;
    for (const field of resolved.required ?? [])
      if (record[field] === undefined) faults.push(`${at}.${field}: required, missing`);
    for (const [field, fieldSchema] of Object.entries(resolved.properties ?? {})) {
      if (record[field] === undefined || record[field] === null) continue;
      faults.push(...specFaults(spec, record[field], fieldSchema, `${at}.${field}`));
    }
  } else if (type === 'array' && resolved.items !== undefined) {
    (value as unknown[]).forEach((item, i) => {
      faults.push(...specFaults(spec, item, resolved.items!, `${at}[${i}]`));
    });
  }
  return faults;
}

const keysOf = (value: unknown) => Object.keys(value as object).sort();

describe('lighter emulator: every route against the OpenAPI spec', {
  skip: hasSharedFixtures ? false : SKIP_MESSAGE,
}, () => {
  let emulator: LighterEmulator;
  let auth: string;
  before(async () => {
    emulator = await startLighterEmulator({});
    emulator.setQuote('ETH', 2000, 2001, { bid: 5, ask: 5 });
    auth = await fake.createAuthToken(Math.floor(Date.now() / 1000) + 600);
    // A trade of ours (a buy taking the ask), an order resting, and a print of the market
    await sendTx(
      emulator,
      14,
      (await fake.signCreateOrder(limit({ price: 200100 }), { nonce: 0 })).txInfo,
    );
    await sendTx(
      emulator,
      14,
      (await fake.signCreateOrder(limit({ clientOrderIndex: 1002, price: 199000 }), { nonce: 1 }))
        .txInfo,
    );
    await until(() => emulator.exchange.nextNonce(emulator.apiKeyIndex) === 2, 'both accepted');
    await until(() => emulator.venue.openOrders().length === 1, 'the resting order');
    emulator.printTrade('ETH', 2000.5, 0.2, 'SELL');
  });
  after(() => emulator.close());

  it('answers every required field in the spec types on each route it serves', async () => {
    const spec = readShared('openapi.json') as Spec;
    const a = emulator.accountIndex;
    const now = Date.now();
    const requests: Record<string, string> = {
      'GET /': '/',
      'GET /info': '/info',
      'GET /api/v1/orderBookDetails': '/api/v1/orderBookDetails',
      'GET /api/v1/orderBooks': '/api/v1/orderBooks',
      'GET /api/v1/orderBookOrders': '/api/v1/orderBookOrders?market_id=0&limit=10',
      'GET /api/v1/recentTrades': '/api/v1/recentTrades?market_id=0&limit=10',
      'GET /api/v1/candles': `/api/v1/candles?market_id=0&resolution=1m&start_timestamp=${now - 3_600_000}&end_timestamp=${now + 60_000}&count_back=10`,
      'GET /api/v1/funding-rates': '/api/v1/funding-rates',
      'GET /api/v1/assetDetails': '/api/v1/assetDetails',
      'GET /api/v1/currentHeight': '/api/v1/currentHeight',
      'GET /api/v1/nextNonce': `/api/v1/nextNonce?account_index=${a}&api_key_index=${emulator.apiKeyIndex}`,
      'GET /api/v1/apikeys': `/api/v1/apikeys?account_index=${a}`,
      'GET /api/v1/account': `/api/v1/account?by=index&value=${a}`,
      'GET /api/v1/accountActiveOrders': `/api/v1/accountActiveOrders?account_index=${a}&market_id=0&auth=${auth}`,
      'GET /api/v1/accountInactiveOrders': `/api/v1/accountInactiveOrders?account_index=${a}&limit=10&auth=${auth}`,
      'GET /api/v1/accountOrders': `/api/v1/accountOrders?account_index=${a}&client_order_indexes=1001,1002&auth=${auth}`,
      'GET /api/v1/trades': `/api/v1/trades?account_index=${a}&sort_by=timestamp&limit=10&auth=${auth}`,
    };
    // sendTx and sendTxBatch are held to the spec by emulator.test.ts (they take signed bodies)
    const posts = ROUTE_NAMES.filter((r) => r.startsWith('POST '));
    assert.deepEqual(posts.sort(), ['POST /api/v1/sendTx', 'POST /api/v1/sendTxBatch']);
    assert.deepEqual(
      Object.keys(requests).sort(),
      ROUTE_NAMES.filter((r) => r.startsWith('GET ')).sort(),
      'every GET route is checked',
    );
    const faults: string[] = [];
    const bodies: Record<string, Record<string, unknown>> = {};
    for (const [route, path] of Object.entries(requests)) {
      const specPath = route.slice('GET '.length);
      const schema = spec.paths[specPath]?.['get']?.responses['200']?.schema;
      assert.ok(schema !== undefined, `the spec describes ${route}`);
      const reply = await get(emulator, path);
      assert.equal(reply.status, 200, `${route}: ${JSON.stringify(reply.body)}`);
      bodies[route] = reply.body;
      faults.push(...specFaults(spec, reply.body, schema, route));
    }
    // The venue's public tape leaves out the account-only fields the spec marks required on
    // Trade (the captured recentTrades reply has none of them): the emulator writes what the
    // venue sends there, and those alone may be missing
    const capturedTrade = (readShared('nautilus/http_recent_trades.json') as { trades: object[] })
      .trades[0];
    const tradeSpec = spec.definitions['Trade']?.required ?? [];
    const publicOnly = new Set(tradeSpec.filter((f) => !keysOf(capturedTrade).includes(f)));
    assert.ok(publicOnly.has('bid_account_pnl'), 'the capture lacks the account fields');
    const tapeGap = /^GET \/api\/v1\/recentTrades\.trades\[\d+\]\.(\w+): required, missing$/;
    assert.deepEqual(
      faults.filter((f) => !publicOnly.has(tapeGap.exec(f)?.[1] ?? '')),
      [],
    );

    // And the figures are the market's and the account's, not placeholders
    const detail = (
      bodies['GET /api/v1/orderBookDetails']?.['order_book_details'] as
        | Record<string, unknown>[]
        | undefined
    )?.[0];
    assert.equal(detail?.['symbol'], 'ETH');
    assert.equal(detail?.['last_trade_price'], 2000.5);
    const book = bodies['GET /api/v1/orderBookOrders'] as {
      asks: { price: string; owner_account_index: number }[];
      bids: { price: string; owner_account_index: number; order_index: number }[];
    };
    assert.equal(book.asks[0]?.price, '2001.00', 'best ask first');
    assert.deepEqual(
      book.bids.map((b) => [b.price, b.owner_account_index === a]),
      [
        ['2000.00', false],
        ['1990.00', true],
      ],
      'best bid first; our resting order among the book',
    );
    const candles = bodies['GET /api/v1/candles'] as { r: string; c: { c: number; v: number }[] };
    assert.equal(candles.r, '1m');
    assert.equal(candles.c.at(-1)?.c, 2000.5, 'the last print closes the candle');
    const [account] = (bodies['GET /api/v1/account']?.['accounts'] ?? []) as Record<
      string,
      unknown
    >[];
    assert.equal(account?.['cancel_all_time'], 0);
    assert.ok(Array.isArray(account?.['assets']) && account['assets'].length === 1);
    const trades = bodies['GET /api/v1/trades']?.['trades'] as Record<string, unknown>[];
    assert.equal(trades.length, 1);
    assert.equal(trades[0]?.['bid_account_pnl'] ?? trades[0]?.['ask_account_pnl'], '0.000000');
    assert.equal(
      (bodies['GET /api/v1/currentHeight']?.['height'] as number) > 0,
      true,
      'blocks were made',
    );
  });

  it('refuses what the venue refuses on the market-data routes', async () => {
    const refused = async (path: string, code: number) => {
      const reply = await get(emulator, path);
      assert.equal(reply.status, 400, path);
      assert.equal(reply.body['code'], code, `${path}: ${JSON.stringify(reply.body)}`);
    };
    await refused('/api/v1/orderBookOrders?market_id=0', 20002);
    await refused('/api/v1/orderBookOrders?market_id=77&limit=5', 21602);
    await refused(
      '/api/v1/candles?market_id=0&resolution=2m&start_timestamp=0&end_timestamp=1&count_back=1',
      20002,
    );
    await refused('/api/v1/assetDetails?asset_id=9', 20002);
    const unknown = await get(emulator, '/api/v1/notARoute');
    assert.equal(unknown.status, 404);
  });
});

describe('lighter emulator: market and account channels', {
  skip: hasSharedFixtures ? false : SKIP_MESSAGE,
}, () => {
  it('serves candle, height and market_stats in the captured shapes and pushes them as the market moves', async () => {
    const emulator = await startLighterEmulator({});
    const client = await connect(emulator);
    try {
      emulator.setQuote('ETH', 2000, 2001, { bid: 5, ask: 5 });
      emulator.printTrade('ETH', 2000.5, 0.1, 'BUY');
      for (const channel of ['candle/0/1m', 'height', 'market_stats/0', 'market_stats/all'])
        client.send({ type: 'subscribe', channel });
      const byType = (type: string, channel?: string) =>
        client.next(
          (f) => f['type'] === type && (channel === undefined || f['channel'] === channel),
          `${type} ${channel ?? ''}`,
        );
      const candle = await byType('subscribed/candle');
      const captured = readShared('nautilus/ws_candle_subscribed.json') as Record<string, unknown>;
      assert.deepEqual(keysOf(candle), keysOf(captured));
      const [first] = candle['candles'] as Record<string, unknown>[];
      assert.deepEqual(keysOf(first), keysOf((captured['candles'] as unknown[])[0]));
      assert.equal(first?.['c'], 2000.5);
      assert.equal(candle['channel'], 'candle:0:1m');
      const stats = await byType('subscribed/market_stats', 'market_stats:0');
      const capturedStats = readShared('nautilus/ws_market_stats_subscribed_single.json') as {
        market_stats: unknown;
      };
      assert.deepEqual(keysOf(stats), keysOf(capturedStats));
      assert.deepEqual(keysOf(stats['market_stats']), keysOf(capturedStats.market_stats));
      const all = await byType('subscribed/market_stats', 'market_stats:all');
      const capturedAll = readShared('nautilus/ws_market_stats_update_all.json') as {
        market_stats: Record<string, unknown>;
      };
      // The newer capture (the single market's) adds base_interest_rate to the older one's
      assert.deepEqual(
        keysOf((all['market_stats'] as Record<string, unknown>)['0']),
        [...keysOf(capturedAll.market_stats['0']), 'base_interest_rate'].sort(),
      );
      assert.deepEqual(
        keysOf(capturedStats.market_stats),
        [...keysOf(capturedAll.market_stats['0']), 'base_interest_rate'].sort(),
      );
      await byType('subscribed/height');

      client.frames.length = 0;
      emulator.printTrade('ETH', 2002, 0.3, 'BUY');
      const moved = await byType('update/candle');
      assert.deepEqual(
        (moved['candles'] as { h: number; c: number }[]).map((c) => [c.h, c.c]),
        [[2002, 2002]],
      );
      const update = await byType('update/market_stats', 'market_stats:0');
      assert.equal(
        (update['market_stats'] as Record<string, unknown>)['last_trade_price'],
        '2002.00',
      );
      await byType('update/market_stats', 'market_stats:all');
      await sendTx(emulator, 14, (await fake.signCreateOrder(limit(), { nonce: 0 })).txInfo);
      const height = await byType('update/height');
      assert.deepEqual(keysOf(height), keysOf(readShared('nautilus/ws_height_update.json')));
      assert.equal(height['height'], emulator.exchange.height);

      // Bad channel names are refused with the venue's subscribe error
      client.frames.length = 0;
      for (const channel of ['candle/0/2m', 'candle/9/1m', 'market_stats/9', 'height/1', 'nope/0'])
        client.send({ type: 'subscribe', channel });
      await until(
        () =>
          client.frames.filter((f) => (f['error'] as { code?: number } | undefined)?.code === 30012)
            .length === 5,
        'five refusals',
      );
    } finally {
      client.close();
      await emulator.close();
    }
  });

  it('serves account_all, account_all_assets, account_market and account_tx with auth, and pushes our trade on each', async () => {
    const emulator = await startLighterEmulator({});
    const client = await connect(emulator);
    try {
      emulator.setQuote('ETH', 2000, 2001, { bid: 5, ask: 5 });
      const a = emulator.accountIndex;
      const channels = [
        `account_all/${a}`,
        `account_all_assets/${a}`,
        `account_market/0/${a}`,
        `account_tx/${a}`,
      ];
      // Without a token each is refused (20001), and nothing is subscribed
      for (const channel of channels) client.send({ type: 'subscribe', channel });
      await until(
        () =>
          client.frames.filter((f) => (f['error'] as { code?: number } | undefined)?.code === 20001)
            .length === 4,
        'four auth refusals',
      );
      const auth = await fake.createAuthToken(Math.floor(Date.now() / 1000) + 600);
      for (const channel of channels) client.send({ type: 'subscribe', channel, auth });
      for (const name of ['account_all', 'account_all_assets', 'account_market', 'account_tx'])
        await client.next((f) => f['type'] === `subscribed/${name}`, name);
      const assets = client.frames.find((f) => f['type'] === 'subscribed/account_all_assets')!;
      const capturedAssets = readShared('nautilus/ws_account_all_assets_update.json') as {
        assets: Record<string, unknown>;
      };
      assert.deepEqual(keysOf(assets), keysOf(capturedAssets));
      assert.deepEqual(
        keysOf((assets['assets'] as Record<string, unknown>)['3']),
        keysOf(capturedAssets.assets['3']),
      );
      assert.equal(
        (assets['assets'] as Record<string, { balance: string }>)['3']?.balance,
        '100000.000000',
      );

      client.frames.length = 0;
      const tx = await fake.signCreateOrder(limit({ price: 200100 }), { nonce: 0 });
      await sendTx(emulator, 14, tx.txInfo);
      const all = await client.next(
        (f) => f['type'] === 'update/account_all' && keysOf(f['positions']).length > 0,
        'account_all with the position',
      );
      assert.equal(all['channel'], `account_all:${a}`);
      const allPosition = (all['positions'] as Record<string, { position: string }>)['0'];
      assert.equal(allPosition?.position, '0.0100');
      const marketTrades = await client.next(
        (f) => f['type'] === 'update/account_market' && f['trades'] !== undefined,
        'account_market with the trade',
      );
      assert.equal((marketTrades['trades'] as unknown[]).length, 1);
      const market = await client.next(
        (f) => f['type'] === 'update/account_market' && f['position'] !== undefined,
        'account_market with the position',
      );
      assert.equal(market['channel'], `account_market:0:${a}`);
      assert.equal((market['position'] as { position: string } | undefined)?.position, '0.0100');
      const txs = await client.next((f) => f['type'] === 'update/account_tx', 'account_tx');
      assert.deepEqual(
        (txs['txs'] as { hash: string }[]).map((t) => t.hash),
        [tx.txHash],
        'our transaction, under the hash the signer computed',
      );
      const moved = await client.next(
        (f) => f['type'] === 'update/account_all_assets',
        'account_all_assets',
      );
      const balance = (moved['assets'] as Record<string, { balance: string }>)['3']?.balance;
      assert.ok(balance !== undefined && Number(balance) < 100_000, `fee paid: ${balance}`);
    } finally {
      client.close();
      await emulator.close();
    }
  });

  it('its README names every route and channel it serves', () => {
    const readme = readFileSync(
      fileURLToPath(new URL('../../../src/emulators/lighter/README.md', import.meta.url)),
      'utf8',
    );
    const missing = [
      ...ROUTE_NAMES.map((r) => `\`${r}\``),
      ...CHANNEL_NAMES.map((c) => `\`${c}\``),
    ].filter((name) => !readme.includes(name));
    assert.deepEqual(missing, []);
  });
});
