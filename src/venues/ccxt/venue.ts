import type { Balance } from '../../core/balance.ts';
import { KestrelError } from '../../core/errors.ts';
import type { Instrument } from '../../core/instrument.ts';
import { matchesSymbol, snapPrice, snapSize } from '../../core/instrument.ts';
import type { MarketEvent, Quote } from '../../core/market-data.ts';
import type { Order } from '../../core/order.ts';
import { createRandom } from '../../core/random.ts';
import type { Clock, Timer } from '../../engine/clock.ts';
import type { Logger } from '../../engine/logger.ts';
import { createRedactor } from '../../engine/secret.ts';
import type {
  VenueConnection,
  VenueOrderState,
  VenueSnapshot,
  VenueStartOptions,
} from '../../engine/venue.ts';
import { CcxtBroker } from './ccxt-broker.ts';
import type { CcxtVenueConfig, MarketDataSettings, StreamSettings } from './config.ts';
import { DEFAULT_MARKET_DATA, DEFAULT_STREAM_SETTINGS, hasNumericIds } from './config.ts';
import { toKestrelError } from './errors.ts';
import { toBalances } from './events.ts';
import type { ManagedExchange } from './exchange.ts';
import { closeSockets, createExchange, usesPlainWebSocket } from './exchange.ts';
import { toInstrument } from './instruments.ts';
import { RateGate } from './rate-gate.ts';
import { apiKeyFingerprint } from './reconciliation.ts';
import { redactingLogger } from './redacting-logger.ts';
import { installCcxtRejectionGuard } from './rejection-guard.ts';
import { bidAskSchema, orderBookSchema, problemOf, publicTradeSchema } from './schemas.ts';
import type { StreamChannel } from './stream-supervisor.ts';
import { StreamSupervisor } from './stream-supervisor.ts';

export interface CcxtVenueDeps {
  readonly clock: Clock;
  readonly logger: Logger;
}

/** What the venue's streams have been through, for health reports and tests */
export interface CcxtVenueStats {
  readonly accountReconnects: number;
  readonly marketReconnects: number;
  readonly accountConnected: boolean;
  readonly marketConnected: boolean;
  /** ccxt promise rejections nobody awaited, caught by the guard */
  readonly strayRejections: number;
  /** Times the venue told us to slow down (429/418) */
  readonly rateLimited: number;
}

const MARKET_WATCHDOG_MS = 60_000;

/**
 * A live venue over a ccxt pro exchange: markets become instruments, the CcxtBroker trades,
 * the account stream (watchOrders + watchMyTrades + watchBalance) feeds the account with a
 * resync after every (re)subscribe, and the market stream (watchBidsAsks or watchOrderBook,
 * and watchTrades) feeds `onMarket` with the events a backtest replays.
 */
export class CcxtVenue implements VenueConnection {
  readonly exchange: string;
  readonly broker: CcxtBroker;
  /** A short sha256 fingerprint of the API key (never the key): names the journal */
  readonly account?: string;
  instruments: readonly Instrument[] = [];
  private readonly config: CcxtVenueConfig;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly redact: (text: string) => string;
  private readonly privateExchange: ManagedExchange;
  private readonly publicExchange: ManagedExchange;
  private readonly streamSettings: StreamSettings;
  private readonly marketSettings: MarketDataSettings;
  private readonly gate: RateGate;
  private accountStream: StreamSupervisor | undefined;
  private marketStream: StreamSupervisor | undefined;
  private resyncTimer: Timer | undefined;
  private uninstallGuard: (() => void) | undefined;
  private strays = 0;
  private loaded = false;
  private stopping: Promise<void> | undefined;

  constructor(config: CcxtVenueConfig, deps: CcxtVenueDeps) {
    this.config = config;
    this.exchange = config.name ?? config.exchange;
    this.clock = deps.clock;
    this.redact = createRedactor([config.apiKey, config.secret, config.password]);
    this.logger = redactingLogger(deps.logger, this.redact);
    this.streamSettings = { ...DEFAULT_STREAM_SETTINGS, ...config.stream };
    this.marketSettings = { ...DEFAULT_MARKET_DATA, ...config.marketData };
    this.privateExchange = createExchange(config, deps.clock, 'private', this.logger);
    this.publicExchange = createExchange(config, deps.clock, 'public', this.logger);
    this.gate = new RateGate(deps.clock);
    if (config.apiKey !== undefined) this.account = apiKeyFingerprint(config.apiKey.reveal());
    this.broker = new CcxtBroker({
      name: this.exchange,
      exchange: this.privateExchange.exchange,
      clock: deps.clock,
      logger: this.logger,
      redact: this.redact,
      gate: this.gate,
      lostAfterMs: config.lostAfterMs ?? 15_000,
      statusCheckDelayMs: config.statusCheckDelayMs ?? 1_000,
      numericIds: hasNumericIds(config),
    });
  }

