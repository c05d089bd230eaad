import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../engine/clock.ts';
import type { EmulatorFaults } from '../faults.ts';
import { logRequest, readRestRequest, retryAfterHeader, writeJson } from '../http.ts';
import { BybitError, bybitError, envelope, paramsError } from './errors.ts';
import type { BybitExchange, Outcome, PrivatePush } from './exchange.ts';
import type { BybitOrder } from './orders.ts';
import { isOpenStatus } from './orders.ts';
import type { RateLimits } from './rate-limits.ts';
import type { Params } from './request-params.ts';
import {
  category,
  decimal,
  decodeCursor,
  encodeCursor,
  integer,
  pageLimit,
  parseNewOrder,
  parseOrderRef,
  required,
  text,
} from './request-params.ts';
import type { Credentials } from './signature.ts';
import { verifySignedRequest } from './signature.ts';
import {
  executionRow,
  instrumentRow,
  levelRows,
  orderRow,
  positionRow,
  price,
  quantity,
  tickerRow,
  walletRow,
} from './wire.ts';

/** One REST request as the emulator saw it, for tests to assert what went on the wire */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly params: Params;
  readonly status: number;
  /** The answer's retCode; undefined for a forced HTTP failure */
  readonly retCode: number | undefined;
  readonly time: number;
}

export interface RestContext {
  readonly exchange: BybitExchange;
  readonly faults: EmulatorFaults;
  readonly credentials: Credentials;
  readonly clock: Clock;
  readonly requests: RequestRecord[];
  /** Undefined when the emulator was started without Bybit's rate limits */
  readonly limits: RateLimits | undefined;
  /** The account's user id, as the API key info shows it */
  readonly userId: number;
  /** Sends pushes to the private streams */
  deliver(pushes: readonly PrivatePush[]): void;
}

/** What a route answers: the `result`, Bybit's `retExtInfo`, and the pushes it caused */
interface Answer {
  readonly result: unknown;
  readonly retExtInfo?: unknown;
  readonly pushes?: readonly PrivatePush[];
}

interface Route {
  readonly signed: boolean;
  /** Rate-limit units a request uses (a batch: one per order); default 1 */
  readonly units?: (params: Params) => number;
  readonly handler: (params: Params, ctx: RestContext, now: number, granted: number) => Answer;
}

const DAY_MS = 86_400_000;
/** Bybit keeps the latest 500 closed orders in /v5/order/realtime */
const RECENT_CLOSED = 500;
const MAX_BATCH = 20;

function fromOutcome<T>(outcome: Outcome<T>): Answer {
  return { result: outcome.body, pushes: outcome.pushes };
}

/** The one category this venue trades; others list nothing and know no symbol */
function linear(params: Params): void {
  if (category(params) !== 'linear') throw paramsError('symbol invalid');
}

/** A newest-first page of `items` (sorted newest first) below the request's cursor */
function page<T>(
  items: readonly T[],
  seqOf: (item: T) => number,
  params: Params,
  max: number,
  fallback: number,
): { readonly list: T[]; readonly nextPageCursor: string } {
  const limit = pageLimit(params, max, fallback);
  const below = decodeCursor(text(params, 'cursor'));
  const rest = below === undefined ? items : items.filter((item) => seqOf(item) < below);
  const list = rest.slice(0, limit);
  const last = list.at(-1);
  return {
    list,
    nextPageCursor: rest.length > limit && last !== undefined ? encodeCursor(seqOf(last)) : '',
  };
}

/**
 * A `[startTime, endTime]` window by Bybit's rules: neither → the last 7 days; only start →
 * start + 7 days; only end → end - 7 days; both → at most 7 days apart.
 * @throws BybitError 10001 for a window longer than 7 days or ending before it starts
 */
function window(params: Params, now: number): readonly [number, number] {
  const start = integer(params, 'startTime', 0, Number.MAX_SAFE_INTEGER);
  const end = integer(params, 'endTime', 0, Number.MAX_SAFE_INTEGER);
  const week = 7 * DAY_MS;
  if (start !== undefined && end !== undefined) {
    if (end < start || end - start > week)
      throw paramsError('endTime - startTime must be within 7 days');
    return [start, end];
  }
  if (start !== undefined) return [start, start + week];
  if (end !== undefined) return [end - week, end];
  return [now - week, now];
}

