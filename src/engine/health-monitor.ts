import { keepFieldsDouble } from '../core/tagged-fields.ts';
import type { Clock } from './clock.ts';
import { LatencyHistogram } from './latency-histogram.ts';

export interface HealthMonitorOptions {
  readonly clock: Clock;
  /** A request unanswered this long counts as timed out and is forgotten, ms; default 60 s */
  readonly requestTimeoutMs?: number;
  /** Most unanswered requests remembered per exchange; the oldest time out first; default 100 000 */
  readonly maxOutstanding?: number;
}

/**
 * One latency series over the whole run, ms. `count`, `mean` and `max` are exact; the
 * percentiles come from a histogram laid out as HDR's (3 significant digits: within 0.1%, never
 * below the true value). An empty series has no percentiles: they are null, never 0.
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

const EMPTY: LatencyStats = { count: 0, p50: null, p90: null, p99: null, mean: null, max: null };

/** Microseconds per millisecond: the histogram records integers */
const US = 1000;

/** Samples a sketch holds before they go into its histogram together */
const BATCH = 256;

/**
 * A latency series over the whole run in bounded memory: a log-linear histogram of microseconds
 * (HDR's layout, 3 significant digits) that grows its range as needed (about 130 KB up to a
 * minute, 8 KB more per doubling), beside the exact count, sum, min and max. Samples reach the
 * histogram a batch at a time: one bucket increment per sample as it comes was a cache miss
 * each (the buckets are cold between two answers, a busy run's other data in between)
 */
class LatencySketch {
  private readonly histogram = new LatencyHistogram();
  /** Samples not yet in the histogram, µs */
  private readonly pending = new Float64Array(BATCH);
  private pendingCount = 0;
  private count = 0;
  private sum = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;

  constructor() {
    // Fractional from the first sample on (see keepFieldsDouble): the sketch's hidden class
    // changed under the exchange state holding it, whose code was thrown away at the next run
    keepFieldsDouble<{ sum: number }>(this as never, ['sum']);
  }

