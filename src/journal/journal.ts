import type { KestrelError } from '../core/errors.ts';
import type { AccountEvent } from '../core/events.ts';

/** One journaled event with its place in the sequence */
export interface JournalEntry {
  /** Monotonic, gapless, from 1 */
  readonly seq: number;
  readonly event: AccountEvent;
}

/** Who a journal belongs to; opening it for anyone else is refused */
export interface JournalIdentity {
  /** The exchange the account is on */
  readonly exchange: string;
  /** The account on it: an API key fingerprint, a Lighter account index, `sim` */
  readonly account: string;
}

/**
 * A stretch of the sequence that is not a valid record:
 * - `missing`: no record under these numbers, although later ones exist;
 * - `corrupt`: a record is there but fails its checksum or does not decode;
 * - `unreadable`: the storage itself could not be read there (a garbled page, a truncated file);
 *   `to` is undefined when nothing after `from` could be read;
 * - `torn`: the last record is incomplete (a write cut short); the only damage that is cut.
 */
export interface JournalDamage {
  readonly kind: 'missing' | 'corrupt' | 'unreadable' | 'torn';
  readonly from: number;
  readonly to: number | undefined;
  readonly detail: string;
}

/** What opening a journal found */
export interface JournalOpening {
  /** Valid entries */
  readonly entries: number;
  /** Every damaged stretch, in sequence order; a torn tail is listed (and was cut when writing) */
  readonly damage: readonly JournalDamage[];
  /** The owner whose entries these are (the clientId prefix of its orders) */
  readonly owner: string;
  /** The clientId instance tag the owner uses, so ids continue one sequence across restarts */
  readonly clientIdTag: string | undefined;
  /** The writer before this one, when it died holding the writer lock (taken over) */
  readonly tookOverFrom?: string | undefined;
  /**
   * The owner's slot in a journal several processes share (1..63), which venues that cannot
   * carry a clientId fold into their correlation keys; absent for a journal with one writer
   */
  readonly slot?: number | undefined;
}

/** One process trading an account, as a shared journal lists it */
export interface JournalOwner {
  /** The owner's name, which is also its clientId prefix */
  readonly owner: string;
  readonly clientIdPrefix: string;
  /** The instance tag of its clientIds: `<prefix><tag>-<counter>` */
  readonly instanceTag: string;
  /** Its slot, 1..63 (see `JournalOpening.slot`); 0 when it has none yet */
  readonly slot: number;
  /** Who writes it now, when a process holds it */
  readonly holder?: string | undefined;
}

/**
 * Whether the journal is writing: `failing` while a write is being retried (new intents are
 * refused meanwhile, nothing is lost or reordered), `failed` once retrying gave up.
 */
export type JournalHealth =
  | { readonly state: 'ok' }
  | {
      readonly state: 'failing' | 'failed';
      readonly error: KestrelError;
      /** When the first failed attempt was made (ms since the epoch) */
      readonly since: number;
      readonly attempts: number;
      /** Entries appended but not yet written */
      readonly unwritten: number;
    };

/** How far a journal's writes are behind its appends */
export interface JournalBacklog {
  /** Entries appended but not yet durable */
  readonly entries: number;
  /** How long the oldest of them has waited, ms (0 when none waits) */
  readonly oldestMs: number;
  /** The sequence number of the last durable entry */
  readonly written: number;
}

/**
 * The durable record of every intent (before it is sent) and every applied venue event, in apply
 * order. Appends are buffered within an event-loop turn and written together; `durable`
 * resolves once everything appended so far is written, and the engine sends an intent only then.
 * A failed write keeps its entries (and their sequence numbers) and is retried in order, so the
 * sequence never gets a hole.
 */
export interface Journal {
  readonly identity: JournalIdentity;
  readonly opening: JournalOpening;
  /** Appends an event and returns its sequence number; it is durable after the next write */
  append(event: AccountEvent): number;
  /**
   * Resolves when every entry appended so far is written.
   * @throws KestrelError JOURNAL_FAILED when the write that covered them failed (they stay
   *   queued and are retried)
   */
  durable(): Promise<void>;
  /** The owner's valid entries, in order */
  entries(): AsyncIterable<JournalEntry>;
  readonly health: JournalHealth;
  /** How far writing is behind appending (the journal lag a live process exports) */
  backlog(): JournalBacklog;
  /**
   * Every owner of a journal several processes share, as it stands now (siblings that started
   * since included); absent on a journal with one writer.
   * @throws KestrelError NETWORK when the server cannot be reached
   */
  owners?(): Promise<JournalOwner[]>;
  /** Told whenever the health changes; returns the unsubscribe */
  onHealth(listener: (health: JournalHealth) => void): () => void;
  /**
   * Writes what is queued (one last attempt when failing) and releases the journal.
   * @throws KestrelError JOURNAL_FAILED naming how many entries could not be written
   */
  close(): Promise<void>;
}
