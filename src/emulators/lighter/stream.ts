import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import type { Clock, Timer } from '../../engine/clock.ts';
import { sendRawFrames } from '../sockets.ts';
import { isCandleResolution } from './candles.ts';
import type { ExchangePush, LighterExchange } from './exchange.ts';
import type { LighterFaults } from './faults.ts';
import {
  assetsJson,
  candleJson,
  levelsJson,
  marketStatsJson,
  orderJson,
  ordersByMarket,
  positionJson,
  positionsByMarket,
  statsJson,
  tickerJson,
  USDC_ASSET_ID,
} from './frames.ts';
import { CODES, VenueRefusal } from './protocol.ts';
import type { TxRequestRecord } from './rest-api.ts';
import { logTxRequest, txSummaries } from './rest-api.ts';

export interface StreamContext {
  readonly exchange: LighterExchange;
  readonly faults: LighterFaults;
  readonly clock: Clock;
  /** Closes a connection that sent nothing for this long, ms (the venue: 2 minutes) */
  readonly idleTimeoutMs: number;
  /** Every transaction request received, answered or not */
  readonly txRequests: TxRequestRecord[];
}

interface Subscription {
  /** When the auth token it was opened with expires, ms; Infinity for public channels */
  readonly deadline: number;
}

interface Connection {
  readonly socket: WebSocket;
  readonly subscriptions: Map<string, Subscription>;
  idle: Timer | undefined;
}

/** Channels of one account: the auth token of its API key is required (and verified) */
const ACCOUNT_CHANNELS = new Set([
  'account_all',
  'account_market',
  'account_all_orders',
  'account_all_trades',
  'account_all_positions',
  'account_all_assets',
  'account_tx',
  'user_stats',
  'account_orders',
]);

/** Account channels whose first id is a market */
const ACCOUNT_MARKET_CHANNELS = new Set(['account_market', 'account_orders']);

/** Public channels of one market (`name/{market}`) */
const MARKET_CHANNELS = new Set(['order_book', 'trade', 'ticker']);

/** Every channel the emulator serves, as a subscribe names it, for its README and tests */
export const CHANNEL_NAMES: readonly string[] = [
  'order_book/{MARKET}',
  'ticker/{MARKET}',
  'trade/{MARKET}',
  'market_stats/{MARKET}',
  'market_stats/all',
  'candle/{MARKET}/{RESOLUTION}',
  'height',
  'account_all/{ACCOUNT}',
  'account_market/{MARKET}/{ACCOUNT}',
  'account_all_orders/{ACCOUNT}',
  'account_orders/{MARKET}/{ACCOUNT}',
  'account_all_trades/{ACCOUNT}',
  'account_all_positions/{ACCOUNT}',
  'account_all_assets/{ACCOUNT}',
  'account_tx/{ACCOUNT}',
  'user_stats/{ACCOUNT}',
];

const DAY_MS = 86_400_000;

/**
 * The venue's `/stream` WebSocket: `connected` on open, `subscribe`/`unsubscribe` with `/`
 * channel names answered on `:` channels (`subscribed/…` snapshot, then `update/…` deltas),
 * `auth` required on account channels (and an `expired token` error frame when it lapses on a
 * live subscription), app-level ping/pong, idle disconnects, and `jsonapi/sendtx(batch)`.
 * Account pushes go through the fault switch (drop, duplicate, reorder).
 */
const PUSH_LOG_SIZE = 10_000;

export class LighterStream {
  private readonly context: StreamContext;
  private readonly server = new WebSocketServer({ noServer: true });
  private readonly connections = new Set<Connection>();
  private held: { readonly key: string; readonly frame: string } | undefined;
  /** Account pushes as meant to be sent (before the fault switch), oldest first, bounded */
  readonly pushes: Record<string, unknown>[] = [];
  private sweep: Timer | undefined;
  private closed = false;

  constructor(context: StreamContext) {
    this.context = context;
    context.exchange.onPush((push) => this.onPush(push));
    this.armSweep();
  }

  private now(): number {
    return Math.floor(this.context.clock.now());
  }

  /** Takes an HTTP upgrade for `/stream`, or refuses it (path, or an injected refusal) */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    if (this.closed || path !== '/stream' || this.context.faults.takeConnectionRefusal()) {
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    this.server.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
  }

