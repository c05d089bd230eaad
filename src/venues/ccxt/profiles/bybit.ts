import type { VenueProfile } from '../profile.ts';
import { CCXT_CREDENTIALS, jsonCode } from '../profile.ts';
import { alphabetCodec } from '../wire-ids.ts';

/**
 * Bybit v5 (`bybit`): USDT/USDC linear perpetuals and spot, on a unified trading account.
 *
 * - `orderLinkId`: at most 36 of letters, digits, `-` and `_`. Generated clientIds fit as they
 *   are; a caller's id with `.`, `:` or `/` is escaped (`_` then a letter per character).
 * - Cancels and lookups name the order by `orderLinkId`. `fetchOrder` only sees the last 500
 *   orders (ccxt refuses it without `acknowledged`), so a lookup asks the open list
 *   (`/v5/order/realtime`), then the history (`/v5/order/history`), filtered to the order.
 * - `/v5/order/create-batch`: 10 orders of one category per request.
 * - `/v5/execution/list`: newest first, 100 a page, `nextPageCursor` to the next page, at most
 *   7 days between start and end.
 * - Open orders are listed per market (the venue needs a category and a symbol or settle coin),
 *   50 a page with ccxt's cursor paging.
 * - Hedge mode: `positionIdx` 1 (long leg) or 2 (short leg); reduce-only may ride along.
 * - Amend (`/v5/order/amend`) keeps the order id, on spot and linear.
 * - Errors come as `retCode` in an HTTP 200 answer.
 */
/**
 * An order request's cost on the pacing bucket (ccxt's 20 ms per unit). Bybit allows 10 a
 * second per UID on each of create, amend and cancel (the default UTA limit for futures; spot 20),
 * counted in a rolling second: 5.5 units (110 ms) keeps ten of them, after the bucket's burst,
 * over a full second. ccxt charges 2.5 for create and cancel (20 a second) and 5 for amend, and a
 * create-batch as one request where Bybit counts each of its orders: a burst of orders through
 * ccxt alone is half refused (10006).
 */
const ORDER_COST = 5.5;

const BYBIT_REQUEST_COSTS: VenueProfile['requestCosts'] = {
  private: {
    post: {
      'v5/order/create': { cost: ORDER_COST },
      'v5/order/amend': { cost: ORDER_COST },
      'v5/order/cancel': { cost: ORDER_COST },
    },
  },
};

export const BYBIT_PROFILE: VenueProfile = {
  id: 'bybit',
  label: 'Bybit v5 (linear perpetuals and spot)',
  checked: true,
  marketTypes: ['SPOT', 'SWAP'],
  clientId: {
    field: 'orderLinkId',
    codec: alphabetCodec({
      format: '1 to 36 of letters, digits, - and _',
      alphabet: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
      maxLength: 36,
      escape: '_',
    }),
  },
  clientIdParam: 'orderLinkId',
  batch: { SPOT: 10, SWAP: 10 },
  lookup: 'openThenClosed',
  openOrders: { scope: 'market', params: { paginate: true } },
  trades: {
    order: 'cursor',
    pageSize: 100,
    windowMs: 7 * 86_400_000,
    cursorField: 'nextPageCursor',
    cursorParam: 'cursor',
  },
  timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
  marketOrderSlippage: undefined,
  marketData: { quotes: 'bidsAsks', trades: 'forSymbols', quoteQuery: 'ticker' },
  positions: ['SWAP'],
  hedge: {
    params: (side) => ({ positionIdx: side === 'LONG' ? 1 : 2 }),
    reduceOnlyWithSide: true,
  },
  amend: { SPOT: 'inPlace', SWAP: 'inPlace' },
  errors: {
    codeOf: jsonCode('retCode', 'ret_code', 'code'),
    codes: {
      '10000': 'TIMEOUT',
      '10001': 'VENUE_REJECTED',
      '10002': 'VENUE_REJECTED',
      '10003': 'VENUE_REJECTED',
      '10004': 'VENUE_REJECTED',
      '10005': 'VENUE_REJECTED',
      '10006': 'RATE_LIMITED',
      '10016': 'VENUE_UNAVAILABLE',
      '10018': 'RATE_LIMITED',
      '110001': 'VENUE_REJECTED',
      '110007': 'VENUE_REJECTED',
      '110017': 'VENUE_REJECTED',
      '110072': 'VENUE_REJECTED',
      '170213': 'VENUE_REJECTED',
    },
    notFound: ['110001', '170213'],
  },
  numericIds: false,
  credentials: CCXT_CREDENTIALS,
  options: { fetchMarkets: { types: ['spot', 'linear'] } },
  requestCosts: BYBIT_REQUEST_COSTS,
  // A create-batch counts each of its orders on the endpoint's 10 a second
  requestCost: (path, params) => {
    const orders = (params as { request?: unknown } | undefined)?.request;
    return path === 'v5/order/create-batch' && Array.isArray(orders)
      ? ORDER_COST * orders.length
      : undefined;
  },
  unchecked: [],
};
