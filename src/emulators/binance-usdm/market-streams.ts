import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Level } from '../../core/market-data.ts';
import type { MarketChange, MarketState, PublicTrade } from '../public-market.ts';
import { dropSockets, sendRawFrames } from '../sockets.ts';
import { price, quantity, wireTime } from './wire.ts';

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
 * SUBSCRIBE / UNSUBSCRIBE protocol ccxt speaks, and bookTicker, trade, aggTrade and depth
 * events for every market change.
 */
export class MarketStreams {
  private readonly sockets = new Set<MarketSocket>();
  private readonly now: () => number;
  connections = 0;

  constructor(now: () => number) {
    this.now = now;
  }

  attach(socket: WebSocket, streams: readonly string[], combined: boolean): void {
    const entry: MarketSocket = {
      socket,
      streams: new Set(streams.map((s) => s.toLowerCase()).filter((s) => s.length > 0)),
      combined,
    };
    this.sockets.add(entry);
    this.connections += 1;
    socket.on('close', () => this.sockets.delete(entry));
    socket.on('error', () => this.sockets.delete(entry));
    socket.on('message', (data) => this.command(entry, String(data)));
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
    const names = params
      .filter((p): p is string => typeof p === 'string')
      .map((p) => p.toLowerCase());
    if (method === 'SUBSCRIBE') for (const name of names) entry.streams.add(name);
    if (method === 'UNSUBSCRIBE') for (const name of names) entry.streams.delete(name);
    const result = method === 'LIST_SUBSCRIPTIONS' ? [...entry.streams] : null;
    entry.socket.send(JSON.stringify({ result, id }));
  }

  /** Publishes one market change to every subscriber of a matching stream */
  publish(change: MarketChange): void {
    const state = change.state;
    const symbol = state.instrument.venueSymbol.toLowerCase();
    const now = this.now();
    for (const entry of this.sockets) {
      if (entry.socket.readyState !== entry.socket.OPEN) continue;
      for (const stream of entry.streams) {
        if (!stream.startsWith(`${symbol}@`)) continue;
        const channel = stream.slice(symbol.length + 1);
        const payload = this.payloadFor(change, channel, stream, now);
        if (payload === undefined) continue;
        const message = entry.combined ? { stream, data: payload } : payload;
        entry.socket.send(JSON.stringify(message));
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
    if (change.kind === 'trade') {
      if (channel === 'trade') return tradeJson(state, change.trade, now);
      if (channel === 'aggtrade') return aggTradeJson(state, change.trade, now);
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
    return sendRawFrames(
      [...this.sockets].map((s) => s.socket),
      frames,
    );
  }

  dropAll(code: number | undefined): number {
    return dropSockets(
      [...this.sockets].map((s) => s.socket),
      code,
    );
  }

  close(): void {
    for (const { socket } of this.sockets) socket.terminate();
    this.sockets.clear();
  }
}
