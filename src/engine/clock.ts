import { emptyObjectList, keepFlagsMutable } from '../core/tagged-fields.ts';

/** A scheduled callback that can be called off */
export interface Timer {
  cancel(): void;
}

/**
 * Where the engine gets time and timers from. Live runs use the system clock; backtests a
 * simulated one that jumps from event to event, so the same code measures latency either way.
 */
export interface Clock {
  /** Milliseconds since the epoch, with sub-millisecond precision where the clock has it */
  now(): number;
  /**
   * Runs callback once, delayMs from now. `spare`, when given, is a timer of the caller's that has
   * fired and that it no longer holds: a clock may set it again instead of making one (a
   * simulated clock does; a bar history sets one per bar)
   */
  setTimer(delayMs: number, callback: () => void, spare?: Timer): Timer;
  /**
   * Runs callback once, delayMs from now, with no way to call it off: nothing outside the clock
   * holds the timer, so a simulated clock reuses it once it has fired (a simulated link sets one
   * per message). Optional: without it, callers use `setTimer` and drop the handle
   */
  schedule?(delayMs: number, callback: () => void): void;
}

/** Wall-clock time at sub-millisecond resolution, with Node timers */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimer(delayMs, callback) {
    const handle = setTimeout(callback, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(handle) };
  },
  schedule(delayMs, callback) {
    setTimeout(callback, Math.max(0, delayMs));
  },
};

class ScheduledTimer implements Timer {
  due: number;
  seq: number;
  callback: () => void;
  canceled = false;
  /** Set with `schedule`: no one else holds it, so it is reused once it has fired */
  reusable: boolean;
  /** In the clock's heap (set, and not yet fired or dropped) */
  queued = false;

  constructor(due: number, seq: number, callback: () => void, reusable: boolean) {
    this.due = due;
    this.seq = seq;
    this.callback = callback;
    this.reusable = reusable;
  }

  cancel(): void {
    this.canceled = true;
  }
}

/**
 * A clock that only moves when told. Timers fire in due order (ties in the order they were set)
 * as `advanceTo` passes them, each seeing `now()` equal to its due time.
 */
/**
 * Kept by the module: a timer's `canceled` was first set by a run's end (the strategy's timer
 * canceled as it stops), a constant to V8 until then, and the code of the clock and the replay
 * relying on it was thrown away there (see keepFlagsMutable). This timer, never queued, keeps the
 * timers' hidden class with the flag marked as one that changes from one run to the next
 */
const KEPT_TIMER = new ScheduledTimer(0, 0, () => {}, false);
keepFlagsMutable<{ canceled: boolean }>(KEPT_TIMER as never, ['canceled']);

const SPARE_TIMERS = 8;
const NO_CALLBACK = (): void => {};

export class SimulatedClock implements Clock {
  /**
   * The time as one number object, shared by every reader. Left undefined where declared (the
   * constructor sets it), so the field holds a reference to a number rather than the number in
   * place: moving the clock then boxes the new time once, where a number kept in place is boxed
   * anew by each reader that hands `now()` on to a call the optimizer did not inline (the venue,
   * the strategy's context, the recorder: several per market event, ~0.5 KB per order in a busy
   * backtest)
   */
  private current: number;
  private seq = 0;
  private readonly heap: ScheduledTimer[] = emptyObjectList();
  /** Timers set with `schedule` that have fired, ready to be set again */
  private readonly spare: ScheduledTimer[] = emptyObjectList();

  constructor(start = 0) {
    this.current = start;
    // A few spare timers from the start: the pool found empty only at a run's start (a backtest
    // reuses 3), before V8 records what `schedule` does there, was code a second run in the same
    // process threw away at its first timers (the broker's sends and replies)
    for (let i = 0; i < SPARE_TIMERS; i++)
      this.spare.push(new ScheduledTimer(0, 0, NO_CALLBACK, true));
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, callback: () => void, spare?: Timer): Timer {
    if (spare instanceof ScheduledTimer && !spare.queued && !spare.reusable) {
      // Set again as a new one would be: its due time, the next sequence number, not canceled
      spare.due = this.current + Math.max(0, delayMs);
      spare.seq = this.seq++;
      spare.callback = callback;
      spare.canceled = false;
      this.push(spare);
      return spare;
    }
    const timer = new ScheduledTimer(
      this.current + Math.max(0, delayMs),
      this.seq++,
      callback,
      false,
    );
    this.push(timer);
    return timer;
  }

  schedule(delayMs: number, callback: () => void): void {
    const due = this.current + Math.max(0, delayMs);
    const timer = this.spare.pop();
    if (timer === undefined) {
      this.push(new ScheduledTimer(due, this.seq++, callback, true));
      return;
    }
    timer.due = due;
    timer.seq = this.seq++;
    timer.callback = callback;
    this.push(timer);
  }

  /** The due time of the next live timer, or undefined when none is set */
  nextDue(): number | undefined {
    this.dropCanceled();
    return this.heap[0]?.due;
  }

  /**
   * Moves time forward to `time`, firing every timer due on the way; never moves backwards.
   * Returns whether any timer fired
   */
  advanceTo(time: number): boolean {
    let fired = false;
    for (;;) {
      this.dropCanceled();
      // Read only when there is one (see dropCanceled)
      const top = this.heap.length > 0 ? this.heap[0] : undefined;
      if (top === undefined || top.due > time) break;
      this.pop();
      if (top.due > this.current) this.current = top.due;
      fired = true;
      this.fire(top);
    }
    if (time > this.current) this.current = time;
    return fired;
  }

  /** Fires timers until none is left (or `limit` have fired); returns how many fired */
  runAll(limit = 1_000_000): number {
    let fired = 0;
    for (let due = this.nextDue(); due !== undefined && fired < limit; due = this.nextDue()) {
      const top = this.pop();
      if (top.due > this.current) this.current = top.due;
      this.fire(top);
      fired += 1;
    }
    return fired;
  }

  /** How many timers are waiting */
  get pending(): number {
    return this.heap.filter((t) => !t.canceled).length;
  }

  /** Runs a timer taken off the heap; one set with `schedule` is free to be set again */
  private fire(timer: ScheduledTimer): void {
    const callback = timer.callback;
    if (timer.reusable) this.spare.push(timer);
    callback();
  }

  private dropCanceled(): void {
    // The length first: a read past the end of the empty heap (before the first timer, or once
    // the last fired) deoptimized the backtest loop this is inlined into
    while (this.heap.length > 0 && this.heap[0]!.canceled) this.pop();
  }

  private before(a: ScheduledTimer, b: ScheduledTimer): boolean {
    // The tie-break compared every time, not only on a tie: two timers due at once are rare, and a
    // comparison first reached after this was inlined threw away the code around it (the clock's
    // fire and advanceTo, the broker's send, the backtest loop)
    const earlier = a.seq < b.seq;
    return a.due < b.due || (a.due === b.due && earlier);
  }

  private push(timer: ScheduledTimer): void {
    timer.queued = true;
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!this.before(timer, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): ScheduledTimer {
    const heap = this.heap;
    const top = heap[0]!;
    top.queued = false;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && this.before(heap[right]!, heap[left]!) ? right : left;
        if (!this.before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}
