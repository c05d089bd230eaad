import type { Balance } from '../core/balance.ts';
import type { Instrument } from '../core/instrument.ts';
import type { Level, MarketDataSource } from '../core/market-data.ts';
import type { Side } from '../core/order.ts';
import type { Clock } from '../engine/clock.ts';
import type { SimVenue } from '../venues/sim/sim-venue.ts';
import type { EmulatorFaults } from './faults.ts';

/** What the emulators real ccxt drives (Binance USDⓈ-M, Bybit) are all started with */
export interface VenueEmulatorOptions {
  /** 0 or absent: a random free port on 127.0.0.1 */
  readonly port?: number;
  /** The only key and secret accepted; default DEFAULT_API_KEY / DEFAULT_API_SECRET */
  readonly apiKey?: string;
  readonly apiSecret?: string;
  /** Default: 10 000 USDT */
  readonly balances?: readonly Balance[];
  /** Market data to replay into the venue and its public streams */
  readonly feed?: MarketDataSource;
  /** Replay pace: 1 real time (default), Infinity as fast as possible */
  readonly speed?: number;
  /** Time for the venue, its timestamps, timers and checks; default the system clock */
  readonly clock?: Clock;
}

/**
 * What the emulators real ccxt drives (Binance USDⓈ-M, Bybit) all offer: where they listen,
 * the credentials they accept, their ledger, faults and logs, and the market to drive
 */
export interface VenueEmulator<RequestRecord> {
  /** REST base, e.g. http://127.0.0.1:PORT */
  readonly url: string;
  /** WebSocket base, e.g. ws://127.0.0.1:PORT */
  readonly wsUrl: string;
  readonly port: number;
  readonly apiKey: string;
  readonly apiSecret: string;
  /** The venue's ledger and matching, for tests to compare against */
  readonly venue: SimVenue;
  readonly instruments: readonly Instrument[];
  /** Fault injection; the same operations are served over HTTP under /_kestrel/faults/ */
  readonly faults: EmulatorFaults;
  /** REST requests as received (signature left out), oldest first */
  readonly requests: readonly RequestRecord[];
  /** Private (user data) pushes as sent, after faults, oldest first */
  readonly pushes: readonly Record<string, unknown>[];
  /**
   * Sends raw text frames, exactly as given, to every open socket of a kind (private `user`
   * or public `market`): malformed input for the client's parsers. Returns how many sockets
   * got them.
   */
  injectFrames(kind: 'user' | 'market', frames: readonly string[]): number;
  /** Sockets opened since start, by kind, and how many private sockets are open now */
  connections(): { readonly user: number; readonly market: number; readonly openUser: number };
  /** Sets the best bid and offer; fills resting orders it crosses, publishes the quote and depth */
  setQuote(symbol: string, bid: number, ask: number, bidSize?: number, askSize?: number): void;
  /** Sets the visible book; fills what it crosses, publishes depth */
  setBook(symbol: string, bids: readonly Level[], asks: readonly Level[]): void;
  /** Prints a trade (side = aggressor); fills resting orders it trades through */
  printTrade(symbol: string, price: number, size: number, side: Side): void;
  /** Settles when the replayed feed ends (at once without a feed) */
  readonly replayDone: Promise<void>;
  close(): Promise<void>;
}

/** The market moves of an emulator's exchange, each returning the pushes it causes */
export interface MarketMoves<Push> {
  setQuote(
    symbol: string,
    bid: number,
    ask: number,
    bidSize: number,
    askSize: number,
    now: number,
  ): readonly Push[];
  setBook(
    symbol: string,
    bids: readonly Level[],
    asks: readonly Level[],
    now: number,
  ): readonly Push[];
  printTrade(symbol: string, price: number, size: number, side: Side, now: number): readonly Push[];
}

/**
 * The market setters an emulator offers (setQuote, setBook, printTrade): each takes the symbol
 * in any spelling `resolveSymbol` knows, moves the exchange's market at the clock's time and
 * delivers the pushes that causes
 */
export function marketSetters<Push>(
  exchange: MarketMoves<Push>,
  resolveSymbol: (symbol: string) => string,
  deliver: (pushes: readonly Push[]) => void,
  clock: Clock,
): Pick<VenueEmulator<unknown>, 'setQuote' | 'setBook' | 'printTrade'> {
  return {
    setQuote: (symbol, bid, ask, bidSize = 1, askSize = 1) =>
      deliver(exchange.setQuote(resolveSymbol(symbol), bid, ask, bidSize, askSize, clock.now())),
    setBook: (symbol, bids, asks) =>
      deliver(exchange.setBook(resolveSymbol(symbol), bids, asks, clock.now())),
    printTrade: (symbol, price, size, side) =>
      deliver(exchange.printTrade(resolveSymbol(symbol), price, size, side, clock.now())),
  };
}
