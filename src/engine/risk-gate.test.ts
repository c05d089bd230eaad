import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHarness } from '../../test/helpers/harness.ts';
import { BTC_PERP, ETH_PERP } from '../../test/helpers/instruments.ts';
import { KestrelError } from '../core/errors.ts';
import { clientOrderId } from '../core/ids.ts';
import { createOrderRequest } from '../core/order-request.ts';
import { SimulatedClock } from './clock.ts';
import { createReferencePrices, parseRiskLimits, RiskGate } from './risk-gate.ts';

/** Asserts a RISK_LIMIT refusal naming the limit, the field and the value */
function riskLimit(limit: string, field: string, value: unknown) {
  return (error: unknown) => {
    assert.ok(error instanceof KestrelError, String(error));
    assert.equal(error.code, 'RISK_LIMIT');
    assert.equal(error.kind, 'local');
    assert.equal(error.limit, limit);
    assert.equal(error.field, field);
    assert.deepEqual(error.value, value);
    assert.match(error.message, new RegExp(`^(order \\d+: )?risk limit ${limit}: `));
    return true;
  };
}

const sends = (h: ReturnType<typeof createHarness>) =>
  h.broker.wire.flatMap((m) =>
    m.op === 'send' ? [m.clientId] : m.op === 'batch' ? [...m.clientIds] : [],
  );

