/**
 * `npm run bench [-- --quick]`: every benchmark, printed as a table and written to
 * bench/results.json. Figures only: a benchmark never fails on a time (machines are noisy);
 * each figure stands beside a baseline measured in the same process.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { formatDecimal } from '../src/core/numeric.ts';
import { benchBacktest } from './backtest.ts';
import { benchCcxtOverhead } from './ccxt-overhead.ts';
import { benchEventApply } from './event-apply.ts';
import type { Figure } from './harness.ts';
import { benchLighterKeys } from './lighter-keys.ts';
import { benchMemory } from './memory.ts';
import { benchNautilusShaped } from './nautilus-shaped.ts';
import { benchScaling } from './scaling.ts';
import { benchStartup } from './startup.ts';
import { benchSubmitPipeline } from './submit-pipeline.ts';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);

const benches: Array<[string, () => Figure[] | Promise<Figure[]>]> = [
  ['startup', () => benchStartup(quick)],
  ['event apply', () => benchEventApply(quick)],
  ['submit pipeline', () => benchSubmitPipeline(quick)],
  ['backtest', () => benchBacktest(quick)],
  ['nautilus-shaped', () => benchNautilusShaped(quick)],
  ['ccxt overhead', () => benchCcxtOverhead(quick)],
  ['lighter keys', () => benchLighterKeys(quick)],
  ['memory', () => benchMemory(quick)],
  ['scaling', () => benchScaling(quick)],
];

function show(value: number): string {
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return formatDecimal(value, Math.abs(value) >= 10 ? 1 : 3);
}

const figures: Figure[] = [];
const started = performance.now();
if ((globalThis as { gc?: unknown }).gc === undefined) {
  process.stderr.write(
    'note: run with --expose-gc (npm run bench does) for exact memory figures\n',
  );
}
for (const [name, run] of benches) {
  if (only !== undefined && !name.includes(only)) continue;
  process.stderr.write(`running ${name}${quick ? ' (quick)' : ''}…\n`);
  figures.push(...(await run()));
}

const rows = figures.map((f) => [
  f.bench,
  f.metric,
  `${show(f.value)} ${f.unit}`.trim(),
  f.target ?? '',
  f.note ?? '',
]);
const header = ['bench', 'metric', 'value', 'target', 'note'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: readonly string[]) =>
  cells
    .map((c, i) => c.padEnd(widths[i]!))
    .join('  ')
    .trimEnd();
process.stdout.write(
  `${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}\n`,
);

const cpu = cpus()[0];
const results = {
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  machine: {
    cpu: cpu?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: process.platform,
  },
  seconds: Math.round((performance.now() - started) / 100) / 10,
  figures,
};
writeFileSync(join(import.meta.dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stderr.write(`wrote bench/results.json in ${results.seconds} s\n`);
