import type { Clock } from '../engine/clock.ts';

/** Which sockets a connection fault hits */
export type StreamKind = 'user' | 'market' | 'all';
/** Which connections a refusal hits: WebSocket upgrades, REST requests, or both */
export type RefusalScope = 'ws' | 'rest' | 'all';

/** A REST answer to force on matching requests */
export interface RequestFaultSpec {
  /** HTTP status to answer with, e.g. 503, 500, 429, 418 */
  readonly status: number;
  /** The venue's error code for the body; default the venue's code for the status */
  readonly code?: number;
  readonly msg?: string;
  /** How many matching requests to fail; default 1 */
  readonly count?: number;
  /** Only requests with this method (GET, POST, ...) */
  readonly method?: string;
  /** Only requests whose path starts with this, e.g. `/fapi/v1/order` or `/v5/order/create` */
  readonly path?: string;
  /**
   * `before`: refuse without acting (the venue did nothing); `after`: act, then lose the answer
   * (the order is placed but the client sees a 5xx). Default `before`
   */
  readonly when?: 'before' | 'after';
  /** A Retry-After header, in seconds */
  readonly retryAfterSeconds?: number;
}

/** Entries of the next batch order request to answer with an error in place of their own answer */
export interface BatchEntryFaultSpec {
  /** Which entries (0-based positions in the batch); default the first */
  readonly entries?: readonly number[];
  /** The HTTP status whose venue code and message the entries carry; default 500 */
  readonly status?: number;
  /** The venue's error code for the entries; default the venue's code for the status */
  readonly code?: number;
  readonly msg?: string;
  /**
   * `before`: refuse the entries without acting; `after`: place them, then answer the error in
   * their place (the venue acted, the answer says otherwise). Default `after`
   */
  readonly when?: 'before' | 'after';
}

/** What the venue does with one entry of a batch under a batch-entry fault */
export interface BatchEntryFault {
  readonly code: number;
  readonly msg: string;
  readonly when: 'before' | 'after';
}

interface RequestFault {
  readonly status: number;
  readonly code: number;
  readonly msg: string;
  remaining: number;
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly when: 'before' | 'after';
  readonly retryAfterSeconds: number | undefined;
}

interface DelayFault {
  readonly ms: number;
  remaining: number;
  readonly path: string | undefined;
  readonly when: 'before' | 'after';
}

/** How to hold one REST answer: for how long, and whether the venue acts first */
export interface ResponseDelay {
  readonly ms: number;
  /** `before`: hold the request, then act and answer; `after`: act (and push) at once, hold the answer */
  readonly when: 'before' | 'after';
}

/** The hooks the emulator gives its fault controller to act on live connections */
export interface FaultHooks {
  dropSockets(kind: StreamKind, code: number | undefined): number;
  /** Absent on venues without listen keys: the operation then expires nothing */
  expireListenKeys?(): number;
}

/** The error code and message a venue answers a forced HTTP status with */
export type FaultAnswers = (status: number) => { readonly code: number; readonly msg: string };

/** What the fault controller currently has armed, for the control API and tests */
export interface FaultState {
  readonly refusingWsUntil: number;
  readonly refusingRestUntil: number;
  readonly requestFaults: number;
  /** Batch requests whose entries will be answered with an error */
  readonly batchEntryFaults: number;
  readonly delays: number;
  readonly dropPushes: number;
  readonly duplicatePushes: number;
  readonly reorderPushes: number;
  readonly pushDelayMs: number;
  readonly clockOffsetMs: number;
  /** Upgrades refused since start, so a test can count dial attempts */
  readonly refusedUpgrades: number;
}

/**
 * An emulator's fault injection: everything a test (or `kestrel emulate` user, over HTTP)
 * can do to make the venue misbehave the way real ones do. Faults are armed here and consumed
 * by the venue's REST and WebSocket layers as matching traffic passes; the venue says which
 * error code and message each forced HTTP status carries.
 */
export class EmulatorFaults {
  private readonly clock: Clock;
  private readonly answers: FaultAnswers;
  private hooks: FaultHooks | undefined;
  private refuseWsUntil = 0;
  private refuseRestUntil = 0;
  private requestFaults: RequestFault[] = [];
  private batchEntryFaults: (BatchEntryFault & { readonly entries: ReadonlySet<number> })[] = [];
  private delays: DelayFault[] = [];
  private drop = 0;
  private duplicate = 0;
  private reorder = 0;
  private pushDelay = 0;
  private offset = 0;
  private refused = 0;
  private readonly held = new Set<() => void>();