/** A resting 0.01 BTC bid at 60 000 with this clientId */
function btcBid(id: string) {
  return createOrderRequest({
    clientId: clientOrderId(id),
    instrument: BTC_PERP,
    side: 'BUY',
    quantity: 0.01,
    orderType: 'LIMIT',
    price: 60000,
    timeInForce: 'GTC',
  });
}
describe('RiskGate: limits per instrument', () => {
  it('refuses an order above the maximum quantity before anything is tracked', async () => {
    const h = createHarness({
      risk: { maxQuantity: 1, instruments: { ETHUSDT: { maxQuantity: 10 } } },
    });
    await assert.rejects(
      h.trading.trade(BTC_PERP, 1.5, 60000),
      riskLimit('maxQuantity', 'quantity', 1.5),
    );
    assert.throws(
      () => h.trading.tradeAsync(BTC_PERP, -2, 60000),
      riskLimit('maxQuantity', 'quantity', 2),
    );
    assert.equal(h.account.getOrders().length, 0, 'nothing tracked');
    assert.deepEqual(h.broker.wire, [], 'nothing sent');
    // The per-symbol override wins over the general limit
    assert.equal((await h.trading.trade(ETH_PERP, 5, 3000)).status, 'OPEN');
    assert.equal((await h.trading.trade(BTC_PERP, 1, 60000)).status, 'OPEN');
  });

  it('refuses an order above the maximum notional, a market order valued at the reference price', async () => {
    const h = createHarness({ risk: { maxNotional: 5000 }, referencePrice: () => 60000 });
    await assert.rejects(h.trading.trade(BTC_PERP, 0.1, 60000), (error: unknown) => {
      riskLimit('maxNotional', 'quantity', 0.1)(error);
      assert.match(
        (error as Error).message,
        /notional 6000 \(quantity 0\.1 × price 60000\) exceeds the maximum 5000 of BTCUSDT/,
      );
      return true;
    });
    assert.throws(
      () => h.trading.tradeAsync(BTC_PERP, -0.09),
      riskLimit('maxNotional', 'quantity', 0.09),
    );
    assert.equal(h.account.getOrders().length, 0);
    assert.equal((await h.trading.trade(BTC_PERP, 0.08, 60000)).status, 'OPEN');
  });

  it('refuses a limit or stop price outside the band around the reference price', async () => {
    let reference: number | undefined;
    const h = createHarness({ risk: { priceBand: 0.05 }, referencePrice: () => reference });
    // No reference price yet: the band cannot be checked
    assert.equal((await h.trading.trade(BTC_PERP, 0.01, 90000)).status, 'OPEN');
    reference = 60000;
    await assert.rejects(
      h.trading.trade(BTC_PERP, 0.01, 63000.1),
      riskLimit('priceBand', 'price', 63000.1),
    );
    await assert.rejects(
      h.trading.trade(BTC_PERP, -0.01, 56999.9),
      riskLimit('priceBand', 'price', 56999.9),
    );
    await assert.rejects(
      h.trading.trade(BTC_PERP, -0.01, undefined, { stopPrice: 50000 }),
      riskLimit('priceBand', 'stopPrice', 50000),
    );
    assert.equal(h.account.getOrders().length, 1, 'only the first order is tracked');
    assert.equal((await h.trading.trade(BTC_PERP, 0.01, 57000)).status, 'OPEN');
    assert.equal((await h.trading.trade(BTC_PERP, -0.01, 63000)).status, 'OPEN');
  });

  it('refuses past the maximum of live orders per instrument, batch included, and counts freed slots', async () => {
    const h = createHarness({ risk: { maxOpenOrders: 2 } });
    const first = await h.trading.trade(BTC_PERP, 0.01, 60000);
    await h.trading.trade(BTC_PERP, 0.01, 60001);
    assert.throws(
      () => h.trading.tradeAsync(BTC_PERP, 0.01, 60002),
      riskLimit('maxOpenOrders', 'instrument', 'BTCUSDT'),
    );
    // Another instrument has its own count; one refused entry refuses the whole batch
    await assert.rejects(
      h.trading.submitOrders([
        { instrument: ETH_PERP, amount: 0.01, price: 3000 },
        { instrument: ETH_PERP, amount: 0.01, price: 3001 },
        { instrument: ETH_PERP, amount: 0.01, price: 3002 },
      ]),
      riskLimit('maxOpenOrders', '[2].instrument', 'ETHUSDT'),
    );
    assert.equal(h.account.getOrders(ETH_PERP).length, 0, 'nothing of the batch tracked');
    await h.trading.cancelOrder(first);
    h.broker.emitCanceled(first.clientId);
    assert.equal((await h.trading.trade(BTC_PERP, 0.01, 60002)).status, 'OPEN', 'a slot freed');
  });

  it('counts orders tracked on the account directly, before the first check, as live', () => {
    // The TradingManager seeds its gate's counts as it subscribes, then follows the account
    const h = createHarness({ risk: { maxOpenOrders: 2 } });
    for (const id of ['direct-1', 'direct-2']) h.account.processOrderRequest(btcBid(id));
    assert.throws(
      () => h.trading.tradeAsync(BTC_PERP, 0.01, 60002),
      riskLimit('maxOpenOrders', 'instrument', 'BTCUSDT'),
    );
    assert.equal(h.trading.tradeAsync(ETH_PERP, 0.01, 3000).length > 0, true);
  });

  it('used alone, seeds its counts from the live orders on the first check, or when told', () => {
    const live = [{ instrument: BTC_PERP }, { instrument: BTC_PERP }];
    const order = btcBid('alone-1');
    const clock = new SimulatedClock(0);
    const lazy = new RiskGate({ maxOpenOrders: 2 }, clock, () => live);
    const eager = new RiskGate({ maxOpenOrders: 2 }, clock, () => live);
    eager.startCounting();
    // Read when counting starts, not again: later changes come through onApplied
    live.pop();
    assert.doesNotThrow(() => lazy.check(order, undefined));
    assert.throws(
      () => eager.check(order, undefined),
      riskLimit('maxOpenOrders', 'instrument', 'BTCUSDT'),
    );
  });

  it('checks limits given as data, naming the bad field and its value', () => {
    assert.deepEqual(
      parseRiskLimits({ maxQuantity: 2, instruments: { BTCUSDT: { priceBand: 0.02 } } }),
      {
        maxQuantity: 2,
        instruments: { BTCUSDT: { priceBand: 0.02 } },
      },
    );
    const cases: Array<[unknown, string, unknown]> = [
      [{ maxQuantity: -1 }, 'risk.maxQuantity', -1],
      [{ maxOpenOrders: 1.5 }, 'risk.maxOpenOrders', 1.5],
      [{ submitsPerSecond: 'fast' }, 'risk.submitsPerSecond', 'fast'],
      [{ maxQueued: -1 }, 'risk.maxQueued', -1],
      [{ instruments: { BTCUSDT: { priceBand: 0 } } }, 'risk.instruments.BTCUSDT.priceBand', 0],
      [{ maxQty: 1 }, 'risk.maxQty', 1],
      [[], 'risk', []],
    ];
    for (const [raw, field, value] of cases) {
      assert.throws(
        () => parseRiskLimits(raw),
        (error: unknown) => {
          assert.ok(error instanceof KestrelError);
          assert.equal(error.code, 'INVALID_CONFIG');
          assert.equal(error.field, field);
          assert.deepEqual(error.value, value);
          return true;
        },
        JSON.stringify(raw),
      );
    }
  });
});

