/**
 * Property: in a backtest the account's balances are the simulated venue's ledger.
 *
 * For random sessions on a perpetual and a spot market (quotes and trades moving the market;
 * limit, market, stop-market, stop-limit, post-only and reduce-only orders, some refused for
 * margin or balance; cancels and amends), through the SimBroker with no latency and the
 * account's single writer, after every step:
 *
 * 1. every currency's total, free and locked in the account equal the venue's;
 * 2. the venue's locked is what it must hold, recomputed from scratch: the remaining quantity
 *    of each live order at its price (quote for spot buys, base for spot sells, over the
 *    leverage for derivatives, nothing for reduce-only) plus each derivative position's entry
 *    value over the leverage, capped at the total;
 * 3. positions (quantity, realized PnL, commissions) equal the venue's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { KestrelError } from '../../src/core/errors.ts';
import { createClientIdGenerator } from '../../src/core/ids.ts';
import type { Instrument } from '../../src/core/instrument.ts';
import { isDerivative } from '../../src/core/instrument.ts';
import { money } from '../../src/core/numeric.ts';
import type { OrderType, Side } from '../../src/core/order.ts';
import { AccountProcessor } from '../../src/engine/account-processor.ts';
import { SimulatedClock } from '../../src/engine/clock.ts';
import { silentLogger } from '../../src/engine/logger.ts';
import { TradingManager } from '../../src/engine/trading-manager.ts';
import { simInstrument } from '../../src/runtime/instruments.ts';
import { ZERO_LATENCY } from '../../src/venues/sim/latency.ts';
import { SimBroker } from '../../src/venues/sim/sim-broker.ts';
import { SimVenue } from '../../src/venues/sim/sim-venue.ts';
import { SIM_ETH_SPOT } from '../helpers/instruments.ts';

const PERP = simInstrument('BTCUSDT');
const SPOT: Instrument = SIM_ETH_SPOT;
const MARKETS = [
  { instrument: PERP, start: 60_000, lot: 0.001 },
  { instrument: SPOT, start: 3_000, lot: 0.001 },
] as const;
const LEVERAGE = 10;

type Step =
  | {
      readonly kind: 'quote';
      readonly market: number;
      readonly move: number;
      readonly size: number;
    }
  | {
      readonly kind: 'trade';
      readonly market: number;
      readonly offset: number;
      readonly size: number;
      readonly side: Side;
    }
  | {
      readonly kind: 'order';
      readonly market: number;
      readonly side: Side;
      readonly type: OrderType;
      readonly offset: number;
      readonly lots: number;
      readonly reduceOnly: boolean;
      readonly postOnly: boolean;
    }
  | { readonly kind: 'cancel'; readonly pick: number }
  | { readonly kind: 'amend'; readonly pick: number; readonly offset: number };

const market = fc.integer({ min: 0, max: 1 });
const side = fc.constantFrom<Side>('BUY', 'SELL');
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('quote' as const),
    market,
    move: fc.integer({ min: -20, max: 20 }),
    size: fc.integer({ min: 1, max: 3000 }),
  }),
  fc.record({
    kind: fc.constant('trade' as const),
    market,
    offset: fc.integer({ min: -60, max: 60 }),
    size: fc.integer({ min: 1, max: 3000 }),
    side,
  }),
  fc.record({
    kind: fc.constant('order' as const),
    market,
    side,
    type: fc.constantFrom<OrderType>('LIMIT', 'LIMIT', 'MARKET', 'STOP_MARKET', 'STOP_LIMIT'),
    offset: fc.integer({ min: -30, max: 30 }),
    lots: fc.integer({ min: 1, max: 3000 }),
    reduceOnly: fc.boolean(),
    postOnly: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('amend' as const),
    pick: fc.nat(),
    offset: fc.integer({ min: -30, max: 30 }),
  }),
);

function session() {
  const clock = new SimulatedClock(1_700_000_000_000);
  const balances = [
    { currency: 'USDT', total: 20_000, free: 20_000, locked: 0 },
    { currency: 'ETH', total: 2, free: 2, locked: 0 },
  ];
  const venue = new SimVenue({
    exchange: 'sim',
    instruments: [PERP, SPOT],
    balances,
    leverage: LEVERAGE,
  });
  const broker = new SimBroker({ venue, clock, latency: ZERO_LATENCY });
  const account = new AccountProcessor({
    exchange: 'sim',
    clock,
    logger: silentLogger,
    balances,
    limits: { dedupSize: 2048, historySize: 256 },
  });
  const trading = new TradingManager({
    brokers: [broker],
    account,
    clock,
    logger: silentLogger,
    ids: createClientIdGenerator({ instanceTag: 'prop', counterStart: 0 }),
  });
  return { clock, venue, broker, account, trading };
}

type Session = ReturnType<typeof session>;

/** What the venue must hold, from its live orders and positions alone */
function expectedLocked(venue: SimVenue): Map<string, number> {
  const locked = new Map<string, number>();
  const add = (currency: string, amount: number) =>
    locked.set(currency, money((locked.get(currency) ?? 0) + amount));
  for (const order of venue.openOrders()) {
    const instrument = order.instrument;
    const left = money(order.quantity - order.filled);
    const price = order.price ?? order.stopPrice ?? 0;
    if (isDerivative(instrument)) {
      if (!order.reduceOnly)
        add(instrument.settle, money((left * price * instrument.contractSize) / LEVERAGE));
    } else if (order.side === 'BUY') add(instrument.quote, money(left * price));
    else add(instrument.base, left);
  }
  for (const position of venue.getPositions()) {
    if (isDerivative(position.instrument))
      add(position.instrument.settle, money(position.costBasis / LEVERAGE));
  }
  return locked;
}

