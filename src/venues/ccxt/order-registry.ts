import type { ClientOrderId } from '../../core/ids.ts';
import { EXTERNAL_PREFIX, isClientOrderId } from '../../core/ids.ts';
import { UnansweredCancels } from '../../engine/unanswered-cancels.ts';
import type { WireIdCodec } from './wire-ids.ts';

/**
 * The generator head of a clientId (`kab12c-` of `kab12c-1z`): the part every id of one
 * generator shares, so an order found at the venue with the same head is one of ours.
 * Undefined for ids that do not look generated (no `-`, or adopted `ext:` ones).
 */
export function clientIdHead(clientId: string): string | undefined {
  if (clientId.startsWith(EXTERNAL_PREFIX)) return undefined;
  const dash = clientId.lastIndexOf('-');
  return dash >= 1 && dash < clientId.length - 1 ? clientId.slice(0, dash + 1) : undefined;
}

/**
 * What the ccxt venue's parts share about our orders: venue ids → clientIds (venues whose
 * executions name the venue id only), the wire ids our clientIds travel as (decoded by the
 * profile's codec, so nothing needs persisting), the generator heads that mark an order as
 * ours, the sends in flight (a cancel waits for its order's submit; nothing in flight is
 * declared lost), and the cancels whose answer never came. Bounded: the oldest venue ids go first.
 */
export class CcxtOrderRegistry {
  private readonly byVenueId = new Map<string, ClientOrderId>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly heads = new Set<string>();
  /** Cancels asked for whose answer never came (ambiguous, or cut by a restart) */
  readonly cancelsAwaiting = new UnansweredCancels();
  readonly codec: WireIdCodec;
  private readonly capacity: number;

  constructor(codec: WireIdCodec, capacity = 50_000) {
    this.codec = codec;
    this.capacity = capacity;
  }

  /** The clientId a venue's client-id field names, when it names one of ours (or any valid id) */
  clientIdOfWire(wireId: string): ClientOrderId | undefined {
    const clientId = this.codec.decode(wireId);
    return clientId !== undefined && isClientOrderId(clientId) ? clientId : undefined;
  }

  remember(venueId: string, clientId: ClientOrderId): void {
    if (this.byVenueId.get(venueId) === clientId) return;
    this.byVenueId.set(venueId, clientId);
    if (this.byVenueId.size > this.capacity) {
      const oldest = this.byVenueId.keys().next().value;
      if (oldest !== undefined) this.byVenueId.delete(oldest);
    }
  }

  clientIdOf(venueId: string): ClientOrderId | undefined {
    return this.byVenueId.get(venueId);
  }

  /** Marks the clientIds' sends in flight; call the result when the venue has answered */
  track(clientIds: readonly string[]): () => void {
    let release = () => {};
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    for (const id of clientIds) this.inflight.set(id, done);
    return () => {
      for (const id of clientIds) if (this.inflight.get(id) === done) this.inflight.delete(id);
      release();
    };
  }

  /** Resolves once the order's submit has been answered (at once when none is in flight) */
  sent(clientId: string): Promise<void> | undefined {
    return this.inflight.get(clientId);
  }

  isSending(clientId: string): boolean {
    return this.inflight.has(clientId);
  }

  /** Remembers the generator head of one of our clientIds */
  addOwn(clientId: string): void {
    const head = clientIdHead(clientId);
    if (head !== undefined) this.heads.add(head);
  }

  /** Whether a clientId found at the venue is one this account generates */
  isOwn(clientId: string): boolean {
    const head = clientIdHead(clientId);
    return head !== undefined && this.heads.has(head);
  }
}
