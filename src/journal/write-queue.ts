import { KestrelError } from '../core/errors.ts';
import type { JournalBacklog, JournalHealth } from './journal.ts';

/** A record ready to be written: its number, its encoded body and checksum */
export interface PendingRecord {
  readonly seq: number;
  readonly body: string;
  readonly crc: number;
}

export interface WriteQueueOptions {
  /** What the journal is called in messages (its file, its redacted URL) */
  readonly name: string;
  /**
   * Writes a batch all or nothing; throws when nothing was written. Records come in sequence
   * order and a failed batch is offered again, whole, with whatever was appended since
   */
  readonly write: (batch: readonly PendingRecord[]) => void | Promise<void>;
  /** How long a write may keep failing before the journal is declared failed, ms; default 10 000 */
  readonly giveUpAfterMs?: number | undefined;
  /** Wall time, ms */
  readonly now?: (() => number) | undefined;
  /** The sequence number of the last record already durable when the queue starts; default 0 */
  readonly written?: number | undefined;
}

/** Waits between attempts, ms: quick at first, then once a second */
const RETRY_DELAYS_MS = [10, 50, 100, 250, 500, 1000];

type Waiter = {
  readonly upTo: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
};

/**
 * The write side every journal backend shares. Records are queued in sequence order and written
 * in batches (everything appended within one event-loop turn together). A failed batch stays
 * queued, with its numbers, and is retried in order with backoff; meanwhile the health is
 * `failing`, and after `giveUpAfterMs` of failures `failed`. Waiters on `durable` learn the
 * outcome of the attempt that covered their records: written, or failed (they are told at once,
 * so an intent is never sent late on a write that might never come).
 */
export class WriteQueue {
  private readonly options: WriteQueueOptions;
  private readonly now: () => number;
  private readonly giveUpAfterMs: number;
  private queue: PendingRecord[] = [];
  private waiters: Waiter[] = [];
  private readonly listeners: Array<(health: JournalHealth) => void> = [];
  private scheduled = false;
  private writing: Promise<void> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private lastQueued = 0;
  private lastWritten = 0;
  /** When each run of records not yet written was appended: [first seq, time], oldest first */
  private appendedAt: Array<readonly [number, number]> = [];
  private state: JournalHealth = { state: 'ok' };
  private closed = false;

  constructor(options: WriteQueueOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.giveUpAfterMs = options.giveUpAfterMs ?? 10_000;
    this.lastWritten = options.written ?? 0;
    this.lastQueued = this.lastWritten;
  }

  get health(): JournalHealth {
    return this.state;
  }

  /** Records queued and not yet written */
  get unwritten(): number {
    return this.queue.length;
  }

  /** How far writing is behind appending: records not yet durable, and how long the oldest waits */
  backlog(): JournalBacklog {
    const oldest = this.appendedAt[0];
    return {
      entries: this.lastQueued - this.lastWritten,
      oldestMs: oldest === undefined ? 0 : Math.max(0, this.now() - oldest[1]),
      written: this.lastWritten,
    };
  }

  onHealth(listener: (health: JournalHealth) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Queues a record; it goes out with the next batch */
  push(record: PendingRecord): void {
    // One time per event-loop turn is enough: a batch is appended within one
    if (this.lastQueued === this.lastWritten || !this.scheduled)
      this.appendedAt.push([record.seq, this.now()]);
    this.queue.push(record);
    this.lastQueued = record.seq;
    this.schedule();
  }

  durable(): Promise<void> {
    if (this.lastQueued <= this.lastWritten) return Promise.resolve();
    return new Promise((resolve, reject) =>
      this.waiters.push({ upTo: this.lastQueued, resolve, reject }),
    );
  }

  /**
   * Writes what is queued (at once, even while a retry waits) and stops retrying.
   * @throws KestrelError JOURNAL_FAILED when records remain unwritten
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    while (this.writing !== undefined) await this.writing;
    if (this.queue.length > 0) await this.attempt();
    if (this.queue.length > 0) {
      const health = this.state;
      throw new KestrelError(
        'JOURNAL_FAILED',
        `journal ${this.options.name}: ${this.queue.length} entries (from ${this.queue[0]?.seq}) could not be written${health.state === 'ok' ? '' : `: ${health.error.message}`}`,
        health.state === 'ok' ? {} : { cause: health.error },
      );
    }
  }

  private schedule(): void {
    if (this.scheduled || this.writing !== undefined || this.retryTimer !== undefined) return;
    if (this.closed) return;
    this.scheduled = true;
    // Everything appended in this synchronous stretch goes out in one batch
    queueMicrotask(() => {
      this.scheduled = false;
      void this.attempt();
    });
  }

  private attempt(): Promise<void> {
    if (this.writing !== undefined) return this.writing;
    const run = this.writeQueued().finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0 && this.state.state === 'ok') this.schedule();
    });
    this.writing = run;
    return run;
  }

  private async writeQueued(): Promise<void> {
    const batch = this.queue;
    if (batch.length === 0) return;
    // Records appended while this batch is out wait behind it
    this.queue = [];
    const last = batch[batch.length - 1]!.seq;
    try {
      await this.options.write(batch);
    } catch (error) {
      this.queue = batch.concat(this.queue);
      this.failed(error, last);
      return;
    }
    this.lastWritten = last;
    // A run wholly written goes; the run holding the first unwritten record keeps its time
    while (this.appendedAt.length > 1 && this.appendedAt[1]![0] <= last + 1)
      this.appendedAt.shift();
    if (this.lastQueued <= last) this.appendedAt = [];
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) {
      if (w.upTo <= last) w.resolve();
      else this.waiters.push(w);
    }
    if (this.state.state !== 'ok') this.setHealth({ state: 'ok' });
  }

  private failed(cause: unknown, last: number): void {
    const previous = this.state;
    const since = previous.state === 'ok' ? this.now() : previous.since;
    const attempts = previous.state === 'ok' ? 1 : previous.attempts + 1;
    const gaveUp = previous.state === 'failed' || this.now() - since >= this.giveUpAfterMs;
    const reason = cause instanceof Error ? cause.message : String(cause);
    const error = new KestrelError(
      'JOURNAL_FAILED',
      `journal ${this.options.name} cannot be written (${reason}); ${gaveUp ? `gave up after ${attempts} attempts` : 'retrying'}, ${this.queue.length} entries waiting`,
      { field: 'journal', value: this.options.name, cause },
    );
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) {
      if (w.upTo <= last) w.reject(error);
      else this.waiters.push(w);
    }
    this.setHealth({
      state: gaveUp ? 'failed' : 'failing',
      error,
      since,
      attempts,
      unwritten: this.queue.length,
    });
    if (this.closed || gaveUp) return;
    const delay = RETRY_DELAYS_MS[Math.min(attempts - 1, RETRY_DELAYS_MS.length - 1)] ?? 1000;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.attempt();
    }, delay);
  }

  private setHealth(health: JournalHealth): void {
    this.state = health;
    for (const listener of [...this.listeners]) listener(health);
  }
}
