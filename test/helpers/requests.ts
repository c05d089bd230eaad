import type { OrderReport } from '../../src/core/events.ts';
import { clientOrderId } from '../../src/core/ids.ts';
import type { OrderRequest } from '../../src/core/order.ts';
import { createOrderRequest } from '../../src/core/order-request.ts';
import { BTC_PERP } from './instruments.ts';

/** A GTC limit buy of BTC_PERP, the plain order the engine's tests track: 1 at 100 unless told */
export function limitBuy(id: string, quantity = 1, price = 100): OrderRequest {
  return createOrderRequest({
    clientId: clientOrderId(id),
    instrument: BTC_PERP,
    side: 'BUY',
    quantity,
    orderType: 'LIMIT',
    price,
    timeInForce: 'GTC',
  });
}

/** What a venue reports of a resting GTC limit buy of 1 BTC_PERP at 100 it shows us unasked */
export const LIMIT_BUY_REPORT: OrderReport = {
  instrument: BTC_PERP,
  side: 'BUY',
  type: 'LIMIT',
  timeInForce: 'GTC',
  quantity: 1,
  price: 100,
};