describe('RiskGate: submit rate and its bounded queue', () => {
  const limits = { submitsPerSecond: 10, submitBurst: 2, maxQueued: 3, maxQueueAgeMs: 1000 };

  it('sends within the rate at once, queues the excess, refuses past the queue', () => {
    const h = createHarness({ risk: limits, reply: () => 'silent' });
    const ids = [0, 1, 2, 3, 4].map((i) => h.trading.tradeAsync(BTC_PERP, 0.01, 60000 + i));
    assert.deepEqual(sends(h), ids.slice(0, 2), 'the burst goes out at once');
    assert.equal(h.trading.risk.queued, 3);
    assert.ok(
      ids.every((id) => h.account.findOrder(id)?.status === 'PENDING'),
      'queued ones are tracked',
    );
    assert.throws(
      () => h.trading.tradeAsync(BTC_PERP, 0.01, 60005),
      riskLimit('maxQueued', 'exchange', 'TEST'),
    );
    assert.equal(h.account.getOrders().length, 5, 'the refused one is not tracked');
    h.clock.advanceTo(h.clock.now() + 100);
    assert.deepEqual(sends(h), ids.slice(0, 3), 'one more per 100 ms');
    h.clock.advanceTo(h.clock.now() + 100);
    h.clock.advanceTo(h.clock.now() + 100);
    assert.deepEqual(sends(h), ids, 'the queue drains in order');
    assert.equal(h.trading.risk.queued, 0);
  });

  it('holds the burst, no more, for the first submits long after the manager was made', () => {
    // Each broker's lane is made with the manager, full: idle time before the first submit adds
    // nothing past the burst, as a lane made at the first submit would hold
    const h = createHarness({ risk: limits, reply: () => 'silent' });
    h.clock.advanceTo(h.clock.now() + 60_000);
    const ids = [0, 1, 2].map((i) => h.trading.tradeAsync(BTC_PERP, 0.01, 60000 + i));
    assert.deepEqual(sends(h), ids.slice(0, 2), 'the burst goes out at once');
    assert.equal(h.trading.risk.queued, 1);
    h.clock.advanceTo(h.clock.now() + 100);
    assert.deepEqual(sends(h), ids, 'then one per 100 ms');
  });

  it('never sends a queued submit canceled before its turn', async () => {
    const h = createHarness({ risk: limits, reply: () => 'silent' });
    const ids = [0, 1, 2, 3].map((i) => h.trading.tradeAsync(BTC_PERP, 0.01, 60000 + i));
    const canceled = await h.trading.cancelOrder(ids[2]!);
    assert.equal(canceled.status, 'CANCELED');
    assert.equal(h.trading.risk.queued, 1);
    h.clock.advanceTo(h.clock.now() + 1000);
    assert.deepEqual(sends(h), [ids[0], ids[1], ids[3]], 'the canceled one never went out');
    assert.ok(!h.broker.wire.some((m) => m.op === 'cancel'), 'nor did a cancel for it');
    const counts = h.health.snapshot().exchanges.find((e) => e.exchange === 'TEST')?.counts;
    assert.equal(counts?.submitted, 3, 'health counts what was sent');
    assert.equal(counts?.canceled, 0, 'a cancel that never left is not the venue canceling');
    assert.equal(counts?.cancelRequested, 0);
  });

  it('refuses a queued submit older than the staleness bound instead of sending it late', async () => {
    const h = createHarness({
      risk: { ...limits, submitsPerSecond: 2, maxQueueAgeMs: 400 },
      reply: () => 'silent',
    });
    const ids = [0, 1, 2, 3].map((i) => h.trading.tradeAsync(BTC_PERP, 0.01, 60000 + i));
    const waiting = h.trading.trade(BTC_PERP, 0.01, 60004);
    h.clock.advanceTo(h.clock.now() + 2000);
    assert.deepEqual(sends(h), ids.slice(0, 2), 'the first went out after 500 ms, past the bound');
    for (const id of ids.slice(2)) {
      const order = h.account.findOrder(id);
      assert.equal(order?.status, 'REJECTED');
    }
    const late = await waiting;
    assert.equal(late.status, 'REJECTED', 'trade() resolves with the refusal');
  });

  it('never sends a queued order of a batch canceled before its turn', async () => {
    const h = createHarness({ risk: limits });
    const pending = h.trading.submitOrders(
      [0, 1, 2, 3].map((i) => ({ instrument: BTC_PERP, amount: 0.01, price: 60000 + i })),
    );
    const ids = h.account.getOrders().map((o) => o.clientId);
    assert.equal(h.trading.risk.queued, 2, 'the burst is cleared, the rest waits for the rate');
    const canceled = await h.trading.cancelOrder(ids[2]!);
    assert.equal(canceled.status, 'CANCELED');
    assert.equal(canceled.reason, 'canceled before it was sent');
    h.clock.advanceTo(h.clock.now() + 1000);
    assert.deepEqual(
      (await pending).map((o) => o.status),
      ['OPEN', 'OPEN', 'CANCELED', 'OPEN'],
    );
    assert.deepEqual(sends(h), [ids[0], ids[1], ids[3]], 'the canceled one never went out');
    assert.ok(!h.broker.wire.some((m) => m.op === 'cancel'), 'nor did a cancel for it');
  });

  it('refuses a whole batch that would overfill the queue, naming the entry', async () => {
    const h = createHarness({ risk: { ...limits, maxQueued: 1 } });
    const specs = [0, 1, 2, 3].map((i) => ({
      instrument: BTC_PERP,
      amount: 0.01,
      price: 60000 + i,
    }));
    await assert.rejects(
      h.trading.submitOrders(specs),
      riskLimit('maxQueued', '[3].exchange', 'TEST'),
    );
    assert.equal(h.account.getOrders().length, 0, 'nothing of the batch tracked');
    assert.deepEqual(h.broker.wire, []);
  });

  it('applies to a batch: what the rate allows goes out in one message, the rest after', async () => {
    const h = createHarness({ risk: limits });
    const pending = h.trading.submitOrders(
      [0, 1, 2].map((i) => ({ instrument: BTC_PERP, amount: 0.01, price: 60000 + i })),
    );
    h.clock.advanceTo(h.clock.now() + 100);
    const orders = await pending;
    assert.deepEqual(
      orders.map((o) => o.status),
      ['OPEN', 'OPEN', 'OPEN'],
    );
    assert.deepEqual(
      sends(h),
      orders.map((o) => o.clientId),
    );
  });
});

