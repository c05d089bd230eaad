import type { Level } from '../../core/market-data.ts';
import type { Position } from '../../core/position.ts';
import type { LighterCandle } from './candles.ts';
import type { EmulatedOrder, LighterExchange } from './exchange.ts';
import type { MarketFigures } from './markets.ts';
import { BASE_INTEREST_RATE, FUNDING_CLAMP_BIG, FUNDING_CLAMP_SMALL } from './markets.ts';

/**
 * The venue's wire shapes, written after the captured frames: amounts as decimal strings with
 * the market's decimals, ids as numbers plus their string twins, 2026-style millisecond order
 * timestamps with a microsecond `transaction_time`.
 */

function fixed(value: number, decimals: number): string {
  return (value || 0).toFixed(decimals);
}

/**
 * An order in the `Order` shape of the REST API and the account channels (the REST reads add
 * `order_flags`, which the OpenAPI spec requires and the captured stream frames do not carry)
 */
export function orderJson(
  exchange: LighterExchange,
  order: EmulatedOrder,
  rest = false,
): Record<string, unknown> {
  const spec = exchange.market(order.marketIndex)?.spec;
  const sizeDecimals = spec?.sizeDecimals ?? 4;
  const priceDecimals = spec?.priceDecimals ?? 2;
  const scale = 10 ** sizeDecimals;
  const remaining =
    order.status === 'open' || order.status === 'pending'
      ? order.initialBase - order.filledBase
      : 0;
  return {
    order_index: order.orderIndex,
    client_order_index: order.clientOrderIndex,
    order_id: String(order.orderIndex),
    client_order_id: String(order.clientOrderIndex),
    market_index: order.marketIndex,
    owner_account_index: exchange.accountIndex,
    initial_base_amount: fixed(order.initialBase / scale, sizeDecimals),
    price: fixed(order.price / 10 ** priceDecimals, priceDecimals),
    nonce: order.nonce,
    remaining_base_amount: fixed(Math.max(0, remaining) / scale, sizeDecimals),
    is_ask: order.isAsk,
    base_size: order.initialBase,
    base_price: order.price,
    filled_base_amount: fixed(order.filledBase / scale, sizeDecimals),
    filled_quote_amount: fixed(order.filledQuote, 6),
    side: order.isAsk ? 'sell' : 'buy',
    type: order.type,
    time_in_force: order.timeInForce,
    reduce_only: order.reduceOnly,
    trigger_price: fixed(0, priceDecimals),
    order_expiry: order.orderExpiry,
    status: order.status,
    trigger_status: 'na',
    trigger_time: 0,
    parent_order_index: 0,
    parent_order_id: '0',
    to_trigger_order_id_0: '0',
    to_trigger_order_id_1: '0',
    to_cancel_order_id_0: '0',
    integrator_fee_collector_index: '0',
    integrator_taker_fee: '0',
    integrator_maker_fee: '0',
    ...(rest ? { order_flags: 0 } : {}),
    block_height: order.blockHeight,
    timestamp: order.createdAt,
    created_at: order.createdAt,
    updated_at: order.updatedAt,
    transaction_time: order.updatedAt * 1000,
  };
}

/** Orders grouped by market index, as the account channels key them */
export function ordersByMarket(
  exchange: LighterExchange,
  orders: readonly EmulatedOrder[],
): Record<string, Record<string, unknown>[]> {
  const grouped: Record<string, Record<string, unknown>[]> = {};
  for (const order of orders) {
    const key = String(order.marketIndex);
    grouped[key] ??= [];
    grouped[key].push(orderJson(exchange, order));
  }
  return grouped;
}

/**
 * A position in the `AccountPosition` shape: unsigned `position` and a `sign` (the REST account
 * adds `margin_set_flag`, which the spec requires and the captured frames do not carry)
 */
