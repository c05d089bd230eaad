import { KestrelError } from '../core/errors.ts';
import type { MarketEvent } from '../core/market-data.ts';
import { createBookFormat, isJsonLine } from './book-reader.ts';
import type { DataFormat, ProgressSource, ResolveInstrument } from './csv-reader.ts';
import { createCsvFormat, headerNames } from './csv-reader.ts';
import { createDepthFormat, isDepthHeader } from './depth-reader.ts';
import { dataError, openLineReader } from './line-reader.ts';

export interface DataFileOptions {
  readonly path: string;
  /** Maps the file's symbol (a `symbol` column, else the file name before the first dot) to an instrument */
  readonly resolveInstrument: ResolveInstrument;
}

const BATCH = 4096;

/**
 * The format of a file from its first line: ccxt order-book JSON lines, long-format depth CSV,
 * or trades / quotes CSV; for JSON lines the first line is data too
 */
function formatOf(
  first: string,
  path: string,
  resolveInstrument: ResolveInstrument,
): { readonly format: DataFormat; readonly headerIsData: boolean } {
  const text = first.replace(/^\uFEFF/, '');
  if (isJsonLine(text))
    return { format: createBookFormat(path, resolveInstrument), headerIsData: true };
  if (isDepthHeader(headerNames(text)))
    return { format: createDepthFormat(text, path, resolveInstrument), headerIsData: false };
  return { format: createCsvFormat(text, path, resolveInstrument), headerIsData: false };
}

/**
 * Routes a file's lines: the first chooses the format (and is a row too for JSON lines), every
 * later one goes to `onRow` with it
 */
function routeLines(
  path: string,
  resolveInstrument: ResolveInstrument,
  onRow: (format: DataFormat, text: string, line: number) => void,
): {
  readonly onLine: (text: string, line: number) => void;
  readonly format: () => DataFormat | undefined;
} {
  let format: DataFormat | undefined;
  return {
    onLine(text, line) {
      if (format === undefined) {
        const chosen = formatOf(text, path, resolveInstrument);
        format = chosen.format;
        if (!chosen.headerIsData) return;
      }
      onRow(format, text, line);
    },
    format: () => format,
  };
}

/**
 * Streams market events from a data file, a chunk at a time, never holding the whole file:
 * trades or quotes CSV, long-format depth CSV (book events rebuilt from a snapshot and diffs),
 * or ccxt order-book JSON lines (book events), each optionally gzipped. The format is read from
 * the first line; columns are found by name. Rows must be in time order.
 * @throws KestrelError INVALID_DATA when the file is missing, unreadable or malformed (naming
 * file, line and column, quoting at most 200 characters of a bad line)
 */
export function openDataFile(options: DataFileOptions): ProgressSource {
  const { path, resolveInstrument } = options;
  const reader = openLineReader(path);
  const pending: MarketEvent[] = [];
  const lines = routeLines(path, resolveInstrument, (format, text, line) =>
    format.parse(text, line, pending),
  );
  let done = false;
  return {
    async next() {
      while (pending.length < BATCH && !done) {
        if (!(await reader.pull(lines.onLine))) {
          done = true;
          const format = lines.format();
          if (format === undefined)
            throw new KestrelError('INVALID_DATA', `${reader.file}: the file is empty`, {
              field: 'path',
              value: path,
            });
          format.finish(pending);
        }
      }
      if (pending.length === 0) return undefined;
      return pending.splice(0, pending.length);
    },
    progress: () => reader.progress(),
    close: () => reader.close(),
  };
}

/** The span of time a file covers, and the stretches inside it with no event */
export interface DataRange {
  readonly file: string;
  readonly first: number;
  readonly last: number;
  /** Stretches longer than the scan's threshold between two consecutive rows, [from, to] */
  readonly gaps: ReadonlyArray<readonly [number, number]>;
}

