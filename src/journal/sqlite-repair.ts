import { existsSync, renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { InstrumentSpec } from '../core/instrument.ts';
import { EventCodec } from './codec.ts';
import { SequenceCheck } from './integrity.ts';
import type { JournalDamage, JournalIdentity } from './journal.ts';
import type { AsideRecord } from './sqlite-file.ts';
import {
  isUnreadable,
  moveAside,
  openJournalFile,
  readHeader,
  readRecords,
} from './sqlite-file.ts';
import { acquireWriterLock } from './writer-lock.ts';

/** What a repair did to a journal before */
export interface RepairRecord {
  readonly at: string;
  readonly action: string;
  readonly detail: string;
}

/** What `checkJournal` found */
export interface JournalCheck {
  readonly path: string;
  readonly identity: JournalIdentity;
  readonly format: number;
  /** Valid entries */
  readonly entries: number;
  readonly damage: readonly JournalDamage[];
  /** What SQLite's own check of the file's structure says, when it is not `ok` */
  readonly structure: readonly string[];
  /** Repairs and cuts done before, oldest first */
  readonly history: readonly RepairRecord[];
}

/** What `repairJournal` did */
export interface JournalRepair {
  readonly path: string;
  /** The damage that was found (and is now accepted) */
  readonly damage: readonly JournalDamage[];
  /** Valid entries kept */
  readonly kept: number;
  /** Damaged records moved aside, and where */
  readonly moved: number;
  readonly movedTo: string | undefined;
  /** The file as it was before, kept untouched */
  readonly backup: string | undefined;
}

interface Scan {
  readonly identity: JournalIdentity;
  readonly format: number;
  readonly meta: ReadonlyMap<string, string>;
  readonly instruments: readonly string[];
  readonly acceptedGaps: readonly { from: number; to: number }[];
  readonly damage: JournalDamage[];
  readonly aside: AsideRecord[];
  readonly structure: string[];
  readonly history: RepairRecord[];
  entries: number;
}

/**
 * Reads a journal through, record by record, without writing: its valid entries, every damaged
 * stretch and the damaged records that can still be read. `keep` sees each valid record.
 */
function scanJournal(path: string, keep?: (seq: number, body: string, crc: number) => void): Scan {
  const { db, close } = openJournalFile(path, { readOnly: true });
  try {
    const header = readHeader(db, path);
    const meta = header?.meta ?? new Map<string, string>();
    const codec = new EventCodec();
    for (const spec of header?.instruments ?? []) codec.load(JSON.parse(spec) as InstrumentSpec);
    const format = Number(meta.get('format') ?? 1);
    const check = new SequenceCheck(format, (body) => codec.decode(body), header?.acceptedGaps);
    const aside: AsideRecord[] = [];
    let entries = 0;
    for (const item of readRecords(db)) {
      if (!('row' in item)) {
        check.unreadable(item.unreadable.from, item.unreadable.to, item.unreadable.reason);
        continue;
      }
      const entry = check.record(item.row);
      if (entry !== undefined) {
        entries += 1;
        keep?.(item.row.seq, item.row.body as string, item.row.crc as number);
      } else {
        const problem = check.damage().at(-1)?.detail ?? 'damaged';
        aside.push({ ...item.row, problem });
      }
    }
    let structure: string[];
    try {
      structure = (db.pragma('quick_check', { simple: false }) as Array<{ quick_check: string }>)
        .map((r) => r.quick_check)
        .filter((r) => r !== 'ok');
    } catch (error) {
      if (!isUnreadable(error)) throw error;
      structure = [(error as Error).message];
    }
    let history: RepairRecord[] = [];
    try {
      history = db
        .prepare('SELECT at, action, detail FROM repairs ORDER BY id')
        .all() as RepairRecord[];
    } catch {
      // A journal from before repairs were recorded, or an unreadable table: no history
    }
    return {
      identity: { exchange: meta.get('exchange') ?? '', account: meta.get('account') ?? '' },
      format,
      meta,
      instruments: header?.instruments ?? [],
      acceptedGaps: header?.acceptedGaps ?? [],
      damage: check.damage(),
      aside,
      structure,
      history,
      entries,
    };
  } finally {
    close();
  }
}

/**
 * Checks a journal file without changing it: every damaged stretch with its range, and whether
 * SQLite finds the file's structure sound.
 * @throws KestrelError INVALID_CONFIG when there is no journal; JOURNAL_DAMAGED when it cannot be
 *   read at all
 */
export function checkJournal(path: string): JournalCheck {
  const scan = scanJournal(path);
  return {
    path,
    identity: scan.identity,
    format: scan.format,
    entries: scan.entries,
    damage: scan.damage,
    structure: scan.structure,
    history: scan.history,
  };
}

/**
 * Repairs a damaged journal: writes a new file holding every valid record under its own number
 * (checksums as they were), moves the damaged records that can still be read aside into
 * `<journal>.damaged.jsonl`, records the damaged ranges as accepted gaps and the repair itself,
 * and keeps the file as it was beside it (`<journal>.pre-repair-<time>`). A journal without
 * damage is left alone. It takes the journal's writer lock, so it never runs beside a writer.
 * @throws KestrelError as `checkJournal`; JOURNAL_LOCKED while a process writes the journal
 */
export function repairJournal(path: string, now: Date = new Date()): JournalRepair {
  const lock = acquireWriterLock(path, 'kestrel journal repair');
  try {
    return repairLocked(path, now);
  } finally {
    lock.release();
  }
}

function repairLocked(path: string, now: Date): JournalRepair {
  const target = `${path}.repairing`;
  rmSync(target, { force: true });
  const fresh = new Database(target);
  let scan: Scan;
  try {
    fresh.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE instruments (key TEXT PRIMARY KEY, spec TEXT NOT NULL);
      CREATE TABLE entries (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, crc INTEGER NOT NULL);
      CREATE TABLE accepted_gaps (from_seq INTEGER NOT NULL, to_seq INTEGER NOT NULL);
      CREATE TABLE repairs (id INTEGER PRIMARY KEY, at TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL);
    `);
    const insert = fresh.prepare('INSERT INTO entries (seq, body, crc) VALUES (?, ?, ?)');
    fresh.exec('BEGIN');
    scan = scanJournal(path, (seq, body, crc) => insert.run(seq, body, crc));
    if (scan.damage.length === 0 && scan.structure.length === 0) {
      fresh.exec('ROLLBACK');
      fresh.close();
      rmSync(target, { force: true });
      return {
        path,
        damage: [],
        kept: scan.entries,
        moved: 0,
        movedTo: undefined,
        backup: undefined,
      };
    }
    const stamp = now.toISOString().replace(/[:.]/g, '-');
    const backup = `${path}.pre-repair-${stamp}`;
    const movedTo =
      scan.aside.length === 0 ? undefined : moveAside(path, scan.aside, 'moved aside by repair');
    const putMeta = fresh.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    for (const [key, value] of scan.meta) putMeta.run(key, value);
    const putInstrument = fresh.prepare(
      'INSERT OR IGNORE INTO instruments (key, spec) VALUES (?, ?)',
    );
    for (const text of scan.instruments) {
      const spec = JSON.parse(text) as InstrumentSpec;
      putInstrument.run(`${spec.exchange}:${spec.symbol}`, text);
    }
    const putGap = fresh.prepare('INSERT INTO accepted_gaps (from_seq, to_seq) VALUES (?, ?)');
    for (const gap of scan.acceptedGaps) putGap.run(gap.from, gap.to);
    for (const damage of scan.damage)
      if (damage.to !== undefined) putGap.run(damage.from, damage.to);
    const putRepair = fresh.prepare('INSERT INTO repairs (at, action, detail) VALUES (?, ?, ?)');
    for (const record of scan.history) putRepair.run(record.at, record.action, record.detail);
    putRepair.run(
      now.toISOString(),
      'repair',
      JSON.stringify({
        damage: scan.damage,
        structure: scan.structure,
        kept: scan.entries,
        moved: scan.aside.map((r) => r.seq),
        movedTo,
        backup,
      }),
    );
    fresh.exec('COMMIT');
    fresh.close();
    // The old file (with its write-ahead log) stays, renamed; the repaired one takes its place
    renameSync(path, backup);
    for (const suffix of ['-wal', '-shm'])
      if (existsSync(`${path}${suffix}`)) renameSync(`${path}${suffix}`, `${backup}${suffix}`);
    renameSync(target, path);
    return {
      path,
      damage: scan.damage,
      kept: scan.entries,
      moved: scan.aside.length,
      movedTo,
      backup,
    };
  } catch (error) {
    if (fresh.open) fresh.close();
    rmSync(target, { force: true });
    throw error;
  }
}
