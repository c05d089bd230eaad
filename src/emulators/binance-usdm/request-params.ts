import { z } from 'zod';
import type { OrderType, Side, TimeInForce } from '../../core/order.ts';
import { binanceError } from './binance-errors.ts';

/** Binance's format for decimal parameters */
const DECIMAL = /^([0-9]{1,20})(\.[0-9]{1,20})?$/;
/** Binance's rule for client order ids */
const CLIENT_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;

const decimal = z.string().regex(DECIMAL);
const SIDES = ['BUY', 'SELL'] as const;
const PLAIN_TYPES = ['LIMIT', 'MARKET'] as const;
const ALGO_TYPES = [
  'STOP',
  'STOP_MARKET',
  'TAKE_PROFIT',
  'TAKE_PROFIT_MARKET',
  'TRAILING_STOP_MARKET',
] as const;
const TIMES_IN_FORCE = ['GTC', 'IOC', 'FOK', 'GTX'] as const;

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
  readonly price: number | undefined;
  readonly timeInForce: TimeInForce;
  readonly clientId: string | undefined;
  readonly reduceOnly: boolean;
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

/**
 * Validates a new order's parameters with Binance's answers for each fault: missing (-1102),
 * malformed (-1100), bad side (-1117), type (-1116) or time in force (-1115), conditional
 * types sent to the plain endpoint (-4120).
 * @throws BinanceHttpError naming the parameter
 */
export function parseNewOrder(params: Readonly<Record<string, unknown>>): NewOrderParams {
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
  let timeInForce: TimeInForce = 'IOC';
  if (type === 'LIMIT') {
    if (price === undefined) throw missing('price');
    if (raw.timeInForce === undefined) throw missing('timeInForce');
    const tif = raw.timeInForce.toUpperCase();
    if (!(TIMES_IN_FORCE as readonly string[]).includes(tif)) throw binanceError('INVALID_TIF');
    timeInForce = tif as TimeInForce;
  }
  const clientId = raw.newClientOrderId;
  if (clientId !== undefined && !CLIENT_ID.test(clientId)) {
    throw clientId.length > 36 ? binanceError('CLIENT_ID_TOO_LONG') : illegal('newClientOrderId');
  }
  return {
    symbol: raw.symbol,
    side: side as Side,
    type: type as OrderType,
    quantity,
    price: type === 'LIMIT' ? price : undefined,
    timeInForce,
    clientId,
    reduceOnly: raw.reduceOnly === 'true',
    responseType: raw.newOrderRespType?.toUpperCase() === 'ACK' ? 'ACK' : 'RESULT',
  };
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
