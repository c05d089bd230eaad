/**
 * Property: where the account keeps its orders. One map holds every order it knows, the live
 * ones are listed apart, finished ones wait out their grace window in a queue and then go to a
 * bounded history; a LOST order the venue fills or lists again comes back to life from wherever
 * it was.
 *
 * For random sequences of requests, accepts, cancels, losses, fills, reinstatements and clock
 * steps (each step moves finished orders past their grace window into the history), after every
 * step:
 *
 * 1. every order of the map is in exactly one place: live (not terminal), in the terminal queue,
 *    or in the history; nothing is anywhere that is not in the map;
 * 2. the live listing is exactly the live orders, each once, in the order they were tracked or
 *    revived;
 * 3. the history holds at most `historySize` finished orders, each once, oldest first, and its
 *    size is what it lists; an order dropped from it is forgotten (findOrder is undefined);
 * 4. a cancel request or a loss naming an order in the history is refused as unknown, as for an
 *    order never seen; naming an order in its grace window it is ignored.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AccountState } from '../../src/core/account.ts';
import {
  apply,
  createAccountState,
  evictTerminal,
  findOrder,
  liveOrders,
} from '../../src/core/account.ts';
import type { AccountEvent } from '../../src/core/events.ts';
import type { ClientOrderId } from '../../src/core/ids.ts';
import { clientOrderId, tradeId, venueOrderId } from '../../src/core/ids.ts';
import { isTerminal } from '../../src/core/order.ts';
import { BTC_PERP } from '../helpers/instruments.ts';
import { limitBuy } from '../helpers/requests.ts';

const EX = 'TEST';
const GRACE = 100;

type Step =
  | { readonly kind: 'request' }
  | {
      readonly kind: 'accept' | 'cancel' | 'canceled' | 'lose' | 'fill' | 'reinstate';
      readonly order: number;
    }
  | { readonly kind: 'tick'; readonly ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'request' as const }), weight: 4 },
  {
    arbitrary: fc.record({
      kind: fc.constantFrom(
        'accept' as const,
        'cancel' as const,
        'canceled' as const,
        'lose' as const,
        'fill' as const,
        'reinstate' as const,
      ),
      order: fc.nat({ max: 40 }),
    }),
    weight: 8,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.nat({ max: 80 }) }),
    weight: 3,
  },
);

/** Where each order of the map is, from the state's own structures */
function places(state: AccountState): Map<string, string[]> {
  const where = new Map<string, string[]>();
  const add = (id: string, place: string) => where.set(id, [...(where.get(id) ?? []), place]);
  for (const order of liveOrders(state)) add(order.clientId, 'live');
  for (let i = state.terminalHead; i < state.terminalQueue.length; i++) {
    const order = state.terminalQueue[i];
    if (order !== undefined) add(order.clientId, 'grace');
  }
  for (const order of state.history.values()) add(order.clientId, 'history');
  return where;
}

function run(steps: readonly Step[], historySize: number): void {
  const state = createAccountState({ exchange: EX, limits: { graceMs: GRACE, historySize } });
  let now = 0;
  let requested = 0;
  let trades = 0;
  /** clientIds in the order they were tracked or last revived */
  let liveOrder: string[] = [];
  const forgotten = new Set<string>();
  const id = (n: number) => clientOrderId(`o${n % Math.max(1, requested)}`) as ClientOrderId;
  const ref = (n: number) => ({ exchange: EX, clientId: id(n), time: now });
  for (const s of steps) {
    const before =
      s.kind === 'request' ? undefined : findOrder(state, id('order' in s ? s.order : 0));
    const wasTerminal = before !== undefined && isTerminal(before.status);
    const inHistoryBefore =
      before !== undefined && [...state.history.values()].some((o) => o === before);
    let event: AccountEvent | undefined;
    switch (s.kind) {
      case 'request':
        event = {
          type: 'orderRequested',
          request: limitBuy(`o${requested}`),
          time: now,
        };
        requested += 1;
        break;
      case 'accept':
        event = {
          type: 'orderAccepted',
          ...ref(s.order),
          venueOrderId: venueOrderId(`v${s.order}`),
        };
        break;
      case 'cancel':
        event = { type: 'cancelRequested', ...ref(s.order), deferred: false };
        break;
      case 'canceled':
        event = { type: 'orderCanceled', ...ref(s.order) };
        break;
      case 'lose':
        event = { type: 'orderLost', ...ref(s.order), reason: 'not at the venue' };
        break;
      case 'fill':
        trades += 1;
        event = {
          type: 'orderFilled',
          ...ref(s.order),
          fill: {
            tradeId: tradeId(`t${trades}`),
            clientId: id(s.order),
            instrument: BTC_PERP,
            side: 'BUY',
            quantity: 0.1,
            price: 100,
            liquidity: 'MAKER',
            time: now,
          },
        };
        break;
      case 'reinstate':
        event = { type: 'orderStatusReported', ...ref(s.order), status: 'OPEN', filledQuantity: 0 };
        break;
      case 'tick':
        now += s.ms;
        evictTerminal(state, now);
        break;
    }
    if (requested === 0 && s.kind !== 'request') continue;
    if (event !== undefined) {
      const result = apply(state, event);
      const after = result.order;
      if (s.kind === 'request' && result.outcome === 'applied' && after !== undefined)
        liveOrder.push(after.clientId);
      if (wasTerminal && after !== undefined && !isTerminal(after.status)) {
        liveOrder = liveOrder.filter((x) => x !== after.clientId);
        liveOrder.push(after.clientId);
      }
      // 4: intents naming a history order are news about an unknown order; a grace one is ignored
      if ((s.kind === 'cancel' || s.kind === 'lose') && wasTerminal)
        assert.equal(result.outcome, inHistoryBefore ? 'refused' : 'ignored');
    }
    // 1: one place each, and nothing outside the map
    const where = places(state);
    for (const [clientId, order] of state.orders) {
      const at = where.get(clientId) ?? [];
      assert.equal(
        at.length,
        1,
        `${clientId} (${order.status}) is in ${at.join(', ') || 'no place'}`,
      );
      assert.equal(at[0] === 'live', !isTerminal(order.status), `${clientId} is ${at[0]}`);
    }
    for (const clientId of where.keys())
      assert.ok(state.orders.has(clientId), `${clientId} is in the map`);
    // 2: the live listing, in order
    const live = liveOrders(state).map((o) => o.clientId);
    assert.deepEqual(
      live,
      liveOrder.filter((x) => {
        const order = findOrder(state, x);
        return order !== undefined && !isTerminal(order.status);
      }),
    );
    // 3: the bounded history, and forgetting
    const history = [...state.history.values()];
    assert.ok(history.length <= historySize);
    assert.equal(state.history.size, history.length);
    for (const order of history) assert.ok(isTerminal(order.status));
    for (let n = 0; n < requested; n++) {
      if (findOrder(state, `o${n}`) === undefined) forgotten.add(`o${n}`);
    }
    for (const clientId of forgotten) assert.equal(findOrder(state, clientId), undefined);
  }
}

describe('property: one map of orders, a live listing, a grace queue and a bounded history', () => {
  it('keeps every order in exactly one place, the history bounded and intents on it refused', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 0, max: 6 }),
        (steps, size) => run(steps, size),
      ),
      { numRuns: 300 },
    );
  });
});
