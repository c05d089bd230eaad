import type { Balance } from '../../core/balance.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { MarketDataSource, MarketEvent } from '../../core/market-data.ts';
import type { Clock, Timer } from '../../engine/clock.ts';
import type { Logger } from '../../engine/logger.ts';
import type { VenueConnection, VenueStartOptions } from '../../engine/venue.ts';
import type { LatencyModel } from './latency.ts';
import { SimBroker } from './sim-broker.ts';
import { SimVenue } from './sim-venue.ts';

export interface PaperVenueOptions {
  /** Default `paper` */
  readonly exchange?: string;
  readonly instruments: readonly Instrument[];
  readonly balances: readonly Balance[];
  /** The market replayed in wall-clock time */
  readonly feed: MarketDataSource;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Replay speed: 1 is real time, 10 ten times faster; default 1 */
  readonly speed?: number;
  readonly latency?: LatencyModel;
  readonly seed?: number;
}

function retimed(event: MarketEvent, time: number): MarketEvent {
  return { ...event, time };
}

/**
 * Paper trading: the simulated venue behind the VenueConnection every live venue implements,
 * fed by a market replayed in wall-clock time (event times mapped onto now). The live runner
 * drives it exactly as it drives ccxt or Lighter, so it is also their rehearsal without a network.
 */
export function createPaperVenue(
  options: PaperVenueOptions,
): VenueConnection & { readonly venue: SimVenue } {
  const exchange = options.exchange ?? 'paper';
  const { clock, logger } = options;
  const instruments = options.instruments.map((i) =>
    i.exchange === exchange ? i : { ...i, exchange },
  );
  const venue = new SimVenue({ exchange, instruments, balances: options.balances });
  const broker = new SimBroker({
    venue,
    clock,
    ...(options.latency === undefined ? {} : { latency: options.latency }),
    seed: options.seed ?? 1,
  });
  const speed = options.speed ?? 1;
  let stopped = false;
  let replay: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let sleeping: Timer | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      sleeping = clock.setTimer(ms, resolve);
    });
  const bySymbol = new Map(instruments.map((i) => [i.symbol, i]));

  const run = async (handlers: VenueStartOptions): Promise<void> => {
    const wanted = new Set(handlers.instruments.map((i) => i.symbol));
    let origin: number | undefined;
    const wallStart = clock.now();
    for (
      let batch = await options.feed.next();
      batch !== undefined && !stopped;
      batch = await options.feed.next()
    ) {
      for (const raw of batch) {
        if (stopped) return;
        const instrument = bySymbol.get(raw.instrument.symbol);
        if (instrument === undefined || !wanted.has(instrument.symbol)) continue;
        origin ??= raw.time;
        const due = wallStart + (raw.time - origin) / speed;
        const wait = due - clock.now();
        if (wait > 1) await sleep(wait);
        if (stopped) return;
        const event = retimed({ ...raw, instrument } as MarketEvent, clock.now());
        broker.onMarket(event);
        handlers.onMarket(event);
      }
    }
    logger.info('paper feed ended', { exchange });
  };

  return {
    exchange,
    broker,
    instruments,
    venue,
    async load() {},
    async start(handlers) {
      replay = run(handlers).catch((error: unknown) =>
        logger.error('paper feed failed', { exchange, error }),
      );
    },
    async fetchBalances() {
      return venue.getBalances();
    },
    async stop() {
      stopped = true;
      sleeping?.cancel();
      wake?.();
      await replay;
      await options.feed.close?.();
    },
  };
}
