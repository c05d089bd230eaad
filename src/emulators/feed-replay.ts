import type { MarketDataSource, MarketEvent } from '../core/market-data.ts';
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
export function startReplay(feed: MarketDataSource, options: ReplayOptions): Replay {
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
