import type { Instrument } from '../core/instrument.ts';
import { snapPrice, snapSize } from '../core/instrument.ts';
import type { Level } from '../core/market-data.ts';
import type { Side } from '../core/order.ts';

/** A public print on the tape */
export interface PublicTrade {
  readonly id: number;
  readonly price: number;
  readonly quantity: number;
  /** The aggressor's side */
  readonly side: Side;
  readonly time: number;
}

/** The public market of one symbol, as an emulator's streams and REST market data show it */
export interface MarketState {
  readonly instrument: Instrument;
  bids: Level[];
  asks: Level[];
  /** The book's update id, bumped on every book change */
  updateId: number;
  bookTime: number;
  readonly trades: PublicTrade[];
  nextTradeId: number;
}

/** What changed in the public market, for the streams to publish */
export type MarketChange =
  | {
      readonly kind: 'book';
      readonly state: MarketState;
      readonly firstId: number;
      readonly previousId: number;
      /** Changed levels only; size 0 removes a level */
      readonly bids: Level[];
      readonly asks: Level[];
    }
  | { readonly kind: 'trade'; readonly state: MarketState; readonly trade: PublicTrade };

const PUBLIC_TRADES_KEPT = 1000;

/** An empty market for an instrument: no book, no prints */
export function createMarketState(instrument: Instrument): MarketState {
  return {
    instrument,
    bids: [],
    asks: [],
    updateId: 1,
    bookTime: 0,
    trades: [],
    nextTradeId: 1,
  };
}

/** The levels that differ between two books (size 0 for a level gone), new ones first */
export function diffLevels(before: readonly Level[], after: readonly Level[]): Level[] {
  const old = new Map(before.map(([p, s]) => [p, s]));
  const changes: Level[] = [];
  const seen = new Set<number>();
  for (const [p, s] of after) {
    seen.add(p);
    if (old.get(p) !== s) changes.push([p, s]);
  }
  for (const [p] of before) if (!seen.has(p)) changes.push([p, 0]);
  return changes;
}

/**
 * Replaces the visible book (levels already snapped, best first) and returns the change to
 * publish, with the update ids it spans; nothing when no level changed.
 */
export function moveBook(
  state: MarketState,
  bids: Level[],
  asks: Level[],
  now: number,
): MarketChange | undefined {
  const bidChanges = diffLevels(state.bids, bids);
  const askChanges = diffLevels(state.asks, asks);
  state.bids = bids;
  state.asks = asks;
  state.bookTime = now;
  if (bidChanges.length === 0 && askChanges.length === 0) return undefined;
  const previousId = state.updateId;
  state.updateId += 1;
  return {
    kind: 'book',
    state,
    firstId: previousId + 1,
    previousId,
    bids: bidChanges,
    asks: askChanges,
  };
}

/** Levels with their prices and sizes snapped to the instrument's tick and lot */
export function snapLevels(instrument: Instrument, levels: readonly Level[]): Level[] {
  return levels.map(([p, s]) => [snapPrice(instrument, p), snapSize(instrument, s)] as const);
}

/** A best bid and offer with its prices and sizes snapped to the instrument's tick and lot */
export function snapQuote(
  instrument: Instrument,
  bid: number,
  ask: number,
  bidSize: number,
  askSize: number,
): { bid: number; bidSize: number; ask: number; askSize: number } {
  return {
    bid: snapPrice(instrument, bid),
    bidSize: snapSize(instrument, bidSize),
    ask: snapPrice(instrument, ask),
    askSize: snapSize(instrument, askSize),
  };
}

/** Puts a print on the tape (its price and size snapped to the steps), which keeps the latest 1 000 */
export function recordTrade(
  state: MarketState,
  price: number,
  size: number,
  side: Side,
  now: number,
): PublicTrade {
  const trade: PublicTrade = {
    id: state.nextTradeId++,
    price: snapPrice(state.instrument, price),
    quantity: snapSize(state.instrument, size),
    side,
    time: now,
  };
  state.trades.push(trade);
  if (state.trades.length > PUBLIC_TRADES_KEPT) state.trades.shift();
  return trade;
}
