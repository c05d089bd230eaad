import { z } from 'zod';
import type { OrderType, Side, TimeInForce } from '../../core/order.ts';
import type { AlgoType, WorkingType } from './algo-orders.ts';
import { ALGO_TYPES } from './algo-orders.ts';
import { binanceError } from './errors.ts';
import type { PositionSideName, PriceMatch } from './wire.ts';
import { PRICE_MATCHES } from './wire.ts';

/** Binance's format for decimal parameters */
const DECIMAL = /^([0-9]{1,20})(\.[0-9]{1,20})?$/;
/** Binance's rule for client order ids */
const CLIENT_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;

const decimal = z.string().regex(DECIMAL);
const SIDES = ['BUY', 'SELL'] as const;
const PLAIN_TYPES = ['LIMIT', 'MARKET'] as const;
const TIMES_IN_FORCE = ['GTC', 'IOC', 'FOK', 'GTX', 'GTD'] as const;
const POSITION_SIDES = ['BOTH', 'LONG', 'SHORT'] as const;
/** goodTillDate must lie beyond now + 600 s and before this (Binance's -5040) */
const MAX_GOOD_TILL_DATE = 253_402_300_799_000;
const MIN_GOOD_TILL_AHEAD_MS = 600_000;

type Params = Readonly<Record<string, unknown>>;

function text(params: Params, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * An optional integer or decimal parameter.
 * @throws BinanceHttpError -1100 when it is not a number
 */
export function optionalNumber(params: Params, name: string): number | undefined {
  const raw = text(params, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) {
    throw binanceError('ILLEGAL_CHARS', `Illegal characters found in parameter '${name}'.`);
  }
  return value;
}

/**
 * A mandatory parameter.
 * @throws BinanceHttpError -1102 naming it
 */
export function required(params: Params, name: string): string {
  const raw = text(params, name);
  if (raw === undefined) throw missing(name);
  return raw;
}

function notRequired(name: string) {
  return binanceError('PARAM_NOT_REQUIRED', `Parameter '${name}' sent when not required.`);
}

function flag(params: Params, name: string): boolean {
  return text(params, name)?.toLowerCase() === 'true';
}

/**
 * The position side of an order: BOTH (one-way) unless LONG or SHORT is sent.
 * @throws BinanceHttpError -4060 for anything else
 */
function positionSideOf(params: Params): PositionSideName | undefined {
  const raw = text(params, 'positionSide')?.toUpperCase();
  if (raw === undefined) return undefined;
  if (!(POSITION_SIDES as readonly string[]).includes(raw))
    throw binanceError('INVALID_POSITION_SIDE');
  return raw as PositionSideName;
}

function priceMatchOf(params: Params): PriceMatch {
  const raw = text(params, 'priceMatch')?.toUpperCase();
  if (raw === undefined) return 'NONE';
  if (!(PRICE_MATCHES as readonly string[]).includes(raw))
    throw binanceError('INVALID_PRICE_MATCH');
  return raw as PriceMatch;
}

/**
 * A time in force and, for GTD, its good-till date.
 * @throws BinanceHttpError -1115 invalid, -1102 GTD without goodTillDate, -5040 out of range
 */
function timeInForceOf(
  params: Params,
  fallback: TimeInForce,
  now: number,
): { readonly timeInForce: TimeInForce | 'GTD'; readonly goodTillDate: number | undefined } {
  const raw = text(params, 'timeInForce')?.toUpperCase();
  if (raw === undefined) return { timeInForce: fallback, goodTillDate: undefined };
  if (!(TIMES_IN_FORCE as readonly string[]).includes(raw)) throw binanceError('INVALID_TIF');
  if (raw !== 'GTD') return { timeInForce: raw as TimeInForce, goodTillDate: undefined };
  const goodTillDate = optionalNumber(params, 'goodTillDate');
  if (goodTillDate === undefined) throw missing('goodTillDate');
  if (goodTillDate <= now + MIN_GOOD_TILL_AHEAD_MS || goodTillDate >= MAX_GOOD_TILL_DATE)
    throw binanceError('GOOD_TILL_DATE');
  return { timeInForce: 'GTD', goodTillDate: Math.floor(goodTillDate) };
}

/** A new order's parameters as they arrive: strings, lenient on what the emulator ignores */
const newOrderSchema = z.looseObject({
  symbol: z.string().min(1),
  side: z.string().min(1),
  type: z.string().min(1),
  quantity: z.string().optional(),
  price: z.string().optional(),
  timeInForce: z.string().optional(),
  newClientOrderId: z.string().optional(),
  reduceOnly: z.string().optional(),
  newOrderRespType: z.string().optional(),
});

/** A new order, validated, as the sim takes it */
export interface NewOrderParams {
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: number;
  /** Undefined for MARKET, and for a LIMIT whose price comes from `priceMatch` */
  readonly price: number | undefined;
  /** GTD is held by the sim as GTC, with `goodTillDate` */
  readonly timeInForce: TimeInForce | 'GTD';
  readonly goodTillDate: number | undefined;
  readonly priceMatch: PriceMatch;
  readonly clientId: string | undefined;
  readonly reduceOnly: boolean;
  /** Whether `reduceOnly` was sent at all (hedge mode refuses it) */
  readonly reduceOnlySent: boolean;
  /** Undefined when not sent (one-way mode's BOTH) */
  readonly positionSide: PositionSideName | undefined;
  readonly responseType: 'ACK' | 'RESULT';
}

function missing(name: string) {
  return binanceError(
    'MANDATORY_PARAM',
    `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`,
  );
}

function illegal(name: string) {
  return binanceError(
    'ILLEGAL_CHARS',
    `Illegal characters found in parameter '${name}'; legal range is '${name === 'newClientOrderId' ? CLIENT_ID.source : DECIMAL.source}'.`,
  );
}

function number(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!decimal.safeParse(raw).success) throw illegal(name);
  return Number(raw);
}

