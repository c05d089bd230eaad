import int32Histogram from 'hdr-histogram-js/dist/Int32Histogram.js';
import type { Clock } from './clock.ts';

export interface HealthMonitorOptions {
  readonly clock: Clock;
  /** A request unanswered this long counts as timed out and is forgotten, ms; default 60 s */
  readonly requestTimeoutMs?: number;
  /** Most unanswered requests remembered per exchange; the oldest time out first; default 100 000 */
  readonly maxOutstanding?: number;
}

/**
 * One latency series over the whole run, ms. `count`, `mean` and `max` are exact; the
 * percentiles come from an HDR histogram (3 significant digits: within 0.1%, never below the
 * true value). An empty series has no percentiles: they are null, never 0.
 */
export interface LatencyStats {
  /** Samples since the monitor started (the whole run) */
  readonly count: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly mean: number | null;
  readonly max: number | null;
}

export interface ExchangeCounts {
  submitted: number;
  accepted: number;
  rejected: number;
  /** Submits the venue never answered within the request timeout */
  timedOut: number;
  /** Sends that failed without a verdict (timeout, reset, 5xx): the order stayed PENDING */
  ambiguous: number;
  lost: number;
  cancelRequested: number;
  canceled: number;
  cancelRejected: number;
  cancelTimedOut: number;
  reconnects: number;
  /** Corrections made by reconciliation */
  corrections: number;
  /** Venue input refused: malformed frames and payloads, events the account could not apply */
  refusedInputs: number;
}

export interface ExchangeHealth {
  readonly exchange: string;
  readonly submitLatency: LatencyStats;
  readonly cancelLatency: LatencyStats;
  /** Venue timestamp → local apply */
  readonly eventLag: LatencyStats;
  readonly counts: Readonly<ExchangeCounts>;
  readonly outstandingSubmits: number;
  readonly outstandingCancels: number;
  readonly streamConnected: boolean | undefined;
  /** When the venue's stream last delivered anything, ms since epoch */
  readonly lastStreamMessageAt: number | undefined;
}

export interface HealthSnapshot {
  readonly time: number;
  readonly exchanges: readonly ExchangeHealth[];
}

// The class alone: the package's index also loads its WebAssembly build and codecs (60 ms more).
// A CommonJS module, so its default export sits on the module's default
const Int32Histogram = int32Histogram.default;

const EMPTY: LatencyStats = { count: 0, p50: null, p90: null, p99: null, mean: null, max: null };

/** Microseconds per millisecond: the histogram records integers */
const US = 1000;

/**
 * A latency series over the whole run in bounded memory: an HDR histogram of microseconds that
 * grows its range as needed (about 70 KB up to a minute, a few KB more per doubling), beside
 * the exact count, sum, min and max.
 */
class LatencySketch {
  private readonly histogram = new Int32Histogram(1, 60_000 * US, 3);
  private count = 0;
  private sum = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;

  constructor() {
    this.histogram.autoResize = true;
  }

  add(ms: number): void {
    const value = Math.max(0, ms);
    this.histogram.recordValue(Math.round(value * US));
    this.count += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  stats(): LatencyStats {
    if (this.count === 0) return EMPTY;
    // The histogram answers with the top of a value's bucket; the exact extremes bound it
    const at = (q: number) =>
      Math.round(
        Math.min(this.max, Math.max(this.min, this.histogram.getValueAtPercentile(q) / US)) * 1e6,
      ) / 1e6;
    return {
      count: this.count,
      p50: at(50),
      p90: at(90),
      p99: at(99),
      mean: Math.round((this.sum / this.count) * 1e6) / 1e6,
      max: this.max,
    };
  }
}

/**
 * Requests waiting for an answer. A queue in request order makes expiry cost only what expires
 * (iterating a Map from its start would walk every slot deleted before); the queue is two
 * parallel arrays, so a request costs its Map entry and no object.
 */
class Outstanding {
  readonly byId = new Map<string, number>();
  private ids: string[] = [];
  private times: number[] = [];
  private head = 0;

