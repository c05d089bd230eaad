import { WebSocket } from 'ws';
import { KestrelError } from '../../core/errors.ts';
import type { Clock, Timer } from '../../engine/clock.ts';
import type { Logger } from '../../engine/logger.ts';

export interface LighterSocketOptions {
  readonly url: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** App-level `{"type":"ping"}` period, ms */
  readonly pingIntervalMs: number;
  /** Reconnect when nothing arrived for this long, ms */
  readonly staleAfterMs: number;
  readonly reconnectInitialMs: number;
  readonly reconnectMaxMs: number;
  /** Runs after every (re)connect: subscribe, then resync; a throw drops the connection and retries */
  readonly onOpen: () => Promise<void>;
  /** Every decoded JSON frame, in arrival order */
  readonly onFrame: (frame: unknown) => void;
  /** A non-empty frame that is not JSON */
  readonly onUnreadable?: (text: string) => void;
  /** The connection went down (not called on stop) */
  readonly onDown: (reason: string) => void;
}

/**
 * One reconnecting WebSocket to Lighter's `/stream`: app-level pings (the venue drops idle
 * connections after 2 minutes and every connection after 24 hours), answers the server's pings,
 * treats silence as a dead connection, and reconnects with exponential backoff (reset once a
 * connection completes `onOpen`). Empty frames (the venue sends them) are ignored; other frames
 * that are not JSON go to `onUnreadable`.
 */
export class LighterSocket {
  private readonly options: LighterSocketOptions;
  private socket: WebSocket | undefined;
  private generation = 0;
  private attempts = 0;
  private stopped = false;
  private opened = false;
  private pingTimer: Timer | undefined;
  private retryTimer: Timer | undefined;
  private lastReceived = 0;
  private reconnectCount = 0;

  constructor(options: LighterSocketOptions) {
    this.options = options;
  }

  /** Whether a connection is up and has completed `onOpen` */
  get isOpen(): boolean {
    return this.opened;
  }

  /** Reconnections after the first connection */
  get reconnects(): number {
    return this.reconnectCount;
  }

  /**
   * Connects and runs `onOpen`; later drops reconnect on their own.
   * @throws KestrelError VENUE_UNAVAILABLE when the first connection or its `onOpen` fails
   */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.connect((error) => (error === undefined ? resolve() : reject(error)));
    });
  }

  /** Sends a frame when connected; false when there is no open socket */
  send(frame: unknown): boolean {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  /** Drops the connection and reconnects (a planned refresh, or a broken subscription) */
  reconnect(reason: string): void {
    if (this.stopped) return;
    this.options.logger.info('lighter stream reconnecting', { reason });
    this.socket?.terminate();
  }

  /** Closes the connection and every timer; idempotent */
  stop(): void {
    this.stopped = true;
    this.opened = false;
    this.pingTimer?.cancel();
    this.retryTimer?.cancel();
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
    }
  }

  private connect(first?: (error?: KestrelError) => void): void {
    if (this.stopped) return;
    const { url, clock, logger } = this.options;
    const generation = ++this.generation;
    const socket = new WebSocket(url, { handshakeTimeout: 10_000 });
    this.socket = socket;
    let down = false;
    const goDown = (reason: string) => {
      if (down || generation !== this.generation) return;
      down = true;
      this.opened = false;
      this.pingTimer?.cancel();
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
      if (this.stopped) return;
      if (first !== undefined) {
        first(new KestrelError('VENUE_UNAVAILABLE', `lighter stream ${url}: ${reason}`));
        this.stop();
        return;
      }
      this.options.onDown(reason);
      this.scheduleReconnect();
    };
    socket.on('open', () => {
      this.lastReceived = clock.now();
      this.armPing(generation);
      this.options
        .onOpen()
        .then(() => {
          if (generation !== this.generation || down) return;
          this.opened = true;
          this.attempts = 0;
          const done = first;
          first = undefined;
          done?.();
        })
        .catch((error: unknown) => {
          logger.warn('lighter stream setup failed', { error });
          goDown(`setup failed: ${(error as Error).message}`);
        });
    });
    socket.on('message', (data) => {
      if (generation !== this.generation) return;
      this.lastReceived = clock.now();
      const text = data.toString();
      let frame: unknown;
      try {
        frame = JSON.parse(text);
      } catch {
        if (text.trim() !== '') this.options.onUnreadable?.(text);
        return;
      }
      if (
        typeof frame === 'object' &&
        frame !== null &&
        (frame as { type?: unknown }).type === 'ping'
      ) {
        this.send({ type: 'pong' });
      }
      this.options.onFrame(frame);
    });
    socket.on('close', (code) => goDown(`closed (${code})`));
    socket.on('error', (error) => goDown(error.message));
  }

  private armPing(generation: number): void {
    this.pingTimer?.cancel();
    const { clock, pingIntervalMs, staleAfterMs } = this.options;
    this.pingTimer = clock.setTimer(pingIntervalMs, () => {
      if (generation !== this.generation || this.stopped) return;
      if (clock.now() - this.lastReceived > staleAfterMs) {
        this.socket?.terminate();
        return;
      }
      this.send({ type: 'ping' });
      this.armPing(generation);
    });
  }

  private scheduleReconnect(): void {
    const { reconnectInitialMs, reconnectMaxMs, clock, logger } = this.options;
    const delay = Math.min(reconnectMaxMs, reconnectInitialMs * 2 ** this.attempts);
    this.attempts += 1;
    logger.debug('lighter stream reconnect scheduled', { delayMs: delay, attempt: this.attempts });
    this.retryTimer?.cancel();
    this.retryTimer = clock.setTimer(delay, () => {
      this.reconnectCount += 1;
      this.connect();
    });
  }
}
