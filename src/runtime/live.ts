import { randomBytes } from 'node:crypto';
import { invalidField, KestrelError } from '../core/errors.ts';
import type { ClientIdGenerator } from '../core/ids.ts';
import { clientIdsOf, createClientIdGenerator } from '../core/ids.ts';
import type { Instrument } from '../core/instrument.ts';
import { matchesSymbol } from '../core/instrument.ts';
import { isTerminal } from '../core/order.ts';
import { AccountProcessor } from '../engine/account-processor.ts';
import type { Clock } from '../engine/clock.ts';
import { HealthMonitor } from '../engine/health-monitor.ts';
import type { Logger } from '../engine/logger.ts';
import { OwnerDirectory } from '../engine/owners.ts';
import type { ReconcilerOptions } from '../engine/reconciler.ts';
import { Reconciler } from '../engine/reconciler.ts';
import type { RiskLimits } from '../engine/risk-gate.ts';
import { createReferencePrices } from '../engine/risk-gate.ts';
import { createDefaultClientIds, TradingManager } from '../engine/trading-manager.ts';
import type { VenueConnection } from '../engine/venue.ts';
import type { Journal } from '../journal/journal.ts';
import type { JournalLocation } from '../journal/location.ts';
import { parseJournalLocation } from '../journal/location.ts';
import type { RunFailure, RunReport } from './backtest.ts';
import { attachFailedRunReport, runFailureOf } from './backtest.ts';
import type { LiveMetrics, MetricsEndpoint } from './metrics-server.ts';
import { serveLiveMetrics } from './metrics-server.ts';
import type { RunResults } from './recorder.ts';
import { withResults } from './recorder.ts';
import { openRun } from './session.ts';
import type { Strategy, StrategyFailure } from './strategy.ts';

export interface LiveOptions {
  readonly strategy: Strategy;
  readonly params?: Readonly<Record<string, string>>;
  readonly venue: VenueConnection;
  /** Markets to trade, by any name `matchesSymbol` accepts; default: the venue's first */
  readonly symbols?: readonly string[] | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Stop after this long, ms; default: until `signal` aborts */
  readonly durationMs?: number;
  /** Aborting it stops the run gracefully (Ctrl-C) */
  readonly signal?: AbortSignal | undefined;
  readonly outDir?: string | undefined;
  /** The currency equity is counted in; default the first instrument's settle currency */
  readonly currency?: string;
  /** How long to wait for open orders to settle after the strategy stops, ms; default 10 000 */
  readonly settleMs?: number;
  /** Told about once a second how the run is going */
  readonly onStatus?: (status: LiveStatus) => void;
  /**
   * The journal: a SQLite file, or a `postgres://` URL (`?owner=NAME` names this process's owner
   * when `clientIdPrefix` does not; `?schema=NAME`, default `kestrel`). State is rebuilt from it
   * on start and every intent and venue event is recorded in it; without it nothing survives
   * the process
   */
  readonly journalPath?: string | undefined;
  /** The pre-trade risk gate's limits; its defaults fill what is left out */
  readonly risk?: RiskLimits | undefined;
  /** Reconciliation settings; the startup diff runs whenever the venue can report a snapshot */
  readonly reconcile?: Omit<
    ReconcilerOptions,
    'venue' | 'account' | 'clock' | 'logger' | 'health' | 'isOwn'
  >;
  /** The clientId prefix (owner) of this process's orders; default `k` (or the URL's owner) */
  readonly clientIdPrefix?: string;
  /**
   * How long a failing journal write is retried before the run stops, ms; default 10 000.
   * Meanwhile new orders are refused
   */
  readonly journalGiveUpMs?: number;
  /** Serve `/metrics` and `/health` over HTTP while the run lasts (`--metrics-port`) */
  readonly metrics?: MetricsEndpoint | undefined;
  /** Told the metrics server's base URL once it listens */
  readonly onMetrics?: (url: string) => void;
}

export interface LiveStatus {
  readonly time: number;
  readonly marketEvents: number;
  readonly openOrders: number;
  readonly equity: number;
}

