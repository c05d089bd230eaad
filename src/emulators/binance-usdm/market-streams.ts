import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Level } from '../../core/market-data.ts';
import type { PublicTrade } from '../public-market.ts';
import { SocketSet } from '../sockets.ts';
import type { Candle, KlineInterval } from './candles.ts';
import { isKlineInterval } from './candles.ts';
import type { Liquidation, MarketChange, MarketState } from './exchange.ts';
import { amount, price, quantity, wireTime } from './wire.ts';

/** What the mark price streams and the 24-hour ticker read besides a market's own state */
export interface PriceView {
  markPrice(symbol: string): number;
  readonly fundingRate: number;
  nextFundingTime(now: number): number;
}

interface MarketSocket {
  readonly socket: WebSocket;
  /** Stream names, lowercase, e.g. `btcusdt@bookticker` */
  readonly streams: Set<string>;
  /** `/stream` connections wrap each event as `{stream, data}` */
  readonly combined: boolean;
}

const commandSchema = z.looseObject({
  method: z.enum([
    'SUBSCRIBE',
    'UNSUBSCRIBE',
    'LIST_SUBSCRIPTIONS',
    'SET_PROPERTY',
    'GET_PROPERTY',
  ]),
  params: z.array(z.unknown()).optional(),
  id: z.union([z.number(), z.string(), z.null()]).optional(),
});

const PARTIAL_DEPTH = /@depth(5|10|20)(@\d+ms)?$/;
/** Stream names are case-insensitive but for the kline interval (`1m` minute, `1M` month) */
function normalizeStream(name: string): string {
  const at = name.toLowerCase().indexOf('@kline_');
  return at < 0
    ? name.toLowerCase()
    : name.slice(0, at).toLowerCase() + name.slice(at).replace('@KLINE_', '@kline_');
}

/** The mark price streams push every 3 s, or every second with `@1s` */
const MARK_PRICE = /^(?:(.+)@markprice|!markprice@arr)(@1s)?$/;

function levels(state: MarketState, list: readonly Level[]): string[][] {
  return list.map(([p, s]) => [price(state.instrument, p), quantity(state.instrument, s)]);
}

/** The bookTicker event of a market */
export function bookTickerJson(state: MarketState, time: number): Record<string, unknown> {
  const bid = state.bids[0] ?? [0, 0];
  const ask = state.asks[0] ?? [0, 0];
  const at = wireTime(time);
  return {
    e: 'bookTicker',
    u: state.updateId,
    E: at,
    T: wireTime(state.bookTime),
    s: state.instrument.venueSymbol,
    b: price(state.instrument, bid[0]),
    B: quantity(state.instrument, bid[1]),
    a: price(state.instrument, ask[0]),
    A: quantity(state.instrument, ask[1]),
    st: 0,
    ps: state.instrument.venueSymbol,
  };
}

export function aggTradeJson(
  state: MarketState,
  trade: PublicTrade,
  time: number,
): Record<string, unknown> {
  return {
    e: 'aggTrade',
    E: wireTime(time),
    a: trade.id,
    s: state.instrument.venueSymbol,
    p: price(state.instrument, trade.price),
    q: quantity(state.instrument, trade.quantity),
    nq: quantity(state.instrument, trade.quantity),
    f: trade.id,
    l: trade.id,
    T: wireTime(trade.time),
    m: trade.side === 'SELL',
    st: 0,
  };
}

export function tradeJson(
  state: MarketState,
  trade: PublicTrade,
  time: number,
): Record<string, unknown> {
  return {
    e: 'trade',
    E: wireTime(time),
    T: wireTime(trade.time),
    s: state.instrument.venueSymbol,
    t: trade.id,
    p: price(state.instrument, trade.price),
    q: quantity(state.instrument, trade.quantity),
    X: 'MARKET',
    m: trade.side === 'SELL',
  };
}

