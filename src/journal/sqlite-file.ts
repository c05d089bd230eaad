/**
 * Reading a SQLite journal file defensively: opening it without writing anything, reading its
 * header tables, and reading its records past damaged stretches, so that one bad page costs the
 * records on it and nothing else. No raw SqliteError leaves this file: what the storage cannot
 * read becomes a typed error or an `unreadable` stretch.
 */
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { KestrelError } from '../core/errors.ts';
import type { AcceptedGap, StoredRecord } from './integrity.ts';

/** What the header tables of a journal hold */
export interface JournalFileHeader {
  readonly meta: ReadonlyMap<string, string>;
  readonly instruments: readonly string[];
  readonly acceptedGaps: readonly AcceptedGap[];
}

/** Whether the storage said it cannot read what it holds (as opposed to a busy or full disk) */
export function isUnreadable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    typeof code === 'string' &&
    (code.startsWith('SQLITE_CORRUPT') ||
      code.startsWith('SQLITE_NOTADB') ||
      code.startsWith('SQLITE_FORMAT') ||
      code.startsWith('SQLITE_IOERR'))
  );
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The typed error for a file that cannot be read as a journal at all */
function unreadableJournal(path: string, error: unknown): KestrelError {
  return new KestrelError(
    'JOURNAL_DAMAGED',
    `${path} is not a readable journal (${reason(error)}); if it was one, keep the file and start a new journal`,
    { field: 'journal', value: path, cause: error },
  );
}

const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * Opens a journal file. For writing, a missing or empty file becomes a new journal, and
 * anything else must start like a SQLite database; nothing is written here.
 * @throws KestrelError INVALID_CONFIG when there is no file to read; JOURNAL_DAMAGED when the
 *   file is not a readable database
 */
export function openJournalFile(
  path: string,
  options: { readonly readOnly: boolean },
): { readonly db: Database.Database; readonly created: boolean; readonly close: () => void } {
  const present = existsSync(path) && statSync(path).size > 0;
  if (!present && options.readOnly)
    throw new KestrelError('INVALID_CONFIG', `there is no journal at ${path}`, {
      field: 'journal',
      value: path,
    });
  let file = path;
  let copy: string | undefined;
  if (present) {
    const header = Buffer.alloc(100);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, header, 0, header.length, 0);
    } finally {
      closeSync(fd);
    }
    if (header.subarray(0, SQLITE_MAGIC.length).toString('latin1') !== SQLITE_MAGIC)
      throw unreadableJournal(path, new Error('file is not a database'));
    const expected = expectedSize(header);
    if (expected > statSync(path).size) {
      // SQLite refuses a file shorter than its header says; a copy padded with empty pages
      // reads up to where the file ends, and the rest is reported unreadable
      copy = join(mkdtempSync(join(tmpdir(), 'kestrel-journal-read-')), basename(path));
      copyFileSync(path, copy);
      truncateSync(copy, expected);
      if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
      file = copy;
    }
  }
  const removeCopy = () => {
    if (copy !== undefined) rmSync(dirname(copy), { recursive: true, force: true });
  };
  try {
    const db = new Database(file, {
      readonly: options.readOnly || copy !== undefined,
      fileMustExist: options.readOnly,
      // A write that cannot get SQLite's lock fails fast and is retried, never blocking the loop
      timeout: 100,
    });
    return {
      db,
      created: !present,
      close: () => {
        if (db.open) db.close();
        removeCopy();
      },
    };
  } catch (error) {
    removeCopy();
    throw unreadableJournal(path, error);
  }
}

/** The size a SQLite file's header says it has, when the header vouches for it (else 0) */
function expectedSize(header: Buffer): number {
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65_536 : rawPageSize;
  const pages = header.readUInt32BE(28);
  const valid = header.readUInt32BE(92) === header.readUInt32BE(24);
  return valid ? pages * pageSize : 0;
}

/**
 * Reads the header tables (meta, instruments, the gaps a repair accepted).
 * @throws KestrelError INVALID_CONFIG for a database that is not a journal; JOURNAL_DAMAGED when
 *   they cannot be read
 */
