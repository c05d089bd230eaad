import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import type { Instrument } from '../src/core/instrument.ts';
import type { MarketDataSource } from '../src/core/market-data.ts';
import { formatDecimal } from '../src/core/numeric.ts';
import { silentLogger } from '../src/engine/logger.ts';
import { runBacktest } from '../src/runtime/backtest.ts';
import { openDataFile } from '../src/runtime/data-file.ts';
import { simInstrument } from '../src/runtime/instruments.ts';
import { mergeSources } from '../src/runtime/merge.ts';
import createQuotingStrategy from '../src/runtime/strategies/quoting.ts';
import { createSyntheticMarket } from '../src/runtime/synthetic-market.ts';
import type { Figure } from './harness.ts';
import { collect } from './harness.ts';

const SHARED_DATA = resolve(import.meta.dirname, '../../shared/data');

interface Dataset {
  readonly name: string;
  /** What the data is, for the events figure */
  readonly about?: string;
  readonly open: () => { source: MarketDataSource; instruments: Instrument[] };
}

function realSample(): Dataset | undefined {
  if (!existsSync(SHARED_DATA)) return undefined;
  return {
    name: 'real BTCUSDT trades + quotes',
    // The two largest real files, of different periods (SOURCES.md): the run replays one after
    // the other, the quotes 14 months after the trades. The overlapping 2024-08-08 files are 10.8
    // minutes and too few orders to weigh an order's cost
    about: 'trades of 2024-10-28, then quotes of 2026-01-01/02',
    open: () => {
      const btc = simInstrument('BTCUSDT');
      const source = mergeSources(
        ['BTCUSDT.trades.csv.gz', 'BTCUSDT.quotes.csv.gz'].map((file) =>
          openDataFile({ path: join(SHARED_DATA, file), resolveInstrument: () => btc }),
        ),
      );
      return { source, instruments: [btc] };
    },
  };
}

function syntheticDay(hours: number): Dataset {
  return {
    name: `synthetic BTCUSDT, ${hours} h`,
    open: () => {
      const btc = simInstrument('BTCUSDT');
      return {
        source: createSyntheticMarket({
          instruments: [btc],
          start: Date.UTC(2026, 0, 1),
          durationMs: hours * 3600_000,
          seed: 1,
        }),
        instruments: [btc],
      };
    },
  };
}

/** Reads the data with nothing downstream: what the data alone costs */
async function passThrough(source: MarketDataSource): Promise<number> {
  let events = 0;
  for (let batch = await source.next(); batch !== undefined; batch = await source.next())
    events += batch.length;
  return events;
}

/** CPU time (user + system) of the process, ms */
function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/**
 * CPU time of the main thread so far, ms, from /proc (Linux; undefined elsewhere): the rest of
 * the process's CPU is V8's worker threads (the optimizing compiler, the parallel and concurrent
 * collector), which `--cpu-prof` does not see
 */
function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // utime and stime, in clock ticks of 10 ms, after the parenthesized command name
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Sums garbage-collection pauses while `run` runs, ms */
async function withGcTime<T>(run: () => Promise<T>): Promise<{ result: T; gcMs: number }> {
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  const result = await run();
  // GC entries are delivered asynchronously: let the last ones arrive
  await new Promise((resolve) => setImmediate(resolve));
  observer.disconnect();
  return { result, gcMs };
}

/**
 * Backtest throughput: the bundled quoting strategy over real and synthetic data, writing its
 * report CSVs, against reading the data alone; CPU per order all in; the GC share of the run.
 *
 * The real data runs first, in a process that has run nothing yet: its figures include the
 * optimizing compiler's work on the whole engine (0.6–1.3 s of CPU on this machine, most of
 * it on V8's worker threads), which the synthetic day, run next, no longer pays. So the real data
 * runs once more at the end, the engine compiled, and both are reported: the first is what a
 * `kestrel run` of that data costs, the second what each of its orders costs.
 */
