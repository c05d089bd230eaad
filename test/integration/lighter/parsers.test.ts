/**
 * The Lighter parsers against every frame captured from the venue in ../shared/fixtures/lighter:
 * the nautilus REST and WebSocket fixtures and the Qubx mainnet captures. Each frame is routed,
 * validated by its schema, and turned into our types; the numbers are checked by hand.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createInstrument } from '../../../src/core/instrument.ts';
import type { LighterMarket } from '../../../src/venues/lighter/markets.ts';
import {
  toBaseAmount,
  toLighterMarket,
  toPriceUnits,
} from '../../../src/venues/lighter/markets.ts';
import { LighterOrderBook } from '../../../src/venues/lighter/order-book.ts';
import {
  parseWith,
  toAccountFills,
  toBalance,
  toMarketTrade,
  toOrderUpdate,
  toPosition,
} from '../../../src/venues/lighter/parsers.ts';
import {
  nextNonceSchema,
  orderBookDetailsResponseSchema,
  ordersResponseSchema,
  tradesResponseSchema,
  wsAccountAllSchema,
  wsAccountOrdersSchema,
  wsAccountPositionsSchema,
  wsAccountTradesSchema,
  wsOrderBookSchema,
  wsTradeSchema,
  wsUserStatsSchema,
} from '../../../src/venues/lighter/schemas.ts';
import { toMilliseconds } from '../../../src/venues/lighter/units.ts';
import { routeFrame } from '../../../src/venues/lighter/ws-frames.ts';
import { hasSharedFixtures, readShared, SHARED_LIGHTER, SKIP_MESSAGE } from './shared-fixtures.ts';

const skip = hasSharedFixtures ? false : SKIP_MESSAGE;

function market(
  symbol: string,
  index: number,
  sizeDecimals: number,
  priceDecimals: number,
): LighterMarket {
  return {
    marketIndex: index,
    sizeDecimals,
    priceDecimals,
    instrument: createInstrument({
      symbol,
      exchange: 'lighter',
      marketType: 'SWAP',
      base: symbol,
      quote: 'USDC',
      settle: 'USDC',
      tickSize: 10 ** -priceDecimals,
      lotSize: Number((10 ** -sizeDecimals).toFixed(sizeDecimals)),
      venueSymbol: String(index),
    }),
  };
}

const ETH = market('ETH', 0, 4, 2);
const BTC = market('BTC', 1, 5, 1);
const HYPE = market('HYPE', 24, 2, 4);
const MARKETS = new Map([ETH, BTC, HYPE].map((m) => [m.marketIndex, m]));
const instrumentOf = (index: number) => {
  const found = MARKETS.get(index);
  assert.ok(found, `a market for index ${index}`);
  return found.instrument;
};

/** The payload of a Qubx capture file: the venue frame sits under `data` */
const qubx = (path: string) => (readShared(`qubx/${path}`) as { data: unknown }).data;

