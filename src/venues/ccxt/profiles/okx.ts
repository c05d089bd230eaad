import type { VenueProfile } from '../profile.ts';
import { CCXT_CREDENTIALS, jsonCode } from '../profile.ts';
import { alphabetCodec } from '../wire-ids.ts';

const LETTERS_AND_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * OKX v5 (`okx`): USDT swaps and spot; sizes of swaps are in contracts.
 *
 * - `clOrdId`: 1 to 32 letters and digits. A clientId with anything else (every generated one
 *   has a `-`) is escaped: `Z`, then `Z` + a letter for each other character (`kab12-7f` →
 *   `ZkabZd7f`... registered as the order's correlation key); too long escaped, it is packed
 *   (`Y` + the clientId as a base-62 number, 30 characters at most for a generated id).
 * - Cancels, lookups and amends name the order by `clOrdId`; an amend keeps the order id.
 * - `/trade/batch-orders`: 20 orders a request, each answered with its own `sCode`.
 * - `/trade/fills-history`: newest first, 100 a page, the next page older than the oldest
 *   row's `billId` (`after`), three months back.
 * - Hedge (long/short) mode: `posSide` long or short on swaps, never with `reduceOnly` (which is
 *   for net mode only).
 * - Errors: `code` 1 with each order's `sCode`, or a top-level `code`.
 */
/**
 * OKX counts every order of a batch on the batch endpoints' limit, 300 orders per 2 seconds
 * (per instrument), where ccxt charges a batch request 1/15 of its 110 ms however many orders
 * it carries: 400 orders as 20 batches would go out in 150 ms and the later ones be refused
 * (50011). Charged per order instead: 2 s / 300, 5 % over, in ccxt's units.
 */
const BATCH_PATHS = new Set([
  'trade/batch-orders',
  'trade/cancel-batch-orders',
  'trade/amend-batch-orders',
]);
const OKX_BATCH_ORDER_COST = (2000 / 300 / 110) * 1.05;

export const OKX_PROFILE: VenueProfile = {
  id: 'okx',
  label: 'OKX v5 (swaps and spot)',
  checked: true,
  marketTypes: ['SPOT', 'SWAP'],
  clientId: {
    field: 'clOrdId',
    codec: alphabetCodec({
      format: '1 to 32 letters and digits',
      alphabet: LETTERS_AND_DIGITS,
      maxLength: 32,
      escape: 'Z',
      packed: 'Y',
    }),
  },
  clientIdParam: 'clOrdId',
  batch: { SPOT: 20, SWAP: 20 },
  lookup: 'fetchOrder',
  openOrders: { scope: 'auto', params: {} },
  trades: {
    order: 'descending',
    pageSize: 100,
    windowMs: undefined,
    cursorField: 'billId',
    cursorParam: 'after',
  },
  timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
  marketOrderSlippage: undefined,
  marketData: { quotes: 'bidsAsks', trades: 'forSymbols', quoteQuery: 'ticker' },
  positions: ['SWAP'],
  hedge: {
    params: (side) => ({ posSide: side === 'LONG' ? 'long' : 'short' }),
    reduceOnlyWithSide: false,
  },
  amend: { SPOT: 'inPlace', SWAP: 'inPlace' },
  errors: {
    codeOf: jsonCode('sCode', 'code'),
    codes: {
      '50001': 'VENUE_UNAVAILABLE',
      '50004': 'TIMEOUT',
      '50011': 'RATE_LIMITED',
      '50013': 'VENUE_UNAVAILABLE',
      '50026': 'UNKNOWN',
      '50061': 'RATE_LIMITED',
      '51000': 'VENUE_REJECTED',
      '51006': 'VENUE_REJECTED',
      '51008': 'VENUE_REJECTED',
      '51016': 'VENUE_REJECTED',
      '51020': 'VENUE_REJECTED',
      '51400': 'VENUE_REJECTED',
      '51603': 'VENUE_REJECTED',
    },
    notFound: ['51603'],
  },
  numericIds: true,
  credentials: CCXT_CREDENTIALS,
  options: { fetchMarkets: { types: ['spot', 'swap'] } },
  requestCost: (path, params) =>
    BATCH_PATHS.has(path) && Array.isArray(params)
      ? OKX_BATCH_ORDER_COST * params.length
      : undefined,
  unchecked: [],
};
