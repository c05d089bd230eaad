import type { Clock } from './clock.ts';

export interface HealthMonitorOptions {
  readonly clock: Clock;
  /** Latency samples kept per exchange and kind (the sliding window); default 1024 */
  readonly windowSize?: number;
  /** Samples older than this are left out of percentiles, ms; default 5 minutes */
  readonly windowMs?: number;
  /** A request unanswered this long counts as timed out and is forgotten, ms; default 60 s */
  readonly requestTimeoutMs?: number;
  /** Most unanswered requests remembered per exchange; the oldest time out first; default 100 000 */
  readonly maxOutstanding?: number;
}

export interface LatencyStats {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
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

/** A ring of the last N samples with their times */
class SampleWindow {
  private readonly values: Float64Array;
  private readonly times: Float64Array;
  private size = 0;
  private next = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
  }

  add(time: number, value: number): void {
    this.values[this.next] = value;
    this.times[this.next] = time;
    this.next = (this.next + 1) % this.values.length;
    if (this.size < this.values.length) this.size += 1;
  }

  stats(since: number): LatencyStats {
    const picked: number[] = [];
    for (let i = 0; i < this.size; i++) {
      if (this.times[i]! >= since) picked.push(this.values[i]!);
    }
    if (picked.length === 0) return { count: 0, p50: 0, p90: 0, p99: 0, mean: 0, max: 0 };
    picked.sort((a, b) => a - b);
    let sum = 0;
    for (const v of picked) sum += v;
    return {
      count: picked.length,
      p50: percentile(picked, 0.5),
      p90: percentile(picked, 0.9),
      p99: percentile(picked, 0.99),
      mean: Math.round((sum / picked.length) * 1e6) / 1e6,
      max: picked[picked.length - 1]!,
    };
  }
}

/** Linear interpolation between closest ranks, over sorted values */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = q * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const a = sorted[low]!;
  const b = sorted[high]!;
  // Nanosecond resolution is plenty for a latency in ms, and keeps float noise out of reports
  return Math.round((a + (b - a) * (rank - low)) * 1e6) / 1e6;
}

/**
 * Requests waiting for an answer. A queue in request order makes expiry cost only what expires
 * (iterating a Map from its start would walk every slot deleted before).
 */
class Outstanding {
  readonly byId = new Map<string, number>();
  private readonly queue: Array<{ readonly id: string; readonly time: number }> = [];
  private head = 0;

  open(id: string, time: number): void {
    this.byId.set(id, time);
    this.queue.push({ id, time });
  }

  close(id: string): number | undefined {
    const time = this.byId.get(id);
    if (time !== undefined) this.byId.delete(id);
    return time;
  }

  /** Removes requests older than cutoff (and beyond max); returns how many went */
  expire(cutoff: number, max: number): number {
    let expired = 0;
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head]!;
      // Entries answered (or opened again since) are skipped
      if (this.byId.get(entry.id) !== entry.time) {
        this.head += 1;
        continue;
      }
      if (entry.time > cutoff && this.byId.size <= max) break;
      this.byId.delete(entry.id);
      this.head += 1;
      expired += 1;
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return expired;
  }
}

class ExchangeState {
  readonly submits = new Outstanding();
  readonly cancels = new Outstanding();
  readonly submitLatency: SampleWindow;
  readonly cancelLatency: SampleWindow;
  readonly eventLag: SampleWindow;
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

  constructor(windowSize: number) {
    this.submitLatency = new SampleWindow(windowSize);
    this.cancelLatency = new SampleWindow(windowSize);
    this.eventLag = new SampleWindow(windowSize);
  }
}

/**
 * Measures how fast each venue answers: submit latency (request → first venue verdict) and
 * cancel latency (request → cancel verdict), correlated by (exchange, clientId) on the injected
 * clock, with p50/p90/p99 over a sliding window; plus counts, event lag and stream liveness.
 * Requests never answered expire into a timeout count. Everything it keeps is bounded.
 */
export class HealthMonitor {
  private readonly clock: Clock;
  private readonly windowSize: number;
  private readonly windowMs: number;
  private readonly requestTimeoutMs: number;
  private readonly maxOutstanding: number;
  private readonly exchanges = new Map<string, ExchangeState>();

  constructor(options: HealthMonitorOptions) {
    this.clock = options.clock;
    this.windowSize = options.windowSize ?? 1024;
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.maxOutstanding = options.maxOutstanding ?? 100_000;
  }

  private of(exchange: string): ExchangeState {
    let state = this.exchanges.get(exchange);
    if (state === undefined) {
      state = new ExchangeState(this.windowSize);
      this.exchanges.set(exchange, state);
    }
    return state;
  }

  recordSubmitRequest(exchange: string, clientId: string, time = this.clock.now()): void {
    const state = this.of(exchange);
    state.counts.submitted += 1;
    state.submits.open(clientId, time);
    this.expireState(state, time);
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
    if (requestedAt !== undefined) state.submitLatency.add(time, time - requestedAt);
  }

  /** A send that failed without a verdict: the order stays PENDING and its request open */
  recordAmbiguous(exchange: string): void {
    this.of(exchange).counts.ambiguous += 1;
  }

  recordCancelRequest(exchange: string, clientId: string, time = this.clock.now()): void {
    const state = this.of(exchange);
    state.counts.cancelRequested += 1;
    state.cancels.open(clientId, time);
    this.expireState(state, time);
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
    if (requestedAt !== undefined) state.cancelLatency.add(time, time - requestedAt);
  }

  recordLost(exchange: string, clientId: string): void {
    const state = this.of(exchange);
    state.counts.lost += 1;
    state.submits.close(clientId);
    state.cancels.close(clientId);
  }

  /** How late a venue event was applied: local time minus the venue's timestamp */
  recordEventLag(exchange: string, venueTime: number, time = this.clock.now()): void {
    this.of(exchange).eventLag.add(time, Math.max(0, time - venueTime));
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

  private expireState(state: ExchangeState, time: number): void {
    const cutoff = time - this.requestTimeoutMs;
    state.counts.timedOut += state.submits.expire(cutoff, this.maxOutstanding);
    state.counts.cancelTimedOut += state.cancels.expire(cutoff, this.maxOutstanding);
  }

  /** Submit latency percentiles for one exchange, ms */
  submitLatency(exchange: string): LatencyStats {
    return this.of(exchange).submitLatency.stats(this.clock.now() - this.windowMs);
  }

  /** Cancel latency percentiles for one exchange, ms */
  cancelLatency(exchange: string): LatencyStats {
    return this.of(exchange).cancelLatency.stats(this.clock.now() - this.windowMs);
  }

  /** A point-in-time view of every exchange seen so far */
  snapshot(): HealthSnapshot {
    const time = this.clock.now();
    this.expire(time);
    const since = time - this.windowMs;
    const exchanges: ExchangeHealth[] = [];
    for (const [exchange, state] of this.exchanges) {
      exchanges.push({
        exchange,
        submitLatency: state.submitLatency.stats(since),
        cancelLatency: state.cancelLatency.stats(since),
        eventLag: state.eventLag.stats(since),
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
