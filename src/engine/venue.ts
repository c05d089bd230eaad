import type { Balance } from '../core/balance.ts';
import type { FillReport } from '../core/fill.ts';
import type { Instrument } from '../core/instrument.ts';
import type { MarketEvent } from '../core/market-data.ts';
import type { Order, OrderType, PositionSide, Side, TimeInForce } from '../core/order.ts';
import type { Broker } from './broker.ts';

/** One order as the venue reports it on a status query or in a snapshot */
export interface VenueOrderState {
  readonly instrument: Instrument;
  /** The client id the venue carries, when it carries ours */
  readonly clientId?: string | undefined;
  readonly venueOrderId: string;
  /** The venue correlation key (Lighter's client order index), when that is how it names ours */
  readonly correlationKey?: string | undefined;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly quantity: number;
  readonly price?: number | undefined;
  readonly stopPrice?: number | undefined;
  readonly reduceOnly?: boolean | undefined;
  /** The leg it opens or closes, on a hedge-mode account */
  readonly positionSide?: PositionSide | undefined;
  readonly status: 'OPEN' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED';
  readonly filledQuantity: number;
  readonly averagePrice?: number | undefined;
  readonly time: number;
}

/** A position as the venue reports it; quantity signed */
export interface VenuePosition {
  readonly instrument: Instrument;
  /** The leg, on a hedge-mode account (LONG never below zero, SHORT never above); undefined when net */
  readonly side?: PositionSide | undefined;
  readonly quantity: number;
  readonly averagePrice: number;
}

/** The venue's view of the account at one moment */
export interface VenueSnapshot {
  readonly openOrders: readonly VenueOrderState[];
  /** Fills since the time asked for (at least), each with its trade id */
  readonly fills: readonly FillReport[];
  readonly positions: readonly VenuePosition[];
  readonly balances: readonly Balance[];
  readonly time: number;
}

export interface VenueStartOptions {
  /** The instruments to stream market data for */
  readonly instruments: readonly Instrument[];
  /** Receives the venue's quotes, trades and books, the same events a backtest replays */
  readonly onMarket: (event: MarketEvent) => void;
}

/**
 * What a venue needs when several processes (each an owner of a shared journal) trade one
 * account: credentials no two of them may use at once, and correlation keys that say whose an
 * order is where the venue cannot carry a clientId.
 */
export interface VenueSharing {
  /** Credentials no two live processes may share (Lighter: the API key index; nonces are per key) */
  readonly exclusiveKeys: readonly string[];
  /**
   * Makes every later correlation key carry this owner slot (1..63).
   * @throws KestrelError INVALID_ARGUMENT for a slot outside 1..63
   */
  useOwnerSlot(slot: number): void;
  /** The owner slot a correlation key carries, when it carries one */
  ownerSlotOf(correlationKey: string): number | undefined;
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
  /** How Kestrel drives this venue (its profile), printed when a run or smoke check starts */
  describe?(): string;
  /** Who the account is on this venue (an API key fingerprint, an account index): names the journal */
  readonly account?: string;
  /** What the venue needs when several processes trade its account; absent when nothing */
  readonly sharing?: VenueSharing;
  /**
   * How long an order the venue does not know stays PENDING after it was asked for before it may
   * be declared LOST (the venue's own setting); the engine's reconciler waits as long
   */
  readonly lostAfterMs?: number;
  /**
   * The venue's open orders, fills since `since`, positions and balances, for reconciliation.
   * @throws KestrelError when the venue cannot be reached
   */
  fetchSnapshot?(options: { readonly since: number }): Promise<VenueSnapshot>;
  /**
   * One order's status, by whatever id the venue knows it by; undefined when it does not know it.
   * @throws KestrelError when the venue cannot be reached (which proves nothing about the order)
   */
  queryOrder?(order: Order): Promise<VenueOrderState | undefined>;
}
