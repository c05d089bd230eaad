import assert from 'node:assert/strict';
import { KestrelError } from '../../../src/core/errors.ts';
import type { ClientIdGenerator } from '../../../src/core/ids.ts';
import { createClientIdGenerator } from '../../../src/core/ids.ts';
import type { Instrument } from '../../../src/core/instrument.ts';
import { AccountProcessor } from '../../../src/engine/account-processor.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { createMemoryLogger } from '../../../src/engine/logger.ts';
import { TradingManager } from '../../../src/engine/trading-manager.ts';
import type { CcxtVenue, LoadCcxtConfigInput } from '../../../src/venues/ccxt/index.ts';
import { createCcxtVenue, loadCcxtConfig } from '../../../src/venues/ccxt/index.ts';
import type { InProcessVenue } from './in-process-venue.ts';

export interface KestrelOnVenue {
  readonly venue: CcxtVenue;
  readonly account: AccountProcessor;
  readonly trading: TradingManager;
  readonly logger: ReturnType<typeof createMemoryLogger>;
  instrument(symbol: string): Instrument;
  close(): Promise<void>;
}

export interface KestrelOptions {
  readonly exchange: string;
  readonly wire: InProcessVenue;
  readonly apiKey?: string;
  readonly secret?: string;
  readonly password?: string;
  /** A base URL for ccxt's REST and WebSocket URLs (a local WebSocket server) */
  readonly url?: string;
  readonly overrides?: LoadCcxtConfigInput['overrides'];
  readonly ids?: ClientIdGenerator;
}

/**
 * Kestrel's ccxt venue for one exchange (the real ccxt class, Kestrel's broker, account and
 * TradingManager) with ccxt's HTTP layer answered by the in-process venue: markets loaded, no
 * streams started (REST is what the conformance suite checks), short status-check delays.
 */
export async function kestrelOn(options: KestrelOptions): Promise<KestrelOnVenue> {
  const logger = createMemoryLogger();
  const config = loadCcxtConfig({
    exchange: options.exchange,
    apiKey: options.apiKey ?? 'conformance-key',
    secret: options.secret ?? 'conformance-secret',
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(options.url === undefined ? {} : { url: options.url }),
    env: {},
    overrides: {
      fetchImplementation: options.wire.fetch,
      lostAfterMs: 2_000,
      statusCheckDelayMs: 50,
      resyncIntervalMs: 0,
      seed: 1,
      ...options.overrides,
    },
  });
  const venue = createCcxtVenue(config, { clock: systemClock, logger });
  await venue.load();
  const account = new AccountProcessor({
    exchange: venue.exchange,
    clock: systemClock,
    logger,
    balances: await venue.fetchBalances(),
  });
  const trading = new TradingManager({
    brokers: [venue.broker],
    account,
    clock: systemClock,
    logger,
    ids: options.ids ?? createClientIdGenerator({ instanceTag: 'conf1', counterStart: 1_000_000 }),
    verdictTimeoutMs: 2_000,
  });
  return {
    venue,
    account,
    trading,
    logger,
    instrument(symbol) {
      const found = venue.instrument(symbol);
      if (found === undefined) throw new Error(`${options.exchange} lists no ${symbol}`);
      return found;
    },
    close: () => venue.stop(),
  };
}

/**
 * Asks for an order under a clientId the venue's client-id field (`wireField`) cannot hold:
 * refused before anything is tracked or sent (INVALID_CLIENT_ID naming the field and value)
 */
export async function assertClientIdRefused(
  kestrel: Pick<KestrelOnVenue, 'trading' | 'account'>,
  wire: InProcessVenue,
  order: { readonly instrument: Instrument; readonly amount: number; readonly price: number },
  clientId: string,
  wireField: string,
): Promise<void> {
  const before = wire.requests.length;
  await assert.rejects(
    () => kestrel.trading.trade(order.instrument, order.amount, order.price, { clientId }),
    (error: unknown) =>
      error instanceof KestrelError &&
      error.code === 'INVALID_CLIENT_ID' &&
      error.field === 'clientId' &&
      error.value === clientId &&
      error.message.includes(wireField),
  );
  assert.equal(kestrel.account.findOrder(clientId), undefined);
  assert.equal(wire.requests.length, before, 'nothing sent');
}

/**
 * Adopts an order placed outside Kestrel (the next resync finds it and tracks it EXTERNAL as
 * `ext:<venue id>`) and cancels it by that id alone; returns the id, for the caller to check
 * the cancel on the wire and its confirmation
 */
export async function cancelAdopted(
  kestrel: Pick<KestrelOnVenue, 'venue' | 'account' | 'trading'>,
  venueOrderId: string | number,
): Promise<string> {
  await kestrel.venue.resync();
  const id = `ext:${venueOrderId}`;
  assert.equal(kestrel.account.findOrder(id)?.origin, 'EXTERNAL');
  await kestrel.trading.cancelOrder(id);
  return id;
}
