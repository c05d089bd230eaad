import { nextTick } from 'node:process';
import type { AccountCounters } from '../core/account.ts';
import { KestrelError } from '../core/errors.ts';
import { createClientIdGenerator } from '../core/ids.ts';
import type { Instrument } from '../core/instrument.ts';
import type { MarketDataSource, MarketEvent } from '../core/market-data.ts';
import { AccountProcessor } from '../engine/account-processor.ts';
import { SimulatedClock } from '../engine/clock.ts';
import type { HealthSnapshot } from '../engine/health-monitor.ts';
import { HealthMonitor } from '../engine/health-monitor.ts';
import type { Logger } from '../engine/logger.ts';
import type { RiskLimits } from '../engine/risk-gate.ts';
import { createReferencePrices } from '../engine/risk-gate.ts';
import { TradingManager } from '../engine/trading-manager.ts';
import type { FundingSchedule } from '../venues/sim/funding.ts';
import type { LatencySpec } from '../venues/sim/latency.ts';
import { createLatencyModel } from '../venues/sim/latency.ts';
import { SimBroker } from '../venues/sim/sim-broker.ts';
import { SimVenue } from '../venues/sim/sim-venue.ts';
import type { DataGap } from './data-file.ts';
import { SIM_EXCHANGE } from './instruments.ts';
import type { RunRecorder, RunResults } from './recorder.ts';
import { withResults } from './recorder.ts';
import type { StrategySession } from './session.ts';
import { openRun } from './session.ts';
import type { Strategy } from './strategy.ts';
import { StrategyFailure } from './strategy.ts';

export interface BacktestOptions {
  readonly strategy: Strategy;
  readonly params?: Readonly<Record<string, string>>;
  readonly source: MarketDataSource;
  readonly instruments: readonly Instrument[];
  /** Starting balance in `currency`; default 10 000 */
  readonly capital?: number;
  /** Default USDT */
  readonly currency?: string;
  /** Seeds the latency model and the clientIds; default 1 */
  readonly seed?: number;
  readonly latency?: LatencySpec;
  /** Leverage the simulated venue allows; default 20 */
  readonly leverage?: number;
  /** Funding of perpetuals by symbol (a fixed rate per interval, or a funding history); none by default */
  readonly funding?: Readonly<Record<string, FundingSchedule>>;
  /** The simulated venue's maintenance margin rate (liquidation below it); default 0.005 */
  readonly maintenanceMargin?: number;
  /** The simulated venue's liquidation fee rate; default 0.01 */
  readonly liquidationFee?: number;
  /** Skip events before this time (ms) */
  readonly from?: number;
  /** Stop at this time (ms) */
  readonly to?: number;
  readonly outDir?: string | undefined;
  readonly logger: Logger;
  /** The pre-trade risk gate's limits; its defaults fill what is left out */
  readonly risk?: RiskLimits | undefined;
  /** Stretches without market data the run was allowed to cross (`--allow-gaps`), for the report */
  readonly dataGaps?: readonly DataGap[];
  /** Told every ~50 000 events how far the run is */
  readonly onProgress?: (progress: BacktestProgress) => void;
}

export interface BacktestProgress {
  readonly events: number;
  readonly time: number;
  /** 0..1 when the source can tell */
  readonly fraction: number | undefined;
}

export interface RunReport extends RunResults {
  readonly strategy: string;
  readonly venue: string;
  readonly instruments: readonly string[];
  readonly start: number;
  readonly end: number;
  readonly marketEvents: number;
  readonly wallMs: number;
  readonly health: HealthSnapshot;
  readonly counters: Readonly<AccountCounters>;
  readonly capital: number;
  readonly currency: string;
  readonly seed: number;
  /** Stretches without market data the run crossed because it was told to accept them */
  readonly dataGaps?: readonly DataGap[];
  /** Set when the run failed: what ended it, and when; the rest is what it had done by then */
  readonly failure?: RunFailure | undefined;
}

/** Why and when a run ended early */
export interface RunFailure {
  readonly message: string;
  /** The run's time when it failed, ms (simulated in a backtest) */
  readonly time: number;
  /** The strategy callback that failed, for a strategy error */
  readonly callback?: string | undefined;
  /** The strategy's file:line:column, for a strategy error */
  readonly location?: string | undefined;
}

const partialReports = new WeakMap<object, RunReport>();

/** Records on the error that ended a run the report of what the run had done until then */
export function attachFailedRunReport(error: unknown, report: RunReport): void {
  if (typeof error === 'object' && error !== null) partialReports.set(error, report);
}

