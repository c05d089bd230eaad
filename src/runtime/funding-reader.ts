import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { KestrelError } from '../core/errors.ts';
import type { FundingSchedule } from '../venues/sim/funding.ts';
import { findColumn, headerNames, parseTimestamp, symbolFromFileName } from './csv-reader.ts';
import { dataError } from './line-reader.ts';

const TIME = [
  'time',
  'timestamp',
  'ts',
  'datetime',
  'date',
  'funding_time',
  'fundingtime',
  'calc_time',
];
const RATE = ['rate', 'funding_rate', 'fundingrate', 'last_funding_rate', 'lastfundingrate'];
const SYMBOL = ['symbol', 'instrument', 'market'];

/**
 * Reads a funding-rate history: a CSV or CSV.gz file with a header row naming a time column and
 * a rate column (found by name: `time`/`funding_time`/`calc_time`..., `rate`/`funding_rate`/
 * `last_funding_rate`...), and optionally a symbol column; without one the file name before its
 * first dot names the symbol (`BTCUSDT.funding.csv`). Each row is a settlement: its time (epoch
 * s/ms/µs/ns or ISO 8601) and its rate as a fraction of position value (0.0001 is 1 bp;
 * positive: longs pay). Rows are in time order, one per symbol and time.
 * @throws KestrelError INVALID_DATA naming the file, line and column of what is wrong
 */
export function readFundingFile(path: string): Map<string, FundingSchedule> {
  const file = basename(path);
  let text: string;
  try {
    const raw = readFileSync(path);
    text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  } catch (error) {
    throw new KestrelError(
      'INVALID_DATA',
      `${path}: cannot read the funding file (${(error as Error).message})`,
      { field: 'path', value: path, cause: error },
    );
  }
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const header = (lines[0] ?? '').replace(/\r$/, '');
  const names = headerNames(header);
  const timeColumn = findColumn(names, TIME);
  const rateColumn = findColumn(names, RATE);
  const symbolColumn = findColumn(names, SYMBOL);
  for (const [index, column, candidates] of [
    [timeColumn, 'time', TIME],
    [rateColumn, 'rate', RATE],
  ] as const) {
    if (index < 0)
      throw dataError(
        file,
        1,
        column,
        `the header ${JSON.stringify(header)} has no ${column} column (${candidates.join(', ')})`,
      );
  }
  const timeName = names[timeColumn]!;
  const rateName = names[rateColumn]!;
  const fileSymbol = symbolFromFileName(path);
  const tables = new Map<string, { times: number[]; rates: number[] }>();
  let lastTime = Number.NEGATIVE_INFINITY;
  for (let i = 1; i < lines.length; i++) {
    const row = (lines[i] ?? '').replace(/\r$/, '');
    if (row.trim().length === 0) continue;
    const line = i + 1;
    const fields = row.split(',');
    const timeText = fields[timeColumn] ?? '';
    const time = parseTimestamp(timeText);
    if (!Number.isFinite(time))
      throw dataError(file, line, timeName, `${JSON.stringify(timeText)} is not a timestamp`);
    if (time < lastTime)
      throw dataError(
        file,
        line,
        timeName,
        `time goes backwards (${new Date(time).toISOString()} after ${new Date(lastTime).toISOString()})`,
      );
    lastTime = time;
    const rateText = (fields[rateColumn] ?? '').trim();
    const rate = rateText.length === 0 ? Number.NaN : Number(rateText);
    if (!Number.isFinite(rate))
      throw dataError(file, line, rateName, `${JSON.stringify(rateText)} is not a finite rate`);
    if (Math.abs(rate) >= 1)
      throw dataError(
        file,
        line,
        rateName,
        `${rateText} is not a fraction of position value (a percent? 0.01% is 0.0001)`,
      );
    const symbol =
      symbolColumn >= 0 ? (fields[symbolColumn] ?? '').trim() || fileSymbol : fileSymbol;
    let table = tables.get(symbol);
    if (table === undefined) {
      table = { times: [], rates: [] };
      tables.set(symbol, table);
    }
    if (table.times.at(-1) === time)
      throw dataError(
        file,
        line,
        timeName,
        `${symbol} settles twice at ${new Date(time).toISOString()}`,
      );
    table.times.push(time);
    table.rates.push(rate);
  }
  if (tables.size === 0) throw dataError(file, 2, undefined, 'the funding file has no rows');
  const schedules = new Map<string, FundingSchedule>();
  for (const [symbol, { times, rates }] of tables)
    schedules.set(symbol, { type: 'table', times, rates });
  return schedules;
}