/** A 24hrMiniTicker event */
function miniTickerJson(state: MarketState, time: number): Record<string, unknown> {
  const {
    e: _event,
    p: _p,
    P: _pp,
    w: _w,
    Q: _q,
    O: _o,
    C: _c,
    F: _f,
    L: _l,
    n: _n,
    st: _st,
    ...mini
  } = tickerJson(state, time);
  return { e: '24hrMiniTicker', ...mini };
}

/** A kline event: the candle the print fell in (`x` whether it has closed) */
export function klineJson(
  state: MarketState,
  interval: KlineInterval,
  candle: Candle,
  time: number,
): Record<string, unknown> {
  const instrument = state.instrument;
  const symbol = instrument.venueSymbol;
  return {
    e: 'kline',
    E: wireTime(time),
    s: symbol,
    k: {
      t: candle.openTime,
      T: candle.closeTime,
      s: symbol,
      i: interval,
      f: candle.firstTradeId,
      L: candle.lastTradeId,
      o: price(instrument, candle.open),
      c: price(instrument, candle.close),
      h: price(instrument, candle.high),
      l: price(instrument, candle.low),
      v: quantity(instrument, candle.volume),
      n: candle.trades,
      x: time > candle.closeTime,
      q: amount(candle.quoteVolume),
      V: quantity(instrument, candle.takerBuyVolume),
      Q: amount(candle.takerBuyQuoteVolume),
      B: '0',
    },
  };
}

/** The rolling 24-hour statistics of a market, from its minute candles */
export function dayStats(state: MarketState, now: number) {
  const candles = state.candles.lastDay(now);
  const first = candles[0];
  const last = candles.at(-1);
  const volume = candles.reduce((s, c) => s + c.volume, 0);
  const quoteVolume = candles.reduce((s, c) => s + c.quoteVolume, 0);
  const bid = state.bids[0]?.[0];
  const ask = state.asks[0]?.[0];
  const mid = bid !== undefined && ask !== undefined ? (bid + ask) / 2 : 0;
  const lastPrice = last?.close ?? mid;
  const open = first?.open ?? lastPrice;
  return {
    open,
    high: candles.length > 0 ? Math.max(...candles.map((c) => c.high)) : lastPrice,
    low: candles.length > 0 ? Math.min(...candles.map((c) => c.low)) : lastPrice,
    last: lastPrice,
    lastQuantity: state.trades.at(-1)?.quantity ?? 0,
    volume,
    quoteVolume,
    weightedAverage: volume > 0 ? quoteVolume / volume : lastPrice,
    change: lastPrice - open,
    changePercent: open > 0 ? ((lastPrice - open) / open) * 100 : 0,
    openTime: first?.openTime ?? now,
    firstId: first?.firstTradeId ?? 0,
    lastId: last?.lastTradeId ?? 0,
    count: candles.reduce((s, c) => s + c.trades, 0),
  };
}

/** A 24hrTicker event */
export function tickerJson(state: MarketState, time: number): Record<string, unknown> {
  const instrument = state.instrument;
  const day = dayStats(state, time);
  return {
    e: '24hrTicker',
    E: wireTime(time),
    s: instrument.venueSymbol,
    p: price(instrument, day.change),
    P: day.changePercent.toFixed(3),
    w: price(instrument, day.weightedAverage),
    c: price(instrument, day.last),
    Q: quantity(instrument, day.lastQuantity),
    o: price(instrument, day.open),
    h: price(instrument, day.high),
    l: price(instrument, day.low),
    v: quantity(instrument, day.volume),
    q: amount(day.quoteVolume),
    O: wireTime(day.openTime),
    C: wireTime(time),
    F: day.firstId,
    L: day.lastId,
    n: day.count,
    st: 1,
  };
}