/**
 * The report of the run an error ended (its `failure` set), when the run had started: what it
 * had done until the failure, so a failed run still leaves a report
 */
export function failedRunReport(error: unknown): RunReport | undefined {
  return typeof error === 'object' && error !== null ? partialReports.get(error) : undefined;
}

/** The failure a report records for the error that ended its run */
export function runFailureOf(error: unknown, time: number): RunFailure {
  const failure = error instanceof StrategyFailure ? error : undefined;
  return {
    message: error instanceof Error ? error.message : String(error),
    time: failure?.time ?? time,
    ...(failure === undefined ? {} : { callback: failure.callback, location: failure.location }),
  };
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Awaits work that needs simulated time to pass (an awaited trade in onStart or onStop), moving
 * the clock from timer to timer until the work is done or nothing is left to happen before `until`.
 */
async function driveClock(
  clock: SimulatedClock,
  work: Promise<void>,
  until: number,
): Promise<void> {
  let done = false;
  const settled = work.finally(() => {
    done = true;
  });
  settled.catch(() => {});
  let idle = 0;
  while (!done && idle < 10) {
    const due = clock.nextDue();
    if (due !== undefined && due <= until) {
      clock.advanceTo(due);
      idle = 0;
    } else {
      idle += 1;
    }
    await yieldToEventLoop();
  }
  if (done) await settled;
}

const SETTLED = Promise.resolve();

/** Why the replay loop handed back control */
const BATCH_DONE = 0;
/**
 * Promise jobs must run before the event goes on: all of them, and all those they queue in turn,
 * however long the chains, as live before the next market event. The replay goes on in a tick
 * asked for from a promise job, which Node runs only once the microtask queue is empty (a tick
 * asked for from a tick would run before it). No trip through the event loop (no I/O, no real
 * timer runs meanwhile), so the run is the same whatever else the process does.
 */
const RUN_MICROTASKS = 1;
/** The data passed the end of the run */
const PAST_END = 2;
/** The strategy failed */
const FAILED = 3;

interface ReplayParts {
  readonly clock: SimulatedClock;
  readonly reference: { readonly onMarket: (event: MarketEvent) => void };
  readonly broker: SimBroker;
  readonly session: StrategySession;
  readonly recorder: RunRecorder;
  readonly onProgress: ((progress: BacktestProgress) => void) | undefined;
  readonly source: MarketDataSource;
}

/**
 * The per-event loop of a backtest, in a plain method instead of the async function that drives
 * it: each time an async function resumes it runs unoptimized until the loop is compiled anew on
 * the stack, which is most of a short run. It goes through the batch until promise jobs must run
 * before the event goes on (it goes on in a tick, from where in the event it stopped), the batch
 * ends, the data passes the end of the run, or the strategy failed.
 */
class Replay {
  /**
   * The run's parts, held in fields of the replay's own, not read through the object literal that
   * brought them: a literal made a second time is made from a template V8 keeps from the first,
   * and its fields then count as changed (no longer constants), which threw away the replay loop
   * compiled in the run before at the next run's start (--trace-deopt: 'code dependencies')
   */
  private readonly clock: SimulatedClock;
  private readonly reference: ReplayParts['reference'];
  private readonly broker: SimBroker;
  private readonly session: StrategySession;
  private readonly recorder: RunRecorder;
  private readonly onProgress: ReplayParts['onProgress'];
  private readonly source: MarketDataSource;
  private readonly to: number;
  private batch: readonly MarketEvent[] = [];
  index = 0;
  /**
   * Events replayed and the last one's time: fields, initialized with numbers where declared (a
   * double in a closure's variable, or in a field first defined as undefined, is boxed anew per
   * event)
   */
  events = 0;
  end = 0;
  /** Where the current event is: 0 before the clock moved to it, 1 before the market saw it, 2 after */
  private step = 0;

  /** Settle the promise `replay` returned */
  private done: (outcome: number) => void = () => {};
  private failed: (error: unknown) => void = () => {};

  constructor(parts: ReplayParts, to: number, start: number) {
    this.clock = parts.clock;
    this.reference = parts.reference;
    this.broker = parts.broker;
    this.session = parts.session;
    this.recorder = parts.recorder;
    this.onProgress = parts.onProgress;
    this.source = parts.source;
    this.to = to;
    this.end = start;
  }

  /** Replays a batch, from `index`; resolves with why it stopped (never RUN_MICROTASKS) */
  replay(batch: readonly MarketEvent[]): Promise<number> {
    this.batch = batch;
    return new Promise((resolve, reject) => {
      this.done = resolve;
      this.failed = reject;
      this.goOn();
    });
  }

  /**
   * Goes on with the batch, called in a tick (once promise jobs have run). A closure per replay,
   * handed to `nextTick`; called directly the target would be a new function in every run, and the
   * code optimized to call the first run's thrown away at the next run's first batch
   */
  private readonly resume = (): void => {
    this.goOn();
  };

  /** Goes on with the batch; in a tick, once promise jobs have run, when they must */
  private goOn(): void {
    let outcome: number;
    try {
      outcome = this.run();
    } catch (error) {
      this.failed(error);
      return;
    }
    // A reaction to a settled promise: cheaper than queueMicrotask (no async resource per call)
    if (outcome === RUN_MICROTASKS) void SETTLED.then(this.resumeAfterMicrotasks);
    else this.done(outcome);
  }

  /**
   * `nextTick` imported, not read off the global `process`: that global is a getter, a call per
   * drain (10 000 in the NautilusTrader-shaped run's 20 000 events)
   */
  private readonly resumeAfterMicrotasks = (): void => {
    nextTick(this.resume);
  };

  private run(): number {
    const clock = this.clock;
    const reference = this.reference;
    const broker = this.broker;
    const session = this.session;
    const recorder = this.recorder;
    const onProgress = this.onProgress;
    const batch = this.batch;
    for (; this.index < batch.length; this.index++) {
      const event = batch[this.index]!;
      if (this.step === 0) {
        if (event.time > this.to) return PAST_END;
        this.step = 1;
        // What the timers set going (a verdict a strategy awaits, an order promise settled, an
        // async callback of a timer) runs before the market moves, as it would live
        if (clock.advanceTo(event.time)) return RUN_MICROTASKS;
      }
      if (this.step === 1) {
        this.end = event.time;
        this.events += 1;
        reference.onMarket(event);
        broker.onMarket(event);
        session.onMarket(event);
        this.step = 2;
        // What the market callbacks set going runs before the next event, as it would live: an
        // async callback still running, or order promises just handed out (a refusal of one left
        // unawaited stops the run now)
        if (session.handedOutSince() || session.busy) return RUN_MICROTASKS;
      }
      this.step = 0;
      recorder.tick();
      if (session.failed !== undefined) return FAILED;
      if (onProgress !== undefined && this.events % 50_000 === 0) {
        const progress = (this.source as { progress?: () => number }).progress?.();
        onProgress({ events: this.events, time: event.time, fraction: progress });
      }
    }
    return BATCH_DONE;
  }
}

/**
 * Replays the data from `batch` on (the replay's index set where it starts) until it ends or
 * passes the end of the run. A function of its own, small: the loop is resumed at every batch,
 * which made the optimizer compile the whole of `runBacktest` in every run (20-30 ms of
 * compiling, each time); now it compiles these few lines.
 * @throws what ended the strategy
 */
async function replayBatches(
  replay: Replay,
  source: MarketDataSource,
  first: readonly MarketEvent[] | undefined,
  session: StrategySession,
): Promise<void> {
  let batch = first;
  while (batch !== undefined) {
    const outcome = await replay.replay(batch);
    if (session.failed !== undefined) throw session.failed;
    if (outcome === PAST_END) return;
    // Where a batch ends changes nothing: the strategy's work was drained with the event
    batch = await source.next();
    replay.index = 0;
  }
}

/**
 * Fires the timers due until `until`, letting promise jobs run after each. A function of its own,
 * small, for the reason `replayBatches` is one: resumed at every timer of the drain (thousands),
 * this loop made the optimizer compile the whole of `runBacktest` at the end of every run
 * (`--trace-opt`: 15-45 ms of compiling a run)
 */
async function drainTimers(clock: SimulatedClock, until: number): Promise<void> {
  for (let due = clock.nextDue(); due !== undefined && due <= until; due = clock.nextDue()) {
    clock.advanceTo(due);
    await Promise.resolve();
  }
}

/** How long after the last event the clock runs on, so replies in flight arrive, ms */
const DRAIN_MS = 60_000;

/**
 * Replays market data through the full order flow on the simulated venue, on a simulated
 * clock, as fast as the data allows: the strategy trades through the TradingManager, the
 * SimBroker carries orders to a SimVenue over the latency model, and the venue's reports come
 * back through the account's single writer, exactly as a live run's would.
 * @throws StrategyFailure when a strategy callback throws; KestrelError INVALID_DATA for bad data
 */
export async function runBacktest(options: BacktestOptions): Promise<RunReport> {
  const started = performance.now();
  const capital = options.capital ?? 10_000;
  const currency = options.currency ?? 'USDT';
  const seed = options.seed ?? 1;
  const { logger, source, instruments } = options;
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const to = options.to ?? Number.POSITIVE_INFINITY;

  // Find the first event in range, so the clock (and onStart) begin at the data's start
  let batch = await source.next();
  let index = 0;
  const skipToStart = async (): Promise<MarketEvent | undefined> => {
    for (;;) {
      while (batch !== undefined && index < batch.length) {
        const event = batch[index]!;
        if (event.time >= from) return event;
        index += 1;
      }
      batch = await source.next();
      index = 0;
      if (batch === undefined) return undefined;
    }
  };
  const first = await skipToStart();
  if (first === undefined || first.time > to) {
    throw new KestrelError('INVALID_DATA', 'no market data in the requested period', {
      field: 'from',
      value: options.from,
    });
  }

  const clock = new SimulatedClock(first.time);
  const balances = [{ currency, total: capital, free: capital, locked: 0 }];
  const venue = new SimVenue({
    exchange: SIM_EXCHANGE,
    instruments,
    balances,
    // Finished orders the venue answers status queries about: none, as a backtest's broker never
    // asks (kept, they would live long enough to be promoted and cost the collector)
    historySize: 0,
    // Its broker reads every report as it comes: no copy of the order per report
    copyOrders: false,
    ...(options.leverage === undefined ? {} : { leverage: options.leverage }),
    ...(options.funding === undefined ? {} : { funding: options.funding }),
    ...(options.maintenanceMargin === undefined
      ? {}
      : { maintenanceMargin: options.maintenanceMargin }),
    ...(options.liquidationFee === undefined ? {} : { liquidationFee: options.liquidationFee }),
  });
  const broker = new SimBroker({
    venue,
    clock,
    latency: createLatencyModel(options.latency),
    seed,
  });
  const account = new AccountProcessor({ exchange: SIM_EXCHANGE, clock, logger, balances });
  const health = new HealthMonitor({ clock, requestTimeoutMs: 300_000 });
  const reference = createReferencePrices(instruments);
  const trading = new TradingManager({
    brokers: [broker],
    account,
    clock,
    health,
    logger,
    ids: createClientIdGenerator({
      instanceTag: `bt${(seed >>> 0).toString(36).slice(0, 6)}`,
      counterStart: 0,
    }),
    referencePrice: reference.get,
    ...(options.risk === undefined ? {} : { risk: options.risk }),
  });
  const { recorder, session } = openRun({
    strategy: options.strategy,
    params: options.params ?? {},
    instruments,
    trading,
    account,
    clock,
    logger,
    currency,
    outDir: options.outDir,
  });
  const failIfStopped = () => {
    if (session.failed !== undefined) throw session.failed;
  };
  const replay = new Replay(
    { clock, reference, broker, session, recorder, onProgress: options.onProgress, source },
    to,
    first.time,
  );
  const report = (failure?: RunFailure): RunReport =>
    withResults(recorder.finish(), {
      strategy: options.strategy.name ?? 'strategy',
      venue: SIM_EXCHANGE,
      instruments: instruments.map((i) => i.symbol),
      start: first.time,
      end: replay.end,
      marketEvents: replay.events,
      wallMs: performance.now() - started,
      health: health.snapshot(),
      counters: { ...account.counters },
      capital,
      currency,
      seed,
      ...(options.dataGaps === undefined || options.dataGaps.length === 0
        ? {}
        : { dataGaps: options.dataGaps }),
      ...(failure === undefined ? {} : { failure }),
    });

  let closed = false;
  try {
    recorder.tick();
    await driveClock(clock, session.start(), Number.POSITIVE_INFINITY);
    failIfStopped();

    replay.index = index;
    await replayBatches(replay, source, batch, session);
    closed = true;
    await source.close?.();

    // The strategy stops (its timer with it), then replies and pushes in flight arrive
    const drainUntil = replay.end + DRAIN_MS;
    await driveClock(clock, session.stop(), drainUntil);
    failIfStopped();
    await drainTimers(clock, drainUntil);
    recorder.tick();
    return report();
  } catch (error) {
    if (!closed) await Promise.resolve(source.close?.()).catch(() => {});
    attachFailedRunReport(error, report(runFailureOf(error, clock.now())));
    throw error;
  }
}
