import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { until } from '../../../test/helpers/wait.ts';
import { SimulatedClock } from '../../engine/clock.ts';
import { CandleSeries } from './candles.ts';
import type { BinanceUsdmEmulator } from './index.ts';
import {
  DEFAULT_API_KEY,
  DEFAULT_API_SECRET,
  signPayload,
  startBinanceUsdmEmulator,
} from './index.ts';
import {
  aggTradeJson,
  bookTickerJson,
  depthUpdateJson,
  forceOrderJson,
  klineJson,
  markPriceJson,
  tickerJson,
  tradeJson,
} from './market-streams.ts';
import { ROUTE_NAMES } from './rest-api.ts';

const FIXTURES = new URL('../../../../shared/fixtures/binance/nautilus/futures/', import.meta.url);

function fixture(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(path, FIXTURES), 'utf8')) as Record<string, unknown>;
}

/** Every field of the captured payload exists in ours with the same JSON type */
function assertSameShape(captured: unknown, ours: unknown, path = '$'): void {
  const kind = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  assert.equal(
    kind(ours),
    kind(captured),
    `${path}: ${kind(ours)} where Binance has ${kind(captured)}`,
  );
  if (Array.isArray(captured) && Array.isArray(ours)) {
    if (captured.length > 0 && ours.length > 0) assertSameShape(captured[0], ours[0], `${path}[0]`);
    return;
  }
  if (kind(captured) === 'object') {
    const theirs = captured as Record<string, unknown>;
    const mine = ours as Record<string, unknown>;
    for (const key of Object.keys(theirs)) {
      assert.ok(key in mine, `${path}.${key} is missing`);
      assertSameShape(theirs[key], mine[key], `${path}.${key}`);
    }
  }
}

async function signed(
  emulator: BinanceUsdmEmulator,
  method: string,
  path: string,
  params: Record<string, string>,
  options: { readonly key?: string; readonly secret?: string; readonly timestamp?: number } = {},
): Promise<{ status: number; body: unknown }> {
  const query = new URLSearchParams({
    ...params,
    timestamp: String(options.timestamp ?? Date.now()),
  }).toString();
  const payload = `${query}&signature=${signPayload(query, options.secret ?? DEFAULT_API_SECRET)}`;
  const headers: Record<string, string> = { 'X-MBX-APIKEY': options.key ?? DEFAULT_API_KEY };
  const get = method === 'GET' || method === 'DELETE';
  if (!get) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  const response = await fetch(`${emulator.url}${path}${get ? `?${payload}` : ''}`, {
    method,
    headers,
    ...(get ? {} : { body: payload }),
  });
  return { status: response.status, body: await response.json() };
}

