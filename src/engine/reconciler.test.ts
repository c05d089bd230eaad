/**
 * The Reconciler against a venue played in-process on a simulated clock: what it asks, what it
 * concludes, and when. The venue's answers are scripted per order; nothing else is faked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BTC_PERP } from '../../test/helpers/instruments.ts';
import { limitBuy } from '../../test/helpers/requests.ts';
import { ScriptedBroker } from '../../test/helpers/scripted-broker.ts';
import type { FillReport } from '../core/fill.ts';
import type { ClientOrderId } from '../core/ids.ts';
import { tradeId, venueOrderId } from '../core/ids.ts';
import type { Order } from '../core/order.ts';
import { AccountProcessor } from './account-processor.ts';
import { SimulatedClock } from './clock.ts';
import { createMemoryLogger } from './logger.ts';
import { Reconciler } from './reconciler.ts';
import type { VenueConnection, VenueOrderState, VenuePosition, VenueSnapshot } from './venue.ts';

const START = 1_700_000_000_000;

/** A venue whose snapshot and per-order answers the test sets */
function scriptedVenue(clock: SimulatedClock) {
  const orders = new Map<string, VenueOrderState>();
  const venue = {
    fills: [] as FillReport[],
    positions: [] as VenuePosition[],
    queries: [] as string[],
    orders,
    connection: {
      exchange: 'TEST',
      broker: new ScriptedBroker(),
      instruments: [BTC_PERP],
      load: async () => {},
      start: async () => {},
      stop: async () => {},
      fetchBalances: async () => [],
      fetchSnapshot: async (): Promise<VenueSnapshot> => ({
        openOrders: [...orders.values()].filter(
          (o) => o.status === 'OPEN' || o.status === 'PARTIALLY_FILLED',
        ),
        fills: venue.fills,
        positions: venue.positions,
        balances: [],
        time: clock.now(),
      }),
      queryOrder: async (order: Order) => {
        venue.queries.push(order.clientId);
        return orders.get(order.clientId);
      },
    } satisfies VenueConnection,
  };
  return venue;
}

