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
  /** Runs callback once, delayMs from now */
  setTimer(delayMs: number, callback: () => void): Timer;
}

/** Wall-clock time at sub-millisecond resolution, with Node timers */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimer(delayMs, callback) {
    const handle = setTimeout(callback, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(handle) };
  },
};

class ScheduledTimer implements Timer {
  readonly due: number;
  readonly seq: number;
  readonly callback: () => void;
  canceled = false;

  constructor(due: number, seq: number, callback: () => void) {
    this.due = due;
    this.seq = seq;
    this.callback = callback;
  }

  cancel(): void {
    this.canceled = true;
  }
}

/**
 * A clock that only moves when told. Timers fire in due order (ties in the order they were set)
 * as `advanceTo` passes them, each seeing `now()` equal to its due time.
 */
export class SimulatedClock implements Clock {
  /**
   * Initialized with a number where declared: a field first defined as undefined holds every
   * later time as a new heap number, and the clock moves on every market event
   */
  private current = 0;
  private seq = 0;
  private readonly heap: ScheduledTimer[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    const timer = new ScheduledTimer(this.current + Math.max(0, delayMs), this.seq++, callback);
    this.push(timer);
    return timer;
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
      const top = this.heap[0];
      if (top === undefined || top.due > time) break;
      this.pop();
      if (top.due > this.current) this.current = top.due;
      fired = true;
      top.callback();
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
      top.callback();
      fired += 1;
    }
    return fired;
  }

  /** How many timers are waiting */
  get pending(): number {
    return this.heap.filter((t) => !t.canceled).length;
  }

  private dropCanceled(): void {
    while (this.heap[0]?.canceled) this.pop();
  }

  private before(a: ScheduledTimer, b: ScheduledTimer): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private push(timer: ScheduledTimer): void {
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
