import type { LighterOrderStatus } from './schemas.ts';

/**
 * What each Lighter order status means for us. Lighter has no partially-filled status (a
 * partly filled resting order stays `open`) and many terminal `canceled-*` statuses; which of
 * those are rejections and which are cancels is a decision, made here once:
 *
 * - `refused`: the venue's checks at placement refused the order (post-only would cross, no
 *   margin, reduce-only would increase, position not allowed, invalid balance, no liquidity or
 *   too much slippage for a taker). When the order never worked (nothing filled and the venue
 *   never acknowledged it resting) it is REJECTED with the status as its code; otherwise the
 *   rest of a working order was canceled for that reason, and it is CANCELED with the reason.
 * - `canceled`: the order existed and was canceled (by us, by its OCO sibling or parent, by a
 *   liquidation, or by self-trade prevention): CANCELED.
 * - `expired`: its GTT expiry passed: EXPIRED.
 * - `pending`: the venue has the transaction but the order is not working yet: still PENDING.
 * - `open`: resting (maybe partly filled): OPEN or PARTIALLY_FILLED by the fills.
 * - `filled`: FILLED; the quantities come from the fills (trades), never from this status.
 */
export type StatusCategory = 'pending' | 'open' | 'filled' | 'canceled' | 'expired' | 'refused';

export const ORDER_STATUS_CATEGORY = {
  'in-progress': 'pending',
  pending: 'pending',
  open: 'open',
  filled: 'filled',
  canceled: 'canceled',
  'canceled-post-only': 'refused',
  'canceled-reduce-only': 'refused',
  'canceled-position-not-allowed': 'refused',
  'canceled-margin-not-allowed': 'refused',
  'canceled-too-much-slippage': 'refused',
  'canceled-not-enough-liquidity': 'refused',
  'canceled-invalid-balance': 'refused',
  'canceled-self-trade': 'canceled',
  'canceled-oco': 'canceled',
  'canceled-child': 'canceled',
  'canceled-liquidation': 'canceled',
  'canceled-expired': 'expired',
} as const satisfies Record<LighterOrderStatus, StatusCategory>;

/** The category of a status; the schema guarantees the status is one the table knows */
export function statusCategory(status: LighterOrderStatus): StatusCategory {
  return ORDER_STATUS_CATEGORY[status];
}

/** Whether the venue is done with an order in this status */
export function isTerminalStatus(status: LighterOrderStatus): boolean {
  const category = statusCategory(status);
  return category !== 'pending' && category !== 'open';
}
