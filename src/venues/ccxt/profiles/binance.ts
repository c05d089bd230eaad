import type { VenueProfile } from '../profile.ts';
import { CCXT_CREDENTIALS } from '../profile.ts';
import { BINANCE_ERRORS } from './binance-errors.ts';
import { BINANCE_CLIENT_ID } from './binanceusdm.ts';

/**
 * Binance spot (`binance`). Our clientId travels as it is in `newClientOrderId`; cancels and
 * lookups name it as `origClientOrderId` (a spot cancel answer's `clientOrderId` is the cancel
 * request's own id: ours is read from `origClientOrderId`). No native batch: ccxt refuses
 * createOrders for spot, so a batch goes order by order. `myTrades` answers at most 1000 rows
 * oldest first over at most 24 hours. Spot has no positions (fetchPositions, a futures endpoint,
 * is never called, so a spot-only key reconciles). An edit is a cancel-replace that gives the
 * order a new id and client id, so amends are refused: cancel and resubmit.
 */
export const BINANCE_PROFILE: VenueProfile = {
  id: 'binance',
  label: 'Binance spot',
  checked: true,
  marketTypes: ['SPOT'],
  clientId: { field: 'newClientOrderId', codec: BINANCE_CLIENT_ID },
  clientIdParam: 'clientOrderId',
  batch: {},
  lookup: 'fetchOrder',
  openOrders: { scope: 'auto', params: {} },
  trades: { order: 'ascending', pageSize: 1000, windowMs: 86_400_000 },
  timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
  marketOrderSlippage: undefined,
  marketData: { quotes: 'bidsAsks', trades: 'forSymbols', quoteQuery: 'bidsAsks' },
  positions: [],
  hedge: undefined,
  amend: {},
  errors: BINANCE_ERRORS,
  numericIds: true,
  credentials: CCXT_CREDENTIALS,
  options: { fetchMarkets: { types: ['spot'] } },
  unchecked: [],
};
