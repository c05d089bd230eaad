import type { Order } from '../core/order.ts';
import type { VenueSink } from './broker.ts';
import type { Logger } from './logger.ts';

/** Times a cancel whose answer was lost is sent again while the venue still lists the order */
export const MAX_CANCEL_RESENDS = 3;

/** The code of the cancel rejection that ends the resends: the venue never answered, and lists the order live */
const CANCEL_UNANSWERED = 'CANCEL_UNANSWERED';

/** What sending a cancel again needs from the broker that sent the first */
export interface CancelResend {
  readonly exchange: string;
  readonly logger: Logger;
  readonly sink: VenueSink;
  /** Sends the cancel through the broker's own path (its ids, its signing and nonces) */
  readonly cancel: (order: Order) => Promise<void>;
}

/**
 * The cancels a broker sent whose answer never came: an ambiguous failure (a timeout, a reset,
 * a 5xx, a transaction the venue may not have queued), or a restart that cut them off between
 * the journal and the wire. The order stays PENDING_CANCEL, and the venue's word that it still
 * holds the order live, which the status itself cannot tell from a cancel under way, is read
 * here as "that cancel was lost": it is sent again, a bounded number of times. A cancel the
 * venue answered, acknowledged or refused, is forgotten and never sent again from here.
 */
export class UnansweredCancels {
  /** clientId → resends so far */
  private readonly resends = new Map<string, number>();
  /** Orders whose resend is on its way: no second one until it is answered */
  private readonly sending = new Set<string>();

  /** The order's cancel went unanswered; the resends it already had are kept */
  unanswered(clientId: string): void {
    if (!this.resends.has(clientId)) this.resends.set(clientId, 0);
  }

  /** The venue answered the order's cancel (acknowledged it, or refused it) */
  answered(clientId: string): void {
    this.resends.delete(clientId);
  }

  has(clientId: string): boolean {
    return this.resends.has(clientId);
  }

  get size(): number {
    return this.resends.size;
  }

  /**
   * Sends again the cancel of an order the venue still lists live, unless the order is no longer
   * PENDING_CANCEL here, its cancel was answered meanwhile, or a resend of it is still on its
   * way (the venue may list the order until that one executes). Each resend is logged; after
   * MAX_CANCEL_RESENDS the cancel is given up with a warning and a cancel rejection (code
   * CANCEL_UNANSWERED): the order is OPEN again, as the venue lists it, and can be canceled anew.
   * A failed resend goes through the sink's rejection boundary: a venue verdict becomes
   * CancelRejected, an ambiguous one leaves the order PENDING_CANCEL for the next resend.
   */
  resend(clientId: string, via: CancelResend): void {
    if (this.sending.has(clientId)) return;
    const local = via.sink.order(clientId);
    const sent = this.resends.get(clientId);
    if (local === undefined || local.status !== 'PENDING_CANCEL' || sent === undefined) {
      this.resends.delete(clientId);
      return;
    }
    if (sent >= MAX_CANCEL_RESENDS) {
      this.resends.delete(clientId);
      via.logger.warn(
        'cancel still unanswered after resends, and the venue lists the order live; given up',
        { exchange: via.exchange, clientId, resends: sent },
      );
      // The venue's own word is that the order works on: say so, rather than leave it
      // PENDING_CANCEL here for as long as the process runs. The strategy hears a cancel
      // rejection, sees the order OPEN as the venue does, and may cancel it again
      via.sink.emit({
        type: 'cancelRejected',
        exchange: via.exchange,
        clientId: local.clientId,
        venueOrderId: local.venueOrderId,
        code: CANCEL_UNANSWERED,
        message: `no answer to ${sent + 1} cancels, and the venue still lists the order live`,
        time: via.sink.now(),
      });
      return;
    }
    this.resends.set(clientId, sent + 1);
    via.logger.info('sending again a cancel whose answer was lost', {
      exchange: via.exchange,
      clientId,
      resend: sent + 1,
    });
    this.sending.add(clientId);
    void via
      .cancel(local)
      .catch((error: unknown) => via.sink.cancelFailed(local, error))
      .finally(() => this.sending.delete(clientId));
  }
}
