import type { Balance } from '../../core/balance.ts';
import { KestrelError } from '../../core/errors.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { Quote } from '../../core/market-data.ts';
import type { Clock, Timer } from '../../engine/clock.ts';
import type { Logger } from '../../engine/logger.ts';
import type { VenueConnection, VenueStartOptions } from '../../engine/venue.ts';
import { LighterAccountStream } from './account-stream.ts';
import { AuthTokens } from './auth-tokens.ts';
import { clientOrderIndexOf, LighterBroker } from './broker.ts';
import type { ClientOrderIndexAllocator } from './client-order-index.ts';
import { createClientOrderIndexAllocator, ownerSlotOfIndex } from './client-order-index.ts';
import type { LighterVenueConfig } from './config.ts';
import { LIGHTER_ERROR } from './constants.ts';
import { createFakeSigner } from './fake-signer.ts';
import type { LighterKeyStats } from './key-pool.ts';
import { LighterKeyPool } from './key-pool.ts';
import { LighterMarketStream } from './market-stream.ts';
import type { LighterMarket } from './markets.ts';
import { toLighterMarket } from './markets.ts';
import { NonceManager } from './nonce-manager.ts';
import { LighterOrderRegistry } from './order-registry.ts';
import type { LighterPositionView } from './parsers.ts';
import { toBalance } from './parsers.ts';
import { LighterReconciliation } from './reconciliation.ts';
import { checkRegisteredKeys } from './registered-keys.ts';
import { LighterRestClient } from './rest-client.ts';
import type { LighterSigner } from './signer.ts';
import { createWasmSigners } from './wasm-signer.ts';
import { LighterSocket } from './ws-client.ts';
import type { RoutedFrame } from './ws-frames.ts';
import { parseChannel, routeFrame } from './ws-frames.ts';

export interface LighterVenueDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Signers to use instead of the ones the config names (tests), one per configured API key in
   * the config's order; the venue does not close them
   */
  readonly signer?: LighterSigner | readonly LighterSigner[];
  /** A persisted last client order index to continue after (the journal's restore hook) */
  readonly lastClientOrderIndex?: number;
}

/** What a running Lighter connection has been through, for smoke reports and tests */
export interface LighterVenueStats {
  readonly signer: string;
  readonly connected: boolean;
  readonly reconnects: number;
  readonly resyncs: number;
  readonly bookGaps: number;
  readonly nonceResyncs: number;
  readonly authTokens: number;
  readonly unconfirmedOrders: number;
  /** Each API key's transactions and nonce sequence, in the config's order */
  readonly keys: readonly LighterKeyStats[];
}

/** A Lighter VenueConnection, with what only Lighter has */
export interface LighterVenue extends VenueConnection {
  readonly broker: LighterBroker;
  readonly config: LighterVenueConfig;
  /** Client order indexes: `lastAllocated` to persist, `restore` after a restart */
  readonly clientOrderIndexes: ClientOrderIndexAllocator;
  /** The market behind an instrument (its index and wire decimals) */
  market(instrument: Instrument): LighterMarket | undefined;
  /** The last touch of a streamed instrument */
  quote(instrument: Instrument): Quote | undefined;
  /** The venue's own positions by symbol (sign × size), as last streamed */
  positions(): ReadonlyMap<string, LighterPositionView>;
  /** Runs a REST resync now (it also runs after every reconnect) */
  resync(): Promise<void>;
  stats(): LighterVenueStats;
}

