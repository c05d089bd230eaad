import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BTC_PERP, BTC_PERP_OTHER } from '../../test/helpers/instruments.ts';
import { LIMIT_BUY_REPORT, limitBuy } from '../../test/helpers/requests.ts';
import type { AccountEvent } from '../core/events.ts';
import type { ClientOrderId } from '../core/ids.ts';
import { clientOrderId, tradeId, venueOrderId } from '../core/ids.ts';
import { AccountProcessor } from './account-processor.ts';
import { SimulatedClock } from './clock.ts';
import { CompositeAccountProcessor } from './composite-account-processor.ts';
import { createMemoryLogger } from './logger.ts';

function setup(limits = {}) {
  const clock = new SimulatedClock(1000);
  const logger = createMemoryLogger();
  const account = new AccountProcessor({ exchange: 'TEST', clock, logger, limits });
  return { clock, logger, account };
}

const accepted = (id: string): AccountEvent => ({
  type: 'orderAccepted',
  exchange: 'TEST',
  clientId: id as ClientOrderId,
  venueOrderId: venueOrderId(`v${id}`),
  time: 1,
});

describe('AccountProcessor', () => {
  it('process order request stores pending', () => {
    const { account } = setup();
    const order = account.processOrderRequest(limitBuy('p1'));
    assert.equal(order.status, 'PENDING');
    assert.equal(account.findOrder('p1'), order);
    assert.deepEqual(
      account.getOrders().map((o) => [o.clientId, o.status]),
      [['p1', 'PENDING']],
    );
    assert.deepEqual(
      account.getOrders(BTC_PERP_OTHER).map((o) => o.clientId),
      [],
      'filtered by instrument',
    );
  });

  it('knows a finished order past its grace window: the venue repeating it is absorbed', () => {
    const { clock, account, logger } = setup({ graceMs: 1000 });
    account.processOrderRequest(limitBuy('done'));
    account.apply(accepted('done'));
    account.apply({
      type: 'orderCanceled',
      exchange: 'TEST',
      clientId: clientOrderId('done'),
      time: 2,
    });
    clock.advanceTo(10_000);
    account.processOrderRequest(limitBuy('later'));
    assert.deepEqual(
      account.getOrderHistory().map((o) => o.clientId),
      ['done'],
      'moved to history',
    );
    // After a restart the venue's stream repeats the last state of the orders it ended
    account.apply({
      type: 'orderCanceled',
      exchange: 'TEST',
      clientId: clientOrderId('done'),
      venueOrderId: venueOrderId('vdone'),
      time: 3,
    });
    assert.equal(account.counters.refused, 0, 'not unknown, nothing refused');
    assert.equal(account.findOrder('done')?.status, 'CANCELED');
    assert.deepEqual(
      logger.records.filter((r) => r.level === 'warn'),
      [],
    );
  });

  it('refuses a duplicate request with a typed error and changes nothing', () => {
    const { account } = setup();
    account.processOrderRequest(limitBuy('p1', 1));
    assert.throws(() => account.processOrderRequest(limitBuy('p1', 2)), {
      code: 'DUPLICATE_CLIENT_ID',
      field: 'clientId',
    });
    assert.equal(account.findOrder('p1')?.quantity, 1);
  });

  it('applies events caused by a listener after the current one, in order', () => {
    const { account } = setup();
    account.processOrderRequest(limitBuy('a'));
    account.processOrderRequest(limitBuy('b'));
    const heard: string[] = [];
    account.subscribe((result, event) => {
      const id = result.outcome === 'applied' ? result.order?.clientId : undefined;
      heard.push(`${event.type}:${id}`);
      if (event.type === 'orderAccepted' && id === 'a') {
        account.apply(accepted('b'));
        heard.push(`after-emit:b=${account.findOrder('b')?.status}`);
      }
    });
    account.apply(accepted('a'));
    assert.deepEqual(heard, ['orderAccepted:a', 'after-emit:b=PENDING', 'orderAccepted:b']);
  });

  it('tracks a request made inside a listener at once, and tells listeners in turn', () => {
    const { account } = setup();
    account.processOrderRequest(limitBuy('a'));
    const heard: string[] = [];
    account.subscribe((_result, event) => {
      heard.push(event.type);
      if (event.type === 'orderAccepted') {
        const order = account.processOrderRequest(limitBuy('child'));
        heard.push(`tracked:${order.status}`);
      }
    });
    account.apply(accepted('a'));
    assert.deepEqual(heard, ['orderAccepted', 'tracked:PENDING', 'orderRequested']);
  });

  it('keeps applying when a listener throws', () => {
    const { account, logger } = setup();
    account.processOrderRequest(limitBuy('a'));
    account.subscribe(() => {
      throw new Error('strategy bug');
    });
    account.apply(accepted('a'));
    assert.equal(account.findOrder('a')?.status, 'OPEN');
    assert.ok(
      logger.records.some((r) => r.level === 'error' && r.message === 'account listener failed'),
    );
  });

  it('books a batch of fills once each, and a repeated batch not at all', () => {
    const { account } = setup();
    account.processOrderRequest(limitBuy('a', 2));
    const fills = [0, 1].map((i) => ({
      tradeId: tradeId(`t${i}`),
      clientId: 'a' as ClientOrderId,
      instrument: BTC_PERP,
      side: 'BUY' as const,
      quantity: 1,
      price: 100 + i,
      fee: 0,
      liquidity: 'MAKER' as const,
      time: 5,
    }));
    account.processFills(fills);
    account.processFills(fills);
    assert.equal(account.getPosition(BTC_PERP).quantity, 2);
    assert.equal(account.getPosition(BTC_PERP).averagePrice, 100.5);
    assert.equal(account.findOrder('a')?.status, 'FILLED');
    assert.equal(account.counters.duplicateFills, 2);
  });

  it("skips a sibling process's order on the stream, and books its fills in the account's position", () => {
    const clock = new SimulatedClock(1000);
    const account = new AccountProcessor({
      exchange: 'TEST',
      clock,
      logger: createMemoryLogger(),
      isSibling: (ref) => ref.clientId?.startsWith('kb') === true,
    });
    const report = LIMIT_BUY_REPORT;
    for (const [id, venueId] of [
      ['kbbb-1', 'V1'],
      ['web_7', 'V2'],
    ] as const)
      account.apply({
        type: 'orderAccepted',
        exchange: 'TEST',
        clientId: id as ClientOrderId,
        venueOrderId: venueOrderId(venueId),
        report,
        time: 2,
      });
    assert.deepEqual(
      account.getOrders().map((o) => [o.clientId, o.origin]),
      [['ext:V2', 'EXTERNAL']],
      "the manual order is adopted, the sibling's is not",
    );
    assert.equal(account.siblingEvents, 1);
    account.processFills([
      {
        tradeId: tradeId('t1'),
        clientId: 'kbbb-1' as ClientOrderId,
        instrument: BTC_PERP,
        side: 'BUY',
        quantity: 1,
        price: 100,
        fee: 0,
        liquidity: 'MAKER',
        time: 3,
      },
    ]);
    assert.equal(account.getPosition(BTC_PERP).quantity, 1, "the account's position");
  });

  it('moves terminal orders to history after the grace window on its clock', () => {
    const { account, clock } = setup({ graceMs: 1000, historySize: 5 });
    for (let i = 0; i < 10; i++) {
      account.processOrderRequest(limitBuy(`o${i}`));
      account.apply({
        type: 'orderCanceled',
        exchange: 'TEST',
        clientId: `o${i}` as ClientOrderId,
        time: clock.now(),
      });
    }
    assert.equal(account.getOrderHistory().length, 0, 'all in their grace window');
    clock.advanceTo(clock.now() + 1001);
    account.processOrderRequest(limitBuy('next'));
    assert.deepEqual(
      account.getOrderHistory().map((o) => o.clientId),
      ['o5', 'o6', 'o7', 'o8', 'o9'],
    );
    assert.deepEqual(
      account.getOrders().map((o) => o.clientId),
      ['next'],
    );
    assert.equal(account.state.orders.size, 6, 'the five oldest are forgotten altogether');
    assert.equal(account.findOrder('o9')?.status, 'CANCELED');
    assert.equal(account.findOrder('o0'), undefined);
  });

  it('warns about refused events with the reason', () => {
    const { account, logger } = setup();
    account.apply(accepted('ghost'));
    const warning = logger.records.find((r) => r.message === 'account refused event');
    assert.match(String(warning?.fields['reason']), /unknown order ghost/);
  });
});

