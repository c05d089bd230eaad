import { invalidField } from './errors.ts';
import { snap, snapDown, snapUp, stepDecimals } from './numeric.ts';

export type MarketType = 'SPOT' | 'SWAP' | 'FUTURE';
export const MARKET_TYPES: readonly MarketType[] = ['SPOT', 'SWAP', 'FUTURE'];

/** A tradable market on one exchange, with the steps and limits that venue enforces */
export interface Instrument {
  /** The venue's symbol, e.g. `BTCUSDT` or `BTC/USDT:USDT`; unique within the exchange */
  readonly symbol: string;
  /** The venue this instrument trades on; routes orders and account updates */
  readonly exchange: string;
  readonly marketType: MarketType;
  readonly base: string;
  readonly quote: string;
  /** The currency PnL and margin settle in (derivatives); the quote for spot */
  readonly settle: string;
  readonly tickSize: number;
  readonly lotSize: number;
  readonly minSize: number;
  readonly minNotional: number;
  readonly contractSize: number;
  /** Fee rate as a fraction of notional, e.g. 0.0002 for 2 bp */
  readonly makerFee: number;
  readonly takerFee: number;
  /** Decimals of tickSize, derived */
  readonly priceDecimals: number;
  /** Decimals of lotSize, derived */
  readonly sizeDecimals: number;
  /** The venue's own id for the market when it differs from the symbol (Lighter market index) */
  readonly venueSymbol: string;
}

export interface InstrumentSpec {
  readonly symbol: string;
  readonly exchange: string;
  readonly marketType: MarketType;
  readonly base: string;
  readonly quote: string;
  readonly settle?: string;
  readonly tickSize: number;
  readonly lotSize: number;
  readonly minSize?: number;
  readonly minNotional?: number;
  readonly contractSize?: number;
  readonly makerFee?: number;
  readonly takerFee?: number;
  readonly venueSymbol?: string;
}

function positive(field: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidField('INVALID_ARGUMENT', field, value, 'must be a positive finite number');
  }
  return value;
}

function nonNegative(field: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidField('INVALID_ARGUMENT', field, value, 'must be a non-negative finite number');
  }
  return value;
}

function name(field: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidField('INVALID_ARGUMENT', field, value, 'must be a non-empty string');
  }
  return value;
}

function feeRate(field: string, value: number): number {
  // Negative maker fees (rebates) are real; anything beyond ±10% is a unit mistake (percent vs fraction)
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > 0.1) {
    throw invalidField(
      'INVALID_ARGUMENT',
      field,
      value,
      'must be a fraction of notional within ±0.1',
    );
  }
  return value;
}

/**
 * Creates a validated instrument, deriving price and size decimals from the steps.
 * @throws KestrelError INVALID_ARGUMENT naming the first bad field
 */
export function createInstrument(spec: InstrumentSpec): Instrument {
  if (!MARKET_TYPES.includes(spec.marketType)) {
    throw invalidField(
      'INVALID_ARGUMENT',
      'marketType',
      spec.marketType,
      `must be one of ${MARKET_TYPES.join(', ')}`,
    );
  }
  const tickSize = positive('tickSize', spec.tickSize);
  const lotSize = positive('lotSize', spec.lotSize);
  const minSize = nonNegative('minSize', spec.minSize ?? lotSize);
  return Object.freeze({
    symbol: name('symbol', spec.symbol),
    exchange: name('exchange', spec.exchange),
    marketType: spec.marketType,
    base: name('base', spec.base),
    quote: name('quote', spec.quote),
    settle: name('settle', spec.settle ?? spec.quote),
    tickSize,
    lotSize,
    minSize,
    minNotional: nonNegative('minNotional', spec.minNotional ?? 0),
    contractSize: positive('contractSize', spec.contractSize ?? 1),
    makerFee: feeRate('makerFee', spec.makerFee ?? 0),
    takerFee: feeRate('takerFee', spec.takerFee ?? 0),
    priceDecimals: stepDecimals(tickSize),
    sizeDecimals: stepDecimals(lotSize),
    venueSymbol: spec.venueSymbol ?? spec.symbol,
  });
}

/** The fields needed to rebuild an instrument */
export function instrumentSpec(instrument: Instrument): InstrumentSpec {
  return {
    symbol: instrument.symbol,
    exchange: instrument.exchange,
    marketType: instrument.marketType,
    base: instrument.base,
    quote: instrument.quote,
    settle: instrument.settle,
    tickSize: instrument.tickSize,
    lotSize: instrument.lotSize,
    minSize: instrument.minSize,
    minNotional: instrument.minNotional,
    contractSize: instrument.contractSize,
    makerFee: instrument.makerFee,
    takerFee: instrument.takerFee,
    venueSymbol: instrument.venueSymbol,
  };
}

/** A key unique across exchanges: `exchange:symbol` */
export function instrumentKey(instrument: Instrument): string {
  return `${instrument.exchange}:${instrument.symbol}`;
}

export function isDerivative(instrument: Instrument): boolean {
  return instrument.marketType !== 'SPOT';
}

/** Snaps a size to the nearest lot */
export function snapSize(instrument: Instrument, size: number): number {
  return snap(size, instrument.lotSize, instrument.sizeDecimals);
}

/** Rounds a size toward zero onto the lot grid (never trades more than asked) */
export function roundSizeDown(instrument: Instrument, size: number): number {
  return snapDown(size, instrument.lotSize, instrument.sizeDecimals);
}

/** Snaps a price to the nearest tick */
export function snapPrice(instrument: Instrument, price: number): number {
  return snap(price, instrument.tickSize, instrument.priceDecimals);
}

/**
 * Rounds a limit price onto the tick grid on the passive side: buys down, sells up, so rounding
 * never makes an order more aggressive than asked.
 */
export function roundPricePassive(
  instrument: Instrument,
  price: number,
  side: 'BUY' | 'SELL',
): number {
  return side === 'BUY'
    ? snapDown(price, instrument.tickSize, instrument.priceDecimals)
    : snapUp(price, instrument.tickSize, instrument.priceDecimals);
}

function compact(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/**
 * Whether a user's name for a market means this instrument, so one strategy file can name its
 * market the same way on every venue: the exact symbol or venue symbol (`BTC/USDT:USDT`,
 * `BTCUSDT`, Lighter's `1`), the pair without punctuation (`BTCUSDT`, `btc-usdt`), or the base
 * alone (`BTC`).
 */
export function matchesSymbol(instrument: Instrument, name: string): boolean {
  if (name === instrument.symbol || name === instrument.venueSymbol) return true;
  const wanted = compact(name);
  return (
    wanted === compact(instrument.symbol) ||
    wanted === compact(`${instrument.base}${instrument.quote}`) ||
    wanted === compact(instrument.base)
  );
}
