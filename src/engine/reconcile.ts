import type { TrackedOrder } from '../core/account.ts';
import type { Balance } from '../core/balance.ts';
import type { OrderRef, VenueEvent } from '../core/events.ts';
import type { ClientOrderId } from '../core/ids.ts';
import { tradeId, venueOrderId } from '../core/ids.ts';
import { snapPrice, snapSize } from '../core/instrument.ts';
import { formatDecimal, money } from '../core/numeric.ts';
import { isTerminal } from '../core/order.ts';
import type { Position } from '../core/position.ts';
import { positionKey } from '../core/position.ts';
import type { VenueOrderState, VenuePosition, VenueSnapshot } from './venue.ts';

/** What reconciliation decided: events to apply, orders to ask the venue about, and why */
export interface ReconcilePlan {
  /** To apply; each one that corrects drift has its line in `corrections` */
  readonly events: VenueEvent[];
  /** Local live orders the venue did not list as open: their fate needs a status query */
  readonly query: TrackedOrder[];
  /**
   * Known orders the snapshot shows differently: a difference only once a status query (newer
   * than both sides) still shows it. Empty unless the view asks for re-checks
   */
  readonly recheck: Array<{ readonly order: TrackedOrder; readonly state: VenueOrderState }>;
  readonly corrections: string[];
}

export interface LocalView {
  readonly exchange: string;
  /** Our live (non-terminal) orders */
  readonly openOrders: readonly TrackedOrder[];
  /** Finds one of our orders, live or recently terminal, by any id */
  readonly find: (ref: OrderRef) => TrackedOrder | undefined;
  readonly positions: readonly Position[];
  readonly balances: readonly Balance[];
  /** Whether a clientId is one this owner generates (its prefix), so an unknown order is ours */
  readonly isOwn: (clientId: string) => boolean;
  /**
   * Whether a venue order we do not know is a sibling's (another process trading the same
   * account): it is left alone, neither adopted nor corrected
   */
  readonly isSibling?: ((ref: OrderRef) => boolean) | undefined;
  /** Orders created within this window (ms) are too young to call missing */
  readonly graceMs: number;
  readonly now: number;
  /**
   * Whether an order changed after the snapshot was asked for: ours is then the newer state
   * and the snapshot's older view of it is no difference
   */
  readonly changedSince?: (order: TrackedOrder) => boolean;
  /**
   * Whether fills or balances were applied after the snapshot was asked for: its positions and
   * balances are then older than ours and are left for the next snapshot
   */
  readonly movedSince?: boolean;
  /** Whether differences on known orders go to `recheck` (a status query) instead of `events` */
  readonly recheck?: boolean;
}

function refOf(state: VenueOrderState): OrderRef {
  return {
    clientId: state.clientId as ClientOrderId | undefined,
    venueOrderId: venueOrderId(state.venueOrderId),
    correlationKey: state.correlationKey,
  };
}

/** The fills of a snapshot as events; the writer books each trade id once */
export function fillEvents(exchange: string, snapshot: VenueSnapshot): VenueEvent[] {
  return snapshot.fills.map((fill) => ({
    type: 'orderFilled',
    exchange,
    clientId: fill.clientId,
    venueOrderId: fill.venueOrderId,
    fill: { ...fill, tradeId: tradeId(fill.tradeId) },
    time: fill.time,
  }));
}

/**
 * The event that brings a known order in line with what the venue reports: its status, filled
 * quantity, venue id, and its total quantity and limit price (an amend whose answer was lost);
 * undefined when they already agree. An order held terminal that the venue lists live is
 * reinstated by the event (the transition table's row)
 */
export function statusEvent(
  exchange: string,
  order: TrackedOrder,
  state: VenueOrderState,
): VenueEvent | undefined {
  const instrument = order.instrument;
  const filled = snapSize(instrument, state.filledQuantity);
  const quantity = snapSize(instrument, state.quantity);
  const quantityDiffers = quantity > 0 && quantity !== order.quantity;
  const price = state.price === undefined ? undefined : snapPrice(instrument, state.price);
  const priceDiffers = price !== undefined && order.price !== undefined && price !== order.price;
  const sameStatus =
    (state.status === 'OPEN' && (order.status === 'OPEN' || order.status === 'PENDING_CANCEL')) ||
    (state.status === 'PARTIALLY_FILLED' &&
      (order.status === 'PARTIALLY_FILLED' || order.status === 'PENDING_CANCEL')) ||
    state.status === order.status;
  if (
    sameStatus &&
    filled <= order.filledQuantity &&
    order.venueOrderId === state.venueOrderId &&
    !quantityDiffers &&
    !priceDiffers
  )
    return undefined;
  return {
    type: 'orderStatusReported',
    exchange,
    ...refOf(state),
    clientId: order.clientId,
    status: state.status,
    filledQuantity: filled,
    averagePrice: state.averagePrice,
    ...(quantityDiffers ? { quantity } : {}),
    ...(priceDiffers ? { price } : {}),
    time: state.time,
  };
}

/** How a known order differs from the venue's report of it, for the correction's log line */
export function difference(order: TrackedOrder, state: VenueOrderState): string {
  const { sizeDecimals, priceDecimals } = order.instrument;
  const parts = [`${order.status} locally, ${state.status} at the venue`];
  const quantity = snapSize(order.instrument, state.quantity);
  if (quantity > 0 && quantity !== order.quantity)
    parts.push(
      `quantity ${formatDecimal(order.quantity, sizeDecimals)} locally, ${formatDecimal(quantity, sizeDecimals)} at the venue`,
    );
  if (state.price !== undefined && order.price !== undefined) {
    const price = snapPrice(order.instrument, state.price);
    if (price !== order.price)
      parts.push(
        `price ${formatDecimal(order.price, priceDecimals)} locally, ${formatDecimal(price, priceDecimals)} at the venue`,
      );
  }
  if (isTerminal(order.status) && (state.status === 'OPEN' || state.status === 'PARTIALLY_FILLED'))
    parts.push('reinstated');
  return parts.join('; ');
}

