import { describe, invalidField, KestrelError } from './errors.ts';
import type { ClientOrderId } from './ids.ts';
import type { Instrument } from './instrument.ts';
import { roundPricePassive, roundSizeDown, snapPrice } from './instrument.ts';
import { formatDecimal } from './numeric.ts';
import type { OrderRequest, OrderType, PositionSide, Side, TimeInForce } from './order.ts';
import { ORDER_TYPES, POSITION_SIDES, SIDES, TIMES_IN_FORCE } from './order.ts';

/** What a caller asks for, before rounding and validation */
export interface OrderSpec {
  readonly clientId: ClientOrderId;
  readonly instrument: Instrument;
  readonly side: Side;
  /** Unsigned; rounded down to the lot */
  readonly quantity: number;
  readonly orderType: OrderType;
  readonly price?: number | undefined;
  readonly stopPrice?: number | undefined;
  readonly timeInForce: TimeInForce;
  readonly reduceOnly?: boolean | undefined;
  /** The leg it opens or closes on a hedge-mode account */
  readonly positionSide?: PositionSide | undefined;
  readonly options?: Readonly<Record<string, unknown>> | undefined;
  /** A price to value a MARKET order for the minimum-notional check (the mid, say) */
  readonly referencePrice?: number | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function oneOf<T extends string>(field: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    throw invalidField('INVALID_ARGUMENT', field, value, `must be one of ${allowed.join(', ')}`);
  }
  return value;
}

function positivePrice(field: string, value: number | undefined): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidField('INVALID_PRICE', field, value, 'must be a positive finite number');
  }
  return value;
}

/**
 * The price or stop price an order type takes: required and positive where the type uses it,
 * absent where it does not
 */
function givenPrice(
  field: 'price' | 'stopPrice',
  value: number | undefined,
  used: boolean,
  orderType: OrderType,
  missing: 'PRICE_REQUIRED' | 'STOP_PRICE_REQUIRED',
): number | undefined {
  if (!used) {
    if (value !== undefined) {
      throw invalidField(
        'INVALID_ARGUMENT',
        field,
        value,
        `must be absent for a ${orderType} order`,
      );
    }
    return undefined;
  }
  if (value === undefined) {
    throw invalidField(missing, field, value, `is required for a ${orderType} order`);
  }
  return positivePrice(field, value);
}

/** A number too large for its step (1e308 on a 0.01 tick) snaps to Infinity: refused, never sent */
function finiteAfterSnap(
  code: 'INVALID_PRICE' | 'INVALID_QUANTITY',
  field: string,
  given: number,
  snapped: number,
): number {
  if (!Number.isFinite(snapped)) {
    throw invalidField(
      code,
      field,
      given,
      `is too large: it snaps to ${snapped} on the instrument's step`,
    );
  }
  return snapped;
}

/**
 * Turns a spec into an order request: rounds the size down to the lot and the limit price to
 * the passive side of the tick, then checks the venue's minimums. Pure: it neither tracks nor
 * sends anything, so a refusal leaves no trace.
 * @throws KestrelError a local refusal (INVALID_QUANTITY, SIZE_BELOW_MIN, NOTIONAL_BELOW_MIN,
 *   PRICE_REQUIRED, STOP_PRICE_REQUIRED, INVALID_PRICE, INVALID_ARGUMENT) naming the field and value
 */
