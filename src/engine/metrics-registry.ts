import { Counter, collectDefaultMetrics, Gauge, Registry, Summary } from 'prom-client';
import { isTerminal } from '../core/order.ts';
import type { JournalBacklog, JournalHealth } from '../journal/journal.ts';
import type { AccountProcessor } from './account-processor.ts';
import type {
  ExchangeCounts,
  ExchangeHealth,
  HealthMonitor,
  LatencyStats,
} from './health-monitor.ts';

/** What a process's metrics are read from; each part may come later than the registry */
export interface MetricsSources {
  readonly health: () => HealthMonitor | undefined;
  readonly account?: () => AccountProcessor | undefined;
  readonly journal?: () =>
    | { readonly health: JournalHealth; backlog(): JournalBacklog }
    | undefined;
}

export interface MetricsRegistryOptions {
  /** Labels on every series: the owner (clientId prefix) of a process sharing an account, say */
  readonly labels?: Readonly<Record<string, string>>;
  /** Node's own figures too (CPU, memory, event-loop delay, GC); default false */
  readonly processMetrics?: boolean;
}

/** A summary whose quantiles, sum and count the health monitor computed already */
class ReportedSummary extends Summary<'exchange'> {
  private readonly read: () => readonly ExchangeHealth[];
  private readonly pick: (health: ExchangeHealth) => LatencyStats;

  constructor(
    registry: Registry,
    name: string,
    help: string,
    read: () => readonly ExchangeHealth[],
    pick: (health: ExchangeHealth) => LatencyStats,
  ) {
    super({ name, help, labelNames: ['exchange'], registers: [registry] });
    this.read = read;
    this.pick = pick;
  }

  override async get() {
    const base = await super.get();
    const values = this.read().flatMap((health) => {
      const stats = this.pick(health);
      const exchange = health.exchange;
      const quantile = (q: number, value: number | null) => ({
        labels: { exchange, quantile: q },
        // An empty series has no quantiles: Prometheus writes NaN
        value: value ?? Number.NaN,
      });
      return [
        quantile(0.5, stats.p50),
        quantile(0.9, stats.p90),
        quantile(0.99, stats.p99),
        {
          metricName: `${base.name}_sum`,
          labels: { exchange },
          value: (stats.mean ?? 0) * stats.count,
        },
        { metricName: `${base.name}_count`, labels: { exchange }, value: stats.count },
      ];
    });
    return { ...base, values };
  }
}

const COUNTS: ReadonlyArray<readonly [keyof ExchangeCounts, string]> = [
  ['submitted', 'Orders submitted'],
  ['accepted', 'Orders accepted by the venue'],
  ['rejected', 'Orders rejected by the venue'],
  ['timedOut', 'Submits never answered within the request timeout'],
  ['ambiguous', 'Sends that failed without a verdict'],
  ['lost', 'Orders declared lost after the venue was asked'],
  ['cancelRequested', 'Cancels requested'],
  ['canceled', 'Cancels confirmed'],
  ['cancelRejected', 'Cancels refused by the venue'],
  ['cancelTimedOut', 'Cancels never answered within the request timeout'],
  ['reconnects', 'Stream reconnects'],
  ['corrections', 'Reconciliation corrections'],
  ['refusedInputs', 'Venue frames, payloads and events refused without touching state'],
];

/** `cancelRequested` → `kestrel_cancel_requested_total` */
function countMetricName(key: string): string {
  return `kestrel_${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_total`;
}

const JOURNAL_STATES = { ok: 0, failing: 1, failed: 2 } as const;

/**
 * The Prometheus registry of a Kestrel process (prom-client): the health monitor's latencies
 * (summaries with the monitor's own quantiles), counts and stream liveness; the account's
 * positions, balances and open orders; the journal's state and lag (entries appended but not yet
 * durable, and how long the oldest has waited). Every figure is read when scraped, from the
 * sources as they are then, so nothing is copied or kept twice.
 */
