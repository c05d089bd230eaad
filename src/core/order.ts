import type { ClientOrderId, VenueOrderId } from './ids.ts';
import type { Instrument } from './instrument.ts';

export type Side = 'BUY' | 'SELL';
export type OrderType = 'MARKET' | 'LIMIT' | 'STOP_MARKET' | 'STOP_LIMIT';
/** GTX is post-only: rejected by the venue if it would take liquidity */
export type TimeInForce = 'GTC' | 'IOC' | 'FOK' | 'GTX';
export type OrderOrigin = 'FRAMEWORK' | 'EXTERNAL' | 'RECOVERED';
/** The leg of a hedge-mode account an order opens or closes (one-way accounts have none) */
export type PositionSide = 'LONG' | 'SHORT';

export const SIDES: readonly Side[] = ['BUY', 'SELL'];
export const POSITION_SIDES: readonly PositionSide[] = ['LONG', 'SHORT'];
export const ORDER_TYPES: readonly OrderType[] = ['MARKET', 'LIMIT', 'STOP_MARKET', 'STOP_LIMIT'];
export const TIMES_IN_FORCE: readonly TimeInForce[] = ['GTC', 'IOC', 'FOK', 'GTX'];

export type OrderStatus =
  | 'PENDING'
  | 'OPEN'
  | 'PARTIALLY_FILLED'
  | 'PENDING_CANCEL'
  | 'FILLED'
  | 'CANCELED'
  | 'REJECTED'
  | 'EXPIRED'
  | 'LOST';

export const ORDER_STATUSES: readonly OrderStatus[] = [
  'PENDING',
  'OPEN',
  'PARTIALLY_FILLED',
  'PENDING_CANCEL',
  'FILLED',
  'CANCELED',
  'REJECTED',
  'EXPIRED',
  'LOST',
];

export type TerminalStatus = 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED' | 'LOST';

export function isTerminal(status: OrderStatus): status is TerminalStatus {
  return (
    status === 'FILLED' ||
    status === 'CANCELED' ||
    status === 'REJECTED' ||
    status === 'EXPIRED' ||
    status === 'LOST'
  );
}

/**
 * The intent: what the strategy asked for, built by the TradingManager. Every field is fixed at
 * creation except `options`, which the venue's broker enriches in `prepare` (correlation keys,
 * venue flags). `clientId` is chosen once and never changed by anyone.
 */
export interface OrderRequest {
  readonly clientId: ClientOrderId;
  readonly instrument: Instrument;
  readonly side: Side;
  /** Unsigned, on the lot grid */
  readonly quantity: number;
  readonly orderType: OrderType;
  /** Limit price, on the tick grid; absent for MARKET and STOP_MARKET */
  readonly price?: number;
  /** Trigger price, on the tick grid; present for STOP_MARKET and STOP_LIMIT */
  readonly stopPrice?: number;
  readonly timeInForce: TimeInForce;
  readonly reduceOnly: boolean;
  /** The leg it opens or closes on a hedge-mode account; absent on one-way accounts */
  readonly positionSide?: PositionSide;
  /** Venue-specific extras; the broker's `prepare` may add to it */
  readonly options: Record<string, unknown>;
}

/** One entry of an order's audit trail */
export interface OrderTransition {
  readonly from: OrderStatus;
  readonly to: OrderStatus;
  /** The event type that caused it */
  readonly cause: string;
  readonly time: number;
}

/**
 * An order as the account knows it. Read-only to everyone but the account's single writer;
 * callbacks receive the live object, so copy it to keep a point-in-time view.
 */
export interface Order {
  readonly clientId: ClientOrderId;
  readonly venueOrderId: VenueOrderId | undefined;
  readonly instrument: Instrument;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly quantity: number;
  readonly price: number | undefined;
  readonly stopPrice: number | undefined;
  readonly reduceOnly: boolean;
  /** The leg it opens or closes on a hedge-mode account; undefined on one-way accounts */
  readonly positionSide: PositionSide | undefined;
  readonly status: OrderStatus;
  readonly filledQuantity: number;
  /** Volume-weighted price of the fills so far; 0 before the first fill */
  readonly averageFillPrice: number;
  readonly origin: OrderOrigin;
  /** The venue's code and message when REJECTED, why LOST, or why it was reinstated */
  readonly reason: string | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly transitions: readonly OrderTransition[];
}

/** What happened to an order in one applied event, as strategy callbacks see it */
export type OrderChange =
  | 'requested'
  | 'accepted'
  | 'partiallyFilled'
  | 'filled'
  | 'cancelRequested'
  | 'cancelRejected'
  | 'canceled'
  | 'rejected'
  | 'expired'
  | 'lost'
  | 'amended'
  | 'adopted'
  | 'recovered'
  /** An order held terminal that the venue, asked, lists as open: live again, with its reason */
  | 'reinstated';

/** Quantity still working at the venue */
export function remainingQuantity(order: Order): number {
  return Math.max(0, order.quantity - order.filledQuantity);
}
