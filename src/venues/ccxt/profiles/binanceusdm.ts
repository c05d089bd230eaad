import type { ConditionalStage, VenueProfile } from '../profile.ts';
import { CCXT_CREDENTIALS } from '../profile.ts';
import { verbatimCodec } from '../wire-ids.ts';
import { BINANCE_ERRORS } from './binance-errors.ts';

/** Binance's client-id rule, spot and futures: `^[\.A-Z\:/a-z0-9_-]{1,36}$` */
export const BINANCE_CLIENT_ID = verbatimCodec(
  '1 to 36 of letters, digits and . : / _ -',
  /^[.A-Z:/a-z0-9_-]{1,36}$/,
);

/**
 * An order's cost on the pacing bucket (ccxt's 50 ms per unit): the account's order-rate limits
 * allow 1 200 orders a minute and 300 per 10 seconds ("Rate Limits on Binance Futures",
 * exchangeInfo's ORDERS limits), so 50 ms per order; 5 % more keeps a full minute of orders,
 * with the bucket's burst of two, under 1 200 in any of the venue's fixed windows. ccxt charges 4
 * (200 ms, 300 orders a minute: a quarter of what the venue allows).
 */
const ORDER_COST = 1.05;

/**
 * A batch (at most 5 orders) counts 5 on the 10-second limit and 1 on the minute limit: 300 per
 * 10 s allows one every 167 ms, 3.5 units (175 ms); ccxt charges 5.
 */
const BATCH_ORDER_COST = 3.5;

/**
 * Where ccxt 4.5.84's cost table prices a USDⓈ-M endpoint away from what Binance's docs count
 * (developers.binance.com/docs/derivatives/usds-margined-futures, "Request Weight"): ccxt
 * charges 1 for the v2/v3 account, balance and positionRisk reads (fetchBalance and
 * fetchPositions use v3) where the docs say 5, nothing for premiumIndex or v2 ticker/price
 * without a symbol (10 and 2), and for depth and klines sent without a `limit` the cost of the
 * smallest one, where the venue weighs its default limit of 500 (10 and 5). Orders weigh 0 on the
 * IP limit; they are paced by the account's order-rate limits instead (ORDER_COST).
 */
const BINANCEUSDM_REQUEST_COSTS: VenueProfile['requestCosts'] = {
  fapiPublic: {
    get: {
      depth: { cost: 10 },
      klines: { cost: 5 },
      premiumIndex: { cost: 1, noSymbol: 10 },
    },
  },
  fapiPublicV2: { get: { 'ticker/price': { cost: 1, noSymbol: 2 } } },
  fapiPrivate: {
    post: {
      order: { cost: ORDER_COST },
      batchOrders: { cost: BATCH_ORDER_COST },
      algoOrder: { cost: ORDER_COST },
    },
    put: { order: { cost: ORDER_COST } },
  },
  fapiPrivateV2: {
    get: { account: { cost: 5 }, balance: { cost: 5 }, positionRisk: { cost: 5 } },
  },
  fapiPrivateV3: {
    get: { account: { cost: 5 }, balance: { cost: 5 }, positionRisk: { cost: 5 } },
  },
};

/**
 * Binance USDⓈ-M futures (`binanceusdm`), one-way or hedge mode. Our clientId travels as it is
 * in `newClientOrderId`; cancels and lookups name it as `origClientOrderId`; createOrders is
 * `POST /fapi/v1/batchOrders` with at most 5 orders; `userTrades` answers at most 1000 rows
 * oldest first from `startTime`, over at most 7 days; an amend (`PUT /fapi/v1/order`) keeps the
 * order id; in hedge mode every order carries `positionSide` and never `reduceOnly` (-1106).
 * Stop orders go to the Algo Service (`POST /fapi/v1/algoOrder`, ccxt 4.5.84 sends them there
 * when a `triggerPrice` rides along): the algo order has its own id (`algoId`) and our client id
 * as `clientAlgoId`; when it triggers, the venue places an ordinary order under a new order id
 * and the same client id, and the algo order ends TRIGGERED, then FINISHED.
 */
export const BINANCEUSDM_PROFILE: VenueProfile = {
  id: 'binanceusdm',
  label: 'Binance USDⓈ-M futures',
  checked: true,
  marketTypes: ['SWAP', 'FUTURE'],
  clientId: { field: 'newClientOrderId', codec: BINANCE_CLIENT_ID },
  clientIdParam: 'clientOrderId',
  batch: { SWAP: 5, FUTURE: 5 },
  lookup: 'fetchOrder',
  openOrders: { scope: 'auto', params: {} },
  trades: { order: 'ascending', pageSize: 1000, windowMs: 7 * 86_400_000 },
  timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
  marketOrderSlippage: undefined,
  marketData: { quotes: 'bidsAsks', trades: 'forSymbols', quoteQuery: 'bidsAsks' },
  positions: ['SWAP', 'FUTURE'],
  hedge: {
    params: (side) => ({ positionSide: side }),
    reduceOnlyWithSide: false,
  },
  amend: { SWAP: 'inPlace', FUTURE: 'inPlace' },
  stops: {
    marketTypes: ['SWAP'],
    params: { trigger: true },
    stageOf: algoStage,
  },
  errors: BINANCE_ERRORS,
  numericIds: true,
  credentials: CCXT_CREDENTIALS,
  options: {},
  requestCosts: BINANCEUSDM_REQUEST_COSTS,
  unchecked: [],
};

/**
 * The stage of a Binance algo order from its raw payload: REST answers carry `algoId` and
 * `algoStatus`, ALGO_UPDATE pushes `aid` and `X`; TRIGGERED and FINISHED mean the order it
 * placed carries on. Undefined for an ordinary order.
 */
function algoStage(info: unknown): ConditionalStage | undefined {
  if (typeof info !== 'object' || info === null) return undefined;
  const raw = info as Record<string, unknown>;
  if (raw['algoId'] === undefined && raw['aid'] === undefined) return undefined;
  const status = String(raw['algoStatus'] ?? raw['X'] ?? '');
  return status === 'TRIGGERED' || status === 'FINISHED' ? 'triggered' : 'conditional';
}
