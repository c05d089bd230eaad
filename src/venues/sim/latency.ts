import type { Random } from '../../core/random.ts';

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
  const jitter = spec.jitter ?? 0.4;
  const sample = (median: number) => (random: Random) =>
    median <= 0 ? 0 : random.logNormal(median, jitter);
  return {
    request: sample(spec.requestMs ?? 20),
    reply: sample(spec.replyMs ?? 20),
    stream: sample(spec.streamMs ?? 25),
  };
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
  const normals = new Float64Array(BULK);
  let index = BULK;
  const normal = (): number => {
    if (index === BULK) {
      for (let i = 0; i < BULK; i++) normals[i] = random.normal();
      index = 0;
    }
    return normals[index++]!;
  };
  return {
    next: () => random.next(),
    normal,
    exponential: (mean) => random.exponential(mean),
    logNormal: (median, sigma) => median * Math.exp(sigma * normal()),
    integer: (min, max) => random.integer(min, max),
  };
}
