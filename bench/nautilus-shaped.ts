/**
 * A backtest benchmark shaped like NautilusTrader's published one
 * (crates/backtest/benches/BENCHMARKS.md in nautilus_trader): 10 000 one-minute bars and a quote
 * at each bar's close, 20 000 market events in all, preloaded, through one simulated venue with
 * no report files, in four scenarios: (a) replay only, (b) 64 scheduled market orders, (c) 64
 * passive limit orders placed and canceled, (d) an EMA cross on the bars placing about 450
 * market orders. Nautilus feeds its bars as bars; Kestrel builds bars from trades, so each bar
 * arrives as one print at its close carrying the bar's volume, and the strategy subscribes to
 * the 1-minute bars built from them. Their bars are a recorded BTC perpetual month; ours are a
 * seeded random walk of the same length, so the figures stand beside theirs, not against them.
 */
import type { Instrument } from '../src/core/instrument.ts';
import { roundSizeDown, snapPrice } from '../src/core/instrument.ts';
import type { MarketDataSource, MarketEvent } from '../src/core/market-data.ts';
import { createRandom } from '../src/core/random.ts';
import { silentLogger } from '../src/engine/logger.ts';
import type { RunReport } from '../src/runtime/backtest.ts';
import { runBacktest } from '../src/runtime/backtest.ts';
import { simInstrument } from '../src/runtime/instruments.ts';
import type { Strategy } from '../src/runtime/strategy.ts';
import type { Figure } from './harness.ts';

const BARS = 10_000;
const MINUTE = 60_000;
const START = Date.UTC(2022, 0, 1);

/** The tape: per minute a quote one tick wide at the close, then the bar's print at the close */
function tape(instrument: Instrument): MarketEvent[] {
  const random = createRandom(20_000);
  const events: MarketEvent[] = [];
  let close = 46_000;
  for (let i = 0; i < BARS; i++) {
    close = snapPrice(instrument, close * Math.exp(0.0009 * random.normal()));
    const time = START + (i + 1) * MINUTE - 1;
    events.push({
      type: 'quote',
      instrument,
      time,
      bid: close,
      bidSize: 5,
      ask: snapPrice(instrument, close + instrument.tickSize),
      askSize: 5,
    });
    events.push({
      type: 'trade',
      instrument,
      time,
      price: close,
      size: roundSizeDown(instrument, 1 + random.next() * 20),
      side: random.next() < 0.5 ? 'BUY' : 'SELL',
    });
  }
  return events;
}

/** The preloaded tape as a source (one batch, as a reader hands over a parsed chunk) */
function source(events: readonly MarketEvent[]): MarketDataSource {
  let done = false;
  return {
    next: async () => {
      if (done) return undefined;
      done = true;
      return events;
    },
  };
}

/** (b) A market order every BARS/64 bars, alternating sides: 64 fills, 32 round trips */
function scheduledMarketOrders(): Strategy {
  let trades = 0;
  let sent = 0;
  return {
    name: 'scheduled market orders',
    onTrade(trade, ctx) {
      trades += 1;
      if (sent < 64 && trades % Math.floor(BARS / 64) === 0) {
        ctx.tradeAsync(trade.instrument, sent % 2 === 0 ? 0.01 : -0.01);
        sent += 1;
      }
    },
  };
}

/** (c) A post-only bid far below the touch every BARS/64 bars, canceled 10 bars later */
function passiveLimitOrders(): Strategy {
  let trades = 0;
  let sent = 0;
  const resting: Array<{ readonly clientId: string; readonly at: number }> = [];
  return {
    name: 'passive limit orders',
    onTrade(trade, ctx) {
      trades += 1;
      const first = resting[0];
      if (first !== undefined && trades - first.at >= 10) {
        resting.shift();
        ctx.cancelOrder(first.clientId).catch(() => {});
      }
      if (sent < 64 && trades % Math.floor(BARS / 64) === 0) {
        const clientId = ctx.tradeAsync(trade.instrument, 0.01, trade.price * 0.9, {
          postOnly: true,
        });
        resting.push({ clientId, at: trades });
        sent += 1;
      }
    },
  };
}

