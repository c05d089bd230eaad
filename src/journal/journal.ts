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

/** What opening a journal found */
export interface JournalOpening {
  readonly entries: number;
  /** Entries past the last valid one that were dropped (a torn or corrupt tail) */
  readonly droppedTail: number;
  readonly problem: string | undefined;
  /** The clientId instance tag the journal's process used, to continue its sequence */
  readonly clientIdTag: string | undefined;
}

/**
 * The durable record of every intent (before it is sent) and every applied venue event, in apply
 * order. Appends are buffered within an event-loop turn and committed together; `durable`
 * resolves once everything appended so far is on disk, and the engine sends an intent only then.
 */
export interface Journal {
  readonly identity: JournalIdentity;
  /** Appends an event; it is durable after the next commit */
  append(event: AccountEvent): number;
  /** Resolves when every entry appended so far is committed */
  durable(): Promise<void>;
  /** Commits what is buffered, synchronously */
  commit(): void;
  /** Every valid entry, in order */
  entries(): Iterable<JournalEntry>;
  /** The clientId instance tag to reuse, so ids continue one sequence across restarts */
  setClientIdTag(tag: string): void;
  readonly opening: JournalOpening;
  close(): void;
}
