import type { Instrument, MarketType } from '../../core/instrument.ts';
import { createInstrument } from '../../core/instrument.ts';
import { snapUp, stepDecimals } from '../../core/numeric.ts';
import type { CcxtMarket } from './schemas.ts';
import { marketSchema } from './schemas.ts';

/** ccxt's precision modes (exchange.precisionMode) */
export const DECIMAL_PLACES = 2;
export const SIGNIFICANT_DIGITS = 3;
export const TICK_SIZE = 4;

function marketType(market: CcxtMarket): MarketType | undefined {
  if (market.spot === true || market.type === 'spot') return 'SPOT';
  if (market.swap === true || market.type === 'swap') return 'SWAP';
  if (market.future === true || market.type === 'future') return 'FUTURE';
  return undefined;
}

function step(value: number | null | undefined, precisionMode: number): number | undefined {
  if (value === null || value === undefined || !(value > 0)) return undefined;
  if (precisionMode === DECIMAL_PLACES) return 10 ** -value;
  if (precisionMode === SIGNIFICANT_DIGITS) return undefined;
  return value;
}

/**
 * Builds an instrument from a ccxt market: symbol = the unified symbol (`BTC/USDT:USDT`),
 * venueSymbol = the exchange's id (`BTCUSDT`), steps from the market's precision (tick size
 * or decimal places), minimum size and notional from its limits, fees from its schedule.
 * Returns undefined for markets Kestrel cannot trade (options, inactive, no steps).
 */
export function toInstrument(
  raw: unknown,
  exchange: string,
  precisionMode: number,
): Instrument | undefined {
  const parsed = marketSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const market = parsed.data;
  const type = marketType(market);
  if (type === undefined || market.active === false) return undefined;
  const tickSize = step(market.precision.price, precisionMode);
  const lotSize = step(market.precision.amount, precisionMode);
  if (tickSize === undefined || lotSize === undefined) return undefined;
  const minAmount = market.limits?.amount?.min ?? undefined;
  const minSize =
    minAmount !== undefined && minAmount > 0
      ? snapUp(minAmount, lotSize, stepDecimals(lotSize))
      : lotSize;
  try {
    return createInstrument({
      symbol: market.symbol,
      venueSymbol: market.id,
      exchange,
      marketType: type,
      base: market.base,
      quote: market.quote,
      ...(market.settle === null || market.settle === undefined ? {} : { settle: market.settle }),
      tickSize,
      lotSize,
      minSize,
      minNotional: market.limits?.cost?.min ?? 0,
      contractSize: market.contractSize ?? 1,
      makerFee: market.maker ?? 0,
      takerFee: market.taker ?? 0,
    });
  } catch {
    return undefined;
  }
}