/** Orders of a symbol, base coin or settle coin; linear needs one of the three */
function scope(params: Params, ctx: RestContext): (order: BybitOrder) => boolean {
  const symbol = text(params, 'symbol');
  const baseCoin = text(params, 'baseCoin');
  const settleCoin = text(params, 'settleCoin');
  if (symbol !== undefined) {
    ctx.exchange.market(symbol);
    return (o) => o.instrument.venueSymbol === symbol;
  }
  if (baseCoin !== undefined) return (o) => o.instrument.base === baseCoin;
  if (settleCoin !== undefined) return (o) => o.instrument.settle === settleCoin;
  throw paramsError('symbol, baseCoin or settleCoin is required');
}

function orderFilter(params: Params): (order: BybitOrder) => boolean {
  const filter = text(params, 'orderFilter');
  if (filter === undefined) return () => true;
  if (filter === 'Order') return (o) => o.triggerDirection === 0;
  if (filter === 'StopOrder') return (o) => o.triggerDirection !== 0;
  throw paramsError('orderFilter invalid');
}

function realtime(params: Params, ctx: RestContext): Answer {
  linear(params);
  const inScope = scope(params, ctx);
  const filter = orderFilter(params);
  const orderId = text(params, 'orderId');
  const orderLinkId = text(params, 'orderLinkId');
  const openOnly = integer(params, 'openOnly', 0, 2) ?? 0;
  const newestFirst = [...ctx.exchange.allOrders()].reverse();
  const recentClosed = new Set(ctx.exchange.recentlyClosed(RECENT_CLOSED));
  let candidates: BybitOrder[];
  if (orderId !== undefined || orderLinkId !== undefined) {
    candidates = newestFirst.filter(
      (o) =>
        (orderId !== undefined ? o.orderId === orderId : o.orderLinkId === orderLinkId) &&
        (isOpenStatus(o.status) || recentClosed.has(o)),
    );
  } else if (openOnly === 0) {
    candidates = newestFirst.filter((o) => isOpenStatus(o.status));
  } else {
    candidates = [...recentClosed].sort((a, b) => b.seq - a.seq);
  }
  const { list, nextPageCursor } = page(
    candidates.filter((o) => inScope(o) && filter(o)),
    (o) => o.seq,
    params,
    50,
    20,
  );
  return { result: { category: 'linear', list: list.map(orderRow), nextPageCursor } };
}

function history(params: Params, ctx: RestContext, now: number): Answer {
  linear(params);
  const symbol = text(params, 'symbol');
  if (symbol !== undefined) ctx.exchange.market(symbol);
  const baseCoin = text(params, 'baseCoin');
  const settleCoin = text(params, 'settleCoin');
  const orderId = text(params, 'orderId');
  const orderLinkId = text(params, 'orderLinkId');
  const status = text(params, 'orderStatus');
  const filter = orderFilter(params);
  const [start, end] = window(params, now);
  const visible = (o: BybitOrder) => {
    if (isOpenStatus(o.status)) return true;
    const unfilled = o.cumExecQty === 0;
    // Fully cancelled, rejected and deactivated orders are kept 24 hours, unfilled ones 7 days
    if (unfilled && ['Cancelled', 'Rejected', 'Deactivated'].includes(o.status))
      return now - o.updatedTime <= DAY_MS;
    return !(unfilled && now - o.createdTime > 7 * DAY_MS);
  };
  const matching = [...ctx.exchange.allOrders()].reverse().filter((o) => {
    if (orderId !== undefined) return o.orderId === orderId;
    if (orderLinkId !== undefined) return o.orderLinkId === orderLinkId;
    return (
      (symbol === undefined || o.instrument.venueSymbol === symbol) &&
      (baseCoin === undefined || o.instrument.base === baseCoin) &&
      (settleCoin === undefined || o.instrument.settle === settleCoin) &&
      (status === undefined || o.status === status) &&
      o.createdTime >= start &&
      o.createdTime <= end
    );
  });
  const { list, nextPageCursor } = page(
    matching.filter((o) => visible(o) && filter(o)),
    (o) => o.seq,
    params,
    50,
    20,
  );
  return { result: { category: 'linear', list: list.map(orderRow), nextPageCursor } };
}