describe('lighter parsers: REST fixtures', { skip }, () => {
  it('orderBookDetails → an instrument with steps, minimums and fees', () => {
    const body = parseWith(
      orderBookDetailsResponseSchema,
      readShared('nautilus/http_order_book_details.json'),
      'orderBookDetails',
    );
    const [detail] = body.order_book_details ?? [];
    assert.ok(detail);
    const eth = toLighterMarket(detail);
    assert.equal(eth.marketIndex, 0);
    assert.equal(eth.instrument.symbol, 'ETH');
    assert.equal(eth.instrument.venueSymbol, '0');
    assert.equal(eth.instrument.exchange, 'lighter');
    assert.equal(eth.instrument.marketType, 'SWAP');
    assert.equal(eth.instrument.quote, 'USDC');
    assert.equal(eth.instrument.tickSize, 0.01);
    assert.equal(eth.instrument.lotSize, 0.0001);
    assert.equal(eth.instrument.minSize, 0.005);
    assert.equal(eth.instrument.minNotional, 10);
    assert.equal(eth.instrument.takerFee, 0);
    assert.equal(toBaseAmount(eth, 0.1), 1000);
    assert.equal(toPriceUnits(eth, 4000), 400000);
  });

  it('integers on the wire round to nearest, never truncate', () => {
    // 0.0007 × 10^4 = 6.999999999999999 in floating point: truncation would send 6
    assert.equal(toBaseAmount(ETH, 0.0007), 7);
    assert.equal(toBaseAmount(BTC, 0.00029), 29);
    assert.equal(toPriceUnits(ETH, 2352.73), 235273);
    assert.equal(toPriceUnits(HYPE, 40.0843), 400843);
    assert.equal(toPriceUnits(ETH, 1.13), 113);
  });

  it('accountActiveOrders → an open order with its client order index and ms time', () => {
    const body = parseWith(ordersResponseSchema, readShared('nautilus/http_orders.json'), 'orders');
    const [order] = body.orders ?? [];
    assert.ok(order);
    const update = toOrderUpdate(order, instrumentOf(order.market_index));
    assert.equal(update.venueOrderId, '281476929510110');
    assert.equal(update.clientOrderIndex, 42);
    assert.equal(update.correlationKey, '42');
    assert.equal(update.side, 'SELL');
    assert.equal(update.quantity, 0.005);
    assert.equal(update.price, 2352.74);
    assert.equal(update.category, 'open');
    assert.equal(update.time, 1777941383576);
    assert.equal(update.report.timeInForce, 'GTC');
  });

  it('nextNonce, and trades lists present, null or missing', () => {
    assert.equal(
      parseWith(nextNonceSchema, readShared('nautilus/http_next_nonce.json'), 'n').nonce,
      1234567890,
    );
    for (const name of [
      'http_recent_trades',
      'http_recent_trades_null',
      'http_recent_trades_missing',
      'http_recent_trades_unordered',
    ]) {
      const body = parseWith(tradesResponseSchema, readShared(`nautilus/${name}.json`), name);
      for (const trade of body.trades ?? []) {
        const print = toMarketTrade(trade, instrumentOf(trade.market_id));
        assert.equal(
          print.side,
          trade.is_maker_ask ? 'BUY' : 'SELL',
          'the taker is opposite the maker',
        );
        assert.ok(print.time > 1.7e12 && print.time < 1.9e12);
      }
    }
  });
});

