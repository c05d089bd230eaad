import type Database from 'better-sqlite3';
import { KestrelError } from '../core/errors.ts';
import type { AccountEvent } from '../core/events.ts';
import type { InstrumentSpec } from '../core/instrument.ts';
import { instrumentSpec } from '../core/instrument.ts';
import { EventCodec } from './codec.ts';
import type { AcceptedGap } from './integrity.ts';
import { describeDamage, recordChecksum, SequenceCheck } from './integrity.ts';
import type {
  Journal,
  JournalBacklog,
  JournalDamage,
  JournalEntry,
  JournalHealth,
  JournalIdentity,
  JournalOpening,
} from './journal.ts';
import type { AsideRecord, JournalFileHeader } from './sqlite-file.ts';
import { moveAside, openJournalFile, readHeader, readRecords } from './sqlite-file.ts';
import type { PendingRecord } from './write-queue.ts';
import { WriteQueue } from './write-queue.ts';
import type { WriterLock } from './writer-lock.ts';
import { acquireWriterLock, describeHolder } from './writer-lock.ts';

/** The record format new journals are written in (2: checksums cover the sequence number) */
const FORMAT = 2;

export interface SqliteJournalOptions {
  readonly path: string;
  /** Whose journal it must be; `{ exchange: '*' }` accepts any (readers) */
  readonly identity: JournalIdentity;
  /**
   * `normal` (default): every commit survives the process dying (SIGKILL, a crash); `full` also
   * survives the machine losing power, at the cost of an fsync per commit
   */
  readonly sync?: 'normal' | 'full';
  /** Open an existing journal only, to read it; never creates, cuts or writes anything */
  readonly readOnly?: boolean;
  /** The owner of the orders (their clientId prefix); default `k` */
  readonly owner?: string;
  /** The clientId instance tag to record when the journal has none yet */
  readonly clientIdTag?: string;
  /** How long a failing write is retried before the journal is declared failed, ms; default 10 000 */
  readonly giveUpAfterMs?: number;
}

/** The valid entries of a SQLite journal, readable both synchronously and asynchronously */
export interface SqliteEntries extends Iterable<JournalEntry>, AsyncIterable<JournalEntry> {}

/**
 * The embedded journal: SQLite in WAL mode. Appends within an event-loop turn go out in one
 * transaction; each record carries a checksum of its number and body, and numbers are gapless.
 * Opening checks every record: an incomplete last record (a torn write) is cut and kept aside;
 * any other damage is reported with its range and the journal is not written until repaired
 * (`repairJournal`), so damage never costs a valid record. One process writes a journal at a
 * time: opening it for writing takes its writer lock.
 */
export class SqliteJournal implements Journal {
  readonly identity: JournalIdentity;
  readonly opening: JournalOpening;
  readonly path: string;
  private readonly db: Database.Database;
  private readonly codec = new EventCodec();
  private readonly format: number;
  private readonly readOnly: boolean;
  private readonly acceptedGaps: readonly AcceptedGap[];
  private readonly queue: WriteQueue | undefined;
  private last: number;
  /** Instruments encoded but not yet written (kept across a failed write) */
  private unwrittenInstruments: InstrumentSpec[] = [];
  private closed = false;
  private readonly closeFile: () => void;

