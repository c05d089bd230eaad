/**
 * The tour: real, unmodified ccxt (`ccxt.pro.binanceusdm`, default options: only its URLs point
 * at the emulator) makes every call Kestrel makes, and the ones the venue has beyond them
 * (leverage, margin type, position mode and hedge orders, funding rate, mark price, klines,
 * allOrders, batch cancel, conditional orders through the Algo Service, GTD, priceMatch, the
 * wallet's coin list ccxt loads markets with; the markPrice, kline, ticker and forceOrder
 * streams), and each outcome and refusal carries Binance's status or code. One emulator, one
 * ccxt client, the steps in order.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import ccxt from 'ccxt';
import { sleep } from '../../../test/helpers/wait.ts';
import { createInstrument } from '../../core/instrument.ts';
import type { BinanceUsdmEmulator } from './index.ts';
import {
  DEFAULT_API_KEY,
  DEFAULT_API_SECRET,
  defaultInstruments,
  EMULATOR_EXCHANGE,
  startBinanceUsdmEmulator,
} from './index.ts';

type Json = Record<string, unknown>;
/** The part of ccxt's binanceusdm the tour calls; its answers are read as plain JSON */
type Client = Record<string, (...args: unknown[]) => Promise<unknown>> & {
  urls: { api: Record<string, unknown> };
};

const S = 'BTC/USDT:USDT';
const SOL = 'SOL/USDT:USDT';
/** Coarse steps, so a price or quantity can be within precision and still off the grid */
const SOL_PERP = createInstrument({
  symbol: 'SOLUSDT',
  exchange: EMULATOR_EXCHANGE,
  marketType: 'SWAP',
  base: 'SOL',
  quote: 'USDT',
  settle: 'USDT',
  tickSize: 0.05,
  lotSize: 0.5,
  minSize: 0.5,
  minNotional: 5,
  makerFee: 0.0002,
  takerFee: 0.0005,
});

/** The Binance error code in a ccxt error's message (`binanceusdm {"code":-5021,...}`) */
/** The book the tour starts from: BTCUSDT 64000 / 64000.5, two levels a side */
function setStartingBook(emulator: BinanceUsdmEmulator): void {
  emulator.setBook(
    'BTCUSDT',
    [
      [64000, 2],
      [63999, 3],
    ],
    [
      [64000.5, 2],
      [64001, 3],
    ],
  );
}

function codeOf(error: unknown): number | undefined {
  const match = /"code":\s*(-?\d+)/.exec((error as Error).message ?? '');
  return match === null ? undefined : Number(match[1]);
}

async function refused(action: Promise<unknown>, code: number, what: string): Promise<void> {
  await assert.rejects(action, (error: unknown) => {
    assert.equal(codeOf(error), code, `${what}: ${(error as Error).message}`);
    return true;
  });
}

/** A step that hangs fails on its own instead of holding the whole suite */
const STEP = { timeout: 120_000 };

