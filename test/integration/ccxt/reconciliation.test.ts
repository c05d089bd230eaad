import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { KestrelError } from '../../../src/core/errors.ts';
import type { Fill } from '../../../src/core/fill.ts';
import { clientOrderId } from '../../../src/core/ids.ts';
import type { Instrument } from '../../../src/core/instrument.ts';
import { money } from '../../../src/core/numeric.ts';
import type { Order } from '../../../src/core/order.ts';
import type { SimOrderSnapshot } from '../../../src/emulators/binance-usdm/index.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { Reconciler } from '../../../src/engine/reconciler.ts';
import type { VenueOrderState } from '../../../src/engine/venue.ts';
import { createCcxtVenue, createExchange } from '../../../src/venues/ccxt/index.ts';
import type { CcxtSetup, CcxtSetupOptions } from './harness.ts';
import { settle, setupCcxt, testConfig, until } from './harness.ts';

const ORDER = '/fapi/v1/order';

/** Binance's order statuses as Kestrel's venue states name them */
const STATUS: Record<string, VenueOrderState['status']> = {
  NEW: 'OPEN',
  PARTIALLY_FILLED: 'PARTIALLY_FILLED',
  FILLED: 'FILLED',
  CANCELED: 'CANCELED',
  EXPIRED: 'EXPIRED',
};

function ledgerOrder(o: SimOrderSnapshot) {
  return {
    venueOrderId: o.orderId,
    clientId: o.clientId,
    symbol: o.instrument.venueSymbol,
    side: o.side,
    quantity: o.quantity,
    price: o.price,
    filled: o.filled,
    status: STATUS[o.status],
  };
}

function stateOf(o: VenueOrderState) {
  return {
    venueOrderId: o.venueOrderId,
    clientId: o.clientId,
    symbol: o.instrument.venueSymbol,
    side: o.side,
    quantity: o.quantity,
    price: o.price,
    filled: o.filledQuantity,
    status: o.status,
  };
}

const byId = <T extends { venueOrderId: string }>(list: T[]) =>
  list.sort((a, b) => a.venueOrderId.localeCompare(b.venueOrderId));

/** The ledger's average as the venue reports it: four decimals past the tick */
const average = (instrument: Instrument, value: number) =>
  Number(value.toFixed(instrument.priceDecimals + 4));

