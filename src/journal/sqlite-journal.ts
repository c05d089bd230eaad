import { crc32 } from 'node:zlib';
import Database from 'better-sqlite3';
import { KestrelError } from '../core/errors.ts';
import type { AccountEvent } from '../core/events.ts';
import type { InstrumentSpec } from '../core/instrument.ts';
import { EventCodec, instrumentSpec } from './codec.ts';
import type { Journal, JournalEntry, JournalIdentity, JournalOpening } from './journal.ts';

const FORMAT = '1';

export interface SqliteJournalOptions {
  readonly path: string;
  readonly identity: JournalIdentity;
  /**
   * `normal` (default): every commit survives the process dying (SIGKILL, a crash); `full` also
   * survives the machine losing power, at the cost of an fsync per commit
   */
  readonly sync?: 'normal' | 'full';
  /** Open an existing journal only, to read it; never creates or repairs */
  readonly readOnly?: boolean;
}

interface Row {
  readonly seq: number;
  readonly body: string;
  readonly crc: number;
}

/**
 * The embedded journal: SQLite in WAL mode. Appends within an event-loop turn go out in one
 * transaction; each entry carries a CRC of its body, and entries must be gapless, so a torn or
 * corrupt tail is found on open, reported, and cut off, keeping the valid prefix.
 */
export class SqliteJournal implements Journal {
  readonly identity: JournalIdentity;
  readonly opening: JournalOpening;
  private readonly db: Database.Database;
  private readonly codec = new EventCodec();
  private readonly insert: Database.Statement;
  private readonly insertInstrument: Database.Statement;
  private readonly readOnly: boolean;
  private last: number;
  private buffer: Array<{ seq: number; body: string }> = [];
  private scheduled = false;
  private waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  private validCount: number;

  /**
   * Opens (or creates) a journal.
   * @throws KestrelError INVALID_CONFIG when it belongs to another account, INVALID_DATA when
   *   the file is not a readable journal
   */
  constructor(options: SqliteJournalOptions) {
    this.readOnly = options.readOnly === true;
    try {
      this.db = new Database(options.path, {
        readonly: this.readOnly,
        fileMustExist: this.readOnly,
      });
      if (!this.readOnly) {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
        this.db.exec(`
          CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
          CREATE TABLE IF NOT EXISTS instruments (key TEXT PRIMARY KEY, spec TEXT NOT NULL);
          CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, crc INTEGER NOT NULL);
        `);
      }
    } catch (error) {
      throw new KestrelError(
        'INVALID_DATA',
        `${options.path}: not a readable journal (${(error as Error).message})`,
        {
          field: 'journal',
          value: options.path,
          cause: error,
        },
      );
    }
    const meta = new Map(
      (
        this.db.prepare('SELECT key, value FROM meta').all() as Array<{
          key: string;
          value: string;
        }>
      ).map((r) => [r.key, r.value]),
    );
    const stored = { exchange: meta.get('exchange'), account: meta.get('account') };
    if (stored.exchange === undefined) {
      if (this.readOnly)
        throw new KestrelError('INVALID_DATA', `${options.path}: an empty journal`, {
          field: 'journal',
          value: options.path,
        });
      const put = this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      put.run('format', FORMAT);
      put.run('exchange', options.identity.exchange);
      put.run('account', options.identity.account);
      put.run('created', new Date().toISOString());
      this.identity = options.identity;
    } else if (
      options.identity.exchange !== '*' &&
      (stored.exchange !== options.identity.exchange || stored.account !== options.identity.account)
    ) {
      throw new KestrelError(
        'INVALID_CONFIG',
        `${options.path} is the journal of ${stored.exchange} account ${stored.account}, not of ${options.identity.exchange} account ${options.identity.account}`,
        { field: 'journal', value: options.path },
      );
    } else {
      this.identity = { exchange: stored.exchange, account: stored.account ?? '' };
    }
    for (const row of this.db.prepare('SELECT spec FROM instruments').all() as Array<{
      spec: string;
    }>) {
      this.codec.load(JSON.parse(row.spec) as InstrumentSpec);
    }
    const scan = this.scan();
    this.last = scan.lastValid;
    this.validCount = scan.count;
    if (scan.dropped > 0 && !this.readOnly)
      this.db.prepare('DELETE FROM entries WHERE seq > ?').run(scan.lastValid);
    this.opening = {
      entries: scan.count,
      droppedTail: scan.dropped,
      problem: scan.problem,
      clientIdTag: meta.get('clientIdTag'),
    };
    this.insert = this.readOnly
      ? this.db.prepare('SELECT 1')
      : this.db.prepare('INSERT INTO entries (seq, body, crc) VALUES (?, ?, ?)');
    this.insertInstrument = this.readOnly
      ? this.db.prepare('SELECT 1')
      : this.db.prepare('INSERT OR IGNORE INTO instruments (key, spec) VALUES (?, ?)');
  }

