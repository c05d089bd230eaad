import { paramsError } from './errors.ts';
import type { NewOrder, OrderRef } from './exchange.ts';
import type { BybitOrderType, BybitSide, BybitTimeInForce, PositionIdx } from './orders.ts';

/**
 * Request parameters as Bybit reads them: a GET's query string or a POST's JSON body. Values
 * are strings, numbers or booleans as the client sent them; every reader below refuses a
 * value of the wrong shape with 10001 naming the field.
 */
export type Params = Readonly<Record<string, unknown>>;

const CATEGORIES = ['linear', 'inverse', 'spot', 'option'] as const;
export type Category = (typeof CATEGORIES)[number];

const DECIMAL = /^\d+(\.\d+)?$/;
const ORDER_LINK_ID = /^[A-Za-z0-9_-]{1,36}$/;

/** A text parameter; numbers are taken as their decimal text */
export function text(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw paramsError(`${name} must be a string`);
}

/** A text parameter that must be there */
export function required(params: Params, name: string): string {
  const value = text(params, name);
  if (value === undefined) throw paramsError(`${name} is required`);
  return value;
}

/** A non-negative decimal given as text (Bybit's quantities and prices) or a number */
export function decimal(params: Params, name: string): number | undefined {
  const value = text(params, name);
  if (value === undefined) return undefined;
  if (!DECIMAL.test(value)) throw paramsError(`${name} must be a non-negative decimal`);
  return Number(value);
}

/** An integer parameter within [min, max] */
export function integer(
  params: Params,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = text(params, name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^-?\d+$/.test(value) || parsed < min || parsed > max)
    throw paramsError(`${name} must be an integer in [${min}, ${max}]`);
  return parsed;
}

/** A boolean parameter: JSON true/false (or their text) */
export function flag(params: Params, name: string): boolean | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw paramsError(`${name} must be true or false`);
}

/** The product type every v5 route asks for */
export function category(params: Params): Category {
  const value = required(params, 'category');
  if (!(CATEGORIES as readonly string[]).includes(value)) throw paramsError('category invalid');
  return value as Category;
}

/** A page size within Bybit's range for the route, or its default */
export function pageLimit(params: Params, max: number, fallback: number): number {
  return integer(params, 'limit', 1, max) ?? fallback;
}

function oneOf<T extends string>(
  params: Params,
  name: string,
  values: readonly T[],
): T | undefined {
  const value = text(params, name);
  if (value === undefined) return undefined;
  if (!(values as readonly string[]).includes(value))
    throw paramsError(`${name} must be one of ${values.join(', ')}`);
  return value as T;
}

/**
 * A new order from /v5/order/create (or one entry of create-batch): Bybit's parameter rules.
 * @throws BybitError 10001 naming the field that is missing or malformed
 */
export function parseNewOrder(params: Params): NewOrder {
  const symbol = required(params, 'symbol');
  const side = oneOf<BybitSide>(params, 'side', ['Buy', 'Sell']);
  if (side === undefined) throw paramsError('side is required');
  const orderType = oneOf<BybitOrderType>(params, 'orderType', ['Market', 'Limit']);
  if (orderType === undefined) throw paramsError('orderType is required');
  const qty = decimal(params, 'qty');
  if (qty === undefined) throw paramsError('qty is required');
  const timeInForce =
    oneOf<BybitTimeInForce | 'RPI'>(params, 'timeInForce', [
      'GTC',
      'IOC',
      'FOK',
      'PostOnly',
      'RPI',
    ]) ?? 'GTC';
  if (timeInForce === 'RPI')
    throw paramsError('RPI orders are restricted to approved market makers');
  const orderLinkId = text(params, 'orderLinkId') ?? '';
  if (orderLinkId !== '' && !ORDER_LINK_ID.test(orderLinkId))
    throw paramsError('orderLinkId must be at most 36 numbers, letters, dashes and underscores');
  const positionIdx = (integer(params, 'positionIdx', 0, 2) ?? 0) as PositionIdx;
  const triggerPrice = decimal(params, 'triggerPrice');
  const direction = integer(params, 'triggerDirection', 1, 2);
  const triggerBy =
    oneOf(params, 'triggerBy', ['LastPrice', 'IndexPrice', 'MarkPrice'] as const) ?? 'LastPrice';
  for (const name of ['takeProfit', 'stopLoss', 'tpslMode', 'smpType', 'slippageToleranceType']) {
    if (text(params, name) !== undefined)
      throw paramsError(`${name} is not modelled by the emulator`);
  }
  return {
    symbol,
    side,
    orderType,
    qty,
    price: decimal(params, 'price'),
    timeInForce: orderType === 'Market' && timeInForce !== 'PostOnly' ? 'IOC' : timeInForce,
    orderLinkId,
    positionIdx,
    reduceOnly: flag(params, 'reduceOnly') ?? false,
    closeOnTrigger: flag(params, 'closeOnTrigger') ?? false,
    triggerPrice,
    triggerDirection: direction === undefined ? undefined : (direction as 1 | 2),
    triggerBy,
  };
}

/**
 * The order a cancel, amend or query names: `symbol` and `orderId` or `orderLinkId`.
 * @throws BybitError 10001 without a symbol or without either id
 */
export function parseOrderRef(params: Params): OrderRef {
  const symbol = required(params, 'symbol');
  const orderId = text(params, 'orderId');
  const orderLinkId = text(params, 'orderLinkId');
  if (orderId === undefined && orderLinkId === undefined)
    throw paramsError('orderId or orderLinkId is required');
  return { symbol, orderId, orderLinkId };
}

/** Opaque page cursors: the sequence number the next page continues below */
export function encodeCursor(seq: number): string {
  return `${seq.toString(36)}%3A${seq.toString(36)}`;
}

/**
 * The sequence number a cursor continues below.
 * @throws BybitError 10001 for a cursor the emulator never gave out
 */
export function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const match = /^([0-9a-z]+)(?:%3A|:)\1$/.exec(cursor);
  if (match === null) throw paramsError('cursor invalid');
  return Number.parseInt(match[1] ?? '', 36);
}
