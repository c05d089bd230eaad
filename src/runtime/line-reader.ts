import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { KestrelError } from '../core/errors.ts';

/** The most of a bad line an error message quotes */
const QUOTE_LIMIT = 200;

/** A line (or field) for an error message: JSON-quoted, cut to QUOTE_LIMIT characters */
export function quoteText(text: string): string {
  if (text.length <= QUOTE_LIMIT) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, QUOTE_LIMIT))}… (${text.length} characters)`;
}

/** A data error at a line (and column) of a file */
export function dataError(
  file: string,
  line: number,
  column: string | undefined,
  problem: string,
): KestrelError {
  const where = column === undefined ? `line ${line}` : `line ${line}, column ${column}`;
  return new KestrelError('INVALID_DATA', `${file}: ${where}: ${problem}`, {
    field: column ?? 'line',
    value: line,
  });
}

/** A text file (gzipped when it ends in .gz) read a chunk of lines at a time */
export interface LineReader {
  readonly path: string;
  /** The file's name, for messages */
  readonly file: string;
  /**
   * Reads the next chunk and hands each complete line (without its line end) to `onLine`, with
   * its 1-based number; resolves false once the whole file has been handed over.
   * @throws KestrelError INVALID_DATA when the file cannot be read
   */
  pull(onLine: (text: string, line: number) => void): Promise<boolean>;
  /** Fraction of the file's bytes read so far, 0..1 */
  progress(): number;
  close(): Promise<void>;
}

/**
 * Opens a text file for reading line by line, never holding more than a chunk of it.
 * @throws KestrelError INVALID_DATA when the file is missing or unreadable
 */
export function openLineReader(path: string): LineReader {
  const file = basename(path);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw new KestrelError(
      'INVALID_DATA',
      `${path}: cannot read the file (${(error as Error).message})`,
      { field: 'path', value: path, cause: error },
    );
  }
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream: Readable = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (error) => stream.destroy(error));
  const chunks = stream[Symbol.asyncIterator]();
  let rest = '';
  let line = 0;
  let done = false;
  return {
    path,
    file,
    async pull(onLine) {
      if (done) return false;
      let result: IteratorResult<Buffer | string>;
      try {
        result = await chunks.next();
      } catch (error) {
        throw new KestrelError(
          'INVALID_DATA',
          `${file}: cannot read the file (${(error as Error).message})`,
          { field: 'path', value: path, cause: error },
        );
      }
      if (result.done) {
        done = true;
        if (rest.length > 0) {
          line += 1;
          onLine(rest.replace(/\r$/, ''), line);
        }
        rest = '';
        return false;
      }
      const text =
        rest + (typeof result.value === 'string' ? result.value : result.value.toString('utf8'));
      let start = 0;
      for (;;) {
        const end = text.indexOf('\n', start);
        if (end < 0) break;
        line += 1;
        onLine(
          text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end),
          line,
        );
        start = end + 1;
      }
      rest = text.slice(start);
      return true;
    },
    progress: () => (size === 0 ? 1 : Math.min(1, raw.bytesRead / size)),
    async close() {
      stream.destroy();
      raw.destroy();
    },
  };
}