  /**
   * Opens (or creates) a journal.
   * @throws KestrelError INVALID_CONFIG when it belongs to another account or is not a journal;
   *   JOURNAL_DAMAGED when it cannot be read, or (for writing) holds damage other than a torn tail;
   *   JOURNAL_LOCKED (for writing) when another writer holds it, naming that writer
   */
  constructor(options: SqliteJournalOptions) {
    this.path = options.path;
    this.readOnly = options.readOnly === true;
    const { db, close } = openJournalFile(options.path, { readOnly: this.readOnly });
    let lock: WriterLock | undefined;
    try {
      lock = this.readOnly ? undefined : acquireWriterLock(options.path, 'kestrel journal writer');
    } catch (error) {
      close();
      throw error;
    }
    this.db = db;
    this.closeFile = () => {
      close();
      lock?.release();
    };
    try {
      const header = readHeader(db, options.path);
      if (header === undefined && this.readOnly)
        throw new KestrelError('INVALID_CONFIG', `${options.path} is an empty journal`, {
          field: 'journal',
          value: options.path,
        });
      this.identity = this.checkIdentity(header, options);
      this.format = Number(header?.meta.get('format') ?? FORMAT);
      this.acceptedGaps = header?.acceptedGaps ?? [];
      for (const spec of header?.instruments ?? [])
        this.codec.load(JSON.parse(spec) as InstrumentSpec);
      // Everything is checked before anything is written
      const check = header === undefined ? { entries: 0, damage: [], highest: 0 } : this.check();
      let damage = check.damage;
      // Past every number used, those a repair moved aside included
      this.last = Math.max(check.highest, ...this.acceptedGaps.map((g) => g.to));
      const torn = damage.at(-1)?.kind === 'torn' ? damage.at(-1) : undefined;
      if (!this.readOnly) {
        const serious = damage.filter((d) => d.kind !== 'torn');
        if (serious.length > 0) throw damaged(options.path, serious);
        this.prepareForWriting(header, options);
        if (torn !== undefined) {
          this.cutTornTail(torn);
          this.last = torn.from - 1;
        }
      }
      damage = [...damage];
      const meta = header?.meta;
      this.opening = {
        entries: check.entries,
        damage,
        owner: options.owner ?? 'k',
        clientIdTag: meta?.get('clientIdTag') ?? (this.readOnly ? undefined : options.clientIdTag),
        tookOverFrom:
          lock?.tookOverFrom === undefined ? undefined : describeHolder(lock.tookOverFrom),
      };
    } catch (error) {
      this.closeFile();
      throw error;
    }
    this.queue = this.readOnly
      ? undefined
      : new WriteQueue({
          name: options.path,
          write: (batch) => this.writeBatch(batch),
          giveUpAfterMs: options.giveUpAfterMs,
          written: this.last,
        });
  }

  private checkIdentity(
    header: JournalFileHeader | undefined,
    options: SqliteJournalOptions,
  ): JournalIdentity {
    const exchange = header?.meta.get('exchange');
    const account = header?.meta.get('account') ?? '';
    if (exchange === undefined) return options.identity;
    if (
      options.identity.exchange !== '*' &&
      (exchange !== options.identity.exchange || account !== options.identity.account)
    ) {
      throw new KestrelError(
        'INVALID_CONFIG',
        `${options.path} is the journal of ${exchange} account ${account}, not of ${options.identity.exchange} account ${options.identity.account}`,
        { field: 'journal', value: options.path },
      );
    }
    return { exchange, account };
  }

