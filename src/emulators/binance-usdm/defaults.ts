import type { Balance } from '../../core/balance.ts';
import type { Instrument } from '../../core/instrument.ts';
import { createInstrument } from '../../core/instrument.ts';

export { DEFAULT_API_KEY, DEFAULT_API_SECRET } from '../credentials.ts';

/** The exchange id the emulator's instruments carry: ccxt's id for Binance USDⓈ-M */
export const EMULATOR_EXCHANGE = 'binanceusdm';

/**
 * The default markets: BTCUSDT and ETHUSDT perpetuals with Binance's filters for them (tick
 * 0.1 / 0.01, lot 0.001, minimum notional 100 / 20 USDT) and the default fee tier (2 / 5 bp).
 */
export function defaultInstruments(): Instrument[] {
  return [
    createInstrument({
      symbol: 'BTCUSDT',
      exchange: EMULATOR_EXCHANGE,
      marketType: 'SWAP',
      base: 'BTC',
      quote: 'USDT',
      settle: 'USDT',
      tickSize: 0.1,
      lotSize: 0.001,
      minSize: 0.001,
      minNotional: 100,
      makerFee: 0.0002,
      takerFee: 0.0005,
    }),
    createInstrument({
      symbol: 'ETHUSDT',
      exchange: EMULATOR_EXCHANGE,
      marketType: 'SWAP',
      base: 'ETH',
      quote: 'USDT',
      settle: 'USDT',
      tickSize: 0.01,
      lotSize: 0.001,
      minSize: 0.001,
      minNotional: 20,
      makerFee: 0.0002,
      takerFee: 0.0005,
    }),
  ];
}

/** The default wallet: 10 000 USDT */
export function defaultBalances(): Balance[] {
  return [{ currency: 'USDT', total: 10_000, free: 10_000, locked: 0 }];
}