/** A markPriceUpdate event */
export function markPriceJson(
  state: MarketState,
  prices: PriceView,
  time: number,
): Record<string, unknown> {
  const instrument = state.instrument;
  const mark = prices.markPrice(instrument.venueSymbol);
  return {
    e: 'markPriceUpdate',
    E: wireTime(time),
    s: instrument.venueSymbol,
    p: mark.toFixed(8),
    i: mark.toFixed(8),
    P: mark.toFixed(8),
    r: prices.fundingRate.toFixed(8),
    T: prices.nextFundingTime(time),
    st: 1,
  };
}

/** A forceOrder event: a liquidation order of the market */
export function forceOrderJson(
  state: MarketState,
  liquidation: Liquidation,
  time: number,
): Record<string, unknown> {
  const instrument = state.instrument;
  return {
    e: 'forceOrder',
    E: wireTime(time),
    o: {
      s: instrument.venueSymbol,
      S: liquidation.side,
      o: 'LIMIT',
      f: 'IOC',
      q: quantity(instrument, liquidation.quantity),
      p: price(instrument, liquidation.price),
      ap: liquidation.averagePrice.toFixed(instrument.priceDecimals + 6),
      X: 'FILLED',
      l: quantity(instrument, liquidation.quantity),
      z: quantity(instrument, liquidation.quantity),
      T: wireTime(liquidation.time),
    },
  };
}

/** A depthUpdate event: a diff (`U`..`u`, `pu` the previous `u`) or, for partial streams, the top levels */
export function depthUpdateJson(
  state: MarketState,
  firstId: number,
  previousId: number,
  bids: readonly Level[],
  asks: readonly Level[],
  time: number,
): Record<string, unknown> {
  return {
    e: 'depthUpdate',
    E: wireTime(time),
    T: wireTime(state.bookTime),
    s: state.instrument.venueSymbol,
    ps: state.instrument.venueSymbol,
    st: 0,
    U: firstId,
    u: state.updateId,
    pu: previousId,
    b: levels(state, bids),
    a: levels(state, asks),
  };
}

/**
 * The public market streams (`/ws`, `/public/ws/N`, `/market/ws/N`, `/stream?streams=`): the
 * SUBSCRIBE / UNSUBSCRIBE protocol ccxt speaks; bookTicker, trade, aggTrade, depth, kline,
 * ticker, miniTicker and forceOrder events as the market changes; markPrice every 3 seconds
 * (every second with `@1s`).
 */
export class MarketStreams {
  private readonly sockets = new SocketSet<MarketSocket>();
  private readonly now: () => number;
  private readonly markets: () => readonly MarketState[];
  private readonly prices: PriceView;
  private ticks = 0;

  constructor(now: () => number, markets: () => readonly MarketState[], prices: PriceView) {
    this.now = now;
    this.markets = markets;
    this.prices = prices;
  }

  attach(socket: WebSocket, streams: readonly string[], combined: boolean): void {
    const entry: MarketSocket = {
      socket,
      streams: new Set(streams.map(normalizeStream).filter((s) => s.length > 0)),
      combined,
    };
    this.sockets.add(entry);
    socket.on('message', (data) => this.command(entry, String(data)));
  }

  /** How many market sockets have been opened since start */
  get connections(): number {
    return this.sockets.opened;
  }