  open(id: string, time: number): void {
    this.byId.set(id, time);
    this.ids.push(id);
    this.times.push(time);
  }

  close(id: string): number | undefined {
    const time = this.byId.get(id);
    if (time !== undefined) this.byId.delete(id);
    return time;
  }

  /** Removes requests older than cutoff (and beyond max); returns how many went */
  expire(cutoff: number, max: number): number {
    let expired = 0;
    const { ids, times, byId } = this;
    let head = this.head;
    while (head < ids.length) {
      const id = ids[head]!;
      const time = times[head]!;
      // Entries answered (or opened again since) are skipped
      if (byId.get(id) !== time) {
        head += 1;
        continue;
      }
      if (time > cutoff && byId.size <= max) break;
      byId.delete(id);
      head += 1;
      expired += 1;
    }
    if (head > 4096 && head * 2 > ids.length) {
      this.ids = ids.slice(head);
      this.times = times.slice(head);
      head = 0;
    }
    this.head = head;
    return expired;
  }
}

class ExchangeState {
  readonly submits = new Outstanding();
  readonly cancels = new Outstanding();
  readonly submitLatency = new LatencySketch();
  readonly cancelLatency = new LatencySketch();
  readonly eventLag = new LatencySketch();
  readonly counts: ExchangeCounts = {
    submitted: 0,
    accepted: 0,
    rejected: 0,
    timedOut: 0,
    ambiguous: 0,
    lost: 0,
    cancelRequested: 0,
    canceled: 0,
    cancelRejected: 0,
    cancelTimedOut: 0,
    reconnects: 0,
    corrections: 0,
    refusedInputs: 0,
  };
  streamConnected: boolean | undefined;
  lastStreamMessageAt: number | undefined;
  /** When a new request next sweeps the outstanding ones for timeouts (snapshots always do) */
  nextSweep = Number.NEGATIVE_INFINITY;
}

/**
 * Measures how fast each venue answers: submit latency (request → first venue verdict) and
 * cancel latency (request → cancel verdict), correlated by (exchange, clientId) on the injected
 * clock, with p50/p90/p99 over the whole run; plus counts, event lag and stream liveness.
 * Requests never answered expire into a timeout count. Everything it keeps is bounded.
 */
export class HealthMonitor {
  private readonly clock: Clock;
  private readonly requestTimeoutMs: number;
  private readonly maxOutstanding: number;
  private readonly sweepIntervalMs: number;
  private readonly exchanges = new Map<string, ExchangeState>();

  constructor(options: HealthMonitorOptions) {
    this.clock = options.clock;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.maxOutstanding = options.maxOutstanding ?? 100_000;
    this.sweepIntervalMs = Math.min(1000, this.requestTimeoutMs / 10);
  }

  private of(exchange: string): ExchangeState {
    let state = this.exchanges.get(exchange);
    if (state === undefined) {
      state = new ExchangeState();
      this.exchanges.set(exchange, state);
    }
    return state;
  }

  recordSubmitRequest(exchange: string, clientId: string, time = this.clock.now()): void {
    const state = this.of(exchange);
    state.counts.submitted += 1;
    state.submits.open(clientId, time);
    this.sweep(state, state.submits, time);
  }

  /** The venue's first verdict on a submit; `accepted` false for a rejection */
  recordSubmitResponse(
    exchange: string,
    clientId: string,
    accepted: boolean,
    time = this.clock.now(),
  ): void {
    const state = this.of(exchange);
    if (accepted) state.counts.accepted += 1;
    else state.counts.rejected += 1;
    const requestedAt = state.submits.close(clientId);
    if (requestedAt !== undefined) state.submitLatency.add(time - requestedAt);
  }

  /** A send that failed without a verdict: the order stays PENDING and its request open */
  recordAmbiguous(exchange: string): void {
    this.of(exchange).counts.ambiguous += 1;
  }

