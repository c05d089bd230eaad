import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Side } from '../../core/order.ts';
import type { Clock } from '../../engine/clock.ts';
import { CANDLE_RESOLUTIONS, candleEnd, isCandleResolution } from './candles.ts';
import { controlRoute } from './control-api.ts';
import type { EmulatorApiKey, LighterEmulatorApiKeySpec, LighterExchange } from './exchange.ts';
import { COUNTERPARTY_ACCOUNT, LIGHTER_EMULATOR_L1_ADDRESS } from './exchange.ts';
import type { LighterFaults } from './faults.ts';
import {
  accountFigures,
  assetsJson,
  candleJson,
  marketFigures,
  orderJson,
  positionsByMarket,
  USDC_ASSET_ID,
} from './frames.ts';
import { marketDetail } from './markets.ts';
import { MAX_BATCH, VenueRefusal } from './protocol.ts';

export interface RestContext {
  readonly exchange: LighterExchange;
  readonly faults: LighterFaults;
  readonly clock: Clock;
  /** Registers an API key on the account (`POST /_kestrel/api-keys`) */
  readonly registerApiKey: (spec: LighterEmulatorApiKeySpec) => EmulatorApiKey;
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
  /** Every transaction request received, answered or not (see TxRequestRecord) */
  readonly txRequests: TxRequestRecord[];
}

/**
 * A transaction request as it reached the emulator (REST `sendTx`/`sendTxBatch`, or the
 * stream's `jsonapi/sendtx`/`jsonapi/sendtxbatch`) and its answer, kept so a test can tell an
 * order that was never sent from one the venue was sent and refused (or whose answer was lost)
 */
export interface TxRequestRecord {
  readonly via: 'rest' | 'ws';
  readonly batch: boolean;
  /** Each transaction's type and, when its info carries one, its client order index */
  readonly txs: readonly { readonly txType: number; readonly clientOrderIndex?: number }[];
  /** The answer's code: 200 when the venue took it, else the venue's code (or the HTTP status) */
  readonly answer: number;
  readonly time: number;
}

/** How many transaction requests the log keeps, the latest (as the other emulators' request logs) */
const TX_LOG_SIZE = 20_000;

/** Appends a record to the transaction request log, dropping the oldest past its size */
export function logTxRequest(log: TxRequestRecord[], record: TxRequestRecord): void {
  log.push(record);
  if (log.length > TX_LOG_SIZE) log.shift();
}

/** What a request's transactions were, read leniently (a malformed one is logged as such) */
export function txSummaries(types: unknown, infos: unknown): TxRequestRecord['txs'] {
  if (!Array.isArray(types) || !Array.isArray(infos)) return [];
  return types.map((txType, i) => {
    let index: unknown;
    try {
      const info: unknown = JSON.parse(String(infos[i]));
      index = (info as Record<string, unknown> | null)?.['ClientOrderIndex'];
    } catch {
      index = undefined;
    }
    return typeof index === 'number'
      ? { txType: Number(txType), clientOrderIndex: index }
      : { txType: Number(txType) };
  });
}

/** The transactions of a REST sendTx or sendTxBatch form */
function formTxs(
  path: string,
  contentType: string | undefined,
  body: string,
): TxRequestRecord['txs'] {
  try {
    const form = parseForm(contentType, body);
    if (path === SEND_TX) return txSummaries([form.get('tx_type')], [form.get('tx_info')]);
    return txSummaries(
      JSON.parse(form.get('tx_types') ?? ''),
      JSON.parse(form.get('tx_infos') ?? ''),
    );
  } catch {
    return [];
  }
}

const SEND_TX = '/api/v1/sendTx';
const SEND_TX_BATCH = '/api/v1/sendTxBatch';

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

/** What a route handler gets: the request, its query, and the venue's helpers */
interface RouteCall {
  readonly request: IncomingMessage;
  /** The request's body (read once, before any fault), '' for a GET */
  readonly body: string;
  readonly query: URLSearchParams;
  readonly context: RestContext;
  readonly now: number;
  /** Refuses unless `name` (default `account_index`) names the emulated account (21100) */
  requireAccount(name?: string): void;
  /** Verifies the auth token of the request (`auth` or `authorization`, query or header) */
  requireAuth(): void;
}

