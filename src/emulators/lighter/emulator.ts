import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchesSymbol, snapPrice, snapSize } from '../../core/instrument.ts';
import type { Level, MarketDataSource, MarketEvent } from '../../core/market-data.ts';
import type { Side } from '../../core/order.ts';
import { createRandom } from '../../core/random.ts';
import type { Clock, Timer } from '../../engine/clock.ts';
import { systemClock } from '../../engine/clock.ts';
import { ORDER } from '../../venues/lighter/crypto/curve.ts';
import { privateKeyFromBytes, publicKeyOf } from '../../venues/lighter/crypto/schnorr.ts';
import type { SimVenue } from '../../venues/sim/sim-venue.ts';
import { snapLevels } from '../public-market.ts';
import type {
  EmulatorApiKey,
  LighterEmulatorApiKeySpec,
  LighterExecution,
  LighterOrderRecord,
} from './exchange.ts';
import { LighterExchange } from './exchange.ts';
import { LighterFaults } from './faults.ts';
import type { EmulatorMarket, LighterEmulatorMarketSpec } from './markets.ts';
import { DEFAULT_LIGHTER_MARKETS, toEmulatorMarket } from './markets.ts';
import type { TxRequestRecord } from './rest-api.ts';
import { createRestHandler } from './rest-api.ts';
import { LighterStream } from './stream.ts';

/** The account the emulator accepts when started without one (printed by `kestrel emulate`) */
export const LIGHTER_EMULATOR_ACCOUNT_INDEX = 100_001;
/** User API keys are 3..254 (0-2 are the venue's own apps) */
export const LIGHTER_EMULATOR_API_KEY_INDEX = 3;
/** Testnet's chain id; signatures cover it */
export const LIGHTER_EMULATOR_CHAIN_ID = 300;
/**
 * A valid API key pair generated with the official signer for local use only: the emulator
 * serves the public key from `/api/v1/apikeys`; clients sign with the private key. It guards
 * nothing and must never be used on a real venue.
 */
export const LIGHTER_EMULATOR_PUBLIC_KEY =
  '0x6629b46c417953c8fcc7aab120c9c3c6cbe98b5ef045fa69ac2a99eec24e0193bc4719402ff7b653';
export const LIGHTER_EMULATOR_PRIVATE_KEY =
  '0x0b2def9a2007ff5937fa2894dd7c2f79707d53aa86329b848ddd0f2d1bec43a5b28ea3dccdf9b770';

/** A key pair as 0x-hex: the private key clients sign with, the public key the venue registers */
export interface LighterKeyPair {
  readonly privateKey: string;
  readonly publicKey: string;
}

/**
 * The emulator's well-known local key pair of an API key index: index 3's was generated with
 * the official signer (`LIGHTER_EMULATOR_PRIVATE_KEY`); every other index's private key is the
 * SHA-512 of `kestrel lighter emulator api key <index>` reduced to a scalar, so anyone can
 * rebuild it. They guard nothing and must never be used on a real venue.
 */
export function lighterEmulatorKey(apiKeyIndex: number): LighterKeyPair {
  if (apiKeyIndex === LIGHTER_EMULATOR_API_KEY_INDEX)
    return { privateKey: LIGHTER_EMULATOR_PRIVATE_KEY, publicKey: LIGHTER_EMULATOR_PUBLIC_KEY };
  const seed = createHash('sha512')
    .update(`kestrel lighter emulator api key ${apiKeyIndex}`)
    .digest()
    .subarray(0, 40);
  let scalar = privateKeyFromBytes(seed) % ORDER;
  const bytes = Buffer.alloc(40);
  for (let i = 0; i < 40; i++) {
    bytes[i] = Number(scalar & 0xffn);
    scalar >>= 8n;
  }
  const publicKey = publicKeyOf(privateKeyFromBytes(bytes));
  return { privateKey: `0x${bytes.toString('hex')}`, publicKey: `0x${publicKey.toString('hex')}` };
}

