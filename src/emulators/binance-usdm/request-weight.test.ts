/**
 * The emulator's request weights are Binance's documented ones (USDⓈ-M REST docs, each
 * endpoint's "Request Weight"), route by route, and Kestrel's pacing (ccxt's cost per request,
 * corrected by the venue profile where ccxt underprices) charges each read what the venue
 * counts for it. The account's order-rate limits (300 orders per 10 s, 1 200 per minute) are
 * enforced (429, -1015, nothing placed), and Kestrel paces orders by them: as fast as they allow,
 * never faster.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimulatedClock, systemClock } from '../../engine/clock.ts';
import { loadCcxtConfig } from '../../venues/ccxt/config.ts';
import { createExchange } from '../../venues/ccxt/exchange.ts';
import { BINANCEUSDM_PROFILE } from '../../venues/ccxt/profiles/binanceusdm.ts';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startBinanceUsdmEmulator } from './index.ts';
import {
  BINANCE_ORDER_RATE,
  ORDER_COUNTS,
  REQUEST_WEIGHTS,
  requestWeight,
} from './request-weight.ts';
import { ROUTE_NAMES } from './rest-api.ts';

/** The docs' weights, [route, params, weight]: each row a documented figure */
const DOCUMENTED: ReadonlyArray<readonly [string, Record<string, string>, number]> = [
  ['GET /fapi/v1/depth', {}, 10],
  ['GET /fapi/v1/depth', { limit: '5' }, 2],
  ['GET /fapi/v1/depth', { limit: '100' }, 5],
  ['GET /fapi/v1/depth', { limit: '1000' }, 20],
  ['GET /fapi/v1/klines', {}, 5],
  ['GET /fapi/v1/klines', { limit: '99' }, 1],
  ['GET /fapi/v1/klines', { limit: '100' }, 2],
  ['GET /fapi/v1/klines', { limit: '1000' }, 5],
  ['GET /fapi/v1/klines', { limit: '1500' }, 10],
  ['GET /fapi/v1/trades', { symbol: 'BTCUSDT' }, 5],
  ['GET /fapi/v1/aggTrades', { symbol: 'BTCUSDT' }, 20],
  ['GET /fapi/v1/premiumIndex', { symbol: 'BTCUSDT' }, 1],
  ['GET /fapi/v1/premiumIndex', {}, 10],
  ['GET /fapi/v1/ticker/24hr', {}, 40],
  ['GET /fapi/v1/ticker/price', {}, 2],
  ['GET /fapi/v2/ticker/price', {}, 2],
  ['GET /fapi/v2/ticker/price', { symbol: 'BTCUSDT' }, 1],
  ['GET /fapi/v1/ticker/bookTicker', { symbol: 'BTCUSDT' }, 2],
  ['POST /fapi/v1/order', {}, 0],
  ['PUT /fapi/v1/order', {}, 0],
  ['POST /fapi/v1/batchOrders', {}, 5],
  ['POST /fapi/v1/algoOrder', {}, 0],
  ['GET /fapi/v1/openOrders', {}, 40],
  ['GET /fapi/v1/openOrders', { symbol: 'BTCUSDT' }, 1],
  ['GET /fapi/v1/openAlgoOrders', {}, 40],
  ['GET /fapi/v1/allOrders', { symbol: 'BTCUSDT' }, 5],
  ['GET /fapi/v1/allAlgoOrders', { symbol: 'BTCUSDT' }, 5],
  ['GET /fapi/v1/userTrades', { symbol: 'BTCUSDT' }, 5],
  ['GET /fapi/v2/account', {}, 5],
  ['GET /fapi/v3/account', {}, 5],
  ['GET /fapi/v2/balance', {}, 5],
  ['GET /fapi/v3/balance', {}, 5],
  ['GET /fapi/v2/positionRisk', {}, 5],
  ['GET /fapi/v3/positionRisk', {}, 5],
  ['GET /fapi/v1/accountConfig', {}, 5],
  ['GET /fapi/v1/symbolConfig', {}, 5],
  ['GET /fapi/v1/commissionRate', { symbol: 'BTCUSDT' }, 20],
  ['GET /fapi/v1/multiAssetsMargin', {}, 30],
  ['GET /fapi/v1/positionSide/dual', {}, 30],
  ['POST /fapi/v1/positionSide/dual', {}, 1],
];

