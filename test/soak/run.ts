/**
 * `npm run soak -- [--minutes N] [--venue binanceusdm|lighter] [--seed N]`: the long soak, with
 * the figures printed per venue. `--processes N --journal postgres://...` runs N processes on
 * one account and that journal instead (Binance USDⓈ-M). Exits 1 when Kestrel and a venue
 * disagree anywhere.
 */
import { parseArgs } from 'node:util';
import type { SoakVenueName } from './soak.ts';
import { formatSoakReport, runSoak } from './soak.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    venue: { type: 'string' },
    seed: { type: 'string' },
    processes: { type: 'string' },
    journal: { type: 'string' },
  },
  strict: true,
});
const minutes = Number(values.minutes ?? 5);
if (!(minutes > 0)) throw new Error(`--minutes must be positive, got ${values.minutes}`);
const venues: SoakVenueName[] =
  values.venue === undefined ? ['binanceusdm', 'lighter'] : [values.venue as SoakVenueName];
let failed = false;
const processes = Number(values.processes ?? 1);
if (processes > 1) {
  if (values.journal === undefined || !/^postgres(ql)?:\/\//.test(values.journal))
    throw new Error('--processes needs --journal postgres://... (the journal they share)');
  const { formatMultiSoakReport, runMultiProcessSoak } = await import('./multi-process.ts');
  const report = await runMultiProcessSoak({
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
}
process.exitCode = failed ? 1 : 0;