async function eventually(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const STREAMS = ['bidsAsks', 'trades', 'book', 'markPrice', 'kline', 'ticker', 'liquidations'];
const pendingNames = (got: Record<string, unknown>) => STREAMS.filter((name) => !(name in got));

describe('tour: real ccxt binanceusdm with default options against the emulator', () => {
  let emulator: BinanceUsdmEmulator;
  let ex: Client;
  /** Calls a method of the ccxt client by name */
  let call: (method: string, ...args: unknown[]) => Promise<unknown>;
  let stopped = false;
  const orders: Json[] = [];
  const trades: Json[] = [];
  const balances: Json[] = [];
  const watchers: Promise<void>[] = [];
  const ccxtTimers = new Set<NodeJS.Timeout>();

  /** Collects everything a watch* call yields until the tour ends */
  const collect = (watch: () => Promise<unknown>, into: Json[]) =>
    watchers.push(
      (async () => {
        while (!stopped) {
          try {
            const batch = await watch();
            into.push(...((Array.isArray(batch) ? batch : [batch]) as Json[]));
          } catch {
            if (stopped) return;
            await sleep(50);
          }
        }
      })(),
    );
  const ordersOf = (clientOrderId: string) =>
    orders.filter((o) => o['clientOrderId'] === clientOrderId);

  before(async () => {
    emulator = await startBinanceUsdmEmulator({ instruments: [...defaultInstruments(), SOL_PERP] });
    setStartingBook(emulator);
    emulator.setQuote('ETHUSDT', 3000, 3000.01, 20, 20);
    emulator.setQuote('SOLUSDT', 150, 150.05, 100, 100);
    emulator.printTrade('BTCUSDT', 64000.5, 0.01, 'BUY');
    const Constructor = (ccxt.pro as unknown as Record<string, new (config: Json) => Client>)[
      'binanceusdm'
    ];
    assert.ok(Constructor);
    ex = new Constructor({ apiKey: DEFAULT_API_KEY, secret: DEFAULT_API_SECRET });
    // ccxt schedules the listenKey keepalive (20 minutes on) with a bare setTimeout that close()
    // leaves armed, which would hold this process open; the tour keeps those timers to clear them
    const spawn = ex['spawn'];
    ex['delay'] = async (ms, method, ...args) => {
      const timer = setTimeout(() => {
        ccxtTimers.delete(timer);
        void spawn?.apply(ex, [method, ...args]);
      }, Number(ms));
      ccxtTimers.add(timer);
    };
    call = (method, ...args) => {
      const fn = ex[method];
      assert.ok(fn, `ccxt binanceusdm has no ${method}`);
      return fn.apply(ex, args);
    };
    const api = ex.urls.api;
    for (const [name, value] of Object.entries(api)) {
      if (typeof value === 'string') api[name] = value.replace(/^https:\/\/[^/]+/, emulator.url);
    }
    const ws = api['ws'] as Record<string, unknown>;
    for (const [name, value] of Object.entries(ws)) {
      if (typeof value === 'string') ws[name] = value.replace(/^wss:\/\/[^/]+/, emulator.wsUrl);
    }
    await call('loadHttpProxyAgent');
  });

  after(async () => {
    stopped = true;
    await ex?.['close']?.();
    for (const timer of ccxtTimers) clearTimeout(timer);
    // A watch* call ccxt left pending on a closed socket must not hold the suite
    await Promise.race([Promise.allSettled(watchers), sleep(5_000)]);
    await emulator?.close();
  });

  it(
    'loads markets as ccxt does by default: the wallet coin list, margin pairs, exchangeInfo',
    STEP,
    async () => {
      const markets = (await call('loadMarkets')) as Json;
      assert.ok(markets[S] !== undefined && markets[SOL] !== undefined);
      const paths = emulator.requests.map((r) => `${r.method} ${r.path}`);
      for (const path of [
        'GET /sapi/v1/capital/config/getall',
        'GET /sapi/v1/margin/allPairs',
        'GET /fapi/v1/exchangeInfo',
      ]) {
        assert.ok(paths.includes(path), path);
      }
      assert.ok(emulator.requests.every((r) => r.status === 200));
    },
  );

  it('streams the account: orders, trades and balance through the listenKey', STEP, async () => {
    collect(() => call('watchOrders'), orders);
    collect(() => call('watchMyTrades'), trades);
    collect(() => call('watchBalance'), balances);
    await eventually(() => emulator.connections().openUser > 0, 'the user data socket');
  });

  it('places, queries, amends and cancels limit orders by venue and client id', STEP, async () => {
    const placed = (await call('createOrder', S, 'limit', 'buy', 0.002, 63000, {
      clientOrderId: 'tour-limit',
    })) as Json;
    assert.equal(placed['status'], 'open');
    assert.equal(placed['clientOrderId'], 'tour-limit');
    const byClient = (await call('fetchOrder', undefined, S, {
      clientOrderId: 'tour-limit',
    })) as Json;
    assert.equal(byClient['id'], placed['id']);
    const edited = (await call('editOrder', placed['id'], S, 'limit', 'buy', 0.003, 63100)) as Json;
    assert.equal(edited['price'], 63100);
    assert.equal(edited['amount'], 0.003);
    await refused(
      call('editOrder', placed['id'], S, 'limit', 'buy', 0.003, 63100),
      -5027,
      'a modify that changes nothing',
    );
    const open = (await call('fetchOpenOrders', S)) as Json[];
    assert.deepEqual(
      open.map((o) => o['clientOrderId']),
      ['tour-limit'],
    );
    const canceled = (await call('cancelOrder', undefined, S, {
      clientOrderId: 'tour-limit',
    })) as Json;
    assert.equal(canceled['status'], 'canceled');
    await refused(call('cancelOrder', placed['id'], S), -2011, 'a second cancel');
    await refused(call('fetchOrder', '123', S), -2013, 'an unknown order');
    await eventually(
      () => ordersOf('tour-limit').some((o) => o['status'] === 'canceled'),
      'the cancel on the stream',
    );
  });

  it(
    'fills market orders, books the trades, and expires what IOC and market orders leave',
    STEP,
    async () => {
      const market = (await call('createOrder', S, 'market', 'buy', 0.003, undefined, {
        clientOrderId: 'tour-market',
      })) as Json;
      assert.equal(market['status'], 'closed');
      assert.equal(market['filled'], 0.003);
      await eventually(
        () => trades.some((t) => t['order'] === market['id']),
        'the fill on the stream',
      );
      const mine = (await call('fetchMyTrades', S, undefined, undefined, {
        orderId: market['id'],
      })) as Json[];
      assert.deepEqual(
        mine.map((t) => [t['amount'], t['price'], t['takerOrMaker']]),
        [[0.003, 64000.5, 'taker']],
      );
      // Binance: the unfilled rest of an IOC and of a market order ends EXPIRED, not CANCELED
      const ioc = (await call('createOrder', S, 'limit', 'buy', 0.002, 63900, {
        timeInForce: 'IOC',
        clientOrderId: 'tour-ioc',
      })) as Json;
      assert.equal(ioc['status'], 'expired');
      assert.equal((ioc['info'] as Json)['status'], 'EXPIRED');
      // ETH shows 20 at the ask: a market order for 25 takes them and the rest expires
      const sweep = (await call('createOrder', 'ETH/USDT:USDT', 'market', 'buy', 25, undefined, {
        clientOrderId: 'tour-sweep',
      })) as Json;
      assert.equal(sweep['status'], 'expired');
      assert.equal(sweep['filled'], 20);
      await call('createOrder', 'ETH/USDT:USDT', 'market', 'sell', 20, undefined, {
        reduceOnly: true,
      });
      await refused(
        call('createOrder', S, 'market', 'buy', 5),
        -2019,
        'five BTC are beyond the margin',
      );
      // The expiry on the user data stream, with its expire reason
      const expiredOnStream = async (clientId: string, reason: string, what: string) => {
        const expired = () =>
          ordersOf(clientId).find((o) => (o['info'] as Json)['x'] === 'EXPIRED');
        await eventually(() => expired() !== undefined, `the ${what} expiry on the stream`);
        assert.equal(
          (expired()?.['info'] as Json | undefined)?.['er'],
          reason,
          `expire reason: ${what}`,
        );
      };
      await expiredOnStream('tour-sweep', '9', 'market remainder');
      await expiredOnStream('tour-ioc', '2', 'IOC remainder');
    },
  );

  it(
    'refuses with Binance futures codes: FOK, post-only, filters, notional, duplicates, position side',
    STEP,
    async () => {
      await refused(
        call('createOrder', S, 'limit', 'buy', 5, 64001, { timeInForce: 'FOK' }),
        -5021,
        'a FOK the book cannot fill',
      );
      await refused(
        call('createOrder', S, 'limit', 'buy', 0.002, 64100, { postOnly: true }),
        -5022,
        'a post-only that would take',
      );
      await refused(
        call('createOrder', S, 'limit', 'buy', 0.001, 60000),
        -4164,
        'under the minimum notional',
      );
      await refused(
        call('createOrder', S, 'limit', 'buy', 0.002, 63000, { positionSide: 'LONG' }) ??
          Promise.resolve(),
        -4061,
        'LONG on a one-way account',
      );
      const raw = (params: Json) =>
        call('fapiPrivatePostOrder', {
          symbol: 'SOLUSDT',
          side: 'BUY',
          type: 'LIMIT',
          timeInForce: 'GTC',
          ...params,
        });
      // ccxt rounds to the grid, so these go through its raw endpoint (still signed by ccxt)
      await refused(raw({ quantity: '1', price: '150.02' }), -4014, 'a price off the tick');
      await refused(raw({ quantity: '1', price: '150.005' }), -1111, 'a price past its precision');
      await refused(raw({ quantity: '1.2', price: '150' }), -4023, 'a quantity off the step');
      await refused(
        raw({ quantity: '1.25', price: '150' }),
        -1111,
        'a quantity past its precision',
      );
      await refused(raw({ quantity: '0', price: '150' }), -4003, 'a zero quantity');
      await refused(
        raw({ quantity: '1', price: '150', timeInForce: 'GTD', goodTillDate: String(Date.now()) }),
        -5040,
        'a good-till-date in the past',
      );
      await refused(raw({ quantity: '1', priceMatch: 'BEST' }), -5037, 'an unknown priceMatch');
      await refused(
        raw({ quantity: '1', price: '150', priceMatch: 'QUEUE' }),
        -1106,
        'priceMatch with a price',
      );
      await refused(raw({ quantity: '1', type: 'STOP_MARKET' }), -4120, 'a conditional type');
      await call('createOrder', SOL, 'limit', 'buy', 1, 149, { clientOrderId: 'tour-dup' });
      await refused(
        call('createOrder', SOL, 'limit', 'buy', 1, 149, { clientOrderId: 'tour-dup' }) ??
          Promise.resolve(),
        -4116,
        'a live client id reused',
      );
      await call('cancelOrder', undefined, SOL, { clientOrderId: 'tour-dup' });
    },
  );

  it('takes GTD and priceMatch orders, and cancels in batches', STEP, async () => {
    const goodTill = Date.now() + 3_600_000;
    const gtd = (await call('createOrder', S, 'limit', 'buy', 0.002, 62000, {
      timeInForce: 'GTD',
      goodTillDate: goodTill,
      clientOrderId: 'tour-gtd',
    })) as Json;
    assert.equal((gtd['info'] as Json)['timeInForce'], 'GTD');
    assert.equal((gtd['info'] as Json)['goodTillDate'], goodTill);
    const queue = (await call('createOrder', S, 'limit', 'sell', 0.002, undefined, {
      priceMatch: 'QUEUE',
      clientOrderId: 'tour-queue',
    })) as Json;
    assert.equal(queue['price'], 64000.5, 'the best price of its own side');
    assert.equal((queue['info'] as Json)['priceMatch'], 'QUEUE');
    const all = (await call('fetchOrders', S)) as Json[];
    assert.ok(all.some((o) => o['clientOrderId'] === 'tour-market' && o['status'] === 'closed'));
    const batch = (await call('cancelOrders', [gtd['id'], queue['id']], S)) as Json[];
    assert.deepEqual(
      batch.map((o) => o['status']),
      ['canceled', 'canceled'],
    );
    // Entry by entry: ccxt drops the refused ones from its result, so ask through its raw call
    const raw = (await call('fapiPrivateDeleteBatchOrders', {
      symbol: 'BTCUSDT',
      orderIdList: JSON.stringify([Number(gtd['id']), 42]),
    })) as Json[];
    assert.deepEqual(
      raw.map((entry) => entry['code']),
      [-2011, -2011],
      'both refused: canceled before, and never known',
    );
  });

  it(
    'places, lists, fetches and cancels conditional orders through the Algo Service',
    STEP,
    async () => {
      const stop = (await call('createOrder', S, 'market', 'sell', 0.003, undefined, {
        triggerPrice: 63000,
        reduceOnly: true,
        clientOrderId: 'tour-stop',
      })) as Json;
      assert.equal(stop['status'], 'open');
      assert.equal((stop['info'] as Json)['algoStatus'], 'NEW');
      const stopLimit = (await call('createOrder', S, 'limit', 'sell', 0.002, 62900, {
        triggerPrice: 63000,
        reduceOnly: true,
        clientOrderId: 'tour-stop-limit',
      })) as Json;
      assert.equal((stopLimit['info'] as Json)['orderType'], 'STOP');
      const open = (await call('fetchOpenOrders', S, undefined, undefined, {
        trigger: true,
      })) as Json[];
      assert.deepEqual(open.map((o) => o['clientOrderId']).sort(), [
        'tour-stop',
        'tour-stop-limit',
      ]);
      const fetched = (await call('fetchOrder', undefined, S, {
        trigger: true,
        clientOrderId: 'tour-stop-limit',
      })) as Json;
      assert.equal(fetched['id'], stopLimit['id']);
      await call('cancelOrder', undefined, S, { trigger: true, clientOrderId: 'tour-stop-limit' });
      await refused(
        call('createOrder', S, 'market', 'sell', 0.002, undefined, { triggerPrice: 64500 }) ??
          Promise.resolve(),
        -2021,
        'a stop that would trigger at once',
      );
      // The market falls through the stop: it triggers, its order sells the position, FINISHED
      emulator.printTrade('BTCUSDT', 62990, 0.01, 'SELL');
      emulator.setBook(
        'BTCUSDT',
        [
          [62990, 2],
          [62980, 3],
        ],
        [
          [62990.5, 2],
          [62991, 3],
        ],
      );
      emulator.printTrade('BTCUSDT', 62990, 0.01, 'SELL');
      await eventually(
        () => ordersOf('tour-stop').some((o) => (o['info'] as Json)['X'] === 'FINISHED'),
        'the stop finished on the stream',
      );
      // On the wire, in order: the algo order's life, and its triggered order under the same client id
      const wire = emulator.pushes
        .map((push) => push['o'] as Json | undefined)
        .filter((o) => o?.['caid'] === 'tour-stop' || o?.['c'] === 'tour-stop')
        .map((o) =>
          o?.['caid'] === undefined ? `order ${String(o?.['x'])}` : `algo ${String(o['X'])}`,
        );
      assert.deepEqual(wire, [
        'algo NEW',
        'algo TRIGGERING',
        'algo TRIGGERED',
        'order NEW',
        'order TRADE',
        'algo FINISHED',
      ]);
      const finished = (await call('fetchOrder', undefined, S, {
        trigger: true,
        clientOrderId: 'tour-stop',
      })) as Json;
      assert.equal((finished['info'] as Json)['algoStatus'], 'FINISHED');
      const actualId = String((finished['info'] as Json)['actualOrderId']);
      const filled = (await call('fetchOrder', actualId, S)) as Json;
      assert.equal(
        filled['clientOrderId'],
        'tour-stop',
        'the triggered order carries the algo client id',
      );
      assert.equal(filled['status'], 'closed');
      const positions = (await call('fetchPositions', [S])) as Json[];
      assert.equal(positions.length, 0, 'the stop closed the position');
    },
  );

  it('sets leverage and margin type, refusing what Binance refuses', STEP, async () => {
    const leverage = (await call('setLeverage', 10, S)) as Json;
    assert.equal(leverage['leverage'], 10);
    // ccxt refuses 200 itself; its raw call reaches the venue
    await refused(
      call('fapiPrivatePostLeverage', { symbol: 'BTCUSDT', leverage: 200 }),
      -4028,
      'leverage 200',
    );
    const fetched = (await call('fetchLeverage', S)) as Json;
    assert.equal(fetched['longLeverage'], 10);
    await call('setMarginMode', 'isolated', S);
    await refused(call('setMarginMode', 'isolated', S), -4046, 'no change');
    await call('setMarginMode', 'cross', S);
    await call('createOrder', S, 'limit', 'buy', 0.002, 60000, { clientOrderId: 'tour-rest' });
    await refused(call('setMarginMode', 'isolated', S), -4047, 'open orders');
    await refused(call('setPositionMode', true), -4067, 'open orders');
    await call('cancelAllOrders', S);
    assert.equal(((await call('fetchOpenOrders', S)) as Json[]).length, 0);
  });

  it('trades both sides in hedge mode, per side, refusing the one-way forms', STEP, async () => {
    await refused(call('setPositionMode', false), -4059, 'already one-way');
    await call('setPositionMode', true);
    const mode = (await call('fetchPositionMode', S)) as Json;
    assert.equal(mode['hedged'], true);
    setStartingBook(emulator);
    await call('createOrder', S, 'market', 'buy', 0.003, undefined, { positionSide: 'LONG' });
    await call('createOrder', S, 'market', 'sell', 0.002, undefined, { positionSide: 'SHORT' });
    const positions = (await call('fetchPositions', [S])) as Json[];
    assert.deepEqual(positions.map((p) => [p['side'], p['contracts']]).sort(), [
      ['long', 0.003],
      ['short', 0.002],
    ]);
    await refused(
      call('createOrder', S, 'market', 'buy', 0.003),
      -4061,
      'no position side in hedge mode',
    );
    await refused(
      call('createOrder', S, 'market', 'sell', 0.003, undefined, {
        positionSide: 'LONG',
        reduceOnly: true,
      }),
      -1106,
      'reduceOnly in hedge mode',
    );
    await refused(call('setPositionMode', false), -4068, 'positions held');
    await refused(call('setMarginMode', 'isolated', S), -4048, 'a position');
    // ccxt's hedged reduce-only: the closing side of each position
    await call('createOrder', S, 'market', 'sell', 0.003, undefined, {
      hedged: true,
      reduceOnly: true,
    });
    await call('createOrder', S, 'market', 'buy', 0.002, undefined, {
      hedged: true,
      reduceOnly: true,
    });
    assert.equal(((await call('fetchPositions', [S])) as Json[]).length, 0);
    await call('setPositionMode', false);
  });

  it('serves balances, market data, funding and mark price, klines', STEP, async () => {
    const balance = (await call('fetchBalance')) as Record<string, Json>;
    assert.ok(Number(balance['USDT']?.['total']) > 0);
    await eventually(() => balances.length > 0, 'a balance push');
    const book = (await call('fetchOrderBook', S, 5)) as Json;
    assert.deepEqual((book['bids'] as number[][])[0], [64000, 2]);
    const bidsAsks = (await call('fetchBidsAsks', [S])) as Record<string, Json>;
    assert.equal(bidsAsks[S]?.['ask'], 64000.5);
    const funding = (await call('fetchFundingRate', S)) as Json;
    assert.equal(funding['fundingRate'], 0.0001);
    assert.ok(Number(funding['fundingTimestamp']) > Date.now());
    const mark = (await call('fetchMarkPrice', S)) as Json;
    assert.equal(mark['markPrice'], 64000.3);
    const candles = (await call('fetchOHLCV', S, '1m')) as number[][];
    assert.ok(candles.length > 0);
    assert.ok(candles.every((c) => c.length === 6 && Number(c[2]) >= Number(c[3])));
  });

  it(
    'pushes the public streams: bidsAsks, trades, books, markPrice, kline, ticker, liquidations',
    STEP,
    async () => {
      const got: Record<string, unknown> = {};
      const watch = (name: string, subscribe: () => Promise<unknown>) =>
        subscribe().then((value) => {
          got[name] = value;
        });
      const pending = [
        watch('bidsAsks', () => call('watchBidsAsks', [S])),
        watch('trades', () => call('watchTradesForSymbols', [S])),
        watch('book', () => call('watchOrderBookForSymbols', [S])),
        watch('markPrice', () => call('watchMarkPrice', S)),
        watch('kline', () => call('watchOHLCV', S, '1m')),
        watch('ticker', () => call('watchTicker', S)),
        watch('liquidations', () => call('watchLiquidations', S)),
      ];
      // Move the market until every stream has spoken (subscriptions land as the sockets open)
      const all = Promise.all(pending);
      let settled = false;
      let failure: unknown;
      all.then(
        () => {
          settled = true;
        },
        (error: unknown) => {
          failure = error;
        },
      );
      for (let i = 0; !settled && failure === undefined && i < 300; i++) {
        emulator.setQuote('BTCUSDT', 64000 + (i % 2), 64000.5 + (i % 2), 2, 2);
        emulator.printTrade('BTCUSDT', 64000.5, 0.001, 'BUY');
        emulator.liquidate('BTCUSDT', 'SELL', 63990, 0.05);
        await sleep(100);
      }
      if (failure !== undefined) throw failure;
      assert.ok(settled, `streams that never spoke: ${pendingNames(got).join(', ')}`);
      assert.equal((got['markPrice'] as Json)['symbol'], S);
      assert.ok(Array.isArray(got['kline']));
      assert.equal((got['ticker'] as Json)['symbol'], S);
      const [liquidation] = got['liquidations'] as Json[];
      assert.equal((liquidation?.['info'] as Json | undefined)?.['S'], 'SELL');
    },
  );
});
