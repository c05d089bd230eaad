import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Balance } from '../core/balance.ts';
import { createRandom } from '../core/random.ts';
import { AccountProcessor } from '../engine/account-processor.ts';
import { SimulatedClock } from '../engine/clock.ts';
import { silentLogger } from '../engine/logger.ts';
import { runBacktest } from './backtest.ts';
import { simInstrument } from './instruments.ts';
import { isoTime, RunRecorder, writeNumber } from './recorder.ts';
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

  it('samples equity a balance snapshot or a funding payment moved, with no fill, and not a snapshot that moved only locked', () => {
    const btc = simInstrument('BTCUSDT');
    const start = Date.UTC(2026, 0, 1);
    const clock = new SimulatedClock(start);
    const usdt = (total: number, locked = 0): Balance => ({
      currency: 'USDT',
      total,
      free: total - locked,
      locked,
    });
    const account = new AccountProcessor({
      exchange: 'sim',
      clock,
      logger: silentLogger,
      balances: [usdt(1000)],
    });
    const recorder = new RunRecorder({ account, clock, instruments: [btc], currency: 'USDT' });
    const second = (n: number, event?: Parameters<AccountProcessor['apply']>[0]) => {
      clock.advanceTo(start + n * 1000);
      if (event !== undefined) account.apply(event);
      recorder.tick();
    };
    const snapshot = (balance: Balance) =>
      ({
        type: 'balanceUpdated',
        exchange: 'sim',
        balances: [balance],
        time: clock.now(),
      }) as const;
    recorder.tick();
    second(1, snapshot(usdt(1000, 100)));
    second(2, snapshot(usdt(1200, 100)));
    second(3, snapshot(usdt(1200, 0)));
    second(4, {
      type: 'fundingPaid',
      exchange: 'sim',
      instrument: btc,
      amount: -5.5,
      fundingId: 'BTCUSDT:4',
      time: clock.now(),
    });
    second(5, snapshot(usdt(900)));
    second(6);
    const results = recorder.finish();
    assert.deepEqual(
      results.equityCurve.map((point) => point.equity),
      // The last point is the one `finish` takes
      [1000, 1000, 1200, 1200, 1194.5, 900, 900, 900],
    );
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

describe('writeNumber', () => {
  const written = (value: number): string => {
    const buffer = Buffer.alloc(40);
    const end = writeNumber(buffer, 3, value);
    return end < 0 ? '(left to String)' : buffer.toString('latin1', 3, end);
  };

  it('writes numbers on a decimal step exactly as String does', () => {
    for (const value of [
      0,
      -0,
      1,
      -1,
      7,
      10,
      100,
      64_000,
      63_993,
      64_012.4,
      0.002,
      0.1,
      0.30000000000000004,
      0.3,
      1.5,
      -2.25,
      0.00001,
      0.000001,
      123_456_789.123,
      999_999_999_999_999,
      0.0255994 + 8e-8,
      0.02559948,
      4_503_599_627_370_496,
      1e-7,
      1e21,
    ]) {
      const out = written(value);
      if (out !== '(left to String)') assert.equal(out, String(value), String(value));
    }
    assert.equal(written(64_012.4), '64012.4');
    assert.equal(written(0.002), '0.002');
    assert.equal(written(-0), '0');
    assert.equal(written(-2.25), '-2.25');
    assert.equal(written(0.1 + 0.2), '(left to String)');
  });

  it('agrees with String for any value snapped to a step of up to 9 decimals, or leaves it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
        fc.integer({ min: 0, max: 12 }),
        (steps, decimals) => {
          const value = steps / 10 ** decimals;
          const out = written(value);
          return out === '(left to String)' || out === String(value);
        },
      ),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (value) => {
        const out = written(value);
        return out === '(left to String)' || out === String(value);
      }),
      { numRuns: 20_000 },
    );
  });

  it('writes prices and sizes as the instrument snaps them, none left to String', () => {
    const random = createRandom(11);
    for (let i = 0; i < 5000; i++) {
      const price = Math.round(random.next() * 1e7) / 10;
      const size = Math.round(random.next() * 1e5) / 1e3;
      assert.equal(written(price), String(price));
      assert.equal(written(size), String(size));
    }
  });
});
