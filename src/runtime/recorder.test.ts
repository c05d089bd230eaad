import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createRandom } from '../core/random.ts';
import { silentLogger } from '../engine/logger.ts';
import { runBacktest } from './backtest.ts';
import { simInstrument } from './instruments.ts';
import { isoTime } from './recorder.ts';
import createQuotingStrategy from './strategies/quoting.ts';
import { createSyntheticMarket } from './synthetic-market.ts';

describe('RunRecorder', () => {
  it('writes times exactly as Date#toISOString, in any order, across days and years', () => {
    const random = createRandom(3);
    const times = [
      0,
      999.999,
      Date.UTC(2026, 0, 1) - 0.5,
      Date.UTC(2026, 0, 1),
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2099, 11, 31, 12, 0, 0, 7),
    ];
    for (let i = 0; i < 2000; i++) times.push(random.next() * 4.1e12 + random.next());
    for (const time of times)
      assert.equal(isoTime(time), new Date(Math.floor(time)).toISOString(), String(time));
    assert.equal(isoTime(Number.NaN), '');
  });

  it('writes one orders.csv row per order, even for orders settled and still listed at the end', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kestrel-recorder-'));
    try {
      const btc = simInstrument('BTCUSDT');
      const report = await runBacktest({
        strategy: createQuotingStrategy(),
        params: { edgeBps: '1.5' },
        source: createSyntheticMarket({
          instruments: [btc],
          start: Date.UTC(2026, 0, 1, 23, 50),
          durationMs: 20 * 60_000,
          seed: 5,
        }),
        instruments: [btc],
        logger: silentLogger,
        outDir: out,
      });
      const rows = readFileSync(join(out, 'orders.csv'), 'utf8').trim().split('\n').slice(1);
      const ids = rows.map((row) => row.split(',')[0]);
      assert.ok(report.orders > 1000, `a busy run (${report.orders} orders)`);
      assert.equal(ids.length, report.orders);
      assert.equal(new Set(ids).size, ids.length, 'no order written twice');
      const statuses = Object.values(report.ordersByStatus).reduce((a, b) => a + b, 0);
      assert.equal(statuses, report.orders, 'every order counted once by status');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
