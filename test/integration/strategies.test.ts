/**
 * The bundled strategies and the candle example, end to end on the synthetic market: the trend
 * strategy trades on candles and ends flat, the example runs through `kestrel run`, the quoting
 * strategy's default edge is outside its maker fee, and a misspelt parameter is refused.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { createMemoryLogger } from '../../src/engine/logger.ts';
import { runBacktest } from '../../src/runtime/backtest.ts';
import { simInstrument } from '../../src/runtime/instruments.ts';
import createQuotingStrategy from '../../src/runtime/strategies/quoting.ts';
import createTrendStrategy from '../../src/runtime/strategies/trend.ts';
import { createSyntheticMarket } from '../../src/runtime/synthetic-market.ts';
import { memoryIo } from '../helpers/memory-io.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const START = Date.UTC(2026, 0, 1);

function market(hours: number) {
  const btc = simInstrument('BTCUSDT');
  return {
    btc,
    source: createSyntheticMarket({
      instruments: [btc],
      start: START,
      durationMs: hours * 3_600_000,
      seed: 1,
    }),
  };
}

describe('bundled strategies', () => {
  it('trend trades EMA crosses on 1-minute candles and ends flat', async () => {
    const { btc, source } = market(3);
    const report = await runBacktest({
      strategy: createTrendStrategy(),
      params: { interval: '1m', fast: '5', slow: '20' },
      source,
      instruments: [btc],
      logger: createMemoryLogger('warn'),
    });
    assert.ok(report.fills >= 4, `fills: ${report.fills}`);
    assert.equal(report.takerFills, report.fills, 'market orders');
    assert.equal(report.positions[0]?.quantity ?? 0, 0, 'closed at the stop');
    assert.ok(report.tearsheet.trades.trades >= 2, 'round trips');
    assert.equal(report.tearsheet.trades.open, 0);
  });

  it('quoting quotes outside its maker fee by default', async () => {
    const { btc, source } = market(0.05);
    const logger = createMemoryLogger('info');
    await runBacktest({ strategy: createQuotingStrategy(), source, instruments: [btc], logger });
    const started = logger.records.find((r) => r.message === 'quoting started');
    const edgeBps = Number((started?.fields as { edgeBps: number } | undefined)?.edgeBps);
    assert.ok(
      edgeBps > btc.makerFee * 10_000,
      `edge ${edgeBps} bps against a ${btc.makerFee * 1e4} bps fee`,
    );
  });

  it('runs the candle example with indicators through kestrel run', async () => {
    const { io, err, cwd } = memoryIo('kestrel-strategies-');
    const code = await main(
      [
        'run',
        join(ROOT, 'examples', 'bollinger-rsi.ts'),
        '--to',
        '2026-01-01T06:00:00Z',
        '--quiet',
      ],
      io,
    );
    assert.equal(code, 0, err());
    assert.ok(existsSync(join(cwd, 'kestrel-out', 'trades.csv')));
  });

  it('refuses a parameter the strategy does not declare, in one line, with exit 2', async () => {
    const { io, err } = memoryIo('kestrel-strategies-');
    assert.equal(await main(['run', '--param', 'edgBps=3'], io), 2);
    assert.match(err(), /unknown parameter "edgBps": strategy quoting takes symbol, edgeBps/);
    assert.equal(err().trim().split('\n').length, 1, err());
    const trend = memoryIo('kestrel-strategies-');
    assert.equal(await main(['run', 'trend', '--param', 'fast=x'], trend.io), 4);
    assert.match(trend.err(), /fast must be a number above 0 \(got "x"\)/);
  });
});
