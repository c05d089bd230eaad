import type { Instrument, InstrumentSpec } from '../core/instrument.ts';
import { createInstrument } from '../core/instrument.ts';
import { stepDecimals } from '../core/numeric.ts';

/** The exchange name of the built-in simulated venue */
export const SIM_EXCHANGE = 'sim';

/** USDⓈ-M style perpetuals the simulated venue lists by default (steps and fees as on Binance) */
const PRESETS: Readonly<Record<string, Omit<InstrumentSpec, 'exchange' | 'symbol'>>> = {
  BTCUSDT: {
    marketType: 'SWAP',
    base: 'BTC',
    quote: 'USDT',
    tickSize: 0.1,
    lotSize: 0.001,
    minNotional: 5,
    makerFee: 0.0002,
    takerFee: 0.0005,
  },
  ETHUSDT: {
    marketType: 'SWAP',
    base: 'ETH',
    quote: 'USDT',
    tickSize: 0.01,
    lotSize: 0.001,
    minNotional: 5,
    makerFee: 0.0002,
    takerFee: 0.0005,
  },
  SOLUSDT: {
    marketType: 'SWAP',
    base: 'SOL',
    quote: 'USDT',
    tickSize: 0.01,
    lotSize: 0.01,
    minNotional: 5,
    makerFee: 0.0002,
    takerFee: 0.0005,
  },
};

/** Whether the sim has a preset for a symbol */
export function hasSimPreset(symbol: string): boolean {
  return symbol.toUpperCase() in PRESETS;
}

/**
 * The sim instrument for a symbol: a preset for the common perpetuals, otherwise a USDT perpetual
 * whose tick and lot are the finest steps seen in the sample prices and sizes given.
 */
export function simInstrument(
  symbol: string,
  sample?: { readonly price: number; readonly size: number },
): Instrument {
  const preset = PRESETS[symbol.toUpperCase()];
  if (preset !== undefined)
    return createInstrument({ ...preset, symbol: symbol.toUpperCase(), exchange: SIM_EXCHANGE });
  const quote =
    ['USDT', 'USDC', 'USD'].find(
      (q) => symbol.toUpperCase().endsWith(q) && symbol.length > q.length,
    ) ?? 'USDT';
  const base = symbol.toUpperCase().endsWith(quote) ? symbol.slice(0, -quote.length) : symbol;
  const step = (value: number | undefined, fallback: number) =>
    value === undefined ? fallback : 10 ** -Math.min(8, Math.max(0, stepDecimals(value)));
  return createInstrument({
    symbol,
    exchange: SIM_EXCHANGE,
    marketType: 'SWAP',
    base,
    quote,
    tickSize: step(sample?.price, 0.01),
    lotSize: step(sample?.size, 0.001),
    makerFee: 0.0002,
    takerFee: 0.0005,
  });
}
