import { KestrelError } from '../../core/errors.ts';
import type { Random } from '../../core/random.ts';
import type { Clock, Timer } from '../../engine/clock.ts';
import type { Logger } from '../../engine/logger.ts';
import { backoffDelay } from './backoff.ts';
import type { StreamSettings } from './config.ts';
import { isUnreadableFrame } from './errors.ts';
import type { CcxtExchange } from './exchange.ts';
import { forgetListenKeys, waitForSockets } from './exchange.ts';

/** One ccxt watch loop: `watch` resolves with the next batch of updates, `handle` applies it */
export interface StreamChannel {
  readonly name: string;
  watch(): Promise<unknown>;
  handle(batch: unknown): void;
}

export interface StreamSupervisorOptions {
  /** For logs: `account` or `market` */
  readonly name: string;
  readonly venue: string;
  readonly exchange: CcxtExchange;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: Random;
  readonly settings: StreamSettings;
  readonly channels: readonly StreamChannel[];
  /** Runs after every (re)subscribe, before the stream counts as up: the REST resync */
  readonly onSubscribed?: () => Promise<void>;
  /** Told when the stream goes up (true) or down (false) */
  readonly onStatus?: (connected: boolean) => void;
  /** Closes the exchange's sockets so the next watch dials afresh */
  readonly closeSockets: () => Promise<void>;
  /** Counts a frame ccxt could not read or a batch that could not be applied (refused input) */
  readonly refused?: (description: string, fields?: Readonly<Record<string, unknown>>) => void;
}

type Failure = { readonly error: unknown };

/**
 * Keeps a set of ccxt watch loops alive with its own discipline, because ccxt's does not
 * cover Binance private streams: a failed socket rejects every watcher and nothing redials
 * until the next watch call, which without a pause dials thousands of times a second. So:
 * subscribe all channels, wait for the sockets to open, run `onSubscribed` (the resync), then
 * watch for a failure or a silence longer than the watchdog; tear everything down, wait an
 * exponential backoff with jitter, and start again.
 */
export class StreamSupervisor {
  private readonly options: StreamSupervisorOptions;
  private generation = 0;
  private stopped = false;
  private connected = false;
  private lastActivity = 0;
  private fail: ((failure: Failure) => void) | undefined;
  private watchdog: Timer | undefined;
  private backoffTimer: { timer: Timer; resolve: () => void } | undefined;
  private running: Promise<void> | undefined;
  private readyWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private everReady = false;
  /** Reconnects since start */
  reconnects = 0;
  /** Cycles that ended in a failure, by the time of failure, for tests and health */
  readonly failures: string[] = [];