interface PendingAck {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

const ACK_TIMEOUT_MS = 10_000;

/**
 * Creates the Lighter venue: its broker (usable by a TradingManager at once), `load()` for the
 * markets and the signer (the official WASM signer unless the config says `fake`), and `start()`
 * for the WebSocket: account channels with an auth token, market channels for the instruments
 * asked for, and a REST resync after every (re)connect before the stream counts as up.
 */
export function createLighterVenue(
  config: LighterVenueConfig,
  deps: LighterVenueDeps,
): LighterVenue {
  const { clock, logger } = deps;
  const exchange = config.exchange;
  const rest = new LighterRestClient({
    baseUrl: config.url,
    clock,
    timeoutMs: config.requestTimeoutMs,
    logger,
  });
  const registry = new LighterOrderRegistry();
  const allocator = createClientOrderIndexAllocator({
    clock,
    ...(deps.lastClientOrderIndex === undefined
      ? {}
      : { lastAllocated: deps.lastClientOrderIndex }),
  });
  const bySymbol = new Map<string, LighterMarket>();
  const byIndex = new Map<number, LighterMarket>();
  let instruments: Instrument[] = [];
  let signers: readonly LighterSigner[] | undefined;
  let ownSigners = false;
  let keys: LighterKeyPool | undefined;
  let tokens: AuthTokens | undefined;
  let accountStream: LighterAccountStream | undefined;
  let marketStream: LighterMarketStream | undefined;
  let socket: LighterSocket | undefined;
  let refreshTimer: Timer | undefined;
  const pendingAcks = new Map<string, PendingAck>();
  let stopped = false;

  const broker = new LighterBroker({
    exchange,
    clock,
    logger,
    rest,
    registry,
    allocator,
    maxBatchSize: config.maxBatchSize,
    marketSlippage: config.marketSlippage,
    checkTxHash: config.checkTxHash,
    txTtlMs: config.txTtlMs,
    market: (symbol) => bySymbol.get(symbol),
    keys: () => keys,
    quote: (index) => marketStream?.quote(index),
    watch: (clientIds) => accountStream?.watch(clientIds),
  });

  const reconciliation = new LighterReconciliation({
    exchange,
    accountIndex: config.accountIndex,
    rest,
    registry,
    market: (index) => byIndex.get(index),
    marketOf: (instrument) =>
      instrument.exchange === exchange ? bySymbol.get(instrument.symbol) : undefined,
    token: () => {
      if (tokens === undefined)
        throw new KestrelError('INVALID_CONFIG', 'lighter: account queried before load()');
      return tokens.token();
    },
    clock,
    logger,
    txTtlMs: config.txTtlMs,
    queryRetryMs: config.queryRetryMs,
  });

  /** The configured signers: the deps' (not ours to close), else the config's kind, one per key */
  const startSigners = async (): Promise<readonly LighterSigner[]> => {
    const given = deps.signer;
    if (given !== undefined) return 'kind' in given ? [given] : given;
    ownSigners = true;
    if (config.signer === 'fake')
      return config.apiKeys.map((key) =>
        createFakeSigner({
          privateKey: key.privateKey,
          accountIndex: config.accountIndex,
          apiKeyIndex: key.apiKeyIndex,
          chainId: config.chainId,
          clock,
        }),
      );
    return createWasmSigners({
      keys: config.apiKeys,
      accountIndex: config.accountIndex,
      chainId: config.chainId,
      clock,
    });
  };

  const failAcks = (error: Error) => {
    for (const [key, ack] of pendingAcks) {
      pendingAcks.delete(key);
      ack.reject(error);
    }
  };

  const onError = (frame: RoutedFrame) => {
    const envelope = frame.envelope;
    const code = envelope.error?.code ?? envelope.code;
    const message = envelope.error?.message ?? envelope.message ?? '';
    if (code === LIGHTER_ERROR.WS_ALREADY_SUBSCRIBED) return;
    logger.warn('lighter stream error frame', { code, message });
    const refused = new KestrelError(
      'VENUE_REJECTED',
      `lighter subscribe refused: ${code} ${message}`,
      {
        ...(code === undefined ? {} : { venueCode: String(code) }),
      },
    );
    const named = [...pendingAcks.keys()].find((key) => message.includes(key));
    if (named !== undefined) {
      pendingAcks.get(named)?.reject(refused);
      pendingAcks.delete(named);
      return;
    }
    // Auth errors (200xx) concern the account channels still waiting for their snapshot
    if (pendingAcks.size > 0 && code !== undefined && code >= 20_000 && code < 20_100) {
      failAcks(refused);
      return;
    }
    if (code === LIGHTER_ERROR.WS_AUTH_EXPIRED) {
      tokens?.invalidate();
      socket?.reconnect('auth token expired on a live subscription');
    }
  };

  /** Counts a refused frame (through the sink once connected) and logs it */
  const refused = (description: string, fields: Readonly<Record<string, unknown>>) => {
    if (broker.isConnected) broker.sink.refused(description, fields);
    else logger.warn(`venue input refused: ${description}`, fields);
  };

  const onFrame = (payload: unknown) => {
    const frame = routeFrame(payload);
    if (frame === undefined) {
      refused('lighter frame that is not a message envelope', {
        frame: JSON.stringify(payload)?.slice(0, 200),
      });
      return;
    }
    try {
      switch (frame.kind) {
        case 'error':
          onError(frame);
          return;
        case 'account_orders':
        case 'account_trades':
        case 'account_positions':
        case 'user_stats': {
          if (frame.snapshot && frame.channel !== undefined) {
            const key = [frame.channel.name, ...frame.channel.ids].join(':');
            const ack = pendingAcks.get(key);
            pendingAcks.delete(key);
            ack?.resolve();
          }
          // Before the sink is connected there is nobody to tell; the resync catches up
          if (broker.isConnected) accountStream?.onFrame(frame, payload);
          return;
        }
        case 'order_book':
        case 'trade':
          marketStream?.onFrame(frame, payload);
          return;
        case 'other':
          refused('lighter frame of a type Kestrel does not know', { type: frame.envelope.type });
          return;
        default:
          return;
      }
    } catch (error) {
      refused(`lighter ${frame.kind} frame`, { error });
    }
  };

  const subscribeAll = async (): Promise<void> => {
    if (socket === undefined || tokens === undefined || accountStream === undefined) return;
    const auth = await tokens.token();
    const acks: Promise<void>[] = [];
    failAcks(
      new KestrelError(
        'VENUE_UNAVAILABLE',
        'lighter stream: reconnected before the subscriptions were confirmed',
      ),
    );
    for (const channel of accountStream.channels()) {
      const { name, ids } = parseChannel(channel);
      const key = [name, ...ids].join(':');
      acks.push(new Promise<void>((resolve, reject) => pendingAcks.set(key, { resolve, reject })));
      socket.send({ type: 'subscribe', channel, auth });
    }
    for (const channel of marketStream?.channels() ?? [])
      socket.send({ type: 'subscribe', channel });
    let timer: Timer | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = clock.setTimer(ACK_TIMEOUT_MS, () =>
        reject(new KestrelError('TIMEOUT', 'lighter stream: subscriptions not confirmed in time')),
      );
    });
    try {
      await Promise.race([Promise.all(acks), timeout]);
    } finally {
      timer?.cancel();
    }
  };

  const armRefresh = () => {
    refreshTimer?.cancel();
    const at = tokens?.refreshAtMs;
    if (at === undefined || stopped) return;
    refreshTimer = clock.setTimer(Math.max(1_000, at - clock.now()), () =>
      socket?.reconnect('auth token refresh'),
    );
  };

  const onOpen = async (): Promise<void> => {
    marketStream?.reset();
    await subscribeAll();
    await accountStream?.resync('connected');
    armRefresh();
    if (broker.isConnected) broker.sink.streamStatus(true);
  };

  const venue: LighterVenue = {
    exchange,
    // The account index names the journal: public, and the same across API keys
    account: String(config.accountIndex),
    broker,
    config,
    clientOrderIndexes: allocator,
    sharing: {
      // Nonces are per API key: two processes signing with one key would spend each other's
      exclusiveKeys: config.apiKeys.map((key) => `lighter API key index ${key.apiKeyIndex}`),
      useOwnerSlot: (slot) => allocator.useOwnerSlot(slot),
      ownerSlotOf: (key) => {
        const index = clientOrderIndexOf(key);
        return index === undefined ? undefined : ownerSlotOfIndex(index);
      },
    },
    get instruments() {
      return instruments;
    },

    async load() {
      const details = await rest.orderBookDetails();
      bySymbol.clear();
      byIndex.clear();
      for (const detail of details) {
        if (detail.status !== 'active') continue;
        if (config.symbols !== undefined && !config.symbols.includes(detail.symbol)) continue;
        try {
          const market = toLighterMarket(detail, exchange);
          bySymbol.set(market.instrument.symbol, market);
          byIndex.set(market.marketIndex, market);
        } catch (error) {
          logger.warn('lighter market skipped: metadata makes no valid instrument', {
            symbol: detail.symbol,
            error,
          });
        }
      }
      if (bySymbol.size === 0)
        throw new KestrelError('INVALID_DATA', 'lighter orderBookDetails listed no usable market');
      instruments = [...bySymbol.values()].map((m) => m.instrument);
      // Each key is the account's before anything is signed with it
      if (signers === undefined)
        await checkRegisteredKeys(rest, config.accountIndex, config.apiKeys);
      signers ??= await startSigners();
      const indexes = config.apiKeys.map((key) => key.apiKeyIndex);
      if (
        signers.length !== indexes.length ||
        signers.some(
          (signer, i) =>
            signer.accountIndex !== config.accountIndex ||
            signer.apiKeyIndex !== indexes[i] ||
            signer.chainId !== config.chainId,
        )
      ) {
        throw new KestrelError(
          'INVALID_CONFIG',
          'lighter: the signers sign for another account, API keys or chain than the config',
        );
      }
      keys = new LighterKeyPool(
        signers.map((signer) => ({
          signer,
          nonces: new NonceManager({
            accountIndex: config.accountIndex,
            apiKeyIndex: signer.apiKeyIndex,
            fetchNext: () => rest.nextNonce(config.accountIndex, signer.apiKeyIndex),
            logger,
          }),
        })),
      );
      // The stream's token: any key of the account reads it, the first signs it
      tokens = new AuthTokens({ signer: keys.first.signer, clock, ttlMs: config.authTokenTtlMs });
    },

    async start(options: VenueStartOptions) {
      if (tokens === undefined)
        throw new KestrelError('INVALID_CONFIG', 'lighter: start() before load()');
      if (!broker.isConnected)
        throw new KestrelError(
          'INVALID_CONFIG',
          'lighter: start() before a TradingManager connected the broker',
        );
      stopped = false;
      const wanted = options.instruments
        .map((i) => (i.exchange === exchange ? bySymbol.get(i.symbol) : undefined))
        .filter((m): m is LighterMarket => m !== undefined);
      accountStream = new LighterAccountStream({
        exchange,
        accountIndex: config.accountIndex,
        market: (index) => byIndex.get(index),
        registry,
        sink: () => broker.sink,
        rest,
        tokens,
        clock,
        logger,
        recheckMs: config.recheckMs,
        resendCancel: (clientId) => broker.resendCancel(clientId),
      });
      marketStream = new LighterMarketStream({
        markets: wanted,
        clock,
        logger,
        onMarket: options.onMarket,
        resubscribe: (channel) => {
          socket?.send({ type: 'unsubscribe', channel });
          socket?.send({ type: 'subscribe', channel });
        },
      });
      socket = new LighterSocket({
        url: config.wsUrl,
        clock,
        logger,
        pingIntervalMs: config.pingIntervalMs,
        staleAfterMs: config.staleAfterMs,
        reconnectInitialMs: config.reconnectInitialMs,
        reconnectMaxMs: config.reconnectMaxMs,
        onOpen,
        onFrame,
        onUnreadable: (text) =>
          refused('lighter frame that is not JSON', { frame: text.slice(0, 200) }),
        onDown: (reason) => {
          failAcks(new KestrelError('VENUE_UNAVAILABLE', `lighter stream down: ${reason}`));
          if (broker.isConnected) broker.sink.streamStatus(false);
          logger.warn('lighter stream down', { reason });
        },
      });
      await socket.start();
    },

    async fetchBalances(): Promise<Balance[]> {
      return [toBalance(await rest.account(config.accountIndex))];
    },

    fetchSnapshot: ({ since }) => reconciliation.snapshot(since),
    queryOrder: (order) => reconciliation.queryOrder(order),

    async stop() {
      stopped = true;
      refreshTimer?.cancel();
      socket?.stop();
      accountStream?.stop();
      failAcks(new KestrelError('VENUE_UNAVAILABLE', 'lighter venue stopped'));
      if (ownSigners) {
        // Nothing signs after a stop (a send finds no key and is refused unsent)
        keys = undefined;
        await Promise.all((signers ?? []).map((signer) => signer.close()));
        signers = undefined;
      }
    },

    market: (instrument) =>
      instrument.exchange === exchange ? bySymbol.get(instrument.symbol) : undefined,
    quote(instrument) {
      const market = venue.market(instrument);
      return market === undefined ? undefined : marketStream?.quote(market.marketIndex);
    },
    positions() {
      const out = new Map<string, LighterPositionView>();
      for (const [index, position] of accountStream?.positions() ?? []) {
        out.set(byIndex.get(index)?.instrument.symbol ?? String(index), position);
      }
      return out;
    },
    async resync() {
      await accountStream?.resync('requested');
    },
    stats() {
      return {
        signer: signers?.[0]?.kind ?? 'none',
        connected: socket?.isOpen ?? false,
        reconnects: socket?.reconnects ?? 0,
        resyncs: accountStream?.resyncCount ?? 0,
        bookGaps: marketStream?.gaps ?? 0,
        nonceResyncs: (keys?.stats() ?? []).reduce((sum, key) => sum + key.nonceResyncs, 0),
        authTokens: tokens?.createdCount ?? 0,
        unconfirmedOrders: accountStream?.watchedCount ?? 0,
        keys: keys?.stats() ?? [],
      };
    },
  };
  return venue;
}