  private fail(error: unknown, action: string): KestrelError {
    return toKestrelError(error, {
      action: `${this.exchange} ${action}`,
      redact: this.redact,
      headers: this.privateExchange.exchange.last_response_headers,
    });
  }

  /**
   * Loads the venue's markets and builds the instruments (restricted to `config.symbols`).
   * @throws KestrelError when the venue cannot be reached or lists none of the symbols asked for
   */
  async load(): Promise<void> {
    const privateEx = this.privateExchange.exchange;
    const publicEx = this.publicExchange.exchange;
    let markets: Record<string, unknown>;
    try {
      if (usesPlainWebSocket(privateEx)) {
        await privateEx.loadHttpProxyAgent();
        await publicEx.loadHttpProxyAgent();
      }
      markets = await this.gate.run(
        () => privateEx.loadMarkets(),
        (error) => this.fail(error, 'loadMarkets'),
      );
    } catch (error) {
      throw this.fail(error, 'loadMarkets');
    }
    publicEx.setMarkets(markets);
    const wanted = this.config.symbols;
    const instruments: Instrument[] = [];
    for (const market of Object.values(markets)) {
      const instrument = toInstrument(market, this.exchange, privateEx.precisionMode);
      if (instrument === undefined) continue;
      if (
        wanted !== undefined &&
        !wanted.some((name) => name === instrument.symbol || name === instrument.venueSymbol)
      )
        continue;
      instruments.push(instrument);
    }
    if (instruments.length === 0) {
      throw new KestrelError(
        'UNKNOWN_INSTRUMENT',
        `${this.exchange}: no tradable market${wanted === undefined ? '' : ` among ${wanted.join(', ')}`}`,
        {
          field: 'symbols',
          value: wanted,
        },
      );
    }
    this.instruments = instruments;
    this.broker.setInstruments(instruments);
    this.loaded = true;
  }

  /** The instrument a user's name means (`BTC/USDT:USDT`, `BTCUSDT`, `BTC`), if the venue lists it */
  instrument(name: string): Instrument | undefined {
    return (
      this.instruments.find((i) => i.symbol === name) ??
      this.instruments.find((i) => matchesSymbol(i, name))
    );
  }

  /**
   * Opens the account stream (resolving once subscribed and resynced) and the market data
   * streams for `instruments`. Call after the broker is connected to its sink.
   * @throws KestrelError when the account stream cannot come up
   */
  async start(options: VenueStartOptions): Promise<void> {
    if (!this.loaded) await this.load();
    this.uninstallGuard ??= installCcxtRejectionGuard((error) => {
      this.strays += 1;
      this.logger.debug('ccxt rejected a promise nobody awaited; ignored', {
        exchange: this.exchange,
        error: error instanceof Error ? error.message : String(error),
      });
    });
    this.broker.markStart(
      this.clock.now(),
      options.instruments.filter((i) => i.exchange === this.exchange).map((i) => i.symbol),
    );
    const privateEx = this.privateExchange.exchange;
    const random = createRandom(this.config.seed ?? Math.floor(this.clock.now()) % 2_147_483_647);
    const accountChannels: StreamChannel[] = [
      {
        name: 'orders',
        watch: () => privateEx.watchOrders(),
        handle: (batch) => {
          for (const order of Array.isArray(batch) ? batch : [])
            this.broker.ingestOrder(order, 'stream');
        },
      },
      {
        name: 'trades',
        watch: () => privateEx.watchMyTrades(),
        handle: (batch) => {
          for (const trade of Array.isArray(batch) ? batch : [])
            this.broker.ingestTrade(trade, 'stream');
        },
      },
    ];
    if (privateEx.has['watchBalance'] === true) {
      accountChannels.push({
        name: 'balance',
        watch: () => privateEx.watchBalance(),
        // A balance push is partial on some venues (Binance sends wallet balances only): fetch the whole
        handle: () => this.broker.refreshBalancesSoon(),
      });
    }
    this.accountStream = new StreamSupervisor({
      name: 'account',
      venue: this.exchange,
      exchange: privateEx,
      clock: this.clock,
      logger: this.logger,
      random,
      settings: this.streamSettings,
      channels: accountChannels,
      onSubscribed: () => this.broker.resync('subscribed'),
      onStatus: (connected) => this.broker.streamStatus(connected),
      closeSockets: async () => {
        await closeSockets(privateEx);
      },
    });
    await this.accountStream.start(Math.max(30_000, this.streamSettings.connectTimeoutMs * 3));
    this.startMarket(options);
    const interval = this.config.resyncIntervalMs ?? 60_000;
    if (interval > 0) this.scheduleResync(interval);
  }

