import type { KestrelError } from '../../core/errors.ts';
import type { Clock } from '../../engine/clock.ts';

/** Waits when nothing says how long: 429 starts at 1 s and doubles, 418 (banned) waits a minute */
const DEFAULT_429_MS = 1_000;
const DEFAULT_418_MS = 60_000;
const MAX_PAUSE_MS = 5 * 60_000;

/**
 * Keeps REST calls off a venue that asked us to back off. After a 429 (or a 418 ban) every
 * call waits until the pause ends: the venue's Retry-After when it sent one, else a doubling
 * cool-down. ccxt's own token bucket still spaces the calls in between.
 */
export class RateGate {
  private readonly clock: Clock;
  private pausedUntil = 0;
  private strikes = 0;
  /** How many times the venue told us to slow down */
  limited = 0;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** When calls may resume, ms since epoch (0 when not paused) */
  get resumesAt(): number {
    return this.pausedUntil;
  }

  /**
   * Runs a REST call once the gate is open, and closes it when the call is rate limited.
   * @throws whatever the call throws
   */
  async run<T>(call: () => Promise<T>, toError: (error: unknown) => KestrelError): Promise<T> {
    await this.wait();
    try {
      const result = await call();
      this.strikes = 0;
      return result;
    } catch (error) {
      const failure = toError(error);
      if (failure.code === 'RATE_LIMITED') this.pause(failure);
      throw failure;
    }
  }

  private pause(error: KestrelError): void {
    this.limited += 1;
    this.strikes += 1;
    const banned = error.message.includes('DDoSProtection') || error.message.includes('banned');
    const fallback = banned ? DEFAULT_418_MS : DEFAULT_429_MS * 2 ** (this.strikes - 1);
    const wait = Math.min(MAX_PAUSE_MS, error.retryAfterMs ?? fallback);
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + wait);
  }

  private async wait(): Promise<void> {
    for (;;) {
      const remaining = this.pausedUntil - this.clock.now();
      if (remaining <= 0) return;
      await new Promise<void>((resolve) => this.clock.setTimer(remaining, resolve));
    }
  }
}