type Route = (call: RouteCall) => Reply | Promise<Reply>;

function limitParam(query: URLSearchParams, max: number): number {
  const limit = integerParam(query, 'limit');
  if (limit < 1 || limit > max)
    throw new VenueRefusal('INVALID_PARAMETER', `limit must be 1..${max}`);
  return limit;
}

function marketParam(call: RouteCall, name = 'market_id'): number {
  const index = integerParam(call.query, name);
  if (call.context.exchange.market(index) === undefined)
    throw new VenueRefusal('INVALID_MARKET_INDEX');
  return index;
}

/** The address the emulated chain's contract answers `/info` with (an emulator choice) */
const CONTRACT_ADDRESS = '0x3B4D794a66304F130a4Db8F2551B0070dfCf5ca7';

/** USDC as `assetDetails` lists it (the figures of ccxt's recorded answer) */
const USDC_ASSET = {
  asset_id: USDC_ASSET_ID,
  symbol: 'USDC',
  l1_decimals: 6,
  decimals: 6,
  min_transfer_amount: '1.000000',
  min_withdrawal_amount: '1.000000',
  margin_mode: 'enabled',
  index_price: '1.000000',
  price_decimals: 6,
  l1_address: '0x95Fd23d5110f9D89A4b0B7d63D78F5B5Ea5074D1',
  loan_to_value: '1.000000',
  liquidation_threshold: '1.000000',
  liquidation_factor: '1.000000',
  liquidation_fee: '0.000000',
  global_supply_cap: '0.000000',
  user_supply_cap: '0.000000',
  total_supplied: '0.000000',
  multiplier: '1.000000000000000000',
};

/** The resting orders of one side in the `SimpleOrder` shape: the book's levels and the account's */
function bookSide(
  exchange: LighterExchange,
  marketIndex: number,
  isAsk: boolean,
): Record<string, unknown>[] {
  const spec = exchange.market(marketIndex)?.spec;
  if (spec === undefined) return [];
  const book = exchange.bookState(marketIndex);
  const levels = isAsk ? book.asks : book.bids;
  const priced = (price: number) => price.toFixed(spec.priceDecimals);
  const sized = (size: number) => size.toFixed(spec.sizeDecimals);
  // The book's other participants, one resting order per level (ids are the emulator's own)
  const others = levels.map(([price, size]) => {
    const id =
      (isAsk ? 1 : 2) * 10 ** 15 +
      marketIndex * 10 ** 12 +
      Math.round(price * 10 ** spec.priceDecimals);
    return {
      price,
      order: {
        order_index: id,
        order_id: String(id),
        owner_account_index: COUNTERPARTY_ACCOUNT,
        initial_base_amount: sized(size),
        remaining_base_amount: sized(size),
        price: priced(price),
        order_expiry: 0,
        transaction_time: 0,
      },
    };
  });
  const own = exchange
    .activeOrders(marketIndex)
    .filter((o) => o.isAsk === isAsk && o.type === 'limit')
    .map((o) => {
      const price = o.price / 10 ** spec.priceDecimals;
      return {
        price,
        order: {
          order_index: o.orderIndex,
          order_id: String(o.orderIndex),
          owner_account_index: exchange.accountIndex,
          initial_base_amount: sized(o.initialBase / 10 ** spec.sizeDecimals),
          remaining_base_amount: sized((o.initialBase - o.filledBase) / 10 ** spec.sizeDecimals),
          price: priced(price),
          order_expiry: o.orderExpiry,
          transaction_time: o.updatedAt * 1000,
        },
      };
    });
  // Best first; at one price the book's resting orders came first
  return [...others, ...own]
    .sort((a, b) => (isAsk ? a.price - b.price : b.price - a.price))
    .map((entry) => entry.order);
}