  private scheduleResync(interval: number): void {
    this.resyncTimer = this.clock.setTimer(interval, () => {
      if (this.stopping !== undefined) return;
      if (this.accountStream?.isConnected === true) {
        this.broker.resync('periodic').catch((error: unknown) =>
          this.logger.warn('periodic resync failed', {
            exchange: this.exchange,
            error: (error as Error).message,
          }),
        );
      }
      this.scheduleResync(interval);
    });
  }

  private startMarket(options: VenueStartOptions): void {
    const symbols = options.instruments
      .filter((i) => i.exchange === this.exchange)
      .map((i) => i.symbol);
    if (symbols.length === 0) return;
    const bySymbol = new Map(this.instruments.map((i) => [i.symbol, i]));
    const publicEx = this.publicExchange.exchange;
    const settings = this.marketSettings;
    const emit = (event: MarketEvent) => {
      try {
        options.onMarket(event);
      } catch (error) {
        this.logger.error('market data listener failed', {
          exchange: this.exchange,
          error: (error as Error).message,
        });
      }
    };
    const channels: StreamChannel[] = [];
    if (settings.quotes === 'bidsAsks') {
      channels.push({
        name: 'bidsAsks',
        watch: () => publicEx.watchBidsAsks(symbols),
        handle: (batch) => {
          for (const raw of Object.values(
            typeof batch === 'object' && batch !== null ? batch : {},
          )) {
            const parsed = bidAskSchema.safeParse(raw);
            if (!parsed.success) {
              this.broker.refused('quote payload', { problem: problemOf(parsed.error) });
              continue;
            }
            const instrument = bySymbol.get(parsed.data.symbol);
            if (instrument === undefined) continue;
            const t = parsed.data;
            emit({
              type: 'quote',
              instrument,
              time: t.timestamp ?? this.clock.now(),
              bid: snapPrice(instrument, t.bid),
              bidSize: snapSize(instrument, t.bidVolume ?? 0),
              ask: snapPrice(instrument, t.ask),
              askSize: snapSize(instrument, t.askVolume ?? 0),
            });
          }
        },
      });
    } else if (settings.quotes === 'orderBook') {
      channels.push({
        name: 'orderBook',
        watch: () => publicEx.watchOrderBookForSymbols(symbols),
        handle: (batch) => {
          const parsed = orderBookSchema.safeParse(batch);
          if (!parsed.success) {
            this.broker.refused('order book payload', { problem: problemOf(parsed.error) });
            return;
          }
          const instrument = parsed.data.symbol ? bySymbol.get(parsed.data.symbol) : undefined;
          if (instrument === undefined) return;
          const levels = (side: number[][]) =>
            side
              .slice(0, settings.depth)
              .map(
                ([p = 0, s = 0]) => [snapPrice(instrument, p), snapSize(instrument, s)] as const,
              );
          emit({
            type: 'book',
            instrument,
            time: parsed.data.timestamp ?? this.clock.now(),
            bids: levels(parsed.data.bids),
            asks: levels(parsed.data.asks),
          });
        },
      });
    }
    if (settings.trades) {
      channels.push({
        name: 'trades',
        watch: () => publicEx.watchTradesForSymbols(symbols),
        handle: (batch) => {
          for (const raw of Array.isArray(batch) ? batch : []) {
            const parsed = publicTradeSchema.safeParse(raw);
            if (!parsed.success) {
              this.broker.refused('trade print payload', { problem: problemOf(parsed.error) });
              continue;
            }
            const instrument = bySymbol.get(parsed.data.symbol);
            if (instrument === undefined) continue;
            const t = parsed.data;
            emit({
              type: 'trade',
              instrument,
              time: t.timestamp ?? this.clock.now(),
              price: snapPrice(instrument, t.price),
              size: snapSize(instrument, t.amount),
              side: t.side === 'buy' ? 'BUY' : 'SELL',
              ...(t.id === null || t.id === undefined ? {} : { id: t.id }),
            });
          }
        },
      });
    }
    if (channels.length === 0) return;
    this.marketStream = new StreamSupervisor({
      name: 'market',
      venue: this.exchange,
      exchange: publicEx,
      clock: this.clock,
      logger: this.logger,
      random: createRandom((this.config.seed ?? 7) + 1),
      settings: {
        ...this.streamSettings,
        watchdogMs: Math.min(this.streamSettings.watchdogMs, MARKET_WATCHDOG_MS),
      },
      channels,
      closeSockets: async () => {
        await closeSockets(publicEx);
      },
    });
    this.marketStream
      .start(Math.max(30_000, this.streamSettings.connectTimeoutMs * 3))
      .catch((error: unknown) =>
        this.logger.warn('market data did not come up', {
          exchange: this.exchange,
          error: (error as Error).message,
        }),
      );
  }