describe('CompositeAccountProcessor', () => {
  it('routes by exchange and aggregates reads', () => {
    const clock = new SimulatedClock(0);
    const logger = createMemoryLogger();
    const composite = new CompositeAccountProcessor([
      new AccountProcessor({
        exchange: 'TEST',
        clock,
        logger,
        balances: [{ currency: 'USDT', total: 10, free: 10, locked: 0 }],
      }),
      new AccountProcessor({
        exchange: 'OTHER',
        clock,
        logger,
        balances: [{ currency: 'USDT', total: 20, free: 20, locked: 0 }],
      }),
    ]);
    composite.processOrderRequest(limitBuy('x'));
    composite.apply(accepted('x'));
    assert.equal(composite.account('TEST').findOrder('x')?.status, 'OPEN');
    assert.equal(composite.account('OTHER').findOrder('x'), undefined);
    assert.equal(composite.findOrder('x')?.status, 'OPEN');
    assert.deepEqual(
      composite.getBalances().map((b) => [b.exchange, b.total]),
      [
        ['TEST', 10],
        ['OTHER', 20],
      ],
    );
    assert.throws(
      () =>
        new CompositeAccountProcessor([
          new AccountProcessor({ exchange: 'A', clock, logger }),
          new AccountProcessor({ exchange: 'A', clock, logger }),
        ]),
      {
        code: 'INVALID_CONFIG',
      },
    );
  });
});