/** The account on the wire, in the `DetailedAccount` shape of the REST read */
function accountJson(exchange: LighterExchange): Record<string, unknown> {
  const account = exchange.accountIndex;
  const figures = accountFigures(exchange);
  return {
    code: 0,
    account_type: 0,
    index: account,
    l1_address: LIGHTER_EMULATOR_L1_ADDRESS,
    cancel_all_time: 0,
    total_order_count: exchange.activeOrders().length,
    total_isolated_order_count: 0,
    pending_order_count: 0,
    available_balance: figures.available.toFixed(6),
    status: 1,
    collateral: figures.collateral.toFixed(6),
    transaction_time: 0,
    account_trading_mode: 0,
    account_index: account,
    name: '',
    description: '',
    can_invite: false,
    referral_points_percentage: '',
    can_rfq: false,
    can_rfq_market_ids: null,
    created_at: 0,
    metadata: { color: '' },
    positions: Object.values(positionsByMarket(exchange, undefined, true)),
    assets: assetsJson(exchange, true),
    total_asset_value: figures.value.toFixed(6),
    cross_asset_value: figures.value.toFixed(6),
    cross_initial_margin_requirement: figures.initialMargin.toFixed(6),
    cross_maintenance_margin_requirement: figures.maintenanceMargin.toFixed(6),
    // Not a public pool: its pool figures are zero
    pool_info: {
      status: 0,
      operator_fee: '0',
      min_operator_share_rate: '0',
      total_shares: 0,
      operator_shares: 0,
      annual_percentage_yield: 0,
      sharpe_ratio: 0,
      daily_returns: [],
      share_prices: [],
      strategies: [],
    },
    shares: [],
    pending_unlocks: [],
    approved_integrators: [],
  };
}

const sendTxBody = (context: RestContext, hash: string | string[], predictedAt: number) =>
  ok({
    message: '{"ratelimit": "didn\'t use volume quota"}',
    tx_hash: hash,
    predicted_execution_time_ms: predictedAt,
    volume_quota_remaining: context.exchange.volumeQuotaRemaining,
  });

