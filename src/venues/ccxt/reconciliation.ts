import { createHash } from 'node:crypto';
import type { Instrument } from '../../core/instrument.ts';
import { snapPrice, snapSize } from '../../core/instrument.ts';
import type { VenueOrderState, VenuePosition } from '../../engine/venue.ts';
import { orderType, timeInForce } from './events.ts';
import type { CcxtOrder } from './schemas.ts';
import { positionSchema } from './schemas.ts';

/**
 * Names the account an API key trades, for the journal: a short sha256 fingerprint, so the
 * journal's name tells accounts apart without carrying anything that signs a request.
 */
export function apiKeyFingerprint(apiKey: string): string {
  return `key-${createHash('sha256').update(apiKey, 'utf8').digest('hex').slice(0, 16)}`;
}

/**
 * The generator head of a clientId (`kab12c-` of `kab12c-1z`): the part every id of one
 * generator shares, so an order found at the venue with the same head is one of ours.
 * Undefined for ids that do not look generated (no `-`, or adopted `ext:` ones).
 */
export function clientIdHead(clientId: string): string | undefined {
  if (clientId.startsWith('ext:')) return undefined;
  const dash = clientId.lastIndexOf('-');
  return dash >= 1 && dash < clientId.length - 1 ? clientId.slice(0, dash + 1) : undefined;
}

function present(value: number | null | undefined): value is number {
  return value !== null && value !== undefined;
}

/** The status an order query or snapshot reports, by ccxt's status and what has filled */
export function venueStatus(order: CcxtOrder, filled: number): VenueOrderState['status'] {
  switch (order.status) {
    case 'open':
      return filled > 0 ? 'PARTIALLY_FILLED' : 'OPEN';
    case 'closed':
      return 'FILLED';
    case 'canceled':
      return 'CANCELED';
    case 'expired':
      return 'EXPIRED';
    case 'rejected':
      return 'REJECTED';
  }
}

/**
 * One ccxt order as reconciliation reads it; `clientId` is the venue's client order id (ours
 * when it carries ours). Undefined when the order lacks a side or an amount.
 */
export function toVenueOrderState(
  order: CcxtOrder,
  instrument: Instrument,
  clientId: string | undefined,
  now: number,
): VenueOrderState | undefined {
  if (order.side === null || order.side === undefined) return undefined;
  if (!present(order.amount) || !(order.amount > 0)) return undefined;
  const filled = snapSize(instrument, order.filled ?? 0);
  return {
    instrument,
    clientId,
    venueOrderId: order.id,
    side: order.side === 'buy' ? 'BUY' : 'SELL',
    type: orderType(order.type),
    timeInForce: timeInForce(order),
    quantity: snapSize(instrument, order.amount),
    ...(present(order.price) && order.price > 0
      ? { price: snapPrice(instrument, order.price) }
      : {}),
    ...(present(order.triggerPrice) && order.triggerPrice > 0
      ? { stopPrice: snapPrice(instrument, order.triggerPrice) }
      : {}),
    reduceOnly: order.reduceOnly === true,
    status: venueStatus(order, filled),
    filledQuantity: filled,
    // Averages keep four decimals past the tick, as the venue computes them
    ...(present(order.average) && order.average > 0 && filled > 0
      ? { averagePrice: Number(order.average.toFixed(instrument.priceDecimals + 4)) }
      : {}),
    time: order.lastUpdateTimestamp ?? order.timestamp ?? now,
  };
}

export interface PositionParse {
  readonly positions: VenuePosition[];
  /** Entries that were not positions, or of markets we do not trade */
  readonly skipped: number;
}

/**
 * The venue's net positions from ccxt's fetchPositions: signed (short negative), in the
 * order quantity unit (contracts), one per instrument; legs of a hedge-mode account are
 * netted, the average weighted by size among legs on the net side. Flat entries are left out.
 */
export function toVenuePositions(
  raw: unknown,
  instruments: ReadonlyMap<string, Instrument>,
): PositionParse {
  const legs = new Map<string, { quantity: number; sides: [number, number][] }>();
  let skipped = 0;
  for (const entry of Array.isArray(raw) ? raw : []) {
    const parsed = positionSchema.safeParse(entry);
    const instrument = parsed.success ? instruments.get(parsed.data.symbol) : undefined;
    if (!parsed.success || instrument === undefined) {
      skipped += 1;
      continue;
    }
    const contracts = Math.abs(parsed.data.contracts ?? 0);
    if (contracts === 0) continue;
    const signed = parsed.data.side === 'short' ? -contracts : contracts;
    const leg = legs.get(instrument.symbol) ?? { quantity: 0, sides: [] };
    leg.quantity += signed;
    leg.sides.push([signed, parsed.data.entryPrice ?? 0]);
    legs.set(instrument.symbol, leg);
  }
  const positions: VenuePosition[] = [];
  for (const [symbol, leg] of legs) {
    const instrument = instruments.get(symbol);
    if (instrument === undefined) continue;
    const quantity = snapSize(instrument, leg.quantity);
    if (quantity === 0) continue;
    const sameSide = leg.sides.filter(([q]) => Math.sign(q) === Math.sign(quantity));
    const size = sameSide.reduce((sum, [q]) => sum + Math.abs(q), 0);
    const average =
      size > 0 ? sameSide.reduce((sum, [q, price]) => sum + Math.abs(q) * price, 0) / size : 0;
    positions.push({
      instrument,
      quantity,
      averagePrice: Number(average.toFixed(instrument.priceDecimals + 4)),
    });
  }
  return { positions, skipped };
}
