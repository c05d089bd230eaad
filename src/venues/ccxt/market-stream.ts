import { KestrelError } from '../../core/errors.ts';
import type { Instrument } from '../../core/instrument.ts';
import { snapPrice, snapSize } from '../../core/instrument.ts';
import type { MarketEvent, Quote } from '../../core/market-data.ts';
import type { Random } from '../../core/random.ts';
import type { Clock } from '../../engine/clock.ts';
import type { Logger } from '../../engine/logger.ts';
import type { MarketDataSettings, StreamSettings } from './config.ts';
import { closeSockets } from './exchange.ts';
import type { CcxtRestClient } from './rest-client.ts';
import { bidAskSchema, orderBookSchema, problemOf, publicTradeSchema } from './schemas.ts';
import type { StreamChannel } from './stream-supervisor.ts';
import { StreamSupervisor } from './stream-supervisor.ts';

export interface CcxtMarketStreamOptions {
  readonly name: string;
  /** The public exchange, through the shared rate gate */
  readonly rest: CcxtRestClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: Random;
  readonly stream: StreamSettings;
  readonly settings: MarketDataSettings;
  readonly refused: (description: string, fields?: Readonly<Record<string, unknown>>) => void;
}

/** The market stream's watchdog never waits longer than this, ms */
const MARKET_WATCHDOG_MS = 60_000;

/**
 * The venue's public market data as the events a backtest replays, through the calls the venue
 * has (its profile says which): quotes from watchBidsAsks, or the top of watchOrderBook where the
 * venue has no bids/asks stream; books; public trades from watchTradesForSymbols or one
 * watchTrades per market. It keeps the latest quote of each market, which prices market orders
 * on venues that bound them (Hyperliquid).
 */
export class CcxtMarketStream {
  private readonly options: CcxtMarketStreamOptions;
  private readonly quotes = new Map<string, Quote>();
  private supervisor: StreamSupervisor | undefined;

  constructor(options: CcxtMarketStreamOptions) {
    this.options = options;
  }

  get reconnects(): number {
    return this.supervisor?.reconnects ?? 0;
  }

  get isConnected(): boolean {
    return this.supervisor?.isConnected ?? false;
  }

  /** The latest quote of a market, streamed or fetched */
  lastQuote(symbol: string): Quote | undefined {
    return this.quotes.get(symbol);
  }

  private quoteEvent(instrument: Instrument, raw: unknown): Quote | undefined {
    const parsed = bidAskSchema.safeParse(raw);
    if (!parsed.success) return undefined;
    const t = parsed.data;
    return {
      type: 'quote',
      instrument,
      time: t.timestamp ?? this.options.clock.now(),
      bid: snapPrice(instrument, t.bid),
      bidSize: snapSize(instrument, t.bidVolume ?? 0),
      ask: snapPrice(instrument, t.ask),
      askSize: snapSize(instrument, t.askVolume ?? 0),
    };
  }

  /** The quote or book event an order book stands for */
  private bookEvent(
    bySymbol: ReadonlyMap<string, Instrument>,
    raw: unknown,
    asQuote: boolean,
  ): MarketEvent | undefined {
    const parsed = orderBookSchema.safeParse(raw);
    if (!parsed.success) {
      this.options.refused('order book payload', { problem: problemOf(parsed.error) });
      return undefined;
    }
    const instrument = parsed.data.symbol ? bySymbol.get(parsed.data.symbol) : undefined;
    if (instrument === undefined) return undefined;
    const time = parsed.data.timestamp ?? this.options.clock.now();
    if (asQuote) {
      const [bid, bidSize] = parsed.data.bids[0] ?? [];
      const [ask, askSize] = parsed.data.asks[0] ?? [];
      if (bid === undefined || ask === undefined || !(bid > 0) || !(ask > 0)) return undefined;
      return {
        type: 'quote',
        instrument,
        time,
        bid: snapPrice(instrument, bid),
        bidSize: snapSize(instrument, bidSize ?? 0),
        ask: snapPrice(instrument, ask),
        askSize: snapSize(instrument, askSize ?? 0),
      };
    }
    const levels = (side: number[][]) =>
      side
        .slice(0, this.options.settings.depth)
        .map(([p = 0, s = 0]) => [snapPrice(instrument, p), snapSize(instrument, s)] as const);
    return {
      type: 'book',
      instrument,
      time,
      bids: levels(parsed.data.bids),
      asks: levels(parsed.data.asks),
    };
  }