/** Every route the emulator serves, `METHOD /path` */
const ROUTES: Readonly<Record<string, Route>> = {
  'GET /': ({ now }) => ({
    status: 200,
    body: { status: 200, network_id: 1, timestamp: Math.floor(now / 1000) },
  }),
  'GET /info': () => ({ status: 200, body: { contract_address: CONTRACT_ADDRESS } }),
  'GET /api/v1/orderBookDetails': ({ query, context }) => {
    const filter = marketFilter(query);
    const { exchange } = context;
    const details = exchange
      .listMarkets()
      .filter((m) => filter === undefined || m.spec.marketIndex === filter)
      .map((m) => marketDetail(m, marketFigures(exchange, m.spec.marketIndex)));
    return ok({ order_book_details: details, spot_order_book_details: [] });
  },
  'GET /api/v1/orderBooks': ({ query, context }) => {
    const filter = marketFilter(query);
    const { exchange } = context;
    const books = exchange
      .listMarkets()
      .filter((m) => filter === undefined || m.spec.marketIndex === filter)
      .map((m) => marketDetail(m, marketFigures(exchange, m.spec.marketIndex)));
    return ok({ order_books: books });
  },
  'GET /api/v1/orderBookOrders': (call) => {
    const market = marketParam(call);
    const limit = limitParam(call.query, 250);
    const asks = bookSide(call.context.exchange, market, true);
    const bids = bookSide(call.context.exchange, market, false);
    return ok({
      total_asks: asks.length,
      asks: asks.slice(0, limit),
      total_bids: bids.length,
      bids: bids.slice(0, limit),
    });
  },
  'GET /api/v1/recentTrades': (call) => {
    // An unknown market answers an empty tape
    const market = integerParam(call.query, 'market_id');
    const { exchange } = call.context;
    return ok({
      trades: exchange
        .recentPublicTrades(market, integerParam(call.query, 'limit', 50))
        .map((t) => exchange.restTrade(t, 'public')),
    });
  },
  'GET /api/v1/candles': (call) => {
    const market = marketParam(call);
    const resolution = call.query.get('resolution') ?? '';
    if (!isCandleResolution(resolution))
      throw new VenueRefusal(
        'INVALID_PARAMETER',
        `resolution must be one of ${CANDLE_RESOLUTIONS.join(', ')}`,
      );
    const bound = (name: string) => {
      const value = integerParam(call.query, name);
      if (value < 0 || value > 5_000_000_000_000)
        throw new VenueRefusal('INVALID_PARAMETER', `${name} must be 0..5000000000000`);
      return value;
    };
    const from = bound('start_timestamp');
    const to = bound('end_timestamp');
    const countBack = integerParam(call.query, 'count_back');
    const toEnd = call.query.get('set_timestamp_to_end') === 'true';
    const candles =
      call.context.exchange
        .candles(market)
        ?.range(resolution, from, to, countBack > 0 ? countBack : Number.POSITIVE_INFINITY) ?? [];
    return ok({
      r: resolution,
      c: candles.map((candle) => {
        const json = candleJson(candle, true);
        return toEnd ? { ...json, t: candleEnd(resolution, candle.t) } : json;
      }),
    });
  },
  'GET /api/v1/funding-rates': ({ context }) =>
    ok({
      funding_rates: context.exchange.listMarkets().map((m) => ({
        market_id: m.spec.marketIndex,
        exchange: 'lighter',
        symbol: m.spec.symbol,
        rate: context.exchange.fundingRate,
      })),
    }),
  'GET /api/v1/assetDetails': ({ query }) => {
    const asset = query.get('asset_id');
    if (asset !== null && asset !== '' && Number(asset) !== USDC_ASSET_ID)
      throw new VenueRefusal('INVALID_PARAMETER', `unknown asset ${asset}`);
    return ok({ asset_details: [USDC_ASSET] });
  },
  'GET /api/v1/currentHeight': ({ context }) => ok({ height: context.exchange.height }),
  'GET /api/v1/nextNonce': (call) => {
    call.requireAccount();
    const nonce = call.context.exchange.nextNonce(integerParam(call.query, 'api_key_index'));
    if (nonce === undefined) throw new VenueRefusal('INVALID_PARAMETER', 'api key not found');
    return ok({ nonce });
  },
  'GET /api/v1/apikeys': (call) => {
    call.requireAccount();
    const { exchange } = call.context;
    // 255 (the default) lists every key; an index with no key registered lists none
    const index = integerParam(call.query, 'api_key_index', 255);
    return ok({
      api_keys: exchange
        .apiKeys()
        .filter((key) => index === 255 || key.apiKeyIndex === index)
        .map((key) => ({
          account_index: exchange.accountIndex,
          api_key_index: key.apiKeyIndex,
          nonce: key.nonce,
          public_key: key.publicKey,
          transaction_time: 0,
        })),
    });
  },
  'GET /api/v1/account': ({ query, context }) => {
    if (
      query.get('by') !== 'index' ||
      Number(query.get('value')) !== context.exchange.accountIndex
    ) {
      throw new VenueRefusal('ACCOUNT_NOT_FOUND');
    }
    return ok({ total: 1, accounts: [accountJson(context.exchange)] });
  },
  'GET /api/v1/accountActiveOrders': (call) => {
    call.requireAccount();
    call.requireAuth();
    const { exchange } = call.context;
    return ok({
      orders: exchange
        .activeOrders(marketFilter(call.query))
        .map((o) => orderJson(exchange, o, true)),
    });
  },
  'GET /api/v1/accountInactiveOrders': (call) => {
    call.requireAccount();
    call.requireAuth();
    const { exchange } = call.context;
    const limit = limitParam(call.query, 100);
    const start = integerParam(call.query, 'cursor', 0);
    const all = exchange.inactiveOrders(marketFilter(call.query));
    const page = all.slice(start, start + limit);
    return ok({
      orders: page.map((o) => orderJson(exchange, o, true)),
      next_cursor: start + limit < all.length ? String(start + limit) : '',
    });
  },
  'GET /api/v1/accountOrders': (call) => {
    call.requireAuth();
    if (call.query.has('account_index')) call.requireAccount();
    const indexes = (call.query.get('client_order_indexes') ?? '')
      .split(',')
      .filter((s) => s.trim() !== '')
      .map(Number);
    if (indexes.length === 0 || !indexes.every(Number.isSafeInteger)) {
      throw new VenueRefusal('INVALID_PARAMETER', 'client_order_indexes');
    }
    const { exchange } = call.context;
    return ok({
      orders: exchange.ordersByClientIndex(indexes).map((o) => orderJson(exchange, o, true)),
    });
  },
  'GET /api/v1/trades': (call) => {
    const limit = limitParam(call.query, 100);
    if (call.query.get('sort_by') === null)
      throw new VenueRefusal('INVALID_PARAMETER', 'sort_by is required');
    call.requireAccount();
    call.requireAuth();
    const { exchange } = call.context;
    const start = integerParam(call.query, 'cursor', 0);
    const all = exchange.trades(marketFilter(call.query));
    return ok({
      trades: all.slice(start, start + limit).map((t) => exchange.restTrade(t, 'account')),
      next_cursor: start + limit < all.length ? String(start + limit) : '',
    });
  },
  'POST /api/v1/sendTx': ({ request, body, context, now }) => {
    const form = parseForm(request.headers['content-type'], body);
    const txType = Number(form.get('tx_type'));
    const txInfo = form.get('tx_info');
    if (!Number.isInteger(txType) || txInfo === undefined) {
      throw new VenueRefusal('INVALID_PARAMETER', 'tx_type and tx_info are required');
    }
    const { hash, predictedMs } = context.exchange.submit(txType, txInfo);
    return sendTxBody(context, hash, now + predictedMs);
  },
  'POST /api/v1/sendTxBatch': ({ request, body, context, now }) => {
    const form = parseForm(request.headers['content-type'], body);
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
      throw new VenueRefusal('INVALID_PARAMETER', 'tx_types must be integers, tx_infos strings');
    }
    if (types.length > MAX_BATCH)
      throw new VenueRefusal('INVALID_PARAMETER', `at most ${MAX_BATCH} transactions`);
    const hashes = context.exchange.submitBatch(types as number[], infos as string[]);
    return sendTxBody(context, hashes, now + 5);
  },
};

