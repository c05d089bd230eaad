import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccountEvent } from '../../core/events.ts';
import { createClientIdGenerator } from '../../core/ids.ts';
import type { Quote } from '../../core/market-data.ts';
import { AccountProcessor } from '../../engine/account-processor.ts';
import { SimulatedClock } from '../../engine/clock.ts';
import { HealthMonitor } from '../../engine/health-monitor.ts';
import { createMemoryLogger } from '../../engine/logger.ts';
import { TradingManager } from '../../engine/trading-manager.ts';
import { simInstrument } from '../../runtime/instruments.ts';
import type { LatencySpec } from './latency.ts';
import { createLatencyModel } from './latency.ts';
import { SimBroker } from './sim-broker.ts';
import type { SimVenueOptions } from './sim-venue.ts';
import { SimVenue } from './sim-venue.ts';

const BTC = simInstrument('BTCUSDT');

function setup(
  latency: LatencySpec = { requestMs: 10, replyMs: 10, streamMs: 15, jitter: 0 },
  venueOptions: Partial<SimVenueOptions> = {},
) {
  const clock = new SimulatedClock(1_000_000);
  const logger = createMemoryLogger();
  const venue = new SimVenue({
    exchange: 'sim',
    instruments: [BTC],
    balances: [{ currency: 'USDT', total: 10_000, free: 10_000, locked: 0 }],
    ...venueOptions,
  });
  const broker = new SimBroker({ venue, clock, latency: createLatencyModel(latency), seed: 7 });
  const account = new AccountProcessor({
    exchange: 'sim',
    clock,
    logger,
    balances: venue.getBalances(),
  });
  const health = new HealthMonitor({ clock });
  const trading = new TradingManager({
    brokers: [broker],
    account,
    clock,
    health,
    logger,
    ids: createClientIdGenerator({ instanceTag: 'sim', counterStart: 0 }),
  });
  const events: AccountEvent[] = [];
  account.subscribe((_r, e) => events.push(e));
  const quote = (bid: number, ask: number, size = 1): void => {
    const q: Quote = {
      type: 'quote',
      instrument: BTC,
      time: clock.now(),
      bid,
      bidSize: size,
      ask,
      askSize: size,
    };
    broker.onMarket(q);
  };
  const advance = (ms: number) => clock.advanceTo(clock.now() + ms);
  return { clock, venue, broker, account, health, trading, events, quote, advance, logger };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SimBroker', () => {
  it('keeps an async order PENDING until the venue answers after its latency', () => {
    const { trading, account, quote, advance } = setup();
    quote(64000, 64000.2);
    const id = trading.tradeAsync(BTC, 0.01, 63000);
    assert.equal(account.findOrder(id)?.status, 'PENDING');
    advance(9);
    assert.equal(account.findOrder(id)?.status, 'PENDING', 'the request is still on its way');
    advance(16);
    assert.equal(account.findOrder(id)?.status, 'OPEN', 'the stream push arrived');
  });

  it('resolves trade with the venue verdict and records submit latency', async () => {
    const { trading, quote, advance, health } = setup();
    quote(64000, 64000.2);
    const pending = trading.trade(BTC, 0.01, 63000);
    advance(20);
    await tick();
    const order = await pending;
    assert.equal(order.status, 'OPEN');
    assert.equal(health.submitLatency('sim').p50, 20, '10 ms up, 10 ms reply back');
  });

  it('turns a venue rejection into a REJECTED order with its code', async () => {
    const { trading, quote, advance } = setup();
    quote(64000, 64000.2);
    const pending = trading.trade(BTC, 0.01, 64000.2, { postOnly: true });
    advance(25);
    await tick();
    const order = await pending;
    assert.equal(order.status, 'REJECTED');
    assert.match(order.reason ?? '', /^-5022: /);
  });

  it('cancels an order the venue has not acknowledged yet', async () => {
    const { trading, account, quote, advance, venue } = setup();
    quote(64000, 64000.2);
    const id = trading.tradeAsync(BTC, 0.01, 63000);
    const canceling = trading.cancelOrder(id);
    assert.equal(account.findOrder(id)?.status, 'PENDING_CANCEL');
    advance(100);
    await tick();
    await canceling;
    assert.equal(account.findOrder(id)?.status, 'CANCELED');
    assert.equal(
      venue.order({ clientId: id })?.status,
      'CANCELED',
      'the cancel did not overtake the submit',
    );
    assert.equal(account.state.counters.refused, 0);
  });

  it('settles a cancel with the order once its reply is applied; the manager hands that promise on', async () => {
    const { trading, broker, account, quote, advance } = setup();
    quote(64000, 64000.2);
    const id = trading.tradeAsync(BTC, 0.01, 63000);
    advance(100);
    const order = account.findOrder(id)!;
    // The broker's own promise, as the manager's: no second promise made of it
    let handed: Promise<unknown> | undefined;
    const settled = broker.cancelOrderSettled.bind(broker);
    broker.cancelOrderSettled = (o) => {
      handed = settled(o);
      return handed as ReturnType<typeof settled>;
    };
    const canceling = trading.cancelOrder(order);
    assert.equal(canceling, handed);
    let value: unknown;
    void canceling.then((o) => {
      value = o;
    });
    advance(5);
    await tick();
    assert.equal(value, undefined, 'settled before the reply');
    advance(100);
    await tick();
    assert.equal(value, order);
    assert.equal(account.findOrder(id)?.status, 'CANCELED');
    // cancelOrder keeps its contract: it resolves with nothing
    const again = trading.tradeAsync(BTC, 0.01, 63000);
    advance(100);
    const plain = broker.cancelOrder(account.findOrder(again)!);
    advance(100);
    assert.equal(await plain, undefined);
    assert.equal(account.findOrder(again)?.status, 'CANCELED');
  });

  it('absorbs a fill that beats its accept when the stream is faster than the reply', async () => {
    const { trading, account, quote, advance, events } = setup({
      requestMs: 5,
      replyMs: 40,
      streamMs: 2,
      jitter: 0,
    });
    quote(64000, 64000.2, 5);
    const pending = trading.trade(BTC, 0.01, 64000.2);
    advance(100);
    await tick();
    const order = await pending;
    assert.equal(order.status, 'FILLED');
    const types = events.filter((e) => e.type !== 'orderRequested').map((e) => e.type);
    assert.deepEqual(
      types.slice(0, 4),
      ['orderAccepted', 'orderFilled', 'balanceUpdated', 'orderAccepted'],
      'stream accept + fill + the balances they moved, then the late reply',
    );
    assert.equal(account.state.counters.refused, 0);
    assert.equal(account.getPosition(BTC).quantity, 0.01);
  });

  it('fills resting orders from market data and books venue fees', () => {
    const { trading, account, quote, advance } = setup();
    quote(64000, 64000.2);
    const id = trading.tradeAsync(BTC, -0.02, 64001);
    advance(30);
    quote(64001.5, 64001.7, 0.5);
    advance(30);
    const order = account.findOrder(id);
    assert.equal(order?.status, 'FILLED');
    assert.equal(order?.averageFillPrice, 64001);
    assert.equal(account.getPosition(BTC).quantity, -0.02);
    // 0.02 × 64001 × 2 bp
    assert.equal(account.getPosition(BTC).commissions, 0.256004);
  });

  it('pushes the venue balances: a resting order locks its margin in the account, a cancel frees it', () => {
    const { trading, account, venue, quote, advance } = setup();
    quote(64000, 64000.2);
    const usdt = () => account.getBalances().find((b) => b.currency === 'USDT');
    const id = trading.tradeAsync(BTC, 0.05, 63000);
    advance(100);
    // 0.05 × 63000 / 20x
    assert.deepEqual(usdt(), {
      exchange: 'sim',
      currency: 'USDT',
      total: 10_000,
      free: 9842.5,
      locked: 157.5,
    });
    assert.deepEqual(venue.getBalances(), [
      { currency: 'USDT', total: 10_000, free: 9842.5, locked: 157.5 },
    ]);
    const order = account.findOrder(id);
    assert.ok(order !== undefined);
    void trading.cancelOrder(order);
    advance(100);
    assert.deepEqual(usdt(), {
      exchange: 'sim',
      currency: 'USDT',
      total: 10_000,
      free: 10_000,
      locked: 0,
    });
  });

  it('carries funding and a liquidation to the account as venue events', () => {
    const { trading, account, venue, quote, advance, events } = setup(undefined, {
      balances: [{ currency: 'USDT', total: 1000, free: 1000, locked: 0 }],
      // 1 000 000 ms since the epoch: the first settlement is at 1 800 000
      funding: { BTCUSDT: { type: 'fixed', rate: 0.0001, intervalMs: 900_000 } },
    });
    quote(99.9, 100.1, 1000);
    trading.tradeAsync(BTC, 100);
    const resting = trading.tradeAsync(BTC, 1, 80);
    advance(800_000);
    quote(99.9, 100.1, 1000);
    advance(100);
    const funding = events.find((e) => e.type === 'fundingPaid');
    assert.deepEqual(
      funding?.type === 'fundingPaid' && [funding.amount, funding.fundingId, funding.time],
      [-1, 'BTCUSDT:1800000', 1_800_000],
    );
    assert.equal(account.getPosition(BTC).funding, -1);
    quote(90.4, 90.6, 1000);
    advance(100);
    assert.equal(account.findOrder(resting)?.status, 'CANCELED');
    assert.equal(account.findOrder(resting)?.reason, 'liquidation');
    assert.equal(account.getOrders().length, 0);
    const liquidation = events.find((e) => e.type === 'orderAccepted' && e.report !== undefined);
    assert.ok(liquidation?.type === 'orderAccepted');
    const adopted = account.findOrder(`ext:${liquidation.venueOrderId}`);
    assert.deepEqual(
      [adopted?.origin, adopted?.reason, adopted?.status, adopted?.side, adopted?.filledQuantity],
      ['EXTERNAL', 'liquidation', 'FILLED', 'SELL', 100],
    );
    assert.equal(account.getPosition(BTC).quantity, 0);
    assert.deepEqual(
      account
        .getBalances()
        .map(({ currency, total, free, locked }) => ({ currency, total, free, locked })),
      venue.getBalances(),
    );
  });

  it('submits a batch in one message with per-order verdicts', async () => {
    const { trading, quote, advance, broker } = setup();
    quote(64000, 64000.2);
    const pending = trading.submitOrders([
      { instrument: BTC, amount: 0.01, price: 63000 },
      { instrument: BTC, amount: -0.01, price: 64000, postOnly: true },
      { instrument: BTC, amount: -0.01, price: 65000 },
    ]);
    advance(30);
    await tick();
    const orders = await pending;
    assert.deepEqual(
      orders.map((o) => o.status),
      ['OPEN', 'REJECTED', 'OPEN'],
    );
    assert.equal(broker.venue.openOrders().length, 2);
  });

  it('amends a resting order in place', async () => {
    const { trading, account, quote, advance } = setup();
    quote(64000, 64000.2);
    const id = trading.tradeAsync(BTC, 0.01, 63000);
    advance(30);
    const amending = trading.updateOrder(id, { price: 63500 });
    advance(30);
    await tick();
    await amending;
    assert.equal(account.findOrder(id)?.price, 63500);
  });

  it('is deterministic for a seed', () => {
    const run = () => {
      const { trading, account, quote, advance } = setup({
        requestMs: 20,
        replyMs: 20,
        streamMs: 25,
        jitter: 0.5,
      });
      quote(64000, 64000.2);
      const ids = Array.from({ length: 20 }, (_, i) => trading.tradeAsync(BTC, 0.01, 63900 + i));
      advance(50);
      return ids.map((id) => [account.findOrder(id)?.status, account.findOrder(id)?.updatedAt]);
    };
    assert.deepEqual(run(), run());
  });

  it('delivers each link in the order sent, whatever the latency drawn for each message', () => {
    const { trading, account, quote, advance, clock } = setup({
      requestMs: 20,
      replyMs: 20,
      streamMs: 25,
      jitter: 1.5,
    });
    quote(64000, 64000.2);
    const seen: string[] = [];
    const times: number[] = [];
    account.subscribe((result) => {
      if (result.outcome === 'applied' && result.change === 'accepted') {
        seen.push(result.order!.clientId);
        times.push(clock.now());
      }
    });
    const ids = Array.from({ length: 200 }, (_, i) => trading.tradeAsync(BTC, 0.01, 63000 + i));
    advance(10_000);
    assert.deepEqual(seen, ids, 'accepts arrive in the order the orders were sent');
    assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]!));
    assert.ok(new Set(times).size > 10, 'the latencies really differ');
  });
  it('gives the same events from a venue that copies orders into reports and one that does not', () => {
    const run = (copyOrders: boolean) => {
      const { trading, quote, advance, events } = setup(
        { requestMs: 20, replyMs: 20, streamMs: 25, jitter: 0.8 },
        { copyOrders },
      );
      quote(64000, 64000.2, 0.05);
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        // Resting, marketable (partly filled by a thin touch), canceled while PENDING or OPEN
        ids.push(
          trading.tradeAsync(BTC, i % 2 === 0 ? 0.03 : -0.03, i % 3 === 0 ? 64000.2 : 63990 + i),
        );
        if (i % 4 === 1) void trading.cancelOrder(ids[i - 1]!).catch(() => {});
        advance(7);
        if (i % 5 === 0) quote(64000 - i, 64000.2 - i, 0.05);
      }
      advance(1000);
      return events;
    };
    const copied = run(true);
    assert.ok(copied.some((e) => e.type === 'orderFilled'));
    assert.ok(copied.some((e) => e.type === 'orderCanceled'));
    assert.deepEqual(run(false), copied);
  });
});
