/**
 * Property: the single writer absorbs what venues do to event streams.
 *
 * For random scenarios (orders on several instruments with random fates: filled in parts,
 * canceled after partial fills, expired, rejected, left open; cancel requests and refused
 * cancels among them) and random delays, duplications and interleavings of the venue's events:
 *
 * 1. the final orders (status, filled quantity, average fill price, venue id), positions
 *    (quantity, average, realized PnL, commissions) and balances equal those of applying the
 *    same scenario in order;
 * 2. no fill counts twice: every position is the signed sum of the distinct fills, and every
 *    order's filled quantity the sum of its distinct fills;
 * 3. once an order is terminal its status never changes;
 * 4. the writer never refuses an event or counts an illegal transition for such streams.
 *
 * Causality is kept: a venue event never precedes the intent that caused it (the order's
 * request, or the cancel request a cancel answers), because pending is tracked before any I/O.
 * Fills of one instrument keep the venue's trade order: average-cost PnL is path dependent by
 * definition, so reordering them would change the right answer, not expose a wrong one.
 * Everything else (accepts, cancels, rejects, expiries, duplicates of anything) moves freely.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AccountState } from '../../src/core/account.ts';
import { apply, createAccountState } from '../../src/core/account.ts';
import type { AccountEvent } from '../../src/core/events.ts';
import type { ClientOrderId } from '../../src/core/ids.ts';
import { clientOrderId, tradeId, venueOrderId } from '../../src/core/ids.ts';
import type { Instrument } from '../../src/core/instrument.ts';
import { snapSize } from '../../src/core/instrument.ts';
import type { OrderStatus, Side } from '../../src/core/order.ts';
import { isTerminal } from '../../src/core/order.ts';
import { createOrderRequest } from '../../src/core/order-request.ts';
import { BTC_PERP, BTC_SPOT, ETH_PERP } from '../helpers/instruments.ts';

const INSTRUMENTS: readonly Instrument[] = [BTC_PERP, ETH_PERP, BTC_SPOT];
const EX = 'TEST';

type Fate = 'filled' | 'canceled' | 'expired' | 'rejected' | 'open';

interface OrderPlan {
  readonly instrument: number;
  readonly side: Side;
  readonly lots: number;
  readonly priceTicks: number;
  readonly fate: Fate;
  /** Lots of each fill, before trimming to the fate */
  readonly fills: readonly number[];
  readonly cancelRequest: boolean;
  readonly cancelRefused: boolean;
  /** Where among the order's venue events the cancel request falls */
  readonly cancelAt: number;
  readonly venueFee: boolean;
}

const orderPlan: fc.Arbitrary<OrderPlan> = fc.record({
  instrument: fc.integer({ min: 0, max: INSTRUMENTS.length - 1 }),
  side: fc.constantFrom<Side>('BUY', 'SELL'),
  lots: fc.integer({ min: 1, max: 40 }),
  priceTicks: fc.integer({ min: -500, max: 500 }),
  fate: fc.constantFrom<Fate>('filled', 'canceled', 'expired', 'rejected', 'open'),
  fills: fc.array(fc.integer({ min: 1, max: 15 }), { maxLength: 5 }),
  cancelRequest: fc.boolean(),
  cancelRefused: fc.boolean(),
  cancelAt: fc.nat(6),
  venueFee: fc.boolean(),
});

/** A step of the in-order stream; venue events name the intent that caused them */
interface Step {
  readonly event: AccountEvent;
  readonly cause: number | undefined;
}

const BASE_PRICE: Record<string, number> = { BTCUSDT: 60000, ETHUSDT: 3000, 'BTC/USDT': 60000 };

