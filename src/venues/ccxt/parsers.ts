import { createHash } from 'node:crypto';
import type { Balance } from '../../core/balance.ts';
import type { OrderReport, VenueEvent } from '../../core/events.ts';
import type { FillReport } from '../../core/fill.ts';
import type { ClientOrderId, VenueOrderId } from '../../core/ids.ts';
import { tradeId, venueOrderId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import { snapPrice, snapSize } from '../../core/instrument.ts';
import { money } from '../../core/numeric.ts';
import type { OrderType, PositionSide, TimeInForce } from '../../core/order.ts';
import type { VenueOrderState, VenuePosition } from '../../engine/venue.ts';
import type { CcxtOrder, CcxtTrade } from './schemas.ts';
import {
  balanceSchema,
  positionSchema,
  rawOrderIdsSchema,
  walletBalancesSchema,
} from './schemas.ts';

/**
 * What ccxt hands back, turned into Kestrel's terms: order snapshots into account events,
 * executions into fill reports, balance structures into balances, and orders and positions
 * into the venue states reconciliation compares. Pure: no I/O, no clock.
 */

/**
 * The client id a venue message names, ours if it carries it: `origClientOrderId` first (on
 * a Binance spot REST cancel, ccxt's `clientOrderId` is the cancel request's own id and ours
 * is the original), then the stream's `C` (original) and ccxt's `clientOrderId`.
 */
export function clientIdCandidates(order: Pick<CcxtOrder, 'clientOrderId' | 'info'>): string[] {
  const raw = rawOrderIdsSchema.safeParse(order.info);
  const ids = [
    raw.success ? raw.data.origClientOrderId : undefined,
    raw.success ? raw.data.C : undefined,
    order.clientOrderId,
    raw.success ? raw.data.c : undefined,
    raw.success ? raw.data.clientOrderId : undefined,
  ];
  return ids.filter((id): id is string => typeof id === 'string' && id.length > 0);
}

/**
 * The hedge-mode leg a venue message names, from its raw payload: Binance `positionSide` (or the
 * stream's `ps`) LONG/SHORT, OKX `posSide` long/short, Bybit `positionIdx` 1/2; undefined for
 * a one-way order (BOTH, net, 0) or when the payload does not say
 */
export function positionSideOf(info: unknown): PositionSide | undefined {
  if (typeof info !== 'object' || info === null) return undefined;
  const raw = info as Record<string, unknown>;
  const named = String(raw['positionSide'] ?? raw['ps'] ?? raw['posSide'] ?? '').toUpperCase();
  if (named === 'LONG' || named === 'SHORT') return named;
  const index = String(raw['positionIdx'] ?? '');
  return index === '1' ? 'LONG' : index === '2' ? 'SHORT' : undefined;
}

/** `{ positionSide }` when the payload names a leg, else nothing (one-way payloads stay as they were) */
function legOf(info: unknown): { positionSide?: PositionSide } {
  const side = positionSideOf(info);
  return side === undefined ? {} : { positionSide: side };
}

/** Kestrel's order type for a ccxt one (lowercase, venue spellings) */
export function orderType(type: string | null | undefined): OrderType {
  switch ((type ?? '').toLowerCase()) {
    case 'market':
      return 'MARKET';
    case 'stop':
    case 'stop_limit':
      return 'STOP_LIMIT';
    case 'stop_market':
      return 'STOP_MARKET';
    default:
      return 'LIMIT';
  }
}

/**
 * Kestrel's order type for a ccxt order: its type, a stop where a trigger price rides along
 * (ccxt names a Binance algo order's STOP `limit` and its STOP_MARKET `market`)
 */
function orderTypeOf(order: Pick<CcxtOrder, 'type' | 'triggerPrice'>): OrderType {
  const type = orderType(order.type);
  const trigger = order.triggerPrice;
  if (trigger === null || trigger === undefined || !(trigger > 0)) return type;
  if (type === 'MARKET') return 'STOP_MARKET';
  return type === 'LIMIT' ? 'STOP_LIMIT' : type;
}

/** Kestrel's time in force for a ccxt order (post-only is GTX) */
export function timeInForce(order: CcxtOrder): TimeInForce {
  if (order.postOnly === true) return 'GTX';
  const tif = (order.timeInForce ?? '').toUpperCase();
  if (tif === 'IOC' || tif === 'FOK' || tif === 'GTC') return tif;
  if (tif === 'PO' || tif === 'GTX') return 'GTX';
  return orderType(order.type) === 'MARKET' ? 'IOC' : 'GTC';
}

/** What the venue says about an order, enough to adopt one we never asked for */
function toReport(order: CcxtOrder, instrument: Instrument): OrderReport | undefined {
  if (
    order.side === null ||
    order.side === undefined ||
    !(order.amount !== null && order.amount !== undefined && order.amount > 0)
  ) {
    return undefined;
  }
  return {
    instrument,
    side: order.side === 'buy' ? 'BUY' : 'SELL',
    type: orderTypeOf(order),
    quantity: snapSize(instrument, order.amount),
    ...(order.price === null || order.price === undefined || order.price <= 0
      ? {}
      : { price: snapPrice(instrument, order.price) }),
    timeInForce: timeInForce(order),
    reduceOnly: order.reduceOnly === true,
    ...legOf(order.info),
    ...(order.filled === null || order.filled === undefined
      ? {}
      : { filledQuantity: snapSize(instrument, order.filled) }),
  };
}

export interface OrderEventContext {
  readonly exchange: string;
  readonly instrument: Instrument;
  readonly clientId: ClientOrderId | undefined;
  /** Adopt an order the account does not know as RECOVERED under this (our) clientId */
  readonly recover?: ClientOrderId;
  /** The client id the venue reports for an order the account does not know */
  readonly reported?: string | undefined;
  readonly time: number;
  /** The local order's price and quantity, to notice an amendment */
  readonly local:
    | { readonly price: number | undefined; readonly quantity: number; readonly answered: boolean }
    | undefined;
}

/**
 * The account events one order snapshot stands for. Fills are not derived from `filled`: they
 * come with their trade ids from the trades stream or REST, so each books exactly once.
 */
export function orderEvents(order: CcxtOrder, context: OrderEventContext): VenueEvent[] {
  const { exchange, instrument, clientId, time } = context;
  const venueId: VenueOrderId = venueOrderId(order.id);
  const ref = { exchange, clientId, venueOrderId: venueId, time };
  const known = clientId === undefined ? toReport(order, instrument) : undefined;
  const report =
    known === undefined || context.reported === undefined
      ? known
      : { ...known, clientId: context.reported };
  const accepted: VenueEvent =
    context.recover !== undefined && report !== undefined
      ? { type: 'orderAccepted', ...ref, clientId: context.recover, report, adoptAs: 'RECOVERED' }
      : { type: 'orderAccepted', ...ref, report };
  switch (order.status) {
    case 'open':
    case 'closed': {
      // Terms that differ from ours: an amend (one whose answer was lost, too), so its fills book
      const amended = context.local?.answered ? amendment(order, instrument, context.local) : {};
      return Object.keys(amended).length === 0
        ? [accepted]
        : [accepted, { type: 'orderAmended', ...ref, ...amended }];
    }
    case 'canceled':
      return [{ type: 'orderCanceled', ...ref, reason: 'canceled at the venue' }];
    case 'expired':
      return [{ type: 'orderExpired', ...ref }];
    case 'rejected':
      return [
        { type: 'orderRejected', ...ref, code: 'REJECTED', message: 'rejected by the venue' },
      ];
  }
}

/** The price and quantity the venue reports where they differ from ours */
function amendment(
  order: CcxtOrder,
  instrument: Instrument,
  local: { readonly price: number | undefined; readonly quantity: number },
): { price?: number; quantity?: number } {
  const price =
    order.price !== null && order.price !== undefined && order.price > 0
      ? snapPrice(instrument, order.price)
      : undefined;
  const quantity =
    order.amount !== null && order.amount !== undefined && order.amount > 0
      ? snapSize(instrument, order.amount)
      : undefined;
  return {
    ...(price !== undefined && local.price !== undefined && price !== local.price ? { price } : {}),
    ...(quantity !== undefined && quantity !== local.quantity ? { quantity } : {}),
  };
}

/** One of our executions as a fill report, its trade id for deduplication */
export function toFillReport(
  trade: CcxtTrade,
  instrument: Instrument,
  clientId: ClientOrderId | undefined,
  now: number,
): FillReport {
  const venueId =
    trade.order === null || trade.order === undefined || trade.order === ''
      ? undefined
      : venueOrderId(trade.order);
  const fee = trade.fee?.cost;
  return {
    tradeId: tradeId(trade.id),
    clientId,
    venueOrderId: venueId,
    instrument,
    side: trade.side === 'buy' ? 'BUY' : 'SELL',
    quantity: snapSize(instrument, trade.amount),
    price: snapPrice(instrument, trade.price),
    ...(fee === null || fee === undefined ? {} : { fee: money(fee) }),
    ...(trade.fee?.currency === null || trade.fee?.currency === undefined
      ? {}
      : { feeCurrency: trade.fee.currency }),
    liquidity: trade.takerOrMaker === 'maker' ? 'MAKER' : 'TAKER',
    time: trade.timestamp ?? now,
    ...legOf(trade.info),
  };
}

/** The fill one of our executions stands for */
export function fillEvent(
  trade: CcxtTrade,
  exchange: string,
  instrument: Instrument,
  clientId: ClientOrderId | undefined,
  now: number,
): VenueEvent {
  const fill = toFillReport(trade, instrument, clientId, now);
  return {
    type: 'orderFilled',
    exchange,
    clientId,
    venueOrderId: fill.venueOrderId,
    time: fill.time,
    fill,
  };
}

/** Wallet balances by currency from a Binance futures balance answer, when that is what it is */
function walletBalances(info: unknown): Map<string, number> | undefined {
  const parsed = walletBalancesSchema.safeParse(info);
  if (!parsed.success) return undefined;
  const entries = Array.isArray(parsed.data) ? parsed.data : parsed.data.assets;
  const wallets = new Map<string, number>();
  for (const entry of entries) {
    const value = Number(entry.walletBalance ?? entry.balance);
    if (Number.isFinite(value)) wallets.set(entry.asset, value);
  }
  return wallets.size > 0 ? wallets : undefined;
}

/**
 * The balances of a ccxt balance structure: total, free and locked per currency, free or
 * locked derived from the other two when the venue leaves one out. On a futures account that
 * reports wallet balances (Binance), the total is the wallet, not ccxt's margin balance, which
 * counts the positions' unrealized PnL a second time.
 * @returns undefined when the payload is not a balance
 */
export function toBalances(raw: unknown): Balance[] | undefined {
  const parsed = balanceSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const { total, free, used } = parsed.data;
  const wallets = walletBalances(parsed.data['info']);
  const balances: Balance[] = [];
  for (const [currency, reported] of Object.entries(total)) {
    if (reported === null || reported === undefined) continue;
    const value = wallets?.get(currency) ?? reported;
    const freeValue = free?.[currency];
    const usedValue = used?.[currency];
    const f =
      freeValue ?? (usedValue === null || usedValue === undefined ? value : value - usedValue);
    const u = usedValue ?? value - f;
    balances.push({ currency, total: money(value), free: money(f), locked: money(u) });
  }
  return balances;
}

/**
 * Names the account an API key trades, for the journal: a short sha256 fingerprint, so the
 * journal's name tells accounts apart without carrying anything that signs a request.
 */
export function apiKeyFingerprint(apiKey: string): string {
  return `key-${createHash('sha256').update(apiKey, 'utf8').digest('hex').slice(0, 16)}`;
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
    type: orderTypeOf(order),
    timeInForce: timeInForce(order),
    quantity: snapSize(instrument, order.amount),
    ...(present(order.price) && order.price > 0
      ? { price: snapPrice(instrument, order.price) }
      : {}),
    ...(present(order.triggerPrice) && order.triggerPrice > 0
      ? { stopPrice: snapPrice(instrument, order.triggerPrice) }
      : {}),
    reduceOnly: order.reduceOnly === true,
    ...legOf(order.info),
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
 * The venue's positions from ccxt's fetchPositions: signed (short negative), in the order
 * quantity unit (contracts). One-way: one per instrument, legs of a hedge-mode answer netted
 * (the average weighted by size among legs on the net side). Hedge mode (`hedged`): one per leg,
 * LONG positive and SHORT negative. Flat entries are left out.
 */
export function toVenuePositions(
  raw: unknown,
  instruments: ReadonlyMap<string, Instrument>,
  hedged = false,
): PositionParse {
  const legs = new Map<
    string,
    { instrument: Instrument; side: PositionSide | undefined; entries: [number, number][] }
  >();
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
    const side: PositionSide | undefined = hedged ? (signed < 0 ? 'SHORT' : 'LONG') : undefined;
    const key = side === undefined ? instrument.symbol : `${instrument.symbol}:${side}`;
    const leg = legs.get(key) ?? { instrument, side, entries: [] };
    leg.entries.push([signed, parsed.data.entryPrice ?? 0]);
    legs.set(key, leg);
  }
  const positions: VenuePosition[] = [];
  for (const { instrument, side, entries } of legs.values()) {
    const quantity = snapSize(
      instrument,
      entries.reduce((sum, [q]) => sum + q, 0),
    );
    if (quantity === 0) continue;
    const sameSide = entries.filter(([q]) => Math.sign(q) === Math.sign(quantity));
    const size = sameSide.reduce((sum, [q]) => sum + Math.abs(q), 0);
    const average =
      size > 0 ? sameSide.reduce((sum, [q, price]) => sum + Math.abs(q) * price, 0) / size : 0;
    positions.push({
      instrument,
      ...(side === undefined ? {} : { side }),
      quantity,
      averagePrice: Number(average.toFixed(instrument.priceDecimals + 4)),
    });
  }
  return { positions, skipped };
}