export function readHeader(db: Database.Database, path: string): JournalFileHeader | undefined {
  try {
    const tables = new Set(
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[],
    );
    if (tables.size === 0) return undefined;
    if (!tables.has('meta') || !tables.has('entries'))
      throw new KestrelError(
        'INVALID_CONFIG',
        `${path} is a SQLite database but not a Kestrel journal`,
        { field: 'journal', value: path },
      );
    const meta = new Map(
      (
        db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>
      ).map((r) => [r.key, r.value]),
    );
    const instruments = tables.has('instruments')
      ? (db.prepare('SELECT spec FROM instruments').pluck().all() as string[])
      : [];
    const acceptedGaps = tables.has('accepted_gaps')
      ? (
          db
            .prepare('SELECT from_seq, to_seq FROM accepted_gaps ORDER BY from_seq')
            .all() as Array<{
            from_seq: number;
            to_seq: number;
          }>
        ).map((g) => ({ from: g.from_seq, to: g.to_seq }))
      : [];
    return { meta, instruments, acceptedGaps };
  } catch (error) {
    if (error instanceof KestrelError) throw error;
    throw new KestrelError(
      'JOURNAL_DAMAGED',
      `${path}: the journal's header cannot be read (${reason(error)}); keep the file and start a new journal`,
      { field: 'journal', value: path, cause: error },
    );
  }
}

/** A record read back, or a stretch the storage could not read */
export type ReadItem =
  | { readonly row: StoredRecord }
  | {
      readonly unreadable: {
        readonly from: number;
        readonly to: number | undefined;
        readonly reason: string;
      };
    };

/**
 * Reads every record in sequence order. Where the storage fails (a garbled page, a truncated
 * file), it finds the next record it can read by seeking past the bad stretch, reports the
 * stretch, and goes on: records on healthy pages are always read.
 */
export function* readRecords(db: Database.Database, after = 0): Generator<ReadItem> {
  // `>=`: a cursor placed by `>` on the last good number would step through the bad page again
  const scan = db.prepare('SELECT seq, body, crc FROM entries WHERE seq >= ? ORDER BY seq');
  const seek = db.prepare('SELECT seq FROM entries WHERE seq >= ? ORDER BY seq LIMIT 1').pluck();
  let highest: number | undefined;
  try {
    highest = (db.prepare('SELECT max(seq) FROM entries').pluck().get() as number | null) ?? 0;
  } catch (error) {
    if (!isUnreadable(error)) throw error;
  }
  let last = after;
  let start = after + 1;
  for (;;) {
    let failure: unknown;
    let read = false;
    try {
      for (const row of scan.iterate(start) as IterableIterator<StoredRecord>) {
        last = row.seq;
        read = true;
        yield { row };
      }
      return;
    } catch (error) {
      if (!isUnreadable(error)) throw error;
      failure = error;
    }
    // Probe past the last number read, or past the resume point when nothing could be read
    const next = nextReadable(seek, read ? last : start, highest);
    yield {
      unreadable: {
        from: last + 1,
        to: next === undefined ? undefined : next - 1,
        reason: reason(failure),
      },
    };
    if (next === undefined) return;
    start = next;
  }
}

/**
 * The first record number past `last` whose page can be read: probes forward (steps doubling up
 * to 64 while below the highest number, doubling on when that is unknown), then narrows down
 */
function nextReadable(
  seek: Database.Statement,
  last: number,
  highest: number | undefined,
): number | undefined {
  const probe = (x: number): number | undefined | 'bad' => {
    try {
      return (seek.get(x) as number | undefined) ?? undefined;
    } catch (error) {
      if (!isUnreadable(error)) throw error;
      return 'bad';
    }
  };
  let bad = last;
  let step = 1;
  for (;;) {
    const x = bad + step;
    if (x > Number.MAX_SAFE_INTEGER || (highest !== undefined && x > highest)) return undefined;
    const found = probe(x);
    if (found === 'bad') {
      bad = x;
      step = highest !== undefined ? Math.min(step * 2, 64) : step * 2;
      continue;
    }
    if (found === undefined) return undefined;
    // Narrow down: the smallest x in (bad, x] that reads
    let low = bad;
    let high = x;
    let first = found;
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      const at = probe(mid);
      if (at === 'bad') low = mid;
      else {
        high = mid;
        if (at !== undefined) first = Math.min(first, at);
      }
    }
    return first;
  }
}

/** One damaged record as kept beside the journal */
export interface AsideRecord {
  readonly seq: number;
  readonly body: unknown;
  readonly crc: unknown;
  readonly problem: string;
}

/**
 * Appends damaged records to `<journal>.damaged.jsonl` (one JSON object a line, bodies exactly
 * as stored) and syncs it to disk; returns the file's path
 */
export function moveAside(path: string, records: readonly AsideRecord[], action: string): string {
  const file = `${path}.damaged.jsonl`;
  const at = new Date().toISOString();
  const text = records
    .map((r) =>
      JSON.stringify({
        seq: r.seq,
        problem: r.problem,
        action,
        at,
        crc: r.crc,
        ...(Buffer.isBuffer(r.body) ? { bodyBase64: r.body.toString('base64') } : { body: r.body }),
      }),
    )
    .join('\n');
  const fd = openSync(file, 'a');
  try {
    writeSync(fd, `${text}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return file;
}