export async function benchBacktest(quick: boolean): Promise<Figure[]> {
  const figures: Figure[] = [];
  const real = realSample();
  if (real === undefined) {
    figures.push({
      bench: 'backtest',
      metric: 'real sample',
      value: 0,
      unit: '',
      note: 'skipped: ../shared/data is absent',
    });
  }
  // `idle`: also run the data with a strategy that never trades (once per dataset)
  const runs: Array<{ readonly dataset: Dataset; readonly idle: boolean }> = [
    ...(real === undefined ? [] : [{ dataset: real, idle: true }]),
    { dataset: syntheticDay(quick ? 2 : 24), idle: true },
    ...(real === undefined
      ? []
      : [{ dataset: { ...real, name: `${real.name}, warm` }, idle: false }]),
  ];
  for (const [i, { dataset, idle: runIdle }] of runs.entries()) {
    // What the CPU per order includes: compiling the engine or not
    const cpuNote = i === 0 ? 'the first run in the process' : 'the engine compiled';
    const read = dataset.open();
    const readStart = performance.now();
    const readCpu = process.cpuUsage();
    const readEvents = await passThrough(read.source);
    const readMs = performance.now() - readStart;
    const readCpuMs = cpuMs(readCpu);
    // A full collection before the first run only. Between runs it would find no live object of
    // the engine's classes: V8 then drops their hidden classes and throws away every function
    // compiled against them (136 before the synthetic day), so "the engine compiled" would pay
    // compiling again, as no `kestrel run` or sweep does (their collections come mid-run, while
    // the run's objects hold the classes alive)
    if (i === 0) collect();
    let peak = process.memoryUsage().rss;
    let peakHeap = process.memoryUsage().heapUsed;
    const { source, instruments } = dataset.open();
    const outDir = mkdtempSync(join(tmpdir(), 'kestrel-bench-'));
    const runCpu = process.cpuUsage();
    const mainBefore = mainThreadCpuMs();
    const { result: report, gcMs } = await withGcTime(() =>
      runBacktest({
        strategy: createQuotingStrategy(),
        // The edge the figures in BENCHMARKS.md were measured with (the default now quotes wider)
        params: { edgeBps: '1.5' },
        source,
        instruments,
        logger: silentLogger,
        // The report's CSVs are written as `kestrel run` writes them: they are part of the cost
        outDir,
        onProgress: () => {
          const usage = process.memoryUsage();
          peak = Math.max(peak, usage.rss);
          peakHeap = Math.max(peakHeap, usage.heapUsed);
        },
      }),
    );
    const runCpuMs = cpuMs(runCpu);
    const mainAfter = mainThreadCpuMs();
    const mainMs =
      mainBefore === undefined || mainAfter === undefined ? undefined : mainAfter - mainBefore;
    rmSync(outDir, { recursive: true, force: true });
    const perSecond = report.marketEvents / (report.wallMs / 1000);
    figures.push(
      {
        bench: 'backtest',
        metric: `${dataset.name}: market events`,
        value: report.marketEvents,
        unit: 'events',
        note: `${report.orders} orders, ${report.fills} fills${dataset.about === undefined ? '' : `; ${dataset.about}`}`,
      },
      {
        bench: 'backtest',
        metric: `${dataset.name}: throughput`,
        value: perSecond,
        unit: 'events/s',
        target: '≥ 1 000 000',
      },
      {
        bench: 'backtest',
        metric: `${dataset.name}: orders`,
        value: report.orders / (report.wallMs / 1000),
        unit: 'orders/s',
      },
      {
        bench: 'backtest',
        metric: `${dataset.name}: reading the data alone`,
        value: readEvents / (readMs / 1000),
        unit: 'events/s',
      },
      {
        bench: 'backtest',
        metric: `${dataset.name}: CPU per order, all in`,
        value: (runCpuMs * 1000) / report.orders,
        unit: 'µs',
        target: '≤ 10',
        note: `${Math.round(runCpuMs)} ms CPU, CSVs written; ${cpuNote}`,
      },
      {
        bench: 'backtest',
        metric: `${dataset.name}: ratio to reading alone, CPU`,
        value: runCpuMs / readCpuMs,
        unit: '×',
        target: '≤ 2',
        note: `wall ${formatDecimal(report.wallMs / readMs, 2)} ×; reading alone ${Math.round(readCpuMs)} ms CPU`,
      },
      ...(mainMs === undefined
        ? []
        : [
            {
              bench: 'backtest',
              metric: `${dataset.name}: CPU off the main thread`,
              value: (100 * (runCpuMs - mainMs)) / runCpuMs,
              unit: '% of CPU',
              note: `main thread ${Math.round(mainMs)} ms, V8's workers (compiler, collector) ${Math.round(runCpuMs - mainMs)} ms`,
            },
          ]),
      {
        bench: 'backtest',
        metric: `${dataset.name}: GC share`,
        value: (100 * gcMs) / report.wallMs,
        unit: '% of wall time',
        target: '< 10',
        note: `${Math.round(gcMs)} ms of pauses`,
      },
      {
        bench: 'backtest',
        metric: `${dataset.name}: peak heap`,
        value: peakHeap / 2 ** 20,
        unit: 'MiB',
        note:
          i === 0
            ? 'heap used at its highest; collected before the run'
            : 'heap used at its highest; the runs before may leave garbage',
      },
      {
        bench: 'backtest',
        metric: `${dataset.name}: peak RSS`,
        value: peak / 2 ** 20,
        unit: 'MiB',
      },
    );
    // The same data through the same engine with a strategy that never trades: what the
    // order flow above costs, by difference
    if (!runIdle) continue;
    const idle = dataset.open();
    const idleReport = await runBacktest({
      strategy: { name: 'watch-only', onQuote: () => {}, onTrade: () => {} },
      source: idle.source,
      instruments: idle.instruments,
      logger: silentLogger,
    });
    figures.push({
      bench: 'backtest',
      metric: `${dataset.name}: strategy that never trades`,
      value: idleReport.marketEvents / (idleReport.wallMs / 1000),
      unit: 'events/s',
      note: 'the engine without order flow',
    });
  }
  return figures;
}
