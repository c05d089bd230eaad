import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { ApplyResult } from '../../../src/core/account.ts';
import type { AccountEvent } from '../../../src/core/events.ts';
import { createClientIdGenerator } from '../../../src/core/ids.ts';
import type { Instrument } from '../../../src/core/instrument.ts';
import type { MarketEvent } from '../../../src/core/market-data.ts';
import type { OrderChange } from '../../../src/core/order.ts';
import type {
  LighterEmulator,
  LighterEmulatorOptions,
} from '../../../src/emulators/lighter/index.ts';
import {
  LIGHTER_EMULATOR_ACCOUNT_INDEX,
  LIGHTER_EMULATOR_API_KEY_INDEX,
  LIGHTER_EMULATOR_CHAIN_ID,
  LIGHTER_EMULATOR_PRIVATE_KEY,
  lighterEmulatorKey,
  startLighterEmulator,
} from '../../../src/emulators/lighter/index.ts';
import type { CreateTx } from '../../../src/emulators/lighter/tx.ts';
import { AccountProcessor } from '../../../src/engine/account-processor.ts';
import type { Clock } from '../../../src/engine/clock.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { HealthMonitor } from '../../../src/engine/health-monitor.ts';
import { createMemoryLogger } from '../../../src/engine/logger.ts';
import { TradingManager } from '../../../src/engine/trading-manager.ts';
import type { RunReport } from '../../../src/runtime/backtest.ts';
import { type LiveOptions, runLive } from '../../../src/runtime/live.ts';
import type { StrategyContext } from '../../../src/runtime/strategy.ts';
import type {
  LighterVenueConfig,
  LoadLighterConfigOptions,
} from '../../../src/venues/lighter/config.ts';
import { loadLighterConfig } from '../../../src/venues/lighter/config.ts';
import { ORDER_TYPE, TIME_IN_FORCE } from '../../../src/venues/lighter/constants.ts';
import { createFakeSigner } from '../../../src/venues/lighter/fake-signer.ts';
import { toBaseAmount, toPriceUnits } from '../../../src/venues/lighter/markets.ts';
import { LighterRestClient } from '../../../src/venues/lighter/rest-client.ts';
import type { LighterSigner } from '../../../src/venues/lighter/signer.ts';
import type { LighterVenue } from '../../../src/venues/lighter/venue.ts';
import { createLighterVenue } from '../../../src/venues/lighter/venue.ts';
import { createWasmSigner, createWasmSigners } from '../../../src/venues/lighter/wasm-signer.ts';
import { until } from '../../helpers/wait.ts';

export interface HarnessOptions {
  /** The signers the venue uses, one per key; the config's fake signers when absent */
  readonly signer?: LighterSigner | readonly LighterSigner[];
  /**
   * The API key indexes the venue signs with (default the emulator's first key), each with its
   * well-known local key; the emulator registers those it does not have yet
   */
  readonly keys?: readonly number[];
  readonly emulator?: LighterEmulatorOptions;
  readonly overrides?: LoadLighterConfigOptions['overrides'];
  readonly clock?: Clock;
  /** Start the stream (default true) */
  readonly start?: boolean;
}

/** One account change as strategy callbacks see it */
export interface Change {
  readonly clientId: string;
  readonly change: OrderChange | undefined;
  readonly status: string;
}

/**
 * The live Lighter path end to end on 127.0.0.1: a local emulator, the Lighter venue (REST,
 * WebSocket, signer) and a TradingManager over an AccountProcessor, all on the system clock.
 * Fast reconnects and status checks so fault tests stay short.
 */
