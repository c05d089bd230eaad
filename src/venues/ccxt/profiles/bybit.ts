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
  unchecked: [],
};
