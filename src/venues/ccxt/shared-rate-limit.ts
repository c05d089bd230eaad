import type { Redis } from 'ioredis';
import type { Clock } from '../../engine/clock.ts';
import type { Logger } from '../../engine/logger.ts';

/**
 * One token bucket per key on the Redis server, taken in one atomic script on the server's own
 * clock (so processes on several hosts agree). A request takes its cost at once, going into
 * debt when the bucket is short, and waits until the debt is repaid: callers are served in the
 * order they asked, with one round trip each.
 *
 * KEYS[1] the bucket; ARGV: tokens per ms, capacity, cost. Returns the wait in ms.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
if now > at then
  tokens = math.min(capacity, tokens + (now - at) * rate)
  at = now
end
tokens = tokens - cost
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate) + 60000)
if tokens >= 0 then return 0 end
return math.ceil(-tokens / rate)
`;

/** A rate limit several processes share: `take` resolves once the request may go */
export interface SharedRateLimit {
  /**
   * Takes `cost` from the bucket `key`, which refills `perMs` tokens a millisecond up to
   * `capacity`, and resolves when the request may be sent.
   * @throws when the shared store cannot be reached (the caller falls back to its own gate)
   */
  take(key: string, cost: number, perMs: number, capacity: number): Promise<void>;
  /** Disconnects; idempotent */
  close(): Promise<void>;
}

type TakeCommand = {
  kestrelTake(key: string, perMs: string, capacity: string, cost: string): Promise<number>;
};

/** The shared rate limit on Redis (see TAKE) */
export class RedisRateLimit implements SharedRateLimit {
  private readonly redis: Redis & TakeCommand;
  private readonly clock: Clock;
  private closed = false;

  constructor(redis: Redis, clock: Clock) {
    redis.defineCommand('kestrelTake', { numberOfKeys: 1, lua: TAKE });
    this.redis = redis as Redis & TakeCommand;
    this.clock = clock;
  }

  async take(key: string, cost: number, perMs: number, capacity: number): Promise<void> {
    const wait = Number(
      await this.redis.kestrelTake(key, String(perMs), String(capacity), String(cost)),
    );
    if (wait > 0) await new Promise<void>((resolve) => this.clock.setTimer(wait, resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.redis.disconnect();
  }
}

/** What ccxt's own throttle looks like on an exchange instance */
interface Throttled {
  rateLimit: number;
  throttle(cost?: number): Promise<unknown>;
}

/**
 * Routes a ccxt exchange's request throttle through the shared bucket of its API key: ccxt
 * prices each request by its endpoint's weight (its `cost`) and refills at its `rateLimit`, as
 * its own in-process bucket does, but every process on the key draws from one bucket. When the
 * store cannot be reached the request goes through ccxt's own throttle instead (warned once per
 * outage), so a Redis outage slows nothing down but stops the sharing.
 */
export function shareThrottle(
  exchange: Throttled,
  options: {
    readonly limit: SharedRateLimit;
    readonly key: string;
    readonly logger: Logger;
  },
): void {
  const local = exchange.throttle.bind(exchange);
  let failing = false;
  exchange.throttle = async (cost?: number) => {
    try {
      // ccxt's own bucket holds one token: requests are spaced, never burst
      await options.limit.take(options.key, cost ?? 1, 1 / exchange.rateLimit, 1);
      if (failing) options.logger.info('shared rate limit reachable again', { key: options.key });
      failing = false;
    } catch (error) {
      if (!failing)
        options.logger.warn('shared rate limit unreachable; this process spaces its own requests', {
          key: options.key,
          error,
        });
      failing = true;
      await local(cost);
    }
  };
}
