import { Console } from 'node:console';
import { Writable } from 'node:stream';
import type { BacktestProgress } from '../runtime/backtest.ts';
import type { Io } from './io.ts';

/**
 * The one live line at the bottom of a terminal (a backtest's progress bar, a live run's
 * status), kept apart from every other line: a log line or a strategy's output clears it, is
 * printed on a line of its own, and the status is drawn again below it. Disabled (off a
 * terminal, or `--quiet`), it draws nothing and lines are simply printed.
 */
export class StatusLine {
  readonly enabled: boolean;
  private readonly io: Io;
  private current = '';

  constructor(io: Io, enabled: boolean) {
    this.io = io;
    this.enabled = enabled;
  }

  /** Draws the status in place of the last one */
  show(text: string): void {
    if (!this.enabled) return;
    this.current = text;
    this.io.stderr(`\r${text}\x1b[K`);
  }

  /** Prints a line (or lines) to stderr, above the status */
  print(text: string): void {
    const lines = text.endsWith('\n') ? text : `${text}\n`;
    if (this.current === '') this.io.stderr(lines);
    else this.io.stderr(`\r\x1b[K${lines}\r${this.current}\x1b[K`);
  }

  /** Removes the status */
  clear(): void {
    if (this.current === '') return;
    this.current = '';
    this.io.stderr('\r\x1b[K');
  }
}

/** A backtest's progress bar on the status line, redrawn at most ten times a second */
export function progressBar(
  status: StatusLine,
  columns = 80,
): (progress: BacktestProgress) => void {
  const started = performance.now();
  let lastDraw = 0;
  return (progress) => {
    const now = performance.now();
    if (now - lastDraw < 100) return;
    lastDraw = now;
    const elapsed = (now - started) / 1000;
    const fraction = progress.fraction;
    const width = Math.max(10, Math.min(40, columns - 60));
    const filled = fraction === undefined ? 0 : Math.round(fraction * width);
    const bar =
      fraction === undefined
        ? ''
        : `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}% `;
    const eta =
      fraction !== undefined && fraction > 0.01
        ? ` eta ${Math.max(0, Math.round((elapsed * (1 - fraction)) / fraction))}s`
        : '';
    const simTime = new Date(progress.time).toISOString().slice(0, 16).replace('T', ' ');
    status.show(
      `${bar}${String(progress.events).replace(/\B(?=(\d{3})+(?!\d))/g, ',')} events  ${simTime}  ${Math.round(elapsed)}s${eta}`,
    );
  };
}

/**
 * Sends what a strategy writes with `console` to stderr, above the status line, for the length
 * of a run: stdout carries only the report (`key=value` lines or JSON) scripts read. Returns
 * the function that puts the console back.
 */
export function strategyConsoleTo(status: StatusLine): () => void {
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      status.print(String(chunk));
      done();
    },
  });
  const original = globalThis.console;
  globalThis.console = new Console({ stdout: sink, stderr: sink });
  return () => {
    globalThis.console = original;
  };
}