function check(s: Session, where: string): void {
  const ours = s.account
    .getBalances()
    .map(({ currency, total, free, locked }) => ({ currency, total, free, locked }))
    .sort((a, b) => a.currency.localeCompare(b.currency));
  const theirs = s.venue.getBalances().sort((a, b) => a.currency.localeCompare(b.currency));
  assert.deepEqual(ours, theirs, `balances after ${where}`);
  const expected = expectedLocked(s.venue);
  for (const balance of theirs) {
    const held = money(Math.max(0, Math.min(balance.total, expected.get(balance.currency) ?? 0)));
    assert.equal(balance.locked, held, `locked ${balance.currency} after ${where}`);
  }
  for (const position of s.venue.getPositions()) {
    const mine = s.account.getPosition(position.instrument);
    assert.deepEqual(
      [mine.quantity, mine.realizedPnl, mine.commissions],
      [position.quantity, position.realizedPnl, position.commissions],
      `${position.instrument.symbol} position after ${where}`,
    );
  }
}

function run(steps: readonly Step[]): void {
  const s = session();
  const mids: number[] = MARKETS.map((m) => m.start);
  const quote = (index: number, size: number) => {
    const { instrument } = MARKETS[index]!;
    const tick = instrument.tickSize;
    s.broker.onMarket({
      type: 'quote',
      instrument,
      time: s.clock.now(),
      bid: money(mids[index]! - tick),
      bidSize: size * instrument.lotSize,
      ask: money(mids[index]! + tick),
      askSize: size * instrument.lotSize,
    });
  };
  quote(0, 1000);
  quote(1, 1000);
  check(s, 'the first quotes');
  for (const [i, st] of steps.entries()) {
    s.clock.advanceTo(s.clock.now() + 1);
    if (st.kind === 'quote') {
      const tick = MARKETS[st.market]!.instrument.tickSize;
      mids[st.market] = money(mids[st.market]! + st.move * tick);
      quote(st.market, st.size);
    } else if (st.kind === 'trade') {
      const { instrument } = MARKETS[st.market]!;
      s.broker.onMarket({
        type: 'trade',
        instrument,
        time: s.clock.now(),
        price: money(mids[st.market]! + st.offset * instrument.tickSize),
        size: st.size * instrument.lotSize,
        side: st.side,
      });
    } else if (st.kind === 'order') {
      const { instrument, lot } = MARKETS[st.market]!;
      const away = money(st.offset * instrument.tickSize);
      const price = money(mids[st.market]! + away);
      const stops = st.type === 'STOP_MARKET' || st.type === 'STOP_LIMIT';
      try {
        s.trading.tradeAsync(
          instrument,
          money((st.side === 'BUY' ? 1 : -1) * st.lots * lot),
          st.type === 'MARKET' || st.type === 'STOP_MARKET' ? undefined : price,
          {
            orderType: st.type,
            ...(stops
              ? {
                  stopPrice: money(
                    mids[st.market]! + Math.abs(away) * (st.side === 'BUY' ? 1 : -1),
                  ),
                }
              : {}),
            ...(st.reduceOnly && isDerivative(instrument) ? { reduceOnly: true } : {}),
            ...(st.postOnly && st.type === 'LIMIT' ? { postOnly: true } : {}),
          },
        );
      } catch (error) {
        // A local refusal (min notional, say) changes nothing: still checked below
        assert.ok((error as KestrelError).code !== undefined, String(error));
      }
    } else {
      const live = s.account.getOrders().filter((o) => o.venueOrderId !== undefined);
      const target = live[st.pick % Math.max(1, live.length)];
      if (target !== undefined) {
        if (st.kind === 'cancel') void s.broker.cancelOrder(target);
        else if (target.type === 'LIMIT' && target.price !== undefined) {
          const price = money(target.price + st.offset * target.instrument.tickSize);
          if (price > 0) s.broker.updateOrder(target, { price }).catch(() => {});
        }
      }
    }
    check(s, `step ${i} (${st.kind})`);
  }
}

describe('property: backtest balances are the simulated venue ledger', () => {
  it('free, locked and total agree after every step', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 20, maxLength: 80 }), (steps) => run(steps)),
      { numRuns: 100 },
    );
  });
});
