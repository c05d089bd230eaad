import type { ClientOrderId } from '../../core/ids.ts';
import { UnansweredCancels } from '../../engine/unanswered-cancels.ts';

interface Entry {
  readonly clientId: ClientOrderId;
  readonly clientOrderIndex: number;
  /** The create transaction's ExpiredAt: past it the venue can never place the order */
  txExpiredAt: number | undefined;
}

/**
 * Which client order index each of our orders carries, both ways, when its create transaction
 * expires, and the cancels whose answer never came. Bounded: the oldest entries go first (long
 * after their orders ended).
 */
export class LighterOrderRegistry {
  /** Cancels asked for whose answer never came (ambiguous, or cut by a restart) */
  readonly cancelsAwaiting = new UnansweredCancels();
  private readonly byIndex = new Map<number, Entry>();
  private readonly byClientId = new Map<string, Entry>();
  private readonly capacity: number;

  constructor(capacity = 100_000) {
    this.capacity = capacity;
  }

  register(clientOrderIndex: number, clientId: ClientOrderId): void {
    const entry: Entry = { clientId, clientOrderIndex, txExpiredAt: undefined };
    this.byIndex.set(clientOrderIndex, entry);
    this.byClientId.set(clientId, entry);
    while (this.byIndex.size > this.capacity) {
      const oldest = this.byIndex.values().next().value;
      if (oldest === undefined) break;
      this.byIndex.delete(oldest.clientOrderIndex);
      if (this.byClientId.get(oldest.clientId) === oldest) this.byClientId.delete(oldest.clientId);
    }
  }

  clientIdOf(clientOrderIndex: number): ClientOrderId | undefined {
    return this.byIndex.get(clientOrderIndex)?.clientId;
  }

  indexOf(clientId: string): number | undefined {
    return this.byClientId.get(clientId)?.clientOrderIndex;
  }

  setTxExpiry(clientId: string, expiredAt: number): void {
    const entry = this.byClientId.get(clientId);
    if (entry !== undefined) entry.txExpiredAt = expiredAt;
  }

  txExpiry(clientId: string): number | undefined {
    return this.byClientId.get(clientId)?.txExpiredAt;
  }

  get size(): number {
    return this.byIndex.size;
  }
}
