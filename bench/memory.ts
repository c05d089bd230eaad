import { clientOrderId, tradeId, venueOrderId } from '../src/core/ids.ts';
import { createOrderRequest } from '../src/core/order-request.ts';
import { AccountProcessor } from '../src/engine/account-processor.ts';
import { SimulatedClock } from '../src/engine/clock.ts';
import { silentLogger } from '../src/engine/logger.ts';
import { runUnboundedLoad } from '../test/helpers/unbounded-load.ts';
import type { Figure } from './harness.ts';
import { heapUsed } from './harness.ts';
import { benchInstruments } from './workload.ts';

const [instrument] = benchInstruments(1);

function request(n: number) {
  return createOrderRequest({
    clientId: clientOrderId(`m-${n.toString(36)}`),
    instrument: instrument!,
    side: n % 2 === 0 ? 'BUY' : 'SELL',
    quantity: 0.01,
    orderType: 'LIMIT',
    price: 100 + (n % 100) / 100,
    timeInForce: 'GTC',
  });
}

/**
 * Memory: heap per live order, heap flat while a million orders churn to terminal, and heap flat
 * under unbounded load through the risk gate
 */
export async function benchMemory(quick: boolean): Promise<Figure[]> {
  const live = 100_000;
  const clock = new SimulatedClock(0);
  const before = heapUsed();
  const account = new AccountProcessor({ exchange: 'bench', clock, logger: silentLogger });
  for (let n = 0; n < live; n++) {
    const r = request(n);
    account.processOrderRequest(r);
    account.apply({
      type: 'orderAccepted',
      exchange: 'bench',
      clientId: r.clientId,
      venueOrderId: venueOrderId(`v${n}`),
      time: 0,
    });
  }
  const perOrder = (heapUsed() - before) / live;
  const open = account.getOrders().length;

  // Churn: each order is requested, accepted and filled, and time passes beyond the grace window
  const churn = quick ? 400_000 : 1_000_000;
  const churnClock = new SimulatedClock(0);
  const churner = new AccountProcessor({
    exchange: 'bench',
    clock: churnClock,
    logger: silentLogger,
  });
  const checkpoints: number[] = [];
  for (let n = 0; n < churn; n++) {
    const r = request(live + n);
    churner.processOrderRequest(r);
    const venueId = venueOrderId(`c${n}`);
    churner.apply({
      type: 'orderAccepted',
      exchange: 'bench',
      clientId: r.clientId,
      venueOrderId: venueId,
      time: churnClock.now(),
    });
    churner.apply({
      type: 'orderFilled',
      exchange: 'bench',
      clientId: r.clientId,
      fill: {
        tradeId: tradeId(`ct${n}`),
        clientId: r.clientId,
        venueOrderId: venueId,
        instrument: instrument!,
        side: r.side,
        quantity: r.quantity,
        price: r.price ?? 100,
        liquidity: 'MAKER',
        time: churnClock.now(),
      },
      time: churnClock.now(),
    });
    // 10 orders a second: 600 stay in the 60 s grace window, the rest move to the bounded history
    churnClock.advanceTo(churnClock.now() + 100);
    if ((n + 1) % (churn / 8) === 0) checkpoints.push(heapUsed());
  }
  // From the first checkpoint past the dedup memory's capacity (200 000 trade ids), nothing may grow
  const settled = checkpoints.slice(Math.ceil((200_000 / churn) * 8));
  const first = settled[0] ?? 0;
  const last = settled.at(-1) ?? 0;
  // A strategy trying 1,000 submits a second against the gate's 100/s
  const load = await runUnboundedLoad({
    seconds: quick ? 60 : 300,
    perTick: 10,
    risk: { submitsPerSecond: 100, submitBurst: 20, maxQueued: 100, maxQueueAgeMs: 500 },
    heap: heapUsed,
  });
  const loadFirst = load.heap[0] ?? 0;
  return [
    {
      bench: 'memory',
      metric: 'heap per live order',
      value: perOrder,
      unit: 'bytes',
      target: '< 1024',
      note: `${open} live orders`,
    },
    {
      bench: 'memory',
      metric: 'heap once every bounded store is full',
      value: first / 2 ** 20,
      unit: 'MiB',
    },
    {
      bench: 'memory',
      metric: `heap after ${churn} churned orders`,
      value: last / 2 ** 20,
      unit: 'MiB',
      note: `live ${churner.getOrders().length}, history ${churner.state.history.size}`,
    },
    {
      bench: 'memory',
      metric: 'growth over the churn',
      value: (last - first) / 2 ** 20,
      unit: 'MiB',
      target: '≈ 0 (flat)',
      note: `every ${churn / 8} orders: ${checkpoints.map((c) => (c / 2 ** 20).toFixed(1)).join(' → ')} MiB`,
    },
    {
      bench: 'memory',
      metric: 'growth under unbounded load (1,000 submits/s tried, 100/s allowed)',
      value: (Math.max(...load.heap) - loadFirst) / 2 ** 20,
      unit: 'MiB',
      target: '≈ 0 (flat)',
      note: `${load.attempts} tried: ${load.sent} sent, ${Object.values(load.refused).reduce((a, b) => a + b, 0)} refused, ${load.stale} stale, ${load.withdrawn} canceled while queued (${load.withdrawnReachedVenue} reached the venue); heap ${load.heap.map((h) => (h / 2 ** 20).toFixed(1)).join(' → ')} MiB`,
    },
  ];
}