describe('Binance USDⓈ-M emulator', () => {
  let emulator: BinanceUsdmEmulator;
  before(async () => {
    emulator = await startBinanceUsdmEmulator();
    emulator.setQuote('BTCUSDT', 64000, 64000.5, 2, 2);
  });
  after(async () => {
    await emulator.close();
  });

  it('verifies key, signature, timestamp and recvWindow with Binance codes', async () => {
    const order = {
      symbol: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '0.002',
      price: '60000',
    };
    const cases: [string, Parameters<typeof signed>[4], number, number][] = [
      ['wrong secret', { secret: 'nope' }, 400, -1022],
      ['wrong key', { key: 'nope' }, 401, -2015],
      ['stale timestamp', { timestamp: Date.now() - 60_000 }, 400, -1021],
      ['future timestamp', { timestamp: Date.now() + 30_000 }, 400, -1021],
    ];
    for (const [name, options, status, code] of cases) {
      const answer = await signed(emulator, 'POST', '/fapi/v1/order', order, options);
      assert.equal(answer.status, status, name);
      assert.equal((answer.body as { code: number }).code, code, name);
    }
    const unsigned = await fetch(`${emulator.url}/fapi/v1/openOrders?timestamp=${Date.now()}`, {
      headers: { 'X-MBX-APIKEY': DEFAULT_API_KEY },
    });
    assert.equal(((await unsigned.json()) as { code: number }).code, -1102);
    const noKey = await fetch(`${emulator.url}/fapi/v1/listenKey`, { method: 'POST' });
    assert.equal(((await noKey.json()) as { code: number }).code, -2014);
    assert.equal(emulator.venue.openOrders().length, 0);
    const bad = await signed(emulator, 'POST', '/fapi/v1/order', { ...order, type: 'STOP_MARKET' });
    assert.equal((bad.body as { code: number }).code, -4120);
    const unknown = await signed(emulator, 'GET', '/fapi/v1/order', {
      symbol: 'BTCUSDT',
      origClientOrderId: 'nobody',
    });
    assert.equal((unknown.body as { code: number }).code, -2013);
  });

  it('answers and pushes payloads with the fields and types of the captured Binance ones', async (t) => {
    if (!existsSync(FIXTURES)) {
      t.skip('../shared/fixtures/binance is absent');
      return;
    }
    const socket = await new Promise<WebSocket>((resolve, reject) => {
      void (async () => {
        const key = await fetch(`${emulator.url}/fapi/v1/listenKey`, {
          method: 'POST',
          headers: { 'X-MBX-APIKEY': DEFAULT_API_KEY },
        });
        const { listenKey } = (await key.json()) as { listenKey: string };
        const ws = new WebSocket(`${emulator.wsUrl}/private/ws?listenKey=${listenKey}`);
        ws.on('open', () => resolve(ws));
        ws.on('error', reject);
      })().catch(reject);
    });
    const received: Record<string, unknown>[] = [];
    socket.on('message', (data) =>
      received.push(JSON.parse(String(data)) as Record<string, unknown>),
    );
    const placed = await signed(emulator, 'POST', '/fapi/v1/order', {
      symbol: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '0.003',
      price: '63000',
      newClientOrderId: 'shape-1',
    });
    assertSameShape(fixture('http_json/order_response.json'), placed.body);
    emulator.printTrade('BTCUSDT', 62999.9, 0.001, 'SELL');
    await until(
      () =>
        received.some(
          (m) =>
            m['e'] === 'ORDER_TRADE_UPDATE' && (m['o'] as Record<string, unknown>)['x'] === 'TRADE',
        ) && received.some((m) => m['e'] === 'ACCOUNT_UPDATE'),
      'the trade and account pushes',
    );
    const updates = received.filter((m) => m['e'] === 'ORDER_TRADE_UPDATE');
    const trade = updates.find((m) => (m['o'] as Record<string, unknown>)['x'] === 'TRADE');
    assertSameShape(fixture('user_data_json/order_update_new.json'), updates[0]);
    assertSameShape(fixture('user_data_json/order_update_trade_partial.json'), trade);
    assert.equal((trade?.['o'] as Record<string, unknown> | undefined)?.['c'], 'shape-1');
    assertSameShape(
      fixture('user_data_json/account_update.json'),
      received.find((m) => m['e'] === 'ACCOUNT_UPDATE'),
    );
    const account = await signed(emulator, 'GET', '/fapi/v2/account', {});
    assertSameShape(fixture('http_json/account_info_v2.json'), account.body);
    const positions = await signed(emulator, 'GET', '/fapi/v2/positionRisk', {});
    assertSameShape(fixture('http_json/position_risk.json'), positions.body);
    const balance = await signed(emulator, 'GET', '/fapi/v2/balance', {});
    assertSameShape(fixture('http_json/balance.json'), balance.body);
    socket.close();

    // Public streams, built from the same market state the sockets publish
    const now = Date.now();
    const market = {
      instrument: emulator.instruments[0]!,
      bids: [[64000, 2]] as [number, number][],
      asks: [[64000.5, 2]] as [number, number][],
      updateId: 7,
      bookTime: now,
      trades: [],
      nextTradeId: 2,
      candles: new CandleSeries(),
    };
    const print = { id: 1, price: 64000.5, quantity: 0.5, side: 'BUY' as const, time: now };
    assertSameShape(
      fixture('market_data_json/book_ticker_stream.json'),
      bookTickerJson(market, now),
    );
    assertSameShape(
      fixture('market_data_json/agg_trade_stream.json'),
      aggTradeJson(market, print, now),
    );
    assertSameShape(fixture('market_data_json/trade_stream.json'), tradeJson(market, print, now));
    assertSameShape(
      fixture('market_data_json/depth_update_stream.json'),
      depthUpdateJson(market, 7, 6, market.bids, market.asks, now),
    );
    market.candles.add(print);
    const candle = market.candles.current('1m');
    assert.ok(candle);
    assertSameShape(
      fixture('market_data_json/kline_stream_open.json'),
      klineJson(market, '1m', candle, now),
    );
    assertSameShape(fixture('market_data_json/ticker_stream.json'), tickerJson(market, now));
    const prices = { markPrice: () => 64000.25, fundingRate: 0.0001, nextFundingTime: () => now };
    assertSameShape(
      fixture('market_data_json/mark_price_stream.json'),
      markPriceJson(market, prices, now),
    );
    assertSameShape(
      fixture('market_data_json/liquidation_stream.json'),
      forceOrderJson(
        market,
        { side: 'SELL', price: 63990, quantity: 0.014, averagePrice: 63990, time: now },
        now,
      ),
    );
  });

  it('answers algo orders and pushes ALGO_UPDATE in the captured shapes', async (t) => {
    if (!existsSync(FIXTURES)) {
      t.skip('../shared/fixtures/binance is absent');
      return;
    }
    const venue = await startBinanceUsdmEmulator();
    try {
      venue.setQuote('BTCUSDT', 64000, 64000.5, 2, 2);
      const placed = await signed(venue, 'POST', '/fapi/v1/algoOrder', {
        algoType: 'CONDITIONAL',
        symbol: 'BTCUSDT',
        side: 'BUY',
        type: 'STOP_MARKET',
        quantity: '0.002',
        triggerPrice: '65000',
        clientAlgoId: 'shape-algo',
      });
      assert.equal(placed.status, 200);
      const open = await signed(venue, 'GET', '/fapi/v1/openAlgoOrders', {});
      // The capture names the order type `type`; Binance's documented algo order answers (and
      // ccxt's parser) name it `orderType`, which the emulator follows
      const captured = (
        fixture('http_json/open_algo_orders.json') as unknown as Record<string, unknown>[]
      ).map(({ type, ...rest }) => ({ ...rest, orderType: type }));
      assertSameShape(captured, open.body);
      await until(() => venue.pushes.some((p) => p['e'] === 'ALGO_UPDATE'), 'the ALGO_UPDATE');
      const update = venue.pushes.find((p) => p['e'] === 'ALGO_UPDATE');
      assertSameShape(fixture('user_data_json/algo_update_new.json'), update);
      await signed(venue, 'DELETE', '/fapi/v1/algoOrder', { clientAlgoId: 'shape-algo' });
      await until(
        () => venue.pushes.some((p) => (p['o'] as Record<string, unknown>)['X'] === 'CANCELED'),
        'the cancel',
      );
      const canceled = venue.pushes.find(
        (p) => (p['o'] as Record<string, unknown>)['X'] === 'CANCELED',
      );
      assertSameShape(fixture('user_data_json/algo_update_canceled.json'), canceled);
    } finally {
      await venue.close();
    }
  });

  it('expires good-till-date orders and algo orders at their date, on the venue clock', async () => {
    const clock = new SimulatedClock(1_800_000_000_000);
    const venue = await startBinanceUsdmEmulator({ clock });
    try {
      venue.setQuote('BTCUSDT', 64000, 64000.5, 2, 2);
      const goodTill = String(1_800_000_000_000 + 700_000);
      const gtd = await signed(
        venue,
        'POST',
        '/fapi/v1/order',
        {
          symbol: 'BTCUSDT',
          side: 'BUY',
          type: 'LIMIT',
          timeInForce: 'GTD',
          goodTillDate: goodTill,
          quantity: '0.002',
          price: '63000',
          newClientOrderId: 'gtd-1',
        },
        { timestamp: clock.now() },
      );
      assert.equal((gtd.body as Record<string, unknown>)['timeInForce'], 'GTD');
      await signed(
        venue,
        'POST',
        '/fapi/v1/algoOrder',
        {
          algoType: 'CONDITIONAL',
          symbol: 'BTCUSDT',
          side: 'SELL',
          type: 'STOP_MARKET',
          quantity: '0.002',
          triggerPrice: '60000',
          timeInForce: 'GTD',
          goodTillDate: goodTill,
          clientAlgoId: 'gtd-algo',
        },
        { timestamp: clock.now() },
      );
      clock.advanceTo(1_800_000_000_000 + 699_000);
      assert.equal(venue.venue.order({ clientId: 'gtd-1' })?.status, 'NEW', 'not yet');
      clock.advanceTo(1_800_000_000_000 + 701_000);
      assert.equal(venue.venue.order({ clientId: 'gtd-1' })?.status, 'EXPIRED');
      const expired = venue.pushes.filter(
        (p) =>
          (p['o'] as Record<string, unknown>)['X'] === 'EXPIRED' &&
          ['gtd-1', 'gtd-algo'].includes(
            String(
              (p['o'] as Record<string, unknown>)['c'] ??
                (p['o'] as Record<string, unknown>)['caid'],
            ),
          ),
      );
      assert.equal(expired.length, 2, 'the order and the algo order');
    } finally {
      await venue.close();
    }
  });

  it('replays a market data feed into the venue and its streams', async () => {
    const instrument = emulator.instruments[1]!;
    const events = [0, 1, 2].map((i) => ({
      type: 'quote' as const,
      instrument,
      time: 1_000 + i,
      bid: 3000 + i,
      bidSize: 1,
      ask: 3000.5 + i,
      askSize: 1,
    }));
    let served = false;
    const replaying = await startBinanceUsdmEmulator({
      speed: Number.POSITIVE_INFINITY,
      feed: {
        next: async () => {
          if (served) return undefined;
          served = true;
          return events;
        },
      },
    });
    try {
      await replaying.replayDone;
      const ticker = (await (
        await fetch(`${replaying.url}/fapi/v1/ticker/bookTicker?symbol=ETHUSDT`)
      ).json()) as Record<string, unknown>;
      assert.equal(ticker['bidPrice'], '3002.00');
      assert.equal(ticker['askPrice'], '3002.50');
    } finally {
      await replaying.close();
    }
  });

  it('serves the fault API over HTTP for another process', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${emulator.url}/_kestrel${path}`, { method: 'POST', body: JSON.stringify(body) }).then(
        async (r) => ({
          status: r.status,
          body: (await r.json()) as Record<string, unknown>,
        }),
      );
    assert.equal(
      (await post('/faults/fail-requests', { status: 503, path: '/fapi/v1/time', count: 1 }))
        .status,
      200,
    );
    assert.equal((await fetch(`${emulator.url}/fapi/v1/time`)).status, 503);
    assert.equal((await fetch(`${emulator.url}/fapi/v1/time`)).status, 200);
    assert.equal((await post('/faults/drop-pushes', { count: 2 })).status, 200);
    const state = (await (await fetch(`${emulator.url}/_kestrel/faults`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(state['dropPushes'], 2);
    assert.equal((await post('/faults/reset', {})).status, 200);
    assert.equal((await post('/faults/drop-pushes', { count: -1 })).status, 400);
    assert.equal((await post('/faults/nonsense', {})).status, 404);
    assert.equal(
      (await post('/market/quote', { symbol: 'BTCUSDT', bid: 64100, ask: 64100.5 })).status,
      200,
    );
    const ticker = (await (
      await fetch(`${emulator.url}/fapi/v1/ticker/bookTicker?symbol=BTCUSDT`)
    ).json()) as Record<string, unknown>;
    assert.equal(ticker['bidPrice'], '64100.0');
  });

  it('lists every order it accepted and every execution it made, here and over HTTP', async () => {
    const venue = await startBinanceUsdmEmulator();
    try {
      venue.setQuote('BTCUSDT', 64000, 64000.5, 2, 2);
      const place = (clientId: string, extra: Record<string, string>) =>
        signed(venue, 'POST', '/fapi/v1/order', {
          symbol: 'BTCUSDT',
          side: 'BUY',
          quantity: '0.002',
          newClientOrderId: clientId,
          ...extra,
        });
      await place('o-open', { type: 'LIMIT', timeInForce: 'GTC', price: '60000' });
      await place('o-gone', { type: 'LIMIT', timeInForce: 'GTC', price: '60001' });
      await signed(venue, 'DELETE', '/fapi/v1/order', {
        symbol: 'BTCUSDT',
        origClientOrderId: 'o-gone',
      });
      await place('o-fill', { type: 'MARKET' });
      const refused = await place('o-refused', { type: 'LIMIT', timeInForce: 'GTC', price: '1' });
      assert.equal(refused.status, 400);
      assert.deepEqual(
        venue.orders().map((o) => [o.clientId, o.status, o.filled]),
        [
          ['o-open', 'NEW', 0],
          ['o-gone', 'CANCELED', 0],
          ['o-fill', 'FILLED', 0.002],
        ],
      );
      const fill = venue.executions()[0];
      assert.equal(venue.executions().length, 1);
      assert.equal(fill?.clientId, 'o-fill');
      assert.equal(String(fill?.orderId), venue.venue.order({ clientId: 'o-fill' })?.orderId);
      assert.ok((fill?.fee ?? 0) > 0);
      const orders = (await (await fetch(`${venue.url}/_kestrel/orders`)).json()) as Record<
        string,
        unknown
      >[];
      assert.deepEqual(
        orders.map((o) => [o['clientId'], o['status'], o['symbol']]),
        [
          ['o-open', 'NEW', 'BTCUSDT'],
          ['o-gone', 'CANCELED', 'BTCUSDT'],
          ['o-fill', 'FILLED', 'BTCUSDT'],
        ],
      );
      const executions = (await (await fetch(`${venue.url}/_kestrel/executions`)).json()) as Record<
        string,
        unknown
      >[];
      assert.deepEqual(
        executions.map((t) => [t['id'], t['clientId'], t['side'], t['quantity'], t['price']]),
        [[fill?.id, 'o-fill', 'BUY', 0.002, 64000.5]],
      );
    } finally {
      await venue.close();
    }
  });
});

describe('Binance USDⓈ-M emulator README', () => {
  it('lists every route the emulator serves', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    for (const route of ROUTE_NAMES) {
      const tail = route.split(' ')[1]?.replace(/^\/(fapi|sapi)\/v\d+/, '') ?? route;
      assert.ok(readme.includes(tail), `${route} is not in the README`);
    }
  });
});
