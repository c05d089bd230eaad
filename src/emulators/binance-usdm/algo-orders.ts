import type { Instrument } from '../../core/instrument.ts';
import type { Side, TimeInForce } from '../../core/order.ts';
import type { PositionSideName, PriceMatch } from './wire.ts';

/**
 * Binance's Algo Service for USDⓈ-M conditional orders (POST /fapi/v1/algoOrder, since
 * 2025-12-09 the only way to place them): an algo order waits outside the matching engine until
 * its trigger price is reached, then places a regular order there.
 *
 * Statuses (Binance's "Event: Algo Order Update"): NEW (placed, not triggered), TRIGGERING (the
 * condition met, sent to the matching engine), TRIGGERED (placed there, `actualOrderId` its
 * order), FINISHED (that order filled or ended), CANCELED, REJECTED (the matching engine refused
 * it, e.g. margin), EXPIRED (ended by the system, e.g. good-till-date).
 */

export const ALGO_TYPES = [
  'STOP',
  'STOP_MARKET',
  'TAKE_PROFIT',
  'TAKE_PROFIT_MARKET',
  'TRAILING_STOP_MARKET',
] as const;
export type AlgoType = (typeof ALGO_TYPES)[number];

export type AlgoStatus =
  | 'NEW'
  | 'TRIGGERING'
  | 'TRIGGERED'
  | 'FINISHED'
  | 'CANCELED'
  | 'REJECTED'
  | 'EXPIRED';

export type WorkingType = 'CONTRACT_PRICE' | 'MARK_PRICE';

/** An algo order as the emulated Algo Service keeps it */
export interface AlgoOrder {
  readonly algoId: number;
  readonly clientAlgoId: string;
  readonly instrument: Instrument;
  readonly side: Side;
  readonly type: AlgoType;
  readonly positionSide: PositionSideName;
  readonly timeInForce: TimeInForce | 'GTD';
  /** 0 for a close-all (closePosition) order */
  readonly quantity: number;
  /** The limit price of STOP and TAKE_PROFIT */
  readonly price: number | undefined;
  /** Undefined only for a trailing stop (its trigger follows the market) */
  readonly triggerPrice: number | undefined;
  readonly workingType: WorkingType;
  readonly reduceOnly: boolean;
  readonly closePosition: boolean;
  readonly priceProtect: boolean;
  readonly priceMatch: PriceMatch;
  readonly goodTillDate: number;
  /** Trailing stops: the price that arms them (default the market at placement) and the callback % */
  readonly activatePrice: number | undefined;
  readonly callbackRate: number | undefined;
  readonly createTime: number;
  status: AlgoStatus;
  updateTime: number;
  triggerTime: number;
  /** The matching engine's order once triggered, as Binance's `actualOrderId` */
  actualOrderId: string;
  /** Why it was rejected (`rm` on ALGO_UPDATE) */
  rejectReason: string;
  /** Trailing stops: armed, and the best price since */
  armed: boolean;
  extreme: number;
}

/** Whether an algo order is still waiting for its trigger */
export function isWaiting(order: AlgoOrder): boolean {
  return order.status === 'NEW';
}

/** Whether the algo order places a market order when it triggers */
export function triggersMarket(type: AlgoType): boolean {
  return type === 'STOP_MARKET' || type === 'TAKE_PROFIT_MARKET' || type === 'TRAILING_STOP_MARKET';
}

/**
 * Whether `price` meets the order's trigger. Binance: a STOP (loss) buy triggers at or above its
 * trigger price and a sell at or below; a TAKE_PROFIT the other way round. A trailing stop arms
 * at its activation price, then triggers once the price has come back `callbackRate` % from the
 * best price since.
 */
export function meetsTrigger(order: AlgoOrder, price: number): boolean {
  if (!Number.isFinite(price) || price <= 0) return false;
  const buy = order.side === 'BUY';
  switch (order.type) {
    case 'STOP':
    case 'STOP_MARKET':
      return buy ? price >= (order.triggerPrice ?? 0) : price <= (order.triggerPrice ?? 0);
    case 'TAKE_PROFIT':
    case 'TAKE_PROFIT_MARKET':
      return buy ? price <= (order.triggerPrice ?? 0) : price >= (order.triggerPrice ?? 0);
    case 'TRAILING_STOP_MARKET': {
      const activation = order.activatePrice;
      if (!order.armed) {
        if (activation !== undefined && (buy ? price > activation : price < activation))
          return false;
        order.armed = true;
        order.extreme = price;
      }
      order.extreme = buy ? Math.min(order.extreme, price) : Math.max(order.extreme, price);
      const rate = (order.callbackRate ?? 0) / 100;
      return buy ? price >= order.extreme * (1 + rate) : price <= order.extreme * (1 - rate);
    }
  }
}
