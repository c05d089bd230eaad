/**
 * The bundled quoting strategy end to end through the full order flow on the simulated venue,
 * on synthetic data and on the real BTCUSDT sample. Invariants checked on every run:
 *
 * - every order reached a terminal status or is still open (none PENDING, PENDING_CANCEL, LOST);
 * - each position equals the signed sum of its fills;
 * - the balance reconciles: capital + realized PnL − fees + funding;
 * - no clientId changed: every fill names an order we created, every order id is unique and ours;
 * - the run exercised the flow: batches, cancels of unacknowledged orders, fills.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import type { FundingPaid } from '../../src/core/events.ts';
import { snapSize } from '../../src/core/instrument.ts';
import type { MarketDataSource, MarketEvent } from '../../src/core/market-data.ts';
import { money } from '../../src/core/numeric.ts';
import type { Order } from '../../src/core/order.ts';
import { createMemoryLogger } from '../../src/engine/logger.ts';
import type { RunReport } from '../../src/runtime/backtest.ts';
import { runBacktest } from '../../src/runtime/backtest.ts';
import { openDataFile } from '../../src/runtime/data-file.ts';
import { simInstrument } from '../../src/runtime/instruments.ts';
import { mergeSources } from '../../src/runtime/merge.ts';
import createQuotingStrategy from '../../src/runtime/strategies/quoting.ts';
import type { Strategy } from '../../src/runtime/strategy.ts';
import { createSyntheticMarket } from '../../src/runtime/synthetic-market.ts';

const SHARED_DATA = resolve(import.meta.dirname, '../../../shared/data');

function readCsv(path: string): Array<Record<string, string>> {
  const [header = '', ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const names = header.split(',');
  return lines.map((line) => {
    const fields: string[] = [];
    let current = '';
    let quoted = false;
    for (const char of line) {
      if (char === '"') quoted = !quoted;
      else if (char === ',' && !quoted) {
        fields.push(current);
        current = '';
      } else current += char;
    }
    fields.push(current);
    return Object.fromEntries(names.map((n, i) => [n, fields[i] ?? '']));
  });
}

function checkInvariants(report: RunReport, outDir: string): void {
  assert.equal(report.ordersByStatus.PENDING, 0, 'no order left PENDING');
  assert.equal(report.ordersByStatus.PENDING_CANCEL, 0, 'no cancel left unanswered');
  assert.equal(report.ordersByStatus.LOST, 0);
  const counted = Object.values(report.ordersByStatus).reduce((a, b) => a + b, 0);
  assert.equal(counted, report.orders, 'every order counted once by final status');

  const orders = readCsv(join(outDir, 'orders.csv'));
  const fills = readCsv(join(outDir, 'fills.csv'));
  assert.equal(orders.length, report.orders);
  assert.equal(fills.length, report.fills);
  const ids = new Set(orders.map((o) => o['clientId']));
  assert.equal(ids.size, orders.length, 'clientIds are unique');
  for (const id of ids) assert.match(id ?? '', /^kbt[a-z0-9]+-[a-z0-9]+$/);
  for (const fill of fills)
    assert.ok(
      ids.has(fill['clientId'] ?? ''),
      `fill ${fill['tradeId']} names our order ${fill['clientId']}`,
    );

  for (const position of report.positions) {
    const signed = fills
      .filter((f) => f['symbol'] === position.instrument.symbol)
      .reduce(
        (sum, f) =>
          snapSize(
            position.instrument,
            sum + (f['side'] === 'BUY' ? 1 : -1) * Number(f['quantity']),
          ),
        0,
      );
    assert.equal(
      position.quantity,
      signed,
      `${position.instrument.symbol} position is the signed sum of fills`,
    );
  }
  const fees = report.fees['USDT'] ?? 0;
  const balance = report.balances.find((b) => b.currency === 'USDT')?.total ?? 0;
  assert.equal(
    balance,
    money(report.capital + report.realizedPnl - fees + report.funding),
    'balance reconciles to PnL and fees',
  );
  const feeSum = fills.reduce((sum, f) => money(sum + Number(f['fee'])), 0);
  assert.equal(feeSum, fees, 'fees are the sum of the fills');
  assert.equal(report.counters.refused, 0, 'the writer refused nothing');
  assert.equal(report.counters.illegalTransitions, 0);
}

describe('backtest: the quoting strategy end to end', () => {
  it('runs on the synthetic market through batches, cancels before ack and fills', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'kestrel-bt-'));
    const btc = simInstrument('BTCUSDT');
    const report = await runBacktest({
      strategy: createQuotingStrategy(),
      // Inside the fee (the default quotes outside it): many fills to push through the order flow
      params: { edgeBps: '1.5' },
      source: createSyntheticMarket({
        instruments: [btc],
        start: Date.UTC(2026, 0, 1),
        durationMs: 2 * 3600_000,
        seed: 7,
      }),
      instruments: [btc],
      seed: 7,
      outDir,
      logger: createMemoryLogger('warn'),
    });
    checkInvariants(report, outDir);
    assert.ok(report.marketEvents > 50_000, `${report.marketEvents} events`);
    assert.ok(report.fills > 100, `${report.fills} fills`);
    assert.ok(
      report.cancelsBeforeAck > 10,
      `${report.cancelsBeforeAck} cancels of orders not yet acknowledged`,
    );
    assert.ok(report.ordersByStatus.CANCELED > 100);
    const health = report.health.exchanges[0];
    assert.ok((health?.submitLatency.count ?? 0) > 0 && (health?.cancelLatency.count ?? 0) > 0);
    assert.ok((health?.submitLatency.p50 ?? 0) > 20, 'latency is measured on the simulated clock');
  });

  it('gives the same result for the same seed', async () => {
    const run = async () => {
      const btc = simInstrument('BTCUSDT');
      const {
        wallMs: _wall,
        health: _health,
        ...rest
      } = await runBacktest({
        strategy: createQuotingStrategy(),
        source: createSyntheticMarket({
          instruments: [btc],
          start: Date.UTC(2026, 0, 1),
          durationMs: 1800_000,
          seed: 3,
        }),
        instruments: [btc],
        seed: 3,
        logger: createMemoryLogger('warn'),
      });
      return JSON.stringify(rest, (key, value) => (key === 'instrument' ? undefined : value));
    };
    assert.equal(await run(), await run());
  });

  it('runs on the real BTCUSDT trades and quotes sample', async (t) => {
    if (!existsSync(SHARED_DATA)) {
      t.skip('../shared/data is absent: the real BTCUSDT sample is not available');
      return;
    }
    const outDir = mkdtempSync(join(tmpdir(), 'kestrel-bt-real-'));
    const instruments = new Map<string, ReturnType<typeof simInstrument>>();
    const resolveInstrument = (symbol: string) => {
      const found = instruments.get(symbol) ?? simInstrument(symbol);
      instruments.set(symbol, found);
      return found;
    };
    const btc = resolveInstrument('BTCUSDT');
    const source = mergeSources([
      openDataFile({ path: join(SHARED_DATA, 'BTCUSDT.trades.csv.gz'), resolveInstrument }),
      openDataFile({ path: join(SHARED_DATA, 'BTCUSDT.quotes.csv.gz'), resolveInstrument }),
    ]);
    const report = await runBacktest({
      strategy: createQuotingStrategy(),
      source,
      instruments: [btc],
      to: Date.UTC(2026, 0, 1, 3),
      outDir,
      logger: createMemoryLogger('warn'),
    });
    checkInvariants(report, outDir);
    assert.ok(report.marketEvents > 100_000, `${report.marketEvents} events`);
    assert.ok(report.fills > 50, `${report.fills} fills`);
    assert.ok(
      report.cancelsBeforeAck > 0,
      'trade bursts make it cancel orders the venue has not acknowledged',
    );
    assert.equal(new Date(report.start).toISOString(), '2024-10-28T15:42:23.833Z');
  });
});

describe('backtest: funding and liquidation reach the strategy and the report', () => {
  const HOUR = 3_600_000;
  const start = Date.UTC(2026, 0, 1, 6);

  /** Hourly quotes: flat for a day, then falling 0.2% an hour */
  function falling(hours: number): MarketDataSource {
    const btc = simInstrument('BTCUSDT');
    const events: MarketEvent[] = [];
    let mid = 60_000;
    for (let h = 0; h <= hours; h++) {
      if (h > 24) mid = Math.round(mid * 0.998 * 10) / 10;
      events.push({
        type: 'quote',
        instrument: btc,
        time: start + h * HOUR,
        bid: mid - 0.1,
        bidSize: 50,
        ask: mid + 0.1,
        askSize: 50,
      });
    }
    let sent = false;
    return {
      next: async () => {
        if (sent) return undefined;
        sent = true;
        return events;
      },
    };
  }

  it('pays funding on the held position and liquidates it, telling the strategy', async () => {
    const btc = simInstrument('BTCUSDT');
    const funding: FundingPaid[] = [];
    const liquidations: Order[] = [];
    let bought = false;
    const strategy: Strategy = {
      name: 'long-and-leveraged',
      async onQuote(quote, ctx) {
        if (bought) return;
        bought = true;
        // 1.5 BTC at 60 000 on 10 000 of capital: 9× leverage
        await ctx.trade(quote.instrument, 1.5);
      },
      onFunding(payment) {
        funding.push(payment);
      },
      onOrder(order) {
        if (order.reason === 'liquidation' && order.origin === 'EXTERNAL') liquidations.push(order);
      },
    };
    const report = await runBacktest({
      strategy,
      source: falling(120),
      instruments: [btc],
      funding: { BTCUSDT: { type: 'fixed', rate: 0.0001, intervalMs: 8 * HOUR } },
      logger: createMemoryLogger('warn'),
    });
    // Settlements every 8 hours from 08:00 until the fall ends the position
    assert.ok(funding.length >= 5, `${funding.length} funding payments`);
    assert.equal(report.fundingPayments, funding.length);
    assert.equal(report.funding, money(funding.reduce((sum, f) => sum + f.amount, 0)));
    assert.ok(
      funding.every((f) => f.amount < 0),
      'a long pays a positive rate',
    );
    assert.equal(report.liquidations.length, 1);
    assert.deepEqual(
      [report.liquidations[0]?.side, report.liquidations[0]?.quantity],
      ['SELL', 1.5],
    );
    assert.ok(
      liquidations.some((o) => o.status === 'FILLED'),
      'the strategy saw it filled',
    );
    assert.equal(report.positions[0]?.quantity, 0);
    const fees = report.fees['USDT'] ?? 0;
    const usdt = report.balances.find((b) => b.currency === 'USDT');
    assert.equal(usdt?.total, money(report.capital + report.realizedPnl - fees + report.funding));
    assert.ok(
      (usdt?.total ?? -1) >= 0 && (usdt?.total ?? 0) < 500,
      `liquidated before bankruptcy, the fee taking most of what was left: ${usdt?.total}`,
    );
  });
});

