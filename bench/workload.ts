import type { AccountEvent } from '../src/core/events.ts';
import type { ClientOrderId } from '../src/core/ids.ts';
import { clientOrderId, tradeId, venueOrderId } from '../src/core/ids.ts';
import type { Instrument } from '../src/core/instrument.ts';
import { createInstrument } from '../src/core/instrument.ts';
import type { OrderRequest } from '../src/core/order.ts';
import { createOrderRequest } from '../src/core/order-request.ts';
import { createRandom } from '../src/core/random.ts';

/** Ten perpetuals on one exchange, like a multi-market strategy's universe */
export function benchInstruments(count = 10, exchange = 'bench'): Instrument[] {
  return Array.from({ length: count }, (_, i) =>
    createInstrument({
      symbol: `SYM${i}USDT`,
      exchange,
      marketType: 'SWAP',
      base: `SYM${i}`,
      quote: 'USDT',
      tickSize: 0.01,
      lotSize: 0.001,
      minNotional: 1,
      makerFee: 0.0002,
      takerFee: 0.0005,
    }),
  );
}

export interface Workload {
  readonly requests: OrderRequest[];
  /** Venue events in arrival order: accepts, partial fills, fills, cancels, and duplicates */
  readonly events: AccountEvent[];
}

/**
 * A recorded-style venue stream for `orders` orders: each is accepted, gets one to three partial
 * fills, then fills completely (60%) or is canceled (40%); one event in ten is delivered twice
 * (the same accept or fill over push and REST). Orders overlap: events of about 64 orders are in
 * flight at once, interleaved as a venue's stream interleaves them.
 */
export function createWorkload(
  orders: number,
  instruments: readonly Instrument[],
  seed = 1,
  exchange = 'bench',
): Workload {
  const random = createRandom(seed);
  const requests: OrderRequest[] = [];
  const perOrder: AccountEvent[][] = [];
  let trade = 0;
  for (let n = 0; n < orders; n++) {
    const instrument = instruments[n % instruments.length]!;
    const clientId = clientOrderId(`b-${n.toString(36)}`);
    const quantity = 0.01 * (1 + random.integer(0, 9));
    const price = 100 + random.integer(0, 1000) / 100;
    const side = random.next() < 0.5 ? 'BUY' : 'SELL';
    requests.push(
      createOrderRequest({
        clientId,
        instrument,
        side,
        quantity,
        orderType: 'LIMIT',
        price,
        timeInForce: 'GTC',
      }),
    );
    const venueId = venueOrderId(`v${n}`);
    const ref = { exchange, clientId: clientId as ClientOrderId, venueOrderId: venueId };
    const events: AccountEvent[] = [{ type: 'orderAccepted', ...ref, time: n }];
    const parts = 1 + random.integer(0, 2);
    const lots = Math.round(quantity / 0.001);
    const filledLots = random.next() < 0.6 ? lots : Math.floor(lots / 2);
    let left = filledLots;
    for (let p = 0; p < parts && left > 0; p++) {
      const take = p === parts - 1 ? left : Math.max(1, Math.floor(left / 2));
      left -= take;
      trade += 1;
      events.push({
        type: 'orderFilled',
        ...ref,
        fill: {
          tradeId: tradeId(`t${trade}`),
          clientId,
          venueOrderId: venueId,
          instrument,
          side,
          quantity: take * 0.001,
          price,
          liquidity: p % 2 === 0 ? 'MAKER' : 'TAKER',
          time: n,
        },
        time: n,
      });
    }
    if (filledLots < lots) events.push({ type: 'orderCanceled', ...ref, time: n });
    // One in ten events arrives twice
    for (let i = events.length - 1; i >= 0; i--) {
      if (random.next() < 0.1) events.splice(i + 1, 0, events[i]!);
    }
    perOrder.push(events);
  }
  // Interleave: a window of 64 orders in flight, events drawn from them at random
  const events: AccountEvent[] = [];
  const window: Array<{ list: AccountEvent[]; at: number }> = [];
  let next = 0;
  while (next < perOrder.length || window.length > 0) {
    while (window.length < 64 && next < perOrder.length)
      window.push({ list: perOrder[next++]!, at: 0 });
    const k = random.integer(0, window.length - 1);
    const item = window[k]!;
    events.push(item.list[item.at++]!);
    if (item.at >= item.list.length) window.splice(k, 1);
  }
  return { requests, events };
}
