import type { MarketEvent, Quote } from '../../core/market-data.ts';
import type { Clock } from '../../engine/clock.ts';
import type { Logger } from '../../engine/logger.ts';
import type { LighterMarket } from './markets.ts';
import { LighterOrderBook } from './order-book.ts';
import { parseWith, toMarketTrade } from './parsers.ts';
import { wsOrderBookSchema, wsTradeSchema } from './schemas.ts';
import { toMilliseconds } from './units.ts';
import type { RoutedFrame } from './ws-frames.ts';

export interface MarketStreamOptions {
  readonly markets: readonly LighterMarket[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Receives quotes (the touch, on every change) and trades: what a backtest replays */
  readonly onMarket: (event: MarketEvent) => void;
  /** Asks for a fresh snapshot of a channel (`order_book/0`): unsubscribe, then subscribe */
  readonly resubscribe: (channel: string) => void;
}

/**
 * Public market data for live runs from `order_book/{market}` and `trade/{market}`: a local
 * book per market (offsets and nonces checked; a gap or a crossed book resubscribes for a fresh
 * snapshot), a quote whenever the touch changes, and every print (snapshot history excluded).
 */
export class LighterMarketStream {
  private readonly options: MarketStreamOptions;
  private readonly books = new Map<number, LighterOrderBook>();
  private readonly lastQuotes = new Map<number, Quote>();
  /** Markets whose book waits for a snapshot: updates until then are early, not gaps */
  private readonly awaiting = new Set<number>();
  private gapCount = 0;

  constructor(options: MarketStreamOptions) {
    this.options = options;
    for (const market of options.markets) {
      this.books.set(market.marketIndex, new LighterOrderBook(market.instrument));
    }
  }

  channels(): string[] {
    return [...this.books.keys()].flatMap((index) => [`order_book/${index}`, `trade/${index}`]);
  }

  /** Continuity breaks seen (each one resubscribed) */
  get gaps(): number {
    return this.gapCount;
  }

  /** The last touch of a market */
  quote(marketIndex: number): Quote | undefined {
    return this.lastQuotes.get(marketIndex);
  }

  /** Forgets every book (a new connection starts from snapshots) */
  reset(): void {
    for (const [index, book] of this.books) {
      book.reset();
      this.awaiting.add(index);
    }
  }

  onFrame(frame: RoutedFrame, payload: unknown): void {
    const index = Number(frame.channel?.ids[0]);
    const book = this.books.get(index);
    if (book === undefined) return;
    const { clock, logger, onMarket } = this.options;
    if (frame.kind === 'order_book') {
      if (this.awaiting.has(index) && !frame.snapshot) return;
      this.awaiting.delete(index);
      const parsed = parseWith(wsOrderBookSchema, payload, 'order book frame');
      const outcome = book.apply(parsed);
      if (outcome === 'gap' || outcome === 'crossed') {
        this.gapCount += 1;
        logger.warn('lighter order book lost continuity; resubscribing', {
          market: index,
          outcome,
        });
        book.reset();
        this.awaiting.add(index);
        this.options.resubscribe(`order_book/${index}`);
        return;
      }
      if (outcome !== 'applied') return;
      const time = parsed.timestamp === undefined ? clock.now() : toMilliseconds(parsed.timestamp);
      const quote = book.quote(time);
      const last = this.lastQuotes.get(index);
      if (
        quote !== undefined &&
        (last === undefined ||
          last.bid !== quote.bid ||
          last.ask !== quote.ask ||
          last.bidSize !== quote.bidSize ||
          last.askSize !== quote.askSize)
      ) {
        this.lastQuotes.set(index, quote);
        onMarket(quote);
      }
      return;
    }
    if (frame.kind === 'trade' && !frame.snapshot) {
      const parsed = parseWith(wsTradeSchema, payload, 'trade frame');
      const prints = [...(parsed.trades ?? []), ...(parsed.liquidation_trades ?? [])].sort(
        (a, b) => a.timestamp - b.timestamp,
      );
      for (const trade of prints) onMarket(toMarketTrade(trade, book.instrument));
    }
  }
}
