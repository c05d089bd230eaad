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