describe('lighter parsers: account frames', { skip }, () => {
  it('account_orders update: an open, partly filled order', () => {
    const frame = readShared('nautilus/ws_account_orders_update.json');
    assert.equal(routeFrame(frame)?.kind, 'account_orders');
    const parsed = parseWith(wsAccountOrdersSchema, frame, 'account_orders');
    const order = parsed.orders?.['0']?.[0];
    assert.ok(order);
    const update = toOrderUpdate(order, ETH.instrument);
    assert.equal(update.category, 'open');
    assert.equal(update.filledQuantity, 0.002);
    assert.equal(update.remainingQuantity, 0.003);
    assert.equal(update.time, 1777941383900);
  });

  it('account_all_orders captures: empty snapshot, filled market orders with second timestamps', () => {
    const empty = parseWith(
      wsAccountOrdersSchema,
      qubx('account_samples/account_all_orders/sample_01.json'),
      'o',
    );
    assert.deepEqual(empty.orders, {});
    const frame = qubx('account_samples/account_all_orders/sample_02.json');
    assert.equal(routeFrame(frame)?.kind, 'account_orders');
    assert.equal(routeFrame(frame)?.snapshot, false);
    const order = parseWith(wsAccountOrdersSchema, frame, 'o').orders?.['24']?.[0];
    assert.ok(order);
    const update = toOrderUpdate(order, HYPE.instrument);
    assert.equal(update.category, 'filled');
    assert.equal(update.clientOrderIndex, 0);
    assert.equal(update.correlationKey, undefined, 'COI 0 means none');
    assert.equal(update.time, 1760287839000, 'seconds normalised to ms');
    assert.equal(update.report.type, 'MARKET');
    assert.equal(update.report.timeInForce, 'IOC');
    const third = parseWith(
      wsAccountOrdersSchema,
      qubx('account_samples/account_all_orders/sample_03.json'),
      'o',
    );
    const reduce = third.orders?.['24']?.[0];
    assert.ok(reduce);
    assert.equal(toOrderUpdate(reduce, HYPE.instrument).report.reduceOnly, true);
    for (const wrapped of readShared('qubx/account_samples/account_all_orders_samples.json') as {
      data: unknown;
    }[]) {
      parseWith(wsAccountOrdersSchema, wrapped.data, 'account_all_orders');
    }
  });

  it('account_all_trades: our bid, taker, fee in millionths of notional, mapped by client order index', () => {
    const frame = readShared('nautilus/ws_account_all_trades_update.json');
    assert.equal(routeFrame(frame)?.kind, 'account_trades');
    const parsed = parseWith(wsAccountTradesSchema, frame, 'trades');
    const trades = parsed.trades;
    assert.ok(trades && !Array.isArray(trades));
    const trade = trades['0']?.[0];
    assert.ok(trade);
    const [ours, ...rest] = toAccountFills(trade, 1234, ETH.instrument);
    assert.equal(rest.length, 0);
    assert.ok(ours);
    assert.equal(ours.correlationKey, '7001011966');
    assert.equal(ours.venueOrderId, '562947905631053');
    assert.equal(ours.fill.tradeId, '19209006902');
    assert.equal(ours.fill.side, 'BUY');
    assert.equal(ours.fill.liquidity, 'TAKER', 'the maker was the ask');
    assert.equal(ours.fill.quantity, 0.1336);
    assert.equal(ours.fill.price, 2352.73);
    // 314.324728 USDC × 196 / 1 000 000, not ×10 as a /100 000 scale would give
    assert.equal(ours.fill.fee, 0.06160765);
    assert.equal(ours.fill.time, 1777941384181);
    assert.deepEqual(toAccountFills(trade, 999, ETH.instrument), [], 'not our trade');
  });

  it('account_all captures: trades without client ids, zero fees omitted, positions by sign', () => {
    const sold = parseWith(
      wsAccountAllSchema,
      qubx('account_samples/account_all/sample_02.json'),
      'all',
    );
    const trades = sold.trades;
    assert.ok(trades && !Array.isArray(trades));
    const trade = trades['24']?.[0];
    assert.ok(trade);
    const [fill] = toAccountFills(trade, 225671, HYPE.instrument);
    assert.ok(fill);
    assert.equal(fill.fill.side, 'SELL');
    assert.equal(fill.fill.liquidity, 'TAKER');
    assert.equal(fill.fill.fee, 0, 'taker_fee omitted: zero; maker_fee 20 is the other side');
    assert.equal(fill.correlationKey, undefined);
    assert.equal(fill.venueOrderId, '7036874567915800');

    const bought = parseWith(
      wsAccountAllSchema,
      qubx('account_samples/account_all/sample_04.json'),
      'all',
    );
    const buyTrades = bought.trades;
    assert.ok(buyTrades && !Array.isArray(buyTrades));
    const buy = buyTrades['24']?.[0];
    assert.ok(buy);
    assert.equal(toAccountFills(buy, 225671, HYPE.instrument)[0]?.fill.side, 'BUY');

    const short = parseWith(
      wsAccountAllSchema,
      qubx('account_samples/account_all/sample_03.json'),
      'all',
    );
    const position = short.positions?.['24'];
    assert.ok(position);
    const view = toPosition(position, HYPE.instrument);
    assert.equal(view.quantity, -1, 'sign -1 × position 1.00');
    assert.equal(view.averagePrice, 40.1342);
    assert.equal(view.unrealizedPnl, 0.0039);
    const flat = parseWith(
      wsAccountAllSchema,
      qubx('account_samples/account_all/sample_05.json'),
      'all',
    );
    assert.equal(toPosition(flat.positions?.['24'] ?? assert.fail(), HYPE.instrument).quantity, 0);
    for (const wrapped of readShared('qubx/account_samples/account_all_samples.json') as {
      data: unknown;
    }[]) {
      assert.equal(routeFrame(wrapped.data)?.kind, 'account_all');
      parseWith(wsAccountAllSchema, wrapped.data, 'account_all');
    }
  });

  it('account_all_positions: signed quantity', () => {
    const frame = readShared('nautilus/ws_account_all_positions_update.json');
    assert.equal(routeFrame(frame)?.kind, 'account_positions');
    const parsed = parseWith(wsAccountPositionsSchema, frame, 'positions');
    const view = toPosition(parsed.positions?.['0'] ?? assert.fail(), ETH.instrument);
    assert.equal(view.quantity, 1.5);
    assert.equal(view.averagePrice, 2350.1);
  });

  it('user_stats: collateral, available and locked USDC', () => {
    const captured = parseWith(
      wsUserStatsSchema,
      qubx('account_samples/user_stats/sample_02.json'),
      'stats',
    );
    assert.deepEqual(toBalance(captured.stats), {
      currency: 'USDC',
      total: 998.9318,
      free: 990.90964,
      locked: 8.02216,
    });
    for (const name of ['ws_user_stats_update', 'ws_user_stats_with_position']) {
      const frame = readShared(`nautilus/${name}.json`);
      assert.equal(routeFrame(frame)?.kind, 'user_stats');
      assert.equal(routeFrame(frame)?.snapshot, true);
      parseWith(wsUserStatsSchema, frame, name);
    }
    for (const wrapped of readShared('qubx/account_samples/user_stats_samples.json') as {
      data: unknown;
    }[]) {
      parseWith(wsUserStatsSchema, wrapped.data, 'user_stats');
    }
  });
});

