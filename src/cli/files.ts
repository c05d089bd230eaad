import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KestrelError } from '../core/errors.ts';
import { UsageError } from './exit-codes.ts';

/** The files a run writes into its output folder */
const RUN_OUTPUTS = [
  'report.html',
  'summary.json',
  'orders.csv',
  'fills.csv',
  'equity.csv',
  'run.log',
] as const;

/**
 * Removes the previous run's outputs from the folder (and nothing else in it), so what the
 * folder holds after a run is that run's alone, complete or marked FAILED
 * @throws UsageError when the folder is a file
 */
export function clearRunOutputs(outDir: string): void {
  if (existsSync(outDir) && !statSync(outDir).isDirectory())
    throw new UsageError(`--out must be a folder, and ${outDir} is a file`);
  mkdirSync(outDir, { recursive: true });
  for (const file of RUN_OUTPUTS) rmSync(join(outDir, file), { force: true });
}

const SQLITE_HEADER = 'SQLite format 3\0';

/**
 * Refuses a journal file that cannot be one before anything connects or writes: a file that is
 * not SQLite. A missing or empty file is fine: it becomes a new journal. (The journal itself
 * checks the same when it opens, after the venue is reached; this says it at once.)
 * @throws KestrelError JOURNAL_DAMAGED naming the file
 */
export function checkJournalFile(path: string): void {
  if (!existsSync(path)) return;
  const notOne = (reason: string) =>
    new KestrelError(
      'JOURNAL_DAMAGED',
      `${path} is not a readable journal (${reason}); if it was one, keep the file and start a new journal`,
      { field: 'journal', value: path },
    );
  if (!statSync(path).isFile()) throw notOne('not a file');
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (read > 0 && header.toString('latin1') !== SQLITE_HEADER)
    throw notOne('file is not a database');
}

/** The report page of a run that failed before it could report anything else */
export function renderFailurePage(message: string): string {
  const text = message.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Kestrel report (FAILED)</title></head>
<body style="font: 14px/1.45 system-ui, sans-serif; margin: 24px">
<h1>Kestrel run report <span style="color: #b91c1c">FAILED</span></h1>
<p>The run failed before it traded: ${text}</p>
</body>
</html>
`;
}