function clientIdOf(raw: string | undefined, name: string): string | undefined {
  if (raw !== undefined && !CLIENT_ID.test(raw)) {
    throw raw.length > 36 ? binanceError('CLIENT_ID_TOO_LONG') : illegal(name);
  }
  return raw;
}

/**
 * Validates a new order's parameters with Binance's answers for each fault: missing (-1102),
 * malformed (-1100), bad side (-1117), type (-1116) or time in force (-1115), conditional
 * types sent to the plain endpoint (-4120), a bad position side (-4060), GTD without or with an
 * out-of-range goodTillDate (-1102, -5040), priceMatch invalid (-5037), sent with a price
 * (-1106) or on an order type other than LIMIT (-5038).
 * @throws BinanceHttpError naming the parameter
 */
export function parseNewOrder(
  params: Readonly<Record<string, unknown>>,
  now: number,
): NewOrderParams {
  const parsed = newOrderSchema.safeParse(params);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? 'symbol');
    throw missing(field);
  }
  const raw = parsed.data;
  const side = raw.side.toUpperCase();
  if (!(SIDES as readonly string[]).includes(side)) throw binanceError('INVALID_SIDE');
  const type = raw.type.toUpperCase();
  if ((ALGO_TYPES as readonly string[]).includes(type)) throw binanceError('ALGO_ORDER_TYPE');
  if (!(PLAIN_TYPES as readonly string[]).includes(type)) throw binanceError('INVALID_ORDER_TYPE');
  const quantity = number('quantity', raw.quantity);
  if (quantity === undefined) throw missing('quantity');
  const price = number('price', raw.price);
  const priceMatch = priceMatchOf(params);
  if (priceMatch !== 'NONE' && type !== 'LIMIT') throw binanceError('PRICE_MATCH_ORDER_TYPE');
  if (priceMatch !== 'NONE' && price !== undefined) throw notRequired('price');
  let timing: ReturnType<typeof timeInForceOf> = { timeInForce: 'IOC', goodTillDate: undefined };
  if (type === 'LIMIT') {
    if (price === undefined && priceMatch === 'NONE') throw missing('price');
    if (raw.timeInForce === undefined) throw missing('timeInForce');
    timing = timeInForceOf(params, 'GTC', now);
  }
  return {
    symbol: raw.symbol,
    side: side as Side,
    type: type as OrderType,
    quantity,
    price: type === 'LIMIT' ? price : undefined,
    timeInForce: timing.timeInForce,
    goodTillDate: timing.goodTillDate,
    priceMatch,
    clientId: clientIdOf(raw.newClientOrderId, 'newClientOrderId'),
    reduceOnly: raw.reduceOnly?.toLowerCase() === 'true',
    reduceOnlySent: raw.reduceOnly !== undefined,
    positionSide: positionSideOf(params),
    responseType: raw.newOrderRespType?.toUpperCase() === 'ACK' ? 'ACK' : 'RESULT',
  };
}

/** A new algo (conditional) order, validated */
export interface AlgoOrderParams {
  readonly symbol: string;
  readonly side: Side;
  readonly type: AlgoType;
  /** 0 with closePosition */
  readonly quantity: number;
  readonly price: number | undefined;
  readonly triggerPrice: number | undefined;
  readonly timeInForce: TimeInForce | 'GTD';
  readonly goodTillDate: number | undefined;
  readonly workingType: WorkingType;
  readonly priceMatch: PriceMatch;
  readonly priceProtect: boolean;
  readonly reduceOnly: boolean;
  readonly reduceOnlySent: boolean;
  readonly closePosition: boolean;
  readonly positionSide: PositionSideName | undefined;
  readonly activatePrice: number | undefined;
  readonly callbackRate: number | undefined;
  readonly clientAlgoId: string | undefined;
}

