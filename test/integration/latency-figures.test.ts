/**
 * Latency figures in the run summary say what they cover: n for the whole run, and `n/a` (never
 * p50 0) for a series with no samples.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryLogger } from '../../src/engine/logger.ts';
import { runBacktest } from '../../src/runtime/backtest.ts';
import { simInstrument } from '../../src/runtime/instruments.ts';
import {
  formatSummaryLines,
  formatSummaryTable,
  reportJson,
} from '../../src/runtime/report/summary.ts';
import type { Strategy } from '../../src/runtime/strategy.ts';
import { createSyntheticMarket } from '../../src/runtime/synthetic-market.ts';

describe('latency figures in the summary', () => {
  it('print n for the whole run and n/a for a series without samples', async () => {
    const instrument = simInstrument('BTCUSDT');
    let placed = 0;
    // Resting buys far below the market: submits are answered, nothing is ever canceled
    const strategy: Strategy = {
      name: 'rest',
      onQuote(quote, ctx) {
        if (placed >= 30) return;
        placed += 1;
        ctx.tradeAsync(instrument, 0.001, Math.floor(quote.bid * 0.5));
      },
    };
    const report = await runBacktest({
      strategy,
      source: createSyntheticMarket({
        instruments: [instrument],
        start: Date.UTC(2026, 0, 1),
        durationMs: 60_000,
        seed: 3,
      }),
      instruments: [instrument],
      logger: createMemoryLogger(),
    });
    const lines = formatSummaryLines(report);
    assert.match(lines, /^submit_latency_n=30$/m);
    assert.match(lines, /^submit_latency_p50_ms=\d+(\.\d+)?$/m);
    assert.match(lines, /^cancel_latency_n=0$/m);
    assert.match(lines, /^cancel_latency_p50_ms=n\/a$/m);
    assert.match(lines, /^cancel_latency_p99_ms=n\/a$/m);
    const table = formatSummaryTable(report);
    assert.match(
      table,
      /Submit latency \(ms\)\s+p50 [\d.]+\s+p90 [\d.]+\s+p99 [\d.]+\s+\(n=30, whole run\)/,
    );
    assert.match(table, /Cancel latency \(ms\)\s+n\/a/);
    const json = JSON.parse(JSON.stringify(reportJson(report))) as {
      health: { exchanges: Array<{ cancelLatency: Record<string, unknown> }> };
    };
    assert.equal(json.health.exchanges[0]?.cancelLatency['p50'], null);
  });
});
