import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Level } from '../../core/market-data.ts';
import type { Clock, Timer } from '../../engine/clock.ts';
import type { MarketChange, MarketState, PublicTrade } from '../public-market.ts';
import { diffLevels } from '../public-market.ts';
import { SocketSet } from '../sockets.ts';
import { DEFAULT_ALIVE_MS, IdleCut } from './idle-cut.ts';
import { uuidFor } from './ids.ts';
import { levelRows, price, quantity, tickDirection, tickerRow } from './wire.ts';
import { readOp } from './ws-ops.ts';

/** The orderbook depths Bybit serves for linear contracts */
const DEPTHS = [1, 50, 200, 1000] as const;
/** Level 1 is re-sent as a snapshot after this long without a change (same `u`) */
const LEVEL1_REPEAT_MS = 3_000;

type Subscription =
  | {
      readonly kind: 'orderbook';
      readonly symbol: string;
      readonly depth: number;
      bids: Level[];
      asks: Level[];
      sentAt: number;
    }
  | { readonly kind: 'trade'; readonly symbol: string }
  | { readonly kind: 'ticker'; readonly symbol: string; last: Record<string, unknown> };

interface PublicSocket {
  readonly socket: WebSocket;
  readonly connId: string;
  readonly topics: Map<string, Subscription>;
}

/** What the public streams read from the venue */
export interface PublicSource {
  /** The public market of a symbol this stream's category lists, if it lists it */
  market(symbol: string): MarketState | undefined;
  markPrice(symbol: string): number | undefined;
}

/**
 * The public stream of one category (`/v5/public/linear`): subscribe / unsubscribe to
 * `orderbook.{1,50,200,1000}.{symbol}` (a snapshot, then deltas of the levels that changed
 * within the depth; level 1 as snapshots only, repeated after 3 s without a change),
 * `publicTrade.{symbol}` and `tickers.{symbol}` (a snapshot, then deltas of the fields that
 * changed), and `ping` answered with `pong`.
 */
export class PublicStreams {
  private readonly clock: Clock;
  private readonly source: PublicSource;
  private readonly seed: number;
  private readonly sockets = new SocketSet<PublicSocket>();
  private readonly idle: IdleCut;
  private repeatTimer: Timer | undefined;
  private closed = false;

  constructor(clock: Clock, source: PublicSource, seed: number) {
    this.clock = clock;
    this.source = source;
    this.seed = seed;
    this.idle = new IdleCut(clock);
  }

  attach(socket: WebSocket): void {
    const entry: PublicSocket = { socket, connId: randomUUID(), topics: new Map() };
    this.sockets.add(entry);
    this.idle.watch(socket, DEFAULT_ALIVE_MS);
    socket.on('message', (data) => this.command(entry, String(data)));
    this.scheduleRepeat();
  }

  /** How many public sockets have been opened since start */
  get connections(): number {
    return this.sockets.opened;
  }

  /** The topics open sockets are subscribed to now, each once */
  topics(): string[] {
    const names = new Set<string>();
    for (const entry of this.sockets) for (const name of entry.topics.keys()) names.add(name);
    return [...names];
  }

  /** Sends a frame; data sent keeps the connection alive */
  private send(entry: PublicSocket, message: Record<string, unknown>): void {
    if (entry.socket.readyState !== entry.socket.OPEN) return;
    entry.socket.send(JSON.stringify(message));
    this.idle.touch(entry.socket);
  }

  private parseTopic(name: string): Subscription | undefined {
    const parts = name.split('.');
    if (parts[0] === 'orderbook' && parts.length === 3) {
      const depth = Number(parts[1]);
      const symbol = parts[2] ?? '';
      if (
        !(DEPTHS as readonly number[]).includes(depth) ||
        this.source.market(symbol) === undefined
      )
        return undefined;
      return { kind: 'orderbook', symbol, depth, bids: [], asks: [], sentAt: 0 };
    }
    if ((parts[0] === 'publicTrade' || parts[0] === 'tickers') && parts.length === 2) {
      const symbol = parts[1] ?? '';
      if (this.source.market(symbol) === undefined) return undefined;
      return parts[0] === 'publicTrade'
        ? { kind: 'trade', symbol }
        : { kind: 'ticker', symbol, last: {} };
    }
    return undefined;
  }

  private command(entry: PublicSocket, text: string): void {
    const frame = readOp(text);
    if (frame === undefined) {
      this.send(entry, { success: false, ret_msg: 'error:invalid op', conn_id: entry.connId });
      return;
    }
    const op = frame.op;
    const reqId = frame.reqId ?? '';
    const answer = (success: boolean, retMsg: string, echoedOp: unknown = op) =>
      this.send(entry, {
        success,
        ret_msg: retMsg,
        conn_id: entry.connId,
        req_id: reqId,
        op: echoedOp,
      });
    if (op === 'ping') {
      answer(true, 'pong');
      return;
    }
    if (op !== 'subscribe' && op !== 'unsubscribe') {
      answer(false, 'error:invalid op');
      return;
    }
    const names = frame.topics;
    if (op === 'unsubscribe') {
      for (const name of names) entry.topics.delete(name);
      answer(true, '');
      return;
    }
    const parsed = names.map((name) => [name, this.parseTopic(name)] as const);
    const bad = parsed.find(([, subscription]) => subscription === undefined);
    if (names.length === 0 || bad !== undefined) {
      answer(false, `error:handler not found,topic:${bad?.[0] ?? ''}`);
      return;
    }
    answer(true, '');
    for (const [name, subscription] of parsed) {
      if (subscription === undefined || entry.topics.has(name)) continue;
      entry.topics.set(name, subscription);
      this.snapshot(entry, name, subscription);
    }
  }

