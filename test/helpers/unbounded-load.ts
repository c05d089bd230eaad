import { KestrelError } from '../../src/core/errors.ts';
import { AccountProcessor } from '../../src/engine/account-processor.ts';
import { SimulatedClock } from '../../src/engine/clock.ts';
import { HealthMonitor } from '../../src/engine/health-monitor.ts';
import { silentLogger } from '../../src/engine/logger.ts';
import type { RiskLimits } from '../../src/engine/risk-gate.ts';
import { TradingManager } from '../../src/engine/trading-manager.ts';
import { simInstrument } from '../../src/runtime/instruments.ts';
import { createLatencyModel } from '../../src/venues/sim/latency.ts';
import { SimBroker } from '../../src/venues/sim/sim-broker.ts';
import { SimVenue } from '../../src/venues/sim/sim-venue.ts';

export interface UnboundedLoadOptions {
  /** Simulated seconds the strategy keeps submitting */
  readonly seconds: number;
  /** Submits the strategy tries every 10 ms */
  readonly perTick: number;
  readonly risk: RiskLimits;
  /** Heap in use after a full collection; sampled at each tenth of the run from 40 % on (stores full) */
  readonly heap: () => number;
}

export interface UnboundedLoadResult {
  readonly attempts: number;
  /** Refusals thrown at the strategy, by the limit that refused */
  readonly refused: Readonly<Record<string, number>>;
  /** Queued submits refused as stale (REJECTED with RISK_LIMIT, never sent) */
  readonly stale: number;
  /** Submits the gate let out (the health monitor's submitted count) */
  readonly sent: number;
  /** Orders that reached the simulated venue's matching engine */
  readonly reachedVenue: number;
  /** Queued submits the strategy canceled before their turn */
  readonly withdrawn: number;
  /** Of those, how many reached the venue anyway (must be 0) */
  readonly withdrawnReachedVenue: number;
  /** Live orders and queued submits at the end */
  readonly liveOrders: number;
  readonly queued: number;
  /** Heap samples, bytes */
  readonly heap: readonly number[];
}

const BTC = simInstrument('BTCUSDT');
const TICK_MS = 10;

/**
 * A strategy submitting far faster than the risk gate's rate limit for a long stretch, on the
 * simulated venue: each 10 ms it tries `perTick` resting buys, cancels the newest one it made
 * (usually still queued), and every half second cancels what rests. Every order the venue's
 * matching engine receives is counted at its door.
 */
export async function runUnboundedLoad(
  options: UnboundedLoadOptions,
): Promise<UnboundedLoadResult> {
  const clock = new SimulatedClock(1_700_000_000_000);
  const venue = new SimVenue({
    exchange: 'sim',
    instruments: [BTC],
    balances: [{ currency: 'USDT', total: 1e9, free: 1e9, locked: 0 }],
    historySize: 1_000,
  });
  const withdrawnIds = new Set<string>();
  let reachedVenue = 0;
  let withdrawnReachedVenue = 0;
  const submit = venue.submit.bind(venue);
  venue.submit = (input, now) => {
    reachedVenue += 1;
    if (withdrawnIds.has(input.clientId)) withdrawnReachedVenue += 1;
    return submit(input, now);
  };
  const broker = new SimBroker({
    venue,
    clock,
    latency: createLatencyModel({ requestMs: 5, replyMs: 5, streamMs: 6, jitter: 0 }),
    seed: 1,
  });
  const account = new AccountProcessor({
    exchange: 'sim',
    clock,
    logger: silentLogger,
    balances: venue.getBalances(),
    // Short memory, so every bounded store is full early in the run
    limits: { graceMs: 5_000, historySize: 2_000 },
  });
  const health = new HealthMonitor({ clock });
  const trading = new TradingManager({
    brokers: [broker],
    account,
    clock,
    health,
    logger: silentLogger,
    referencePrice: () => 64_000,
    risk: options.risk,
  });
  let stale = 0;
  account.subscribe((_result, event) => {
    if (event.type === 'orderRejected' && event.code === 'RISK_LIMIT') stale += 1;
  });
  broker.onMarket({
    type: 'quote',
    instrument: BTC,
    time: clock.now(),
    bid: 64_000,
    bidSize: 1,
    ask: 64_000.2,
    askSize: 1,
  });

  const refused: Record<string, number> = {};
  const heap: number[] = [];
  let attempts = 0;
  const ticks = Math.round((options.seconds * 1000) / TICK_MS);
  for (let tick = 0; tick < ticks; tick++) {
    let newest: string | undefined;
    for (let i = 0; i < options.perTick; i++) {
      attempts += 1;
      try {
        newest = trading.tradeAsync(BTC, 0.001, 60_000 + (attempts % 100));
      } catch (error) {
        if (!(error instanceof KestrelError) || error.code !== 'RISK_LIMIT') throw error;
        const limit = error.limit ?? 'unknown';
        refused[limit] = (refused[limit] ?? 0) + 1;
      }
    }
    if (newest !== undefined && account.findOrder(newest)?.status === 'PENDING') {
      void trading.cancelOrder(newest);
      // Canceled on the spot: it had not been sent
      if (account.findOrder(newest)?.status === 'CANCELED') withdrawnIds.add(newest);
    }
    if (tick % 50 === 49) {
      for (const order of account.getOrders(BTC))
        if (order.status === 'OPEN') void trading.cancelOrder(order);
    }
    clock.advanceTo(clock.now() + TICK_MS);
    await new Promise((resolve) => setImmediate(resolve));
    if (tick >= ticks * 0.4 && (tick + 1) % Math.round(ticks / 10) === 0) heap.push(options.heap());
  }
  return {
    attempts,
    refused,
    stale,
    sent: health.snapshot().exchanges.find((e) => e.exchange === 'sim')?.counts.submitted ?? 0,
    reachedVenue,
    withdrawn: withdrawnIds.size,
    withdrawnReachedVenue,
    liveOrders: account.getOrders().length,
    queued: trading.risk.queued,
    heap,
  };
}
