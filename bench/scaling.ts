import type { AccountEvent } from '../src/core/events.ts';
import { clientOrderId, tradeId, venueOrderId } from '../src/core/ids.ts';
import type { OrderRequest } from '../src/core/order.ts';
import { createOrderRequest } from '../src/core/order-request.ts';
import { createRandom } from '../src/core/random.ts';
import { AccountProcessor } from '../src/engine/account-processor.ts';
import { SimulatedClock } from '../src/engine/clock.ts';
import { silentLogger } from '../src/engine/logger.ts';
import type { Figure } from './harness.ts';
import { measure } from './harness.ts';
import { benchInstruments } from './workload.ts';

/**
 * Scaling: the cost of applying the same 100 000 events (partial fills and cancel round trips on
 * random live orders) with 1k to 1M orders live. It must stay flat: nothing on the hot path scans
 * all orders.
 */
export function benchScaling(quick: boolean): Figure[] {
  const instruments = benchInstruments(10);
  const sizes = quick ? [1_000, 10_000, 100_000] : [1_000, 10_000, 100_000, 1_000_000];
  const figures: Figure[] = [];
  const costs: number[] = [];
  for (const size of sizes) {
    const account = new AccountProcessor({
      exchange: 'bench',
      clock: new SimulatedClock(0),
      logger: silentLogger,
    });
    const ids: OrderRequest[] = [];
    for (let n = 0; n < size; n++) {
      const r = createOrderRequest({
        clientId: clientOrderId(`s-${n.toString(36)}`),
        instrument: instruments[n % 10]!,
        side: 'BUY',
        quantity: 1000,
        orderType: 'LIMIT',
        price: 100,
        timeInForce: 'GTC',
      });
      account.processOrderRequest(r);
      account.apply({
        type: 'orderAccepted',
        exchange: 'bench',
        clientId: r.clientId,
        venueOrderId: venueOrderId(`v${n}`),
        time: 0,
      });
      ids.push(r);
    }
    const random = createRandom(size);
    let trade = 0;
    const makeEvents = (): AccountEvent[] =>
      Array.from({ length: 100_000 }, (_, i) => {
        const r = ids[random.integer(0, size - 1)]!;
        if (i % 4 === 3)
          return {
            type: 'cancelRejected',
            exchange: 'bench',
            clientId: r.clientId,
            code: 'X',
            message: 'x',
            time: 0,
          };
        if (i % 4 === 2)
          return {
            type: 'cancelRequested',
            exchange: 'bench',
            clientId: r.clientId,
            deferred: false,
            time: 0,
          };
        trade += 1;
        return {
          type: 'orderFilled',
          exchange: 'bench',
          clientId: r.clientId,
          fill: {
            tradeId: tradeId(`st${trade}`),
            clientId: r.clientId,
            instrument: r.instrument,
            side: 'BUY',
            quantity: 0.001,
            price: 100,
            liquidity: 'MAKER',
            time: 0,
          },
          time: 0,
        };
      });
    const batches = Array.from({ length: 4 }, makeEvents);
    let k = 0;
    const result = measure(() => {
      const events = batches[k++]!;
      for (const event of events) account.apply(event);
      return events.length;
    }, 3);
    costs.push(result.nsPerOp);
    figures.push({
      bench: 'scaling',
      metric: `${size.toLocaleString('en-US')} live orders`,
      value: result.nsPerOp,
      unit: 'ns/event',
    });
  }
  figures.push({
    bench: 'scaling',
    metric: `largest / smallest`,
    value: (costs.at(-1) ?? 0) / (costs[0] ?? 1),
    unit: '×',
    target: 'flat (cache effects aside)',
  });
  return figures;
}