  constructor(options: StreamSupervisorOptions) {
    this.options = options;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /**
   * Starts supervising and resolves once the first subscription is up and resynced.
   * @throws KestrelError NETWORK when it is not up within `timeoutMs` (supervision stops)
   */
  async start(timeoutMs: number): Promise<void> {
    if (this.running === undefined) this.running = this.supervise();
    if (this.everReady) return;
    const ready = new Promise<void>((resolve, reject) =>
      this.readyWaiters.push({ resolve, reject }),
    );
    let timer: Timer | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = this.options.clock.setTimer(timeoutMs, () => resolve('timeout'));
    });
    let outcome: 'ready' | 'timeout';
    try {
      outcome = await Promise.race([ready.then(() => 'ready' as const), timeout]);
    } finally {
      timer?.cancel();
    }
    if (outcome === 'timeout') {
      const last = this.failures.at(-1);
      await this.stop();
      throw new KestrelError(
        'NETWORK',
        `${this.options.venue}: the ${this.options.name} stream did not come up within ${timeoutMs} ms${last === undefined ? '' : ` (last failure: ${last})`}`,
      );
    }
  }

  /** Tears the current subscription down and resubscribes (after the usual backoff) */
  restart(reason: string): void {
    this.fail?.({ error: new KestrelError('NETWORK', reason) });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.fail?.({ error: new KestrelError('NETWORK', 'stopped') });
    this.watchdog?.cancel();
    if (this.backoffTimer !== undefined) {
      this.backoffTimer.timer.cancel();
      this.backoffTimer.resolve();
    }
    for (const waiter of this.readyWaiters) waiter.reject(new KestrelError('NETWORK', 'stopped'));
    this.readyWaiters = [];
    await this.running;
  }

  private touch(): void {
    this.lastActivity = this.options.clock.now();
  }

  private async supervise(): Promise<void> {
    const { clock, logger, settings, name, venue } = this.options;
    let attempt = 0;
    while (!this.stopped) {
      const generation = ++this.generation;
      const failed = new Promise<Failure>((resolve) => {
        this.fail = resolve;
      });
      // One channel dials first; the rest join its open socket, so a refused dial costs one attempt
      const [first, ...rest] = this.options.channels;
      if (first !== undefined) this.runChannel(first, generation);
      try {
        const opened = await Promise.race([
          waitForSockets(this.options.exchange, clock, settings.connectTimeoutMs, failed),
          failed,
        ]);
        if (typeof opened === 'object') throw opened.error;
        if (!opened)
          throw new KestrelError(
            'TIMEOUT',
            `sockets did not open within ${settings.connectTimeoutMs} ms`,
          );
        for (const channel of rest) this.runChannel(channel, generation);
        this.touch();
        this.connected = true;
        this.options.onStatus?.(true);
        if (this.options.onSubscribed !== undefined) {
          const sync = this.options.onSubscribed().then(() => undefined);
          // When the stream fails first, the abandoned sync may still reject: nobody waits for it
          sync.catch(() => {});
          const synced = await Promise.race([sync, failed]);
          if (synced !== undefined) throw synced.error;
        }
        this.touch();
        attempt = 0;
        this.everReady = true;
        for (const waiter of this.readyWaiters) waiter.resolve();
        this.readyWaiters = [];
        this.armWatchdog(generation);
        const failure = await failed;
        throw failure.error;
      } catch (error) {
        if (!this.stopped) {
          const message = error instanceof Error ? error.message : String(error);
          if (isUnreadableFrame(error))
            this.options.refused?.(`${name} stream frame ccxt could not read`, { error: message });
          this.failures.push(message);
          if (this.failures.length > 100) this.failures.shift();
          logger.warn(`${name} stream failed; resubscribing after a backoff`, {
            exchange: venue,
            attempt: attempt + 1,
            error: message,
          });
        }
      }
      this.watchdog?.cancel();
      this.watchdog = undefined;
      this.generation += 1;
      if (this.connected) {
        this.connected = false;
        this.options.onStatus?.(false);
      }
      await this.options.closeSockets().catch(() => {});
      forgetListenKeys(this.options.exchange);
      if (this.stopped) break;
      attempt += 1;
      this.reconnects += 1;
      await this.sleep(
        backoffDelay(
          attempt,
          { baseMs: settings.backoffBaseMs, maxMs: settings.backoffMaxMs },
          this.options.random,
        ),
      );
    }
  }

  private runChannel(channel: StreamChannel, generation: number): void {
    const loop = async () => {
      while (generation === this.generation && !this.stopped) {
        const batch = await channel.watch();
        if (generation !== this.generation) return;
        this.touch();
        try {
          channel.handle(batch);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (this.options.refused !== undefined)
            this.options.refused(`${this.options.name} ${channel.name} batch`, { error: message });
          else
            this.options.logger.error(
              `${this.options.name} stream: applying ${channel.name} failed`,
              { exchange: this.options.venue, error: message },
            );
        }
      }
    };
    loop().catch((error: unknown) => {
      if (generation === this.generation) this.fail?.({ error });
    });
  }

  private armWatchdog(generation: number): void {
    const { clock, settings } = this.options;
    const check = () => {
      if (generation !== this.generation || this.stopped) return;
      const silent = clock.now() - this.lastActivity;
      if (silent >= settings.watchdogMs) {
        this.fail?.({
          error: new KestrelError(
            'TIMEOUT',
            `silent for ${Math.round(silent)} ms (watchdog ${settings.watchdogMs} ms)`,
          ),
        });
        return;
      }
      this.watchdog = clock.setTimer(settings.watchdogMs - silent, check);
    };
    this.watchdog = clock.setTimer(settings.watchdogMs, check);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.options.clock.setTimer(ms, () => {
        this.backoffTimer = undefined;
        resolve();
      });
      this.backoffTimer = { timer, resolve };
    });
  }
}
