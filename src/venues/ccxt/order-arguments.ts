import type { OrderRequest } from '../../core/order.ts';
import type { VenueProfile } from './profile.ts';

/** The request option holding the wire id, when the venue cannot carry our clientId as it is */
export const WIRE_ID_OPTION = 'ccxtClientOrderId';
/** The request option holding a market order's reference price, fixed at prepare (Hyperliquid) */
export const REFERENCE_PRICE_OPTION = 'ccxtReferencePrice';

/** What ccxt's createOrder takes for one order */
export interface CcxtOrderArguments {
  readonly symbol: string;
  readonly type: string;
  readonly side: string;
  readonly amount: number;
  readonly price: number | undefined;
  readonly params: Record<string, unknown>;
}

/** The wire id an order's request travels under (its correlation key, or the clientId itself) */
export function wireIdOf(request: OrderRequest): string {
  const wire = request.options[WIRE_ID_OPTION];
  return typeof wire === 'string' ? wire : request.clientId;
}

/**
 * ccxt's createOrder arguments for a prepared request: our wire id as ccxt's `clientOrderId`
 * (each exchange class puts it in the venue's field), post-only, time in force, reduce-only and a
 * stop's trigger price in ccxt's unified params; a market order's reference price and slippage bound where the venue
 * bounds market orders by one.
 */
export function orderArguments(request: OrderRequest, profile: VenueProfile): CcxtOrderArguments {
  const params: Record<string, unknown> = { clientOrderId: wireIdOf(request) };
  const stop = request.orderType === 'STOP_MARKET' || request.orderType === 'STOP_LIMIT';
  const limit = request.orderType === 'LIMIT' || request.orderType === 'STOP_LIMIT';
  if (request.timeInForce === 'GTX') params['postOnly'] = true;
  else if (limit) params['timeInForce'] = request.timeInForce;
  // A stop is ccxt's market or limit order with a trigger price
  if (stop) params['triggerPrice'] = request.stopPrice;
  if (request.reduceOnly) params['reduceOnly'] = true;
  // Hedge mode: the leg rides along; where the venue refuses reduce-only beside it, the leg says it
  if (request.positionSide !== undefined && profile.hedge !== undefined) {
    Object.assign(params, profile.hedge.params(request.positionSide));
    if (!profile.hedge.reduceOnlyWithSide) delete params['reduceOnly'];
  }
  const reference = request.options[REFERENCE_PRICE_OPTION];
  const bounded =
    request.orderType === 'MARKET' &&
    profile.marketOrderSlippage !== undefined &&
    typeof reference === 'number';
  if (bounded) params['slippage'] = String(profile.marketOrderSlippage);
  return {
    symbol: request.instrument.symbol,
    type: limit ? 'limit' : 'market',
    side: request.side === 'BUY' ? 'buy' : 'sell',
    amount: request.quantity,
    price: bounded ? reference : request.price,
    params,
  };
}