describe('backtest: what the strategy sees of the market', () => {
  it("answers ctx.quote with each instrument's last quote, a book's best levels included", async () => {
    const btc = simInstrument('BTCUSDT');
    const eth = simInstrument('ETHUSDT');
    const t0 = Date.UTC(2026, 0, 1);
    const quote = (instrument: typeof btc, time: number, bid: number): MarketEvent => ({
      type: 'quote',
      instrument,
      time,
      bid,
      bidSize: 1,
      ask: bid + 1,
      askSize: 1,
    });
    const trade = (instrument: typeof btc, time: number, price: number): MarketEvent => ({
      type: 'trade',
      instrument,
      time,
      price,
      size: 1,
      side: 'BUY',
    });
    const events: MarketEvent[] = [
      quote(btc, t0, 60_000),
      trade(eth, t0 + 1, 3_000),
      quote(eth, t0 + 2, 3_001),
      quote(eth, t0 + 3, 3_002),
      quote(btc, t0 + 4, 60_010),
      { type: 'book', instrument: eth, time: t0 + 5, bids: [[3_003, 2]], asks: [[3_004, 2]] },
      trade(btc, t0 + 6, 60_011),
    ];
    const seen: Array<[number | undefined, number | undefined]> = [];
    const look = (_event: unknown, ctx: Parameters<NonNullable<Strategy['onStart']>>[0]) => {
      seen.push([ctx.quote(btc)?.bid, ctx.quote(eth)?.bid]);
    };
    let sent = false;
    await runBacktest({
      strategy: { name: 'looking', onQuote: look, onTrade: look, onBook: look },
      source: {
        next: async () => {
          if (sent) return undefined;
          sent = true;
          return events;
        },
      },
      instruments: [btc, eth],
      outDir: undefined,
      logger: createMemoryLogger('warn'),
    });
    assert.deepEqual(seen, [
      [60_000, undefined],
      [60_000, undefined],
      [60_000, 3_001],
      [60_000, 3_002],
      [60_010, 3_002],
      [60_010, 3_003],
      [60_010, 3_003],
    ]);
  });
});