describe('TradingManager input refusals', () => {
  it('refuses numbers that snap to Infinity as invalid input', async () => {
    const h = createHarness();
    await assert.rejects(h.trading.trade(BTC_PERP, 1e308, 60000), {
      code: 'INVALID_QUANTITY',
      field: 'quantity',
      value: 1e308,
    });
    await assert.rejects(h.trading.trade(BTC_PERP, 0.01, 1e308), {
      code: 'INVALID_PRICE',
      field: 'price',
      value: 1e308,
    });
    assert.equal(h.account.getOrders().length, 0);
  });

  it('refuses a batch that is not an array or holds a non-order, with a typed error', async () => {
    const h = createHarness();
    await assert.rejects(h.trading.submitOrders(null as never), {
      code: 'INVALID_ARGUMENT',
      field: 'specs',
    });
    await assert.rejects(h.trading.submitOrders([null] as never), {
      code: 'INVALID_ARGUMENT',
      field: '[0].spec',
    });
  });

  it('reserves the ext: namespace of adopted orders', () => {
    const h = createHarness();
    assert.throws(() => h.trading.tradeAsync(BTC_PERP, 0.01, 60000, { clientId: 'ext:123' }), {
      code: 'INVALID_CLIENT_ID',
      field: 'clientId',
      value: 'ext:123',
    });
  });

  it('skips a generated id a caller already took', () => {
    const h = createHarness();
    const first = h.trading.tradeAsync(BTC_PERP, 0.01, 60000);
    // The generator counts in base 36: the caller takes the next two
    const next = (n: number) =>
      first.replace(
        /-[0-9a-z]+$/,
        `-${(Number.parseInt(first.split('-')[1]!, 36) + n).toString(36)}`,
      );
    h.trading.tradeAsync(BTC_PERP, 0.01, 60000, { clientId: next(1) });
    h.trading.tradeAsync(BTC_PERP, 0.01, 60000, { clientId: next(2) });
    const generated = h.trading.tradeAsync(BTC_PERP, 0.01, 60000);
    assert.equal(generated, next(3));
    assert.equal(h.account.getOrders().length, 4);
  });
});