  recordCancelRequest(exchange: string, clientId: string, time = this.clock.now()): void {
    const state = this.of(exchange);
    state.counts.cancelRequested += 1;
    state.cancels.open(clientId, time);
    this.sweep(state, state.cancels, time);
  }

  /** The venue's answer to a cancel; `canceled` false when it refused */
  recordCancelResponse(
    exchange: string,
    clientId: string,
    canceled: boolean,
    time = this.clock.now(),
  ): void {
    const state = this.of(exchange);
    if (canceled) state.counts.canceled += 1;
    else state.counts.cancelRejected += 1;
    const requestedAt = state.cancels.close(clientId);
    if (requestedAt !== undefined) state.cancelLatency.add(time - requestedAt);
  }

  recordLost(exchange: string, clientId: string): void {
    const state = this.of(exchange);
    state.counts.lost += 1;
    state.submits.close(clientId);
    state.cancels.close(clientId);
  }

  /** How late a venue event was applied: local time minus the venue's timestamp */
  recordEventLag(exchange: string, venueTime: number, time = this.clock.now()): void {
    this.of(exchange).eventLag.add(time - venueTime);
  }

  recordStreamMessage(exchange: string, time = this.clock.now()): void {
    const state = this.of(exchange);
    state.lastStreamMessageAt = time;
    state.streamConnected = true;
  }

  recordStreamState(exchange: string, connected: boolean): void {
    const state = this.of(exchange);
    if (connected && state.streamConnected === false) state.counts.reconnects += 1;
    state.streamConnected = connected;
  }

  recordCorrection(exchange: string): void {
    this.of(exchange).counts.corrections += 1;
  }

  /** A venue frame, payload or event refused without touching state */
  recordRefusedInput(exchange: string): void {
    this.of(exchange).counts.refusedInputs += 1;
  }

  /** Expires requests unanswered past the timeout into the timeout counts */
  expire(time = this.clock.now()): void {
    for (const state of this.exchanges.values()) this.expireState(state, time);
  }

  /**
   * Expires on a new request at most once per sweep interval of the clock (a timeout is counted at
   * most that much late; snapshots expire exactly), and at once past the outstanding bound
   */
  private sweep(state: ExchangeState, requests: Outstanding, time: number): void {
    if (time < state.nextSweep && requests.byId.size <= this.maxOutstanding) return;
    state.nextSweep = time + this.sweepIntervalMs;
    this.expireState(state, time);
  }

  private expireState(state: ExchangeState, time: number): void {
    const cutoff = time - this.requestTimeoutMs;
    state.counts.timedOut += state.submits.expire(cutoff, this.maxOutstanding);
    state.counts.cancelTimedOut += state.cancels.expire(cutoff, this.maxOutstanding);
  }

  /** Submit latency percentiles for one exchange, ms */
  submitLatency(exchange: string): LatencyStats {
    return this.of(exchange).submitLatency.stats();
  }

  /** Cancel latency percentiles for one exchange, ms */
  cancelLatency(exchange: string): LatencyStats {
    return this.of(exchange).cancelLatency.stats();
  }

  /** A point-in-time view of every exchange seen so far */
  snapshot(): HealthSnapshot {
    const time = this.clock.now();
    this.expire(time);
    const exchanges: ExchangeHealth[] = [];
    for (const [exchange, state] of this.exchanges) {
      exchanges.push({
        exchange,
        submitLatency: state.submitLatency.stats(),
        cancelLatency: state.cancelLatency.stats(),
        eventLag: state.eventLag.stats(),
        counts: { ...state.counts },
        outstandingSubmits: state.submits.byId.size,
        outstandingCancels: state.cancels.byId.size,
        streamConnected: state.streamConnected,
        lastStreamMessageAt: state.lastStreamMessageAt,
      });
    }
    return { time, exchanges };
  }
}