describe('ccxt reconciliation against the Binance USDⓈ-M emulator', () => {
  let setup: CcxtSetup | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  const start = async (options?: CcxtSetupOptions) => {
    setup = await setupCcxt(options);
    return setup;
  };
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await setup?.close();
    setup = undefined;
  });

  it('reports open orders, fills since a time, positions and balances exactly as the ledger has them', async () => {
    const { trading, account, emulator, btc, venue } = await start();
    const eth = venue.instrument('ETH/USDT:USDT');
    assert.ok(eth !== undefined);
    const early = await trading.trade(btc, 0.006);
    await until(() => account.findOrder(early.clientId)?.status === 'FILLED', 'early fill');
    await settle(20);
    const since = Math.ceil(systemClock.now());
    await settle(5);
    await trading.trade(btc, 0.002, 60000);
    const partial = await trading.trade(btc, -0.005, 64100);
    emulator.printTrade('BTCUSDT', 64100.1, 0.002, 'BUY');
    await trading.trade(eth, 0.05);
    const sell = await trading.trade(btc, -0.002);
    await until(
      () =>
        account.findOrder(partial.clientId)?.filledQuantity === 0.002 &&
        account.findOrder(sell.clientId)?.status === 'FILLED',
      'the fills',
    );

    const snapshot = await venue.fetchSnapshot({ since });

    assert.deepEqual(
      byId(snapshot.openOrders.map(stateOf)),
      byId(emulator.venue.openOrders().map(ledgerOrder)),
    );
    assert.ok(snapshot.openOrders.some((o) => o.status === 'PARTIALLY_FILLED'));
    const fills = emulator.executions().filter((t) => t.time >= since);
    assert.equal(fills.length, 3, 'partial, ETH and the BTC sell; not the early one');
    assert.deepEqual(
      [...snapshot.fills]
        .map((f) => ({
          tradeId: String(f.tradeId),
          venueOrderId: f.venueOrderId,
          clientId: f.clientId,
          symbol: f.instrument.venueSymbol,
          side: f.side,
          quantity: f.quantity,
          price: f.price,
          fee: f.fee,
          liquidity: f.liquidity,
        }))
        .sort((a, b) => Number(a.tradeId) - Number(b.tradeId)),
      fills.map((t) => ({
        tradeId: String(t.id),
        venueOrderId: String(t.orderId),
        clientId: t.clientId,
        symbol: t.instrument.venueSymbol,
        side: t.side,
        quantity: t.quantity,
        price: t.price,
        fee: money(t.fee),
        liquidity: t.liquidity,
      })),
    );
    assert.deepEqual(
      snapshot.positions
        .map((p) => ({
          symbol: p.instrument.venueSymbol,
          quantity: p.quantity,
          averagePrice: p.averagePrice,
        }))
        .sort((a, b) => a.symbol.localeCompare(b.symbol)),
      emulator.venue
        .getPositions()
        .filter((p) => p.quantity !== 0)
        .map((p) => ({
          symbol: p.instrument.venueSymbol,
          quantity: p.quantity,
          averagePrice: average(p.instrument, p.averagePrice),
        }))
        .sort((a, b) => a.symbol.localeCompare(b.symbol)),
    );
    assert.equal(snapshot.positions.find((p) => p.instrument === btc)?.quantity, 0.002);
    assert.deepEqual(snapshot.balances, emulator.venue.getBalances());
  });

  it('queries one order by our clientId: open, filled, canceled, unknown; a venue that cannot answer throws', async () => {
    const { trading, account, emulator, btc, venue } = await start();
    const open = await trading.trade(btc, 0.002, 60000);
    const filled = await trading.trade(btc, 0.002);
    const toCancel = await trading.trade(btc, 0.002, 60001);
    await trading.cancelOrder(toCancel);
    await until(
      () =>
        account.findOrder(filled.clientId)?.status === 'FILLED' &&
        account.findOrder(toCancel.clientId)?.status === 'CANCELED',
      'the fill and the cancel',
    );
    const tracked = (o: Order) => {
      const found = account.findOrder(o.clientId);
      assert.ok(found !== undefined);
      return found;
    };

    const openState = await venue.queryOrder(tracked(open));
    const asked = emulator.requests.filter((r) => r.method === 'GET' && r.path === ORDER).at(-1);
    assert.equal(asked?.params['origClientOrderId'], open.clientId, 'asked by our clientId');
    assert.deepEqual(openState, {
      instrument: btc,
      clientId: open.clientId,
      venueOrderId: emulator.venue.order({ clientId: open.clientId })?.orderId,
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: 0.002,
      price: 60000,
      reduceOnly: false,
      status: 'OPEN',
      filledQuantity: 0,
      time: openState?.time,
    });

    const filledState = await venue.queryOrder(tracked(filled));
    const ledgerFilled = emulator.venue.order({ clientId: filled.clientId });
    assert.equal(filledState?.status, 'FILLED');
    assert.equal(filledState?.filledQuantity, 0.002);
    assert.equal(filledState?.type, 'MARKET');
    assert.equal(filledState?.averagePrice, average(btc, ledgerFilled?.averagePrice ?? Number.NaN));

    const canceledState = await venue.queryOrder(tracked(toCancel));
    assert.equal(canceledState?.status, 'CANCELED');
    assert.equal(canceledState?.clientId, toCancel.clientId);

    const unknown: Order = {
      ...tracked(open),
      clientId: clientOrderId(open.clientId.replace(/-.*$/, '-zzzz')),
    };
    assert.equal(await venue.queryOrder({ ...unknown, venueOrderId: undefined }), undefined);
    assert.equal(
      await venue.queryOrder(unknown),
      undefined,
      'by clientId even when a venue id is known',
    );

    emulator.faults.failRequests({ status: 503, method: 'GET', path: ORDER });
    await assert.rejects(
      venue.queryOrder(tracked(open)),
      (error: unknown) =>
        error instanceof KestrelError &&
        error.code === 'VENUE_UNAVAILABLE' &&
        error.kind === 'ambiguous',
    );
    emulator.faults.failRequests({ status: 500, method: 'GET', path: ORDER });
    await assert.rejects(
      venue.queryOrder(tracked(open)),
      (error: unknown) => error instanceof KestrelError && error.kind === 'ambiguous',
    );
    emulator.faults.rateLimit({ retryAfterSeconds: 0 });
    await assert.rejects(
      venue.queryOrder(tracked(open)),
      (error: unknown) => error instanceof KestrelError && error.code === 'RATE_LIMITED',
    );
    emulator.faults.refuseConnections(300, { scope: 'rest' });
    await assert.rejects(
      venue.queryOrder(tracked(open)),
      (error: unknown) => error instanceof KestrelError && error.kind === 'ambiguous',
    );
    await settle(350);
    assert.equal((await venue.queryOrder(tracked(open)))?.status, 'OPEN', 'answers again');
  });

  it('reconciles at startup: gap fill booked once, foreign order EXTERNAL, ours unseen RECOVERED, dropped submit LOST, venue position and balances win', async () => {
    const { trading, account, emulator, btc, venue, logger } = await start();
    const eth = venue.instrument('ETH/USDT:USDT');
    assert.ok(eth !== undefined);
    const resting = await trading.trade(btc, 0.002, 60000);
    const gap = await trading.trade(btc, 0.002, 63900);
    // The submit never reaches the venue; the answer is a 503, which proves nothing
    emulator.faults.failRequests({ status: 503, method: 'POST', path: ORDER });
    const dropped = trading.tradeAsync(btc, 0.002, 60010);
    await until(() => emulator.faults.state().requestFaults === 0, 'the failed submit');
    await settle(100);
    assert.equal(account.findOrder(dropped)?.status, 'PENDING');
    // The process goes away: no stream, no timers, nothing canceled
    await venue.stop();

    // While nobody listens: our resting order fills, and orders we never placed appear
    emulator.setQuote('BTCUSDT', 63850, 63890, 2, 2);
    const config = testConfig(emulator.url);
    const other = createExchange(config, systemClock, 'private');
    cleanups.push(() => other.shutdown());
    await other.exchange.loadMarkets();
    const foreign = (await other.exchange.createOrder(
      'BTC/USDT:USDT',
      'limit',
      'buy',
      0.002,
      60020,
      {
        clientOrderId: 'manual-1',
      },
    )) as { id: string };
    const unseenId = resting.clientId.replace(/-.*$/, '-zz9');
    await other.exchange.createOrder('BTC/USDT:USDT', 'limit', 'buy', 0.002, 60030, {
      clientOrderId: unseenId,
    });
    await other.exchange.createOrder('ETH/USDT:USDT', 'market', 'sell', 0.05, undefined, {
      clientOrderId: 'manual-2',
    });
    const gapFills = emulator
      .executions()
      .filter((t) => t.clientId === gap.clientId)
      .map((t) => String(t.id));
    assert.ok(gapFills.length > 0, 'the gap order filled at the venue');

    // The next process: a fresh venue over the same account, reconciled before it trades
    const next = createCcxtVenue(config, { clock: systemClock, logger });
    cleanups.push(() => next.stop());
    await next.load();
    next.broker.restore([...account.state.orders.values()]);
    const booked: Fill[] = [];
    account.subscribe((result) => {
      if (result.outcome === 'applied' && result.fill !== undefined) booked.push(result.fill);
    });
    const head = resting.clientId.replace(/-.*$/, '-');
    const reconciler = new Reconciler({
      venue: next,
      account,
      clock: systemClock,
      logger,
      isOwn: (id) => id.startsWith(head),
      // The dropped submit is past the window in which a held submit may still land
      // (the window itself: ambiguity.test.ts, reconciler.test.ts)
      lostAfterMs: 1,
    });
    const report = await reconciler.reconcile('startup');

    assert.deepEqual(
      booked.map((f) => String(f.tradeId)),
      gapFills,
      'the gap fill booked, nothing else',
    );
    assert.equal(report.booked, gapFills.length);
    assert.equal(account.findOrder(gap.clientId)?.status, 'FILLED');
    assert.equal(account.findOrder(gap.clientId)?.filledQuantity, 0.002);
    const external = account.findOrder(`ext:${foreign.id}`);
    assert.equal(external?.origin, 'EXTERNAL');
    assert.equal(external?.status, 'OPEN');
    assert.equal(account.findOrder(unseenId)?.origin, 'RECOVERED');
    assert.equal(account.findOrder(unseenId)?.price, 60030);
    assert.equal(report.adopted, 2);
    assert.equal(account.findOrder(resting.clientId)?.origin, 'RECOVERED');
    assert.equal(account.findOrder(resting.clientId)?.status, 'OPEN');
    assert.equal(account.findOrder(dropped)?.status, 'LOST');
    assert.equal(report.lost, 1);
    const ledgerPositions = emulator.venue.getPositions().filter((p) => p.quantity !== 0);
    assert.equal(ledgerPositions.length, 2);
    for (const p of ledgerPositions) {
      const ours = account
        .getPositions()
        .find((q) => q.instrument.venueSymbol === p.instrument.venueSymbol);
      assert.equal(ours?.quantity, p.quantity, `${p.instrument.venueSymbol} quantity`);
      assert.equal(ours?.averagePrice, average(p.instrument, p.averagePrice));
    }
    assert.equal(account.getPosition(eth).quantity, -0.05, 'the venue position wins');
    for (const b of emulator.venue.getBalances()) {
      const ours = account.getBalances().find((x) => x.currency === b.currency);
      assert.equal(ours?.total, b.total);
      assert.equal(ours?.free, b.free);
    }

    // An adopted external order is asked about by its venue id
    assert.ok(external !== undefined);
    const state = await next.queryOrder(external);
    assert.equal(state?.clientId, 'manual-1');
    assert.equal(state?.status, 'OPEN');

    const again = await reconciler.reconcile('startup');
    assert.deepEqual(again, { corrections: 0, booked: 0, adopted: 0, lost: 0 });
    assert.equal(booked.length, gapFills.length, 'no fill booked twice');
    assert.equal(account.findOrder(gap.clientId)?.filledQuantity, 0.002);
    await reconciler.stop();
  });
});
