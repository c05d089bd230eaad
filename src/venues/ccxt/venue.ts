import type { Balance } from '../../core/balance.ts';
import { KestrelError } from '../../core/errors.ts';
import type { Instrument } from '../../core/instrument.ts';
import { matchesSymbol } from '../../core/instrument.ts';
import type { Quote } from '../../core/market-data.ts';
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
import { CcxtBroker } from './broker.ts';
import type { CcxtVenueConfig, StreamSettings } from './config.ts';
import { DEFAULT_MARKET_DATA, DEFAULT_STREAM_SETTINGS } from './config.ts';
import type { ManagedExchange } from './exchange.ts';
import { closeSockets, createExchange, usesPlainWebSocket } from './exchange.ts';
import { toInstrument } from './instruments.ts';
import { CcxtMarketStream } from './market-stream.ts';
import { apiKeyFingerprint, toBalances } from './parsers.ts';
import type { VenueProfile } from './profile.ts';
import { describeProfile } from './profile.ts';
import { genericProfile } from './profiles/generic.ts';
import { PROFILES } from './profiles/registry.ts';
import { RateGate } from './rate-gate.ts';
import { redactingLogger } from './redacting-logger.ts';
import { installCcxtRejectionGuard } from './rejection-guard.ts';
import { CcxtRestClient } from './rest-client.ts';
import type { SharedRateLimit } from './shared-rate-limit.ts';
import { shareThrottle } from './shared-rate-limit.ts';
import { StreamSupervisor } from './stream-supervisor.ts';

export interface CcxtVenueDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * A rate limit shared with every process on the API key (Redis); the venue takes it over and
   * closes it on stop. Without it, ccxt's in-process bucket spaces this process's requests alone
   */
  readonly rateLimit?: SharedRateLimit | undefined;
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

/**
 * A live venue over a ccxt pro exchange, as its venue profile says (or ccxt's generic behaviour
 * where Kestrel has no profile, said at load): markets become instruments, the CcxtBroker trades,
 * the account stream (watchOrders + watchMyTrades + watchBalance) feeds the account with a resync
 * after every (re)subscribe, and the market stream feeds `onMarket` with the events a backtest
 * replays.
 */
export class CcxtVenue implements VenueConnection {
  readonly exchange: string;
  readonly broker: CcxtBroker;
  readonly profile: VenueProfile;
  /** A short sha256 fingerprint of the API key (never the key): names the journal */
  readonly account?: string;
  readonly lostAfterMs: number;
  instruments: readonly Instrument[] = [];
  private readonly config: CcxtVenueConfig;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly privateExchange: ManagedExchange;
  private readonly publicExchange: ManagedExchange;
  private readonly streamSettings: StreamSettings;
  private readonly rest: CcxtRestClient;
  private readonly gate: RateGate;
  private readonly rateLimit: SharedRateLimit | undefined;
  private readonly market: CcxtMarketStream;
  private accountStream: StreamSupervisor | undefined;
  private resyncTimer: Timer | undefined;
  private uninstallGuard: (() => void) | undefined;
  private strays = 0;
  private loaded = false;
  private stopping: Promise<void> | undefined;

