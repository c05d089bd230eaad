import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../engine/clock.ts';
import type { EmulatorFaults } from '../faults.ts';
import { readBody, writeJson } from '../http.ts';
import type { BinanceHttpError } from './binance-errors.ts';
import { binanceError, BinanceHttpError as HttpError } from './binance-errors.ts';
import { bookTickerJson } from './market-streams.ts';
import { parseAmendment, parseBatch, parseNewOrder, parseOrderRef } from './request-params.ts';
import type { RequestWeightWindow } from './request-weight.ts';
import { requestWeight } from './request-weight.ts';
import type { Credentials } from './signature.ts';
import { verifyApiKey, verifySignedRequest } from './signature.ts';
import type { Outcome, UsdmExchange } from './usdm-exchange.ts';
import type { UserDataStreams } from './user-stream.ts';
import {
  accountJson,
  amount,
  exchangeInfo,
  leverageBrackets,
  positionRiskJson,
  price,
  quantity,
  userTradeJson,
  wireTime,
} from './wire.ts';

/** One REST request as the emulator saw it, for tests to assert what went on the wire */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  /** Every parameter except the signature */
  readonly params: Readonly<Record<string, string>>;
  readonly status: number;
  readonly time: number;
}

export interface RestContext {
  readonly exchange: UsdmExchange;
  readonly users: UserDataStreams;
  readonly faults: EmulatorFaults;
  readonly credentials: Credentials;
  readonly clock: Clock;
  readonly requests: RequestRecord[];
  /** The IP request-weight limit's current window */
  readonly weights: RequestWeightWindow;
  /** Sends pushes to the user data stream */
  deliver(pushes: readonly Record<string, unknown>[]): void;
}

type Auth = 'none' | 'key' | 'signed';
type Params = Readonly<Record<string, string>>;
type Handler = (params: Params, ctx: RestContext, now: number) => Outcome<unknown> | unknown;

interface Route {
  readonly auth: Auth;
  readonly handler: Handler;
}

const REQUEST_LOG_SIZE = 20_000;

function optionalNumber(params: Params, name: string): number | undefined {
  const raw = params[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) {
    throw binanceError('ILLEGAL_CHARS', `Illegal characters found in parameter '${name}'.`);
  }
  return value;
}

function required(params: Params, name: string): string {
  const raw = params[name];
  if (raw === undefined || raw === '') {
    throw binanceError(
      'MANDATORY_PARAM',
      `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`,
    );
  }
  return raw;
}

function isOutcome(value: unknown): value is Outcome<unknown> {
  return typeof value === 'object' && value !== null && 'pushes' in value && 'body' in value;
}

