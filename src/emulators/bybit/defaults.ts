import type { Balance } from '../../core/balance.ts';
import type { Instrument } from '../../core/instrument.ts';
import { createInstrument } from '../../core/instrument.ts';

export { DEFAULT_API_KEY, DEFAULT_API_SECRET } from '../credentials.ts';

/** The exchange id the emulator's instruments carry: ccxt's id for Bybit */
export const BYBIT_EXCHANGE = 'bybit';

/** What instruments-info says of a linear perpetual beyond Kestrel's Instrument */
export interface BybitMarketSpec {
  readonly instrument: Instrument;
  /** Largest limit (and PostOnly) order quantity */
  readonly maxOrderQty: number;
  /** Largest market order quantity */
  readonly maxMarketOrderQty: number;
  readonly minPrice: number;
  readonly maxPrice: number;
  readonly maxLeverage: number;
  readonly launchTime: number;
}

/**
 * The default markets: BTCUSDT with the filters of Bybit's instruments-info example (tick
 * 0.10, step 0.001, minimum notional 5 USDT, maximum leverage 100) and ETHUSDT (tick 0.01,
 * step 0.01), both at Bybit's base fee tier for perpetuals (maker 0.02 %, taker 0.055 %).
 */
export function defaultMarkets(): BybitMarketSpec[] {
  const market = (
    symbol: string,
    base: string,
    tickSize: number,
    lotSize: number,
    limits: readonly [number, number],
    prices: readonly [number, number],
  ): BybitMarketSpec => ({
    instrument: createInstrument({
      symbol,
      exchange: BYBIT_EXCHANGE,
      marketType: 'SWAP',
      base,
      quote: 'USDT',
      settle: 'USDT',
      tickSize,
      lotSize,
      minSize: lotSize,
      minNotional: 5,
      makerFee: 0.0002,
      takerFee: 0.00055,
    }),
    maxOrderQty: limits[0],
    maxMarketOrderQty: limits[1],
    minPrice: prices[0],
    maxPrice: prices[1],
    maxLeverage: 100,
    launchTime: 1585526400000,
  });
  return [
    market('BTCUSDT', 'BTC', 0.1, 0.001, [1190, 500], [0.1, 1999999.8]),
    market('ETHUSDT', 'ETH', 0.01, 0.01, [7240, 3620], [0.01, 199999.98]),
  ];
}

/** Wraps plain instruments as markets with generous limits (quantities ×10⁶ the step, leverage 100) */
export function toMarketSpecs(instruments: readonly Instrument[]): BybitMarketSpec[] {
  return instruments.map((instrument) => ({
    instrument,
    maxOrderQty: instrument.lotSize * 1_000_000,
    maxMarketOrderQty: instrument.lotSize * 500_000,
    minPrice: instrument.tickSize,
    maxPrice: instrument.tickSize * 1e9,
    maxLeverage: 100,
    launchTime: 1585526400000,
  }));
}

/** The default wallet: 10 000 USDT */
export function defaultBalances(): Balance[] {
  return [{ currency: 'USDT', total: 10_000, free: 10_000, locked: 0 }];
}