/** Binance's bounds of a trailing stop's callback rate, in percent (20 since 2026-10-23) */
const CALLBACK_RATE = { min: 0.1, max: 20 } as const;

/**
 * Validates POST /fapi/v1/algoOrder as Binance's New Algo Order documents it: algoType
 * CONDITIONAL, a conditional type, triggerPrice (callbackRate for a trailing stop), quantity
 * unless closePosition (which takes no quantity, -4137, and no reduceOnly, -4138), a price for
 * STOP and TAKE_PROFIT unless priceMatch, workingType CONTRACT_PRICE or MARK_PRICE (-4031).
 * @throws BinanceHttpError naming the parameter
 */
export function parseAlgoOrder(
  params: Readonly<Record<string, unknown>>,
  now: number,
): AlgoOrderParams {
  const symbol = required(params, 'symbol');
  const algoType = required(params, 'algoType');
  if (algoType.toUpperCase() !== 'CONDITIONAL') {
    throw binanceError('INVALID_PARAMETER', "Data sent for parameter 'algoType' is not valid.");
  }
  const side = required(params, 'side').toUpperCase();
  if (!(SIDES as readonly string[]).includes(side)) throw binanceError('INVALID_SIDE');
  const type = required(params, 'type').toUpperCase();
  if (!(ALGO_TYPES as readonly string[]).includes(type)) throw binanceError('INVALID_ORDER_TYPE');
  const closePosition = flag(params, 'closePosition');
  const reduceOnly = flag(params, 'reduceOnly');
  let quantity = number('quantity', text(params, 'quantity'));
  if (closePosition) {
    if (type !== 'STOP_MARKET' && type !== 'TAKE_PROFIT_MARKET') throw notRequired('closePosition');
    if (quantity !== undefined) throw binanceError('QUANTITY_WITH_CLOSE_POSITION');
    if (reduceOnly) throw binanceError('REDUCE_ONLY_WITH_CLOSE_POSITION');
    quantity = 0;
  }
  if (quantity === undefined) throw missing('quantity');
  const priceMatch = priceMatchOf(params);
  const limit = type === 'STOP' || type === 'TAKE_PROFIT';
  if (priceMatch !== 'NONE' && !limit) throw binanceError('PRICE_MATCH_ORDER_TYPE');
  const price = number('price', text(params, 'price'));
  if (priceMatch !== 'NONE' && price !== undefined) throw notRequired('price');
  if (limit && price === undefined && priceMatch === 'NONE') throw missing('price');
  const trailing = type === 'TRAILING_STOP_MARKET';
  const triggerPrice = number('triggerPrice', text(params, 'triggerPrice'));
  if (!trailing && triggerPrice === undefined) throw missing('triggerPrice');
  const callbackRate = number('callbackRate', text(params, 'callbackRate'));
  if (trailing) {
    if (callbackRate === undefined) throw missing('callbackRate');
    if (callbackRate < CALLBACK_RATE.min || callbackRate > CALLBACK_RATE.max) {
      throw binanceError(
        'INVALID_PARAMETER',
        "Data sent for parameter 'callbackRate' is not valid.",
      );
    }
  }
  const workingType = (text(params, 'workingType') ?? 'CONTRACT_PRICE').toUpperCase();
  if (workingType !== 'CONTRACT_PRICE' && workingType !== 'MARK_PRICE')
    throw binanceError('INVALID_WORKING_TYPE');
  const timing = timeInForceOf(params, 'GTC', now);
  return {
    symbol,
    side: side as Side,
    type: type as AlgoType,
    quantity,
    price: limit ? price : undefined,
    triggerPrice: trailing ? undefined : triggerPrice,
    timeInForce: timing.timeInForce,
    goodTillDate: timing.goodTillDate,
    workingType,
    priceMatch,
    priceProtect: flag(params, 'priceProtect'),
    reduceOnly,
    reduceOnlySent: text(params, 'reduceOnly') !== undefined,
    closePosition,
    positionSide: positionSideOf(params),
    activatePrice: trailing ? number('activatePrice', text(params, 'activatePrice')) : undefined,
    callbackRate: trailing ? callbackRate : undefined,
    clientAlgoId: clientIdOf(text(params, 'clientAlgoId'), 'clientAlgoId'),
  };
}

