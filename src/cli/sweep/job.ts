/**
 * One run of a sweep, as a job any worker can take (a worker thread here, or a `kestrel worker`
 * on another machine through the queue): everything in it is plain data.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { KestrelError } from '../../core/errors.ts';
import { createLogger } from '../../engine/logger.ts';
import type { RunReport } from '../../runtime/backtest.ts';
import { renderHtmlReport } from '../../runtime/report/html.ts';
import { reportJson } from '../../runtime/report/summary.ts';
import { StrategyFailure } from '../../runtime/strategy.ts';
import { backtestWith, loadStrategy, parseRunArgs } from '../commands/run.ts';
import { StrategyLoadError } from '../exit-codes.ts';

export interface SweepJob {
  readonly sweepId: string;
  readonly index: number;
  readonly params: Readonly<Record<string, string>>;
  /** An absolute strategy file, a bundled strategy's name, or undefined for the default */
  readonly strategy: string | undefined;
  /** The `kestrel run` options every run shares (data paths absolute) */
  readonly runArgv: readonly string[];
  /** The run's folder name under the sweep's runs/ */
  readonly dirName: string;
  /** Where to write the run's report; when absent the files come back in the result */
  readonly dir?: string | undefined;
}

/** The figures a sweep compares runs by */
export interface RunFigures {
  readonly totalReturn: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly calmar: number | null;
  readonly maxDrawdown: number;
  readonly netPnl: number;
  readonly fees: number;
  readonly roundTrips: number;
  readonly winRate: number | null;
  readonly profitFactor: number | null;
  readonly orders: number;
  readonly fills: number;
  readonly marketEvents: number;
}

export interface SweepResult {
  readonly sweepId: string;
  readonly index: number;
  readonly params: Readonly<Record<string, string>>;
  readonly dirName: string;
  readonly status: 'ok' | 'failed';
  readonly error?: string;
  readonly figures?: RunFigures;
  /** report.html and summary.json, gzipped and base64-encoded, when the job had no `dir` */
  readonly files?: Readonly<Record<string, string>>;
  /** The strategy module exports one shared object: run the next job in a fresh worker */
  readonly recycle?: boolean;
}

function figuresOf(report: RunReport): RunFigures {
  const { metrics, drawdown, trades } = report.tearsheet;
  return {
    totalReturn: metrics.totalReturn,
    sharpe: metrics.sharpe,
    sortino: metrics.sortino,
    calmar: metrics.calmar,
    maxDrawdown: drawdown.maxDrawdown,
    netPnl: Math.round((report.endEquity - report.startEquity) * 1e8) / 1e8,
    fees: report.fees[report.currency] ?? 0,
    roundTrips: trades.trades,
    winRate: trades.winRate,
    profitFactor: trades.profitFactor,
    orders: report.orders,
    fills: report.fills,
    marketEvents: report.marketEvents,
  };
}

/** Runs one combination to its result; a strategy failure or bad data is a failed result, not a throw */
export async function runJob(job: SweepJob, cwd: string): Promise<SweepResult> {
  const base = { sweepId: job.sweepId, index: job.index, params: job.params, dirName: job.dirName };
  try {
    const argv = [
      ...(job.strategy === undefined ? [] : [job.strategy]),
      ...job.runArgv,
      ...Object.entries(job.params).flatMap(([k, v]) => ['--param', `${k}=${v}`]),
      '--quiet',
    ];
    const options = parseRunArgs(argv);
    if (options === 'help') throw new Error('unexpected --help in a sweep job');
    const strategy = await loadStrategy(options.strategy, cwd);
    const recycle = strategy === (await loadStrategy(options.strategy, cwd));
    const log: string[] = [];
    const logger = createLogger((record) => {
      if (record.level === 'warn' || record.level === 'error') log.push(record.message);
    }, 'warn');
    const report = await backtestWith(options, strategy, cwd, logger, undefined);
    const files: Record<string, string> = {
      'report.html': renderHtmlReport(report),
      'summary.json': `${JSON.stringify({ params: job.params, ...(reportJson(report) as object) }, null, 2)}\n`,
    };
    let shipped: Record<string, string> | undefined;
    if (job.dir !== undefined) {
      mkdirSync(job.dir, { recursive: true });
      for (const [name, text] of Object.entries(files)) writeFileSync(join(job.dir, name), text);
    } else {
      shipped = Object.fromEntries(
        Object.entries(files).map(([name, text]) => [name, gzipSync(text).toString('base64')]),
      );
    }
    return {
      ...base,
      status: 'ok',
      figures: figuresOf(report),
      ...(shipped === undefined ? {} : { files: shipped }),
      ...(recycle ? { recycle } : {}),
    };
  } catch (error) {
    if (
      !(
        error instanceof StrategyFailure ||
        error instanceof KestrelError ||
        error instanceof StrategyLoadError
      )
    )
      throw error;
    return { ...base, status: 'failed', error: error.message.split('\n')[0] ?? 'failed' };
  }
}
