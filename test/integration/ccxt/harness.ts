import { afterEach } from 'node:test';
import type { Balance } from '../../../src/core/balance.ts';
import { createClientIdGenerator } from '../../../src/core/ids.ts';
import type { Instrument } from '../../../src/core/instrument.ts';
import type { MarketEvent } from '../../../src/core/market-data.ts';
import type { Order, Side } from '../../../src/core/order.ts';
import type {
  BinanceUsdmEmulator,
  BinanceUsdmEmulatorOptions,
} from '../../../src/emulators/binance-usdm/index.ts';
import {
  DEFAULT_API_KEY,
  DEFAULT_API_SECRET,
  startBinanceUsdmEmulator,
} from '../../../src/emulators/binance-usdm/index.ts';
import { AccountProcessor } from '../../../src/engine/account-processor.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { HealthMonitor } from '../../../src/engine/health-monitor.ts';
import { createMemoryLogger } from '../../../src/engine/logger.ts';
import { TradingManager } from '../../../src/engine/trading-manager.ts';
import type {
  CcxtVenue,
  CcxtVenueConfig,
  LoadCcxtConfigInput,
} from '../../../src/venues/ccxt/index.ts';
import { createCcxtVenue, loadCcxtConfig } from '../../../src/venues/ccxt/index.ts';
import { until } from '../../helpers/wait.ts';

export interface CcxtSetupOptions {
  readonly emulator?: BinanceUsdmEmulatorOptions;
  readonly overrides?: LoadCcxtConfigInput['overrides'];
  readonly apiKey?: string;
  readonly secret?: string;
  /** Start the streams (default true) */
  readonly start?: boolean;
  readonly balances?: readonly Balance[];
}

export interface CcxtSetup {
  readonly emulator: BinanceUsdmEmulator;
  readonly venue: CcxtVenue;
  readonly account: AccountProcessor;
  readonly health: HealthMonitor;
  readonly trading: TradingManager;
  readonly logger: ReturnType<typeof createMemoryLogger>;
  readonly market: MarketEvent[];
  readonly btc: Instrument;
  close(): Promise<void>;
}

/** The ccxt venue config the tests use: the emulator's URL and key, small reconnect delays */
export function testConfig(
  url: string,
  options: Pick<CcxtSetupOptions, 'apiKey' | 'secret' | 'overrides'> & {
    /** The ccxt exchange id; default binanceusdm */
    readonly exchange?: string;
  } = {},
): CcxtVenueConfig {
  return loadCcxtConfig({
    exchange: options.exchange ?? 'binanceusdm',
    apiKey: options.apiKey ?? DEFAULT_API_KEY,
    secret: options.secret ?? DEFAULT_API_SECRET,
    url,
    env: {},
    overrides: {
      stream: { backoffBaseMs: 40, backoffMaxMs: 400, watchdogMs: 60_000, connectTimeoutMs: 5_000 },
      lostAfterMs: 3_000,
      statusCheckDelayMs: 200,
      resyncIntervalMs: 0,
      seed: 1,
      ...options.overrides,
    },
  });
}

/**
 * A TradingManager over the real ccxt venue against a fresh emulator on a random port: real
 * sockets on 127.0.0.1, real signing, small reconnect delays so faults recover quickly.
 */
export async function setupCcxt(options: CcxtSetupOptions = {}): Promise<CcxtSetup> {
  const emulator = await startBinanceUsdmEmulator(options.emulator ?? {});
  emulator.setQuote('BTCUSDT', 64000, 64000.5, 2, 2);
  emulator.setQuote('ETHUSDT', 3000, 3000.01, 20, 20);
  return { emulator, ...(await tradeOn(testConfig(emulator.url, options), emulator, options)) };
}

/** Kestrel's live objects over a ccxt venue config, for any emulator (closed with `close`) */
export type KestrelOnVenue = Omit<CcxtSetup, 'emulator'>;

/**
 * Kestrel's live objects (venue, account, health, trading manager) over `config`, against an
 * emulator already started; `close` stops the venue and then the emulator
 */
export async function tradeOn(
  config: CcxtVenueConfig,
  emulator: { close(): Promise<void> },
  options: Pick<CcxtSetupOptions, 'start' | 'balances'> = {},
): Promise<KestrelOnVenue> {
  const logger = createMemoryLogger();
  const venue = createCcxtVenue(config, { clock: systemClock, logger });
  try {
    await venue.load();
  } catch (error) {
    await venue.stop();
    await emulator.close();
    throw error;
  }
  const account = new AccountProcessor({
    exchange: venue.exchange,
    clock: systemClock,
    logger,
    balances: options.balances ?? [{ currency: 'USDT', total: 10_000, free: 10_000, locked: 0 }],
  });
  const health = new HealthMonitor({ clock: systemClock });
  const trading = new TradingManager({
    brokers: [venue.broker],
    account,
    clock: systemClock,
    health,
    logger,
    ids: createClientIdGenerator({ instanceTag: 'itest', counterStart: 0 }),
    verdictTimeoutMs: 30_000,
  });
  const market: MarketEvent[] = [];
  const close = async () => {
    await venue.stop();
    await emulator.close();
  };
  if (options.start !== false) {
    try {
      await venue.start({
        instruments: venue.instruments,
        onMarket: (event) => market.push(event),
      });
    } catch (error) {
      await close();
      throw error;
    }
  }
  const btc = venue.instrument('BTC/USDT:USDT');
  if (btc === undefined) throw new Error('the emulator lists no BTC/USDT:USDT');
  return { venue, account, health, trading, logger, market, btc, close };
}

export { until };

/**
 * Buys 0.002 BTC at 63 000 and has the market sell through it (a print at 62 999.9); resolves
 * with the order once the account holds it FILLED (`what` names the wait)
 */
export async function buyFilledByPrint(
  s: Pick<KestrelOnVenue, 'trading' | 'account' | 'btc'>,
  emulator: { printTrade(symbol: string, price: number, size: number, side: Side): void },
  what: string,
): Promise<Order> {
  const order = await s.trading.trade(s.btc, 0.002, 63000);
  emulator.printTrade('BTCUSDT', 62999.9, 0.002, 'SELL');
  await until(() => s.account.findOrder(order.clientId)?.status === 'FILLED', what);
  return order;
}

/** Lets sockets and timers run for a while (for "nothing else happens" checks) */
export function settle(ms = 150): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * For a describe block: the returned `start(options)` sets up a fresh emulator and venue for a
 * test, and whatever the test started is closed after it
 */
export function freshSetupPerTest(): (options?: CcxtSetupOptions) => Promise<CcxtSetup> {
  let setup: CcxtSetup | undefined;
  afterEach(async () => {
    await setup?.close();
    setup = undefined;
  });
  return async (options) => {
    setup = await setupCcxt(options);
    return setup;
  };
}