  /** Finds the valid prefix: gapless sequence numbers, matching checksums, decodable bodies */
  private scan(): {
    lastValid: number;
    count: number;
    dropped: number;
    problem: string | undefined;
  } {
    let expected = 1;
    let count = 0;
    let problem: string | undefined;
    let dropped = 0;
    for (const row of this.db
      .prepare('SELECT seq, body, crc FROM entries ORDER BY seq')
      .iterate() as IterableIterator<Row>) {
      if (problem !== undefined) {
        dropped += 1;
        continue;
      }
      if (row.seq !== expected) problem = `entry ${expected} is missing (next is ${row.seq})`;
      else if (crc32(row.body) !== row.crc) problem = `entry ${row.seq} fails its checksum`;
      else {
        try {
          this.codec.decode(row.body);
        } catch (error) {
          problem = `entry ${row.seq} does not decode (${(error as Error).message})`;
        }
      }
      if (problem !== undefined) {
        dropped += 1;
        continue;
      }
      count += 1;
      expected += 1;
    }
    return { lastValid: expected - 1, count, dropped, problem };
  }

  append(event: AccountEvent): number {
    if (this.readOnly) throw new KestrelError('INVALID_CONFIG', 'journal opened read-only');
    this.last += 1;
    this.buffer.push({ seq: this.last, body: this.codec.encode(event) });
    if (!this.scheduled) {
      this.scheduled = true;
      // Everything appended in this synchronous stretch goes out in one transaction
      queueMicrotask(() => this.flushScheduled());
    }
    return this.last;
  }

  private flushScheduled(): void {
    this.scheduled = false;
    const waiters = this.waiters;
    this.waiters = [];
    try {
      this.commit();
      for (const w of waiters) w.resolve();
    } catch (error) {
      for (const w of waiters) w.reject(error);
    }
  }

  commit(): void {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    const fresh = this.codec.takeFresh();
    const write = this.db.transaction(() => {
      for (const instrument of fresh) {
        const spec = instrumentSpec(instrument);
        this.insertInstrument.run(`${spec.exchange}:${spec.symbol}`, JSON.stringify(spec));
      }
      for (const entry of batch) this.insert.run(entry.seq, entry.body, crc32(entry.body));
    });
    write();
    this.validCount += batch.length;
  }

  durable(): Promise<void> {
    if (this.buffer.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  *entries(): Iterable<JournalEntry> {
    const rows = this.db
      .prepare('SELECT seq, body FROM entries WHERE seq <= ? ORDER BY seq')
      .iterate(this.last) as IterableIterator<{ seq: number; body: string }>;
    for (const row of rows) yield { seq: row.seq, event: this.codec.decode(row.body) };
  }

  /** How many entries the journal holds */
  get size(): number {
    return this.validCount + this.buffer.length;
  }

  setClientIdTag(tag: string): void {
    if (this.readOnly) return;
    this.db
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      )
      .run('clientIdTag', tag);
  }

  close(): void {
    if (!this.readOnly) this.commit();
    this.db.close();
  }
}
