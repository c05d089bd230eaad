import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Balance } from '../core/balance.ts';
import { clientOrderId, tradeId, venueOrderId } from '../core/ids.ts';
import { createOrderRequest } from '../core/order-request.ts';
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

/** The orders.csv columns the tests read */
interface OrderRow {
  readonly status: string;
  readonly filledQuantity: string;
  readonly venueOrderId: string;
  readonly updatedAt: string;
  readonly transitions: string;
}

/** A recorder over an account fed events by hand, and what it wrote to orders.csv */
function handFedRun(run: (h: ReturnType<typeof handFed>) => void): Map<string, OrderRow> {
  const out = mkdtempSync(join(tmpdir(), 'kestrel-recorder-'));
  try {
    const h = handFed(out);
    run(h);
    h.recorder.finish();
    const lines = readFileSync(join(out, 'orders.csv'), 'utf8').trim().split('\n');
    const header = lines[0]!.split(',');
    const rows = new Map<string, OrderRow>();
    for (const line of lines.slice(1)) {
      const fields = line.split(',');
      const row = Object.fromEntries(header.map((name, k) => [name, fields[k] ?? '']));
      rows.set(fields[0]!, row as unknown as OrderRow);
    }
    // Every order as it is at the end (nothing changes after the settle time is over)
    for (const [clientId, row] of rows) {
      const order = h.account.findOrder(clientId)!;
      assert.equal(row.status, order.status, `${clientId} status`);
      assert.equal(row.filledQuantity, String(order.filledQuantity), `${clientId} filled`);
      assert.equal(row.venueOrderId, order.venueOrderId ?? '', `${clientId} venue id`);
      assert.equal(row.updatedAt, isoTime(order.updatedAt), `${clientId} updated`);
      assert.equal(
        row.transitions.split(' ').length,
        order.transitions.length,
        `${clientId} transitions`,
      );
    }
    return rows;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function handFed(out: string) {
  const btc = simInstrument('BTCUSDT');
  const start = Date.UTC(2026, 0, 1);
  const clock = new SimulatedClock(start);
  const account = new AccountProcessor({
    exchange: 'sim',
    clock,
    logger: silentLogger,
    balances: [{ currency: 'USDT', total: 100_000, free: 100_000, locked: 0 }],
  });
  const recorder = new RunRecorder({
    account,
    clock,
    instruments: [btc],
    currency: 'USDT',
    outDir: out,
    settleMs: 60_000,
  });
  const ref = (n: number) => ({
    exchange: 'sim',
    clientId: clientOrderId(`o${n}`),
    time: clock.now(),
  });
  let trades = 0;
  return {
    account,
    recorder,
    ref,
    at(ms: number) {
      clock.advanceTo(start + ms);
      recorder.tick();
    },
    request(n: number) {
      account.apply({
        type: 'orderRequested',
        request: createOrderRequest({
          clientId: clientOrderId(`o${n}`),
          instrument: btc,
          side: n % 2 === 0 ? 'BUY' : 'SELL',
          quantity: 0.002,
          orderType: 'LIMIT',
          price: 64_000 + n / 10,
          timeInForce: 'GTC',
        }),
        time: clock.now(),
      });
    },
    accept(n: number) {
      account.apply({ type: 'orderAccepted', ...ref(n), venueOrderId: venueOrderId(`v${n}`) });
    },
    cancel(n: number, venueId?: string) {
      account.apply({
        type: 'orderCanceled',
        ...ref(n),
        ...(venueId === undefined ? {} : { venueOrderId: venueOrderId(venueId) }),
      });
    },
    fill(n: number, quantity: number) {
      account.apply({
        type: 'orderFilled',
        ...ref(n),
        fill: {
          tradeId: tradeId(`t${trades++}`),
          clientId: clientOrderId(`o${n}`),
          instrument: btc,
          side: n % 2 === 0 ? 'BUY' : 'SELL',
          quantity,
          price: 64_000,
          liquidity: 'MAKER',
          time: clock.now(),
        },
      });
    },
  };
}

describe('RunRecorder orders.csv rows made when an order finishes', () => {
  it('writes what an order is when its settle time is over: a late fill, a venue id or fills a venue reported on an ignored event, a second finish', () => {
    const rows = handFedRun((h) => {
      h.at(0);
      for (let n = 0; n < 6; n++) h.request(n);
      h.at(100);
      for (const n of [0, 2, 3, 4, 5]) h.accept(n);
      h.at(1_000);
      for (let n = 0; n < 6; n++) h.cancel(n);
      // o0: a fill already in flight completes it after its cancel
      h.at(2_000);
      h.fill(0, 0.002);
      // o1, canceled before any accept: the venue's id comes with a duplicate cancel (ignored)
      h.cancel(1, 'v1');
      // o2: the venue reports fills on an order held canceled (ignored: the status is known)
      h.account.apply({
        type: 'orderStatusReported',
        ...h.ref(2),
        status: 'CANCELED',
        filledQuantity: 0.001,
        averagePrice: 64_000,
      });
      // o3: a partial fill brings it back, a second one finishes it again
      h.at(3_000);
      h.fill(3, 0.001);
      h.at(4_000);
      h.fill(3, 0.001);
      // o4: a duplicate cancel changes nothing; o5 stays as it finished
      h.cancel(4);
      h.at(200_000);
    });
    assert.deepEqual([...rows.keys()], ['o0', 'o1', 'o2', 'o3', 'o4', 'o5'], 'in finishing order');
    assert.equal(rows.get('o0')!.status, 'FILLED');
    assert.equal(rows.get('o1')!.venueOrderId, 'v1');
    assert.equal(rows.get('o2')!.filledQuantity, '0.001');
    assert.equal(rows.get('o3')!.status, 'FILLED');
    assert.equal(rows.get('o4')!.status, 'CANCELED');
  });

  it('writes a late change of an order that finished a hundred orders before the event', () => {
    const rows = handFedRun((h) => {
      h.at(0);
      for (let n = 0; n < 101; n++) h.request(n);
      h.at(100);
      h.accept(0);
      h.at(1_000);
      for (let n = 0; n < 101; n++) h.cancel(n);
      h.at(2_000);
      h.fill(0, 0.002);
      h.at(200_000);
    });
    assert.equal(rows.size, 101);
    assert.equal(rows.get('o0')!.status, 'FILLED');
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
    // Digits past 2^30 are written too, split in two (nine decimals, zeros inside, a fraction)
    for (const value of [
      123_456_789_012,
      1_000_000_000_005,
      2 ** 31 + 0.5,
      12_345.678901234,
      1.000000001,
      -98_765_432.1,
    ])
      assert.equal(written(value), String(value), String(value));
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
