import type { VenueProfile } from '../profile.ts';
import { messageCode } from '../profile.ts';
import { hyperliquidCloidCodec } from '../wire-ids.ts';

/**
 * Hyperliquid perpetuals (`hyperliquid`). The account is a wallet: Kestrel's apiKey is the wallet
 * (or API wallet) address and its secret the private key that signs each action.
 *
 * - `cloid`: `0x` and 32 hex digits. A generated clientId packs into it (byte 0x4b, the counter
 *   and the head), any other clientId of at most 15 characters travels literally (byte 0x4c);
 *   nothing else fits, and is refused before it is tracked.
 * - Cancels (`cancelByCloid`) and lookups (`orderStatus`) name the order by cloid.
 * - No native batch: ccxt turns the first refused order of a batch into a failure of the whole
 *   batch although the others were placed, so orders go one by one, each with its own verdict.
 * - Market orders are IOC limits bounded by a price: the latest quote's touch and 5 % slippage.
 * - No bids/asks stream, no multi-market book or trades stream: one order book and one trades
 *   stream per market, quotes from the top of the book.
 * - `userFillsByTime` answers every market's fills, oldest first, 2000 at most per answer.
 * - An amend (`batchModify`) gives the order a new order id; the venue-id index follows.
 * - Positions are one-way. Errors come in words, read into codes here.
 * - ccxt's referrer and builder-fee approval are switched off: no action Kestrel did not ask for
 *   touches the account (ccxt's builder code rides along at a fee of 0).
 */
export const HYPERLIQUID_PROFILE: VenueProfile = {
  id: 'hyperliquid',
  label: 'Hyperliquid perpetuals',
  checked: true,
  marketTypes: ['SWAP'],
  clientId: { field: 'cloid', codec: hyperliquidCloidCodec() },
  clientIdParam: 'clientOrderId',
  batch: {},
  lookup: 'fetchOrder',
  openOrders: { scope: 'account', params: {} },
  trades: { order: 'ascending', pageSize: 2000, windowMs: undefined, allMarkets: true },
  timeInForce: ['GTC', 'IOC', 'GTX'],
  marketOrderSlippage: 0.05,
  marketData: { quotes: 'orderBookPerSymbol', trades: 'perSymbol', quoteQuery: 'orderBook' },
  positions: ['SWAP'],
  hedge: undefined,
  amend: { SWAP: 'newId' },
  errors: {
    codeOf: messageCode({
      'Insufficient margin to place order': 'INSUFFICIENT_MARGIN',
      'Post only order would have immediately matched': 'POST_ONLY_WOULD_CROSS',
      'Order could not immediately match': 'IOC_NOT_FILLED',
      'Reduce only order would increase position': 'REDUCE_ONLY_REFUSED',
      'Price must be divisible by tick size': 'INVALID_PRICE',
      'Order must have minimum value': 'NOTIONAL_BELOW_MIN',
      'Order has invalid size': 'INVALID_SIZE',
      'Order price cannot be more than 80% away': 'PRICE_OUT_OF_BAND',
      'Order was never placed, already canceled, or filled': 'ORDER_NOT_FOUND',
      unknownOid: 'ORDER_NOT_FOUND',
      'Too many cumulative requests sent': 'RATE_LIMITED',
    }),
    codes: {
      INSUFFICIENT_MARGIN: 'VENUE_REJECTED',
      POST_ONLY_WOULD_CROSS: 'VENUE_REJECTED',
      IOC_NOT_FILLED: 'VENUE_REJECTED',
      REDUCE_ONLY_REFUSED: 'VENUE_REJECTED',
      INVALID_PRICE: 'VENUE_REJECTED',
      NOTIONAL_BELOW_MIN: 'VENUE_REJECTED',
      INVALID_SIZE: 'VENUE_REJECTED',
      PRICE_OUT_OF_BAND: 'VENUE_REJECTED',
      ORDER_NOT_FOUND: 'VENUE_REJECTED',
      RATE_LIMITED: 'RATE_LIMITED',
    },
    notFound: ['ORDER_NOT_FOUND'],
  },
  numericIds: true,
  credentials: { apiKey: 'walletAddress', secret: 'privateKey', password: 'password' },
  options: {
    fetchMarkets: { types: ['swap'] },
    refSet: true,
    builderFee: false,
    approvedBuilderFee: true,
  },
  unchecked: [],
};