  constructor(config: CcxtVenueConfig, deps: CcxtVenueDeps) {
    this.config = config;
    this.exchange = config.name ?? config.exchange;
    this.clock = deps.clock;
    const redact = createRedactor([config.apiKey, config.secret, config.password]);
    this.logger = redactingLogger(deps.logger, redact);
    this.streamSettings = { ...DEFAULT_STREAM_SETTINGS, ...config.stream };
    const known = PROFILES.get(config.exchange);
    // Called only once a frame arrives, when the broker exists
    const unreadable = (message: string) =>
      this.broker.refused('frame ccxt could not parse', { message });
    this.privateExchange = createExchange(
      config,
      deps.clock,
      'private',
      this.logger,
      known,
      unreadable,
    );
    this.publicExchange = createExchange(
      config,
      deps.clock,
      'public',
      this.logger,
      known,
      unreadable,
    );
    const base = known ?? genericProfile(this.privateExchange.exchange);
    this.profile =
      config.numericIds === undefined ? base : { ...base, numericIds: config.numericIds };
    if (config.positionMode === 'hedge' && this.profile.hedge === undefined) {
      throw new KestrelError(
        'INVALID_CONFIG',
        `${config.exchange}: positionMode hedge is not available on ${this.profile.label}${this.profile.checked ? '' : ' (no Kestrel profile)'}; use oneWay`,
        { field: 'positionMode', value: 'hedge' },
      );
    }
    this.gate = new RateGate(deps.clock);
    if (config.apiKey !== undefined) this.account = apiKeyFingerprint(config.apiKey.reveal());
    this.rateLimit = deps.rateLimit;
    if (deps.rateLimit !== undefined) {
      // One bucket per API key, for both connections: the venue counts the key's (and the
      // address's) requests, whichever socket they come on
      const key = `kestrel:rate:${config.exchange}:${this.account ?? 'public'}`;
      for (const managed of [this.privateExchange, this.publicExchange])
        shareThrottle(managed.exchange, { limit: deps.rateLimit, key, logger: this.logger });
    }
    this.rest = new CcxtRestClient({
      name: this.exchange,
      exchange: this.privateExchange.exchange,
      profile: this.profile,
      gate: this.gate,
      redact,
    });
    this.lostAfterMs = config.lostAfterMs ?? 15_000;
    this.broker = new CcxtBroker({
      name: this.exchange,
      rest: this.rest,
      clock: deps.clock,
      logger: this.logger,
      lostAfterMs: this.lostAfterMs,
      statusCheckDelayMs: config.statusCheckDelayMs ?? 1_000,
      quote: (symbol) => this.market.lastQuote(symbol),
      positionMode: config.positionMode ?? 'oneWay',
    });
    this.market = new CcxtMarketStream({
      name: this.exchange,
      rest: new CcxtRestClient({
        name: this.exchange,
        exchange: this.publicExchange.exchange,
        profile: this.profile,
        gate: this.gate,
        redact,
      }),
      clock: deps.clock,
      logger: this.logger,
      random: createRandom((config.seed ?? 7) + 1),
      stream: this.streamSettings,
      settings: { ...DEFAULT_MARKET_DATA, ...config.marketData },
      refused: (description, fields) => this.broker.refused(description, fields),
    });
  }

