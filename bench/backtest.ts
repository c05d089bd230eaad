import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Instrument } from '../src/core/instrument.ts';
import type { MarketDataSource } from '../src/core/market-data.ts';
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
  readonly open: () => { source: MarketDataSource; instruments: Instrument[] };
}

function realSample(): Dataset | undefined {
  if (!existsSync(SHARED_DATA)) return undefined;
  return {
    name: 'real BTCUSDT trades + quotes',
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

/** Backtest throughput: the example strategy over real and synthetic data, against reading the data alone */
export async function benchBacktest(quick: boolean): Promise<Figure[]> {
  const figures: Figure[] = [];
  const datasets = [realSample(), syntheticDay(quick ? 2 : 24)].filter(
    (d): d is Dataset => d !== undefined,
  );
  if (realSample() === undefined) {
    figures.push({
      bench: 'backtest',
      metric: 'real sample',
      value: 0,
      unit: '',
      note: 'skipped: ../shared/data is absent',
    });
  }
  for (const dataset of datasets) {
    const read = dataset.open();
    const readStart = performance.now();
    const readEvents = await passThrough(read.source);
    const readMs = performance.now() - readStart;
    collect();
    let peak = process.memoryUsage().rss;
    const baseline = process.memoryUsage().heapUsed;
    let peakHeap = baseline;
    const { source, instruments } = dataset.open();
    const report = await runBacktest({
      strategy: createQuotingStrategy(),
      // The edge the figures in BENCHMARKS.md were measured with (the default now quotes wider)
      params: { edgeBps: '1.5' },
      source,
      instruments,
      logger: silentLogger,
      onProgress: () => {
        const usage = process.memoryUsage();
        peak = Math.max(peak, usage.rss);
        peakHeap = Math.max(peakHeap, usage.heapUsed);
      },
    });
    const perSecond = report.marketEvents / (report.wallMs / 1000);
    figures.push(
      {
        bench: 'backtest',
        metric: `${dataset.name}: market events`,
        value: report.marketEvents,
        unit: 'events',
        note: `${report.orders} orders, ${report.fills} fills`,
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
        metric: `${dataset.name}: ratio to reading alone`,
        value: report.wallMs / readMs,
        unit: '×',
      },
      {
        bench: 'backtest',
        metric: `${dataset.name}: peak heap`,
        value: (peakHeap - baseline) / 2 ** 20,
        unit: 'MiB above start',
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