  constructor(clock: Clock, answers: FaultAnswers) {
    this.clock = clock;
    this.answers = answers;
  }

  /** Binds the live connections; the emulator calls it once */
  bind(hooks: FaultHooks): void {
    this.hooks = hooks;
  }

  /** Drops open sockets (user data, market data or both): terminated, or closed with `code`; returns how many */
  dropConnections(options: { readonly stream?: StreamKind; readonly code?: number } = {}): number {
    return this.hooks?.dropSockets(options.stream ?? 'all', options.code) ?? 0;
  }

  /** Refuses new connections for a while: WebSocket upgrades (default), REST, or both */
  refuseConnections(durationMs: number, options: { readonly scope?: RefusalScope } = {}): void {
    const until = this.clock.now() + Math.max(0, durationMs);
    const scope = options.scope ?? 'ws';
    if (scope !== 'rest') this.refuseWsUntil = until;
    if (scope !== 'ws') this.refuseRestUntil = until;
  }

  /**
   * Delays REST answers by `ms`, for the next `count` requests (default all) on `path`. With
   * `when: 'after'` the venue acts and pushes at once and only the answer is late, so the
   * stream beats the REST reply. `releaseResponses()` lets every held answer go at once.
   */
  delayResponses(
    ms: number,
    options: {
      readonly count?: number;
      readonly path?: string;
      readonly when?: 'before' | 'after';
    } = {},
  ): void {
    this.delays.push({
      ms,
      remaining: options.count ?? Number.POSITIVE_INFINITY,
      path: options.path,
      when: options.when ?? 'before',
    });
  }

  /** Releases every REST answer held by a delay now; returns how many */
  releaseResponses(): number {
    const held = [...this.held];
    this.held.clear();
    for (const release of held) release();
    return held.length;
  }

