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
import { startLighterEmulator } from '../../../src/emulators/lighter/index.ts';
import { AccountProcessor } from '../../../src/engine/account-processor.ts';
import type { Clock } from '../../../src/engine/clock.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { HealthMonitor } from '../../../src/engine/health-monitor.ts';
import { createMemoryLogger } from '../../../src/engine/logger.ts';
import { TradingManager } from '../../../src/engine/trading-manager.ts';
import type {
  LighterVenueConfig,
  LoadLighterConfigOptions,
} from '../../../src/venues/lighter/config.ts';
import { loadLighterConfig } from '../../../src/venues/lighter/config.ts';
import type { LighterSigner } from '../../../src/venues/lighter/signer.ts';
import type { LighterVenue } from '../../../src/venues/lighter/venue.ts';
import { createLighterVenue } from '../../../src/venues/lighter/venue.ts';

export interface HarnessOptions {
  /** The signer the venue uses; the config's fake signer when absent */
  readonly signer?: LighterSigner;
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
  const config: LighterVenueConfig = loadLighterConfig({
    url: emulator.url,
    accountIndex: emulator.accountIndex,
    apiKeyIndex: emulator.apiKeyIndex,
    chainId: emulator.chainId,
    signer: 'fake',
    env: {},
    overrides: {
      reconnectInitialMs: 20,
      reconnectMaxMs: 200,
      recheckMs: 100,
      requestTimeoutMs: 3_000,
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
    verdictTimeoutMs: 5_000,
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
 * Waits until `predicate` holds, polling; fails with `what` after `timeoutMs`. The timeout is a
 * safety net for a broken build, never a measurement: nothing asserts how fast it held.
 */
export async function until(
  predicate: () => boolean,
  what: string,
  timeoutMs = 8_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