/** Names an algo order by `algoId` or `clientAlgoId` */
export interface AlgoRefParams {
  readonly algoId: number | undefined;
  readonly clientAlgoId: string | undefined;
}

/**
 * Validates the parameters naming one algo order.
 * @throws BinanceHttpError -1102 when neither algoId nor clientAlgoId is sent
 */
export function parseAlgoRef(params: Readonly<Record<string, unknown>>): AlgoRefParams {
  const algoId = optionalNumber(params, 'algoId');
  const clientAlgoId = text(params, 'clientAlgoId');
  if (algoId === undefined && clientAlgoId === undefined) {
    throw binanceError(
      'MANDATORY_PARAM',
      "Param 'clientAlgoId' or 'algoId' must be sent, but both were empty/null!",
    );
  }
  return { algoId, clientAlgoId };
}

/**
 * The ids of a batch cancel: `orderIdList` (ccxt sends `orderidlist`) or `origClientOrderIdList`,
 * JSON arrays of at most 10.
 * @throws BinanceHttpError -1102 when neither is sent or one is not a JSON array, -4082 beyond 10
 */
export function parseIdLists(params: Readonly<Record<string, unknown>>): {
  readonly orderIds: readonly string[];
  readonly clientIds: readonly string[];
} {
  const byName = (wanted: string) => {
    for (const [key, value] of Object.entries(params))
      if (key.toLowerCase() === wanted && typeof value === 'string') return value;
    return undefined;
  };
  const list = (raw: string | undefined, name: string): string[] => {
    if (raw === undefined) return [];
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw missing(name);
    }
    if (!Array.isArray(json)) throw missing(name);
    return json.map(String);
  };
  const orderIds = list(byName('orderidlist'), 'orderIdList');
  const clientIds = list(byName('origclientorderidlist'), 'origClientOrderIdList');
  if (orderIds.length === 0 && clientIds.length === 0) {
    throw binanceError(
      'MANDATORY_PARAM',
      "Param 'origClientOrderIdList' or 'orderIdList' must be sent, but both were empty/null!",
    );
  }
  if (orderIds.length + clientIds.length > 10) throw binanceError('BATCH_SIZE');
  return { orderIds, clientIds };
}

const orderRefSchema = z.looseObject({
  symbol: z.string().min(1),
  orderId: z
    .string()
    .regex(/^[0-9]{1,20}$/)
    .optional(),
  origClientOrderId: z.string().min(1).optional(),
});

/** Names an order by the venue's id or the client's; at least one is required */
export interface OrderRefParams {
  readonly symbol: string;
  readonly orderId: string | undefined;
  readonly clientId: string | undefined;
}

/**
 * Validates the parameters naming one order (query, cancel, modify).
 * @throws BinanceHttpError -1102 when neither orderId nor origClientOrderId is sent
 */
export function parseOrderRef(params: Readonly<Record<string, unknown>>): OrderRefParams {
  const parsed = orderRefSchema.safeParse(params);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? 'symbol');
    throw field === 'orderId' ? illegal('orderId') : missing(field);
  }
  const { symbol, orderId, origClientOrderId } = parsed.data;
  if (orderId === undefined && origClientOrderId === undefined) {
    throw binanceError(
      'MANDATORY_PARAM',
      "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
    );
  }
  return { symbol, orderId, clientId: origClientOrderId };
}

/** The optional decimals of a modify: Binance wants both, ccxt sends both */
export function parseAmendment(params: Readonly<Record<string, unknown>>): {
  readonly quantity: number | undefined;
  readonly price: number | undefined;
} {
  const quantity = number(
    'quantity',
    typeof params['quantity'] === 'string' ? params['quantity'] : undefined,
  );
  const price = number('price', typeof params['price'] === 'string' ? params['price'] : undefined);
  if (quantity === undefined) throw missing('quantity');
  if (price === undefined) throw missing('price');
  return { quantity, price };
}

const batchSchema = z
  .array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])))
  .min(1);

/**
 * Parses `batchOrders`: a JSON array of 1 to 5 order parameter objects.
 * @throws BinanceHttpError -1102 when absent or not a JSON array, -4082 for more than 5
 */
export function parseBatch(raw: unknown): Record<string, string>[] {
  if (typeof raw !== 'string') throw missing('batchOrders');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw missing('batchOrders');
  }
  const parsed = batchSchema.safeParse(json);
  if (!parsed.success) throw missing('batchOrders');
  if (parsed.data.length > 5) throw binanceError('BATCH_SIZE');
  return parsed.data.map((entry) =>
    Object.fromEntries(Object.entries(entry).map(([k, v]) => [k, String(v)])),
  );
}