  /**
   * Loads the venue's markets and builds the instruments (restricted to `config.symbols` and to
   * the market types the profile covers). An exchange without a profile says so here, naming
   * what Kestrel could not check.
   * @throws KestrelError when the venue cannot be reached or lists none of the symbols asked for
   */
  async load(): Promise<void> {
    const privateEx = this.privateExchange.exchange;
    const publicEx = this.publicExchange.exchange;
    if (!this.profile.checked) {
      this.logger.warn(
        `${this.exchange}: no Kestrel profile; running on ccxt's generic behaviour. Not checked: ${this.profile.unchecked.join('; ')}`,
        { exchange: this.exchange },
      );
    }
    let markets: Record<string, unknown>;
    try {
      if (usesPlainWebSocket(privateEx)) {
        await privateEx.loadHttpProxyAgent();
        await publicEx.loadHttpProxyAgent();
      }
      markets = await this.rest.call(`${this.exchange} loadMarkets`, () => privateEx.loadMarkets());
    } catch (error) {
      throw this.rest.toError(error, `${this.exchange} loadMarkets`);
    }
    publicEx.setMarkets(markets);
    const wanted = this.config.symbols;
    const instruments: Instrument[] = [];
    for (const market of Object.values(markets)) {
      const instrument = toInstrument(market, this.exchange, privateEx.precisionMode);
      if (instrument === undefined || !this.profile.marketTypes.includes(instrument.marketType))
        continue;
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
        { field: 'symbols', value: wanted },
      );
    }
    this.instruments = instruments;
    this.broker.setInstruments(instruments);
    this.loaded = true;
  }

  /** The venue profile in use and the position mode, for the start of a run */
  describe(): string {
    return describeProfile(this.profile, this.broker.positionMode);
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
    const ours = options.instruments.filter((i) => i.exchange === this.exchange);
    const stream = this.broker.stream;
    stream.markStart(
      this.clock.now(),
      ours.map((i) => i.symbol),
    );
    const privateEx = this.privateExchange.exchange;
    this.accountStream = new StreamSupervisor({
      name: 'account',
      venue: this.exchange,
      exchange: privateEx,
      clock: this.clock,
      logger: this.logger,
      random: createRandom(this.config.seed ?? Math.floor(this.clock.now()) % 2_147_483_647),
      settings: this.streamSettings,
      channels: stream.channels(),
      onSubscribed: () => stream.resync('subscribed'),
      onStatus: (connected) => this.broker.streamStatus(connected),
      closeSockets: async () => {
        await closeSockets(privateEx);
      },
      refused: (description, fields) => this.broker.refused(description, fields),
    });
    await this.accountStream.start(Math.max(30_000, this.streamSettings.connectTimeoutMs * 3));
    this.market.start(ours, options.onMarket);
    const interval = this.config.resyncIntervalMs ?? 60_000;
    if (interval > 0) this.scheduleResync(interval);
  }

  private scheduleResync(interval: number): void {
    this.resyncTimer = this.clock.setTimer(interval, () => {
      if (this.stopping !== undefined) return;
      if (this.accountStream?.isConnected === true) {
        this.broker.stream.resync('periodic').catch((error: unknown) =>
          this.logger.warn('periodic resync failed', {
            exchange: this.exchange,
            error: (error as Error).message,
          }),
        );
      }
      this.scheduleResync(interval);
    });
  }

  /**
   * The venue's balances now (authoritative), straight from REST.
   * @throws KestrelError when the venue cannot be reached
   */
  async fetchBalances(): Promise<Balance[]> {
    const balances = toBalances(await this.rest.fetchBalance());
    if (balances === undefined)
      throw new KestrelError(
        'INVALID_DATA',
        `${this.exchange}: the venue answered a balance Kestrel cannot read`,
      );
    return balances;
  }

  /**
   * The best bid and offer of an instrument now, from REST (fetchBidsAsks, or the ticker or the
   * order book where the venue has no bids/asks call).
   * @throws KestrelError when the venue cannot be reached or has no two-sided market
   */
  fetchQuote(instrument: Instrument): Promise<Quote> {
    return this.market.fetchQuote(instrument);
  }

  /**
   * The venue's open orders, our fills since `since`, positions and balances, for the
   * Reconciler; applies nothing. Needs `load()` only, so it can run before the streams start.
   * @throws KestrelError when the venue cannot be reached or answers something unreadable
   */
  async fetchSnapshot(options: { readonly since: number }): Promise<VenueSnapshot> {
    if (!this.loaded) await this.load();
    return this.broker.reconciliation.fetchSnapshot(options);
  }

  /**
   * One order as the venue has it, asked by our wire id where the venue takes one (Binance
   * `origClientOrderId`), or by venue id; applies nothing.
   * @returns undefined only when the venue says it does not know the order
   * @throws KestrelError when the venue could not be asked (network, 5xx, 429), which proves nothing
   */
  async queryOrder(order: Order): Promise<VenueOrderState | undefined> {
    if (!this.loaded) await this.load();
    return this.broker.reconciliation.fetchOrderState(order);
  }

  /** Runs a resync now (open orders, status queries, fills since the last seen, balances) */
  resync(): Promise<void> {
    return this.broker.stream.resync('requested');
  }

  /** Tears the account stream down and resubscribes (a resync follows) */
  reconnect(reason = 'requested'): void {
    this.accountStream?.restart(reason);
  }

  stats(): CcxtVenueStats {
    return {
      accountReconnects: this.accountStream?.reconnects ?? 0,
      marketReconnects: this.market.reconnects,
      accountConnected: this.accountStream?.isConnected ?? false,
      marketConnected: this.market.isConnected,
      strayRejections: this.strays,
      rateLimited: this.gate.limited,
    };
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.resyncTimer?.cancel();
      await this.accountStream?.stop();
      await this.market.stop();
      this.broker.stop();
      await this.privateExchange.shutdown().catch(() => {});
      await this.publicExchange.shutdown().catch(() => {});
      await this.rateLimit?.close();
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
