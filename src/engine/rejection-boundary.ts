import type { ErrorKind } from '../core/errors.ts';
import { classify, KestrelError } from '../core/errors.ts';
import type { CancelRejected, OrderRejected } from '../core/events.ts';
import type { Order, OrderRequest } from '../core/order.ts';

/**
 * The one place a failed send becomes an outcome (ARCHITECTURE §5). A venue verdict, or a local
 * refusal raised after the order was tracked (nothing reached the venue), becomes OrderRejected
 * carrying the clientId; an ambiguous failure becomes nothing: the order stays PENDING until the
 * venue's stream, a status query or reconciliation decides.
 */
export function submitFailure(
  request: OrderRequest,
  error: unknown,
  time: number,
): { readonly kind: ErrorKind; readonly event: OrderRejected | undefined } {
  const kind = classify(error);
  if (kind === 'ambiguous') return { kind, event: undefined };
  return {
    kind,
    event: {
      type: 'orderRejected',
      exchange: request.instrument.exchange,
      clientId: request.clientId,
      code: reasonCode(error),
      message: error instanceof Error ? error.message : String(error),
      time,
    },
  };
}

/** The same boundary for cancels: a verdict becomes CancelRejected, ambiguity leaves PENDING_CANCEL */
export function cancelFailure(
  order: Order,
  error: unknown,
  time: number,
): { readonly kind: ErrorKind; readonly event: CancelRejected | undefined } {
  const kind = classify(error);
  if (kind === 'ambiguous') return { kind, event: undefined };
  return {
    kind,
    event: {
      type: 'cancelRejected',
      exchange: order.instrument.exchange,
      clientId: order.clientId,
      venueOrderId: order.venueOrderId,
      code: reasonCode(error),
      message: error instanceof Error ? error.message : String(error),
      time,
    },
  };
}

function reasonCode(error: unknown): string {
  if (error instanceof KestrelError) return error.venueCode ?? error.code;
  return 'UNKNOWN';
}