function executions(params: Params, ctx: RestContext, now: number): Answer {
  linear(params);
  const symbol = text(params, 'symbol');
  if (symbol !== undefined) ctx.exchange.market(symbol);
  const orderId = text(params, 'orderId');
  const orderLinkId = text(params, 'orderLinkId');
  const baseCoin = text(params, 'baseCoin');
  const settleCoin = text(params, 'settleCoin');
  const execType = text(params, 'execType');
  if (
    execType !== undefined &&
    ![
      'Trade',
      'AdlTrade',
      'Funding',
      'BustTrade',
      'Delivery',
      'Settle',
      'BlockTrade',
      'MovePosition',
    ].includes(execType)
  )
    throw paramsError('execType invalid');
  const [start, end] = window(params, now);
  const matching = [...ctx.exchange.allExecutions()].reverse().filter((e) => {
    if (execType !== undefined && execType !== 'Trade') return false;
    if (orderId !== undefined) return e.orderId === orderId;
    if (orderLinkId !== undefined) return e.orderLinkId === orderLinkId;
    return (
      (symbol === undefined || e.instrument.venueSymbol === symbol) &&
      (baseCoin === undefined || e.instrument.base === baseCoin) &&
      (settleCoin === undefined || e.instrument.settle === settleCoin) &&
      e.execTime >= start &&
      e.execTime <= end
    );
  });
  const { list, nextPageCursor } = page(matching, (e) => e.index, params, 100, 50);
  return { result: { category: 'linear', list: list.map(executionRow), nextPageCursor } };
}

function positions(params: Params, ctx: RestContext): Answer {
  const product = category(params);
  if (product === 'spot') throw paramsError('category invalid');
  const symbol = text(params, 'symbol');
  const settleCoin = text(params, 'settleCoin');
  if (product === 'linear' && symbol === undefined && settleCoin === undefined)
    throw paramsError('symbol or settleCoin is required');
  let views = [] as ReturnType<BybitExchange['openPositions']>;
  if (product === 'linear') {
    views =
      symbol !== undefined
        ? ctx.exchange.positionsOf(ctx.exchange.market(symbol).instrument.venueSymbol)
        : ctx.exchange.openPositions().filter((p) => p.instrument.settle === settleCoin);
  }
  const indexed = views.map((view, index) => ({ view, index }));
  const { list, nextPageCursor } = page(
    indexed,
    (entry) => indexed.length - entry.index,
    params,
    200,
    20,
  );
  return {
    result: { category: product, list: list.map((e) => positionRow(e.view)), nextPageCursor },
  };
}

function createBatch(params: Params, ctx: RestContext, now: number, granted: number): Answer {
  linear(params);
  const entries = params['request'];
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_BATCH)
    throw paramsError(`request must hold 1 to ${MAX_BATCH} orders`);
  const list: Record<string, unknown>[] = [];
  const codes: { code: number; msg: string }[] = [];
  const pushes: PrivatePush[] = [];
  entries.forEach((entry: unknown, i) => {
    const fields = (typeof entry === 'object' && entry !== null ? entry : {}) as Params;
    const echo = {
      category: 'linear',
      symbol: typeof fields['symbol'] === 'string' ? fields['symbol'] : '',
      orderId: '',
      orderLinkId: typeof fields['orderLinkId'] === 'string' ? fields['orderLinkId'] : '',
      createAt: '',
    };
    try {
      if (i >= granted) throw bybitError('RATE_LIMIT');
      const outcome = ctx.exchange.submit(parseNewOrder(fields), now);
      list.push({ ...echo, ...outcome.body, createAt: String(Math.floor(now)) });
      codes.push({ code: 0, msg: 'OK' });
      pushes.push(...outcome.pushes);
    } catch (error) {
      if (!(error instanceof BybitError)) throw error;
      list.push(echo);
      codes.push({ code: error.retCode, msg: error.message });
    }
  });
  return { result: { list }, retExtInfo: { list: codes }, pushes };
}

function wallet(params: Params, ctx: RestContext): Answer {
  const accountType = required(params, 'accountType');
  if (accountType !== 'UNIFIED') throw paramsError('accountType only support UNIFIED.');
  const coins = text(params, 'coin')?.split(',');
  const all = ctx.exchange.coins();
  const shown =
    coins === undefined
      ? all.filter((c) => c.walletBalance !== 0 || c.unrealisedPnl !== 0)
      : all.filter((c) => coins.includes(c.coin));
  return { result: { list: [walletRow(shown)] } };
}

