import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Side } from '../../core/order.ts';
import type { Clock } from '../../engine/clock.ts';
import { controlRoute } from './control-api.ts';
import type { LighterExchange } from './exchange.ts';
import type { LighterFaults } from './faults.ts';
import { orderJson, positionsByMarket } from './frames.ts';
import { marketDetail } from './markets.ts';
import { MAX_BATCH, VenueRefusal } from './protocol.ts';

export interface RestContext {
  readonly exchange: LighterExchange;
  readonly faults: LighterFaults;
  readonly clock: Clock;
  readonly publicKey: string;
  readonly setQuote: (
    market: string,
    bid: number,
    ask: number,
    bidSize?: number,
    askSize?: number,
  ) => void;
  readonly printTrade: (market: string, price: number, size: number, side?: Side) => void;
  /** The venue's state for `GET /_kestrel/state` */
  readonly state: () => Record<string, unknown>;
}

export type Reply = { readonly status: number; readonly body: unknown };

const MAX_BODY = 1_000_000;

export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new VenueRefusal('INVALID_PARAMETER', 'body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Reads a form body: url-encoded, multipart (as the OpenAPI spec declares) or JSON */
function parseForm(contentType: string | undefined, body: string): Map<string, string> {
  const form = new Map<string, string>();
  const type = contentType ?? '';
  if (type.includes('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(type);
    const marker = boundary?.[1] ?? boundary?.[2];
    if (marker === undefined) throw new VenueRefusal('INVALID_PARAMETER', 'multipart boundary');
    for (const part of body.split(`--${marker}`)) {
      const split = part.indexOf('\r\n\r\n');
      if (split < 0) continue;
      const name = /name="([^"]+)"/.exec(part.slice(0, split))?.[1];
      if (name !== undefined) form.set(name, part.slice(split + 4).replace(/\r\n$/, ''));
    }
    return form;
  }
  if (type.includes('application/json')) {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    for (const [key, value] of Object.entries(parsed)) {
      form.set(key, typeof value === 'string' ? value : JSON.stringify(value));
    }
    return form;
  }
  for (const [key, value] of new URLSearchParams(body)) form.set(key, value);
  return form;
}

export function ok(body: Record<string, unknown>): Reply {
  return { status: 200, body: { code: 200, ...body } };
}

function refusal(error: VenueRefusal): Reply {
  return { status: 400, body: { code: error.code, message: error.message } };
}

