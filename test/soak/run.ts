/**
 * `npm run soak -- [--minutes N] [--venue binanceusdm|bybit|lighter] [--seed N]`: the long soak, with
 * the figures printed per venue. Exits 1 when Kestrel and a venue disagree anywhere.
 */
import { parseArgs } from 'node:util';
import type { SoakVenueName } from './soak.ts';
import { formatSoakReport, runSoak } from './soak.ts';

const { values } = parseArgs({
  options: { minutes: { type: 'string' }, venue: { type: 'string' }, seed: { type: 'string' } },
  strict: true,
});
const minutes = Number(values.minutes ?? 5);
if (!(minutes > 0)) throw new Error(`--minutes must be positive, got ${values.minutes}`);
const names: readonly SoakVenueName[] = ['binanceusdm', 'bybit', 'lighter'];
if (values.venue !== undefined && !names.includes(values.venue as SoakVenueName))
  throw new Error(`--venue must be ${names.join(', ')}, got ${JSON.stringify(values.venue)}`);
const venues = values.venue === undefined ? names : [values.venue as SoakVenueName];
let failed = false;
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
}
process.exitCode = failed ? 1 : 0;
