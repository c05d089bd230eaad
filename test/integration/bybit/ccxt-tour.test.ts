/**
 * The tour: real ccxt `bybit` with its default options, pointed at the Bybit emulator, makes
 * every call Kestrel's ccxt venue makes (markets, balance, positions, open and closed orders
 * filtered to one order, create, batch create, amend, cancel, executions paged by cursor,
 * quotes, book, and the order, execution, balance, bid/ask, book and trade streams) and the
 * other calls of the emulator's surface (cancel-all, leverage, position mode, tickers, recent
 * trades, server time, positions stream). Each outcome is checked, and each refusal must reach
 * ccxt as the error class it gives Bybit's retCode, with that retCode.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BybitEmulator } from '../../../src/emulators/bybit/index.ts';
import { until } from '../../helpers/wait.ts';
import type { BybitClient } from './harness.ts';
import { bybitClient, startBookedEmulator } from './harness.ts';

const BTC = 'BTC/USDT:USDT';
const ETH = 'ETH/USDT:USDT';

/** The ccxt error class and Bybit retCode a call was refused with */
async function refusal(call: Promise<unknown>): Promise<[string, number | undefined]> {
  try {
    await call;
  } catch (error) {
    const code = /"retCode":(\d+)/.exec((error as Error).message)?.[1];
    return [(error as Error).constructor.name, code === undefined ? undefined : Number(code)];
  }
  assert.fail('the call was not refused');
}