function integerParam(query: URLSearchParams, name: string, fallback?: number): number {
  const text = query.get(name);
  if (text === null || text === '') {
    if (fallback !== undefined) return fallback;
    throw new VenueRefusal('INVALID_PARAMETER', `${name} is required`);
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new VenueRefusal('INVALID_PARAMETER', name);
  return value;
}

function authToken(request: IncomingMessage, query: URLSearchParams): string | undefined {
  const header = request.headers.authorization;
  return query.get('auth') ?? query.get('authorization') ?? (header === '' ? undefined : header);
}

function marketFilter(query: URLSearchParams): number | undefined {
  const market = integerParam(query, 'market_id', 255);
  return market === 255 ? undefined : market;
}

/**
 * Serves the venue's REST API (`/api/v1/...`) and the emulator's control API
 * (`/_kestrel/...`). Venue errors answer HTTP 400 with `{code, message}` like Lighter.
 */
export function createRestHandler(context: RestContext) {
  const { exchange, faults, clock } = context;
  const account = exchange.accountIndex;
  const now = () => Math.floor(clock.now());

  const requireAccount = (query: URLSearchParams, name = 'account_index'): void => {
    if (integerParam(query, name) !== account) throw new VenueRefusal('ACCOUNT_NOT_FOUND');
  };
  const requireAuth = (request: IncomingMessage, query: URLSearchParams): void => {
    exchange.authTokens.check(authToken(request, query), now());
  };

  const api = async (
    request: IncomingMessage,
    path: string,
    query: URLSearchParams,
  ): Promise<Reply> => {
    const method = request.method ?? 'GET';
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /api/v1/orderBookDetails':
      case 'GET /api/v1/orderBooks': {
        const filter = marketFilter(query);
        const details = exchange
          .listMarkets()
          .filter((m) => filter === undefined || m.spec.marketIndex === filter)
          .map((m) => marketDetail(m, exchange.lastTradePrice(m.spec.marketIndex)));
        return path.endsWith('Details')
          ? ok({ order_book_details: details, spot_order_book_details: [] })
          : ok({ order_books: details });
      }
      case 'GET /api/v1/nextNonce': {
        requireAccount(query);
        const nonce = exchange.nextNonce(integerParam(query, 'api_key_index'));
        if (nonce === undefined) throw new VenueRefusal('INVALID_PARAMETER', 'api key not found');
        return ok({ nonce });
      }
      case 'GET /api/v1/apikeys': {
        requireAccount(query);
        return ok({
          api_keys: [
            {
              account_index: account,
              api_key_index: exchange.apiKeyIndex,
              nonce: exchange.nextNonce(exchange.apiKeyIndex),
              public_key: context.publicKey,
              transaction_time: 0,
            },
          ],
        });
      }
      case 'GET /api/v1/account': {
        if (query.get('by') !== 'index' || Number(query.get('value')) !== account) {
          throw new VenueRefusal('ACCOUNT_NOT_FOUND');
        }
        const usdc = exchange.venue.getBalances().find((b) => b.currency === 'USDC');
        return ok({
          total: 1,
          accounts: [
            {
              code: 0,
              account_type: 0,
              index: account,
              account_index: account,
              l1_address: '0x0000000000000000000000000000000000000000',
              status: 1,
              collateral: (usdc?.total ?? 0).toFixed(6),
              available_balance: (usdc?.free ?? 0).toFixed(6),
              pending_order_count: 0,
              total_order_count: exchange.activeOrders().length,
              positions: Object.values(positionsByMarket(exchange)),
              assets: [],
              shares: [],
            },
          ],
        });
      }
      case 'GET /api/v1/accountActiveOrders': {
        requireAccount(query);
        requireAuth(request, query);
        return ok({
          orders: exchange.activeOrders(marketFilter(query)).map((o) => orderJson(exchange, o)),
        });
      }
      case 'GET /api/v1/accountInactiveOrders': {
        requireAccount(query);
        requireAuth(request, query);
        const limit = integerParam(query, 'limit');
        if (limit < 1 || limit > 100)
          throw new VenueRefusal('INVALID_PARAMETER', 'limit must be 1..100');
        const start = integerParam(query, 'cursor', 0);
        const all = exchange.inactiveOrders(marketFilter(query));
        const page = all.slice(start, start + limit);
        return ok({
          orders: page.map((o) => orderJson(exchange, o)),
          next_cursor: start + limit < all.length ? String(start + limit) : '',
        });
      }
      case 'GET /api/v1/accountOrders': {
        requireAuth(request, query);
        if (query.has('account_index')) requireAccount(query);
        const indexes = (query.get('client_order_indexes') ?? '')
          .split(',')
          .filter((s) => s.trim() !== '')
          .map(Number);
        if (indexes.length === 0 || !indexes.every(Number.isSafeInteger)) {
          throw new VenueRefusal('INVALID_PARAMETER', 'client_order_indexes');
        }
        return ok({
          orders: exchange.ordersByClientIndex(indexes).map((o) => orderJson(exchange, o)),
        });
      }
      case 'GET /api/v1/trades': {
        const limit = integerParam(query, 'limit');
        if (limit < 1 || limit > 100)
          throw new VenueRefusal('INVALID_PARAMETER', 'limit must be 1..100');
        if (query.get('sort_by') === null)
          throw new VenueRefusal('INVALID_PARAMETER', 'sort_by is required');
        requireAccount(query);
        requireAuth(request, query);
        const start = integerParam(query, 'cursor', 0);
        const all = exchange.trades(marketFilter(query));
        return ok({
          trades: all.slice(start, start + limit),
          next_cursor: start + limit < all.length ? String(start + limit) : '',
        });
      }
      case 'GET /api/v1/recentTrades': {
        const market = integerParam(query, 'market_id');
        return ok({
          trades: exchange.recentPublicTrades(market, integerParam(query, 'limit', 50)),
        });
      }
      case 'POST /api/v1/sendTx': {
        const form = parseForm(request.headers['content-type'], await readBody(request));
        const txType = Number(form.get('tx_type'));
        const txInfo = form.get('tx_info');
        if (!Number.isInteger(txType) || txInfo === undefined) {
          throw new VenueRefusal('INVALID_PARAMETER', 'tx_type and tx_info are required');
        }
        const { hash, predictedMs, quota } = exchange.submit(txType, txInfo);
        return ok({
          message: '{"ratelimit": "didn\'t use volume quota"}',
          tx_hash: hash,
          predicted_execution_time_ms: now() + predictedMs,
          volume_quota_remaining: quota,
        });
      }
      case 'POST /api/v1/sendTxBatch': {
        const form = parseForm(request.headers['content-type'], await readBody(request));
        let types: unknown;
        let infos: unknown;
        try {
          types = JSON.parse(form.get('tx_types') ?? '');
          infos = JSON.parse(form.get('tx_infos') ?? '');
        } catch {
          throw new VenueRefusal('INVALID_PARAMETER', 'tx_types and tx_infos must be JSON arrays');
        }
        if (
          !Array.isArray(types) ||
          !Array.isArray(infos) ||
          !types.every((t) => Number.isInteger(t)) ||
          !infos.every((i) => typeof i === 'string')
        ) {
          throw new VenueRefusal(
            'INVALID_PARAMETER',
            'tx_types must be integers, tx_infos strings',
          );
        }
        if (types.length > MAX_BATCH)
          throw new VenueRefusal('INVALID_PARAMETER', `at most ${MAX_BATCH} transactions`);
        const hashes = exchange.submitBatch(types as number[], infos as string[]);
        return ok({
          message: '{"ratelimit": "didn\'t use volume quota"}',
          tx_hash: hashes,
          predicted_execution_time_ms: now() + 5,
          volume_quota_remaining: exchange.volumeQuotaRemaining,
        });
      }
      default:
        return { status: 404, body: { code: 404, message: `no route ${route}` } };
    }
  };

  const control = async (request: IncomingMessage, path: string): Promise<Reply> => {
    const method = request.method ?? 'GET';
    const text = method === 'POST' ? await readBody(request) : '';
    const body: unknown = text === '' ? {} : JSON.parse(text);
    return controlRoute(context, method, path, body);
  };

  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    let reply: Reply;
    const isApi = path.startsWith('/api/v1/');
    const fault = isApi ? faults.takeRequestFault(path) : undefined;
    const delay = isApi ? faults.takeDelay(path) : 0;
    try {
      if (fault !== undefined && !fault.afterApply) {
        reply = {
          status: fault.status,
          body: { code: fault.code ?? fault.status, message: fault.message ?? 'fault injected' },
        };
      } else {
        reply = isApi ? await api(request, path, url.searchParams) : await control(request, path);
        if (fault !== undefined) {
          reply = {
            status: fault.status,
            body: { code: fault.code ?? fault.status, message: fault.message ?? 'fault injected' },
          };
        }
      }
    } catch (error) {
      reply =
        error instanceof VenueRefusal
          ? refusal(error)
          : error instanceof SyntaxError
            ? refusal(new VenueRefusal('INVALID_PARAMETER', 'malformed JSON'))
            : { status: 500, body: { code: 500, message: (error as Error).message } };
    }
    const send = () => {
      if (response.destroyed) return;
      const text = JSON.stringify(reply.body);
      response.writeHead(reply.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        ...(reply.status === 429 ? { 'retry-after': '1' } : {}),
      });
      response.end(text);
    };
    if (delay > 0) clock.setTimer(delay, send);
    else send();
  };
}
