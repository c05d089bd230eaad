import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KestrelError } from '../../core/errors.ts';
import type { Instrument } from '../../core/instrument.ts';
import { matchesSymbol } from '../../core/instrument.ts';
import type { MarketDataSource } from '../../core/market-data.ts';
import { systemClock } from '../../engine/clock.ts';
import type { Logger, LogRecord } from '../../engine/logger.ts';
import { createLogger, formatLogRecord } from '../../engine/logger.ts';
import type { RiskLimits } from '../../engine/risk-gate.ts';
import { parseRiskLimits } from '../../engine/risk-gate.ts';
import type { VenueConnection } from '../../engine/venue.ts';
import { isPostgresUrl } from '../../journal/location.ts';
import type { BacktestProgress, RunReport } from '../../runtime/backtest.ts';
import { failedRunReport, runBacktest } from '../../runtime/backtest.ts';
import { parseTimestamp, symbolFromFileName } from '../../runtime/csv-reader.ts';
import type { DataGap, DataRange } from '../../runtime/data-file.ts';
import { dataGapError, findDataGaps, openDataFile, scanDataFile } from '../../runtime/data-file.ts';
import { readFundingFile } from '../../runtime/funding-reader.ts';
import { hasSimPreset, simInstrument } from '../../runtime/instruments.ts';
import type { LiveStatus } from '../../runtime/live.ts';
import { mergeSources } from '../../runtime/merge.ts';
import { isRedisUrl, redactRedisUrl } from '../../runtime/redis.ts';
import { BUNDLED_STRATEGIES } from '../../runtime/strategies/bundled.ts';
import { checkParameterNames } from '../../runtime/strategies/params.ts';
import type { Strategy, StrategyExport } from '../../runtime/strategy.ts';
import { createSyntheticMarket } from '../../runtime/synthetic-market.ts';
import type { FundingSchedule } from '../../venues/sim/funding.ts';
import type { OptionSpecs } from '../exit-codes.ts';
import { parseCommandLine, StrategyLoadError, UsageError } from '../exit-codes.ts';
import { checkJournalFile, clearRunOutputs, renderFailurePage } from '../files.ts';
import type { Io } from '../io.ts';
import { progressBar, StatusLine, strategyConsoleTo } from '../progress.ts';
import { RUN_USAGE } from '../usage.ts';

export interface RunCommandOptions {
  readonly strategy: string | undefined;
  readonly data: readonly string[];
  readonly symbols: readonly string[];
  readonly from: number | undefined;
  readonly to: number | undefined;
  readonly capital: number;
  readonly seed: number;
  readonly latencyMs: number;
  readonly leverage: number;
  readonly fundingFiles: readonly string[];
  readonly fundingRate: number | undefined;
  readonly fundingIntervalMs: number;
  readonly params: Readonly<Record<string, string>>;
  readonly outDir: string;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly venue: string | undefined;
  readonly url: string | undefined;
  readonly testnet: boolean;
  readonly config: string | undefined;
  readonly durationMs: number | undefined;
  readonly journal: string | undefined;
  readonly speed: number;
  readonly metricsPort: number | undefined;
  readonly metricsHost: string | undefined;
  /** Shares the API key's rate limit with other processes on this Redis */
  readonly redis: string | undefined;
  readonly maxGapMs: number;
  readonly allowGaps: boolean;
  /** The risk gate's limits from --risk FILE; the defaults otherwise */
  readonly risk: RiskLimits | undefined;
}

function positiveNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`--${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

function time(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = parseTimestamp(raw);
  if (!Number.isFinite(value))
    throw new UsageError(
      `--${name} must be an ISO 8601 time or epoch milliseconds, got ${JSON.stringify(raw)}`,
    );
  return value;
}

function list(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

/**
 * Refuses a `--redis` value that is no Redis URL (its password hidden), or one given to a run
 * that has no ccxt venue to share the rate limit of.
 * @throws UsageError
 */
function checkRedisUrl(value: string, venue: string | undefined): void {
  if (!isRedisUrl(value))
    throw new UsageError(
      `--redis must be a Redis URL such as redis://127.0.0.1:6379, got ${JSON.stringify(redactRedisUrl(value))}`,
    );
  if (venue === undefined || venue === 'paper')
    throw new UsageError("--redis shares a live venue's rate limit: it needs --venue");
}