export function createOrderRequest(spec: OrderSpec): OrderRequest {
  const instrument = spec.instrument;
  if (instrument === undefined || instrument === null) {
    throw invalidField('UNKNOWN_INSTRUMENT', 'instrument', instrument, 'is required');
  }
  const side = oneOf('side', spec.side, SIDES);
  const orderType = oneOf('orderType', spec.orderType, ORDER_TYPES);
  const timeInForce = oneOf('timeInForce', spec.timeInForce, TIMES_IN_FORCE);

  if (typeof spec.quantity !== 'number' || !Number.isFinite(spec.quantity) || spec.quantity <= 0) {
    throw invalidField(
      'INVALID_QUANTITY',
      'quantity',
      spec.quantity,
      'must be a positive finite number',
    );
  }
  const quantity = finiteAfterSnap(
    'INVALID_QUANTITY',
    'quantity',
    spec.quantity,
    roundSizeDown(instrument, spec.quantity),
  );
  if (quantity <= 0 || quantity < instrument.minSize) {
    throw new KestrelError(
      'SIZE_BELOW_MIN',
      `quantity ${describe(spec.quantity)} rounds to ${formatDecimal(quantity, instrument.sizeDecimals)} on lot ${formatDecimal(instrument.lotSize)}, below the minimum size ${formatDecimal(instrument.minSize)} of ${instrument.symbol}`,
      { field: 'quantity', value: spec.quantity },
    );
  }

  const hasLimit = orderType === 'LIMIT' || orderType === 'STOP_LIMIT';
  const hasStop = orderType === 'STOP_MARKET' || orderType === 'STOP_LIMIT';
  const limit = givenPrice('price', spec.price, hasLimit, orderType, 'PRICE_REQUIRED');
  let price: number | undefined;
  if (limit !== undefined) {
    price = finiteAfterSnap(
      'INVALID_PRICE',
      'price',
      limit,
      roundPricePassive(instrument, limit, side),
    );
    if (price <= 0) {
      throw invalidField(
        'INVALID_PRICE',
        'price',
        limit,
        `rounds to zero on tick ${formatDecimal(instrument.tickSize)}`,
      );
    }
  }
  const stop = givenPrice('stopPrice', spec.stopPrice, hasStop, orderType, 'STOP_PRICE_REQUIRED');
  const stopPrice =
    stop === undefined
      ? undefined
      : finiteAfterSnap('INVALID_PRICE', 'stopPrice', stop, snapPrice(instrument, stop));
  if (timeInForce === 'GTX' && orderType !== 'LIMIT') {
    throw invalidField(
      'INVALID_ARGUMENT',
      'timeInForce',
      timeInForce,
      `post-only (GTX) needs a LIMIT order, not ${orderType}`,
    );
  }

  const reduceOnly = spec.reduceOnly === true;
  const positionSide =
    spec.positionSide === undefined
      ? undefined
      : oneOf('positionSide', spec.positionSide, POSITION_SIDES);
  // A buy opens the long leg and a sell the short one: neither can be reduce-only
  if (positionSide !== undefined && reduceOnly && (side === 'BUY') === (positionSide === 'LONG')) {
    throw invalidField(
      'INVALID_ARGUMENT',
      'positionSide',
      positionSide,
      `contradicts a reduce-only ${side}: a ${side} opens the ${positionSide} leg, it cannot reduce it`,
    );
  }
  // Venues exempt reduce-only orders from the minimum notional, so closing dust stays possible
  const valuation = price ?? stopPrice ?? spec.referencePrice;
  if (!reduceOnly && instrument.minNotional > 0 && valuation !== undefined) {
    const notional = quantity * valuation * instrument.contractSize;
    if (notional < instrument.minNotional) {
      throw new KestrelError(
        'NOTIONAL_BELOW_MIN',
        `notional ${formatDecimal(notional)} (quantity ${formatDecimal(quantity, instrument.sizeDecimals)} × price ${formatDecimal(valuation)}) is below the minimum ${formatDecimal(instrument.minNotional)} of ${instrument.symbol}`,
        { field: 'quantity', value: spec.quantity },
      );
    }
  }

  // Built field by field, not with spreads of throwaway objects (this runs for every order);
  // the optional fields are absent, not undefined, as before
  const options = spec.options === undefined ? {} : { ...spec.options };
  if (price !== undefined && stopPrice === undefined && positionSide === undefined) {
    // A plain limit order, most orders: made whole in one literal (the same keys in the same
    // order), so no property is added later, which would give it a second properties store
    return {
      clientId: spec.clientId,
      instrument,
      side,
      quantity,
      orderType,
      timeInForce,
      reduceOnly,
      options,
      price,
    };
  }
  const request: Mutable<OrderRequest> = {
    clientId: spec.clientId,
    instrument,
    side,
    quantity,
    orderType,
    timeInForce,
    reduceOnly,
    options,
  };
  if (price !== undefined) request.price = price;
  if (stopPrice !== undefined) request.stopPrice = stopPrice;
  if (positionSide !== undefined) request.positionSide = positionSide;
  return request;
}
