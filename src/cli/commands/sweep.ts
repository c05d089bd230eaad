import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { KestrelError } from '../../core/errors.ts';
import { BUNDLED_STRATEGIES } from '../../runtime/strategies/bundled.ts';
import { checkParameterNames } from '../../runtime/strategies/params.ts';
import { parseCommandLine, UsageError } from '../exit-codes.ts';
import type { Io } from '../io.ts';
import type { Axis } from '../sweep/grid.ts';
import { combinations, gridSize, parseGrid, runDirName } from '../sweep/grid.ts';
import type { SweepJob } from '../sweep/job.ts';
import type { Metric, SweepRow } from '../sweep/output.ts';
import { METRICS, SweepOutput } from '../sweep/output.ts';
import { BACKTEST_OPTIONS, loadStrategy, parseRunArgs } from './run.ts';

export { SWEEP_USAGE } from './sweep-usage.ts';

import { SWEEP_USAGE } from './sweep-usage.ts';

export interface SweepPlan {
  readonly strategy: string | undefined;
  readonly strategyName: string;
  readonly runArgv: readonly string[];
  readonly axes: readonly Axis[];
  readonly metric: Metric;
  readonly threads: number;
  readonly outDir: string;
  readonly quiet: boolean;
  readonly queue: string | undefined;
  readonly sweepId: string;
}

/**
 * Reads and checks a sweep's command line, the strategy and its parameter names, the data files
 * and the queue URL's form, before anything is written.
 * @throws UsageError or KestrelError INVALID_ARGUMENT (exit 2), StrategyLoadError (4),
 * KestrelError INVALID_DATA (3)
 */
async function planSweep(argv: readonly string[], cwd: string): Promise<SweepPlan | 'help'> {
  const parsed = parseCommandLine(
    argv,
    {
      param: { type: 'string', multiple: true },
      ...BACKTEST_OPTIONS,
      metric: { type: 'string' },
      jobs: { type: 'string' },
      out: { type: 'string' },
      queue: { type: 'string' },
      quiet: { type: 'boolean' },
    },
    true,
  );
  if (parsed.help) return 'help';
  const values = parsed.values;
  if (parsed.positionals.length > 1)
    throw new UsageError(`expected at most one strategy, got ${parsed.positionals.join(' ')}`);
  const metric = (values['metric'] as string | undefined) ?? 'sharpe';
  if (!(METRICS as readonly string[]).includes(metric))
    throw new KestrelError(
      'INVALID_ARGUMENT',
      `--metric ${JSON.stringify(metric)} is not one of ${METRICS.join(', ')}`,
      { field: 'metric', value: metric },
    );
  const jobsText = values['jobs'] as string | undefined;
  const threads = jobsText === undefined ? availableParallelism() : Number(jobsText);
  if (!Number.isInteger(threads) || threads < 1)
    throw new KestrelError(
      'INVALID_ARGUMENT',
      `--jobs must be a whole number above 0, got ${JSON.stringify(jobsText)}`,
      { field: 'jobs', value: jobsText },
    );
  const axes = parseGrid((values['param'] as string[] | undefined) ?? []);

  const runArgv: string[] = [];
  // The run options every combination shares, passed through to each run's `kestrel run` line
  for (const name of Object.keys(BACKTEST_OPTIONS)) {
    const value = values[name];
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [String(value)]) {
      const text =
        name === 'data'
          ? v
              .split(',')
              .map((f) => f.trim())
              .filter((f) => f !== '')
              .map((f) => (isAbsolute(f) ? f : resolve(cwd, f)))
              .join(',')
          : v;
      runArgv.push(`--${name}`, text);
    }
  }
  const runOptions = parseRunArgs(runArgv);
  if (runOptions === 'help') return 'help';
  for (const file of runOptions.data)
    if (!existsSync(file))
      throw new KestrelError('INVALID_DATA', `data file not found: ${file}`, {
        field: 'data',
        value: file,
      });

  const given = parsed.positionals[0];
  const asFile = given === undefined ? undefined : isAbsolute(given) ? given : resolve(cwd, given);
  const strategyRef =
    given === undefined || (BUNDLED_STRATEGIES[given] !== undefined && !existsSync(asFile!))
      ? given
      : asFile;
  const strategy = await loadStrategy(strategyRef, cwd);
  checkParameterNames(
    strategy,
    axes.map((a) => a.name),
  );

  const queue = values['queue'] as string | undefined;
  if (queue !== undefined && !/^rediss?:\/\/[^\s/]+/.test(queue))
    throw new KestrelError(
      'INVALID_ARGUMENT',
      `--queue must be a Redis URL such as redis://host:6379, got ${JSON.stringify(queue)}`,
      { field: 'queue', value: queue },
    );
  const out = (values['out'] as string | undefined) ?? 'kestrel-sweep';
  return {
    strategy: strategyRef,
    strategyName: strategy.name ?? 'strategy',
    runArgv,
    axes,
    metric: metric as Metric,
    threads: Math.min(threads, gridSize(axes)),
    outDir: isAbsolute(out) ? out : resolve(cwd, out),
    quiet: values['quiet'] === true,
    queue,
    sweepId: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
  };
}

