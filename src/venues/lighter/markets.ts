import type { Instrument } from '../../core/instrument.ts';
import { createInstrument } from '../../core/instrument.ts';
import { formatDecimal, toUnits } from '../../core/numeric.ts';
import type { LighterMarketDetail } from './schemas.ts';
import { decimal } from './units.ts';

/** The exchange name of Lighter instruments and events */
export const LIGHTER_EXCHANGE = 'lighter';

/** A Lighter perpetual market: our instrument plus the integer scaling of its wire fields */
export interface LighterMarket {
  readonly marketIndex: number;
  readonly instrument: Instrument;
  /** BaseAmount = round(size × 10^sizeDecimals) */
  readonly sizeDecimals: number;
  /** Price = round(price × 10^priceDecimals) */
  readonly priceDecimals: number;
}

function step(decimals: number): number {
  return Number((10 ** -decimals).toFixed(decimals));
}

/**
 * Turns an `orderBookDetails` entry into a market: symbol as Lighter names it (`ETH`), venue
 * symbol the market index, tick and lot from the supported decimals, minimum size the larger of
 * `min_base_amount` and one lot, minimum notional `min_quote_amount`, fees from percent to
 * fractions. Quote and settle are USDC; perpetuals are SWAP.
 * @throws KestrelError INVALID_ARGUMENT when the metadata makes no valid instrument
 */
export function toLighterMarket(
  detail: LighterMarketDetail,
  exchange = LIGHTER_EXCHANGE,
): LighterMarket {
  const lotSize = step(detail.supported_size_decimals);
  const instrument = createInstrument({
    symbol: detail.symbol,
    exchange,
    marketType: 'SWAP',
    base: detail.symbol,
    quote: 'USDC',
    settle: 'USDC',
    tickSize: step(detail.supported_price_decimals),
    lotSize,
    minSize: Math.max(decimal(detail.min_base_amount), lotSize),
    minNotional: decimal(detail.min_quote_amount),
    makerFee: decimal(detail.maker_fee) / 100,
    takerFee: decimal(detail.taker_fee) / 100,
    venueSymbol: String(detail.market_id),
  });
  return {
    marketIndex: detail.market_id,
    instrument,
    sizeDecimals: detail.size_decimals,
    priceDecimals: detail.price_decimals,
  };
}

/** A size as the integer BaseAmount of the market, rounded to nearest */
export function toBaseAmount(market: LighterMarket, size: number): number {
  return toUnits(size, market.sizeDecimals);
}

/** A price as the integer Price of the market, rounded to nearest */
export function toPriceUnits(market: LighterMarket, price: number): number {
  return toUnits(price, market.priceDecimals);
}

/** An integer BaseAmount back as a size, exactly */
export function fromBaseAmount(market: LighterMarket, amount: number): number {
  return Number(formatDecimal(amount / 10 ** market.sizeDecimals, market.sizeDecimals));
}

/** An integer Price back as a price, exactly */
export function fromPriceUnits(market: LighterMarket, units: number): number {
  return Number(formatDecimal(units / 10 ** market.priceDecimals, market.priceDecimals));
}
