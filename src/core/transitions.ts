import type { OrderStatus } from './order.ts';
import { isTerminal } from './order.ts';

/**
 * The one judge of order status changes. Rows list every allowed edge out of a status, each with
 * the reason it exists. Rules the table encodes:
 *
 * - non-terminal → non-terminal edges are listed one by one;
 * - any live order may go straight to any terminal status (the venue is the authority);
 * - terminal statuses have no way out except the odd rows below, each with its real-world reason.
 *   Leaving a terminal status makes the order live again (reinstated or revived): it is managed
 *   like any live order, and a stop cancels it.
 */
export const TRANSITIONS = {
  PENDING: {
    OPEN: 'the venue accepted the order',
    PARTIALLY_FILLED: 'a fill arrived before (or instead of) the accept',
    PENDING_CANCEL: 'cancel requested before the venue confirmed the order',
  },
  OPEN: {
    PARTIALLY_FILLED: 'part of the order filled',
    PENDING_CANCEL: 'cancel requested',
  },
  PARTIALLY_FILLED: {
    PENDING_CANCEL: 'cancel requested for the rest',
  },
  PENDING_CANCEL: {
    PENDING: 'the cancel was refused before the venue had confirmed the order',
    OPEN: 'the cancel was refused; the order is still resting',
    PARTIALLY_FILLED: 'the cancel was refused; the order rests partly filled',
  },
  FILLED: {},
  CANCELED: {
    FILLED: 'a fill already in flight when the cancel landed completes the order',
    OPEN: 'reinstated: the venue, asked after the cancel, still lists the order open (the cancel did not take); the venue is the authority',
    PARTIALLY_FILLED:
      'reinstated: the venue, asked after the cancel, still lists the order open and partly filled',
  },
  REJECTED: {
    OPEN: 'reinstated: the venue, asked, lists as open an order we held refused (an answer without a verdict taken for one); the venue is the authority',
    PARTIALLY_FILLED:
      'reinstated: the venue, asked, lists as open and partly filled an order we held refused',
  },
  EXPIRED: {
    FILLED: 'a fill already in flight when the order expired completes it',
  },
  LOST: {
    OPEN: 'the venue accepted or lists the order after reconciliation gave it up (a submit held up on its way); the venue is the authority',
    PARTIALLY_FILLED: 'the venue found the order, partly filled, after it was given up',
    FILLED: 'the venue reported fills for an order given up as lost',
    CANCELED: 'the venue reported the order canceled after it was given up',
  },
} as const satisfies Record<OrderStatus, Partial<Record<OrderStatus, string>>>;

/** Whether `from → to` is a legal status change; staying in the same status is not a change */
export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  if (from === to) return false;
  if (!isTerminal(from) && isTerminal(to)) return true;
  const row: Partial<Record<OrderStatus, string>> = TRANSITIONS[from];
  return row[to] !== undefined;
}
