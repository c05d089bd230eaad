import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { KestrelError } from '../core/errors.ts';

/** Who holds a journal's writer lock */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** When the holder took the lock (ISO 8601) */
  readonly since: string;
  /** What it is doing: `kestrel run`, `repair` */
  readonly purpose: string;
}

/** A held writer lock */
export interface WriterLock {
  readonly holder: LockHolder;
  /** The holder before us, when it died holding the lock (its lock was taken over) */
  readonly tookOverFrom: LockHolder | undefined;
  release(): void;
}

export function describeHolder(holder: LockHolder): string {
  return `pid ${holder.pid} on ${holder.host} (${holder.purpose}, since ${holder.since})`;
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the exclusive writer lock of a journal file. The lock is an operating-system lock on
 * `<journal>.lock` (SQLite's, held by a connection in exclusive locking mode), so the kernel
 * releases it the moment its process dies: a lock left by a killed process is simply free, and
 * taking it over is safe. Who holds it (pid, host, start time) is kept in `<journal>.lock.json`
 * for the message a second writer gets.
 * @throws KestrelError JOURNAL_LOCKED naming the holder when another process (or another
 *   journal object in this one) holds it
 */
export function acquireWriterLock(journal: string, purpose: string): WriterLock {
  const infoFile = `${journal}.lock.json`;
  const db = new Database(`${journal}.lock`, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS lock (taken TEXT NOT NULL)');
    db.prepare('INSERT INTO lock (taken) VALUES (?)').run(new Date().toISOString());
    db.exec('COMMIT');
  } catch (error) {
    db.close();
    if ((error as { code?: unknown }).code !== 'SQLITE_BUSY') throw error;
    const holder = readHolder(infoFile);
    throw new KestrelError(
      'JOURNAL_LOCKED',
      `${journal} is being written by ${holder === undefined ? 'another process' : describeHolder(holder)}; one writer per journal: stop it first, or use another journal`,
      { field: 'journal', value: journal, cause: error },
    );
  }
  // Ours now; whatever the file still names died holding it
  const tookOverFrom = readHolder(infoFile);
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    purpose,
  };
  const temp = `${infoFile}.${process.pid}`;
  writeFileSync(temp, `${JSON.stringify(holder)}\n`);
  renameSync(temp, infoFile);
  let held = true;
  return {
    holder,
    tookOverFrom,
    release() {
      if (!held) return;
      held = false;
      // The note goes first: once the lock is free, the next holder writes its own
      rmSync(infoFile, { force: true });
      db.close();
    },
  };
}