/**
 * Compares our orders, positions and balances with a venue snapshot (fills already applied)
 * and plans the corrections. Pure: the caller applies the events and runs the queries.
 *
 * - a venue order we know: its status, filled quantity, total quantity and limit price follow
 *   the venue (an order we hold REJECTED, CANCELED or LOST that it lists open is reinstated),
 *   unless our state of it is newer than the snapshot (then nothing), or after a status query
 *   confirms the difference when the view asks for re-checks;
 * - a venue order we never journaled: adopted, RECOVERED when its clientId is ours, else EXTERNAL;
 * - an order of ours the venue does not list as open: asked about one by one (it may have
 *   filled, been canceled, or be unknown), unless it is younger than the grace window;
 * - positions and balances: the venue wins, unless money moved here after the snapshot was asked
 *   for. A balance whose total agrees takes the venue's free / locked split silently: how much
 *   margin an order or position holds is the venue's model, and no drift.
 */
export function planReconciliation(local: LocalView, snapshot: VenueSnapshot): ReconcilePlan {
  const events: VenueEvent[] = [];
  const corrections: string[] = [];
  const recheck: ReconcilePlan['recheck'] = [];
  const listed = new Set<TrackedOrder>();
  for (const state of snapshot.openOrders) {
    const order = local.find(refOf(state));
    if (order !== undefined) {
      listed.add(order);
      if (local.changedSince?.(order) === true) continue;
      const event = statusEvent(local.exchange, order, state);
      if (event !== undefined && local.recheck === true) recheck.push({ order, state });
      else if (event !== undefined) {
        events.push(event);
        corrections.push(`${order.clientId}: ${difference(order, state)}`);
      }
      continue;
    }
    if (local.isSibling?.(refOf(state)) === true) continue;
    const ours = state.clientId !== undefined && local.isOwn(state.clientId);
    events.push({
      type: 'orderAccepted',
      exchange: local.exchange,
      ...refOf(state),
      venueOrderId: venueOrderId(state.venueOrderId),
      adoptAs: ours ? 'RECOVERED' : 'EXTERNAL',
      report: {
        instrument: state.instrument,
        side: state.side,
        type: state.type,
        quantity: state.quantity,
        price: state.price,
        stopPrice: state.stopPrice,
        timeInForce: state.timeInForce,
        reduceOnly: state.reduceOnly,
        positionSide: state.positionSide,
        filledQuantity: state.filledQuantity,
      },
      time: state.time,
    });
    corrections.push(
      `${state.clientId ?? state.venueOrderId}: open at the venue, unknown here: adopted as ${ours ? 'RECOVERED' : 'EXTERNAL'}`,
    );
  }
  const query = local.openOrders.filter(
    (order) =>
      !listed.has(order) &&
      !isTerminal(order.status) &&
      local.now - order.createdAt >= local.graceMs &&
      local.changedSince?.(order) !== true,
  );
  if (local.movedSince === true) return { events, query, recheck, corrections };

  // Net positions by symbol, hedge-mode legs by symbol and side
  const venuePositions = new Map<string, VenuePosition>(
    snapshot.positions.map((p) => [positionKey(p.instrument.symbol, p.side), p]),
  );
  const ourPositions = new Map(
    local.positions.map((p) => [positionKey(p.instrument.symbol, p.side), p]),
  );
  const keys = new Set([...venuePositions.keys(), ...ourPositions.keys()]);
  for (const symbol of keys) {
    const venue = venuePositions.get(symbol);
    const ours = ourPositions.get(symbol);
    const instrument = venue?.instrument ?? ours?.instrument;
    if (instrument === undefined) continue;
    const quantity = snapSize(instrument, venue?.quantity ?? 0);
    const held = ours?.quantity ?? 0;
    const average = venue?.averagePrice ?? 0;
    const averageDiffers =
      quantity !== 0 && Math.abs((ours?.averagePrice ?? 0) - average) > instrument.tickSize / 2;
    if (quantity !== held || averageDiffers) {
      events.push({
        type: 'positionSynced',
        exchange: local.exchange,
        instrument,
        ...((venue?.side ?? ours?.side) === undefined
          ? {}
          : { positionSide: venue?.side ?? ours?.side }),
        quantity,
        averagePrice: average,
        time: snapshot.time,
      });
      corrections.push(`${symbol}: position ${held} locally, ${quantity} at the venue`);
    }
  }

  const ours = (currency: string) => local.balances.find((x) => x.currency === currency);
  const totals = snapshot.balances.filter((b) => {
    const held = ours(b.currency);
    return held === undefined || money(held.total - b.total) !== 0;
  });
  const split = snapshot.balances.some((b) => {
    const held = ours(b.currency);
    return held !== undefined && money(held.free - b.free) !== 0;
  });
  if (totals.length > 0 || split) {
    events.push({
      type: 'balanceUpdated',
      exchange: local.exchange,
      balances: snapshot.balances,
      time: snapshot.time,
    });
  }
  for (const b of totals)
    corrections.push(
      `${b.currency}: balance ${formatDecimal(ours(b.currency)?.total ?? 0, 8)} locally, ${formatDecimal(b.total, 8)} at the venue`,
    );
  return { events, query, recheck, corrections };
}