/** The instruments names mean on a venue */
export function resolveInstruments(
  venue: VenueConnection,
  symbols: readonly string[] | undefined,
): Instrument[] {
  if (symbols === undefined || symbols.length === 0) {
    const first = venue.instruments[0];
    if (first === undefined)
      throw invalidField(
        'UNKNOWN_INSTRUMENT',
        'symbol',
        undefined,
        `${venue.exchange} lists no instruments`,
      );
    return [first];
  }
  return symbols.map((name) => {
    const found =
      venue.instruments.find((i) => i.symbol === name) ??
      venue.instruments.find((i) => matchesSymbol(i, name));
    if (found === undefined) {
      const some = venue.instruments
        .slice(0, 8)
        .map((i) => i.symbol)
        .join(', ');
      throw invalidField(
        'UNKNOWN_INSTRUMENT',
        'symbol',
        name,
        `is not listed on ${venue.exchange} (some that are: ${some})`,
      );
    }
    return found;
  });
}

/**
 * The clientId generator of a run: with a journal, the same instance tag as before and a counter
 * past every id it issued, so ids continue one sequence across restarts; without, a fresh tag
 */
function continueClientIds(
  account: AccountProcessor,
  journal: Journal | undefined,
  prefix: string,
  clock: Clock,
): { readonly ids: ClientIdGenerator; readonly tag: string | undefined } {
  if (journal === undefined) return { ids: createDefaultClientIds(clock, prefix), tag: undefined };
  const tag = journal.opening.clientIdTag ?? randomTag();
  const head = `${prefix}${tag}-`;
  let counter = Math.floor(clock.now());
  for (const order of account.state.orders.values()) {
    if (!order.clientId.startsWith(head)) continue;
    const value = Number.parseInt(order.clientId.slice(head.length), 36);
    if (Number.isSafeInteger(value) && value > counter) counter = value;
  }
  return { ids: createClientIdGenerator({ prefix, instanceTag: tag, counterStart: counter }), tag };
}

/**
 * On a journal several processes share: lists this process's siblings (so their orders are
 * never adopted, corrected or canceled here) and has the venue mark this process's orders with
 * its owner slot where it cannot carry a clientId. Undefined for a process alone on its journal.
 * @throws KestrelError NETWORK when the owners cannot be read
 */
async function shareAccount(
  journal: Journal | undefined,
  venue: VenueConnection,
  prefix: string,
  logger: Logger,
): Promise<OwnerDirectory | undefined> {
  const slot = journal?.opening.slot;
  if (journal?.owners === undefined || slot === undefined) return undefined;
  venue.sharing?.useOwnerSlot(slot);
  const owners = new OwnerDirectory({
    self: {
      owner: prefix,
      clientIdPrefix: prefix,
      instanceTag: journal.opening.clientIdTag ?? '',
      slot,
    },
    load: () => journal.owners?.() ?? Promise.resolve([]),
    slotOf: venue.sharing?.ownerSlotOf,
    logger,
  });
  await owners.refresh();
  logger.info('sharing the account', {
    owner: prefix,
    slot,
    siblings: owners
      .siblings()
      .map((o) => o.owner)
      .join(','),
  });
  return owners;
}