/** The routes the emulator serves, `METHOD /path`, for its README and tests */
export const ROUTE_NAMES: readonly string[] = Object.keys(ROUTES);

/** Whether a path belongs to the venue's API (everything but the control API) */
function isVenuePath(path: string): boolean {
  return path === '/' || path === '/info' || path.startsWith('/api/');
}

/**
 * Serves the venue's REST API (`/`, `/info`, `/api/v1/...`) and the emulator's control API
 * (`/_kestrel/...`). Venue errors answer HTTP 400 with `{code, message}` like Lighter.
 */
export function createRestHandler(context: RestContext) {
  const { exchange, faults, clock } = context;
  const now = () => Math.floor(clock.now());

  const api = async (
    request: IncomingMessage,
    path: string,
    query: URLSearchParams,
    body: string,
  ): Promise<Reply> => {
    const route = `${request.method ?? 'GET'} ${path}`;
    const handler = ROUTES[route];
    if (handler === undefined)
      return { status: 404, body: { code: 404, message: `no route ${route}` } };
    return handler({
      request,
      body,
      query,
      context,
      now: now(),
      requireAccount(name = 'account_index') {
        if (integerParam(query, name) !== exchange.accountIndex)
          throw new VenueRefusal('ACCOUNT_NOT_FOUND');
      },
      requireAuth() {
        exchange.authTokens.check(authToken(request, query), now());
      },
    });
  };

  const control = (
    request: IncomingMessage,
    path: string,
    text: string,
  ): Reply | Promise<Reply> => {
    const method = request.method ?? 'GET';
    const body: unknown = text === '' ? {} : JSON.parse(text);
    return controlRoute(context, method, path, body);
  };

  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    let reply: Reply;
    const isApi = isVenuePath(path);
    const fault = isApi ? faults.takeRequestFault(path) : undefined;
    const delay = isApi ? faults.takeDelay(path) : 0;
    let body = '';
    try {
      if (request.method === 'POST') body = await readBody(request);
      if (fault !== undefined && !fault.afterApply) {
        reply = {
          status: fault.status,
          body: { code: fault.code ?? fault.status, message: fault.message ?? 'fault injected' },
        };
      } else {
        reply = isApi
          ? await api(request, path, url.searchParams, body)
          : await control(request, path, body);
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
    if (request.method === 'POST' && (path === SEND_TX || path === SEND_TX_BATCH)) {
      const answered = reply.body as { code?: unknown } | null;
      logTxRequest(context.txRequests, {
        via: 'rest',
        batch: path === SEND_TX_BATCH,
        txs: formTxs(path, request.headers['content-type'], body),
        answer: typeof answered?.code === 'number' ? answered.code : reply.status,
        time: now(),
      });
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
