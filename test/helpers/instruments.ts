import type { Instrument } from '../../src/core/instrument.ts';
import { createInstrument } from '../../src/core/instrument.ts';

/** A USDⓈ-M style perpetual: tick 0.1, lot 0.001, min notional 5, 2/5 bp fees */
export const BTC_PERP: Instrument = createInstrument({
  symbol: 'BTCUSDT',
  exchange: 'TEST',
  marketType: 'SWAP',
  base: 'BTC',
  quote: 'USDT',
  settle: 'USDT',
  tickSize: 0.1,
  lotSize: 0.001,
  minSize: 0.001,
  minNotional: 5,
  makerFee: 0.0002,
  takerFee: 0.0005,
});

export const ETH_PERP: Instrument = createInstrument({
  symbol: 'ETHUSDT',
  exchange: 'TEST',
  marketType: 'SWAP',
  base: 'ETH',
  quote: 'USDT',
  settle: 'USDT',
  tickSize: 0.01,
  lotSize: 0.001,
  minSize: 0.001,
  minNotional: 5,
  makerFee: 0.0002,
  takerFee: 0.0005,
});

/** A spot market with a 10 bp fee both ways */
export const BTC_SPOT: Instrument = createInstrument({
  symbol: 'BTC/USDT',
  exchange: 'TEST',
  marketType: 'SPOT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: 0.01,
  lotSize: 0.00001,
  minSize: 0.00001,
  minNotional: 1,
  makerFee: 0.001,
  takerFee: 0.001,
});

/** The same perpetual on a second exchange */
export const BTC_PERP_OTHER: Instrument = createInstrument({
  symbol: 'BTCUSDT',
  exchange: 'OTHER',
  marketType: 'SWAP',
  base: 'BTC',
  quote: 'USDT',
  tickSize: 0.1,
  lotSize: 0.001,
  minNotional: 5,
});

/** A spot market on the simulated venue (`sim`): tick 0.01, lot 0.001, 10 bp fees */
export const SIM_ETH_SPOT: Instrument = createInstrument({
  symbol: 'ETH/USDT',
  exchange: 'sim',
  marketType: 'SPOT',
  base: 'ETH',
  quote: 'USDT',
  tickSize: 0.01,
  lotSize: 0.001,
  makerFee: 0.001,
  takerFee: 0.001,
});