/** Builds each order's causal sequence, then merges the orders in the given interleaving */
function buildStream(plans: readonly OrderPlan[], merge: readonly number[]): Step[] {
  const perOrder = plans.map((plan, n) => {
    const instrument = INSTRUMENTS[plan.instrument]!;
    const id = clientOrderId(`o${n}`);
    const quantity = snapSize(instrument, plan.lots * instrument.lotSize * 10);
    const price = BASE_PRICE[instrument.symbol]! + plan.priceTicks * instrument.tickSize;
    const request = createOrderRequest({
      clientId: id,
      instrument,
      side: plan.side,
      quantity,
      orderType: 'LIMIT',
      price,
      timeInForce: 'GTC',
    });
    const ref = { exchange: EX, clientId: id };
    const items: Array<{ event: AccountEvent; causedByCancel?: boolean; isCancel?: boolean }> = [];
    items.push({ event: { type: 'orderRequested', request, time: 0 } });
    if (plan.fate === 'rejected') {
      items.push({
        event: { type: 'orderRejected', ...ref, code: 'R', message: 'rejected', time: 1 },
      });
      return items;
    }
    const venue: Array<{ event: AccountEvent; causedByCancel?: boolean }> = [];
    venue.push({
      event: { type: 'orderAccepted', ...ref, venueOrderId: venueOrderId(`V${n}`), time: 1 },
    });
    // Fills: the fate decides whether they add up to the quantity
    const lotsTotal = Math.round(quantity / instrument.lotSize);
    let remaining = plan.fate === 'filled' ? lotsTotal : lotsTotal - 1;
    const fillLots: number[] = [];
    for (const lots of plan.fills) {
      if (remaining <= 0) break;
      const take = Math.min(lots, remaining);
      fillLots.push(take);
      remaining -= take;
    }
    if (plan.fate === 'filled' && remaining > 0) fillLots.push(remaining);
    fillLots.forEach((lots, k) => {
      const fillQuantity = snapSize(instrument, lots * instrument.lotSize);
      venue.push({
        event: {
          type: 'orderFilled',
          ...ref,
          venueOrderId: venueOrderId(`V${n}`),
          fill: {
            tradeId: tradeId(`T${n}.${k}`),
            clientId: id,
            venueOrderId: venueOrderId(`V${n}`),
            instrument,
            side: plan.side,
            quantity: fillQuantity,
            price,
            ...(plan.venueFee ? { fee: 0.01 * (k + 1), feeCurrency: 'USDT' } : {}),
            liquidity: k % 2 === 0 ? 'MAKER' : 'TAKER',
            time: 2 + k,
          },
          time: 2 + k,
        },
      });
    });
    // The cancel request falls somewhere after the accept; its answer comes after it
    const cancelIndex = plan.cancelRequest ? 1 + (plan.cancelAt % venue.length) : -1;
    const ordered: Array<{ event: AccountEvent; causedByCancel?: boolean; isCancel?: boolean }> =
      [];
    const pushCancel = () => {
      ordered.push({
        event: { type: 'cancelRequested', exchange: EX, clientId: id, deferred: false, time: 10 },
        isCancel: true,
      });
      if (plan.cancelRefused) {
        ordered.push({
          event: { type: 'cancelRejected', ...ref, code: 'C', message: 'refused', time: 11 },
          causedByCancel: true,
        });
      }
    };
    venue.forEach((item, k) => {
      if (k === cancelIndex) pushCancel();
      ordered.push(item);
    });
    if (cancelIndex === venue.length) pushCancel();
    const closedByCancel = plan.cancelRequest && !plan.cancelRefused;
    if (plan.fate === 'canceled') {
      ordered.push({
        event: { type: 'orderCanceled', ...ref, time: 20 },
        causedByCancel: closedByCancel,
      });
    } else if (plan.fate === 'expired') {
      ordered.push({ event: { type: 'orderExpired', ...ref, time: 20 } });
    }
    items.push(...ordered);
    return items;
  });

  // Merge the orders' sequences in the interleaving `merge` picks, keeping each one's order
  const cursors = perOrder.map(() => 0);
  const steps: Step[] = [];
  const requestAt = perOrder.map(() => -1);
  const cancelAt = perOrder.map(() => -1);
  const pickOrder = [...merge];
  const total = perOrder.reduce((sum, items) => sum + items.length, 0);
  for (let emitted = 0, p = 0; emitted < total; p++) {
    const n = (pickOrder[p % pickOrder.length] ?? 0) % perOrder.length;
    let chosen = n;
    while ((cursors[chosen] ?? 0) >= (perOrder[chosen]?.length ?? 0))
      chosen = (chosen + 1) % perOrder.length;
    const item = perOrder[chosen]![cursors[chosen]!]!;
    cursors[chosen]! += 1;
    const isIntent = item.event.type === 'orderRequested' || item.event.type === 'cancelRequested';
    if (item.event.type === 'orderRequested') requestAt[chosen] = steps.length;
    if (item.isCancel) cancelAt[chosen] = steps.length;
    const cause = isIntent ? undefined : item.causedByCancel ? cancelAt[chosen] : requestAt[chosen];
    steps.push({ event: item.event, cause });
    emitted += 1;
  }
  return steps;
}

