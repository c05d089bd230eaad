import type { WebSocket } from 'ws';
import type { Clock, Timer } from '../../engine/clock.ts';

/** Bybit cuts a connection with no ping-pong and no data for this long */
export const DEFAULT_ALIVE_MS = 600_000;
/** Bybit's scan for idle connections runs every 30 s, so a cut comes up to 30 s late */
const SCAN_MS = 30_000;

/**
 * The alive time a private connection asked for with `max_active_time` (`30s` to `600s`, or
 * `1m`...`10m`); undefined when the value is not one Bybit takes.
 */
export function parseAliveTime(value: string | null): number | undefined {
  if (value === null) return DEFAULT_ALIVE_MS;
  const match = /^(\d+)(s|m)$/.exec(value);
  if (match === null) return undefined;
  const ms = Number(match[1]) * (match[2] === 'm' ? 60_000 : 1_000);
  return ms >= 30_000 && ms <= 600_000 ? ms : undefined;
}

/**
 * Closes connections that neither pinged nor were sent anything for their alive time, on a
 * 30-second scan as Bybit does. A connection counts as alive on each ping and each frame sent.
 */
export class IdleCut {
  private readonly clock: Clock;
  private readonly last = new Map<WebSocket, { at: number; aliveMs: number }>();
  private timer: Timer | undefined;
  private closed = false;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  watch(socket: WebSocket, aliveMs: number): void {
    this.last.set(socket, { at: this.clock.now(), aliveMs });
    socket.on('close', () => this.last.delete(socket));
    this.schedule();
  }

  /** The connection pinged or was sent data now */
  touch(socket: WebSocket): void {
    const entry = this.last.get(socket);
    if (entry !== undefined) entry.at = this.clock.now();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed || this.last.size === 0) return;
    this.timer = this.clock.setTimer(SCAN_MS, () => {
      this.timer = undefined;
      const now = this.clock.now();
      for (const [socket, { at, aliveMs }] of this.last) {
        if (now - at < aliveMs) continue;
        this.last.delete(socket);
        socket.close(1000, 'idle');
      }
      this.schedule();
    });
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.last.clear();
  }
}
