import type { Instrument } from '../../core/instrument.ts';
import { createInstrument } from '../../core/instrument.ts';
import { formatDecimal } from '../../core/numeric.ts';
import type { DailyStats } from './exchange.ts';

/** One perpetual market the emulator lists */
export interface LighterEmulatorMarketSpec {
  readonly symbol: string;
  readonly marketIndex: number;
  /** Wire decimals of sizes and prices (also the supported decimals) */
  readonly sizeDecimals: number;
  readonly priceDecimals: number;
  readonly minBaseAmount: number;
  readonly minQuoteAmount: number;
  /** Fee rates as fractions of notional (the venue lists them in percent) */
  readonly makerFee: number;
  readonly takerFee: number;
  /** A price to start the market at when no quote was set */
  readonly lastTradePrice?: number;
}

/**
 * ETH (market 0) and BTC (market 1) with the decimals and minimums of Lighter mainnet (the
 * `orderBookDetails` capture for ETH; BTC's sizes carry 5 decimals and prices 1 in the captured
 * book and position frames) and Premium-tier fees (0.28 bp maker, 1.96 bp taker, as in the
 * captured trades).
 */
export const DEFAULT_LIGHTER_MARKETS: readonly LighterEmulatorMarketSpec[] = [
  {
    symbol: 'ETH',
    marketIndex: 0,
    sizeDecimals: 4,
    priceDecimals: 2,
    minBaseAmount: 0.005,
    minQuoteAmount: 10,
    makerFee: 0.000028,
    takerFee: 0.000196,
    lastTradePrice: 2361.31,
  },
  {
    symbol: 'BTC',
    marketIndex: 1,
    sizeDecimals: 5,
    priceDecimals: 1,
    minBaseAmount: 0.0002,
    minQuoteAmount: 10,
    makerFee: 0.000028,
    takerFee: 0.000196,
    lastTradePrice: 64351.5,
  },
];

/** A listed market with its instrument (exchange `lighter`) for the matching engine */
export interface EmulatorMarket {
  readonly spec: LighterEmulatorMarketSpec;
  readonly instrument: Instrument;
}

export function toEmulatorMarket(spec: LighterEmulatorMarketSpec): EmulatorMarket {
  const step = (decimals: number) => Number((10 ** -decimals).toFixed(decimals));
  return {
    spec,
    instrument: createInstrument({
      symbol: spec.symbol,
      exchange: 'lighter',
      marketType: 'SWAP',
      base: spec.symbol,
      quote: 'USDC',
      settle: 'USDC',
      tickSize: step(spec.priceDecimals),
      lotSize: step(spec.sizeDecimals),
      minSize: spec.minBaseAmount,
      minNotional: spec.minQuoteAmount,
      makerFee: spec.makerFee,
      takerFee: spec.takerFee,
      venueSymbol: String(spec.marketIndex),
    }),
  };
}

/** A fraction as the venue's percent string: 0.000196 → "0.0196" */
function percent(rate: number): string {
  return (rate * 100).toFixed(4);
}

/** What a market's details show besides its listing: prices, the day's figures, funding */
export interface MarketFigures {
  readonly lastPrice: number | undefined;
  readonly indexPrice: number;
  readonly markPrice: number;
  readonly openInterest: number;
  readonly daily: DailyStats;
}

/** The funding clamps and interest rate Lighter lists for its perps (the `market_stats` capture) */
export const FUNDING_CLAMP_SMALL = '0.0500';
export const FUNDING_CLAMP_BIG = '4.0000';
export const BASE_INTEREST_RATE = '0.0100';

/**
 * The `orderBookDetails` entry of a market, shaped like the mainnet capture, with the fields the
 * OpenAPI spec adds (mark and index price, funding parameters, flags)
 */
export function marketDetail(market: EmulatorMarket, figures: MarketFigures) {
  const { spec } = market;
  const { daily } = figures;
  const priced = (value: number) => value.toFixed(spec.priceDecimals);
  return {
    symbol: spec.symbol,
    market_id: spec.marketIndex,
    market_type: 'perp',
    base_asset_id: 0,
    quote_asset_id: 0,
    status: 'active',
    taker_fee: percent(spec.takerFee),
    is_taker_fee_enabled: true,
    maker_fee: percent(spec.makerFee),
    is_maker_fee_enabled: true,
    liquidation_fee: '1.0000',
    min_base_amount: spec.minBaseAmount.toFixed(spec.sizeDecimals),
    min_quote_amount: spec.minQuoteAmount.toFixed(6),
    order_quote_limit: '281474976.710655',
    supported_size_decimals: spec.sizeDecimals,
    supported_price_decimals: spec.priceDecimals,
    supported_quote_decimals: 6,
    created_at: '1717200000000',
    multiplier: '1.000000000000000000',
    size_decimals: spec.sizeDecimals,
    price_decimals: spec.priceDecimals,
    quote_multiplier: 1,
    default_initial_margin_fraction: 500,
    min_initial_margin_fraction: 200,
    maintenance_margin_fraction: 120,
    closeout_margin_fraction: 80,
    mark_price: priced(figures.markPrice),
    index_price: priced(figures.indexPrice),
    last_trade_price: Number(
      formatDecimal(figures.lastPrice ?? spec.lastTradePrice ?? 0, spec.priceDecimals),
    ),
    daily_trades_count: daily.tradesCount,
    daily_base_token_volume: daily.baseVolume,
    daily_quote_token_volume: daily.quoteVolume,
    daily_price_low: daily.low,
    daily_price_high: daily.high,
    daily_price_change: daily.change,
    open_interest: figures.openInterest,
    daily_chart: {},
    market_config: {
      market_margin_mode: 0,
      insurance_fund_account_index: 281474976710655,
      liquidation_mode: 0,
      force_reduce_only: false,
      trading_hours: '',
      funding_fee_discounts_enabled: false,
      hidden: false,
      rfq_enabled: false,
    },
    strategy_index: 0,
    market_flags: 0,
    funding_premium_multiplier: 100,
    funding_clamp_small: FUNDING_CLAMP_SMALL,
    funding_clamp_big: FUNDING_CLAMP_BIG,
    base_interest_rate: BASE_INTEREST_RATE,
  };
}
