import type { Candle } from './candles.ts';
import { isKlineInterval } from './candles.ts';
import { binanceError } from './errors.ts';
import type { MarketState } from './exchange.ts';
import { bookTickerJson, dayStats } from './market-streams.ts';
import { optionalNumber, required } from './request-params.ts';
import type { Params, RestContext, RouteTable } from './routes.ts';
import { amount, exchangeInfo, price, quantity, wireTime } from './wire.ts';

/** The public market data routes of USDⓈ-M (no key) */

function ticker24h(ctx: RestContext, symbol: string, now: number): Record<string, unknown> {
  const state = ctx.exchange.market(symbol);
  const instrument = state.instrument;
  const day = dayStats(state, now);
  return {
    symbol: instrument.venueSymbol,
    priceChange: price(instrument, day.change),
    priceChangePercent: day.changePercent.toFixed(3),
    weightedAvgPrice: price(instrument, day.weightedAverage),
    lastPrice: price(instrument, day.last),
    lastQty: quantity(instrument, day.lastQuantity),
    openPrice: price(instrument, day.open),
    highPrice: price(instrument, day.high),
    lowPrice: price(instrument, day.low),
    volume: quantity(instrument, day.volume),
    quoteVolume: amount(day.quoteVolume),
    openTime: wireTime(day.openTime),
    closeTime: wireTime(now),
    firstId: day.firstId,
    lastId: day.lastId,
    count: day.count,
  };
}

function bookTickerRest(ctx: RestContext, symbol: string, now: number): Record<string, unknown> {
  const state = ctx.exchange.market(symbol);
  const event = bookTickerJson(state, now);
  return {
    symbol: event['s'],
    bidPrice: event['b'],
    bidQty: event['B'],
    askPrice: event['a'],
    askQty: event['A'],
    time: wireTime(now),
    lastUpdateId: state.updateId,
  };
}

function lastPrice(ctx: RestContext, symbol: string, now: number): Record<string, unknown> {
  const state = ctx.exchange.market(symbol);
  return {
    symbol: state.instrument.venueSymbol,
    price: price(state.instrument, ctx.exchange.lastPrice(symbol)),
    time: wireTime(now),
  };
}

/** GET /fapi/v1/premiumIndex: mark and index price, funding rate, next funding time */
function premiumIndex(ctx: RestContext, symbol: string, now: number): Record<string, unknown> {
  const state = ctx.exchange.market(symbol);
  const mark = ctx.exchange.markPrice(symbol);
  return {
    symbol: state.instrument.venueSymbol,
    markPrice: mark.toFixed(8),
    indexPrice: mark.toFixed(8),
    estimatedSettlePrice: mark.toFixed(8),
    lastFundingRate: ctx.exchange.fundingRate.toFixed(8),
    interestRate: '0.00010000',
    nextFundingTime: ctx.exchange.nextFundingTime(now),
    time: wireTime(now),
  };
}

function perSymbol(
  ctx: RestContext,
  params: Params,
  now: number,
  one: (ctx: RestContext, symbol: string, now: number) => Record<string, unknown>,
): unknown {
  const symbol = params['symbol'];
  if (symbol !== undefined) return one(ctx, symbol, now);
  return ctx.exchange.listMarkets().map((m) => one(ctx, m.instrument.venueSymbol, now));
}

function candleJson(state: MarketState, candle: Candle): unknown[] {
  const instrument = state.instrument;
  return [
    candle.openTime,
    price(instrument, candle.open),
    price(instrument, candle.high),
    price(instrument, candle.low),
    price(instrument, candle.close),
    quantity(instrument, candle.volume),
    candle.closeTime,
    amount(candle.quoteVolume),
    candle.trades,
    quantity(instrument, candle.takerBuyVolume),
    amount(candle.takerBuyQuoteVolume),
    '0',
  ];
}