function setup() {
  const clock = new SimulatedClock(START);
  const logger = createMemoryLogger();
  const account = new AccountProcessor({ exchange: 'TEST', clock, logger });
  const venue = scriptedVenue(clock);
  const reconciler = new Reconciler({
    venue: venue.connection,
    account,
    clock,
    logger,
    isOwn: (clientId) => clientId.startsWith('k'),
  });
  const place = (id: string, quantity = 0.002, price = 64_000) =>
    account.processOrderRequest(limitBuy(id, quantity, price));
  const venueOrder = (id: string, patch: Partial<VenueOrderState> = {}): VenueOrderState => ({
    instrument: BTC_PERP,
    clientId: id,
    venueOrderId: `V-${id}`,
    side: 'BUY',
    type: 'LIMIT',
    timeInForce: 'GTC',
    quantity: 0.002,
    price: 64_000,
    status: 'OPEN',
    filledQuantity: 0,
    time: clock.now(),
    ...patch,
  });
  /** Runs the clock's timers until `work` settles (the reconciler waits between queries) */
  const drive = async <T>(work: Promise<T>, limitMs = 120_000): Promise<T> => {
    let done = false;
    const result = work.finally(() => {
      done = true;
    });
    const until = clock.now() + limitMs;
    for (;;) {
      for (let i = 0; i < 20; i++) await Promise.resolve();
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (done) return result;
      const due = clock.nextDue();
      if (due === undefined || due > until) return result;
      clock.advanceTo(due);
    }
  };
  /** Advances simulated time in small steps, letting the running checks work */
  const runFor = async (ms: number) => {
    const end = clock.now() + ms;
    while (clock.now() < end) {
      clock.advanceTo(Math.min(end, clock.now() + 100));
      for (let i = 0; i < 20; i++) await Promise.resolve();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  return { clock, logger, account, venue, reconciler, place, venueOrder, drive, runFor };
}

describe('Reconciler: LOST only after the same window at startup as while running', () => {
  it('leaves a young PENDING order the venue does not know yet (a submit held up across a restart)', async () => {
    const s = setup();
    s.place('k-held');
    s.clock.advanceTo(START + 1_000); // restarted a second after the intent was journaled
    const report = await s.drive(s.reconciler.reconcile('startup'));
    assert.equal(report.lost, 0);
    assert.equal(s.account.findOrder('k-held')?.status, 'PENDING');
    s.reconciler.start();
    // The venue places it 6.35 s after it was asked for
    await s.runFor(5_350);
    s.venue.orders.set('k-held', s.venueOrder('k-held'));
    await s.runFor(10_000);
    const order = s.account.findOrder('k-held');
    assert.equal(order?.status, 'OPEN');
    assert.ok(
      order?.transitions.every((t) => t.to !== 'LOST'),
      'never given up on the way',
    );
    await s.reconciler.stop();
  });

  it('declares LOST at startup an order not heard of for longer than the window', async () => {
    const s = setup();
    s.place('k-gone');
    s.clock.advanceTo(START + 20_000);
    const report = await s.drive(s.reconciler.reconcile('startup'));
    assert.equal(report.lost, 1);
    assert.equal(s.account.findOrder('k-gone')?.status, 'LOST');
  });

  it('gives up on an unanswered PENDING order only once it is lostAfterMs old', async () => {
    const s = setup();
    s.reconciler.start();
    s.place('k-never');
    await s.runFor(14_000);
    assert.equal(s.account.findOrder('k-never')?.status, 'PENDING');
    await s.runFor(4_000);
    assert.equal(s.account.findOrder('k-never')?.status, 'LOST');
    await s.reconciler.stop();
  });
});

describe('Reconciler: the venue is the authority over what we hold terminal', () => {
  it('reinstates an order held REJECTED that the venue lists open (after asking), and manages it', async () => {
    const s = setup();
    s.place('k-batch');
    s.account.apply({
      type: 'orderRejected',
      exchange: 'TEST',
      clientId: 'k-batch' as ClientOrderId,
      code: '-1001',
      message: 'Internal error',
      time: s.clock.now(),
    });
    s.venue.orders.set('k-batch', s.venueOrder('k-batch'));
    s.clock.advanceTo(START + 10_000);
    const report = await s.drive(s.reconciler.reconcile('periodic'));
    assert.equal(report.corrections, 1);
    const order = s.account.findOrder('k-batch');
    assert.equal(order?.status, 'OPEN');
    assert.equal(order?.venueOrderId, 'V-k-batch');
    assert.match(order?.reason ?? '', /^reinstated: REJECTED here, OPEN at the venue/);
    assert.deepEqual(
      s.account.getOrders().map((o) => o.clientId),
      ['k-batch'],
      'live again: a stop cancels it',
    );
    assert.ok(
      s.logger.records.some((r) =>
        /k-batch: REJECTED locally, OPEN at the venue; reinstated/.test(r.message),
      ),
      'the correction names the reinstatement',
    );
  });

  it('books a fill refused as an overfill once the venue says the quantity was amended', async () => {
    const s = setup();
    s.place('k-amend');
    s.account.apply({
      type: 'orderAccepted',
      exchange: 'TEST',
      clientId: 'k-amend' as ClientOrderId,
      venueOrderId: venueOrderId('V-k-amend'),
      time: s.clock.now(),
    });
    // The amend to 0.004 went through at the venue (its answer was lost), then 0.004 filled
    const fill: FillReport = {
      tradeId: tradeId('T1'),
      clientId: 'k-amend' as ClientOrderId,
      venueOrderId: venueOrderId('V-k-amend'),
      instrument: BTC_PERP,
      side: 'BUY',
      quantity: 0.004,
      price: 64_000,
      fee: 0.1,
      feeCurrency: 'USDT',
      liquidity: 'MAKER',
      time: START + 2_000,
    };
    s.account.processFills([fill]);
    assert.equal(s.account.counters.overfills, 1, 'refused as an overfill of what we knew');
    s.venue.orders.set(
      'k-amend',
      s.venueOrder('k-amend', {
        quantity: 0.004,
        status: 'FILLED',
        filledQuantity: 0.004,
        averagePrice: 64_000,
      }),
    );
    s.venue.fills = [fill];
    s.venue.positions = [{ instrument: BTC_PERP, quantity: 0.004, averagePrice: 64_000 }];
    s.clock.advanceTo(START + 10_000);
    await s.drive(s.reconciler.reconcile('periodic'));
    const order = s.account.findOrder('k-amend');
    assert.equal(order?.quantity, 0.004);
    assert.equal(order?.filledQuantity, 0.004);
    assert.equal(order?.status, 'FILLED');
    const position = s.account.getPosition(BTC_PERP);
    assert.equal(position.quantity, 0.004);
    assert.equal(position.averagePrice, 64_000);
    assert.equal(s.account.getFees().get('USDT'), 0.1, 'the fee booked');
    assert.ok(
      s.logger.records.some((r) =>
        /k-amend: OPEN locally, FILLED at the venue; quantity 0.002 locally, 0.004 at the venue/.test(
          r.message,
        ),
      ),
      'the correction names the quantity',
    );
    assert.ok(
      !s.logger.records.some((r) => /position/.test(r.message)),
      'the position agreed once the fill booked',
    );
  });
});