export function positionJson(
  exchange: LighterExchange,
  marketIndex: number,
  position: Position | undefined,
  rest = false,
): Record<string, unknown> {
  const spec = exchange.market(marketIndex)?.spec;
  const sizeDecimals = spec?.sizeDecimals ?? 4;
  const priceDecimals = spec?.priceDecimals ?? 2;
  const quantity = position?.quantity ?? 0;
  const open = exchange.activeOrders(marketIndex).length;
  return {
    market_id: marketIndex,
    symbol: spec?.symbol ?? '',
    initial_margin_fraction: '5.00',
    open_order_count: open,
    pending_order_count: 0,
    position_tied_order_count: 0,
    sign: quantity < 0 ? -1 : 1,
    position: fixed(Math.abs(quantity), sizeDecimals),
    avg_entry_price: fixed(position?.averagePrice ?? 0, priceDecimals),
    position_value: fixed(Math.abs(quantity) * (position?.markPrice ?? 0), 6),
    unrealized_pnl: fixed(position?.unrealizedPnl ?? 0, 6),
    realized_pnl: fixed(position?.realizedPnl ?? 0, 6),
    liquidation_price: '0',
    total_funding_paid_out: '0.000000',
    margin_mode: 0,
    ...(rest ? { margin_set_flag: 0 } : {}),
    allocated_margin: '0.000000',
    total_discount: '0.000000',
  };
}

/** Positions of the given markets (every market with a position when absent) */
export function positionsByMarket(
  exchange: LighterExchange,
  marketIndexes?: readonly number[],
  rest = false,
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const indexes =
    marketIndexes ??
    exchange
      .listMarkets()
      .filter((m) => exchange.venue.getPosition(m.instrument.symbol) !== undefined)
      .map((m) => m.spec.marketIndex);
  for (const index of indexes) {
    const symbol = exchange.market(index)?.instrument.symbol ?? '';
    out[String(index)] = positionJson(exchange, index, exchange.venue.getPosition(symbol), rest);
  }
  return out;
}

/** `user_stats` of the account: collateral is the USDC ledger, available what margin leaves */
export function statsJson(exchange: LighterExchange): Record<string, unknown> {
  const usdc = exchange.venue.getBalances().find((b) => b.currency === 'USDC');
  const collateral = usdc?.total ?? 0;
  const available = usdc?.free ?? 0;
  const unrealized = exchange.venue.getPositions().reduce((sum, p) => sum + p.unrealizedPnl, 0);
  const portfolio = collateral + unrealized;
  const used = collateral - available;
  const block = {
    collateral: fixed(collateral, 6),
    portfolio_value: fixed(portfolio, 6),
    leverage: fixed(portfolio > 0 ? (used * 20) / portfolio : 0, 2),
    available_balance: fixed(available, 6),
    margin_usage: fixed(portfolio > 0 ? (used / portfolio) * 100 : 0, 2),
    buying_power: '0',
  };
  return {
    account_trading_mode: 0,
    ...block,
    cross_stats: { ...block },
    total_stats: { ...block },
  };
}

/** Book levels in the wire shape, with the market's decimals */
export function levelsJson(
  exchange: LighterExchange,
  marketIndex: number,
  levels: readonly Level[],
): { price: string; size: string }[] {
  const spec = exchange.market(marketIndex)?.spec;
  return levels.map(([price, size]) => ({
    price: fixed(price, spec?.priceDecimals ?? 2),
    size: fixed(size, spec?.sizeDecimals ?? 4),
  }));
}

/** USDC's asset id on Lighter */
export const USDC_ASSET_ID = 3;

/** The account's margin figures: collateral, value with unrealized PnL, margin requirements */
export function accountFigures(exchange: LighterExchange): {
  readonly collateral: number;
  readonly available: number;
  readonly value: number;
  readonly initialMargin: number;
  readonly maintenanceMargin: number;
} {
  const usdc = exchange.venue.getBalances().find((b) => b.currency === 'USDC');
  const positions = exchange.venue.getPositions();
  const unrealized = positions.reduce((sum, p) => sum + p.unrealizedPnl, 0);
  const notional = positions.reduce((sum, p) => sum + Math.abs(p.quantity) * p.markPrice, 0);
  return {
    collateral: usdc?.total ?? 0,
    available: usdc?.free ?? 0,
    value: (usdc?.total ?? 0) + unrealized,
    // Every market lists initial 500 (5 %) and maintenance 120 (1.2 %) margin fractions
    initialMargin: notional * 0.05,
    maintenanceMargin: notional * 0.012,
  };
}