/**
 * Reads only the times of a file's rows: where it starts and ends, and every stretch longer
 * than `maxGapMs` without a row. Cheap next to a full parse (one column per row).
 * @throws KestrelError INVALID_DATA when the file is missing, unreadable, empty or has a row without a time
 */
export async function scanDataFile(
  path: string,
  maxGapMs: number,
  resolveInstrument: ResolveInstrument,
): Promise<DataRange> {
  const reader = openLineReader(path);
  let first = Number.NaN;
  let last = Number.NaN;
  const gaps: Array<[number, number]> = [];
  const lines = routeLines(path, resolveInstrument, (format, text, line) => {
    const time = format.time(text, line);
    if (time === undefined) return;
    if (!Number.isFinite(time)) throw dataError(reader.file, line, 'time', 'no timestamp');
    if (Number.isNaN(first)) first = time;
    else if (time - last > maxGapMs) gaps.push([last, time]);
    if (!(time < last)) last = time;
  });
  try {
    while (await reader.pull(lines.onLine)) {}
  } finally {
    await reader.close();
  }
  if (Number.isNaN(first))
    throw new KestrelError('INVALID_DATA', `${reader.file}: the file has no rows`, {
      field: 'path',
      value: path,
    });
  return { file: reader.file, first, last, gaps };
}

/** A stretch of the merged data with no event in it, longer than the threshold */
export interface DataGap {
  readonly from: number;
  readonly to: number;
}

/**
 * The stretches longer than `maxGapMs` in which no file has an event, inside [from, to]: where
 * files meant to overlap do not (a trades file from one year merged with quotes from another),
 * or where a recording stops for a while. Pure.
 */
export function findDataGaps(
  ranges: readonly DataRange[],
  maxGapMs: number,
  from = Number.NEGATIVE_INFINITY,
  to = Number.POSITIVE_INFINITY,
): DataGap[] {
  // Each file covers its span minus its own gaps; the union of those pieces is the data
  const pieces: Array<[number, number]> = [];
  for (const range of ranges) {
    let start = range.first;
    for (const [gapFrom, gapTo] of range.gaps) {
      pieces.push([start, gapFrom]);
      start = gapTo;
    }
    pieces.push([start, range.last]);
  }
  pieces.sort((a, b) => a[0] - b[0]);
  const clipped = pieces
    .map(([a, b]): [number, number] => [Math.max(a, from), Math.min(b, to)])
    .filter(([a, b]) => a <= b);
  const gaps: DataGap[] = [];
  let reach = clipped[0]?.[1] ?? Number.NaN;
  for (const [a, b] of clipped.slice(1)) {
    if (a - reach > maxGapMs) gaps.push({ from: reach, to: a });
    reach = Math.max(reach, b);
  }
  return gaps;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The refusal of data with gaps: each gap, then each file with its time range, so the user sees
 * which files do not overlap
 */
export function dataGapError(
  ranges: readonly DataRange[],
  gaps: readonly DataGap[],
  maxGapMs: number,
): KestrelError {
  const hours = (ms: number) => `${Math.round((ms / 3_600_000) * 100) / 100} h`;
  const lines = [
    `the market data has ${gaps.length === 1 ? 'a stretch' : `${gaps.length} stretches`} longer than ${hours(maxGapMs)} with no event (--allow-gaps to run across, --max-gap to change the limit):`,
    ...gaps.slice(0, 5).map((g) => `  gap ${iso(g.from)} → ${iso(g.to)} (${hours(g.to - g.from)})`),
    ...(gaps.length > 5 ? [`  and ${gaps.length - 5} more`] : []),
    'files:',
    ...ranges.map(
      (r) =>
        `  ${r.file}  ${iso(r.first)} → ${iso(r.last)}${r.gaps.length > 0 ? ` (${r.gaps.length} gaps inside)` : ''}`,
    ),
  ];
  const first = gaps[0];
  return new KestrelError('INVALID_DATA', lines.join('\n'), {
    field: 'data',
    value: first === undefined ? undefined : `${iso(first.from)}/${iso(first.to)}`,
  });
}
