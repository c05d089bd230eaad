import { KestrelError } from '../../core/errors.ts';
import type { Instrument } from '../../core/instrument.ts';
import { roundPricePassive } from '../../core/instrument.ts';
import { snapUp } from '../../core/numeric.ts';
import type { AccountView } from '../../engine/account-processor.ts';
import type { Clock, Timer } from '../../engine/clock.ts';
import type { TradingManager } from '../../engine/trading-manager.ts';
import type { StreamOrderUpdate } from './ccxt-broker.ts';
import type { CcxtVenue } from './venue.ts';

export interface SmokeCheckOptions {
  /** Loaded and started, its broker registered with `trading` */
  readonly venue: CcxtVenue;
  readonly trading: TradingManager;
  readonly account: AccountView;
  readonly clock: Clock;
  /** Default: the venue's first instrument */
  readonly instrument?: Instrument;
  /** How far below the bid the buy rests, as a fraction; default 0.1 (10 %) */
  readonly distance?: number;
  /** How long each step may take, ms; default 15 000 */
  readonly timeoutMs?: number;
}

export interface SmokeCheckResult {
  readonly symbol: string;
  readonly clientId: string;
  readonly venueOrderId: string | undefined;
  readonly price: number;
  readonly quantity: number;
  /** Submit → the venue's first verdict, ms */
  readonly submitLatencyMs: number;
  /** Submit → the order seen on the account stream, ms */
  readonly streamAckLatencyMs: number;
  /** Cancel → the order CANCELED, ms */
  readonly cancelLatencyMs: number;
  /** Cancel → the cancel seen on the account stream, ms */
  readonly streamCancelLatencyMs: number;
}

function waitFor<T>(
  clock: Clock,
  timeoutMs: number,
  what: string,
  subscribe: (done: (value: T) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: Timer | undefined;
    const unsubscribe = subscribe((value) => {
      timer?.cancel();
      unsubscribe();
      resolve(value);
    });
    timer = clock.setTimer(timeoutMs, () => {
      unsubscribe();
      reject(
        new KestrelError('TIMEOUT', `smoke check: ${what} did not happen within ${timeoutMs} ms`),
      );
    });
  });
}

/**
 * The check a user with keys runs before going live: one minimum-size post-only buy far
 * below the touch, acknowledged by the venue and seen on the account stream, then canceled
 * (seen on the stream too). Returns the latencies; leaves nothing resting.
 * @throws KestrelError when the order is refused, a step times out, or the market is one-sided
 */
export async function runSmokeCheck(options: SmokeCheckOptions): Promise<SmokeCheckResult> {
  const { venue, trading, account, clock } = options;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const instrument = options.instrument ?? venue.instruments[0];
  if (instrument === undefined)
    throw new KestrelError('UNKNOWN_INSTRUMENT', `${venue.exchange}: no instrument to check with`);
  const quote = await venue.fetchQuote(instrument);
  const price = roundPricePassive(instrument, quote.bid * (1 - (options.distance ?? 0.1)), 'BUY');
  if (!(price > 0))
    throw new KestrelError('INVALID_PRICE', `smoke check: no price below the bid ${quote.bid}`);
  const forNotional =
    instrument.minNotional > 0
      ? (instrument.minNotional * 1.01) / (price * instrument.contractSize)
      : 0;
  const quantity = Math.max(
    instrument.minSize,
    snapUp(forNotional, instrument.lotSize, instrument.sizeDecimals),
  );
  const clientId = trading.nextClientId();

  const seen = (status: StreamOrderUpdate['status']) =>
    waitFor<number>(clock, timeoutMs, `the ${status} update on the stream`, (done) =>
      venue.broker.onStreamOrder((update) => {
        if (update.clientId === clientId && update.status === status) done(clock.now());
      }),
    );
  const streamOpen = seen('open');
  streamOpen.catch(() => {});
  const submittedAt = clock.now();
  const order = await trading.trade(instrument, quantity, price, { postOnly: true, clientId });
  const answeredAt = clock.now();
  if (order.status !== 'OPEN') {
    throw new KestrelError(
      order.status === 'PENDING' ? 'TIMEOUT' : 'VENUE_REJECTED',
      `smoke check: the order is ${order.status}${order.reason === undefined ? '' : ` (${order.reason})`}`,
    );
  }
  const ackedAt = await streamOpen;

  const streamCanceled = seen('canceled');
  streamCanceled.catch(() => {});
  const canceled = waitFor<number>(clock, timeoutMs, 'the cancel', (done) => {
    const check = () => {
      const status = account.findOrder(clientId)?.status;
      if (status === 'CANCELED') done(clock.now());
    };
    return account.subscribe(check);
  });
  canceled.catch(() => {});
  const cancelAt = clock.now();
  await trading.cancelOrder(clientId);
  const canceledAt =
    account.findOrder(clientId)?.status === 'CANCELED' ? clock.now() : await canceled;
  const streamCanceledAt = await streamCanceled;
  return {
    symbol: instrument.symbol,
    clientId,
    venueOrderId: account.findOrder(clientId)?.venueOrderId,
    price,
    quantity,
    submitLatencyMs: answeredAt - submittedAt,
    streamAckLatencyMs: ackedAt - submittedAt,
    cancelLatencyMs: canceledAt - cancelAt,
    streamCancelLatencyMs: streamCanceledAt - cancelAt,
  };
}
