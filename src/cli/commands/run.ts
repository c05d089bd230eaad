import { closeSync, existsSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { KestrelError } from '../../core/errors.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { MarketDataSource } from '../../core/market-data.ts';
import { systemClock } from '../../engine/clock.ts';
import type { Logger, LogRecord } from '../../engine/logger.ts';
import { createLogger, formatLogRecord } from '../../engine/logger.ts';
import type { VenueConnection } from '../../engine/venue.ts';
import { isPostgresUrl } from '../../journal/location.ts';
import type { BacktestProgress, RunReport } from '../../runtime/backtest.ts';
import { runBacktest } from '../../runtime/backtest.ts';
import { parseTimestamp, symbolFromFileName } from '../../runtime/csv-reader.ts';
import type { DataGap, DataRange } from '../../runtime/data-file.ts';
import { dataGapError, findDataGaps, openDataFile, scanDataFile } from '../../runtime/data-file.ts';
import { hasSimPreset, simInstrument } from '../../runtime/instruments.ts';
import type { LiveStatus } from '../../runtime/live.ts';
import { runLive } from '../../runtime/live.ts';
import { mergeSources } from '../../runtime/merge.ts';
import { renderHtmlReport } from '../../runtime/report/html.ts';
import {
  formatSummaryLines,
  formatSummaryTable,
  reportJson,
} from '../../runtime/report/summary.ts';
import { BUNDLED_STRATEGIES } from '../../runtime/strategies/bundled.ts';
import { checkParameterNames } from '../../runtime/strategies/params.ts';
import type { Strategy, StrategyExport } from '../../runtime/strategy.ts';
import { createSyntheticMarket } from '../../runtime/synthetic-market.ts';
import { createPaperVenue } from '../../venues/sim/paper-venue.ts';
import { parseCommandLine, StrategyLoadError, UsageError } from '../exit-codes.ts';
import type { Io } from '../io.ts';
import { ProgressBar } from '../progress.ts';
import { openVenue } from '../venues.ts';

export const RUN_USAGE = `Usage: kestrel run [strategy] [options]

Runs a strategy through the full order flow and writes a report: a backtest on the simulated
venue by default, paper trading with --venue paper, or live with --venue binanceusdm (any ccxt
exchange id) or --venue lighter.

  strategy               a strategy module (.ts, .js, .mjs) exporting a strategy object or a
                         factory as default (or as \`strategy\`), or a bundled one by name:
                         quoting (the default: a market maker) or trend (EMA crossover on candles)
Options:
  --data FILES           market data files, comma separated or repeated: trades or quotes
                         CSV, long-format depth CSV, ccxt order-book JSON lines (each may be
                         .gz); merged by time (default: a seeded synthetic market)
  --max-gap TIME         the longest stretch without market data a run may cross (default 1h)
  --allow-gaps           run across longer gaps anyway (the report marks them)
  --symbol SYMBOLS       instruments of the synthetic market, comma separated (default BTCUSDT)
  --from TIME            start (ISO 8601 or epoch ms); synthetic default 2026-01-01T00:00:00Z
  --to TIME              end; synthetic default: 24 hours after --from
  --capital N            starting balance in USDT (default 10000)
  --seed N               seeds the synthetic market and the latency model (default 1)
  --latency MS           median one-way latency of the simulated venue in ms (default 20)
  --leverage N           leverage the simulated venue allows (default 20)
  --param KEY=VALUE      a strategy parameter, repeatable
  --out DIR              where the report goes (default ./kestrel-out)
  --json                 print the report as JSON instead of the summary
  --quiet                no progress bar
Live and paper:
  --venue NAME           paper, lighter, or a ccxt exchange id (binanceusdm, bybit, ...)
  --url URL              the venue's base URL (a local emulator: kestrel emulate ...)
  --testnet              the venue's testnet
  --config FILE          a JSON file with the venue's settings and keys (else the environment)
  --duration TIME        stop after this long (90s, 5m, 1h); default: until Ctrl-C
  --journal FILE|URL     record every intent and venue event; a restart resumes from it. A
                         SQLite file, or postgres://user@host/db?owner=NAME for a journal
                         several processes share (each its own owner, the clientId prefix)
  --speed N              paper: replay speed (default 1, real time)
  --metrics-port N       serve Prometheus /metrics and /health on this port while running
                         (0: any free port, named in run.log)
  --metrics-host HOST    the address to serve them on (default 127.0.0.1, this machine only)
  -h, --help             this help
`;

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
  readonly maxGapMs: number;
  readonly allowGaps: boolean;
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
 * Reads the `run` command line.
 * @throws UsageError naming the bad option and value
 */
export function parseRunArgs(argv: readonly string[]): RunCommandOptions | 'help' {
  const parsed = parseCommandLine(
    argv,
    {
      data: { type: 'string', multiple: true },
      symbol: { type: 'string', multiple: true },
      from: { type: 'string' },
      to: { type: 'string' },
      capital: { type: 'string' },
      seed: { type: 'string' },
      latency: { type: 'string' },
      leverage: { type: 'string' },
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
      'max-gap': { type: 'string' },
      'allow-gaps': { type: 'boolean' },
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
    maxGapMs: duration(values['max-gap'] as string | undefined, 'max-gap') ?? 3_600_000,
    allowGaps: values['allow-gaps'] === true,
  };
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
    // TypeScript strategies load through tsx, whatever module type their folder declares
    module = (
      /\.[cm]?ts$/.test(file)
        ? await tsImport(pathToFileURL(file).href, import.meta.url)
        : await import(pathToFileURL(file).href)
    ) as Record<string, unknown>;
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
): Promise<{
  source: MarketDataSource;
  instruments: Instrument[];
  from: number | undefined;
  to: number | undefined;
  gaps: DataGap[];
}> {
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

/** Runs `kestrel run`; returns the exit code */
export async function runCommand(argv: readonly string[], io: Io): Promise<number> {
  const options = parseRunArgs(argv);
  if (options === 'help') {
    io.stdout(RUN_USAGE);
    return 0;
  }
  const outDir = isAbsolute(options.outDir) ? options.outDir : resolve(io.cwd, options.outDir);
  mkdirSync(outDir, { recursive: true });
  const runLog = openRunLog(join(outDir, 'run.log'));
  const logger = createLogger((record: LogRecord) => {
    runLog.write(formatLogRecord(record));
    if (record.level === 'warn' || record.level === 'error')
      io.stderr(`${formatLogRecord(record)}\n`);
  }, 'info');
  const strategy = await loadStrategy(options.strategy, io.cwd);
  checkParameterNames(strategy, Object.keys(options.params));
  if (options.venue !== undefined) {
    let report: RunReport;
    try {
      report = await runOnVenue(options, strategy, io, logger, outDir);
    } finally {
      runLog.close();
    }
    writeReport(report, options, io, outDir);
    return 0;
  }
  const bar = !options.quiet && io.isTTY ? new ProgressBar(io) : undefined;
  let report: RunReport;
  try {
    report = await backtestWith(options, strategy, io.cwd, logger, outDir, bar);
  } finally {
    bar?.done();
    runLog.close();
  }
  writeReport(report, options, io, outDir);
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
  bar?: ProgressBar,
): Promise<RunReport> {
  const { source, instruments, from, to, gaps } = await openData(options, cwd, (message) =>
    logger.warn(message),
  );
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
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    outDir,
    logger,
    dataGaps: gaps,
    ...(bar === undefined ? {} : { onProgress: (p: BacktestProgress) => bar.update(p) }),
  });
}

function writeReport(report: RunReport, options: RunCommandOptions, io: Io, outDir: string): void {
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(reportJson(report), null, 2)}\n`);
  writeFileSync(join(outDir, 'report.html'), renderHtmlReport(report, outDir));
  if (options.json) io.stdout(`${JSON.stringify(reportJson(report), null, 2)}\n`);
  else if (io.isTTY) io.stdout(`\n${formatSummaryTable(report, outDir)}`);
  else io.stdout(formatSummaryLines(report, outDir));
}

/** Paper or live: the strategy on a VenueConnection in wall-clock time, until the duration or Ctrl-C */
async function runOnVenue(
  options: RunCommandOptions,
  strategy: Strategy,
  io: Io,
  logger: Logger,
  outDir: string,
): Promise<RunReport> {
  const clock = systemClock;
  let venue: VenueConnection;
  if (options.venue === 'paper') {
    const { source, instruments } = await openData(
      { ...options, from: options.from ?? Math.floor(Date.now()) },
      io.cwd,
      (message) => logger.warn(message),
    );
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
    venue = openVenue({
      venue: options.venue ?? '',
      url: options.url,
      testnet: options.testnet,
      config: options.config,
      env: process.env,
      clock,
      logger,
    });
  }
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(130);
    io.stderr('\nstopping: canceling open orders (Ctrl-C again to quit at once)\n');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
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
      journalPath:
        options.journal === undefined || isPostgresUrl(options.journal)
          ? options.journal
          : resolve(io.cwd, options.journal),
      ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
      metrics:
        options.metricsPort === undefined
          ? undefined
          : { port: options.metricsPort, host: options.metricsHost },
      ...(options.quiet || !io.isTTY
        ? {}
        : {
            onStatus: (status: LiveStatus) =>
              io.stderr(
                `\r${venue.exchange}  ${new Date(status.time).toISOString().slice(11, 19)}  ${status.marketEvents} market events  ${status.openOrders} open orders  equity ${status.equity}\x1b[K`,
              ),
          }),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (io.isTTY && !options.quiet) io.stderr('\r\x1b[K');
  }
}