/**
 * The account's assets in the `AccountAsset` shape: its USDC, the collateral in `balance` and
 * the collateral with unrealized PnL in `margin_balance` (the REST account adds `multiplier`,
 * which the spec requires and the captured frames do not carry)
 */
export function assetsJson(exchange: LighterExchange, rest = false): Record<string, unknown>[] {
  const figures = accountFigures(exchange);
  return [
    {
      symbol: 'USDC',
      asset_id: USDC_ASSET_ID,
      balance: fixed(figures.collateral, 6),
      locked_balance: '0.000000',
      margin_mode: 'enabled',
      margin_balance: fixed(figures.value, 6),
      ...(rest ? { multiplier: '1.000000000000000000' } : {}),
    },
  ];
}

/** A market's prices and day figures, for `orderBookDetails` and `market_stats` */
export function marketFigures(exchange: LighterExchange, marketIndex: number): MarketFigures {
  const index = exchange.indexPrice(marketIndex);
  return {
    lastPrice: exchange.lastTradePrice(marketIndex),
    indexPrice: index,
    // The emulator's mark price is its index price: no premium is modelled
    markPrice: index,
    openInterest: exchange.openInterest(marketIndex),
    daily: exchange.dailyStats(marketIndex),
  };
}

/** A funding rate (a fraction per hour) as the venue writes it: percent, four decimals */
function fundingPercent(rate: number): string {
  return (rate * 100).toFixed(4);
}

/** A market's `market_stats` entry, shaped like the capture */
export function marketStatsJson(
  exchange: LighterExchange,
  marketIndex: number,
): Record<string, unknown> {
  const spec = exchange.market(marketIndex)?.spec;
  const decimals = spec?.priceDecimals ?? 2;
  const figures = marketFigures(exchange, marketIndex);
  const last = figures.lastPrice ?? spec?.lastTradePrice ?? 0;
  return {
    symbol: spec?.symbol ?? '',
    market_id: marketIndex,
    index_price: fixed(figures.indexPrice, decimals),
    mark_price: fixed(figures.markPrice, decimals),
    mid_price: fixed(figures.indexPrice, decimals),
    open_interest: fixed(figures.openInterest, spec?.sizeDecimals ?? 4),
    open_interest_limit: '72057594037927936.000000',
    funding_clamp_small: FUNDING_CLAMP_SMALL,
    funding_clamp_big: FUNDING_CLAMP_BIG,
    last_trade_price: fixed(last, decimals),
    current_funding_rate: fundingPercent(exchange.fundingRate),
    funding_rate: fundingPercent(exchange.fundingRate),
    funding_timestamp: exchange.nextFundingTime(),
    daily_base_token_volume: figures.daily.baseVolume,
    daily_quote_token_volume: figures.daily.quoteVolume,
    daily_price_low: figures.daily.low,
    daily_price_high: figures.daily.high,
    daily_price_change: figures.daily.change,
    base_interest_rate: BASE_INTEREST_RATE,
  };
}

/**
 * A candle as the channel writes it (`t o h l c v V i`); the REST read adds the raw
 * `O H L C` the spec requires, the same prices here (the emulator adjusts nothing)
 */
export function candleJson(candle: LighterCandle, rest = false): Record<string, unknown> {
  const round = (value: number) => Number(value.toFixed(8));
  const prices = { o: candle.o, h: candle.h, l: candle.l, c: candle.c };
  return {
    t: candle.t,
    ...prices,
    v: round(candle.v),
    V: round(candle.V),
    i: candle.i,
    ...(rest ? { O: candle.o, H: candle.h, L: candle.l, C: candle.c } : {}),
  };
}

/** The best bid and ask of a market in the `ticker` shape */
export function tickerJson(
  exchange: LighterExchange,
  marketIndex: number,
  micros: number,
): Record<string, unknown> {
  const { bids, asks } = exchange.bookState(marketIndex);
  const [bid] = levelsJson(exchange, marketIndex, bids.slice(0, 1));
  const [ask] = levelsJson(exchange, marketIndex, asks.slice(0, 1));
  return {
    s: exchange.market(marketIndex)?.spec.symbol ?? '',
    a: ask ?? { price: '0', size: '0' },
    b: bid ?? { price: '0', size: '0' },
    last_updated_at: micros,
  };
}