describe('Binance USDⓈ-M request weights', () => {
  it('weighs every route it serves as the docs do', () => {
    assert.deepEqual(
      ROUTE_NAMES.filter((route) => !(route in REQUEST_WEIGHTS)),
      [],
      'every served route has its documented weight',
    );
    for (const [route, params, weight] of DOCUMENTED)
      assert.equal(requestWeight(route, params), weight, `${route} ${JSON.stringify(params)}`);
  });

  it('counts the documented weight on the wire (X-MBX-USED-WEIGHT-1M)', async () => {
    const clock = new SimulatedClock(1_790_000_000_000);
    const emulator = await startBinanceUsdmEmulator({ clock });
    try {
      let used = 0;
      const weighs = async (path: string, signed = false) => {
        const query = signed ? `timestamp=${clock.now()}` : '';
        const url = signed
          ? `${emulator.url}${path}?${query}&signature=${(await import('./index.ts')).signPayload(query, DEFAULT_API_SECRET)}`
          : `${emulator.url}${path}`;
        const response = await fetch(url, { headers: { 'X-MBX-APIKEY': DEFAULT_API_KEY } });
        assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
        const now = Number(response.headers.get('x-mbx-used-weight-1m'));
        const weight = now - used;
        used = now;
        return weight;
      };
      assert.equal(await weighs('/fapi/v3/account', true), 5);
      assert.equal(await weighs('/fapi/v2/balance', true), 5);
      assert.equal(await weighs('/fapi/v1/premiumIndex'), 10);
      assert.equal(await weighs('/fapi/v1/klines?symbol=BTCUSDT&interval=1m'), 5);
      assert.equal(await weighs('/fapi/v1/positionSide/dual', true), 30);
    } finally {
      await emulator.close();
    }
  });

  it("has Kestrel's ccxt pacing charge each read what the venue counts for it", async () => {
    // One window for the whole test: the used weight only grows
    const emulator = await startBinanceUsdmEmulator({
      requestWeight: { weight: 1e9, intervalMs: 1e13 },
    });
    emulator.setQuote('BTCUSDT', 64000, 64000.5, 2, 2);
    const { exchange, shutdown } = createExchange(
      loadCcxtConfig({
        exchange: 'binanceusdm',
        apiKey: DEFAULT_API_KEY,
        secret: DEFAULT_API_SECRET,
        url: emulator.url,
        env: {},
      }),
      systemClock,
      'private',
      undefined,
      BINANCEUSDM_PROFILE,
    );
    const ccxt = exchange as unknown as Record<string, (...args: unknown[]) => Promise<unknown>> & {
      throttle(cost?: number): Promise<unknown>;
    };
    /** What the venue counted for the requests it received since `from` */
    const counted = (from: number) =>
      emulator.requests
        .slice(from)
        .reduce((sum, r) => sum + requestWeight(`${r.method} ${r.path}`, r.params), 0);
    try {
      await exchange.loadMarkets();
      const paced: number[] = [];
      const throttle = ccxt.throttle.bind(ccxt);
      ccxt.throttle = (cost?: number) => {
        paced.push(cost ?? 1);
        return throttle(cost);
      };
      const calls: ReadonlyArray<readonly [string, () => Promise<unknown>]> = [
        ['fetchBalance', () => ccxt['fetchBalance']?.() as Promise<unknown>],
        ['fetchPositions', () => ccxt['fetchPositions']?.() as Promise<unknown>],
        ['fetchOpenOrders, all', () => ccxt['fetchOpenOrders']?.() as Promise<unknown>],
        [
          'fetchOpenOrders, one',
          () => ccxt['fetchOpenOrders']?.('BTC/USDT:USDT') as Promise<unknown>,
        ],
        ['fetchOrderBook', () => ccxt['fetchOrderBook']?.('BTC/USDT:USDT') as Promise<unknown>],
        [
          'fetchOrderBook, 5',
          () => ccxt['fetchOrderBook']?.('BTC/USDT:USDT', 5) as Promise<unknown>,
        ],
        ['fetchMyTrades', () => ccxt['fetchMyTrades']?.('BTC/USDT:USDT') as Promise<unknown>],
        ['fetchFundingRates', () => ccxt['fetchFundingRates']?.() as Promise<unknown>],
      ];
      const found: string[] = [];
      for (const [name, call] of calls) {
        const from = emulator.requests.length;
        paced.length = 0;
        await call();
        const charged = paced.reduce((sum, cost) => sum + cost, 0);
        found.push(`${name}: paced ${charged}, counted ${counted(from)}`);
      }
      assert.deepEqual(
        found,
        found.map((line) => line.replace(/paced \d+/, `paced ${/counted (\d+)/.exec(line)?.[1]}`)),
        'each read paced at the weight the venue counts',
      );
    } finally {
      await shutdown();
      await emulator.close();
    }
  });

  it("refuses an order past the account's order-rate limit with 429 -1015, placing nothing, and reports the counts", async () => {
    // Windows far longer than the test: no boundary resets a count midway
    const emulator = await startBinanceUsdmEmulator({
      orderRate: [
        { orders: 3, intervalMs: 1e13 },
        { orders: 1000, intervalMs: 1e13 },
      ],
    });
    emulator.setQuote('BTCUSDT', 64000, 64000.5, 2, 2);
    const { signPayload } = await import('./index.ts');
    const place = async (id: string) => {
      const query = `symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.002&price=60000&newClientOrderId=${id}&timestamp=${Date.now()}`;
      const response = await fetch(
        `${emulator.url}/fapi/v1/order?${query}&signature=${signPayload(query, DEFAULT_API_SECRET)}`,
        { method: 'POST', headers: { 'X-MBX-APIKEY': DEFAULT_API_KEY } },
      );
      return {
        status: response.status,
        body: (await response.json()) as { code?: number; msg?: string },
        count: response.headers.get('x-mbx-order-count-10s'),
      };
    };
    try {
      const answers = [await place('a1'), await place('a2'), await place('a3')];
      assert.deepEqual(
        answers.map((a) => [a.status, a.count]),
        [
          [200, '1'],
          [200, '2'],
          [200, '3'],
        ],
      );
      const refused = await place('a4');
      assert.equal(refused.status, 429);
      assert.equal(refused.body.code, -1015);
      assert.match(refused.body.msg ?? '', /^Too many new orders; current limit is 3 orders per /);
      assert.deepEqual(
        emulator.venue
          .openOrders()
          .map((o) => o.clientId)
          .sort(),
        ['a1', 'a2', 'a3'],
        'the refused order is not placed',
      );
    } finally {
      await emulator.close();
    }
  });

  it("has Kestrel's ccxt pacing space orders by the order-rate limits: never past them, not far under them", async () => {
    const emulator = await startBinanceUsdmEmulator({});
    emulator.setQuote('BTCUSDT', 64000, 64000.5, 2, 2);
    const { exchange, shutdown } = createExchange(
      loadCcxtConfig({
        exchange: 'binanceusdm',
        apiKey: DEFAULT_API_KEY,
        secret: DEFAULT_API_SECRET,
        url: emulator.url,
        env: {},
      }),
      systemClock,
      'private',
      undefined,
      BINANCEUSDM_PROFILE,
    );
    const ccxt = exchange as unknown as Record<string, (...args: unknown[]) => Promise<unknown>> & {
      throttle(cost?: number): Promise<unknown>;
      rateLimit: number;
    };
    const [tenSeconds, minute] = BINANCE_ORDER_RATE;
    try {
      await exchange.loadMarkets();
      const paced: number[] = [];
      const throttle = ccxt.throttle.bind(ccxt);
      ccxt.throttle = (cost?: number) => {
        paced.push(cost ?? 1);
        return throttle(cost);
      };
      const symbol = 'BTC/USDT:USDT';
      const calls: ReadonlyArray<readonly [string, () => Promise<unknown>]> = [
        [
          'createOrder',
          () => ccxt['createOrder']?.(symbol, 'limit', 'buy', 0.002, 60000) as Promise<unknown>,
        ],
        [
          'createOrders',
          () =>
            ccxt['createOrders']?.([
              { symbol, type: 'limit', side: 'buy', amount: 0.002, price: 60000 },
              { symbol, type: 'limit', side: 'buy', amount: 0.002, price: 60001 },
            ]) as Promise<unknown>,
        ],
        [
          'createOrder with a trigger (algo)',
          () =>
            ccxt['createOrder']?.(symbol, 'market', 'buy', 0.002, undefined, {
              triggerPrice: 70000,
            }) as Promise<unknown>,
        ],
      ];
      const faults: string[] = [];
      for (const [name, call] of calls) {
        const from = emulator.requests.length;
        paced.length = 0;
        await call();
        const sent = emulator.requests
          .slice(from)
          .filter((r) => ORDER_COUNTS[`${r.method} ${r.path}`] !== undefined);
        assert.equal(sent.length, 1, `${name}: one order-placing request`);
        const request = sent[0] as (typeof sent)[number];
        const route = `${request.method} ${request.path}`;
        const [per10s, perMinute] = ORDER_COUNTS[route] as readonly [number, number];
        // The bucket's time per request, and the fewest ms per request each venue limit allows
        const ms = paced.reduce((sum, cost) => sum + cost, 0) * ccxt.rateLimit;
        const floor = Math.max(
          (per10s * tenSeconds.intervalMs) / tenSeconds.orders,
          (perMinute * minute.intervalMs) / minute.orders,
          (requestWeight(route, request.params) * 60_000) / 2400,
        );
        // Paced back to back for a whole window, with ccxt's burst of two on top
        const in10s = (Math.floor(tenSeconds.intervalMs / ms) + 2) * per10s;
        const inMinute = (Math.floor(minute.intervalMs / ms) + 2) * perMinute;
        if (in10s > tenSeconds.orders || inMinute > minute.orders)
          faults.push(`${name}: ${ms} ms apart allows ${in10s} per 10 s, ${inMinute} per minute`);
        if (ms > floor * 1.1)
          faults.push(`${name}: ${ms} ms apart where the venue allows one every ${floor} ms`);
      }
      assert.deepEqual(faults, []);
    } finally {
      await shutdown();
      await emulator.close();
    }
  });
});