  /** Starts streaming the instruments' market data to `onMarket`; failures only log */
  start(instruments: readonly Instrument[], onMarket: (event: MarketEvent) => void): void {
    if (instruments.length === 0) return;
    const { rest, settings, logger, name } = this.options;
    const ex = rest.exchange;
    const calls = rest.profile.marketData;
    const symbols = instruments.map((i) => i.symbol);
    const bySymbol = new Map(instruments.map((i) => [i.symbol, i]));
    const emit = (event: MarketEvent | undefined) => {
      if (event === undefined) return;
      if (event.type === 'quote') this.quotes.set(event.instrument.symbol, event);
      try {
        onMarket(event);
      } catch (error) {
        logger.error('market data listener failed', {
          exchange: name,
          error: (error as Error).message,
        });
      }
    };
    const channels: StreamChannel[] = [];
    if (settings.quotes === 'bidsAsks' && calls.quotes === 'bidsAsks') {
      channels.push({
        name: 'bidsAsks',
        watch: () => ex.watchBidsAsks(symbols),
        handle: (batch) => {
          for (const raw of Object.values(
            typeof batch === 'object' && batch !== null ? batch : {},
          )) {
            const symbol = bidAskSchema.safeParse(raw);
            const instrument = symbol.success ? bySymbol.get(symbol.data.symbol) : undefined;
            if (!symbol.success) {
              this.options.refused('quote payload', { problem: problemOf(symbol.error) });
              continue;
            }
            if (instrument !== undefined) emit(this.quoteEvent(instrument, raw));
          }
        },
      });
    } else if (settings.quotes !== 'none') {
      // Books, or quotes from the top of the book where the venue streams no bids/asks
      const asQuote = settings.quotes === 'bidsAsks';
      if (calls.quotes === 'orderBookPerSymbol') {
        for (const symbol of symbols) {
          channels.push({
            name: `orderBook ${symbol}`,
            watch: () => ex.watchOrderBook(symbol),
            handle: (book) => emit(this.bookEvent(bySymbol, book, asQuote)),
          });
        }
      } else {
        channels.push({
          name: 'orderBook',
          watch: () => ex.watchOrderBookForSymbols(symbols),
          handle: (book) => emit(this.bookEvent(bySymbol, book, asQuote)),
        });
      }
    }
    if (settings.trades) {
      const handle = (batch: unknown) => {
        for (const raw of Array.isArray(batch) ? batch : []) {
          const parsed = publicTradeSchema.safeParse(raw);
          if (!parsed.success) {
            this.options.refused('trade print payload', { problem: problemOf(parsed.error) });
            continue;
          }
          const instrument = bySymbol.get(parsed.data.symbol);
          if (instrument === undefined) continue;
          const t = parsed.data;
          emit({
            type: 'trade',
            instrument,
            time: t.timestamp ?? this.options.clock.now(),
            price: snapPrice(instrument, t.price),
            size: snapSize(instrument, t.amount),
            side: t.side === 'buy' ? 'BUY' : 'SELL',
            ...(t.id === null || t.id === undefined ? {} : { id: t.id }),
          });
        }
      };
      if (calls.trades === 'perSymbol') {
        for (const symbol of symbols)
          channels.push({ name: `trades ${symbol}`, watch: () => ex.watchTrades(symbol), handle });
      } else {
        channels.push({ name: 'trades', watch: () => ex.watchTradesForSymbols(symbols), handle });
      }
    }
    if (channels.length === 0) return;
    const stream = this.options.stream;
    this.supervisor = new StreamSupervisor({
      name: 'market',
      venue: name,
      exchange: ex,
      clock: this.options.clock,
      logger,
      random: this.options.random,
      settings: { ...stream, watchdogMs: Math.min(stream.watchdogMs, MARKET_WATCHDOG_MS) },
      channels,
      closeSockets: async () => {
        await closeSockets(ex);
      },
      refused: this.options.refused,
    });
    this.supervisor.start(Math.max(30_000, stream.connectTimeoutMs * 3)).catch((error: unknown) =>
      logger.warn('market data did not come up', {
        exchange: name,
        error: (error as Error).message,
      }),
    );
  }

  async stop(): Promise<void> {
    await this.supervisor?.stop();
  }

  /**
   * The best bid and offer of an instrument now, from REST: fetchBidsAsks where the venue has
   * it, else the ticker, else the top of the order book.
   * @throws KestrelError when the venue cannot be reached or has no two-sided market
   */
  async fetchQuote(instrument: Instrument): Promise<Quote> {
    const { rest } = this.options;
    const ex = rest.exchange;
    const symbol = instrument.symbol;
    let quote: Quote | undefined;
    switch (rest.profile.marketData.quoteQuery) {
      case 'bidsAsks': {
        const raw = await rest.call('fetchBidsAsks', () => ex.fetchBidsAsks([symbol]));
        const entry =
          typeof raw === 'object' && raw !== null
            ? (raw as Record<string, unknown>)[symbol]
            : undefined;
        quote = this.quoteEvent(instrument, entry);
        break;
      }
      case 'ticker':
        quote = this.quoteEvent(
          instrument,
          await rest.call('fetchTicker', () => ex.fetchTicker(symbol)),
        );
        break;
      case 'orderBook': {
        const raw = await rest.call('fetchOrderBook', () => ex.fetchOrderBook(symbol, 5));
        const event = this.bookEvent(
          new Map([[symbol, instrument]]),
          { symbol, ...(raw as object) },
          true,
        );
        quote = event?.type === 'quote' ? event : undefined;
        break;
      }
    }
    if (quote === undefined) {
      throw new KestrelError(
        'INVALID_DATA',
        `${this.options.name}: no two-sided market for ${symbol}`,
        {
          field: 'instrument',
          value: symbol,
        },
      );
    }
    this.quotes.set(symbol, quote);
    return quote;
  }
}