export const MARKET_ROUTES: RouteTable = {
  'GET /fapi/v1/ping': { auth: 'none', handler: () => ({}) },
  'GET /fapi/v1/time': {
    auth: 'none',
    handler: (_p, ctx) => ({ serverTime: wireTime(ctx.faults.serverTime()) }),
  },
  'GET /fapi/v1/exchangeInfo': {
    auth: 'none',
    handler: (_p, ctx, now) => exchangeInfo(ctx.exchange.instruments, now),
  },
  'GET /fapi/v1/ticker/bookTicker': {
    auth: 'none',
    handler: (p, ctx, now) => perSymbol(ctx, p, now, bookTickerRest),
  },
  'GET /fapi/v1/ticker/24hr': {
    auth: 'none',
    handler: (p, ctx, now) => perSymbol(ctx, p, now, ticker24h),
  },
  'GET /fapi/v1/ticker/price': {
    auth: 'none',
    handler: (p, ctx, now) => perSymbol(ctx, p, now, lastPrice),
  },
  'GET /fapi/v2/ticker/price': {
    auth: 'none',
    handler: (p, ctx, now) => perSymbol(ctx, p, now, lastPrice),
  },
  'GET /fapi/v1/premiumIndex': {
    auth: 'none',
    handler: (p, ctx, now) => perSymbol(ctx, p, now, premiumIndex),
  },
  'GET /fapi/v1/fundingRate': {
    auth: 'none',
    // Funding is not settled by the emulator, so there is no history to list
    handler: (p, ctx) => {
      if (p['symbol'] !== undefined) ctx.exchange.instrument(p['symbol']);
      return [];
    },
  },
  'GET /fapi/v1/depth': {
    auth: 'none',
    handler: (p, ctx, now) => {
      const state = ctx.exchange.market(required(p, 'symbol'));
      const limit = optionalNumber(p, 'limit') ?? 500;
      const format = (levels: readonly (readonly [number, number])[]) =>
        levels
          .slice(0, limit)
          .map(([px, size]) => [price(state.instrument, px), quantity(state.instrument, size)]);
      return {
        lastUpdateId: state.updateId,
        E: wireTime(now),
        T: wireTime(state.bookTime),
        bids: format(state.bids),
        asks: format(state.asks),
      };
    },
  },
  'GET /fapi/v1/trades': {
    auth: 'none',
    handler: (p, ctx) => {
      const state = ctx.exchange.market(required(p, 'symbol'));
      const limit = optionalNumber(p, 'limit') ?? 500;
      return state.trades.slice(-limit).map((t) => ({
        id: t.id,
        price: price(state.instrument, t.price),
        qty: quantity(state.instrument, t.quantity),
        quoteQty: amount(t.price * t.quantity),
        time: wireTime(t.time),
        isBuyerMaker: t.side === 'SELL',
      }));
    },
  },
  'GET /fapi/v1/aggTrades': {
    auth: 'none',
    handler: (p, ctx) => {
      const state = ctx.exchange.market(required(p, 'symbol'));
      const limit = optionalNumber(p, 'limit') ?? 500;
      return state.trades.slice(-limit).map((t) => ({
        a: t.id,
        p: price(state.instrument, t.price),
        q: quantity(state.instrument, t.quantity),
        f: t.id,
        l: t.id,
        T: wireTime(t.time),
        m: t.side === 'SELL',
      }));
    },
  },
  'GET /fapi/v1/klines': {
    auth: 'none',
    handler: (p, ctx) => {
      const state = ctx.exchange.market(required(p, 'symbol'));
      const interval = required(p, 'interval');
      if (!isKlineInterval(interval)) throw binanceError('INVALID_INTERVAL');
      const limit = Math.min(1500, Math.max(1, optionalNumber(p, 'limit') ?? 500));
      return state.candles
        .range(interval, optionalNumber(p, 'startTime'), optionalNumber(p, 'endTime'), limit)
        .map((candle) => candleJson(state, candle));
    },
  },
};