  /** Holds an answer until `ms` pass or releaseResponses() is called (for the REST layer) */
  hold(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: { cancel(): void } | undefined;
      const release = () => {
        timer?.cancel();
        this.held.delete(release);
        resolve();
      };
      this.held.add(release);
      timer = this.clock.setTimer(ms, release);
    });
  }

  /** How many answers are being held now */
  get heldResponses(): number {
    return this.held.size;
  }

  /** Answers matching requests with an HTTP error (5xx, 429, 418...), before or after acting */
  failRequests(spec: RequestFaultSpec): void {
    const answer = this.answers(spec.status);
    this.requestFaults.push({
      status: spec.status,
      code: spec.code ?? answer.code,
      msg: spec.msg ?? answer.msg,
      remaining: spec.count ?? 1,
      method: spec.method?.toUpperCase(),
      path: spec.path,
      when: spec.when ?? 'before',
      retryAfterSeconds: spec.retryAfterSeconds,
    });
  }

  /**
   * Answers some entries of the next batch order request with the venue's error in place of
   * their own answer (the rest of the batch is answered as usual); with `when: 'after'` (the
   * default) the venue places those orders all the same, as an entry answered -1001 may have
   * been. Specs armed before the batch all apply to it
   */
  failBatchEntries(spec: BatchEntryFaultSpec = {}): void {
    const answer = this.answers(spec.status ?? 500);
    this.batchEntryFaults.push({
      entries: new Set(spec.entries ?? [0]),
      code: spec.code ?? answer.code,
      msg: spec.msg ?? answer.msg,
      when: spec.when ?? 'after',
    });
  }

  /** Answers the next `count` requests with 429 (or 418) and a Retry-After */
  rateLimit(
    options: {
      readonly count?: number;
      readonly retryAfterSeconds?: number;
      readonly status?: 429 | 418;
    } = {},
  ): void {
    this.failRequests({
      status: options.status ?? 429,
      count: options.count ?? 1,
      retryAfterSeconds: options.retryAfterSeconds ?? 1,
    });
  }

  /** Silently drops the next `count` user-data pushes */
  dropPushes(count: number): void {
    this.drop += count;
  }

  /** Sends each of the next `count` user-data pushes twice */
  duplicatePushes(count: number): void {
    this.duplicate += count;
  }

  /** Holds the next `count` user-data pushes and sends them in reverse order */
  reorderPushes(count: number): void {
    this.reorder += count;
  }

  /** Delays every user-data push by `ms` (0 turns it off), so REST answers overtake pushes */
  delayPushes(ms: number): void {
    this.pushDelay = Math.max(0, ms);
  }

  /**
   * Expires every listenKey (Binance: a `listenKeyExpired` push, then silence; keepalives
   * fail with -1125); nothing on a venue without listen keys
   */
  expireListenKeys(): number {
    return this.hooks?.expireListenKeys?.() ?? 0;
  }

  /** Skews the server clock by `ms`, so client timestamps fall outside the venue's receive window */
  setClockOffset(ms: number): void {
    this.offset = ms;
  }

  /** Disarms every fault */
  reset(): void {
    this.refuseWsUntil = 0;
    this.refuseRestUntil = 0;
    this.requestFaults = [];
    this.batchEntryFaults = [];
    this.delays = [];
    this.drop = 0;
    this.duplicate = 0;
    this.reorder = 0;
    this.pushDelay = 0;
    this.offset = 0;
    this.releaseResponses();
  }

  state(): FaultState {
    return {
      refusingWsUntil: this.refuseWsUntil,
      refusingRestUntil: this.refuseRestUntil,
      requestFaults: this.requestFaults.reduce((n, f) => n + f.remaining, 0),
      batchEntryFaults: this.batchEntryFaults.length,
      delays: this.delays.length,
      dropPushes: this.drop,
      duplicatePushes: this.duplicate,
      reorderPushes: this.reorder,
      pushDelayMs: this.pushDelay,
      clockOffsetMs: this.offset,
      refusedUpgrades: this.refused,
    };
  }

  // ---- consumed by the server ----

  /** The server's clock, skewed by the configured offset */
  serverTime(): number {
    return this.clock.now() + this.offset;
  }

  refusesUpgrade(): boolean {
    const refuse = this.clock.now() < this.refuseWsUntil;
    if (refuse) this.refused += 1;
    return refuse;
  }

  refusesRest(): boolean {
    return this.clock.now() < this.refuseRestUntil;
  }

  /** The forced answer for a request, if one is armed for it (consumes one) */
  takeRequestFault(
    method: string,
    path: string,
  ): Omit<RequestFault, 'remaining' | 'method' | 'path'> | undefined {
    for (const fault of this.requestFaults) {
      if (fault.remaining <= 0) continue;
      if (fault.method !== undefined && fault.method !== method) continue;
      if (fault.path !== undefined && !path.startsWith(fault.path)) continue;
      fault.remaining -= 1;
      this.requestFaults = this.requestFaults.filter((f) => f.remaining > 0);
      return fault;
    }
    return undefined;
  }

  /**
   * The faults for the entries of a batch order request, by position: every armed spec applies
   * to this batch and is consumed (the last armed wins an entry named twice)
   */
  takeBatchEntryFaults(): ReadonlyMap<number, BatchEntryFault> {
    const byEntry = new Map<number, BatchEntryFault>();
    for (const { entries, ...answer } of this.batchEntryFaults)
      for (const entry of entries) byEntry.set(entry, answer);
    this.batchEntryFaults = [];
    return byEntry;
  }

  /** How long to hold the answer to a request on `path`, and when (consumes one) */
  takeDelay(path: string): ResponseDelay | undefined {
    for (const delay of this.delays) {
      if (delay.remaining <= 0) continue;
      if (delay.path !== undefined && !path.startsWith(delay.path)) continue;
      delay.remaining -= 1;
      this.delays = this.delays.filter((d) => d.remaining > 0);
      return { ms: delay.ms, when: delay.when };
    }
    return undefined;
  }

  /** What to do with the next user-data push */
  takePushAction(): 'send' | 'drop' | 'duplicate' | 'hold' {
    if (this.drop > 0) {
      this.drop -= 1;
      return 'drop';
    }
    if (this.reorder > 0) {
      this.reorder -= 1;
      return 'hold';
    }
    if (this.duplicate > 0) {
      this.duplicate -= 1;
      return 'duplicate';
    }
    return 'send';
  }

  /** Whether held pushes should be released (the reorder batch is complete) */
  get holding(): boolean {
    return this.reorder > 0;
  }

  get pushDelayMs(): number {
    return this.pushDelay;
  }
}
