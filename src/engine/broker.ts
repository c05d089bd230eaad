import type { TrackedOrder } from '../core/account.ts';
import type { VenueEvent } from '../core/events.ts';
import type { Order, OrderRequest } from '../core/order.ts';

/** What a venue's broker can do natively */
export interface BrokerCapabilities {
  /** Submits several orders in one call */
  readonly batch: boolean;
  /** Most orders one batch call takes */
  readonly maxBatchSize: number;
  /** Cancels by our clientId (or correlation key), so an order can be canceled before its venue id is known */
  readonly cancelByClientId: boolean;
  /** Changes price or quantity of a resting order in place */
  readonly amend: boolean;
}

/** A change to a resting order: a new limit price, a new total quantity (filled part included), or both */
export interface OrderAmendment {
  readonly price?: number;
  readonly quantity?: number;
}

/**
 * Where a broker (and its venue's account stream) delivers what the venue says. Brokers never
 * touch account state: they emit typed events, and report failed sends here so the one
 * rejection boundary decides what a failure means.
 */
export interface VenueSink {
  readonly exchange: string;
  /** The engine's clock, for stamping events the venue does not time */
  now(): number;
  /** Applies a venue event through the account's single writer */
  emit(event: VenueEvent): void;
  /** The account's view of one of its orders */
  order(clientId: string): TrackedOrder | undefined;
  /** The account's live (non-terminal) orders on this exchange, PENDING ones included: what a resync must check */
  openOrders(): TrackedOrder[];
  /** A send failed: a venue verdict becomes OrderRejected; an ambiguous failure leaves it PENDING */
  submitFailed(request: OrderRequest, error: unknown): void;
  /** A cancel failed: a venue verdict becomes CancelRejected; an ambiguous failure leaves it PENDING_CANCEL */
  cancelFailed(order: Order, error: unknown): void;
  /** The venue's private stream connected (true) or dropped (false); counted by the health monitor */
  streamStatus(connected: boolean): void;
  /** Reconciliation corrected local state (a missed fill booked, a status repaired); counted */
  correction(description: string, fields?: Readonly<Record<string, unknown>>): void;
  /** A frame or payload from the venue was refused (malformed, impossible numbers): counted and logged */
  refused(description: string, fields?: Readonly<Record<string, unknown>>): void;
}

/**
 * A venue's I/O. The TradingManager builds and tracks each request before calling it; the
 * broker only enriches the request's options, sends, and turns what the venue answers into
 * events on its sink.
 */
export interface Broker {
  readonly exchange: string;
  readonly capabilities: BrokerCapabilities;
  /** Binds the broker to its sink; the TradingManager calls it once */
  connect(sink: VenueSink): void;
  /**
   * Enriches `request.options` with what the venue needs (correlation keys, flags); never
   * touches the clientId or any other field.
   * @throws KestrelError a local refusal; nothing is tracked or sent yet
   */
  prepare(request: OrderRequest): void;
  /** The correlation key the venue will report this order by, when it cannot carry our clientId */
  correlationKey?(request: OrderRequest): string | undefined;
  /**
   * Sends one order and resolves once the venue's reply has been applied, with the order as
   * the account then knows it.
   * @throws KestrelError a venue verdict or an ambiguous failure, for the rejection boundary
   */
  sendOrder(request: OrderRequest): Promise<Order>;
  /** Sends one order and returns at once; the verdict (or failure) arrives through the sink */
  sendOrderAsync(request: OrderRequest): void;
  /**
   * Sends a batch natively (at most maxBatchSize); per-order verdicts arrive as events.
   * @throws KestrelError when the batch failed as a whole
   */
  submitOrders(requests: readonly OrderRequest[]): Promise<readonly Order[]>;
  /**
   * Cancels by venue id, or by clientId where the venue allows; the outcome arrives as events.
   * @throws KestrelError a venue verdict (unknown order, say) or an ambiguous failure
   */
  cancelOrder(order: Order): Promise<void>;
  /**
   * Optional: cancels as `cancelOrder` does, but its promise resolves with `order` once the reply
   * has been applied and never rejects: a failure goes to the sink's `cancelFailed` first, where
   * the rejection boundary decides what it means. The TradingManager then hands this promise on
   * as its own (no promise of its own and no promise job per cancel).
   * @throws KestrelError only synchronously, as `cancelOrder` may, before anything is sent
   */
  cancelOrderSettled?(order: Order): Promise<Order>;
  /**
   * Changes a resting order in place, where `capabilities.amend`.
   * @throws KestrelError a venue verdict or an ambiguous failure
   */
  updateOrder?(order: Order, amendment: OrderAmendment): Promise<void>;
  /**
   * After a restart: the orders the journal rebuilt, so the broker can restore what it keeps of
   * its own (correlation keys in use, counters) before anything is sent
   */
  restore?(orders: readonly TrackedOrder[]): void;
}