/** Every job of a plan, made one at a time */
export function* sweepJobs(plan: SweepPlan, withDirs: boolean): Generator<SweepJob> {
  for (const combination of combinations(plan.axes)) {
    const dirName = runDirName(combination);
    yield {
      sweepId: plan.sweepId,
      index: combination.index,
      params: combination.params,
      strategy: plan.strategy,
      runArgv: plan.runArgv,
      dirName,
      dir: withDirs ? resolve(plan.outDir, 'runs', dirName) : undefined,
    };
  }
}

function describe(row: SweepRow | undefined, plan: SweepPlan): string {
  if (row === undefined) return 'none';
  const value = row.figures?.[plan.metric];
  const params = Object.entries(row.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `${plan.metric} ${value === null || value === undefined ? 'n/a' : Number(value.toFixed(4))} (${params})`;
}

/** A one-line progress bar for a sweep, redrawn at most ten times a second */
export class SweepProgress {
  private readonly io: Io;
  private readonly total: number;
  private readonly started = performance.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(io: Io, total: number) {
    this.io = io;
    this.total = total;
  }

  update(done: number, failed: number, best: string, force = false): void {
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = Math.max(10, Math.min(30, this.io.columns - 70));
    const filled = Math.round((done / this.total) * width);
    const elapsed = (now - this.started) / 1000;
    const eta = done > 0 ? ` eta ${Math.round((elapsed * (this.total - done)) / done)}s` : '';
    this.io.stderr(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} runs${failed > 0 ? `, ${failed} failed` : ''}  ${Math.round(elapsed)}s${eta}  best ${best}\x1b[K`,
    );
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.io.stderr('\r\x1b[K');
  }
}

/** Prints the end of a sweep and gives its exit code: 0 when a run succeeded, 4 when all failed */
export function finishSweep(output: SweepOutput, plan: SweepPlan, io: Io, wallMs: number): number {
  const ranked = output.finish(`Kestrel sweep: ${plan.strategyName}`);
  const failed = ranked.filter((r) => r.status === 'failed');
  io.stdout(
    `${ranked.length} runs in ${Math.round(wallMs / 100) / 10} s, ${failed.length} failed; best ${describe(ranked[0], plan)}\n`,
  );
  for (const row of ranked.slice(0, 5).filter((r) => r.status === 'ok'))
    io.stdout(`  ${describe(row, plan)}  ${plan.outDir}/runs/${row.dirName}/report.html\n`);
  if (failed.length > 0) io.stdout(`  first failure: ${failed[0]!.error}\n`);
  io.stdout(`sweep.csv and sweep.html in ${plan.outDir}\n`);
  return failed.length === ranked.length ? 4 : 0;
}

/** Runs `kestrel sweep`; returns the exit code */
export async function sweepCommand(argv: readonly string[], io: Io): Promise<number> {
  const plan = await planSweep(argv, io.cwd);
  if (plan === 'help') {
    io.stdout(SWEEP_USAGE);
    return 0;
  }
  if (plan.queue !== undefined) {
    const { sweepOnQueue } = await import('../sweep/queue.ts');
    return sweepOnQueue(plan, io);
  }
  const { runOnThreads } = await import('../sweep/pool.ts');
  const started = performance.now();
  const output = new SweepOutput(plan.outDir, plan.axes, plan.metric);
  const total = gridSize(plan.axes);
  const bar = !plan.quiet && io.isTTY ? new SweepProgress(io, total) : undefined;
  let failed = 0;
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  try {
    await runOnThreads(sweepJobs(plan, true), {
      threads: plan.threads,
      cwd: io.cwd,
      signal: abort.signal,
      onResult: (result) => {
        if (output.add(result) && result.status === 'failed') failed += 1;
        bar?.update(output.count, failed, describe(output.best(), plan));
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    bar?.done();
  }
  return finishSweep(output, plan, io, performance.now() - started);
}
