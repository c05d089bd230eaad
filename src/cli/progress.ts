import type { BacktestProgress } from '../runtime/backtest.ts';
import { grouped } from '../runtime/report/summary.ts';
import type { Io } from './io.ts';

/** A one-line progress bar on a terminal, redrawn at most ten times a second */
export class ProgressBar {
  private readonly io: Io;
  private readonly started = performance.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(io: Io) {
    this.io = io;
  }

  update(progress: BacktestProgress): void {
    const now = performance.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const elapsed = (now - this.started) / 1000;
    const fraction = progress.fraction;
    const width = Math.max(10, Math.min(40, this.io.columns - 60));
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
    this.io.stderr(
      `\r${bar}${grouped(progress.events, 0)} events  ${simTime}  ${Math.round(elapsed)}s${eta}\x1b[K`,
    );
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.io.stderr('\r\x1b[K');
  }
}
