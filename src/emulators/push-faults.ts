import type { Clock, Timer } from '../engine/clock.ts';
import type { EmulatorFaults } from './faults.ts';

/** Held (reordered) pushes go out after this long even if the batch is short */
const REORDER_FLUSH_MS = 250;

/**
 * Delivers an emulator's private pushes through its fault controller: each one late by the
 * armed push delay, then dropped, sent twice, or held and sent in reverse order with the rest
 * of its batch, and finally handed to `send` as the text that goes on the wire.
 */
export class FaultedPushes {
  private readonly clock: Clock;
  private readonly faults: EmulatorFaults;
  private readonly send: (text: string) => void;
  private held: string[] = [];
  private flushTimer: Timer | undefined;
  private readonly timers = new Set<Timer>();

  constructor(clock: Clock, faults: EmulatorFaults, send: (text: string) => void) {
    this.clock = clock;
    this.faults = faults;
    this.send = send;
  }

  /** Sends one push (its wire text) through the faults armed now */
  push(text: string): void {
    const delay = this.faults.pushDelayMs;
    if (delay > 0) {
      const timer = this.clock.setTimer(delay, () => {
        this.timers.delete(timer);
        this.route(text);
      });
      this.timers.add(timer);
      return;
    }
    this.route(text);
  }

  private route(text: string): void {
    const action = this.faults.takePushAction();
    if (action === 'drop') return;
    if (action === 'hold') {
      this.held.push(text);
      if (!this.faults.holding) this.flush();
      else if (this.flushTimer === undefined) {
        this.flushTimer = this.clock.setTimer(REORDER_FLUSH_MS, () => this.flush());
      }
      return;
    }
    this.send(text);
    if (action === 'duplicate') this.send(text);
  }

  private flush(): void {
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
    const held = this.held.reverse();
    this.held = [];
    for (const text of held) this.send(text);
  }

  /** Cancels every delayed and held push */
  close(): void {
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
    this.held = [];
    for (const timer of this.timers) timer.cancel();
    this.timers.clear();
  }
}
