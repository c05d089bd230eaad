import type { Instrument } from '../core/instrument.ts';
import { matchesSymbol } from '../core/instrument.ts';
import type { Level, MarketDataSource, MarketEvent } from '../core/market-data.ts';
import type { Side } from '../core/order.ts';
import type { Clock, Timer } from '../engine/clock.ts';

export interface ReplayOptions {
  readonly clock: Clock;
  /** 1 = real time, 10 = ten times faster, Infinity = as fast as possible */
  readonly speed: number;
  /** Receives each event when its (mapped) time comes */
  readonly deliver: (event: MarketEvent) => void;
}

/** A running replay; `done` settles when the feed ends, fails or is stopped */
export interface Replay {
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Replays a market data source onto now: the first event plays at once and each later one
 * after its distance from the first, divided by `speed`. Batches are read one at a time, so
 * a recorded file streams rather than loads.
 */
function startReplay(feed: MarketDataSource, options: ReplayOptions): Replay {
  const { clock, speed, deliver } = options;
  let stopped = false;
  let pending: { timer: Timer; resolve: () => void } | undefined;
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      if (!Number.isFinite(ms) || ms <= 0) {
        setImmediate(resolve);
        return;
      }
      const timer = clock.setTimer(ms, () => {
        pending = undefined;
        resolve();
      });
      pending = { timer, resolve };
    });
  const run = async (): Promise<void> => {
    let origin: number | undefined;
    let start = clock.now();
    for (;;) {
      if (stopped) return;
      const batch = await feed.next();
      if (batch === undefined || stopped) return;
      for (const event of batch) {
        if (stopped) return;
        if (origin === undefined) {
          origin = event.time;
          start = clock.now();
        }
        if (Number.isFinite(speed) && speed > 0) {
          const due = start + (event.time - origin) / speed;
          const lag = due - clock.now();
          if (lag > 0) await wait(lag);
          if (stopped) return;
        }
        deliver(event);
      }
      // Let sockets and timers breathe between batches, even at infinite speed
      await wait(0);
    }
  };
  const done = (async () => {
    try {
      await run();
    } finally {
      await feed.close?.();
    }
  })();
  return {
    done,
    async stop() {
      stopped = true;
      if (pending !== undefined) {
        pending.timer.cancel();
        pending.resolve();
        pending = undefined;
      }
      await done.catch(() => {});
    },
  };
}

/** A venue a feed is replayed onto: its market setters, by venue symbol */
export interface ReplayVenue {
  setQuote(symbol: string, bid: number, ask: number, bidSize: number, askSize: number): void;
  printTrade(symbol: string, price: number, size: number, side: Side): void;
  setBook(symbol: string, bids: readonly Level[], asks: readonly Level[]): void;
}

/**
 * Replays a feed onto a venue (see `startReplay`): each event moves the market of the listed
 * instrument with its venue symbol or its symbol; events of instruments the venue does not
 * list are passed over. Without a feed (an emulator started without one), nothing plays: undefined.
 */
export function replayOnto(
  feed: MarketDataSource | undefined,
  instruments: readonly Instrument[],
  venue: ReplayVenue,
  options: Omit<ReplayOptions, 'deliver'>,
): Replay | undefined {
  if (feed === undefined) return undefined;
  const find = (event: MarketEvent) =>
    instruments.find(
      (i) =>
        i.venueSymbol === event.instrument.venueSymbol || matchesSymbol(i, event.instrument.symbol),
    );
  return startReplay(feed, {
    ...options,
    deliver: (event) => {
      const instrument = find(event);
      if (instrument === undefined) return;
      const symbol = instrument.venueSymbol;
      if (event.type === 'quote')
        venue.setQuote(symbol, event.bid, event.ask, event.bidSize, event.askSize);
      else if (event.type === 'trade')
        venue.printTrade(symbol, event.price, event.size, event.side);
      else venue.setBook(symbol, event.bids, event.asks);
    },
  });
}