export async function startHarness(options: HarnessOptions = {}) {
  const clock = options.clock ?? systemClock;
  const emulator: LighterEmulator = await startLighterEmulator({ ...options.emulator });
  const keys = options.keys ?? [emulator.apiKeyIndex];
  for (const apiKeyIndex of keys)
    if (emulator.exchange.nextNonce(apiKeyIndex) === undefined)
      emulator.registerApiKey({ apiKeyIndex });
  const config: LighterVenueConfig = loadLighterConfig({
    url: emulator.url,
    accountIndex: emulator.accountIndex,
    apiKeyIndex: keys,
    chainId: emulator.chainId,
    signer: 'fake',
    privateKey: keys.map((index) => lighterEmulatorKey(index).privateKey),
    env: {},
    overrides: {
      reconnectInitialMs: 20,
      reconnectMaxMs: 200,
      recheckMs: 100,
      requestTimeoutMs: 15_000,
      ...options.overrides,
    },
  });
  const logger = createMemoryLogger('debug');
  const venue: LighterVenue = createLighterVenue(config, {
    clock,
    logger,
    ...(options.signer === undefined ? {} : { signer: options.signer }),
  });
  await venue.load();
  const account = new AccountProcessor({ exchange: venue.exchange, clock, logger });
  const health = new HealthMonitor({ clock });
  const trading = new TradingManager({
    brokers: [venue.broker],
    account,
    clock,
    health,
    logger,
    ids: createClientIdGenerator({ instanceTag: 'lt', counterStart: 0 }),
    verdictTimeoutMs: 30_000,
  });
  const changes: Change[] = [];
  const events: AccountEvent[] = [];
  account.subscribe((result: ApplyResult, event: AccountEvent) => {
    events.push(event);
    if (result.outcome === 'applied' && result.order !== undefined) {
      changes.push({
        clientId: result.order.clientId,
        change: result.change,
        status: result.order.status,
      });
    }
  });
  const market: MarketEvent[] = [];
  if (options.start !== false) {
    await venue.start({ instruments: venue.instruments, onMarket: (event) => market.push(event) });
  }
  const instrument = (symbol: string): Instrument => {
    const found = venue.instruments.find((i) => i.symbol === symbol);
    if (found === undefined) throw new Error(`no instrument ${symbol}`);
    return found;
  };
  return {
    emulator,
    venue,
    config,
    account,
    health,
    trading,
    logger,
    changes,
    events,
    market,
    instrument,
    async close() {
      await venue.stop();
      await emulator.close();
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

/**
 * A Lighter venue over the emulator for runLive (the fake signer, ETH only, quick reconnects and
 * order checks), as a restarted run builds it
 */
export function runVenue(
  emulator: LighterEmulator,
  logger: ReturnType<typeof createMemoryLogger>,
): LighterVenue {
  const config = loadLighterConfig({
    url: emulator.url,
    accountIndex: emulator.accountIndex,
    apiKeyIndex: emulator.apiKeyIndex,
    chainId: emulator.chainId,
    signer: 'fake',
    privateKey: LIGHTER_EMULATOR_PRIVATE_KEY,
    env: {},
    overrides: {
      reconnectInitialMs: 20,
      reconnectMaxMs: 200,
      recheckMs: 100,
      queryRetryMs: 200,
      symbols: ['ETH'],
    },
  });
  return createLighterVenue(config, { clock: systemClock, logger });
}

/**
 * What a restart test runs on: an emulator quoting ETH 2000 / 2001 and a journal path in a fresh
 * temporary folder, both gone after the test
 */
export async function startRestartBed(
  t: TestContext,
  name: string,
): Promise<{ readonly emulator: LighterEmulator; readonly journalPath: string }> {
  const dir = mkdtempSync(join(tmpdir(), `kestrel-lighter-${name}-`));
  const emulator = await startLighterEmulator({});
  t.after(async () => {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  });
  emulator.setQuote('ETH', 2000, 2001, { bid: 5, ask: 5 });
  return { emulator, journalPath: join(dir, 'journal.sqlite') };
}

/**
 * One process's life in a restart test: a live run on ETH over the journal, with the periodic
 * snapshot diff off (only startup reconciliation and order checks speak); the clock is the
 * system's unless given, and `reconcile` adds to the snapshot setting
 */
export function runOnJournal(
  options: Omit<LiveOptions, 'symbols' | 'clock'> & { readonly clock?: Clock },
): Promise<RunReport> {
  return runLive({
    symbols: ['ETH'],
    clock: systemClock,
    ...options,
    reconcile: { snapshotIntervalMs: 0, ...options.reconcile },
  });
}

/**
 * A restart test's first life: a run on the journal whose strategy does `work` at start and then
 * dies as a killed process does (its stream, order checks and signer stop; nothing is canceled).
 * Returns the run's logger
 */
export async function runThenDie(
  bed: { readonly emulator: LighterEmulator; readonly journalPath: string },
  name: string,
  work: (ctx: StrategyContext) => Promise<void>,
): Promise<ReturnType<typeof createMemoryLogger>> {
  const logger = createMemoryLogger('debug');
  const venue = runVenue(bed.emulator, logger);
  const abort = new AbortController();
  await runOnJournal({
    strategy: {
      name,
      async onStart(ctx) {
        await work(ctx);
        await venue.stop();
        abort.abort();
      },
    },
    venue,
    logger,
    journalPath: bed.journalPath,
    signal: abort.signal,
    settleMs: 100,
  });
  return logger;
}

/**
 * Runs a test on a fresh harness with an ETH (2000 / 2001) and a BTC (64000 / 64000.5) touch,
 * then checks that nothing was logged as an error and every venue event matched an order
 */
export async function withHarness(
  run: (h: Harness) => Promise<void>,
  options: HarnessOptions = {},
): Promise<void> {
  const h = await startHarness(options);
  try {
    h.emulator.setQuote('ETH', 2000, 2001, { bid: 5, ask: 5 });
    h.emulator.setQuote('BTC', 64000, 64000.5, { bid: 1, ask: 1 });
    await until(() => {
      const quote = h.venue.quote(h.instrument('ETH'));
      return quote?.bid === 2000 && quote.ask === 2001;
    }, 'the ETH quote');
    await run(h);
    const troubles = h.logger.records.filter(
      (r) => r.level === 'error' || r.message === 'account refused event',
    );
    assert.deepEqual(troubles, [], 'no errors, and every venue event matched an order');
  } finally {
    await h.close();
  }
}

/** The create transactions the emulator accepted, in order */
export const creates = (h: Harness): CreateTx[] =>
  h.emulator.exchange.acceptedTransactions().filter((t): t is CreateTx => t.txType === 14);

/** The real WASM signer with the emulator's account and key (takes ~250 ms to start) */
export function emulatorWasmSigner(): Promise<LighterSigner> {
  return createWasmSigner({
    privateKey: LIGHTER_EMULATOR_PRIVATE_KEY,
    accountIndex: LIGHTER_EMULATOR_ACCOUNT_INDEX,
    apiKeyIndex: LIGHTER_EMULATOR_API_KEY_INDEX,
    chainId: LIGHTER_EMULATOR_CHAIN_ID,
    clock: systemClock,
  });
}

/**
 * The real WASM signer for several of the emulator account's keys, one worker for all; each
 * key signs with `privateKeys[i]` when given (a wrong key), else its well-known local key
 */
export function emulatorWasmSigners(
  keys: readonly number[],
  privateKeys: readonly (string | undefined)[] = [],
): Promise<LighterSigner[]> {
  return createWasmSigners({
    keys: keys.map((apiKeyIndex, i) => ({
      apiKeyIndex,
      privateKey: privateKeys[i] ?? lighterEmulatorKey(apiKeyIndex).privateKey,
    })),
    accountIndex: LIGHTER_EMULATOR_ACCOUNT_INDEX,
    chainId: LIGHTER_EMULATOR_CHAIN_ID,
    clock: systemClock,
  });
}

export { sleep, until } from '../../helpers/wait.ts';

export interface ForeignOrder {
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly size: number;
  readonly price: number;
  /** Someone else's client order index; 0 for none */
  readonly clientOrderIndex?: number;
  readonly ioc?: boolean;
}

/**
 * Places an order on the emulator's account as another client would (a second process on the
 * same API key, the web UI): signed by its own fake signer, with its own client order index,
 * at the venue's next nonce. Kestrel's broker never heard of it.
 */
export async function placeForeignOrder(emulator: LighterEmulator, order: ForeignOrder) {
  const market = emulator.exchange.resolveMarket(order.symbol);
  const signer = createFakeSigner({
    privateKey: LIGHTER_EMULATOR_PRIVATE_KEY,
    accountIndex: emulator.accountIndex,
    apiKeyIndex: emulator.apiKeyIndex,
    chainId: emulator.chainId,
    clock: systemClock,
  });
  const rest = new LighterRestClient({
    baseUrl: emulator.url,
    clock: systemClock,
    timeoutMs: 3_000,
  });
  const nonce = await rest.nextNonce(emulator.accountIndex, emulator.apiKeyIndex);
  const lighterMarket = {
    marketIndex: market.spec.marketIndex,
    instrument: market.instrument,
    sizeDecimals: market.spec.sizeDecimals,
    priceDecimals: market.spec.priceDecimals,
  };
  const signed = await signer.signCreateOrder(
    {
      marketIndex: market.spec.marketIndex,
      clientOrderIndex: order.clientOrderIndex ?? 0,
      baseAmount: toBaseAmount(lighterMarket, order.size),
      price: toPriceUnits(lighterMarket, order.price),
      isAsk: order.side === 'SELL',
      orderType: ORDER_TYPE.LIMIT,
      timeInForce:
        order.ioc === true ? TIME_IN_FORCE.IMMEDIATE_OR_CANCEL : TIME_IN_FORCE.GOOD_TILL_TIME,
      reduceOnly: false,
      triggerPrice: 0,
      orderExpiry: order.ioc === true ? 0 : Date.now() + 28 * 86_400_000,
    },
    { nonce },
  );
  await rest.sendTx(signed.txType, signed.txInfo);
}