const ROUTES: Readonly<Record<string, Route>> = {
  'GET /v5/market/time': {
    signed: false,
    handler: (_p, ctx) => {
      const now = ctx.faults.serverTime();
      return {
        result: {
          timeSecond: String(Math.floor(now / 1000)),
          timeNano: `${Math.floor(now)}000000`,
        },
      };
    },
  },
  'GET /v5/market/instruments-info': {
    signed: false,
    handler: (p, ctx) => {
      const product = category(p);
      const symbol = text(p, 'symbol');
      const status = text(p, 'status') ?? 'Trading';
      const baseCoin = text(p, 'baseCoin');
      const rows =
        product !== 'linear' && product !== 'inverse'
          ? []
          : ctx.exchange.markets
              .map((market, index) => ({ market, index }))
              .filter(
                ({ market }) =>
                  product === 'linear' &&
                  status === 'Trading' &&
                  (symbol === undefined || market.instrument.venueSymbol === symbol) &&
                  (baseCoin === undefined || market.instrument.base === baseCoin),
              );
      const limit = pageLimit(p, 1000, 500);
      const from = Number(decodeCursor(text(p, 'cursor')) ?? 0);
      const slice = rows.slice(from, from + limit);
      return {
        result: {
          category: product,
          list: slice.map(({ market, index }) => instrumentRow(market, index)),
          nextPageCursor: from + limit < rows.length ? encodeCursor(from + limit) : '',
        },
      };
    },
  },
  'GET /v5/market/tickers': {
    signed: false,
    handler: (p, ctx) => {
      const product = category(p);
      const symbol = text(p, 'symbol');
      if (product === 'option' && symbol === undefined && text(p, 'baseCoin') === undefined)
        throw paramsError('symbol or baseCoin is required for option');
      if (product !== 'linear') {
        if (symbol !== undefined) throw paramsError('symbol invalid');
        return { result: { category: product, list: [] } };
      }
      const states =
        symbol === undefined
          ? ctx.exchange.listPublicMarkets()
          : [ctx.exchange.publicMarket(symbol)];
      return {
        result: {
          category: 'linear',
          list: states.map((s) => tickerRow(s, ctx.exchange.markPrice(s.instrument.venueSymbol))),
        },
      };
    },
  },
  'GET /v5/market/orderbook': {
    signed: false,
    handler: (p, ctx, now) => {
      linear(p);
      const state = ctx.exchange.publicMarket(required(p, 'symbol'));
      const limit = pageLimit(p, 1000, 25);
      return {
        result: {
          s: state.instrument.venueSymbol,
          b: levelRows(state.instrument, state.bids.slice(0, limit)),
          a: levelRows(state.instrument, state.asks.slice(0, limit)),
          ts: Math.floor(now),
          u: state.updateId,
          seq: state.updateId,
          cts: Math.floor(state.bookTime),
        },
      };
    },
  },
  'GET /v5/market/recent-trade': {
    signed: false,
    handler: (p, ctx) => {
      linear(p);
      const state = ctx.exchange.publicMarket(required(p, 'symbol'));
      const limit = pageLimit(p, 1000, 500);
      return {
        result: {
          category: 'linear',
          list: state.trades
            .slice(-limit)
            .reverse()
            .map((t) => ({
              execId: String(t.id),
              symbol: state.instrument.venueSymbol,
              price: price(state.instrument, t.price),
              size: quantity(state.instrument, t.quantity),
              side: t.side === 'BUY' ? 'Buy' : 'Sell',
              time: String(Math.floor(t.time)),
              isBlockTrade: false,
              isRPITrade: false,
              seq: String(t.id),
            })),
        },
      };
    },
  },
  'GET /v5/user/query-api': {
    signed: true,
    handler: (_p, ctx) => ({
      result: {
        id: String(ctx.userId),
        note: 'kestrel emulator',
        apiKey: ctx.credentials.apiKey,
        readOnly: 0,
        secret: '',
        permissions: {
          ContractTrade: ['Order', 'Position'],
          Spot: [],
          Wallet: ['AccountTransfer'],
          Options: [],
          Derivatives: [],
          CopyTrading: [],
          BlockTrade: [],
          Exchange: [],
          NFT: [],
          Affiliate: [],
          Earn: [],
        },
        ips: ['*'],
        type: 1,
        deadlineDay: -1,
        expiredAt: '',
        createdAt: '2024-01-01T00:00:00Z',
        unified: 0,
        uta: 1,
        userID: ctx.userId,
        inviterID: 0,
        vipLevel: 'No VIP',
        mktMakerLevel: '0',
        affiliateID: 0,
        rsaPublicKey: '',
        isMaster: true,
        parentUid: '0',
        kycLevel: 'LEVEL_DEFAULT',
        kycRegion: '',
      },
    }),
  },
  'GET /v5/account/info': {
    signed: true,
    handler: () => ({
      result: {
        marginMode: 'REGULAR_MARGIN',
        updatedTime: '1704067200000',
        unifiedMarginStatus: 5,
        dcpStatus: 'OFF',
        timeWindow: 10,
        smpGroup: 0,
        isMasterTrader: false,
        spotHedgingStatus: 'OFF',
      },
    }),
  },
  'GET /v5/asset/coin/query-info': {
    signed: true,
    handler: (p, ctx) => {
      const coin = text(p, 'coin');
      const coins = new Set<string>();
      for (const market of ctx.exchange.markets) {
        coins.add(market.instrument.base);
        coins.add(market.instrument.settle);
      }
      return {
        result: {
          rows: [...coins]
            .filter((c) => coin === undefined || c === coin)
            .map((c) => ({ name: c, coin: c, remainAmount: '0', chains: [] })),
        },
      };
    },
  },
  'POST /v5/order/create': {
    signed: true,
    handler: (p, ctx, now) => {
      linear(p);
      return fromOutcome(ctx.exchange.submit(parseNewOrder(p), now));
    },
  },
  'POST /v5/order/create-batch': {
    signed: true,
    units: (p) => (Array.isArray(p['request']) ? Math.max(1, p['request'].length) : 1),
    handler: createBatch,
  },
  'POST /v5/order/amend': {
    signed: true,
    handler: (p, ctx, now) => {
      linear(p);
      const ref = parseOrderRef(p);
      ctx.exchange.market(ref.symbol);
      return fromOutcome(
        ctx.exchange.amend(
          ref,
          {
            qty: decimal(p, 'qty'),
            price: decimal(p, 'price'),
            triggerPrice: decimal(p, 'triggerPrice'),
          },
          now,
        ),
      );
    },
  },
  'POST /v5/order/cancel': {
    signed: true,
    handler: (p, ctx, now) => {
      linear(p);
      const ref = parseOrderRef(p);
      ctx.exchange.market(ref.symbol);
      return fromOutcome(ctx.exchange.cancel(ref, now));
    },
  },
  'POST /v5/order/cancel-all': {
    signed: true,
    handler: (p, ctx, now) => {
      linear(p);
      const inScope = scope(p, ctx);
      const filter = orderFilter(p);
      return fromOutcome(ctx.exchange.cancelAll((o) => inScope(o) && filter(o), now));
    },
  },
  'GET /v5/order/realtime': { signed: true, handler: (p, ctx) => realtime(p, ctx) },
  'GET /v5/order/history': { signed: true, handler: history },
  'GET /v5/execution/list': { signed: true, handler: executions },
  'GET /v5/position/list': { signed: true, handler: (p, ctx) => positions(p, ctx) },
  'POST /v5/position/set-leverage': {
    signed: true,
    handler: (p, ctx) => {
      linear(p);
      const symbol = ctx.exchange.market(required(p, 'symbol')).instrument.venueSymbol;
      const buy = decimal(p, 'buyLeverage');
      const sell = decimal(p, 'sellLeverage');
      if (buy === undefined || sell === undefined)
        throw paramsError('buyLeverage and sellLeverage are required');
      return fromOutcome(ctx.exchange.setLeverage(symbol, buy, sell));
    },
  },
  'POST /v5/position/switch-mode': {
    signed: true,
    handler: (p, ctx) => {
      linear(p);
      const mode = integer(p, 'mode', 0, 3);
      if (mode !== 0 && mode !== 3) throw paramsError('mode must be 0 or 3');
      const symbol = text(p, 'symbol');
      const coin = text(p, 'coin');
      if (symbol === undefined && coin === undefined)
        throw paramsError('symbol or coin is required');
      ctx.exchange.switchMode(symbol !== undefined ? { symbol } : { coin: coin ?? '' }, mode === 3);
      return { result: {} };
    },
  },
  'GET /v5/account/wallet-balance': { signed: true, handler: (p, ctx) => wallet(p, ctx) },
};

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseParams(method: string, rawQuery: string, body: string): Params {
  if (method !== 'POST') return Object.fromEntries(new URLSearchParams(rawQuery));
  if (body.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw paramsError('request body is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw paramsError('request body must be a JSON object');
  return json as Params;
}

/**
 * Serves one Bybit v5 REST request: forced failures and delays from the fault controller,
 * the X-BAPI-* checks, the UID rate limits, the route, and the pushes it caused (sent after
 * the answer is written). Verdicts travel as HTTP 200 with their retCode, as Bybit sends them.
 */
export async function handleRest(
  ctx: RestContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { method, path, rawQuery, body } = await readRestRequest(request);
  let params: Params = {};
  const record = (status: number, retCode: number | undefined) => {
    logRequest(ctx.requests, { method, path, params, status, retCode, time: ctx.clock.now() });
  };

  const delay = ctx.faults.takeDelay(path);
  if (delay?.when === 'before') await ctx.faults.hold(delay.ms);

  const route = ROUTES[`${method} ${path}`];
  if (route === undefined) {
    record(404, 10017);
    writeJson(response, 404, envelope({}, ctx.clock.now(), {}, 10017, 'Route not found.'));
    return;
  }
  const fault = ctx.faults.takeRequestFault(method, path);
  const faultAnswer = () => {
    const status = fault?.status ?? 500;
    const headers = retryAfterHeader(fault?.retryAfterSeconds);
    record(status, undefined);
    if (response.destroyed) return;
    if (status >= 500) {
      // A 5xx comes from Bybit's gateway as a page, not as an API answer
      const page = `<html><head><title>${status}</title></head><body><center><h1>${status}</h1></center></body></html>`;
      response.writeHead(status, { 'Content-Type': 'text/html', ...headers });
      response.end(page);
      return;
    }
    writeJson(
      response,
      status,
      envelope({}, ctx.clock.now(), {}, fault?.code ?? 10006, fault?.msg ?? 'Too many visits!'),
      headers,
    );
  };
  if (fault !== undefined && fault.when === 'before') {
    faultAnswer();
    return;
  }

  let answer: Record<string, unknown>;
  let retCode = 0;
  let pushes: readonly PrivatePush[] = [];
  let headers: Readonly<Record<string, string>> = {};
  try {
    params = parseParams(method, rawQuery, body);
    if (route.signed) {
      verifySignedRequest(
        {
          apiKey: header(request, 'x-bapi-api-key'),
          timestamp: header(request, 'x-bapi-timestamp'),
          sign: header(request, 'x-bapi-sign'),
          recvWindow: header(request, 'x-bapi-recv-window'),
          payload: method === 'POST' ? body : rawQuery,
        },
        ctx.credentials,
        ctx.faults.serverTime(),
      );
    }
    const units = route.units?.(params) ?? 1;
    const verdict = route.signed ? ctx.limits?.take(path, units, ctx.clock.now()) : undefined;
    headers = verdict?.headers ?? {};
    const granted = verdict?.granted ?? units;
    if (granted === 0) throw bybitError('RATE_LIMIT', 'Too many visits!');
    const result = route.handler(params, ctx, ctx.clock.now(), granted);
    answer = envelope(result.result, ctx.clock.now(), result.retExtInfo ?? {});
    pushes = result.pushes ?? [];
  } catch (error) {
    const failure =
      error instanceof BybitError ? error : bybitError('SERVER_ERROR', (error as Error).message);
    retCode = failure.retCode;
    answer = envelope({}, ctx.clock.now(), {}, failure.retCode, failure.message);
  }
  if (delay?.when === 'after') {
    // The venue acted and pushed; only the answer is late
    ctx.deliver(pushes);
    pushes = [];
    await ctx.faults.hold(delay.ms);
  }
  if (fault !== undefined) faultAnswer();
  else {
    record(200, retCode);
    writeJson(response, 200, answer, {
      ...headers,
      Timenow: String(Math.floor(ctx.clock.now())),
      Ret_code: String(retCode),
    });
  }
  if (pushes.length > 0) {
    const later = pushes;
    setImmediate(() => ctx.deliver(later));
  }
}