describe('ccxt bybit (default options) touring the Bybit emulator', () => {
  let emulator: BybitEmulator;
  let bybit: BybitClient;

  before(async () => {
    emulator = await startBookedEmulator({ rateLimits: false });
    bybit = await bybitClient(emulator);
  });
  after(async () => {
    await bybit?.close();
    await emulator?.close();
  });

  it('loads markets, time, balance, tickers, books and trades as Bybit lists them', async () => {
    const markets = await bybit.loadMarkets();
    assert.deepEqual(Object.keys(markets).sort(), [BTC, ETH]);
    const btc = markets[BTC];
    assert.deepEqual(
      [
        btc.type,
        btc.linear,
        btc.settle,
        btc.precision.price,
        btc.precision.amount,
        btc.limits.amount.min,
        btc.limits.cost.min,
      ],
      ['swap', true, 'USDT', 0.1, 0.001, 0.001, 5],
    );
    assert.equal(btc.limits.leverage.max, 100);
    assert.ok(Math.abs((await bybit.fetchTime()) - Date.now()) < 60_000);
    const balance = await bybit.fetchBalance();
    assert.deepEqual(
      [balance.USDT.total, balance.USDT.free, balance.USDT.used],
      [10_000, 10_000, 0],
    );
    const bidsAsks = await bybit.fetchBidsAsks([BTC]);
    assert.deepEqual([bidsAsks[BTC].bid, bidsAsks[BTC].ask], [64000, 64000.1]);
    const ticker = await bybit.fetchTicker(ETH);
    assert.deepEqual([ticker.bid, ticker.ask, ticker.bidVolume], [3000, 3000.01, 10]);
    const book = await bybit.fetchOrderBook(BTC, 1);
    assert.deepEqual([book.bids, book.asks], [[[64000, 1]], [[64000.1, 1]]]);
    emulator.printTrade('BTCUSDT', 64000.1, 0.3, 'BUY');
    const trades = await bybit.fetchTrades(BTC);
    assert.deepEqual(
      trades.map((t: { price: number; amount: number; side: string }) => [
        t.price,
        t.amount,
        t.side,
      ]),
      [[64000.1, 0.3, 'buy']],
    );
  });

  it('creates, lists, amends and cancels an order under our client id, with the streams telling the same', async () => {
    const orders = bybit.watchOrders();
    await subscribedTo(emulator, 'order');
    const created = await bybit.createOrder(BTC, 'limit', 'buy', 0.01, 63000, {
      clientOrderId: 'ktour-1',
      timeInForce: 'GTC',
    });
    assert.match(created.id, /^[0-9a-f-]{36}$/);
    assert.equal(created.clientOrderId, 'ktour-1');
    const streamed = await orders;
    assert.deepEqual(
      streamed.map((o: { clientOrderId: string; status: string }) => [o.clientOrderId, o.status]),
      [['ktour-1', 'open']],
    );
    // Kestrel looks an order up in the open list filtered to it, then in the closed list
    const open = await bybit.fetchOpenOrders(BTC, undefined, undefined, { orderLinkId: 'ktour-1' });
    assert.deepEqual(
      open.map((o: { id: string; status: string; price: number; amount: number }) => [
        o.id,
        o.status,
        o.price,
        o.amount,
      ]),
      [[created.id, 'open', 63000, 0.01]],
    );
    const all = await bybit.fetchOpenOrders(BTC, undefined, undefined, { paginate: true });
    assert.equal(all.length, 1);
    await bybit.editOrder(created.id, BTC, 'limit', 'buy', 0.02, 63100);
    const amended = await bybit.fetchOrder(created.id, BTC, { acknowledged: true });
    assert.deepEqual([amended.price, amended.amount, amended.status], [63100, 0.02, 'open']);
    assert.deepEqual(await refusal(bybit.editOrder(created.id, BTC, 'limit', 'buy', 0.02, 63100)), [
      'BadRequest',
      10001,
    ]);
    // Kestrel names the order by both ids; Bybit takes the orderId first
    const canceled = await bybit.cancelOrder(created.id, BTC, { orderLinkId: 'ktour-1' });
    assert.equal(canceled.id, created.id);
    assert.deepEqual(await refusal(bybit.cancelOrder(created.id, BTC)), ['OrderNotFound', 110001]);
    // By orderLinkId Bybit ignores openOnly: the just-canceled order is still listed, as canceled
    const listed = await bybit.fetchOpenOrders(BTC, undefined, undefined, {
      orderLinkId: 'ktour-1',
    });
    assert.deepEqual(
      listed.map((o: { status: string }) => o.status),
      ['canceled'],
    );
    assert.deepEqual(await bybit.fetchOpenOrders(BTC), []);
    const closed = await bybit.fetchCanceledAndClosedOrders(BTC, undefined, undefined, {
      orderLinkId: 'ktour-1',
    });
    assert.deepEqual(
      closed.map((o: { clientOrderId: string; status: string; filled: number }) => [
        o.clientOrderId,
        o.status,
        o.filled,
      ]),
      [['ktour-1', 'canceled', 0]],
    );
    assert.deepEqual(
      await refusal(
        bybit.createOrder(BTC, 'limit', 'buy', 0.01, 63000, { clientOrderId: 'ktour-1' }),
      ),
      ['InvalidOrder', 110072],
    );
  });

  it('batches orders, each entry with its own verdict, and cancels all of a symbol', async () => {
    // The same entry twice: the second is a duplicate client id
    const b1 = {
      symbol: BTC,
      type: 'limit',
      side: 'buy',
      amount: 0.01,
      price: 62000,
      params: { clientOrderId: 'ktour-b1' },
    };
    const answers = await bybit.createOrders([
      b1,
      {
        symbol: BTC,
        type: 'limit',
        side: 'sell',
        amount: 0.01,
        price: 66000,
        params: { clientOrderId: 'ktour-b2', postOnly: true },
      },
      b1,
    ]);
    assert.deepEqual(
      answers.map(
        (o: { clientOrderId: string; status: string | undefined; info: { code?: number } }) => [
          o.clientOrderId,
          o.status ?? 'acknowledged',
          o.info.code ?? 0,
        ],
      ),
      [
        ['ktour-b1', 'acknowledged', 0],
        ['ktour-b2', 'acknowledged', 0],
        ['ktour-b1', 'rejected', 110072],
      ],
    );
    const canceled = await bybit.cancelAllOrders(BTC);
    assert.deepEqual(canceled.map((o: { clientOrderId: string }) => o.clientOrderId).sort(), [
      'ktour-b1',
      'ktour-b2',
    ]);
    assert.deepEqual(await bybit.fetchOpenOrders(BTC), []);
  });

  it('fills, books executions paged by cursor, positions and balance, and refuses with Bybit’s codes', async () => {
    const trades = bybit.watchMyTrades();
    const balance = bybit.watchBalance();
    await subscribedTo(emulator, 'execution');
    await subscribedTo(emulator, 'wallet');
    for (let i = 0; i < 3; i++)
      await bybit.createOrder(BTC, 'market', 'buy', 0.01, undefined, {
        clientOrderId: `ktour-m${i}`,
      });
    const streamed = await trades;
    assert.equal(
      streamed[0].order,
      emulator.orders().find((o) => o.orderLinkId === 'ktour-m0')?.orderId,
    );
    assert.deepEqual(
      [streamed[0].price, streamed[0].amount, streamed[0].fee.currency],
      [64000.1, 0.01, 'USDT'],
    );
    assert.ok((await balance).USDT.total < 10_000);
    // Kestrel pages executions by the cursor ccxt leaves on the newest row of a page
    const since = Date.now() - 60_000;
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const rows = await bybit.fetchMyTrades(BTC, since, 2, cursor === undefined ? {} : { cursor });
      seen.push(...rows.map((t: { id: string }) => t.id));
      cursor = rows
        .map((t: { info: { nextPageCursor?: string } }) => t.info.nextPageCursor)
        .find((c: unknown) => c !== undefined);
      if (rows.length < 2 || cursor === undefined) break;
    }
    assert.deepEqual(
      seen.sort(),
      emulator
        .executions()
        .map((e) => e.execId)
        .sort(),
    );
    // One 7-day window, as Kestrel asks for it (`until` is the window's last millisecond)
    const windowed = await bybit.fetchMyTrades(BTC, since, 100, {
      until: since + 7 * 86_400_000 - 1,
    });
    assert.equal(windowed.length, emulator.executions().length);
    const byOrder = await bybit.fetchMyTrades(BTC, undefined, undefined, {
      orderId: emulator.orders().find((o) => o.orderLinkId === 'ktour-m1')?.orderId,
    });
    assert.equal(byOrder.length, 1);
    const positions = await bybit.fetchPositions();
    assert.deepEqual(
      positions.map(
        (p: { symbol: string; contracts: number; side: string; entryPrice: number }) => [
          p.symbol,
          p.contracts,
          p.side,
          p.entryPrice,
        ],
      ),
      [[BTC, 0.03, 'long', 64000.1]],
    );
    const used = (await bybit.fetchBalance()).USDT.used;
    assert.equal(used, 192.00015, 'the position margin: 0.03 × 64000.05 mark / 10x');
    assert.equal(streamed[0].fee.rate, 0.00055, 'the taker rate of Bybit’s base tier');
    assert.deepEqual(await refusal(bybit.createOrder(BTC, 'limit', 'buy', 10, 63000)), [
      'InsufficientFunds',
      110007,
    ]);
    assert.deepEqual(
      await refusal(
        bybit.createOrder(ETH, 'market', 'sell', 0.01, undefined, { reduceOnly: true }),
      ),
      ['InvalidOrder', 110017],
    );
    assert.deepEqual(await refusal(bybit.createOrder(BTC, 'limit', 'buy', 0.001, 1000)), [
      'InvalidOrder',
      110094,
    ]);
    assert.deepEqual(
      await refusal(
        bybit.createOrder(BTC, 'limit', 'buy', 0.01, 63000, { clientOrderId: 'has.dot' }),
      ),
      ['BadRequest', 10001],
    );
    // What Bybit accepts and cancels: a post-only that would take
    const crossing = await bybit.createOrder(BTC, 'limit', 'buy', 0.01, 64500, {
      postOnly: true,
      clientOrderId: 'ktour-po',
    });
    const verdict = await bybit.fetchOrder(crossing.id, BTC, { acknowledged: true });
    assert.deepEqual(
      [verdict.status, verdict.info.rejectReason],
      ['canceled', 'EC_PostOnlyWillTakeLiquidity'],
    );
    const close = await bybit.createOrder(BTC, 'market', 'sell', 0.03, undefined, {
      reduceOnly: true,
    });
    assert.ok(close.id);
    assert.deepEqual(await bybit.fetchPositions(), []);
  });

  it('sets leverage and position mode with Bybit’s refusals, and trades a hedge-mode leg', async () => {
    await bybit.setLeverage(20, BTC);
    assert.deepEqual(await refusal(bybit.setLeverage(20, BTC)), ['BadRequest', 110043]);
    assert.deepEqual(await refusal(bybit.setLeverage(101, BTC)), ['BadRequest', 10001]);
    await bybit.setPositionMode(true, ETH);
    assert.deepEqual(await refusal(bybit.setPositionMode(true, ETH)), ['NoChange', 110025]);
    await bybit.createOrder(ETH, 'market', 'buy', 0.1, undefined, { hedged: true });
    await bybit.createOrder(ETH, 'market', 'sell', 0.2, undefined, { hedged: true });
    const legs = await bybit.fetchPositions([ETH]);
    assert.deepEqual(
      legs.map((p: { side: string; contracts: number }) => [p.side, p.contracts]).sort(),
      [
        ['long', 0.1],
        ['short', 0.2],
      ],
    );
    assert.deepEqual(await refusal(bybit.setPositionMode(false, ETH)), ['BadRequest', 110024]);
    await bybit.createOrder(ETH, 'market', 'sell', 0.1, undefined, {
      hedged: true,
      reduceOnly: true,
    });
    await bybit.createOrder(ETH, 'market', 'buy', 0.2, undefined, {
      hedged: true,
      reduceOnly: true,
    });
    await bybit.setPositionMode(false, ETH);
    // By symbol Bybit lists the position even when flat
    const flat = await bybit.fetchPositions([ETH]);
    assert.deepEqual(
      flat.map((p: { contracts: number; info: { positionIdx: number } }) => [
        p.contracts,
        p.info.positionIdx,
      ]),
      [[0, 0]],
    );
  });

  it('streams bids and asks, books, trades, tickers and positions', async () => {
    const bidsAsks = bybit.watchBidsAsks([BTC]);
    const book = bybit.watchOrderBookForSymbols([ETH]);
    const ticker = bybit.watchTicker(BTC);
    const firstBidAsk = await bidsAsks;
    assert.deepEqual([firstBidAsk[BTC].bid, firstBidAsk[BTC].ask], [64000, 64000.1]);
    assert.deepEqual((await book).bids[0], [3000, 10]);
    assert.equal((await ticker).ask, 64000.1);
    const trades = bybit.watchTradesForSymbols([BTC]);
    const nextBidAsk = bybit.watchBidsAsks([BTC]);
    const nextBook = bybit.watchOrderBookForSymbols([ETH]);
    // ccxt resolves the first watch with its REST snapshot; pushes come after
    assert.deepEqual(await bybit.watchPositions(), []);
    const positions = bybit.watchPositions();
    await until(
      () => emulator.subscriptions().private.includes('position'),
      'the position subscription',
    );
    await until(
      () => emulator.subscriptions().public.includes('publicTrade.BTCUSDT'),
      'the trade subscription',
    );
    emulator.setQuote('BTCUSDT', 64010, 64010.5);
    emulator.setBook('ETHUSDT', [[3001, 5]], [[3001.5, 5]]);
    emulator.printTrade('BTCUSDT', 64010, 0.2, 'SELL');
    assert.deepEqual(
      (await trades).map((t: { price: number; side: string }) => [t.price, t.side]),
      [[64010, 'sell']],
    );
    const moved = await nextBidAsk;
    assert.deepEqual([moved[BTC].bid, moved[BTC].ask], [64010, 64010.5]);
    const ethBook = await nextBook;
    assert.deepEqual([[...ethBook.bids], [...ethBook.asks]], [[[3001, 5]], [[3001.5, 5]]]);
    await bybit.createOrder(BTC, 'market', 'buy', 0.01);
    const held = await positions;
    assert.deepEqual(
      held.map((p: { symbol: string; contracts: number }) => [p.symbol, p.contracts]),
      [[BTC, 0.01]],
    );
  });

  it('refuses a wrong secret and a clock outside the recv window with Bybit’s codes', async () => {
    const stranger = await bybitClient(emulator, { secret: 'not-the-secret' });
    try {
      stranger.markets = bybit.markets;
      stranger.options.enableUnifiedMargin = false;
      stranger.options.enableUnifiedAccount = true;
      assert.deepEqual(await refusal(stranger.fetchBalance()), ['AuthenticationError', 10004]);
      // Bybit v5 refuses the auth op with success false and no request echo: ccxt raises it as it is
      const watch = await refusal(stranger.watchOrders());
      assert.deepEqual(watch, ['ExchangeError', undefined]);
    } finally {
      await stranger.close();
    }
    emulator.faults.setClockOffset(-10_000);
    try {
      assert.deepEqual(await refusal(bybit.fetchBalance()), ['InvalidNonce', 10002]);
    } finally {
      emulator.faults.setClockOffset(0);
    }
    emulator.faults.rateLimit({ count: 1 });
    assert.deepEqual(await refusal(bybit.fetchBalance()), ['RateLimitExceeded', 10006]);
  });
});

/** Waits until the private stream is authenticated and subscribed to a topic (pushes before that are lost) */
function subscribedTo(emulator: BybitEmulator, topic: string): Promise<void> {
  return until(() => emulator.subscriptions().private.includes(topic), `the ${topic} subscription`);
}
