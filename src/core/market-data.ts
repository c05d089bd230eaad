import type { Instrument } from './instrument.ts';
import type { Side } from './order.ts';

/** Best bid and offer at a moment */
export interface Quote {
  readonly type: 'quote';
  readonly instrument: Instrument;
  readonly time: number;
  readonly bid: number;
  readonly bidSize: number;
  readonly ask: number;
  readonly askSize: number;
}

/** One print on the tape; `side` is the aggressor's */
export interface Trade {
  readonly type: 'trade';
  readonly instrument: Instrument;
  readonly time: number;
  readonly price: number;
  readonly size: number;
  readonly side: Side;
  readonly id?: string | undefined;
}

/** A price level: [price, size] */
export type Level = readonly [price: number, size: number];

/** The visible book, best levels first */
export interface BookSnapshot {
  readonly type: 'book';
  readonly instrument: Instrument;
  readonly time: number;
  readonly bids: readonly Level[];
  readonly asks: readonly Level[];
}

export type MarketEvent = Quote | Trade | BookSnapshot;

/** The mid of a quote */
export function midPrice(quote: Pick<Quote, 'bid' | 'ask'>): number {
  return (quote.bid + quote.ask) / 2;
}

/**
 * A stream of market events in time order, delivered in batches so a reader can parse a chunk
 * of a file at a time. `next` resolves undefined at the end.
 */
export interface MarketDataSource {
  next(): Promise<readonly MarketEvent[] | undefined>;
  close?(): Promise<void>;
}