function ticker24h(ctx: RestContext, symbol: string, now: number): Record<string, unknown> {
  const state = ctx.exchange.market(symbol);
  const instrument = state.instrument;
  const trades = state.trades;
  const last = trades.at(-1);
  const first = trades[0];
  const prices = trades.map((t) => t.price);
  const volume = trades.reduce((s, t) => s + t.quantity, 0);
  const quoteVolume = trades.reduce((s, t) => s + t.quantity * t.price, 0);
  const mid =
    state.bids[0] !== undefined && state.asks[0] !== undefined
      ? (state.bids[0][0] + state.asks[0][0]) / 2
      : 0;
  const lastPrice = last?.price ?? mid;
  const open = first?.price ?? lastPrice;
  return {
    symbol: instrument.venueSymbol,
    priceChange: price(instrument, lastPrice - open),
    priceChangePercent: open > 0 ? (((lastPrice - open) / open) * 100).toFixed(3) : '0.000',
    weightedAvgPrice: price(instrument, volume > 0 ? quoteVolume / volume : lastPrice),
    lastPrice: price(instrument, lastPrice),
    lastQty: quantity(instrument, last?.quantity ?? 0),
    openPrice: price(instrument, open),
    highPrice: price(instrument, prices.length > 0 ? Math.max(...prices) : lastPrice),
    lowPrice: price(instrument, prices.length > 0 ? Math.min(...prices) : lastPrice),
    volume: quantity(instrument, volume),
    quoteVolume: amount(quoteVolume),
    openTime: wireTime(first?.time ?? now),
    closeTime: wireTime(now),
    firstId: first?.id ?? 0,
    lastId: last?.id ?? 0,
    count: trades.length,
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

const ROUTES: Readonly<Record<string, Route>> = {
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
    handler: (p, ctx, now) =>
      perSymbol(ctx, p, now, (c, s, n) => {
        const t = ticker24h(c, s, n);
        return { symbol: t['symbol'], price: t['lastPrice'], time: wireTime(n) };
      }),
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
  'POST /fapi/v1/order': {
    auth: 'signed',
    handler: (p, ctx, now) => ctx.exchange.submit(parseNewOrder(p), now),
  },
  'GET /fapi/v1/order': {
    auth: 'signed',
    handler: (p, ctx) => ctx.exchange.query(parseOrderRef(p)),
  },
  'DELETE /fapi/v1/order': {
    auth: 'signed',
    handler: (p, ctx, now) => ctx.exchange.cancel(parseOrderRef(p), now),
  },
  'PUT /fapi/v1/order': {
    auth: 'signed',
    handler: (p, ctx, now) => ctx.exchange.amend(parseOrderRef(p), parseAmendment(p), now),
  },
  'POST /fapi/v1/batchOrders': {
    auth: 'signed',
    handler: (p, ctx, now) => {
      const entries = parseBatch(p['batchOrders']);
      const body: unknown[] = [];
      const pushes: Record<string, unknown>[] = [];
      for (const entry of entries) {
        try {
          const outcome = ctx.exchange.submit(parseNewOrder(entry), now);
          body.push(outcome.body);
          pushes.push(...outcome.pushes);
        } catch (error) {
          if (!(error instanceof HttpError)) throw error;
          body.push(error.toBody());
        }
      }
      return { body, pushes };
    },
  },
  'GET /fapi/v1/openOrders': {
    auth: 'signed',
    handler: (p, ctx) => ctx.exchange.openOrders(p['symbol']),
  },
  'GET /fapi/v1/openOrder': {
    auth: 'signed',
    handler: (p, ctx) => {
      const ref = parseOrderRef(p);
      const order = ctx.exchange.query(ref);
      if (order['status'] !== 'NEW' && order['status'] !== 'PARTIALLY_FILLED') {
        throw binanceError('NO_SUCH_ORDER');
      }
      return order;
    },
  },
  'DELETE /fapi/v1/allOpenOrders': {
    auth: 'signed',
    handler: (p, ctx, now) => ctx.exchange.cancelAll(required(p, 'symbol'), now),
  },
  'GET /fapi/v1/userTrades': {
    auth: 'signed',
    handler: (p, ctx) =>
      ctx.exchange
        .userTrades({
          symbol: required(p, 'symbol'),
          orderId: optionalNumber(p, 'orderId'),
          startTime: optionalNumber(p, 'startTime'),
          endTime: optionalNumber(p, 'endTime'),
          fromId: optionalNumber(p, 'fromId'),
          limit: optionalNumber(p, 'limit'),
        })
        .map(userTradeJson),
  },
  'GET /fapi/v2/account': {
    auth: 'signed',
    handler: (_p, ctx, now) =>
      accountJson(ctx.exchange.margins(), ctx.exchange.positions(), ctx.exchange.leverage, now),
  },
  'GET /fapi/v3/account': {
    auth: 'signed',
    handler: (_p, ctx, now) =>
      accountJson(ctx.exchange.margins(), ctx.exchange.positions(), ctx.exchange.leverage, now),
  },
  'GET /fapi/v2/balance': {
    auth: 'signed',
    handler: (_p, ctx, now) => balances(ctx, now),
  },
  'GET /fapi/v3/balance': {
    auth: 'signed',
    handler: (_p, ctx, now) => balances(ctx, now),
  },
  'GET /fapi/v2/positionRisk': {
    auth: 'signed',
    handler: (p, ctx) => positions(ctx, p),
  },
  'GET /fapi/v3/positionRisk': {
    auth: 'signed',
    handler: (p, ctx) => positions(ctx, p),
  },
  'GET /fapi/v1/leverageBracket': {
    auth: 'signed',
    handler: (p, ctx) => {
      const symbol = p['symbol'];
      const instruments =
        symbol === undefined ? ctx.exchange.instruments : [ctx.exchange.instrument(symbol)];
      const brackets = leverageBrackets(instruments);
      return symbol === undefined ? brackets : brackets[0];
    },
  },
  'POST /fapi/v1/listenKey': {
    auth: 'key',
    handler: (_p, ctx) => ({ listenKey: ctx.users.createKey() }),
  },
  'PUT /fapi/v1/listenKey': {
    auth: 'key',
    handler: (p, ctx) => {
      if (!ctx.users.keepAlive(p['listenKey'] ?? onlyKey(ctx))) {
        throw binanceError('INVALID_LISTEN_KEY');
      }
      return {};
    },
  },
  'DELETE /fapi/v1/listenKey': {
    auth: 'key',
    handler: (p, ctx) => {
      ctx.users.deleteKey(p['listenKey'] ?? onlyKey(ctx));
      return {};
    },
  },
};

// ccxt's keepalive sends the key it holds; Binance also accepts a bare PUT for the account's key
function onlyKey(ctx: RestContext): string | undefined {
  return ctx.users.currentKey;
}

function balances(ctx: RestContext, now: number): Record<string, unknown>[] {
  return ctx.exchange.margins().map(({ balance, unrealizedPnl }) => ({
    accountAlias: 'SgsR',
    asset: balance.currency,
    balance: amount(balance.total),
    crossWalletBalance: amount(balance.total),
    crossUnPnl: amount(unrealizedPnl),
    availableBalance: amount(balance.free),
    maxWithdrawAmount: amount(balance.free),
    marginAvailable: true,
    updateTime: Math.max(1, wireTime(now)),
  }));
}

function positions(ctx: RestContext, params: Params): Record<string, unknown>[] {
  const symbol = params['symbol'];
  return ctx.exchange
    .positions()
    .filter((p) => symbol === undefined || p.instrument.venueSymbol === symbol.toUpperCase())
    .map((p) => positionRiskJson(p, ctx.exchange.leverage));
}

/**
 * Serves one Binance USDⓈ-M REST request: refusals and delays from the fault controller, the
 * key/signature/timestamp checks, the route, and the pushes it caused (sent after the answer).
 */
export async function handleRest(
  ctx: RestContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  if (ctx.faults.refusesRest()) {
    request.socket.destroy();
    return;
  }
  const method = (request.method ?? 'GET').toUpperCase();
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const path = url.pathname;
  const rawQuery = url.search.startsWith('?') ? url.search.slice(1) : '';
  const body = await readBody(request);
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQuery)) params[key] = value;
  for (const [key, value] of new URLSearchParams(body)) params[key] = value;
  const { signature: _signature, ...logged } = params;
  const record = (status: number) => {
    ctx.requests.push({ method, path, params: logged, status, time: ctx.clock.now() });
    if (ctx.requests.length > REQUEST_LOG_SIZE) ctx.requests.shift();
  };

  const delay = ctx.faults.takeDelay(path);
  if (delay?.when === 'before') await ctx.faults.hold(delay.ms);

  const route = ROUTES[`${method} ${path}`];
  if (route === undefined) {
    const error = binanceError('NOT_FOUND', `Path ${path}, Method ${method} is invalid`);
    record(error.status);
    writeJson(response, error.status, error.toBody());
    return;
  }
  const retryInMs = ctx.weights.take(requestWeight(`${method} ${path}`, params), ctx.clock.now());
  if (retryInMs !== undefined) {
    const { weight, intervalMs } = ctx.weights.limit;
    const error = binanceError(
      'TOO_MANY_REQUESTS',
      `Too many requests; current limit of IP(127.0.0.1) is ${weight} requests per ${intervalMs / 1000} seconds. Please use the websocket for live updates to avoid polling the API.`,
    );
    record(error.status);
    writeJson(response, error.status, error.toBody(), {
      'Retry-After': String(Math.ceil(retryInMs / 1000)),
      'X-MBX-USED-WEIGHT-1M': String(ctx.weights.usedWeight),
    });
    return;
  }
  const fault = ctx.faults.takeRequestFault(method, path);
  const faultAnswer = () => {
    const headers: Record<string, string> =
      fault?.retryAfterSeconds === undefined
        ? {}
        : { 'Retry-After': String(fault.retryAfterSeconds) };
    record(fault?.status ?? 500);
    writeJson(response, fault?.status ?? 500, { code: fault?.code, msg: fault?.msg }, headers);
  };
  if (fault !== undefined && fault.when === 'before') {
    faultAnswer();
    return;
  }

  let status = 200;
  let answer: unknown;
  let pushes: readonly Record<string, unknown>[] = [];
  try {
    const now = ctx.faults.serverTime();
    const apiKey = request.headers['x-mbx-apikey'];
    const key = Array.isArray(apiKey) ? apiKey[0] : apiKey;
    if (route.auth === 'key') verifyApiKey(key, ctx.credentials);
    if (route.auth === 'signed') {
      verifySignedRequest({ payload: rawQuery + body, apiKey: key }, ctx.credentials, now);
    }
    const result = route.handler(params, ctx, ctx.clock.now());
    if (isOutcome(result)) {
      answer = result.body;
      pushes = result.pushes;
    } else {
      answer = result;
    }
  } catch (error) {
    const failure: BinanceHttpError =
      error instanceof HttpError ? error : binanceError('UNKNOWN', (error as Error).message);
    status = failure.status;
    answer = failure.toBody();
  }
  if (delay?.when === 'after') {
    // The venue acted and pushed; only the answer is late
    ctx.deliver(pushes);
    pushes = [];
    await ctx.faults.hold(delay.ms);
  }
  if (fault !== undefined) faultAnswer();
  else {
    record(status);
    writeJson(response, status, answer, {
      'X-MBX-USED-WEIGHT-1M': String(ctx.weights.usedWeight),
    });
  }
  // Binance mostly pushes after the REST answer: send once the answer is on its way
  if (pushes.length > 0) {
    const later = pushes;
    setImmediate(() => ctx.deliver(later));
  }
}