  /** Sets the connection up for writing and, for a new journal, creates it */
  private prepareForWriting(
    header: JournalFileHeader | undefined,
    options: SqliteJournalOptions,
  ): void {
    const db = this.db;
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS instruments (key TEXT PRIMARY KEY, spec TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, crc INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS accepted_gaps (from_seq INTEGER NOT NULL, to_seq INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS repairs (id INTEGER PRIMARY KEY, at TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL);
    `);
    const put = db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
    db.transaction(() => {
      if (header === undefined) {
        put.run('format', String(FORMAT));
        put.run('exchange', options.identity.exchange);
        put.run('account', options.identity.account);
        put.run('created', new Date().toISOString());
      }
      if (options.clientIdTag !== undefined) put.run('clientIdTag', options.clientIdTag);
    })();
  }

  /** Checks every record; counts the valid ones */
  private check(): { entries: number; damage: readonly JournalDamage[]; highest: number } {
    const check = this.sequenceCheck();
    let entries = 0;
    for (const item of readRecords(this.db)) {
      if ('row' in item) {
        if (check.record(item.row) !== undefined) entries += 1;
      } else check.unreadable(item.unreadable.from, item.unreadable.to, item.unreadable.reason);
    }
    return { entries, damage: check.damage(), highest: check.highest };
  }

  private sequenceCheck(): SequenceCheck {
    return new SequenceCheck(this.format, (body) => this.codec.decode(body), this.acceptedGaps);
  }

  /** Moves the incomplete last record aside and deletes it, recording what was done */
  private cutTornTail(torn: JournalDamage): void {
    const row = this.db
      .prepare('SELECT seq, body, crc FROM entries WHERE seq = ?')
      .get(torn.from) as AsideRecord | undefined;
    if (row === undefined) return;
    const file = moveAside(this.path, [{ ...row, problem: torn.detail }], 'cut as a torn tail');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM entries WHERE seq = ?').run(torn.from);
      this.record('cut torn tail', { seq: torn.from, movedTo: file });
    })();
  }

  private record(action: string, detail: unknown): void {
    this.db
      .prepare('INSERT INTO repairs (at, action, detail) VALUES (?, ?, ?)')
      .run(new Date().toISOString(), action, JSON.stringify(detail));
  }

  /**
   * Appends an event; it is durable after the next write.
   * @throws KestrelError INVALID_CONFIG on a journal opened read-only or closed
   */
  append(event: AccountEvent): number {
    if (this.queue === undefined || this.closed)
      throw new KestrelError(
        'INVALID_CONFIG',
        `journal ${this.path} is ${this.closed ? 'closed' : 'open read-only'}`,
      );
    this.last += 1;
    const body = this.codec.encode(event);
    for (const instrument of this.codec.takeFresh())
      this.unwrittenInstruments.push(instrumentSpec(instrument));
    this.queue.push({ seq: this.last, body, crc: recordChecksum(this.format, this.last, body) });
    return this.last;
  }

  private writeBatch(batch: readonly PendingRecord[]): void {
    const instruments = this.unwrittenInstruments;
    const insertInstrument = this.db.prepare(
      'INSERT OR IGNORE INTO instruments (key, spec) VALUES (?, ?)',
    );
    const insert = this.db.prepare('INSERT INTO entries (seq, body, crc) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (const spec of instruments)
        insertInstrument.run(`${spec.exchange}:${spec.symbol}`, JSON.stringify(spec));
      for (const record of batch) insert.run(record.seq, record.body, record.crc);
    })();
    this.unwrittenInstruments = this.unwrittenInstruments.slice(instruments.length);
  }

  durable(): Promise<void> {
    return this.queue?.durable() ?? Promise.resolve();
  }

  get health(): JournalHealth {
    return this.queue?.health ?? { state: 'ok' };
  }

  backlog(): JournalBacklog {
    return this.queue?.backlog() ?? { entries: 0, oldestMs: 0, written: this.last };
  }

  onHealth(listener: (health: JournalHealth) => void): () => void {
    return this.queue?.onHealth(listener) ?? (() => {});
  }

  /** Every valid entry, in order (damaged ones are skipped; `opening.damage` lists them) */
  entries(): SqliteEntries {
    const read = () => this.readEntries();
    return {
      [Symbol.iterator]: read,
      async *[Symbol.asyncIterator]() {
        yield* read();
      },
    };
  }

  private *readEntries(): Generator<JournalEntry> {
    const check = this.sequenceCheck();
    for (const item of readRecords(this.db)) {
      if (!('row' in item)) {
        check.unreadable(item.unreadable.from, item.unreadable.to, item.unreadable.reason);
        continue;
      }
      if (item.row.seq > this.last) return;
      const entry = check.record(item.row);
      if (entry !== undefined) yield entry;
    }
  }

  /** Closes the file; read-only at once, else after writing what is queued */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    if (this.queue === undefined) {
      this.closeFile();
      return Promise.resolve();
    }
    return this.queue.close().finally(() => this.closeFile());
  }
}

/** The refusal to write a damaged journal, naming each damaged stretch and the way out */
export function damaged(path: string, damage: readonly JournalDamage[]): KestrelError {
  return new KestrelError(
    'JOURNAL_DAMAGED',
    `${path} is damaged: ${damage.map(describeDamage).join('; ')}. Nothing is written to it until it is repaired: \`kestrel journal check ${path}\` shows the damage, \`kestrel journal repair ${path}\` keeps every valid record and moves the damaged ones aside`,
    { field: 'journal', value: path },
  );
}
