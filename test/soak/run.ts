/**
 * `npm run soak -- [--minutes N] [--venue binanceusdm|bybit|lighter] [--seed N] [--min-orders N]
 * [--min-fills N]`: the long soak, with the figures printed per venue. `--processes N --journal
 * postgres://...` runs N processes on one account and that journal instead (Binance USDⓈ-M, or
 * Lighter with `--venue lighter`: each process its own API key index).
 * Exits 1 when Kestrel and a venue disagree anywhere, or when a venue saw fewer orders or fills
 * than the minimum (default 20 orders and 1 fill a minute): a soak that traded nothing proves
 * nothing.
 */
import { parseArgs } from 'node:util';
import type { SoakVenueName } from './soak.ts';
import { formatSoakReport, runSoak, tooLittleActivity } from './soak.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    venue: { type: 'string' },
    seed: { type: 'string' },
    'min-orders': { type: 'string' },
    'min-fills': { type: 'string' },
    processes: { type: 'string' },
    journal: { type: 'string' },
  },
  strict: true,
});
const minutes = Number(values.minutes ?? 5);
if (!(minutes > 0)) throw new Error(`--minutes must be positive, got ${values.minutes}`);
const names: readonly SoakVenueName[] = ['binanceusdm', 'bybit', 'lighter'];
if (values.venue !== undefined && !names.includes(values.venue as SoakVenueName))
  throw new Error(`--venue must be ${names.join(', ')}, got ${JSON.stringify(values.venue)}`);
const minimum = (flag: 'min-orders' | 'min-fills', perMinute: number): number => {
  const text = values[flag];
  const value = text === undefined ? Math.ceil(perMinute * minutes) : Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`--${flag} must be a whole number ≥ 0, got ${text}`);
  return value;
};
const minOrders = minimum('min-orders', 20);
const minFills = minimum('min-fills', 1);
const venues: SoakVenueName[] =
  values.venue === undefined ? [...names] : [values.venue as SoakVenueName];
let failed = false;
const processes = Number(values.processes ?? 1);
if (processes > 1) {
  if (values.journal === undefined || !/^postgres(ql)?:\/\//.test(values.journal))
    throw new Error('--processes needs --journal postgres://... (the journal they share)');
  const { formatMultiSoakReport, runMultiProcessSoak } = await import('./multi-process.ts');
  const venue = values.venue ?? 'binanceusdm';
  if (venue !== 'binanceusdm' && venue !== 'lighter')
    throw new Error(`--processes runs on binanceusdm or lighter, got --venue ${venue}`);
  const report = await runMultiProcessSoak({
    venue,
    processes,
    journal: values.journal,
    minDurationMs: minutes * 60_000,
    orders: 0,
    kills: 0,
    seed: Number(values.seed ?? Date.now() % 100_000),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatMultiSoakReport(report)}\n`);
  if (report.mismatches.length > 0) failed = true;
  venues.length = 0;
}
for (const venue of venues) {
  const report = await runSoak({
    venue,
    minDurationMs: minutes * 60_000,
    orders: 0,
    kills: 0,
    seed: Number(values.seed ?? Date.now() % 100_000),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatSoakReport(report)}\n`);
  if (report.mismatches.length > 0) failed = true;
  const shortfall = tooLittleActivity(report, { orders: minOrders, fills: minFills });
  if (shortfall !== undefined) {
    process.stdout.write(`  ${shortfall}\n`);
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
