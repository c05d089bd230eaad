import type { NonceManager } from './nonce-manager.ts';
import type { LighterSigner } from './signer.ts';

/** One API key the process signs with: its signer and its nonce sequence */
export interface LighterKey {
  readonly signer: LighterSigner;
  readonly nonces: NonceManager;
}

/** What one key has done, for stats and tests */
export interface LighterKeyStats {
  readonly apiKeyIndex: number;
  /** Transactions the venue accepted from the key */
  readonly transactions: number;
  /** Sends waiting for the key's lock or on the wire now */
  readonly inFlight: number;
  /** The nonce the key's next transaction takes, once known */
  readonly nextNonce: number | undefined;
  /** Times the key's sequence was refetched after the venue refused a nonce */
  readonly nonceResyncs: number;
}

interface Lane extends LighterKey {
  inFlight: number;
  transactions: number;
}

/**
 * The API keys of one process and which one each transaction goes through. Nonces belong to a
 * key and each key's sends run one at a time (its nonce lock), so several keys send in parallel:
 * a transaction takes the least busy key (fewest sends queued or on the wire; ties go round
 * robin). Lighter lets any key of the account cancel or modify any of its orders, but
 * transactions on different keys reach the sequencer in no set order, so a transaction about an
 * order that still has one in flight (its create, say, still waiting for its reply) goes
 * through that same key, behind it: a cancel never overtakes the create it cancels.
 */
export class LighterKeyPool {
  private readonly lanes: Lane[];
  /** Orders with a transaction in flight: the key it went through and how many are in flight */
  private readonly pinned = new Map<string, { readonly lane: Lane; count: number }>();
  private readonly sending = new Set<Promise<unknown>>();
  private cursor = 0;

  /** @throws Error for no key at all (the config guarantees one) */
  constructor(keys: readonly LighterKey[]) {
    if (keys.length === 0) throw new Error('a Lighter key pool needs at least one key');
    this.lanes = keys.map((key) => ({ ...key, inFlight: 0, transactions: 0 }));
  }

  /** The first key: the one the stream's auth tokens are signed with */
  get first(): LighterKey {
    return this.lanes[0] as Lane;
  }

  get size(): number {
    return this.lanes.length;
  }

  /** The key a transaction about these orders goes through (see the class comment) */
  private pick(clientIds: readonly string[]): Lane {
    for (const clientId of clientIds) {
      const pinned = this.pinned.get(clientId);
      if (pinned !== undefined) return pinned.lane;
    }
    let best: Lane | undefined;
    let bestAt = 0;
    for (let i = 0; i < this.lanes.length; i++) {
      const at = (this.cursor + i) % this.lanes.length;
      const lane = this.lanes[at] as Lane;
      if (best === undefined || lane.inFlight < best.inFlight) {
        best = lane;
        bestAt = at;
      }
    }
    this.cursor = (bestAt + 1) % this.lanes.length;
    return best as Lane;
  }

  /**
   * Runs `send` with `count` consecutive nonces of the key chosen for these orders, under that
   * key's lock (the nonce manager's rollback and resync rules apply).
   * @throws whatever `send` throws
   */
  send<T>(
    clientIds: readonly string[],
    count: number,
    send: (signer: LighterSigner, firstNonce: number) => Promise<T>,
  ): Promise<T> {
    const sent = this.sendOn(clientIds, count, send);
    const tracked = sent.catch(() => {});
    this.sending.add(tracked);
    void tracked.finally(() => this.sending.delete(tracked));
    return sent;
  }

  /** Resolves once every send started before this call has been answered, on every key */
  async settled(): Promise<void> {
    await Promise.all([...this.sending]);
  }

  private async sendOn<T>(
    clientIds: readonly string[],
    count: number,
    send: (signer: LighterSigner, firstNonce: number) => Promise<T>,
  ): Promise<T> {
    const lane = this.pick(clientIds);
    lane.inFlight += 1;
    for (const clientId of clientIds) {
      const pinned = this.pinned.get(clientId);
      if (pinned === undefined) this.pinned.set(clientId, { lane, count: 1 });
      else pinned.count += 1;
    }
    try {
      return await lane.nonces.withNonces(count, async (first) => {
        const result = await send(lane.signer, first);
        lane.transactions += count;
        return result;
      });
    } finally {
      lane.inFlight -= 1;
      for (const clientId of clientIds) {
        const pinned = this.pinned.get(clientId);
        if (pinned === undefined) continue;
        pinned.count -= 1;
        if (pinned.count === 0) this.pinned.delete(clientId);
      }
    }
  }

  stats(): LighterKeyStats[] {
    return this.lanes.map((lane) => ({
      apiKeyIndex: lane.signer.apiKeyIndex,
      transactions: lane.transactions,
      inFlight: lane.inFlight,
      nextNonce: lane.nonces.next,
      nonceResyncs: lane.nonces.resyncCount,
    }));
  }
}