/** (d) Long on a fast-over-slow EMA cross of the 1-minute closes, flat on the cross back */
function emaCross(fastPeriod: number, slowPeriod: number): Strategy {
  const alphaFast = 2 / (fastPeriod + 1);
  const alphaSlow = 2 / (slowPeriod + 1);
  let fast = Number.NaN;
  let slow = Number.NaN;
  let bars = 0;
  let long = false;
  return {
    name: 'ema cross',
    onStart(ctx) {
      ctx.subscribeBars('1m');
    },
    onBar(bar, ctx) {
      bars += 1;
      fast = Number.isNaN(fast) ? bar.close : fast + alphaFast * (bar.close - fast);
      slow = Number.isNaN(slow) ? bar.close : slow + alphaSlow * (bar.close - slow);
      if (bars < slowPeriod) return;
      if (!long && fast > slow) {
        ctx.tradeAsync(bar.instrument, 0.01);
        long = true;
      } else if (long && fast < slow) {
        ctx.tradeAsync(bar.instrument, -0.01);
        long = false;
      }
    },
  };
}

interface Scenario {
  readonly name: string;
  readonly strategy: () => Strategy;
}

const SCENARIOS: readonly Scenario[] = [
  { name: '(a) replay only', strategy: () => ({ name: 'replay only' }) },
  { name: '(b) 64 market orders', strategy: scheduledMarketOrders },
  { name: '(c) 64 limit orders placed and canceled', strategy: passiveLimitOrders },
  { name: '(d) EMA cross', strategy: () => emaCross(8, 24) },
];

async function once(
  scenario: Scenario,
  events: readonly MarketEvent[],
  instrument: Instrument,
): Promise<{ readonly report: RunReport; readonly ms: number; readonly cpuMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const report = await runBacktest({
    strategy: scenario.strategy(),
    source: source(events),
    instruments: [instrument],
    logger: silentLogger,
  });
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { report, ms, cpuMs: (used.user + used.system) / 1000 };
}

/** Events/s for each scenario: the median of interleaved rounds after a warm-up of each */
export async function benchNautilusShaped(quick: boolean): Promise<Figure[]> {
  const instrument = simInstrument('BTCUSDT');
  const events = tape(instrument);
  const rounds = quick ? 3 : 9;
  const wall = SCENARIOS.map(() => [] as number[]);
  const cpu = SCENARIOS.map(() => [] as number[]);
  const reports: RunReport[] = [];
  // Warm up as Nautilus does (3 s per case before measuring), so the figures are of optimized
  // code, not of the JIT's first passes over it
  const warmMs = quick ? 300 : 3000;
  for (const scenario of SCENARIOS) {
    const until = performance.now() + warmMs;
    while (performance.now() < until) await once(scenario, events, instrument);
  }
  for (let round = 0; round < rounds; round++) {
    for (let s = 0; s < SCENARIOS.length; s++) {
      // Rotate the order each round, so no scenario always runs right after the same one
      const index = (s + round) % SCENARIOS.length;
      const { report, ms, cpuMs } = await once(SCENARIOS[index]!, events, instrument);
      wall[index]!.push(ms);
      cpu[index]!.push(cpuMs);
      reports[index] = report;
    }
  }
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return SCENARIOS.map((scenario, i) => {
    const report = reports[i]!;
    const ms = median(wall[i]!);
    const cpuMs = median(cpu[i]!);
    const spread = (Math.max(...wall[i]!) - Math.min(...wall[i]!)) / ms;
    const canceled = report.ordersByStatus.CANCELED;
    return {
      bench: 'nautilus-shaped',
      metric: `${scenario.name}: events/s`,
      value: report.marketEvents / (ms / 1000),
      unit: 'events/s',
      ...(i === 3 ? { target: '≥ 1 000 000' } : {}),
      note:
        `${report.marketEvents} events, ${report.orders} orders, ${report.fills} fills` +
        `${canceled > 0 ? `, ${canceled} canceled` : ''}; median ${ms.toFixed(1)} ms ` +
        `(CPU ${cpuMs.toFixed(1)} ms, ${Math.round((report.marketEvents / cpuMs) * 1000).toLocaleString('en-US')} events/CPU-s), ` +
        `spread ${Math.round(spread * 100)} % over ${rounds}`,
    };
  });
}