  /**
   * The venue's balances now (authoritative), straight from REST.
   * @throws KestrelError when the venue cannot be reached
   */
  async fetchBalances(): Promise<Balance[]> {
    const privateEx = this.privateExchange.exchange;
    const raw = await this.gate.run(
      () => privateEx.fetchBalance(),
      (error) => this.fail(error, 'fetchBalance'),
    );
    const balances = toBalances(raw);
    if (balances === undefined)
      throw new KestrelError(
        'INVALID_DATA',
        `${this.exchange}: the venue answered a balance Kestrel cannot read`,
      );
    return balances;
  }

  /**
   * The best bid and offer of an instrument now, from REST (bookTicker on Binance).
   * @throws KestrelError when the venue cannot be reached or has no two-sided market
   */
  async fetchQuote(instrument: Instrument): Promise<Quote> {
    const publicEx = this.publicExchange.exchange;
    const raw = await this.gate.run(
      () => publicEx.fetchBidsAsks([instrument.symbol]),
      (error) => this.fail(error, 'fetchBidsAsks'),
    );
    const entry =
      typeof raw === 'object' && raw !== null
        ? (raw as Record<string, unknown>)[instrument.symbol]
        : undefined;
    const parsed = bidAskSchema.safeParse(entry);
    if (!parsed.success) {
      throw new KestrelError(
        'INVALID_DATA',
        `${this.exchange}: no two-sided market for ${instrument.symbol}`,
        {
          field: 'instrument',
          value: instrument.symbol,
        },
      );
    }
    return {
      type: 'quote',
      instrument,
      time: parsed.data.timestamp ?? this.clock.now(),
      bid: snapPrice(instrument, parsed.data.bid),
      bidSize: snapSize(instrument, parsed.data.bidVolume ?? 0),
      ask: snapPrice(instrument, parsed.data.ask),
      askSize: snapSize(instrument, parsed.data.askVolume ?? 0),
    };
  }

  /**
   * The venue's open orders, our fills since `since`, positions and balances, for the
   * Reconciler; applies nothing. Needs `load()` only, so it can run before the streams start.
   * @throws KestrelError when the venue cannot be reached or answers something unreadable
   */
  async fetchSnapshot(options: { readonly since: number }): Promise<VenueSnapshot> {
    if (!this.loaded) await this.load();
    return this.broker.fetchSnapshot(options);
  }

  /**
   * One order as the venue has it, asked by our clientId (Binance `origClientOrderId`), or by
   * venue id for an adopted external order; applies nothing.
   * @returns undefined only when the venue says it does not know the order (Binance -2013)
   * @throws KestrelError when the venue could not be asked (network, 5xx, 429), which proves nothing
   */
  async queryOrder(order: Order): Promise<VenueOrderState | undefined> {
    if (!this.loaded) await this.load();
    return this.broker.fetchOrderState(order);
  }

  /** Runs a resync now (open orders, status queries, fills since the last seen, balances) */
  resync(): Promise<void> {
    return this.broker.resync('requested');
  }

  /** Tears the account stream down and resubscribes (a resync follows) */
  reconnect(reason = 'requested'): void {
    this.accountStream?.restart(reason);
  }

  stats(): CcxtVenueStats {
    return {
      accountReconnects: this.accountStream?.reconnects ?? 0,
      marketReconnects: this.marketStream?.reconnects ?? 0,
      accountConnected: this.accountStream?.isConnected ?? false,
      marketConnected: this.marketStream?.isConnected ?? false,
      strayRejections: this.strays,
      rateLimited: this.gate.limited,
    };
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.resyncTimer?.cancel();
      await this.accountStream?.stop();
      await this.marketStream?.stop();
      this.broker.stop();
      await this.privateExchange.shutdown().catch(() => {});
      await this.publicExchange.shutdown().catch(() => {});
      this.uninstallGuard?.();
      this.uninstallGuard = undefined;
    })();
    return this.stopping;
  }
}

/**
 * Creates a ccxt venue (not yet loaded or started): the lead's entry point for `kestrel run
 * --venue <ccxt id>` and `kestrel smoke`.
 * @throws KestrelError UNKNOWN_EXCHANGE for an id ccxt pro does not have, NOT_SUPPORTED for a
 *   testnet or demo the exchange lacks
 */
export function createCcxtVenue(config: CcxtVenueConfig, deps: CcxtVenueDeps): CcxtVenue {
  return new CcxtVenue(config, deps);
}
