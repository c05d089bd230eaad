import { z } from 'zod';

/**
 * Schemas for what ccxt hands back, validated before anything is trusted: order and fill
 * statuses strict (an unknown status fails loudly), descriptive fields lenient.
 */

const optionalNumber = z.number().finite().nullish();
const optionalString = z.string().nullish();

/** A unified ccxt market */
export const marketSchema = z.looseObject({
  id: z.string().min(1),
  symbol: z.string().min(1),
  base: z.string().min(1),
  quote: z.string().min(1),
  settle: optionalString,
  type: z.string(),
  spot: z.boolean().nullish(),
  swap: z.boolean().nullish(),
  future: z.boolean().nullish(),
  option: z.boolean().nullish(),
  active: z.boolean().nullish(),
  contract: z.boolean().nullish(),
  contractSize: optionalNumber,
  maker: optionalNumber,
  taker: optionalNumber,
  precision: z.looseObject({ price: optionalNumber, amount: optionalNumber }),
  limits: z
    .looseObject({
      amount: z.looseObject({ min: optionalNumber }).nullish(),
      cost: z.looseObject({ min: optionalNumber }).nullish(),
    })
    .nullish(),
});
export type CcxtMarket = z.infer<typeof marketSchema>;

export const ORDER_STATUSES = ['open', 'closed', 'canceled', 'expired', 'rejected'] as const;

/** A unified ccxt order (REST answer or stream update) */
export const orderSchema = z.looseObject({
  id: z.string().min(1),
  clientOrderId: optionalString,
  symbol: z.string().min(1),
  status: z.enum(ORDER_STATUSES),
  side: z.enum(['buy', 'sell']).nullish(),
  type: optionalString,
  timeInForce: optionalString,
  postOnly: z.boolean().nullish(),
  reduceOnly: z.boolean().nullish(),
  price: optionalNumber,
  triggerPrice: optionalNumber,
  amount: optionalNumber,
  filled: optionalNumber,
  average: optionalNumber,
  timestamp: optionalNumber,
  lastUpdateTimestamp: optionalNumber,
  info: z.unknown(),
});
export type CcxtOrder = z.infer<typeof orderSchema>;

/**
 * A REST answer that only acknowledges a request (Bybit and OKX answer a create, cancel or amend
 * with the ids and nothing else; the outcome arrives by push or status query)
 */
export const acknowledgementSchema = z.looseObject({
  id: z.string().min(1),
  status: z.null().optional(),
  info: z.unknown(),
});

/** A batch entry the venue refused: ccxt gives it no id (or an empty one), only the raw error */
export const rejectedEntrySchema = z.looseObject({
  id: z.union([z.literal(''), z.undefined(), z.null()]).optional(),
  status: z.literal('rejected'),
  info: z.unknown(),
});

/** A unified ccxt trade: one of our executions */
export const tradeSchema = z.looseObject({
  id: z.union([z.string().min(1), z.number()]).transform(String),
  order: z.union([z.string(), z.number()]).transform(String).nullish(),
  clientOrderId: optionalString,
  symbol: z.string().min(1),
  side: z.enum(['buy', 'sell']),
  takerOrMaker: z.enum(['taker', 'maker']).nullish(),
  amount: z.number().positive(),
  price: z.number().positive(),
  timestamp: optionalNumber,
  fee: z.looseObject({ cost: optionalNumber, currency: optionalString }).nullish(),
  info: z.unknown(),
});
export type CcxtTrade = z.infer<typeof tradeSchema>;

/** A unified ccxt balance: per-currency totals, free and used */
export const balanceSchema = z.looseObject({
  total: z.record(z.string(), optionalNumber),
  free: z.record(z.string(), optionalNumber).nullish(),
  used: z.record(z.string(), optionalNumber).nullish(),
  timestamp: optionalNumber,
});

/** One ticker of watchBidsAsks / fetchBidsAsks */
export const bidAskSchema = z.looseObject({
  symbol: z.string().min(1),
  bid: z.number().positive(),
  ask: z.number().positive(),
  bidVolume: optionalNumber,
  askVolume: optionalNumber,
  timestamp: optionalNumber,
});

/** A public trade of watchTrades */
export const publicTradeSchema = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String).nullish(),
  symbol: z.string().min(1),
  side: z.enum(['buy', 'sell']),
  amount: z.number().positive(),
  price: z.number().positive(),
  timestamp: optionalNumber,
});

/** An order book of watchOrderBook */
export const orderBookSchema = z.looseObject({
  symbol: optionalString,
  bids: z.array(z.array(z.number()).min(2)),
  asks: z.array(z.array(z.number()).min(2)),
  timestamp: optionalNumber,
});

/** What Binance order payloads carry that ccxt may not surface: the original client id */
export const rawOrderIdsSchema = z.looseObject({
  origClientOrderId: optionalString,
  clientOrderId: optionalString,
  c: optionalString,
  C: optionalString,
});

/** A unified ccxt position (fetchPositions): unsigned contracts and a side */
export const positionSchema = z.looseObject({
  symbol: z.string().min(1),
  contracts: optionalNumber,
  side: z.enum(['long', 'short']).nullish(),
  entryPrice: optionalNumber,
  timestamp: optionalNumber,
  info: z.unknown(),
});

const walletEntrySchema = z.looseObject({
  asset: z.string().min(1),
  walletBalance: z.union([z.string(), z.number()]).optional(),
  balance: z.union([z.string(), z.number()]).optional(),
});

/**
 * The raw balance answer of a Binance futures account (`info` of ccxt's balance): `assets[]` of
 * /fapi/v3/account, or the array of /fapi/v3/balance. ccxt's `total` there is the margin
 * balance (wallet plus unrealized PnL); Kestrel's balance is the wallet, PnL being the positions'.
 */
export const walletBalancesSchema = z.union([
  z.looseObject({ assets: z.array(walletEntrySchema) }),
  z.array(walletEntrySchema),
]);

/** A schema failure as one line: `path: message; path: message` */
export function problemOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}