  add(ms: number): void {
    const value = Math.max(0, ms);
    this.pending[this.pendingCount] = value * US;
    this.pendingCount += 1;
    if (this.pendingCount === BATCH) this.flush();
    this.count += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  private flush(): void {
    const pending = this.pending;
    for (let i = 0; i < this.pendingCount; i++) this.histogram.record(pending[i]!);
    this.pendingCount = 0;
  }

  stats(): LatencyStats {
    if (this.count === 0) return EMPTY;
    this.flush();
    // The histogram answers with the top of a value's bucket; the exact extremes bound it
    const at = (q: number) =>
      Math.round(Math.min(this.max, Math.max(this.min, this.histogram.valueAt(q) / US)) * 1e6) /
      1e6;
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

/** How many of the newest requests are found by a scan rather than through the index */
const RECENT = 8;

/**
 * Requests waiting for an answer, in request order: a ring of (id, time) slots numbered by a
 * running sequence, emptied when answered, that doubles only when every slot is open (a venue
 * that answers keeps it at a few slots: no array grows or is copied per request). The newest
 * RECENT are found by a scan; a request enters the index (a Map) only when RECENT newer ones have
 * gone out before its answer, so a venue that answers that quickly costs no Map entry at all.
 * Expiry walks from the oldest slot and costs only what it passes.
 */
class Outstanding {
  /** Requests past the newest RECENT: id → sequence number */
  private readonly index = new Map<string, number>();
  /**
   * Each slot's id, '' when open (no id is empty): strings only, as the scans compare them with
   * strings (an undefined slot met by a scan compiled for strings threw it away)
   */
  private ids: string[] = new Array<string>(16).fill('');
  private times = new Float64Array(16);
  /** Slot of a sequence number: `sequence & mask` */
  private mask = 15;
  /** The oldest sequence number that may be open */
  private head = 0;
  /** The next sequence number */
  private tail = 0;
  /** Sequence numbers before it are in the index while open; from it on they are found by a scan */
  private indexedTo = 0;
  /** Open requests */
  size = 0;

  open(id: string, time: number): void {
    // Opened again (a second cancel, say): the new request replaces the old one
    const old = this.find(id);
    if (old >= 0) this.take(old);
    if (this.tail - this.head > this.mask) this.grow();
    const slot = this.tail & this.mask;
    this.ids[slot] = id;
    this.times[slot] = time;
    this.tail += 1;
    this.size += 1;
    if (this.tail - this.indexedTo > RECENT) {
      const leaving = this.indexedTo;
      this.indexedTo += 1;
      const leavingId = leaving >= this.head ? this.ids[leaving & this.mask]! : '';
      if (leavingId !== '') this.index.set(leavingId, leaving);
    }
  }

  /** Answers a request: its time, or undefined when none is open under that id */
  close(id: string): number | undefined {
    const sequence = this.find(id);
    return sequence < 0 ? undefined : this.take(sequence);
  }

  /** Removes requests older than cutoff (and the oldest beyond max); returns how many went */
  expire(cutoff: number, max: number): number {
    let expired = 0;
    while (this.head < this.tail) {
      const slot = this.head & this.mask;
      if (this.ids[slot] === '') {
        this.head += 1;
        continue;
      }
      if (this.times[slot]! > cutoff && this.size <= max) break;
      this.take(this.head);
      expired += 1;
    }
    return expired;
  }

  /** The sequence number of the open request with this id, or -1 */
  private find(id: string): number {
    const ids = this.ids;
    const mask = this.mask;
    const last = Math.max(this.indexedTo, this.head);
    for (let sequence = this.tail - 1; sequence >= last; sequence--)
      if (ids[sequence & mask] === id) return sequence;
    if (this.index.size === 0) return -1;
    return this.index.get(id) ?? -1;
  }

  /** Empties an open slot and returns its time */
  private take(sequence: number): number {
    const slot = sequence & this.mask;
    const id = this.ids[slot]!;
    this.ids[slot] = '';
    this.size -= 1;
    if (sequence < this.indexedTo) this.index.delete(id);
    while (this.head < this.tail && this.ids[this.head & this.mask] === '') this.head += 1;
    return this.times[slot]!;
  }

  /** Doubles the ring, every slot from head to tail kept at its sequence number */
  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    const ids = new Array<string>(capacity).fill('');
    const times = new Float64Array(capacity);
    const mask = capacity - 1;
    for (let sequence = this.head; sequence < this.tail; sequence++) {
      ids[sequence & mask] = this.ids[sequence & this.mask]!;
      times[sequence & mask] = this.times[sequence & this.mask]!;
    }
    this.ids = ids;
    this.times = times;
    this.mask = mask;
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
  /**
   * The exchange asked about last and its state: nearly every call names the same one. `''` (no
   * exchange is named so) until the first: always a string, as the names compared with it are,
   * or code optimized in one run for comparing strings is thrown away at the next run's first call
   */
  private lastExchange = '';
  private lastState: ExchangeState | undefined;

  constructor(options: HealthMonitorOptions) {
    this.clock = options.clock;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.maxOutstanding = options.maxOutstanding ?? 100_000;
    this.sweepIntervalMs = Math.min(1000, this.requestTimeoutMs / 10);
  }

  private of(exchange: string): ExchangeState {
    if (exchange === this.lastExchange) return this.lastState as ExchangeState;
    let state = this.exchanges.get(exchange);
    if (state === undefined) {
      state = new ExchangeState();
      this.exchanges.set(exchange, state);
    }
    this.lastExchange = exchange;
    this.lastState = state;
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
    if (time < state.nextSweep && requests.size <= this.maxOutstanding) return;
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
        outstandingSubmits: state.submits.size,
        outstandingCancels: state.cancels.size,
        streamConnected: state.streamConnected,
        lastStreamMessageAt: state.lastStreamMessageAt,
      });
    }
    return { time, exchanges };
  }
}