  private accept(socket: WebSocket): void {
    const connection: Connection = { socket, subscriptions: new Map(), idle: undefined };
    this.connections.add(connection);
    this.touch(connection);
    socket.on('message', (data) => {
      this.touch(connection);
      this.onMessage(connection, data.toString());
    });
    socket.on('close', () => this.forget(connection));
    socket.on('error', () => this.forget(connection));
    this.send(connection, { type: 'connected', session_id: randomUUID() });
  }

  private forget(connection: Connection): void {
    connection.idle?.cancel();
    this.connections.delete(connection);
  }

  private touch(connection: Connection): void {
    connection.idle?.cancel();
    connection.idle = this.context.clock.setTimer(this.context.idleTimeoutMs, () => {
      connection.socket.close(1000, 'idle');
    });
  }

  private send(connection: Connection, frame: unknown): void {
    this.sendText(connection, JSON.stringify(frame));
  }

  private sendText(connection: Connection, text: string): void {
    if (connection.socket.readyState === connection.socket.OPEN) connection.socket.send(text);
  }

  private error(connection: Connection, name: keyof typeof CODES, detail: string): void {
    const [code, message] = CODES[name];
    this.send(connection, { error: { code, message: `${message} ${detail}`.trim() } });
  }

  private onMessage(connection: Connection, text: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.error(connection, 'INVALID_PARAMETER', 'malformed JSON');
      return;
    }
    switch (message['type']) {
      case 'ping':
        this.send(connection, { type: 'pong' });
        return;
      case 'pong':
        return;
      case 'subscribe':
        this.subscribe(connection, message);
        return;
      case 'unsubscribe': {
        const channel = String(message['channel'] ?? '');
        const key = channel.replaceAll('/', ':');
        connection.subscriptions.delete(key);
        this.send(connection, { type: 'unsubscribed', channel: key });
        return;
      }
      case 'jsonapi/sendtx':
      case 'jsonapi/sendtxbatch':
        this.sendTx(connection, String(message['type']), message['data']);
        return;
      default:
        this.error(
          connection,
          'INVALID_PARAMETER',
          `unknown message type ${String(message['type'])}`,
        );
    }
  }

  private subscribe(connection: Connection, message: Record<string, unknown>): void {
    const exchange = this.context.exchange;
    const channel = String(message['channel'] ?? '');
    const [name = '', ...ids] = channel.split('/');
    const key = [name, ...ids].join(':');
    if (connection.subscriptions.has(key)) {
      const [code, text] = CODES.ALREADY_SUBSCRIBED;
      this.send(connection, { type: 'error', code, message: `${text} ${key}` });
      return;
    }
    let deadline = Number.POSITIVE_INFINITY;
    if (ACCOUNT_CHANNELS.has(name)) {
      const account = Number(ids[ids.length - 1]);
      const wanted = ACCOUNT_MARKET_CHANNELS.has(name) ? 2 : 1;
      const marketKnown =
        !ACCOUNT_MARKET_CHANNELS.has(name) ||
        name === 'account_orders' ||
        exchange.market(Number(ids[0])) !== undefined;
      if (account !== exchange.accountIndex || ids.length !== wanted || !marketKnown) {
        this.error(connection, 'SUBSCRIBE_FAILED', key);
        return;
      }
      const auth = message['auth'];
      try {
        deadline = exchange.authTokens.check(
          typeof auth === 'string' ? auth : undefined,
          this.now(),
        );
      } catch (error) {
        if (error instanceof VenueRefusal) {
          this.send(connection, {
            error: { code: error.code, message: `${error.message}: ${key}` },
          });
          return;
        }
        throw error;
      }
    } else if (MARKET_CHANNELS.has(name)) {
      if (exchange.market(Number(ids[0])) === undefined || ids.length !== 1) {
        this.error(connection, 'SUBSCRIBE_FAILED', key);
        return;
      }
    } else if (name === 'market_stats') {
      if (ids.length !== 1 || (ids[0] !== 'all' && exchange.market(Number(ids[0])) === undefined)) {
        this.error(connection, 'SUBSCRIBE_FAILED', key);
        return;
      }
    } else if (name === 'candle') {
      if (
        ids.length !== 2 ||
        exchange.market(Number(ids[0])) === undefined ||
        !isCandleResolution(ids[1] ?? '')
      ) {
        this.error(connection, 'SUBSCRIBE_FAILED', key);
        return;
      }
    } else if (name === 'height') {
      if (ids.length !== 0) {
        this.error(connection, 'SUBSCRIBE_FAILED', key);
        return;
      }
    } else {
      this.error(connection, 'SUBSCRIBE_FAILED', key);
      return;
    }
    connection.subscriptions.set(key, { deadline });
    this.send(connection, this.snapshot(name, ids, key));
  }

  private snapshot(name: string, ids: readonly string[], key: string): Record<string, unknown> {
    const exchange = this.context.exchange;
    const now = this.now();
    switch (name) {
      case 'order_book': {
        const index = Number(ids[0]);
        const book = exchange.bookState(index);
        return {
          channel: key,
          last_updated_at: now * 1000,
          offset: book.offset,
          order_book: {
            code: 0,
            asks: levelsJson(exchange, index, book.asks),
            bids: levelsJson(exchange, index, book.bids),
            offset: book.offset,
            nonce: book.nonce,
            last_updated_at: now * 1000,
            begin_nonce: 0,
          },
          timestamp: now,
          type: 'subscribed/order_book',
        };
      }
      case 'ticker':
        return this.tickerFrame(Number(ids[0]), 'subscribed/ticker');
      case 'market_stats':
        return this.marketStatsFrame(ids[0] === 'all' ? undefined : Number(ids[0]), 'subscribed');
      case 'candle': {
        const [market, resolution] = [Number(ids[0]), ids[1] ?? ''];
        const candle = isCandleResolution(resolution)
          ? exchange.candles(market)?.latest(resolution)
          : undefined;
        return {
          candles: candle === undefined ? [] : [candleJson(candle)],
          channel: key,
          timestamp: now,
          type: 'subscribed/candle',
        };
      }
      case 'height':
        return {
          channel: 'height',
          height: exchange.height,
          timestamp: now,
          type: 'subscribed/height',
        };
      case 'account_all':
        return {
          account: exchange.accountIndex,
          channel: key,
          ...this.volumes(now),
          funding_histories: {},
          positions: positionsByMarket(exchange),
          shares: [],
          trades: {},
          type: 'subscribed/account_all',
        };
      case 'account_market': {
        const market = Number(ids[0]);
        const symbol = exchange.market(market)?.instrument.symbol ?? '';
        const position = exchange.venue.getPosition(symbol);
        return {
          account: exchange.accountIndex,
          channel: key,
          orders: exchange.activeOrders(market).map((o) => orderJson(exchange, o)),
          ...(position === undefined ? {} : { position: positionJson(exchange, market, position) }),
          trades: [],
          type: 'subscribed/account_market',
        };
      }
      case 'account_all_assets':
        return {
          assets: this.assets(),
          channel: key,
          timestamp: now,
          type: 'subscribed/account_all_assets',
        };
      case 'account_tx':
        return { channel: key, type: 'subscribed/account_tx' };
      case 'trade':
        return {
          channel: key,
          liquidation_trades: [],
          nonce: exchange.bookState(Number(ids[0])).nonce,
          trades: exchange.recentPublicTrades(Number(ids[0]), 20),
          type: 'subscribed/trade',
        };
      case 'account_all_orders':
        return {
          channel: key,
          orders: ordersByMarket(exchange, exchange.activeOrders()),
          type: 'subscribed/account_all_orders',
        };
      case 'account_orders':
        return {
          account: exchange.accountIndex,
          channel: key,
          orders: ordersByMarket(exchange, exchange.activeOrders(Number(ids[0]))),
          type: 'subscribed/account_orders',
        };
      case 'account_all_trades':
        return {
          channel: key,
          total_volume: 0,
          monthly_volume: 0,
          weekly_volume: 0,
          daily_volume: 0,
          type: 'subscribed/account_all_trades',
        };
      case 'account_all_positions':
        return {
          channel: key,
          positions: positionsByMarket(exchange),
          shares: [],
          type: 'subscribed/account_all_positions',
        };
      default:
        return {
          channel: key,
          stats: statsJson(exchange),
          timestamp: now,
          type: 'subscribed/user_stats',
        };
    }
  }

  private tickerFrame(market: number, type: string): Record<string, unknown> {
    const micros = this.now() * 1000;
    return {
      channel: `ticker:${market}`,
      last_updated_at: micros,
      nonce: this.context.exchange.bookState(market).nonce,
      ticker: tickerJson(this.context.exchange, market, micros),
      timestamp: this.now(),
      type,
    };
  }

  /** A `market_stats` frame: one market's entry, or every market's keyed by index (`all`) */
  private marketStatsFrame(market: number | undefined, kind: 'subscribed' | 'update') {
    const exchange = this.context.exchange;
    const stats =
      market === undefined
        ? Object.fromEntries(
            exchange
              .listMarkets()
              .map((m) => [
                String(m.spec.marketIndex),
                marketStatsJson(exchange, m.spec.marketIndex),
              ]),
          )
        : marketStatsJson(exchange, market);
    return {
      channel: `market_stats:${market ?? 'all'}`,
      market_stats: stats,
      timestamp: this.now(),
      type: `${kind}/market_stats`,
    };
  }

  /** The account's trade counts and volumes (USDC) over the day, week, month and all kept trades */
  private volumes(now: number): Record<string, number> {
    const out: Record<string, number> = {};
    const periods = [
      ['daily', DAY_MS],
      ['weekly', 7 * DAY_MS],
      ['monthly', 30 * DAY_MS],
      ['total', Number.POSITIVE_INFINITY],
    ] as const;
    const trades = this.context.exchange.trades();
    for (const [period, length] of periods) {
      const inside = trades.filter((t) => now - Number(t['timestamp']) < length);
      out[`${period}_trades_count`] = inside.length;
      out[`${period}_volume`] = Number(
        inside.reduce((sum, t) => sum + Number(t['usd_amount']), 0).toFixed(6),
      );
    }
    return out;
  }

  /** The account's assets keyed by asset id, as the `account_all_assets` channel writes them */
  private assets(): Record<string, unknown> {
    const [usdc] = assetsJson(this.context.exchange);
    return { [String(USDC_ASSET_ID)]: usdc };
  }

  private subscribed(key: string): boolean {
    for (const connection of this.connections) if (connection.subscriptions.has(key)) return true;
    return false;
  }

  /** Pushes a market's stats to its channel and to `market_stats/all`, when someone listens */
  private pushMarketStats(market: number): void {
    const single = `market_stats:${market}`;
    if (this.subscribed(single)) this.broadcast(single, this.marketStatsFrame(market, 'update'));
    if (this.subscribed('market_stats:all')) {
      const exchange = this.context.exchange;
      this.broadcast('market_stats:all', {
        channel: 'market_stats:all',
        market_stats: { [String(market)]: marketStatsJson(exchange, market) },
        timestamp: this.now(),
        type: 'update/market_stats',
      });
    }
  }

  private sendTx(connection: Connection, type: string, data: unknown): void {
    const body = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
    const id = body['id'];
    const exchange = this.context.exchange;
    const batch = type !== 'jsonapi/sendtx';
    const info = body['tx_info'];
    const txInfo = typeof info === 'string' ? info : JSON.stringify(info);
    let answer = 200;
    try {
      if (!batch) {
        const { hash, quota } = exchange.submit(Number(body['tx_type']), txInfo);
        this.send(connection, {
          type,
          code: 200,
          id,
          tx_hash: hash,
          volume_quota_remaining: quota,
        });
      } else {
        const types = JSON.parse(String(body['tx_types'] ?? '[]')) as number[];
        const infos = JSON.parse(String(body['tx_infos'] ?? '[]')) as string[];
        const hashes = exchange.submitBatch(types, infos);
        this.send(connection, {
          type,
          code: 200,
          id,
          tx_hash: hashes,
          volume_quota_remaining: exchange.volumeQuotaRemaining,
        });
      }
    } catch (error) {
      const refusal = error instanceof VenueRefusal ? error : new VenueRefusal('INVALID_TX_INFO');
      answer = refusal.code;
      this.send(connection, { type, code: refusal.code, message: refusal.message, id });
    }
    let txs: TxRequestRecord['txs'] = [];
    try {
      txs = batch
        ? txSummaries(
            JSON.parse(String(body['tx_types'] ?? '[]')),
            JSON.parse(String(body['tx_infos'] ?? '[]')),
          )
        : txSummaries([body['tx_type']], [txInfo]);
    } catch {
      // Malformed: logged without its transactions
    }
    logTxRequest(this.context.txRequests, { via: 'ws', batch, txs, answer, time: this.now() });
  }

  private onPush(push: ExchangePush): void {
    const exchange = this.context.exchange;
    const account = exchange.accountIndex;
    const now = this.now();
    switch (push.kind) {
      case 'book': {
        const { offset, nonce, beginNonce } = exchange.advanceBook(
          push.marketIndex,
          push.bids.length + push.asks.length,
        );
        const key = `order_book:${push.marketIndex}`;
        this.broadcast(key, {
          channel: key,
          last_updated_at: now * 1000,
          offset,
          order_book: {
            code: 0,
            asks: levelsJson(exchange, push.marketIndex, push.asks),
            bids: levelsJson(exchange, push.marketIndex, push.bids),
            offset,
            nonce,
            last_updated_at: now * 1000,
            begin_nonce: this.context.faults.takeBookBreak() ? beginNonce + 7 : beginNonce,
          },
          timestamp: now,
          type: 'update/order_book',
        });
        const ticker = `ticker:${push.marketIndex}`;
        if (this.subscribed(ticker))
          this.broadcast(ticker, this.tickerFrame(push.marketIndex, 'update/ticker'));
        this.pushMarketStats(push.marketIndex);
        return;
      }
      case 'publicTrades': {
        const key = `trade:${push.marketIndex}`;
        this.broadcast(key, {
          channel: key,
          liquidation_trades: [],
          nonce: exchange.bookState(push.marketIndex).nonce,
          trades: push.trades,
          type: 'update/trade',
        });
        for (const connection of this.connections) {
          for (const candleKey of connection.subscriptions.keys()) {
            const [name, market, resolution = ''] = candleKey.split(':');
            if (name !== 'candle' || Number(market) !== push.marketIndex) continue;
            if (!isCandleResolution(resolution)) continue;
            const candle = exchange.candles(push.marketIndex)?.latest(resolution);
            if (candle === undefined) continue;
            this.send(connection, {
              candles: [candleJson(candle)],
              channel: candleKey,
              timestamp: now,
              type: 'update/candle',
            });
          }
        }
        this.pushMarketStats(push.marketIndex);
        return;
      }
      case 'orders': {
        const key = `account_all_orders:${account}`;
        this.accountPush(key, {
          channel: key,
          orders: ordersByMarket(exchange, push.orders),
          type: 'update/account_all_orders',
        });
        for (const index of new Set(push.orders.map((o) => o.marketIndex))) {
          const marketKey = `account_orders:${index}:${account}`;
          this.accountPush(marketKey, {
            account,
            channel: marketKey,
            orders: ordersByMarket(
              exchange,
              push.orders.filter((o) => o.marketIndex === index),
            ),
            type: 'update/account_orders',
          });
          const accountMarket = `account_market:${index}:${account}`;
          this.accountPush(accountMarket, {
            account,
            channel: accountMarket,
            orders: push.orders
              .filter((o) => o.marketIndex === index)
              .map((o) => orderJson(exchange, o)),
            type: 'update/account_market',
          });
        }
        return;
      }
      case 'trades': {
        const key = `account_all_trades:${account}`;
        const byMarket: Record<string, unknown[]> = {};
        for (const trade of push.trades) {
          const market = String(trade.market_id);
          byMarket[market] ??= [];
          byMarket[market].push(trade);
        }
        this.accountPush(key, {
          channel: key,
          trades: byMarket,
          type: 'update/account_all_trades',
        });
        const all = `account_all:${account}`;
        this.accountPush(all, {
          account,
          channel: all,
          funding_histories: {},
          positions: {},
          shares: [],
          trades: byMarket,
          type: 'update/account_all',
        });
        for (const [market, trades] of Object.entries(byMarket)) {
          const accountMarket = `account_market:${market}:${account}`;
          this.accountPush(accountMarket, {
            account,
            channel: accountMarket,
            trades,
            type: 'update/account_market',
          });
        }
        return;
      }
      case 'positions': {
        const key = `account_all_positions:${account}`;
        const positions = positionsByMarket(exchange, push.marketIndexes);
        this.accountPush(key, {
          channel: key,
          positions,
          shares: [],
          type: 'update/account_all_positions',
        });
        const all = `account_all:${account}`;
        this.accountPush(all, {
          account,
          channel: all,
          funding_histories: {},
          positions,
          shares: [],
          trades: {},
          type: 'update/account_all',
        });
        for (const [market, position] of Object.entries(positions)) {
          const accountMarket = `account_market:${market}:${account}`;
          this.accountPush(accountMarket, {
            account,
            channel: accountMarket,
            position,
            type: 'update/account_market',
          });
        }
        return;
      }
      case 'stats': {
        const key = `user_stats:${account}`;
        this.accountPush(key, {
          channel: key,
          stats: statsJson(exchange),
          timestamp: now,
          type: 'update/user_stats',
        });
        const assets = `account_all_assets:${account}`;
        this.accountPush(assets, {
          assets: this.assets(),
          channel: assets,
          timestamp: now,
          type: 'update/account_all_assets',
        });
        return;
      }
      case 'block': {
        this.broadcast('height', {
          channel: 'height',
          height: push.height,
          timestamp: now,
          type: 'update/height',
        });
        const key = `account_tx:${account}`;
        if (push.txs.length > 0)
          this.accountPush(key, { channel: key, txs: push.txs, type: 'update/account_tx' });
        return;
      }
    }
  }

  private subscribers(key: string): Connection[] {
    return [...this.connections].filter((c) => c.subscriptions.has(key));
  }

  private broadcast(key: string, frame: unknown): void {
    const text = JSON.stringify(frame);
    for (const connection of this.subscribers(key)) this.sendText(connection, text);
  }

  /** An account push, through the fault switch; only pushes someone would receive count */
  private accountPush(key: string, frame: unknown): void {
    if (this.subscribers(key).length === 0) return;
    this.pushes.push(frame as Record<string, unknown>);
    if (this.pushes.length > PUSH_LOG_SIZE) this.pushes.shift();
    const text = JSON.stringify(frame);
    const deliver = (target: string, payload: string) => {
      for (const connection of this.subscribers(target)) this.sendText(connection, payload);
    };
    const held = this.held;
    switch (this.context.faults.takePushMode()) {
      case 'drop':
        return;
      case 'duplicate':
        deliver(key, text);
        deliver(key, text);
        break;
      case 'reorder':
        if (held === undefined) {
          this.held = { key, frame: text };
          return;
        }
        deliver(key, text);
        break;
      case 'normal':
        deliver(key, text);
        break;
    }
    if (held !== undefined) {
      this.held = undefined;
      deliver(held.key, held.frame);
    }
  }

  /** Ends account subscriptions whose token expired, with the venue's error frame */
  private armSweep(): void {
    if (this.closed) return;
    this.sweep = this.context.clock.setTimer(1_000, () => {
      const now = this.now();
      for (const connection of this.connections) {
        for (const [key, subscription] of connection.subscriptions) {
          if (subscription.deadline <= now) {
            connection.subscriptions.delete(key);
            const [code, message] = CODES.AUTH_EXPIRED;
            this.send(connection, { error: { code, message: `${message}: ${key}` } });
          }
        }
      }
      this.armSweep();
    });
  }

  /** Ends every account subscription with the `expired token` error frame; returns how many */
  expireAccountSubscriptions(): number {
    let ended = 0;
    for (const connection of this.connections) {
      for (const [key, subscription] of connection.subscriptions) {
        if (subscription.deadline === Number.POSITIVE_INFINITY) continue;
        connection.subscriptions.delete(key);
        const [code, message] = CODES.AUTH_EXPIRED;
        this.send(connection, { error: { code, message: `${message}: ${key}` } });
        ended += 1;
      }
    }
    return ended;
  }

  /** Closes every connection abruptly (no close handshake); returns how many */
  dropAll(): number {
    const count = this.connections.size;
    for (const connection of [...this.connections]) {
      connection.socket.terminate();
      this.forget(connection);
    }
    return count;
  }

  /** Sends raw text frames to every connection as they are; returns how many connections got them */
  sendRaw(frames: readonly string[]): number {
    return sendRawFrames(
      [...this.connections].map((c) => c.socket),
      frames,
    );
  }

  /** How many clients are connected */
  get connectionCount(): number {
    return this.connections.size;
  }

  close(): void {
    this.closed = true;
    this.sweep?.cancel();
    this.dropAll();
    this.server.close();
  }
}