function randomTag(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

const sleep = (clock: Clock, ms: number) =>
  new Promise<void>((resolve) => clock.setTimer(ms, resolve));

/**
 * Runs a strategy live (or against a local emulator) through the same order flow a backtest
 * uses: loads the venue's markets, takes its balances as the starting state, opens the account
 * and market streams, and hands the strategy the same context. On stop (duration, abort, or a
 * strategy failure) the strategy's onStop runs, open orders are given time to settle, the
 * venue is closed and the report written.
 * @throws StrategyFailure when a strategy callback throws; KestrelError when the venue cannot be reached
 */
export async function runLive(options: LiveOptions): Promise<RunReport> {
  const { logger } = options;
  const started = performance.now();
  const location =
    options.journalPath === undefined ? undefined : parseJournalLocation(options.journalPath);
  const prefix =
    options.clientIdPrefix ?? (location?.kind === 'postgres' ? location.owner : undefined) ?? 'k';
  const metrics =
    options.metrics === undefined ? undefined : await serveLiveMetrics(options.metrics, prefix);
  if (metrics !== undefined) {
    logger.info('metrics served', {
      url: `${metrics.url}/metrics`,
      health: `${metrics.url}/health`,
    });
    options.onMetrics?.(metrics.url);
  }
  try {
    return await trade(options, { started, location, prefix, metrics });
  } finally {
    await metrics?.close();
  }
}

async function trade(
  options: LiveOptions,
  setup: {
    readonly started: number;
    readonly location: JournalLocation | undefined;
    readonly prefix: string;
    readonly metrics: LiveMetrics | undefined;
  },
): Promise<RunReport> {
  const { venue, clock, logger } = options;
  const { started, location, prefix, metrics } = setup;
  await venue.load();
  const instruments = resolveInstruments(venue, options.symbols);
  const balances = await venue.fetchBalances();
  const currency = options.currency ?? instruments[0]?.settle ?? 'USDT';
  const journal =
    location === undefined
      ? undefined
      : // SQLite and PostgreSQL load only for a run that journals
        await (await import('../journal/open.ts')).openJournal({
          location,
          identity: { exchange: venue.exchange, account: venue.account ?? 'default' },
          owner: prefix,
          clientIdTag: randomTag(),
          giveUpAfterMs: options.journalGiveUpMs,
          keys: venue.sharing?.exclusiveKeys,
        });
  if (journal?.opening.tookOverFrom !== undefined)
    logger.warn('journal: took over the writer lock of a process that died holding it', {
      previous: journal.opening.tookOverFrom,
    });
  for (const damage of journal?.opening.damage ?? [])
    logger.warn('journal: cut an incomplete last record (a torn write); it is kept aside', {
      seq: damage.from,
    });
  let journalFailure: KestrelError | undefined;
  journal?.onHealth((health) => {
    if (health.state === 'ok') logger.info('journal writes again; new orders are accepted');
    else if (health.state === 'failing' && health.attempts === 1)
      logger.error('journal write failed; new orders are refused while it is retried', {
        error: health.error,
      });
    else if (health.state === 'failed') journalFailure ??= health.error;
  });
  const owners = await shareAccount(journal, venue, prefix, logger);
  const account = await AccountProcessor.open({
    exchange: venue.exchange,
    clock,
    logger,
    ...(journal === undefined ? { balances } : { journal }),
    isSibling: owners === undefined ? undefined : (ref) => owners.isSibling(ref),
  });
  if (journal !== undefined) {
    logger.info('journal replayed', {
      entries: account.replayed.entries,
      openOrders: account.getOrders().length,
    });
    account.apply({
      type: 'balanceUpdated',
      exchange: venue.exchange,
      balances,
      time: clock.now(),
    });
  }
  const { ids, tag } = continueClientIds(account, journal, prefix, clock);
  venue.broker.restore?.([...account.state.orders.values()]);
  const health = new HealthMonitor({ clock });
  const reference = createReferencePrices(instruments);
  metrics?.attach({ health, account, journal });
  const trading = new TradingManager({
    brokers: [venue.broker],
    account,
    clock,
    health,
    logger,
    ids,
    referencePrice: reference.get,
    ...(options.risk === undefined ? {} : { risk: options.risk }),
  });
  const reconciler =
    venue.fetchSnapshot === undefined
      ? undefined
      : new Reconciler({
          venue,
          account,
          clock,
          logger,
          health,
          isOwn: clientIdsOf(prefix, tag),
          owners,
          ...(venue.lostAfterMs === undefined ? {} : { lostAfterMs: venue.lostAfterMs }),
          ...options.reconcile,
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
  const start = clock.now();
  let events = 0;
  let end = start;
  let failure: StrategyFailure | undefined;
  let thrown: { readonly error: unknown } | undefined;
  try {
    await venue.start({
      instruments,
      onMarket: (event) => {
        events += 1;
        end = clock.now();
        reference.onMarket(event);
        session.onMarket(event);
        recorder.tick();
      },
    });
    if (reconciler !== undefined) {
      // Before the strategy may trade: the venue's open orders, fills, positions and balances win
      const report = await reconciler.reconcile('startup');
      logger.info('startup reconciliation', { ...report });
      reconciler.start();
    }
    logger.info('live run started', {
      exchange: venue.exchange,
      symbols: instruments.map((i) => i.symbol).join(','),
    });
    recorder.tick();
    await session.start();
    metrics?.setPhase('running');
    const deadline =
      options.durationMs === undefined ? Number.POSITIVE_INFINITY : start + options.durationMs;
    while (
      clock.now() < deadline &&
      options.signal?.aborted !== true &&
      session.failed === undefined &&
      journalFailure === undefined
    ) {
      await sleep(clock, Math.min(1000, Math.max(1, deadline - clock.now())));
      recorder.tick();
      options.onStatus?.({
        time: clock.now(),
        marketEvents: events,
        openOrders: account.getOrders().length,
        equity: recorder.equity(),
      });
    }
    metrics?.setPhase('stopping');
    await session.stop();
    failure = session.failed;
  } catch (error) {
    thrown = { error };
  } finally {
    // Whatever happened, leave nothing working at the venue that we can still cancel
    const open = account.getOrders().filter((o) => !isTerminal(o.status));
    if (open.length > 0) {
      logger.warn('canceling orders still open at the end of the run', { count: open.length });
      await trading
        .cancelOrders()
        .catch((error: unknown) => logger.error('cancel at stop failed', { error }));
    }
    const settleUntil = clock.now() + (options.settleMs ?? 10_000);
    let recancelAt = clock.now() + 1_000;
    while (account.getOrders().length > 0 && clock.now() < settleUntil) {
      await sleep(clock, 100);
      // A cancel the venue refused (it raced the order's own acceptance) leaves the order
      // working: ask again, once a second, until the settle window closes
      if (clock.now() >= recancelAt) {
        recancelAt = clock.now() + 1_000;
        if (
          account.getOrders().some((o) => o.status !== 'PENDING_CANCEL' && o.status !== 'PENDING')
        )
          await trading
            .cancelOrders()
            .catch((error: unknown) => logger.warn('cancel at stop failed', { error }));
      }
    }
    await reconciler?.stop();
    // The run ends on the venue's own word: missed fills, positions and balances (the journal
    // then holds what the venue holds)
    await reconciler
      ?.reconcile('final')
      .catch((error: unknown) => logger.warn('final reconciliation failed', { error }));
    await venue.stop();
    try {
      await journal?.close();
    } catch (error) {
      journalFailure ??= error as KestrelError;
    }
  }
  const report = (results: RunResults, failed?: RunFailure): RunReport =>
    withResults(results, {
      strategy: options.strategy.name ?? 'strategy',
      venue: venue.exchange,
      instruments: instruments.map((i) => i.symbol),
      start,
      end: Math.max(end, clock.now()),
      marketEvents: events,
      wallMs: performance.now() - started,
      health: health.snapshot(),
      counters: { ...account.counters },
      capital: results.startEquity,
      currency,
      seed: 0,
      ...(failed === undefined ? {} : { failure: failed }),
    });
  const error =
    thrown?.error ??
    failure ??
    (journalFailure === undefined
      ? undefined
      : // The orders it could reach were canceled above; what the journal missed is the venue's
        new KestrelError(
          'JOURNAL_FAILED',
          `stopped: ${journalFailure.message}; open orders were canceled, and the next start reconciles with the venue`,
          { field: 'journal', value: options.journalPath, cause: journalFailure },
        ));
  if (error !== undefined) {
    // A failed run still reports what it did until then
    attachFailedRunReport(error, report(recorder.finish(), runFailureOf(error, clock.now())));
    throw error;
  }
  return report(recorder.finish());
}