  /** The first message of a subscription: the book or ticker as it stands */
  private snapshot(entry: PublicSocket, topic: string, subscription: Subscription): void {
    const state = this.source.market(subscription.symbol);
    if (state === undefined) return;
    const now = Math.floor(this.clock.now());
    if (subscription.kind === 'orderbook') {
      subscription.bids = state.bids.slice(0, subscription.depth);
      subscription.asks = state.asks.slice(0, subscription.depth);
      subscription.sentAt = now;
      this.send(
        entry,
        this.bookMessage(topic, state, 'snapshot', subscription.bids, subscription.asks, now),
      );
    } else if (subscription.kind === 'ticker') {
      subscription.last = tickerRow(state, this.source.markPrice(subscription.symbol));
      this.send(entry, {
        topic,
        type: 'snapshot',
        data: subscription.last,
        cs: state.updateId,
        ts: now,
      });
    }
  }

  private bookMessage(
    topic: string,
    state: MarketState,
    type: 'snapshot' | 'delta',
    bids: readonly Level[],
    asks: readonly Level[],
    now: number,
  ): Record<string, unknown> {
    return {
      topic,
      type,
      ts: now,
      data: {
        s: state.instrument.venueSymbol,
        b: levelRows(state.instrument, bids),
        a: levelRows(state.instrument, asks),
        u: state.updateId,
        seq: state.updateId,
      },
      cts: Math.floor(state.bookTime),
    };
  }

  /** Publishes one market change to every subscriber of a topic it touches */
  publish(change: MarketChange): void {
    const state = change.state;
    const symbol = state.instrument.venueSymbol;
    const now = Math.floor(this.clock.now());
    for (const entry of this.sockets) {
      for (const [topic, subscription] of entry.topics) {
        if (subscription.symbol !== symbol) continue;
        if (subscription.kind === 'trade' && change.kind === 'trade') {
          this.send(entry, {
            topic,
            type: 'snapshot',
            ts: now,
            data: [this.tradeRow(state, change.trade)],
          });
        } else if (subscription.kind === 'orderbook' && change.kind === 'book') {
          const bids = state.bids.slice(0, subscription.depth);
          const asks = state.asks.slice(0, subscription.depth);
          const bidChanges = diffLevels(subscription.bids, bids);
          const askChanges = diffLevels(subscription.asks, asks);
          if (bidChanges.length === 0 && askChanges.length === 0) continue;
          subscription.bids = bids;
          subscription.asks = asks;
          subscription.sentAt = now;
          this.send(
            entry,
            subscription.depth === 1
              ? this.bookMessage(topic, state, 'snapshot', bids, asks, now)
              : this.bookMessage(topic, state, 'delta', bidChanges, askChanges, now),
          );
        } else if (subscription.kind === 'ticker') {
          const row = tickerRow(state, this.source.markPrice(symbol));
          const delta: Record<string, unknown> = { symbol };
          for (const [key, value] of Object.entries(row))
            if (subscription.last[key] !== value) delta[key] = value;
          subscription.last = row;
          if (Object.keys(delta).length > 1)
            this.send(entry, { topic, type: 'delta', data: delta, cs: state.updateId, ts: now });
        }
      }
    }
  }

  private tradeRow(state: MarketState, trade: PublicTrade): Record<string, unknown> {
    return {
      T: Math.floor(trade.time),
      s: state.instrument.venueSymbol,
      S: trade.side === 'BUY' ? 'Buy' : 'Sell',
      v: quantity(state.instrument, trade.quantity),
      p: price(state.instrument, trade.price),
      L: tickDirection(state),
      i: uuidFor(this.seed, `trade:${state.instrument.venueSymbol}`, trade.id),
      BT: false,
      RPI: false,
      seq: trade.id,
    };
  }

  /** Re-sends level-1 books that have not changed for 3 s, as Bybit does */
  private scheduleRepeat(): void {
    if (this.repeatTimer !== undefined || this.closed) return;
    this.repeatTimer = this.clock.setTimer(1_000, () => {
      this.repeatTimer = undefined;
      const now = Math.floor(this.clock.now());
      for (const entry of this.sockets) {
        for (const [topic, subscription] of entry.topics) {
          if (subscription.kind !== 'orderbook' || subscription.depth !== 1) continue;
          if (now - subscription.sentAt < LEVEL1_REPEAT_MS) continue;
          const state = this.source.market(subscription.symbol);
          if (state === undefined) continue;
          subscription.sentAt = now;
          this.send(
            entry,
            this.bookMessage(topic, state, 'snapshot', subscription.bids, subscription.asks, now),
          );
        }
      }
      if (this.sockets.size > 0) this.scheduleRepeat();
    });
  }

  /** Sends raw text frames, exactly as given, to every open public socket */
  sendRaw(frames: readonly string[]): number {
    return this.sockets.sendRaw(frames);
  }

  dropAll(code: number | undefined): number {
    return this.sockets.dropAll(code);
  }

  close(): void {
    this.closed = true;
    this.idle.close();
    this.repeatTimer?.cancel();
    this.repeatTimer = undefined;
    this.sockets.terminateAll();
  }
}
