/**
 * Fault injection for the Lighter emulator: what real venues do to clients, on demand. Every
 * fault is counted down as it fires, so a test injects exactly what it means to. The same API
 * is served over HTTP under `/_kestrel/faults/...` (see README.md).
 */

export interface RequestFaultSpec {
  /** Exact REST path, e.g. `/api/v1/sendTx`; any `/api/v1/` path when absent */
  readonly path?: string;
  /** HTTP status to answer with; default 500 */
  readonly status?: number;
  /** A venue error code for the `{code, message}` body (23000 for a 429, say) */
  readonly code?: number;
  readonly message?: string;
  /** How many requests fail; default 1 */
  readonly count?: number;
  /** Apply the request (the transaction is accepted) and only then fail the reply: a lost reply */
  readonly afterApply?: boolean;
}

export interface DelaySpec {
  readonly path?: string;
  readonly ms: number;
  readonly count?: number;
}

interface RequestFault {
  readonly path: string | undefined;
  readonly status: number;
  readonly code: number | undefined;
  readonly message: string | undefined;
  readonly afterApply: boolean;
  remaining: number;
}

interface Delay {
  readonly path: string | undefined;
  readonly ms: number;
  remaining: number;
}

/** What the emulator's servers do when a fault fires */
export interface FaultHooks {
  dropConnections(): number;
  expireAuthTokens(): number;
  /** Moves an API key's nonce on (the first key when none is named) */
  advanceNonce(steps: number, apiKeyIndex?: number): void;
  hideCanceled(ms: number): void;
  hold(held: boolean): void;
}

export type PushMode = 'normal' | 'drop' | 'duplicate' | 'reorder';

/** Programmatic fault control; `clear()` returns to normal */
export class LighterFaults {
  private readonly hooks: FaultHooks;
  private requestFaults: RequestFault[] = [];
  private delays: Delay[] = [];
  private refusals = 0;
  private refuseUntil = 0;
  private readonly now: () => number;
  private drops = 0;
  private duplicates = 0;
  private reorders = 0;
  private hiddenMs = 0;
  private holding = false;
  private bookBreaks = 0;

  constructor(hooks: FaultHooks, now: () => number) {
    this.hooks = hooks;
    this.now = now;
  }

  /** Closes every WebSocket connection now (clients see an abnormal close); returns how many */
  dropConnections(): number {
    return this.hooks.dropConnections();
  }

  /** Refuses the next `count` WebSocket upgrades with HTTP 503 */
  refuseConnections(count = 1): void {
    this.refusals += count;
  }

  /** Refuses every WebSocket upgrade for `durationMs` */
  refuseConnectionsFor(durationMs: number): void {
    this.refuseUntil = Math.max(this.refuseUntil, this.now() + durationMs);
  }

  /** Ends every account subscription now with the venue's `expired token` error frame */
  expireAuthTokens(): number {
    return this.hooks.expireAuthTokens();
  }

  /** Fails the next matching REST requests with an HTTP status (and a venue code) */
  failRequests(spec: RequestFaultSpec = {}): void {
    this.requestFaults.push({
      path: spec.path,
      status: spec.status ?? 500,
      code: spec.code,
      message: spec.message,
      afterApply: spec.afterApply === true,
      remaining: spec.count ?? 1,
    });
  }

  /** Delays the next matching REST replies */
  delayRequests(spec: DelaySpec): void {
    this.delays.push({ path: spec.path, ms: spec.ms, remaining: spec.count ?? 1 });
  }

  /** Drops the next `count` account pushes (a gap only a resync recovers) */
  dropPushes(count = 1): void {
    this.drops += count;
  }

  /** Sends the next `count` account pushes twice */
  duplicatePushes(count = 1): void {
    this.duplicates += count;
  }

  /** Swaps the next `count` pairs of account pushes */
  reorderPushes(count = 1): void {
    this.reorders += count;
  }

  /** The next `count` order book updates break continuity (`begin_nonce` skips ahead) */
  breakBookContinuity(count = 1): void {
    this.bookBreaks += count;
  }

  /**
   * Another client used the API key (the account's first unless named) `steps` times: the next
   * transaction's nonce on that key is stale
   */
  nonceRace(steps = 1, apiKeyIndex?: number): void {
    this.hooks.advanceNonce(steps, apiKeyIndex);
  }

  /** A canceled order is in neither the active nor the inactive list for `ms` */
  hideCanceled(ms: number): void {
    this.hiddenMs = ms;
    this.hooks.hideCanceled(ms);
  }

  /** Accepted transactions stay in the sequencer (orders stay unknown) until released */
  holdExecution(): void {
    this.holding = true;
    this.hooks.hold(true);
  }

  releaseExecution(): void {
    this.holding = false;
    this.hooks.hold(false);
  }

  /** Back to normal: every pending fault is called off and held transactions execute */
  clear(): void {
    this.requestFaults = [];
    this.delays = [];
    this.refusals = 0;
    this.refuseUntil = 0;
    this.drops = 0;
    this.duplicates = 0;
    this.reorders = 0;
    this.bookBreaks = 0;
    if (this.hiddenMs > 0) this.hideCanceled(0);
    if (this.holding) this.releaseExecution();
  }

  /** What is armed, for `GET /_kestrel/faults` */
  snapshot(): Record<string, unknown> {
    return {
      requestFaults: this.requestFaults.map((f) => ({ ...f })),
      delays: this.delays.map((d) => ({ ...d })),
      refuseConnections: this.refusals,
      refuseConnectionsUntil: this.refuseUntil,
      dropPushes: this.drops,
      duplicatePushes: this.duplicates,
      reorderPushes: this.reorders,
      breakBookContinuity: this.bookBreaks,
      hideCanceledMs: this.hiddenMs,
      holdExecution: this.holding,
    };
  }

  // ---- used by the servers -----------------------------------------------------------------

  /** The request fault for this path, counted down; undefined when none fires */
  takeRequestFault(
    path: string,
  ):
    | { status: number; code: number | undefined; message: string | undefined; afterApply: boolean }
    | undefined {
    const fault = this.requestFaults.find((f) => f.path === undefined || f.path === path);
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.requestFaults = this.requestFaults.filter((f) => f !== fault);
    return {
      status: fault.status,
      code: fault.code,
      message: fault.message,
      afterApply: fault.afterApply,
    };
  }

  takeDelay(path: string): number {
    const delay = this.delays.find((d) => d.path === undefined || d.path === path);
    if (delay === undefined) return 0;
    delay.remaining -= 1;
    if (delay.remaining <= 0) this.delays = this.delays.filter((d) => d !== delay);
    return delay.ms;
  }

  takeConnectionRefusal(): boolean {
    if (this.now() < this.refuseUntil) return true;
    if (this.refusals <= 0) return false;
    this.refusals -= 1;
    return true;
  }

  takeBookBreak(): boolean {
    if (this.bookBreaks <= 0) return false;
    this.bookBreaks -= 1;
    return true;
  }

  /** How the next account push goes out */
  takePushMode(): PushMode {
    if (this.drops > 0) {
      this.drops -= 1;
      return 'drop';
    }
    if (this.duplicates > 0) {
      this.duplicates -= 1;
      return 'duplicate';
    }
    if (this.reorders > 0) {
      this.reorders -= 1;
      return 'reorder';
    }
    return 'normal';
  }
}