/**
 * The options of a backtest's market, account and fills: `run` takes them, and `sweep` passes
 * them through to every combination's run
 */
export const BACKTEST_OPTIONS = {
  data: { type: 'string', multiple: true },
  symbol: { type: 'string', multiple: true },
  from: { type: 'string' },
  to: { type: 'string' },
  capital: { type: 'string' },
  seed: { type: 'string' },
  latency: { type: 'string' },
  leverage: { type: 'string' },
} as const satisfies OptionSpecs;

/**
 * Reads the `run` command line; relative files (--risk) resolve against `cwd`.
 * @throws UsageError naming the bad option and value
 */
export function parseRunArgs(
  argv: readonly string[],
  cwd = process.cwd(),
): RunCommandOptions | 'help' {
  const parsed = parseCommandLine(
    argv,
    {
      ...BACKTEST_OPTIONS,
      funding: { type: 'string', multiple: true },
      'funding-rate': { type: 'string' },
      'funding-interval': { type: 'string' },
      param: { type: 'string', multiple: true },
      out: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      venue: { type: 'string' },
      url: { type: 'string' },
      testnet: { type: 'boolean' },
      config: { type: 'string' },
      duration: { type: 'string' },
      journal: { type: 'string' },
      speed: { type: 'string' },
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string' },
      redis: { type: 'string' },
      'max-gap': { type: 'string' },
      'allow-gaps': { type: 'boolean' },
      risk: { type: 'string' },
    },
    true,
  );
  const values = parsed.values;
  if (parsed.help) return 'help';
  if (parsed.positionals.length > 1)
    throw new UsageError(`expected at most one strategy, got ${parsed.positionals.join(' ')}`);
  const seedText = values['seed'] as string | undefined;
  const seed = seedText === undefined ? 1 : Number(seedText);
  if (!Number.isSafeInteger(seed))
    throw new UsageError(`--seed must be an integer, got ${JSON.stringify(seedText)}`);
  const params: Record<string, string> = {};
  for (const pair of (values['param'] as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param must be KEY=VALUE, got ${JSON.stringify(pair)}`);
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const from = time('from', values['from'] as string | undefined);
  const to = time('to', values['to'] as string | undefined);
  if (from !== undefined && to !== undefined && to <= from)
    throw new UsageError('--to must be after --from');
  const latencyText = values['latency'] as string | undefined;
  const latencyMs = latencyText === undefined ? 20 : Number(latencyText);
  if (!Number.isFinite(latencyMs) || latencyMs < 0)
    throw new UsageError(
      `--latency must be a number of ms ≥ 0, got ${JSON.stringify(latencyText)}`,
    );
  const metricsText = values['metrics-port'] as string | undefined;
  const metricsPort = metricsText === undefined ? undefined : Number(metricsText);
  if (
    metricsPort !== undefined &&
    (!/^\d+$/.test(metricsText ?? '') || !Number.isSafeInteger(metricsPort) || metricsPort > 65_535)
  )
    throw new UsageError(
      `--metrics-port must be a port number 0..65535, got ${JSON.stringify(metricsText)}`,
    );
  const metricsHost = values['metrics-host'] as string | undefined;
  if (metricsHost !== undefined && metricsPort === undefined)
    throw new UsageError('--metrics-host needs --metrics-port');
  if (metricsPort !== undefined && values['venue'] === undefined)
    throw new UsageError('--metrics-port serves a live or paper run: it needs --venue');
  const redis = values['redis'] as string | undefined;
  if (redis !== undefined) checkRedisUrl(redis, values['venue'] as string | undefined);
  const fundingFiles = list(values['funding'] as string[] | undefined);
  const rateText = values['funding-rate'] as string | undefined;
  const fundingRate = rateText === undefined ? undefined : Number(rateText);
  if (fundingRate !== undefined && (!Number.isFinite(fundingRate) || Math.abs(fundingRate) >= 1))
    throw new UsageError(
      `--funding-rate must be a fraction of position value between -1 and 1 (0.0001 is 1 bp), got ${JSON.stringify(rateText)}`,
    );
  if (fundingRate !== undefined && fundingFiles.length > 0)
    throw new UsageError('--funding and --funding-rate exclude each other: give one');
  const fundingIntervalMs =
    duration((values['funding-interval'] as string | undefined) ?? '8h', 'funding-interval') ?? 0;
  if (fundingIntervalMs < 1000) throw new UsageError('--funding-interval must be at least 1s');
  if (values['venue'] !== undefined && (fundingRate !== undefined || fundingFiles.length > 0))
    throw new UsageError(
      '--funding and --funding-rate apply to backtests (the venue settles funding live)',
    );
  return {
    strategy: parsed.positionals[0],
    data: list(values['data'] as string[] | undefined),
    symbols: list(values['symbol'] as string[] | undefined),
    from,
    to,
    capital: positiveNumber('capital', values['capital'] as string | undefined, 10_000),
    seed,
    latencyMs,
    leverage: positiveNumber('leverage', values['leverage'] as string | undefined, 20),
    fundingFiles,
    fundingRate,
    fundingIntervalMs,
    params,
    outDir: (values['out'] as string | undefined) ?? 'kestrel-out',
    json: values['json'] === true,
    quiet: values['quiet'] === true,
    venue: values['venue'] as string | undefined,
    url: values['url'] as string | undefined,
    testnet: values['testnet'] === true,
    config: values['config'] as string | undefined,
    durationMs: duration(values['duration'] as string | undefined),
    journal: values['journal'] as string | undefined,
    speed: positiveNumber('speed', values['speed'] as string | undefined, 1),
    metricsPort,
    metricsHost,
    redis,
    maxGapMs: duration(values['max-gap'] as string | undefined, 'max-gap') ?? 3_600_000,
    allowGaps: values['allow-gaps'] === true,
    risk: riskFile(values['risk'] as string | undefined, cwd),
  };
}

/** Reads --risk FILE: the risk gate's limits as JSON, checked field by field */
function riskFile(path: string | undefined, cwd: string): RiskLimits | undefined {
  if (path === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(resolve(cwd, path), 'utf8'));
  } catch (error) {
    throw new UsageError(
      `--risk ${path}: ${error instanceof SyntaxError ? 'not valid JSON' : (error as Error).message}`,
    );
  }
  try {
    return parseRiskLimits(raw);
  } catch (error) {
    throw new UsageError(`--risk ${path}: ${(error as Error).message}`);
  }
}

/** `90s`, `5m`, `1h`, `250ms` or plain milliseconds */
export function duration(raw: string | undefined, flag = 'duration'): number | undefined {
  if (raw === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (match === null)
    throw new UsageError(
      `--${flag} must look like 90s, 5m, 1h or 250ms, got ${JSON.stringify(raw)}`,
    );
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 'ms'] ?? 1;
  return Number(match[1]) * scale;
}

function isStrategy(value: unknown): value is Strategy {
  if (typeof value !== 'object' || value === null) return false;
  const callbacks = [
    'onStart',
    'onQuote',
    'onTrade',
    'onBook',
    'onBar',
    'onOrder',
    'onFill',
    'onTimer',
    'onStop',
  ];
  return callbacks.some((name) => typeof (value as Record<string, unknown>)[name] === 'function');
}

/** Whether Node treats a file as CommonJS: `.cts`, or `.ts` under a package.json without type module */
function isCommonJs(file: string): boolean {
  if (file.endsWith('.cts')) return true;
  if (file.endsWith('.mts')) return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: unknown }).type !== 'module';
      } catch {
        return true;
      }
    }
    if (dirname(dir) === dir) return true;
  }
}

/**
 * Loads a TypeScript strategy through tsx, loaded only for it, whatever module type its folder
 * declares. CommonJS files go through tsx's require, so their stack frames (and a strategy
 * error's file:line) name the file and its lines, not an inlined module
 */
async function importTypeScript(file: string): Promise<Record<string, unknown>> {
  if (isCommonJs(file)) {
    const { require: load } = await import('tsx/cjs/api');
    return load(file, import.meta.url) as Record<string, unknown>;
  }
  const { tsImport } = await import('tsx/esm/api');
  return (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
}

/**
 * Loads a strategy module: its default export (or `strategy`), an object or a factory.
 * @throws StrategyLoadError with the file and what is wrong with it
 */
export async function loadStrategy(path: string | undefined, cwd: string): Promise<Strategy> {
  const file = isAbsolute(path ?? '') ? (path as string) : resolve(cwd, path ?? '');
  const bundled = BUNDLED_STRATEGIES[path ?? 'quoting'];
  if (bundled !== undefined && (path === undefined || !existsSync(file))) return bundled();
  if (path === undefined) throw new StrategyLoadError('no strategy given');
  if (!existsSync(file)) throw new StrategyLoadError(`strategy file not found: ${file}`);
  let module: Record<string, unknown>;
  try {
    module = /\.[cm]?ts$/.test(file)
      ? await importTypeScript(file)
      : ((await import(pathToFileURL(file).href)) as Record<string, unknown>);
  } catch (error) {
    throw new StrategyLoadError(`strategy ${file} failed to load: ${(error as Error).message}`);
  }
  let exported = (module['default'] ?? module['strategy']) as
    | StrategyExport
    | Record<string, unknown>
    | undefined;
  // A TypeScript file compiled as CommonJS nests its exports one level down
  if (exported !== undefined && typeof exported === 'object' && !isStrategy(exported)) {
    const nested = exported as Record<string, unknown>;
    exported = (nested['default'] ?? nested['strategy'] ?? exported) as StrategyExport;
  }
  let strategy: unknown = exported;
  if (typeof exported === 'function') {
    try {
      strategy = exported();
    } catch (error) {
      throw new StrategyLoadError(
        `strategy ${file}: its factory threw: ${(error as Error).message}`,
      );
    }
  }
  if (!isStrategy(strategy)) {
    throw new StrategyLoadError(
      `strategy ${file} must export (as default or \`strategy\`) an object with callbacks such as onQuote or onOrder, or a function returning one`,
    );
  }
  return strategy;
}

const SYNTHETIC_START = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

/** The market data of a run, opened and checked */
interface OpenedData {
  source: MarketDataSource;
  instruments: Instrument[];
  from: number | undefined;
  to: number | undefined;
  gaps: DataGap[];
  /** The funding each perpetual settles (read and checked with the data, before anything runs) */
  funding: Record<string, FundingSchedule>;
}

/**
 * Opens the market data the options ask for, with the instruments it trades. Files are first
 * scanned for their time ranges: merged data with a stretch longer than --max-gap without any
 * event is refused (naming each file and its range) unless --allow-gaps accepts it.
 * @throws KestrelError INVALID_DATA for a missing or malformed file, or a gap not accepted
 */
async function openData(
  options: RunCommandOptions,
  cwd: string,
  warn: (message: string) => void,
): Promise<OpenedData> {
  const market = await openMarketData(options, cwd, warn);
  return { ...market, funding: fundingSchedules(options, market.instruments, cwd, warn) };
}

async function openMarketData(
  options: RunCommandOptions,
  cwd: string,
  warn: (message: string) => void,
): Promise<Omit<OpenedData, 'funding'>> {
  const instruments = new Map<string, Instrument>();
  const instrumentFor = (symbol: string): Instrument => {
    let instrument = instruments.get(symbol.toUpperCase());
    if (instrument === undefined) {
      if (!hasSimPreset(symbol))
        warn(`no preset for ${symbol}: using a USDT perpetual with tick 0.01 and lot 0.001`);
      instrument = simInstrument(symbol);
      instruments.set(symbol.toUpperCase(), instrument);
    }
    return instrument;
  };
  if (options.data.length === 0) {
    const symbols = options.symbols.length > 0 ? options.symbols : ['BTCUSDT'];
    const list = symbols.map(instrumentFor);
    const start = options.from ?? SYNTHETIC_START;
    const end = options.to ?? start + DAY;
    return {
      source: createSyntheticMarket({
        instruments: list,
        start,
        durationMs: end - start,
        seed: options.seed,
      }),
      instruments: list,
      from: undefined,
      to: undefined,
      gaps: [],
    };
  }
  const files = options.data.map((file) => (isAbsolute(file) ? file : resolve(cwd, file)));
  for (const file of files) {
    if (!existsSync(file))
      throw new KestrelError('INVALID_DATA', `data file not found: ${file}`, {
        field: 'data',
        value: file,
      });
    instrumentFor(symbolFromFileName(file));
  }
  const resolveInstrument = (symbol: string) => instrumentFor(symbol);
  const ranges: DataRange[] = [];
  for (const path of files)
    ranges.push(await scanDataFile(path, options.maxGapMs, resolveInstrument));
  const gaps = findDataGaps(ranges, options.maxGapMs, options.from, options.to);
  if (gaps.length > 0 && !options.allowGaps) throw dataGapError(ranges, gaps, options.maxGapMs);
  const sources = files.map((path) => openDataFile({ path, resolveInstrument }));
  return {
    source: mergeSources(sources),
    instruments: [...instruments.values()],
    from: options.from,
    to: options.to,
    gaps,
  };
}

/**
 * The run's log file, written as the run goes: lines are buffered up to 16 KiB or one second,
 * so memory stays bounded however long the run, and little is lost if the process dies
 */
function openRunLog(path: string): { write(line: string): void; close(): void } {
  const fd = openSync(path, 'w');
  let buffer: string[] = [];
  let size = 0;
  let flushedAt = Date.now();
  const flush = () => {
    if (buffer.length > 0) writeSync(fd, buffer.join(''));
    buffer = [];
    size = 0;
    flushedAt = Date.now();
  };
  // A quiet live run still gets its last lines on disk within a second
  const timer = setInterval(flush, 1000);
  timer.unref();
  return {
    write(line) {
      buffer.push(`${line}\n`);
      size += line.length + 1;
      if (size >= 16_384 || Date.now() - flushedAt >= 1000) flush();
    },
    close() {
      clearInterval(timer);
      flush();
      closeSync(fd);
    },
  };
}

/**
 * The funding each perpetual of the run settles: from the funding files (by symbol), or the fixed
 * rate for every perpetual
 * @throws KestrelError INVALID_DATA for a missing or malformed funding file
 */
function fundingSchedules(
  options: RunCommandOptions,
  instruments: readonly Instrument[],
  cwd: string,
  warn: (message: string) => void,
): Record<string, FundingSchedule> {
  const perpetuals = instruments.filter((i) => i.marketType === 'SWAP');
  const schedules: Record<string, FundingSchedule> = {};
  if (options.fundingRate !== undefined) {
    for (const instrument of perpetuals)
      schedules[instrument.symbol] = {
        type: 'fixed',
        rate: options.fundingRate,
        intervalMs: options.fundingIntervalMs,
      };
  }
  for (const path of options.fundingFiles) {
    const file = isAbsolute(path) ? path : resolve(cwd, path);
    for (const [symbol, schedule] of readFundingFile(file)) {
      const instrument =
        perpetuals.find((i) => i.symbol === symbol) ??
        perpetuals.find((i) => matchesSymbol(i, symbol));
      if (instrument === undefined)
        warn(`${file}: ${symbol} is not a perpetual of this run; its funding is ignored`);
      else schedules[instrument.symbol] = schedule;
    }
  }
  return schedules;
}

/** Runs `kestrel run`; returns the exit code */
export async function runCommand(argv: readonly string[], io: Io): Promise<number> {
  const options = parseRunArgs(argv, io.cwd);
  if (options === 'help') {
    io.stdout(RUN_USAGE);
    return 0;
  }
  const outDir = isAbsolute(options.outDir) ? options.outDir : resolve(io.cwd, options.outDir);
  const journal =
    options.journal === undefined || isPostgresUrl(options.journal)
      ? options.journal
      : resolve(io.cwd, options.journal);
  if (journal !== undefined && !isPostgresUrl(journal)) checkJournalFile(journal);
  const status = new StatusLine(io, !options.quiet && io.isTTY);
  const strategy = await loadStrategy(options.strategy, io.cwd);
  checkParameterNames(strategy, Object.keys(options.params));
  // Lines logged before the run's log file opens wait for it
  const early: string[] = [];
  let runLog: ReturnType<typeof openRunLog> | undefined;
  const logger = createLogger((record: LogRecord) => {
    const line = formatLogRecord(record);
    if (runLog === undefined) early.push(line);
    else runLog.write(line);
    if (record.level === 'warn' || record.level === 'error') status.print(line);
  }, 'info');
  // The market data is checked before the folder is touched: data refused (a missing file, a
  // gap) changes nothing there
  const data =
    options.venue === undefined || options.venue === 'paper'
      ? await openData(
          options.venue === 'paper'
            ? { ...options, from: options.from ?? Math.floor(Date.now()) }
            : options,
          io.cwd,
          (message) => logger.warn(message),
        )
      : undefined;
  // From here on the folder holds this run's outputs: none of the last run's stay beside them
  clearRunOutputs(outDir);
  runLog = openRunLog(join(outDir, 'run.log'));
  for (const line of early.splice(0)) runLog.write(line);
  const restoreConsole = strategyConsoleTo(status);
  let report: RunReport;
  try {
    report =
      options.venue === undefined
        ? await backtestWith(
            options,
            strategy,
            io.cwd,
            logger,
            outDir,
            status.enabled ? progressBar(status, io.columns) : undefined,
            data,
          )
        : await runOnVenue(options, strategy, io, logger, outDir, journal, status, data);
  } catch (error) {
    status.clear();
    await writeFailedRun(error, options, io, outDir);
    throw error;
  } finally {
    restoreConsole();
    status.clear();
    runLog.close();
  }
  await writeReport(report, options, io, outDir);
  return 0;
}

/**
 * The backtest `kestrel run` (and each run of a sweep) makes from its options: the data they
 * name, the simulated venue they shape, the report written to `outDir` when given.
 * @throws KestrelError INVALID_DATA for missing or malformed data; StrategyFailure when the strategy throws
 */
export async function backtestWith(
  options: RunCommandOptions,
  strategy: Strategy,
  cwd: string,
  logger: Logger,
  outDir: string | undefined,
  onProgress?: (progress: BacktestProgress) => void,
  opened?: OpenedData,
): Promise<RunReport> {
  const { source, instruments, from, to, gaps, funding } =
    opened ?? (await openData(options, cwd, (message) => logger.warn(message)));
  return runBacktest({
    strategy,
    params: options.params,
    source,
    instruments,
    capital: options.capital,
    seed: options.seed,
    latency: {
      requestMs: options.latencyMs,
      replyMs: options.latencyMs,
      streamMs: options.latencyMs * 1.25,
    },
    leverage: options.leverage,
    funding,
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    outDir,
    logger,
    dataGaps: gaps,
    risk: options.risk,
    ...(onProgress === undefined ? {} : { onProgress }),
  });
}

/** Writes the report files and prints the summary; the report's modules load only now, after the run */
async function writeReport(
  report: RunReport,
  options: RunCommandOptions,
  io: Io,
  outDir: string,
): Promise<void> {
  const [{ renderHtmlReport }, { formatSummaryLines, formatSummaryTable, reportJson }] =
    await Promise.all([
      import('../../runtime/report/html.ts'),
      import('../../runtime/report/summary.ts'),
    ]);
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(reportJson(report), null, 2)}\n`);
  writeFileSync(join(outDir, 'report.html'), renderHtmlReport(report, outDir));
  if (options.json) io.stdout(`${JSON.stringify(reportJson(report), null, 2)}\n`);
  else if (io.isTTY) io.stdout(`\n${formatSummaryTable(report, outDir)}`);
  else io.stdout(formatSummaryLines(report, outDir));
}

/**
 * A run that failed still leaves its report, marked FAILED with the error and the time: what it
 * had done until then when it got that far, else the error alone
 */
async function writeFailedRun(
  error: unknown,
  options: RunCommandOptions,
  io: Io,
  outDir: string,
): Promise<void> {
  const partial = failedRunReport(error);
  if (partial !== undefined) {
    await writeReport(partial, options, io, outDir);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'summary.json'),
    `${JSON.stringify({ failure: { message } }, null, 2)}\n`,
  );
  writeFileSync(join(outDir, 'report.html'), renderFailurePage(message));
}

/** Paper or live: the strategy on a VenueConnection in wall-clock time, until the duration or Ctrl-C */
async function runOnVenue(
  options: RunCommandOptions,
  strategy: Strategy,
  io: Io,
  logger: Logger,
  outDir: string,
  journalPath: string | undefined,
  status: StatusLine,
  paperData: OpenedData | undefined,
): Promise<RunReport> {
  const clock = systemClock;
  let venue: VenueConnection;
  if (options.venue === 'paper') {
    const { createPaperVenue } = await import('../../venues/sim/paper-venue.ts');
    const { source, instruments } =
      paperData ??
      (await openData(
        { ...options, from: options.from ?? Math.floor(Date.now()) },
        io.cwd,
        (message) => logger.warn(message),
      ));
    venue = createPaperVenue({
      instruments,
      balances: [{ currency: 'USDT', total: options.capital, free: options.capital, locked: 0 }],
      feed: source,
      clock,
      logger,
      speed: options.speed,
      seed: options.seed,
    });
  } else {
    const { openVenue } = await import('../venues.ts');
    venue = await openVenue({
      venue: options.venue ?? '',
      url: options.url,
      testnet: options.testnet,
      config: options.config,
      env: process.env,
      clock,
      logger,
      otherNames: ['paper'],
      redis: options.redis,
    });
    const profile = venue.describe?.();
    if (profile !== undefined) io.stdout(`${profile}\n`);
  }
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(130);
    status.print('stopping: canceling open orders (Ctrl-C again to quit at once)');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const { runLive } = await import('../../runtime/live.ts');
  try {
    return await runLive({
      strategy,
      params: options.params,
      venue,
      symbols: options.symbols.length > 0 ? options.symbols : undefined,
      clock,
      logger,
      signal: abort.signal,
      outDir,
      journalPath,
      risk: options.risk,
      ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
      metrics:
        options.metricsPort === undefined
          ? undefined
          : { port: options.metricsPort, host: options.metricsHost },
      ...(status.enabled
        ? {
            onStatus: (live: LiveStatus) =>
              status.show(
                `${venue.exchange}  ${new Date(live.time).toISOString().slice(11, 19)}  ${live.marketEvents} market events  ${live.openOrders} open orders  equity ${live.equity}`,
              ),
          }
        : {}),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