export interface LighterEmulatorOptions {
  /** 0 or absent: a random free port */
  readonly port?: number;
  /** 127.0.0.1 unless told */
  readonly host?: string;
  readonly accountIndex?: number;
  /** The account's first API key; default 3 */
  readonly apiKeyIndex?: number;
  /** The first key's public key; default its well-known one (`lighterEmulatorKey`) */
  readonly publicKey?: string;
  /**
   * More API keys of the account, each with its own public key and nonce sequence (a Lighter
   * account holds up to 252 user keys); more can be registered later with `registerApiKey`
   */
  readonly apiKeys?: readonly LighterEmulatorApiKeySpec[];
  readonly markets?: readonly LighterEmulatorMarketSpec[];
  /** USDC collateral of the account; default 100 000 */
  readonly balances?: number;
  /** Market data to replay into the public channels (and against resting orders) */
  readonly feed?: MarketDataSource;
  /** Replay pace: 1 is real time, 10 ten times faster; default 1 */
  readonly speed?: number;
  /** A seeded random-walk market when there is no feed: quotes every `intervalMs` */
  readonly synthetic?: { readonly intervalMs?: number; readonly volatility?: number };
  readonly clock?: Clock;
  readonly seed?: number;
  readonly chainId?: number;
  /** The first key's first nonce; default 0 */
  readonly startNonce?: number;
  /** Sequencer delay between accepting and executing a transaction, ms; default 5 */
  readonly executionDelayMs?: number;
  /** Idle WebSocket connections are closed after this, ms; default 120 000 as on the venue */
  readonly idleTimeoutMs?: number;
}

export interface LighterEmulator {
  /** HTTP base, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** WebSocket URL, e.g. ws://127.0.0.1:40123/stream */
  readonly wsUrl: string;
  readonly port: number;
  readonly accountIndex: number;
  /** The first API key */
  readonly apiKeyIndex: number;
  readonly chainId: number;
  /**
   * Registers an API key on the account (its public key defaults to the index's well-known
   * one); a registered index gets the new public key and keeps its nonce sequence.
   * @throws Error for an index outside 0..254 or a public key that is not a curve point
   */
  registerApiKey(spec: LighterEmulatorApiKeySpec): EmulatorApiKey;
  /** The account's API keys: index, public key, next nonce */
  apiKeys(): EmulatorApiKey[];
  /** The venue's ledger: positions, balances, live orders of the matching core */
  readonly venue: SimVenue;
  /**
   * Every transaction request received over REST or the stream, oldest first, with its
   * transactions' types and client order indexes and its answer (200, an HTTP status or a code)
   */
  readonly txRequests: readonly TxRequestRecord[];
  /** The emulated venue's own state (nonces, orders, transactions), for tests */
  readonly exchange: LighterExchange;
  readonly faults: LighterFaults;
  /** Sets a market's touch (market index or symbol); resting orders it crosses fill */
  setQuote(
    market: number | string,
    bid: number,
    ask: number,
    sizes?: { bid?: number; ask?: number },
  ): void;
  /** Sets a market's whole book, best levels first */
  setBook(market: number | string, bids: readonly Level[], asks: readonly Level[]): void;
  /** Prints a trade on the tape (side is the aggressor's); resting orders it trades through fill */
  printTrade(market: number | string, price: number, size: number, side?: Side): void;
  /**
   * Every execution of the account, oldest first: trade id, order index, client order index
   * (Kestrel's correlation key), side, quantity, price and the fee the ledger charged
   */
  executions(): LighterExecution[];
  /** Every order the venue placed for the account, live and done, with its client order index and status */
  orders(): LighterOrderRecord[];
  /** How many WebSocket clients are connected */
  connectionCount(): number;
  /**
   * Sends raw text frames, exactly as given, to every connected WebSocket client: malformed
   * input for the client's parsers. Returns how many clients were sent them.
   */
  injectFrames(frames: readonly string[]): number;
  /** Account pushes (orders, trades, positions, stats) as sent, oldest first; the latest 10 000 */
  readonly pushes: readonly Record<string, unknown>[];
  /** Stops the servers, the replay and every timer; idempotent */
  close(): Promise<void>;
}

/**
 * What `kestrel emulate lighter` prints on start: where the venue listens and the account it
 * accepts, with the environment a Kestrel client needs to trade against it. The private key is
 * the emulator's well-known local key, never a real one.
 */
export function describeLighterEmulator(emulator: LighterEmulator): string[] {
  const keys = emulator.apiKeys();
  return [
    `lighter emulator listening on ${emulator.url} (stream ${emulator.wsUrl})`,
    `account ${emulator.accountIndex}, chain ${emulator.chainId}`,
    ...keys.map((key) => `API key ${key.apiKeyIndex}: public key ${key.publicKey}`),
    `client environment: LIGHTER_URL=${emulator.url} LIGHTER_ACCOUNT_INDEX=${emulator.accountIndex} LIGHTER_API_KEY_INDEX=${keys.map((k) => k.apiKeyIndex).join(',')} LIGHTER_CHAIN_ID=${emulator.chainId} LIGHTER_API_PRIVATE_KEY=<the keys' well-known local private keys, comma-separated> (or LIGHTER_SIGNER=fake); against a 127.0.0.1 URL Kestrel fills in the well-known keys of LIGHTER_API_KEY_INDEX itself`,
    `faults: POST ${emulator.url}/_kestrel/faults/<operation>; API keys: POST ${emulator.url}/_kestrel/api-keys; market: POST ${emulator.url}/_kestrel/market/quote`,
  ];
}