  private command(entry: MarketSocket, text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      entry.socket.send(
        JSON.stringify({ code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' }),
      );
      return;
    }
    const parsed = commandSchema.safeParse(json);
    if (!parsed.success) {
      entry.socket.send(JSON.stringify({ code: 1, msg: 'Invalid request: unknown method' }));
      return;
    }
    const { method, params = [], id = null } = parsed.data;
    const names = params.filter((p): p is string => typeof p === 'string').map(normalizeStream);
    if (method === 'SUBSCRIBE') for (const name of names) entry.streams.add(name);
    if (method === 'UNSUBSCRIBE') for (const name of names) entry.streams.delete(name);
    const result = method === 'LIST_SUBSCRIPTIONS' ? [...entry.streams] : null;
    entry.socket.send(JSON.stringify({ result, id }));
  }

  private send(entry: MarketSocket, stream: string, payload: unknown): void {
    const message = entry.combined ? { stream, data: payload } : payload;
    entry.socket.send(JSON.stringify(message));
  }

  /** Publishes one market change to every subscriber of a matching stream */
  publish(change: MarketChange): void {
    const state = change.state;
    const symbol = state.instrument.venueSymbol.toLowerCase();
    const now = this.now();
    for (const entry of this.sockets) {
      if (entry.socket.readyState !== entry.socket.OPEN) continue;
      for (const stream of entry.streams) {
        if (stream === '!forceorder@arr') {
          if (change.kind === 'liquidation')
            this.send(entry, stream, forceOrderJson(state, change.liquidation, now));
          continue;
        }
        if (!stream.startsWith(`${symbol}@`)) continue;
        const channel = stream.slice(symbol.length + 1);
        const payload = this.payloadFor(change, channel, stream, now);
        if (payload !== undefined) this.send(entry, stream, payload);
      }
    }
  }

  /**
   * The clock's beat, once a second: pushes the mark price to `@markPrice@1s` subscribers every
   * call and to `@markPrice` ones every third
   */
  tick(): void {
    this.ticks += 1;
    const now = this.now();
    for (const entry of this.sockets) {
      if (entry.socket.readyState !== entry.socket.OPEN) continue;
      for (const stream of entry.streams) {
        const match = MARK_PRICE.exec(stream);
        if (match === null || (match[2] === undefined && this.ticks % 3 !== 0)) continue;
        const symbol = match[1];
        const states = this.markets().filter(
          (m) => symbol === undefined || m.instrument.venueSymbol.toLowerCase() === symbol,
        );
        if (states.length === 0) continue;
        const events = states.map((m) => markPriceJson(m, this.prices, now));
        this.send(entry, stream, symbol === undefined ? events : events[0]);
      }
    }
  }

  private payloadFor(
    change: MarketChange,
    channel: string,
    stream: string,
    now: number,
  ): Record<string, unknown> | undefined {
    const state = change.state;
    if (change.kind === 'liquidation')
      return channel === 'forceorder' ? forceOrderJson(state, change.liquidation, now) : undefined;
    if (change.kind === 'trade') {
      if (channel === 'trade') return tradeJson(state, change.trade, now);
      if (channel === 'aggtrade') return aggTradeJson(state, change.trade, now);
      if (channel === 'ticker') return tickerJson(state, now);
      if (channel === 'miniticker') return miniTickerJson(state, now);
      if (channel.startsWith('kline_')) {
        const interval = stream.slice(stream.indexOf('@kline_') + 7);
        if (!isKlineInterval(interval)) return undefined;
        const candle = state.candles.current(interval);
        return candle === undefined ? undefined : klineJson(state, interval, candle, now);
      }
      return undefined;
    }
    if (channel === 'bookticker') return bookTickerJson(state, now);
    const partial = PARTIAL_DEPTH.exec(stream);
    if (partial !== null) {
      const depth = Number(partial[1]);
      return depthUpdateJson(
        state,
        change.firstId,
        change.previousId,
        state.bids.slice(0, depth),
        state.asks.slice(0, depth),
        now,
      );
    }
    if (channel === 'depth' || channel.startsWith('depth@')) {
      return depthUpdateJson(
        state,
        change.firstId,
        change.previousId,
        change.bids,
        change.asks,
        now,
      );
    }
    return undefined;
  }

  /** Sends raw text frames, exactly as given, to every open market socket; returns how many */
  sendRaw(frames: readonly string[]): number {
    return this.sockets.sendRaw(frames);
  }

  dropAll(code: number | undefined): number {
    return this.sockets.dropAll(code);
  }

  close(): void {
    this.sockets.terminateAll();
  }
}