describe('Reference prices', () => {
  it('follow the last trade, quote mid or book mid per instrument, ignoring unusable prices', () => {
    const reference = createReferencePrices();
    const quote = (bid: number, ask: number, instrument = BTC_PERP) =>
      reference.onMarket({
        type: 'quote',
        instrument,
        time: 1,
        bid,
        bidSize: 1,
        ask,
        askSize: 1,
      });
    const trade = (price: number, instrument = BTC_PERP) =>
      reference.onMarket({ type: 'trade', instrument, time: 1, price, size: 1, side: 'BUY' });
    const book = (bids: [number, number][], asks: [number, number][]) =>
      reference.onMarket({ type: 'book', instrument: ETH_PERP, time: 1, bids, asks });
    assert.equal(reference.get(BTC_PERP), undefined, 'none before the first event');
    quote(100, 101);
    assert.equal(reference.get(BTC_PERP), 100.5);
    trade(102);
    assert.equal(reference.get(BTC_PERP), 102);
    assert.equal(reference.get(ETH_PERP), undefined, 'each instrument its own');
    book([[10, 1]], [[12, 1]]);
    assert.equal(reference.get(ETH_PERP), 11);
    assert.equal(reference.get(BTC_PERP), 102, 'after another instrument, unchanged');
    book([], [[13, 1]]);
    assert.equal(reference.get(ETH_PERP), 13, 'one side of the book');
    book([[9, 1]], []);
    assert.equal(reference.get(ETH_PERP), 9);
    book([], []);
    trade(0, ETH_PERP);
    trade(Number.NaN, ETH_PERP);
    quote(Number.POSITIVE_INFINITY, 1, ETH_PERP);
    assert.equal(reference.get(ETH_PERP), 9, 'an empty book, a zero or non-finite price: kept');
    quote(200, 202);
    assert.equal(reference.get(BTC_PERP), 201);
  });

  it("made with the run's instruments: none before an instrument's first price, then the same", () => {
    const instruments = Array.from({ length: 5 }, (_, i) => ({ ...BTC_PERP, symbol: `P${i}USDT` }));
    const reference = createReferencePrices([BTC_PERP, ...instruments]);
    assert.equal(reference.get(BTC_PERP), undefined, 'none before the first event');
    assert.equal(reference.get(instruments[4]!), undefined);
    assert.equal(reference.get(ETH_PERP), undefined, 'an instrument of no slot');
    reference.onMarket({
      type: 'trade',
      instrument: BTC_PERP,
      time: 1,
      price: 0,
      size: 1,
      side: 'BUY',
    });
    assert.equal(reference.get(BTC_PERP), undefined, 'an unusable price: still none');
    reference.onMarket({
      type: 'trade',
      instrument: instruments[4]!,
      time: 1,
      price: 7,
      size: 1,
      side: 'BUY',
    });
    reference.onMarket({
      type: 'trade',
      instrument: ETH_PERP,
      time: 1,
      price: 9,
      size: 1,
      side: 'BUY',
    });
    reference.onMarket({
      type: 'trade',
      instrument: BTC_PERP,
      time: 1,
      price: 5,
      size: 1,
      side: 'BUY',
    });
    assert.equal(reference.get(BTC_PERP), 5);
    assert.equal(reference.get(instruments[4]!), 7);
    assert.equal(reference.get(ETH_PERP), 9, 'a slot grown past the first ones');
    assert.equal(reference.get(instruments[0]!), undefined);
  });

  it('keeps the first price of an instrument that grows its slots, of each kind of event', () => {
    const reference = createReferencePrices();
    const instruments = Array.from({ length: 9 }, (_, i) => ({ ...BTC_PERP, symbol: `I${i}USDT` }));
    instruments.forEach((instrument, i) => {
      const price = 100 + i;
      if (i % 3 === 0)
        reference.onMarket({ type: 'trade', instrument, time: 1, price, size: 1, side: 'BUY' });
      else if (i % 3 === 1)
        reference.onMarket({
          type: 'quote',
          instrument,
          time: 1,
          bid: price - 1,
          bidSize: 1,
          ask: price + 1,
          askSize: 1,
        });
      else
        reference.onMarket({
          type: 'book',
          instrument,
          time: 1,
          bids: [[price - 1, 1]],
          asks: [[price + 1, 1]],
        });
    });
    assert.deepEqual(
      instruments.map((instrument) => reference.get(instrument)),
      instruments.map((_, i) => 100 + i),
    );
  });
});