function sleep(clock: Clock, ms: number, timers: Set<Timer>): Promise<void> {
  return new Promise((resolve) => {
    const timer = clock.setTimer(ms, () => {
      timers.delete(timer);
      resolve();
    });
    timers.add(timer);
  });
}

/**
 * Starts a local Lighter venue on 127.0.0.1: the REST API, the `/stream` WebSocket and the
 * `/_kestrel/...` control API on one port, over the sim matching core. It accepts the account
 * and API key it was started with; transactions signed by the official WASM signer (or Kestrel's
 * fake signer) pass its checks of fields, nonces and client order indexes.
 * @throws Error when the port cannot be bound
 */
export async function startLighterEmulator(
  options: LighterEmulatorOptions = {},
): Promise<LighterEmulator> {
  const clock = options.clock ?? systemClock;
  const markets: EmulatorMarket[] = (options.markets ?? DEFAULT_LIGHTER_MARKETS).map(
    toEmulatorMarket,
  );
  const accountIndex = options.accountIndex ?? LIGHTER_EMULATOR_ACCOUNT_INDEX;
  const apiKeyIndex = options.apiKeyIndex ?? LIGHTER_EMULATOR_API_KEY_INDEX;
  const chainId = options.chainId ?? LIGHTER_EMULATOR_CHAIN_ID;
  const keySpec = (spec: LighterEmulatorApiKeySpec) => ({
    apiKeyIndex: spec.apiKeyIndex,
    publicKey: spec.publicKey ?? lighterEmulatorKey(spec.apiKeyIndex).publicKey,
    nonce: spec.nonce ?? 0,
  });
  const exchange = new LighterExchange({
    markets,
    accountIndex,
    apiKeys: [
      keySpec({
        apiKeyIndex,
        ...(options.publicKey === undefined ? {} : { publicKey: options.publicKey }),
        nonce: options.startNonce ?? 0,
      }),
      ...(options.apiKeys ?? []).map(keySpec),
    ],
    collateral: options.balances ?? 100_000,
    clock,
    chainId,
    executionDelayMs: options.executionDelayMs ?? 5,
  });
  const registerApiKey = (spec: LighterEmulatorApiKeySpec): EmulatorApiKey => {
    const key = keySpec(spec);
    return exchange.registerApiKey(key.apiKeyIndex, key.publicKey, key.nonce);
  };
  let stream: LighterStream | undefined;
  const faults = new LighterFaults(
    {
      dropConnections: () => stream?.dropAll() ?? 0,
      expireAuthTokens: () => stream?.expireAccountSubscriptions() ?? 0,
      advanceNonce: (steps, key) => exchange.advanceNonce(key ?? apiKeyIndex, steps),
      hideCanceled: (ms) => exchange.hideCanceled(ms),
      hold: (held) => exchange.hold(held),
    },
    () => clock.now(),
  );
  const txRequests: TxRequestRecord[] = [];
  stream = new LighterStream({
    exchange,
    faults,
    clock,
    txRequests,
    idleTimeoutMs: options.idleTimeoutMs ?? 120_000,
  });

  const resolve = (ref: number | string): EmulatorMarket => exchange.resolveMarket(ref);
  const setBook = (ref: number | string, bids: readonly Level[], asks: readonly Level[]) => {
    const market = resolve(ref);
    const snap = (levels: readonly Level[]): Level[] =>
      snapLevels(market.instrument, levels).filter(([price, size]) => price > 0 && size > 0);
    exchange.setBook(market.spec.marketIndex, snap(bids), snap(asks));
  };
  const setQuote = (
    ref: number | string,
    bid: number,
    ask: number,
    sizes: { bid?: number; ask?: number } = {},
  ) => setBook(ref, [[bid, sizes.bid ?? 1]], [[ask, sizes.ask ?? 1]]);
  const printTrade = (ref: number | string, price: number, size: number, side: Side = 'BUY') => {
    const market = resolve(ref);
    exchange.printTrade(
      market.spec.marketIndex,
      snapPrice(market.instrument, price),
      snapSize(market.instrument, size),
      side,
    );
  };

  const handle = createRestHandler({
    exchange,
    faults,
    clock,
    txRequests,
    registerApiKey,
    setQuote: (market, bid, ask, bidSize, askSize) =>
      setQuote(market, bid, ask, {
        ...(bidSize === undefined ? {} : { bid: bidSize }),
        ...(askSize === undefined ? {} : { ask: askSize }),
      }),
    printTrade,
    state: () => ({
      accountIndex,
      apiKeyIndex,
      chainId,
      nextNonce: exchange.nextNonce(apiKeyIndex),
      apiKeys: exchange.apiKeys(),
      activeOrders: exchange.activeOrders().length,
      transactions: exchange.acceptedTransactions().length,
      balances: exchange.venue.getBalances(),
      positions: exchange.venue.getPositions().map((p) => ({
        symbol: p.instrument.symbol,
        quantity: p.quantity,
        averagePrice: p.averagePrice,
      })),
      connections: stream?.connectionCount ?? 0,
    }),
  });
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ code: 500, message: (error as Error).message }));
    });
  });
  server.on('upgrade', (request, socket, head) => stream?.handleUpgrade(request, socket, head));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => ready());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';

  let closed = false;
  const timers = new Set<Timer>();

  const apply = (event: MarketEvent, market: EmulatorMarket) => {
    switch (event.type) {
      case 'quote':
        setBook(
          market.spec.marketIndex,
          [[event.bid, event.bidSize]],
          [[event.ask, event.askSize]],
        );
        return;
      case 'trade':
        printTrade(market.spec.marketIndex, event.price, event.size, event.side);
        return;
      case 'book':
        setBook(market.spec.marketIndex, event.bids, event.asks);
        return;
    }
  };
  const marketOf = (event: MarketEvent): EmulatorMarket | undefined =>
    markets.find(
      (m) =>
        m.instrument.symbol === event.instrument.symbol ||
        matchesSymbol(m.instrument, event.instrument.base),
    );

  const feed = options.feed;
  if (feed !== undefined) {
    const speed = options.speed ?? 1;
    // The replay ends by itself once closed; close() does not wait on a feed that may never answer
    void (async () => {
      let origin: { readonly event: number; readonly wall: number } | undefined;
      for (
        let batch = await feed.next();
        batch !== undefined && !closed;
        batch = await feed.next()
      ) {
        for (const event of batch) {
          if (closed) break;
          const market = marketOf(event);
          if (market === undefined) continue;
          origin ??= { event: event.time, wall: clock.now() };
          const wait = origin.wall + (event.time - origin.event) / speed - clock.now();
          if (wait > 1) await sleep(clock, wait, timers);
          if (!closed) apply(event, market);
        }
      }
    })().catch(() => {});
  } else if (options.synthetic !== undefined) {
    const random = createRandom(options.seed ?? 1);
    const interval = options.synthetic.intervalMs ?? 250;
    const sigma = options.synthetic.volatility ?? 0.0002;
    const mids = new Map(markets.map((m) => [m.spec.marketIndex, m.spec.lastTradePrice ?? 100]));
    const step = () => {
      if (closed) return;
      for (const market of markets) {
        const index = market.spec.marketIndex;
        const mid = (mids.get(index) ?? 100) * Math.exp(sigma * random.normal());
        mids.set(index, mid);
        const tick = market.instrument.tickSize;
        const size = () =>
          snapSize(market.instrument, market.spec.minBaseAmount * (1 + random.integer(0, 40)));
        setQuote(index, mid - tick, mid + tick, { bid: size(), ask: size() });
        if (random.next() < 0.3)
          printTrade(
            index,
            random.next() < 0.5 ? mid - tick : mid + tick,
            size(),
            random.next() < 0.5 ? 'BUY' : 'SELL',
          );
      }
      const timer = clock.setTimer(interval, () => {
        timers.delete(timer);
        step();
      });
      timers.add(timer);
    };
    step();
  }

  return {
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}/stream`,
    port,
    accountIndex,
    apiKeyIndex,
    chainId,
    registerApiKey,
    apiKeys: () => exchange.apiKeys(),
    venue: exchange.venue,
    txRequests,
    exchange,
    faults,
    setQuote,
    setBook,
    printTrade,
    executions: () => exchange.executions(),
    orders: () => exchange.orders(),
    connectionCount: () => stream?.connectionCount ?? 0,
    injectFrames: (frames) => stream?.sendRaw(frames) ?? 0,
    get pushes() {
      return stream?.pushes ?? [];
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) timer.cancel();
      timers.clear();
      exchange.close();
      stream?.close();
      await feed?.close?.();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}
