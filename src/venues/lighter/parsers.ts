import type { z } from 'zod';
import type { Balance } from '../../core/balance.ts';
import { KestrelError } from '../../core/errors.ts';
import type { OrderReport } from '../../core/events.ts';
import type { FillReport, Liquidity } from '../../core/fill.ts';
import type { VenueOrderId } from '../../core/ids.ts';
import { tradeId, venueOrderId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import { snapSize } from '../../core/instrument.ts';
import type { Level, Trade } from '../../core/market-data.ts';
import { money } from '../../core/numeric.ts';
import type { OrderType, Side, TimeInForce } from '../../core/order.ts';
import type { StatusCategory } from './order-status.ts';
import { statusCategory } from './order-status.ts';
import type {
  LighterOrder,
  LighterOrderStatus,
  LighterPosition,
  LighterStats,
  LighterTrade,
} from './schemas.ts';
import { decimal, feeRate, toMilliseconds } from './units.ts';

/**
 * Parses a payload with its schema.
 * @throws KestrelError INVALID_DATA naming the first offending path, with the payload as value
 */
export function parseWith<T>(schema: z.ZodType<T>, payload: unknown, what: string): T {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue === undefined ? '' : issue.path.join('.');
  throw new KestrelError(
    'INVALID_DATA',
    `lighter ${what}: ${path === '' ? '' : `${path}: `}${issue?.message ?? 'invalid'}`,
    { field: path, value: payload },
  );
}

/** The correlation key of a client order index: its decimal string; none for 0 */
export function correlationKeyOf(clientOrderIndex: number | undefined): string | undefined {
  return clientOrderIndex === undefined || clientOrderIndex <= 0
    ? undefined
    : String(clientOrderIndex);
}

/** What a Lighter order update says, in our terms */
export interface LighterOrderUpdate {
  readonly marketIndex: number;
  readonly venueOrderId: VenueOrderId;
  /** 0 when the order carries none (UI and many market orders) */
  readonly clientOrderIndex: number;
  readonly correlationKey: string | undefined;
  readonly status: LighterOrderStatus;
  readonly category: StatusCategory;
  readonly side: Side;
  /** The order's total size (initial_base_amount) */
  readonly quantity: number;
  readonly filledQuantity: number;
  readonly remainingQuantity: number;
  readonly price: number;
  /** Enough to adopt the order as EXTERNAL when we never asked for it */
  readonly report: OrderReport;
  /** ms since the epoch: updated_at, else timestamp, else created_at; units normalised */
  readonly time: number | undefined;
}

function orderType(order: LighterOrder): OrderType {
  switch (order.type) {
    case 'market':
    case 'liquidation':
      return 'MARKET';
    case 'stop-loss':
    case 'take-profit':
      return 'STOP_MARKET';
    case 'stop-loss-limit':
    case 'take-profit-limit':
      return 'STOP_LIMIT';
    case 'limit':
    case 'twap':
    case 'twap-sub':
      return 'LIMIT';
  }
}

function timeInForce(order: LighterOrder): TimeInForce {
  switch (order.time_in_force) {
    case 'immediate-or-cancel':
      return 'IOC';
    case 'post-only':
      return 'GTX';
    case 'good-till-time':
    case 'Unknown':
      return 'GTC';
  }
}

/** Reads a validated order for an instrument */
export function toOrderUpdate(order: LighterOrder, instrument: Instrument): LighterOrderUpdate {
  const side: Side = order.is_ask ? 'SELL' : 'BUY';
  const quantity = snapSize(instrument, decimal(order.initial_base_amount));
  const filledQuantity = snapSize(instrument, decimal(order.filled_base_amount));
  const price = decimal(order.price);
  const trigger = order.trigger_price === undefined ? 0 : decimal(order.trigger_price);
  const type = orderType(order);
  const stamp = order.updated_at ?? order.timestamp ?? order.created_at;
  return {
    marketIndex: order.market_index,
    venueOrderId: venueOrderId(order.order_id),
    clientOrderIndex: order.client_order_index,
    correlationKey: correlationKeyOf(order.client_order_index),
    status: order.status,
    category: statusCategory(order.status),
    side,
    quantity,
    filledQuantity,
    remainingQuantity: snapSize(instrument, decimal(order.remaining_base_amount)),
    price,
    report: {
      instrument,
      side,
      type,
      quantity,
      ...(type === 'MARKET' || type === 'STOP_MARKET' ? {} : { price }),
      ...(trigger > 0 ? { stopPrice: trigger } : {}),
      timeInForce: timeInForce(order),
      reduceOnly: order.reduce_only,
      filledQuantity,
    },
    time: stamp === undefined || stamp === 0 ? undefined : toMilliseconds(stamp),
  };
}

/** One of our executions in a trade, with the references that find its order */
export interface LighterFill {
  readonly fill: FillReport;
  readonly venueOrderId: VenueOrderId;
  readonly correlationKey: string | undefined;
}

function tradeIdOf(trade: LighterTrade): string {
  return trade.trade_id_str ?? String(trade.trade_id);
}

/**
 * Our side(s) of an account trade: SELL when we are the ask, BUY when the bid (both when we
 * traded with ourselves, told apart by a `:ask`/`:bid` suffix on the trade id). Maker when our
 * side is the maker (`is_maker_ask`). The fee is our side's `maker_fee`/`taker_fee` in
 * millionths of notional, 0 when omitted (the venue omits zero fees). The order is found by its
 * client order index (`ask_client_id`/`bid_client_id`, absent in 2025 frames) or order index.
 */
export function toAccountFills(
  trade: LighterTrade,
  accountIndex: number,
  instrument: Instrument,
): LighterFill[] {
  const sides: Array<'ask' | 'bid'> = [];
  if (trade.ask_account_id === accountIndex) sides.push('ask');
  if (trade.bid_account_id === accountIndex) sides.push('bid');
  const id = tradeIdOf(trade);
  const quantity = snapSize(instrument, decimal(trade.size));
  const price = decimal(trade.price);
  const time = toMilliseconds(trade.timestamp);
  return sides.map((side) => {
    const isAsk = side === 'ask';
    const liquidity: Liquidity = isAsk === trade.is_maker_ask ? 'MAKER' : 'TAKER';
    const millionths = (liquidity === 'MAKER' ? trade.maker_fee : trade.taker_fee) ?? 0;
    const orderId = isAsk
      ? (trade.ask_id_str ?? String(trade.ask_id))
      : (trade.bid_id_str ?? String(trade.bid_id));
    const clientIndex = isAsk ? trade.ask_client_id : trade.bid_client_id;
    const order = venueOrderId(orderId);
    return {
      venueOrderId: order,
      correlationKey: correlationKeyOf(clientIndex),
      fill: {
        tradeId: tradeId(sides.length > 1 ? `${id}:${side}` : id),
        venueOrderId: order,
        instrument,
        side: isAsk ? 'SELL' : 'BUY',
        quantity,
        price,
        fee: money(quantity * price * instrument.contractSize * feeRate(millionths)),
        feeCurrency: instrument.settle,
        liquidity,
        time,
      },
    };
  });
}

/** A public print: the aggressor bought when the maker was the ask */
export function toMarketTrade(trade: LighterTrade, instrument: Instrument): Trade {
  return {
    type: 'trade',
    instrument,
    time: toMilliseconds(trade.timestamp),
    price: decimal(trade.price),
    size: snapSize(instrument, decimal(trade.size)),
    side: trade.is_maker_ask ? 'BUY' : 'SELL',
    id: tradeIdOf(trade),
  };
}

/** A position as the venue holds it: signed quantity from `sign` × unsigned `position` */
export interface LighterPositionView {
  readonly marketIndex: number;
  readonly quantity: number;
  readonly averagePrice: number;
  readonly unrealizedPnl: number;
  readonly realizedPnl: number;
}

export function toPosition(
  position: LighterPosition,
  instrument: Instrument | undefined,
): LighterPositionView {
  const size = decimal(position.position);
  const unsigned = instrument === undefined ? size : snapSize(instrument, size);
  return {
    marketIndex: position.market_id,
    quantity: position.sign * unsigned || 0,
    averagePrice: decimal(position.avg_entry_price),
    unrealizedPnl: money(decimal(position.unrealized_pnl ?? '0')),
    realizedPnl: money(decimal(position.realized_pnl ?? '0')),
  };
}

/** The USDC balance of `user_stats` or an account: total is collateral, free the available balance */
export function toBalance(stats: Pick<LighterStats, 'collateral' | 'available_balance'>): Balance {
  const total = money(decimal(stats.collateral));
  const free = money(decimal(stats.available_balance));
  return { currency: 'USDC', total, free, locked: money(Math.max(0, total - free)) };
}

/** Book levels as numbers; a zero size deletes the level */
export function toLevels(
  levels: readonly { price: string; size: string }[] | null | undefined,
): Level[] {
  return (levels ?? []).map((level) => [decimal(level.price), decimal(level.size)] as const);
}