/** A small seeded PRNG so perturbations shrink with the seed */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** Delays, duplicates and reorders venue events, keeping causality and per-instrument fill order */
function perturb(
  steps: readonly Step[],
  seed: number,
  maxDelay: number,
  duplicateRate: number,
): AccountEvent[] {
  const random = prng(seed);
  const keyed: Array<{ key: number; order: number; event: AccountEvent }> = [];
  const lastFillKey = new Map<string, number>();
  const keyOf: number[] = [];
  steps.forEach((step, i) => {
    let key = i;
    if (step.cause !== undefined) {
      key = i + random() * maxDelay;
      // A venue event never precedes its cause
      key = Math.max(key, (keyOf[step.cause] ?? 0) + 1e-6);
      if (step.event.type === 'orderFilled') {
        const symbol = step.event.fill.instrument.symbol;
        key = Math.max(key, (lastFillKey.get(symbol) ?? -1) + 1e-6);
        lastFillKey.set(symbol, key);
      }
    }
    keyOf[i] = key;
    keyed.push({ key, order: i, event: step.event });
    if (step.cause !== undefined && random() < duplicateRate) {
      keyed.push({ key: key + random() * maxDelay + 1e-3, order: i + 0.5, event: step.event });
    }
  });
  keyed.sort((a, b) => a.key - b.key || a.order - b.order);
  return keyed.map((k) => k.event);
}

function run(events: readonly AccountEvent[]): { state: AccountState; terminalChanges: string[] } {
  const state = createAccountState({
    exchange: EX,
    balances: [{ currency: 'USDT', total: 1_000_000, free: 1_000_000, locked: 0 }],
  });
  const terminal = new Map<string, OrderStatus>();
  const terminalChanges: string[] = [];
  for (const event of events) {
    apply(state, event);
    for (const [id, order] of state.orders) {
      const was = terminal.get(id);
      if (was !== undefined && was !== order.status)
        terminalChanges.push(`${id}: ${was} → ${order.status}`);
      if (was === undefined && isTerminal(order.status)) terminal.set(id, order.status);
    }
  }
  return { state, terminalChanges };
}

function summary(state: AccountState) {
  return {
    orders: [...state.orders.values()]
      .map((o) => [o.clientId, o.status, o.filledQuantity, o.averageFillPrice, o.venueOrderId])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    positions: [...state.positions.values()]
      .map((p) => [p.instrument.symbol, p.quantity, p.averagePrice, p.realizedPnl, p.commissions])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    balances: [...state.balances.values()]
      .map((b) => [b.currency, b.total, b.free])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  };
}

describe('property: event order does not change the outcome', () => {
  it('random interleavings, duplications and delays end where the in-order stream ends', () => {
    fc.assert(
      fc.property(
        fc.array(orderPlan, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(20), { minLength: 1, maxLength: 40 }),
        fc.integer(),
        fc.integer({ min: 0, max: 30 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        (plans, merge, seed, maxDelay, duplicateRate) => {
          const steps = buildStream(plans, merge);
          const inOrder = run(steps.map((s) => s.event));
          const shuffled = run(perturb(steps, seed, maxDelay, duplicateRate));

          assert.deepEqual(summary(shuffled.state), summary(inOrder.state));
          assert.deepEqual(shuffled.terminalChanges, []);
          assert.equal(shuffled.state.counters.refused, 0);
          assert.equal(shuffled.state.counters.illegalTransitions, 0);

          // No fill counts twice: positions and orders equal the sums of distinct fills
          const distinct = new Map<string, { symbol: string; id: ClientOrderId; signed: number }>();
          for (const step of steps) {
            if (step.event.type !== 'orderFilled') continue;
            const fill = step.event.fill;
            distinct.set(fill.tradeId, {
              symbol: fill.instrument.symbol,
              id: fill.clientId as ClientOrderId,
              signed: fill.side === 'BUY' ? fill.quantity : -fill.quantity,
            });
          }
          for (const instrument of INSTRUMENTS) {
            const expected = snapSize(
              instrument,
              [...distinct.values()]
                .filter((f) => f.symbol === instrument.symbol)
                .reduce((sum, f) => sum + f.signed, 0),
            );
            assert.equal(shuffled.state.positions.get(instrument.symbol)?.quantity ?? 0, expected);
          }
          for (const order of shuffled.state.orders.values()) {
            const expected = snapSize(
              order.instrument,
              [...distinct.values()]
                .filter((f) => f.id === order.clientId)
                .reduce((sum, f) => sum + Math.abs(f.signed), 0),
            );
            assert.equal(order.filledQuantity, expected);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
