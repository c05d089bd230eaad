import type { Balance } from '../core/balance.ts';
import type { Instrument } from '../core/instrument.ts';
import type { MarketEvent } from '../core/market-data.ts';
import type { Broker } from './broker.ts';

export interface VenueStartOptions {
  /** The instruments to stream market data for */
  readonly instruments: readonly Instrument[];
  /** Receives the venue's quotes, trades and books, the same events a backtest replays */
  readonly onMarket: (event: MarketEvent) => void;
}

/**
 * A live venue as the runner sees it: its broker, its markets, and a start that opens the
 * private account stream (whose events reach the account through the broker's sink) and the
 * market data stream. Every live venue (ccxt, Lighter) implements this; the sim needs no I/O.
 */
export interface VenueConnection {
  readonly exchange: string;
  readonly broker: Broker;
  /** Tradable instruments, from the venue's market metadata; valid after `load` */
  readonly instruments: readonly Instrument[];
  /**
   * Loads market metadata (instruments, steps, fees).
   * @throws KestrelError when the venue cannot be reached or answers nonsense
   */
  load(): Promise<void>;
  /**
   * Opens the account stream and market data; resolves once subscribed and resynced.
   * Call after the broker is connected to its sink (the TradingManager does that).
   * @throws KestrelError when the venue cannot be reached
   */
  start(options: VenueStartOptions): Promise<void>;
  /** The venue's balances now (authoritative) */
  fetchBalances(): Promise<Balance[]>;
  /** Closes every socket and timer; idempotent */
  stop(): Promise<void>;
}
