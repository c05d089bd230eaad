import type { Random, SeededRandom } from '../../core/random.ts';

/** How long simulated messages take, sampled per message */
export interface LatencyModel {
  /** Client → venue, for a request (submit, cancel, amend) */
  request(random: Random): number;
  /** Venue → client, the reply to a request */
  reply(random: Random): number;
  /** Venue → client, a pushed stream update (accepts, fills, cancels) */
  stream(random: Random): number;
}

export interface LatencySpec {
  /** Median one-way request latency, ms; default 20 */
  readonly requestMs?: number;
  /** Median reply latency, ms; default 20 */
  readonly replyMs?: number;
  /** Median stream push latency, ms; default 25 */
  readonly streamMs?: number;
  /** Log-normal sigma: 0 is constant, 0.5 is a long right tail; default 0.4 */
  readonly jitter?: number;
}

/**
 * Log-normal latencies around the given medians. Stream and reply are independent, so a fill
 * pushed on the stream can beat the reply to the submit that caused it, as on real venues.
 */
export function createLatencyModel(spec: LatencySpec = {}): LatencyModel {
  return new LogNormalLatency(
    spec.requestMs ?? 20,
    spec.replyMs ?? 20,
    spec.streamMs ?? 25,
    spec.jitter ?? 0.4,
  );
}

/**
 * A class, not three closures, so a broker's call of each method is one small known function the
 * optimizer inlines (a double returned from a call it does not inline is boxed, one per message)
 */
class LogNormalLatency implements LatencyModel {
  private readonly requestMs: number;
  private readonly replyMs: number;
  private readonly streamMs: number;
  private readonly jitter: number;

  constructor(requestMs: number, replyMs: number, streamMs: number, jitter: number) {
    this.requestMs = requestMs;
    this.replyMs = replyMs;
    this.streamMs = streamMs;
    this.jitter = jitter;
  }

  request(random: Random): number {
    return this.requestMs <= 0 ? 0 : random.logNormal(this.requestMs, this.jitter);
  }

  reply(random: Random): number {
    return this.replyMs <= 0 ? 0 : random.logNormal(this.replyMs, this.jitter);
  }

  stream(random: Random): number {
    return this.streamMs <= 0 ? 0 : random.logNormal(this.streamMs, this.jitter);
  }
}

/** No latency at all: every message arrives at once */
export const ZERO_LATENCY: LatencyModel = createLatencyModel({
  requestMs: 0,
  replyMs: 0,
  streamMs: 0,
});

/** How many normal draws a latency source takes at a time */
const BULK = 1024;

/**
 * A random source for latency models that draws its standard normals in bulk into a typed
 * array (a thousand at a time) and hands them out in the same order, so log-normal latencies are
 * the very numbers `random` would have given one by one, at less cost per message. Uniform draws
 * (`next`, `integer`, `exponential`) still come from `random` directly, after the normals drawn
 * ahead: a model that mixes both sees a different (still seeded) sequence than unbuffered.
 */
export function bufferNormals(random: Random): Random {
  return new BufferedNormals(random);
}

function hasBulkNormals(random: Random): random is SeededRandom {
  return typeof (random as Partial<SeededRandom>).normals === 'function';
}

class BufferedNormals implements Random {
  private readonly random: Random;
  private readonly normals = new Float64Array(BULK);
  private index = BULK;

  constructor(random: Random) {
    this.random = random;
  }

  next(): number {
    return this.random.next();
  }

  /** Small, so it inlines; the draws in bulk are `refill`'s, which returns nothing */
  normal(): number {
    if (this.index === BULK) this.refill();
    return this.normals[this.index++]!;
  }

  private refill(): void {
    const normals = this.normals;
    const random = this.random;
    if (hasBulkNormals(random)) random.normals(normals, 0, BULK);
    else for (let i = 0; i < BULK; i++) normals[i] = random.normal();
    this.index = 0;
  }

  exponential(mean: number): number {
    return this.random.exponential(mean);
  }

  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  integer(min: number, max: number): number {
    return this.random.integer(min, max);
  }
}
