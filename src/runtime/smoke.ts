import { KestrelError } from '../core/errors.ts';
import type { Instrument } from '../core/instrument.ts';
import { roundPricePassive } from '../core/instrument.ts';
import type { Quote } from '../core/market-data.ts';
import type { Order, OrderStatus } from '../core/order.ts';
import { AccountProcessor } from '../engine/account-processor.ts';
import type { Clock, Timer } from '../engine/clock.ts';
import type { LatencyStats } from '../engine/health-monitor.ts';
import { HealthMonitor } from '../engine/health-monitor.ts';
import type { Logger } from '../engine/logger.ts';
import { TradingManager } from '../engine/trading-manager.ts';
import type { VenueConnection } from '../engine/venue.ts';
import { resolveInstruments } from './live.ts';
import { minimumSize } from './session.ts';

export interface SmokeOptions {
  readonly venue: VenueConnection;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Default: the venue's first instrument */
  readonly symbol?: string | undefined;
  /** How far below the bid the buy rests; default 0.1 (10 %) */
  readonly distance?: number;
  /** How long each step may take, ms; default 20 000 */
  readonly timeoutMs?: number;
}

export interface SmokeResult {
  readonly exchange: string;
  readonly symbol: string;
  readonly clientId: string;
  readonly venueOrderId: string | undefined;
  readonly price: number;
  readonly quantity: number;
  /** Whether a status query at the venue saw the order open, then closed (when the venue can be asked) */
  readonly confirmedByQuery: boolean;
  readonly submitLatency: LatencyStats;
  readonly cancelLatency: LatencyStats;
}

function within<T>(
  clock: Clock,
  timeoutMs: number,
  what: string,
  wait: (done: (value: T) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: Timer | undefined;
    const stop = wait((value) => {
      timer?.cancel();
      stop();
      resolve(value);
    });
    timer = clock.setTimer(timeoutMs, () => {
      stop();
      reject(new KestrelError('TIMEOUT', `smoke: ${what} did not happen within ${timeoutMs} ms`));
    });
  });
}

/**
 * The check to run with real keys before going live, on any venue: loads the markets, opens the
 * streams, places one minimum-size post-only buy far below the touch, waits until the venue has
 * acknowledged it, cancels it, waits until the venue says canceled, and reports submit and
 * cancel latency. Leaves nothing resting: the order is canceled even when a step fails.
 * @throws KestrelError when a step fails or times out, naming the step
 */
export async function runSmoke(options: SmokeOptions): Promise<SmokeResult> {
  const { venue, clock, logger } = options;
  const timeoutMs = options.timeoutMs ?? 20_000;
  await venue.load();
  const [instrument] = resolveInstruments(
    venue,
    options.symbol === undefined ? undefined : [options.symbol],
  ) as [Instrument];
  const account = new AccountProcessor({
    exchange: venue.exchange,
    clock,
    logger,
    balances: await venue.fetchBalances(),
  });
  const health = new HealthMonitor({ clock });
  const trading = new TradingManager({ brokers: [venue.broker], account, clock, health, logger });
  let placed: Order | undefined;
  try {
    const quote = await within<Quote>(
      clock,
      timeoutMs,
      `a quote for ${instrument.symbol}`,
      (done) => {
        void venue
          .start({
            instruments: [instrument],
            onMarket: (event) => event.type === 'quote' && done(event),
          })
          .catch((error: unknown) => logger.error('smoke: the venue failed to start', { error }));
        return () => {};
      },
    );
    const price = roundPricePassive(instrument, quote.bid * (1 - (options.distance ?? 0.1)), 'BUY');
    if (!(price > 0))
      throw new KestrelError('INVALID_PRICE', `smoke: no price below the bid ${quote.bid}`);
    const quantity = minimumSize(instrument, price);
    const status = (clientId: string, wanted: readonly OrderStatus[], what: string) =>
      within<void>(clock, timeoutMs, what, (done) => {
        const check = () => {
          const current = account.findOrder(clientId)?.status;
          if (current !== undefined && wanted.includes(current)) done();
        };
        const unsubscribe = account.subscribe(check);
        queueMicrotask(check);
        return unsubscribe;
      });
    placed = await trading.trade(instrument, quantity, price, { postOnly: true });
    if (placed.status !== 'OPEN') {
      await status(
        placed.clientId,
        ['OPEN', 'REJECTED', 'CANCELED', 'EXPIRED', 'LOST'],
        'the venue acknowledging the order',
      );
    }
    if (placed.status !== 'OPEN') {
      throw new KestrelError(
        'VENUE_REJECTED',
        `smoke: the order is ${placed.status}${placed.reason === undefined ? '' : ` (${placed.reason})`}`,
      );
    }
    const seenOpen = (await venue.queryOrder?.(placed))?.status;
    await trading.cancelOrder(placed);
    await status(
      placed.clientId,
      ['CANCELED', 'FILLED', 'EXPIRED'],
      'the venue confirming the cancel',
    );
    const seenClosed = venue.queryOrder === undefined ? undefined : await venue.queryOrder(placed);
    return {
      exchange: venue.exchange,
      symbol: instrument.symbol,
      clientId: placed.clientId,
      venueOrderId: placed.venueOrderId,
      price,
      quantity,
      confirmedByQuery:
        seenOpen === 'OPEN' && (seenClosed === undefined || seenClosed.status === 'CANCELED'),
      submitLatency: health.submitLatency(venue.exchange),
      cancelLatency: health.cancelLatency(venue.exchange),
    };
  } finally {
    if (placed !== undefined && account.findOrder(placed.clientId)?.status === 'OPEN') {
      await trading
        .cancelOrder(placed)
        .catch((error: unknown) =>
          logger.error('smoke: could not cancel the test order', { error }),
        );
    }
    await venue.stop();
  }
}
