import type { Instrument } from '../../core/instrument.ts';
import type { BookSnapshot, Level, Quote } from '../../core/market-data.ts';
import { toLevels } from './parsers.ts';
import type { WsOrderBook } from './schemas.ts';

/**
 * What applying one `order_book` frame did:
 * - `applied`: the book changed (or was replaced by a snapshot);
 * - `stale`: an update at or below the last offset (a duplicate or a reordered frame): ignored;
 * - `gap`: continuity broke (an update before any snapshot, or `begin_nonce` not equal to the
 *   previous `nonce`): the book is unusable until resubscribed;
 * - `crossed`: after applying, best bid ≥ best ask: unusable until resubscribed.
 */
export type BookOutcome = 'applied' | 'stale' | 'gap' | 'crossed';

/**
 * The local copy of one market's order book from the `order_book/{market}` channel: a
 * `subscribed/` snapshot replaces it, `update/` frames merge level by level (size 0 deletes).
 * Continuity is checked the way the venue documents: offsets only grow (they may jump, and
 * change completely on reconnect), and when frames carry nonces each update's `begin_nonce`
 * must equal the previous frame's `nonce`.
 */
export class LighterOrderBook {
  readonly instrument: Instrument;
  private readonly bids = new Map<number, number>();
  private readonly asks = new Map<number, number>();
  private offset: number | undefined;
  private nonce: number | undefined;
  private valid = false;

  constructor(instrument: Instrument) {
    this.instrument = instrument;
  }

  /** Whether the book is a trustworthy copy (a snapshot arrived and no gap since) */
  get isValid(): boolean {
    return this.valid;
  }

  get lastOffset(): number | undefined {
    return this.offset;
  }

  /** Forgets everything; the next frame must be a snapshot */
  reset(): void {
    this.bids.clear();
    this.asks.clear();
    this.offset = undefined;
    this.nonce = undefined;
    this.valid = false;
  }

  apply(frame: WsOrderBook): BookOutcome {
    const body = frame.order_book;
    if (frame.type === 'subscribed/order_book') {
      this.reset();
      this.merge(body.bids, body.asks);
      this.offset = frame.offset;
      this.nonce = body.nonce;
      this.valid = true;
      return this.checkCrossed();
    }
    if (!this.valid || this.offset === undefined) return 'gap';
    if (frame.offset <= this.offset) return 'stale';
    if (
      body.begin_nonce !== undefined &&
      this.nonce !== undefined &&
      body.begin_nonce !== this.nonce
    ) {
      this.valid = false;
      return 'gap';
    }
    this.merge(body.bids, body.asks);
    this.offset = frame.offset;
    if (body.nonce !== undefined) this.nonce = body.nonce;
    return this.checkCrossed();
  }

  private merge(
    bids: readonly { price: string; size: string }[] | null | undefined,
    asks: readonly { price: string; size: string }[] | null | undefined,
  ): void {
    for (const [price, size] of toLevels(bids)) {
      if (size > 0) this.bids.set(price, size);
      else this.bids.delete(price);
    }
    for (const [price, size] of toLevels(asks)) {
      if (size > 0) this.asks.set(price, size);
      else this.asks.delete(price);
    }
  }

  private checkCrossed(): BookOutcome {
    const bid = this.best('bid');
    const ask = this.best('ask');
    if (bid !== undefined && ask !== undefined && bid[0] >= ask[0]) {
      this.valid = false;
      return 'crossed';
    }
    return 'applied';
  }

  private best(side: 'bid' | 'ask'): Level | undefined {
    let best: Level | undefined;
    for (const [price, size] of side === 'bid' ? this.bids : this.asks) {
      if (best === undefined || (side === 'bid' ? price > best[0] : price < best[0])) {
        best = [price, size];
      }
    }
    return best;
  }

  /** The touch, when both sides have a level and the book is valid */
  quote(time: number): Quote | undefined {
    if (!this.valid) return undefined;
    const bid = this.best('bid');
    const ask = this.best('ask');
    if (bid === undefined || ask === undefined) return undefined;
    return {
      type: 'quote',
      instrument: this.instrument,
      time,
      bid: bid[0],
      bidSize: bid[1],
      ask: ask[0],
      askSize: ask[1],
    };
  }

  /** The best `depth` levels per side */
  snapshot(time: number, depth = 20): BookSnapshot {
    const sorted = (levels: Map<number, number>, descending: boolean): Level[] =>
      [...levels.entries()]
        .sort((a, b) => (descending ? b[0] - a[0] : a[0] - b[0]))
        .slice(0, depth)
        .map(([price, size]) => [price, size] as const);
    return {
      type: 'book',
      instrument: this.instrument,
      time,
      bids: sorted(this.bids, true),
      asks: sorted(this.asks, false),
    };
  }
}