export function createMetricsRegistry(
  sources: MetricsSources,
  options: MetricsRegistryOptions = {},
): Registry {
  const registry = new Registry();
  if (options.labels !== undefined) registry.setDefaultLabels({ ...options.labels });
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  // One snapshot per scrape: every health series reads the same moment
  let snapshot: { readonly at: number; readonly exchanges: readonly ExchangeHealth[] } | undefined;
  const exchanges = (): readonly ExchangeHealth[] => {
    const health = sources.health();
    if (health === undefined) return [];
    const now = Date.now();
    if (snapshot === undefined || now - snapshot.at > 50)
      snapshot = { at: now, exchanges: health.snapshot().exchanges };
    return snapshot.exchanges;
  };
  new ReportedSummary(
    registry,
    'kestrel_submit_latency_ms',
    'Order submit to first venue verdict, milliseconds',
    exchanges,
    (h) => h.submitLatency,
  );
  new ReportedSummary(
    registry,
    'kestrel_cancel_latency_ms',
    'Cancel request to cancel verdict, milliseconds',
    exchanges,
    (h) => h.cancelLatency,
  );
  new ReportedSummary(
    registry,
    'kestrel_event_lag_ms',
    'Venue event time to local apply, milliseconds',
    exchanges,
    (h) => h.eventLag,
  );
  for (const [key, help] of COUNTS) {
    new Counter({
      name: countMetricName(key),
      help,
      labelNames: ['exchange'],
      registers,
      collect() {
        this.reset();
        for (const h of exchanges()) this.inc({ exchange: h.exchange }, h.counts[key]);
      },
    });
  }
  new Gauge({
    name: 'kestrel_stream_connected',
    help: 'Whether the venue stream is connected (1) or not (0)',
    labelNames: ['exchange'],
    registers,
    collect() {
      this.reset();
      for (const h of exchanges())
        if (h.streamConnected !== undefined)
          this.set({ exchange: h.exchange }, h.streamConnected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'kestrel_stream_last_message_age_ms',
    help: 'Time since the venue stream last delivered anything, milliseconds',
    labelNames: ['exchange'],
    registers,
    collect() {
      this.reset();
      const now = sources.health()?.snapshot().time ?? Date.now();
      for (const h of exchanges())
        if (h.lastStreamMessageAt !== undefined)
          this.set({ exchange: h.exchange }, Math.max(0, now - h.lastStreamMessageAt));
    },
  });
  new Gauge({
    name: 'kestrel_outstanding_requests',
    help: 'Submits and cancels sent and not yet answered',
    labelNames: ['exchange', 'kind'],
    registers,
    collect() {
      this.reset();
      for (const h of exchanges()) {
        this.set({ exchange: h.exchange, kind: 'submit' }, h.outstandingSubmits);
        this.set({ exchange: h.exchange, kind: 'cancel' }, h.outstandingCancels);
      }
    },
  });

  const account = () => sources.account?.();
  const positionGauge = (name: string, help: string, pick: (p: PositionFigures) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['exchange', 'symbol'],
      registers,
      collect() {
        this.reset();
        const processor = account();
        if (processor === undefined) return;
        for (const p of processor.getPositions())
          this.set({ exchange: p.instrument.exchange, symbol: p.instrument.symbol }, pick(p));
      },
    });
  positionGauge('kestrel_position', 'Position: signed quantity', (p) => p.quantity);
  positionGauge(
    'kestrel_position_entry_price',
    'Average entry price of the open position',
    (p) => p.averagePrice,
  );
  positionGauge(
    'kestrel_position_unrealized_pnl',
    'Unrealized PnL at the last mark',
    (p) => p.unrealizedPnl,
  );
  positionGauge('kestrel_position_realized_pnl', 'Realized PnL', (p) => p.realizedPnl);
  new Gauge({
    name: 'kestrel_balance',
    help: 'Balance of a currency: total, free (available for orders) and locked',
    labelNames: ['exchange', 'currency', 'part'],
    registers,
    collect() {
      this.reset();
      const processor = account();
      if (processor === undefined) return;
      for (const b of processor.getBalances()) {
        const labels = { exchange: processor.exchange, currency: b.currency };
        this.set({ ...labels, part: 'total' }, b.total);
        this.set({ ...labels, part: 'free' }, b.free);
        this.set({ ...labels, part: 'locked' }, b.locked);
      }
    },
  });
  new Gauge({
    name: 'kestrel_open_orders',
    help: 'Orders not yet terminal, by instrument and status',
    labelNames: ['exchange', 'symbol', 'status'],
    registers,
    collect() {
      this.reset();
      const processor = account();
      if (processor === undefined) return;
      const counts = new Map<string, { symbol: string; status: string; count: number }>();
      for (const order of processor.getOrders()) {
        if (isTerminal(order.status)) continue;
        const key = `${order.instrument.symbol}\u0000${order.status}`;
        const entry = counts.get(key) ?? {
          symbol: order.instrument.symbol,
          status: order.status,
          count: 0,
        };
        entry.count += 1;
        counts.set(key, entry);
      }
      for (const { symbol, status, count } of counts.values())
        this.set({ exchange: processor.exchange, symbol, status }, count);
    },
  });
  new Counter({
    name: 'kestrel_account_events_total',
    help: 'Account events by outcome: applied, ignored (duplicates, stale), refused',
    labelNames: ['exchange', 'outcome'],
    registers,
    collect() {
      this.reset();
      const processor = account();
      if (processor === undefined) return;
      const c = processor.counters;
      for (const outcome of ['applied', 'ignored', 'refused'] as const)
        this.inc({ exchange: processor.exchange, outcome }, c[outcome]);
    },
  });

  const journal = () => sources.journal?.();
  new Gauge({
    name: 'kestrel_journal_state',
    help: 'Journal writes: 0 ok, 1 failing (retrying; new orders refused), 2 failed',
    registers,
    collect() {
      this.reset();
      const j = journal();
      if (j !== undefined) this.set(JOURNAL_STATES[j.health.state]);
    },
  });
  new Gauge({
    name: 'kestrel_journal_lag_entries',
    help: 'Journal entries appended but not yet durable',
    registers,
    collect() {
      this.reset();
      const j = journal();
      if (j !== undefined) this.set(j.backlog().entries);
    },
  });
  new Gauge({
    name: 'kestrel_journal_lag_ms',
    help: 'How long the oldest journal entry not yet durable has waited, milliseconds',
    registers,
    collect() {
      this.reset();
      const j = journal();
      if (j !== undefined) this.set(j.backlog().oldestMs);
    },
  });
  new Gauge({
    name: 'kestrel_journal_written_seq',
    help: 'Sequence number of the last durable journal entry',
    registers,
    collect() {
      this.reset();
      const j = journal();
      if (j !== undefined) this.set(j.backlog().written);
    },
  });
  return registry;
}

type PositionFigures = ReturnType<AccountProcessor['getPositions']>[number];
