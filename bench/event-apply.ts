import type { AccountEvent } from '../src/core/events.ts';
import type { OrderRequest } from '../src/core/order.ts';
import { AccountProcessor } from '../src/engine/account-processor.ts';
import { SimulatedClock } from '../src/engine/clock.ts';
import { silentLogger } from '../src/engine/logger.ts';
import type { Figure } from './harness.ts';
import { measurePair, spread } from './harness.ts';
import { benchInstruments, createWorkload } from './workload.ts';

interface FloorOrder {
  venueOrderId: string | undefined;
  status: string;
  filled: number;
}

/**
 * The floor: the same map lookups and field writes the account must do for each event (find the
 * order, note its venue id, dedupe the trade id, bump filled quantity and status, position and
 * balance), with no state machine, audit trail, rounding or accounting. Every event of the
 * workload names its clientId, so no event needs the venue-id index: the account builds it only
 * when one does, and the floor does not build it either
 */
function floorApply(
  requests: readonly OrderRequest[],
  events: readonly AccountEvent[],
): { count: () => number } {
  const orders = new Map<string, FloorOrder>();
  const seen = new Map<string, Set<string>>();
  const positions = new Map<string, { quantity: number }>();
  const balances = new Map<string, { total: number }>();
  balances.set('USDT', { total: 0 });
  for (const r of requests) {
    orders.set(r.clientId, { venueOrderId: undefined, status: 'PENDING', filled: 0 });
    if (!positions.has(r.instrument.symbol)) positions.set(r.instrument.symbol, { quantity: 0 });
  }
  return {
    count: () => {
      let applied = 0;
      for (const event of events) {
        if (event.type === 'orderAccepted') {
          const order = orders.get(event.clientId ?? '');
          if (order !== undefined) {
            order.venueOrderId = event.venueOrderId;
            order.status = 'OPEN';
          }
        } else if (event.type === 'orderFilled') {
          const order = orders.get(event.clientId ?? '');
          let scope = seen.get(event.fill.instrument.symbol);
          if (scope === undefined) {
            scope = new Set<string>();
            seen.set(event.fill.instrument.symbol, scope);
          }
          if (order === undefined || scope.has(event.fill.tradeId)) continue;
          scope.add(event.fill.tradeId);
          order.filled += event.fill.quantity;
          order.status = 'PARTIALLY_FILLED';
          const position = positions.get(event.fill.instrument.symbol)!;
          position.quantity +=
            event.fill.side === 'BUY' ? event.fill.quantity : -event.fill.quantity;
          balances.get('USDT')!.total -= event.fill.quantity * event.fill.price * 0.0002;
        } else if (event.type === 'orderCanceled') {
          const order = orders.get(event.clientId ?? '');
          if (order !== undefined) order.status = 'CANCELED';
        }
        applied += 1;
      }
      return applied;
    },
  };
}

function accountApply(
  requests: readonly OrderRequest[],
  events: readonly AccountEvent[],
): { account: AccountProcessor; count: () => number } {
  const account = new AccountProcessor({
    exchange: 'bench',
    clock: new SimulatedClock(0),
    logger: silentLogger,
  });
  for (const request of requests) account.processOrderRequest(request);
  return {
    account,
    count: () => {
      for (const event of events) account.apply(event);
      return events.length;
    },
  };
}

/** Event apply: events per second through the account processor, against the floor */
export function benchEventApply(quick: boolean): Figure[] {
  const orders = quick ? 20_000 : 100_000;
  const { requests, events } = createWorkload(orders, benchInstruments(10));
  const rounds = quick ? 3 : 7;
  // Warm both paths up so the JIT has seen them
  floorApply(requests, events.slice(0, 20_000)).count();
  accountApply(requests, events.slice(0, 20_000)).count();
  const floorRuns = Array.from({ length: rounds }, () => floorApply(requests, events));
  const accountRuns = Array.from({ length: rounds }, () => accountApply(requests, events));
  let f = 0;
  let a = 0;
  const pair = measurePair(
    () => accountRuns[a++]!.count(),
    () => floorRuns[f++]!.count(),
    rounds,
  );
  const check = accountApply(requests, events);
  check.count();
  const counters = check.account.counters;
  return [
    {
      bench: 'event apply',
      metric: 'events',
      value: events.length,
      unit: 'events',
      note: `${orders} orders, 10 instruments; ${counters.duplicateFills + counters.ignored} duplicates absorbed`,
    },
    {
      bench: 'event apply',
      metric: 'account processor',
      value: pair.opsPerCpuSecond,
      unit: 'events/CPU-s',
      target: '≥ 2 000 000',
    },
    {
      bench: 'event apply',
      metric: 'cost per event',
      value: 1e9 / pair.opsPerCpuSecond,
      unit: 'ns CPU',
    },
    {
      bench: 'event apply',
      metric: 'floor loop',
      value: pair.baselineOpsPerCpuSecond,
      unit: 'events/CPU-s',
    },
    {
      bench: 'event apply',
      metric: 'ratio to floor',
      value: pair.ratio,
      unit: '×',
      target: '≤ 1.5',
      note: `median of ${rounds} interleaved rounds, ${spread(pair.ratios)}`,
    },
  ];
}