describe('lighter parsers: market frames', { skip }, () => {
  it('replays every captured mainnet order book frame with no gap and an uncrossed touch', () => {
    const frames = (readShared('qubx/samples/orderbook_samples.json') as { data: unknown }[]).map(
      (w) => w.data,
    );
    const books = new Map(
      [ETH, BTC].map((m) => [m.marketIndex, new LighterOrderBook(m.instrument)]),
    );
    const outcomes = new Map<string, number>();
    let lastQuotes = new Map<number, { bid: number; ask: number }>();
    for (const frame of frames) {
      const routed = routeFrame(frame);
      assert.equal(routed?.kind, 'order_book');
      const parsed = parseWith(wsOrderBookSchema, frame, 'order_book');
      const index = Number(routed.channel?.ids[0]);
      const book = books.get(index) ?? assert.fail(`book ${index}`);
      const outcome = book.apply(parsed);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      const quote = book.quote(parsed.timestamp ?? 0);
      if (quote !== undefined) lastQuotes = new Map(lastQuotes).set(index, quote);
    }
    assert.deepEqual(Object.fromEntries(outcomes), { applied: frames.length });
    const eth = lastQuotes.get(0) ?? assert.fail();
    const btc = lastQuotes.get(1) ?? assert.fail();
    assert.ok(eth.bid < eth.ask && eth.bid > 4000 && eth.ask < 5000, `ETH ${eth.bid}/${eth.ask}`);
    assert.ok(btc.bid < btc.ask && btc.bid > 100000, `BTC ${btc.bid}/${btc.ask}`);
  });

  it('detects a nonce gap between a snapshot and an update from another session', () => {
    const book = new LighterOrderBook(ETH.instrument);
    assert.equal(
      book.apply(
        parseWith(wsOrderBookSchema, readShared('nautilus/ws_order_book_subscribed.json'), 'b'),
      ),
      'applied',
    );
    assert.deepEqual(book.quote(0) && [book.quote(0)?.bid, book.quote(0)?.ask], [2000, 2325]);
    assert.equal(
      book.apply(
        parseWith(wsOrderBookSchema, readShared('nautilus/ws_order_book_update.json'), 'b'),
      ),
      'gap',
    );
    assert.equal(book.isValid, false);
    assert.equal(book.quote(0), undefined);
    const empty = new LighterOrderBook(ETH.instrument);
    assert.equal(
      empty.apply(
        parseWith(
          wsOrderBookSchema,
          readShared('nautilus/ws_order_book_subscribed_empty.json'),
          'b',
        ),
      ),
      'applied',
    );
    assert.equal(empty.quote(0), undefined, 'no touch on an empty book');
  });

  it('drops duplicate updates and refuses an update before any snapshot', () => {
    const frames = (readShared('qubx/samples/orderbook_samples.json') as { data: unknown }[])
      .map((w) => parseWith(wsOrderBookSchema, w.data, 'b'))
      .filter((f) => f.channel === 'order_book:0');
    const [snapshot, update] = frames;
    assert.ok(snapshot && update);
    const book = new LighterOrderBook(ETH.instrument);
    assert.equal(book.apply(update), 'gap');
    assert.equal(book.apply(snapshot), 'applied');
    assert.equal(book.apply(update), 'applied');
    assert.equal(book.apply(update), 'stale');
  });

  it('parses every captured trade frame; taker side from is_maker_ask', () => {
    const frames = (readShared('qubx/samples/trades_samples.json') as { data: unknown }[]).map(
      (w) => w.data,
    );
    let prints = 0;
    for (const frame of [
      ...frames,
      readShared('nautilus/ws_trade_subscribed.json'),
      readShared('nautilus/ws_trade_update.json'),
    ]) {
      assert.equal(routeFrame(frame)?.kind, 'trade');
      const parsed = parseWith(wsTradeSchema, frame, 'trade');
      for (const trade of [...(parsed.trades ?? []), ...(parsed.liquidation_trades ?? [])]) {
        const print = toMarketTrade(trade, instrumentOf(trade.market_id));
        assert.equal(print.side, trade.is_maker_ask ? 'BUY' : 'SELL');
        assert.ok(print.size > 0 && print.price > 0);
        prints += 1;
      }
    }
    assert.ok(prints > 335);
  });

  it('routes every other captured frame to a kind the client knows to ignore', () => {
    const consumed = new Set([
      'order_book',
      'trade',
      'account_orders',
      'account_trades',
      'account_positions',
      'user_stats',
    ]);
    const seen = new Map<string, string>();
    for (const name of readdirSync(`${SHARED_LIGHTER}nautilus`).filter((n) =>
      n.startsWith('ws_'),
    )) {
      const routed = routeFrame(readShared(`nautilus/${name}`));
      assert.ok(routed, name);
      seen.set(name, routed.kind);
      if (!consumed.has(routed.kind)) assert.equal(routed.kind, 'other', name);
    }
    assert.equal(seen.get('ws_market_stats_update_all.json'), 'other');
    assert.equal(seen.get('ws_order_book_update.json'), 'order_book');
    assert.equal(
      routeFrame({ error: { code: 20013, message: 'invalid auth: expired token' } })?.kind,
      'error',
    );
    assert.equal(
      routeFrame({ type: 'error', code: 30003, message: 'Already Subscribed' })?.kind,
      'error',
    );
    assert.equal(routeFrame(null), undefined);
  });
});

describe('lighter units', () => {
  it('normalises second, millisecond, microsecond and nanosecond timestamps to ms', () => {
    assert.equal(toMilliseconds(1760287839), 1760287839000);
    assert.equal(toMilliseconds(1777941383576), 1777941383576);
    assert.equal(toMilliseconds(1777941383576735), 1777941383576);
    assert.equal(toMilliseconds(1_777_941_383_576_735_000), 1777941383576);
    assert.equal(toMilliseconds(0), 0);
  });
});
