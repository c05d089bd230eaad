import type { WebSocket } from 'ws';
import type { Random } from '../../core/random.ts';
import type { Clock } from '../../engine/clock.ts';
import type { EmulatorFaults } from '../faults.ts';
import { FaultedPushes } from '../push-faults.ts';
import { SocketSet } from '../sockets.ts';

/** Binance invalidates a listenKey 60 minutes after its last keepalive */
const LISTEN_KEY_VALIDITY_MS = 60 * 60_000;
const PUSH_LOG_SIZE = 10_000;

interface ListenKey {
  readonly key: string;
  expiresAt: number;
  expired: boolean;
}

interface PrivateSocket {
  readonly socket: WebSocket;
  readonly key: string;
}

/**
 * The USDⓈ-M user data stream: listenKeys (create, keep alive, expire) and the push-only
 * sockets on them. Every push goes through the fault controller, which may drop, duplicate,
 * hold and reorder, or delay it.
 */
export class UserDataStreams {
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly pushes: FaultedPushes;
  private readonly keys = new Map<string, ListenKey>();
  private readonly sockets = new SocketSet<PrivateSocket>();
  /** Every push as sent (after faults), newest last, bounded; for tests */
  readonly log: Record<string, unknown>[] = [];

  constructor(clock: Clock, random: Random, faults: EmulatorFaults) {
    this.clock = clock;
    this.random = random;
    this.pushes = new FaultedPushes(clock, faults, (text) => this.send(text));
  }

  /** POST /fapi/v1/listenKey: the live key if there is one (as Binance does), else a new one */
  createKey(): string {
    const now = this.clock.now();
    for (const entry of this.keys.values()) {
      if (!entry.expired && entry.expiresAt > now) {
        entry.expiresAt = now + LISTEN_KEY_VALIDITY_MS;
        return entry.key;
      }
    }
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    let key = '';
    for (let i = 0; i < 64; i++) key += alphabet[this.random.integer(0, alphabet.length - 1)];
    this.keys.set(key, { key, expiresAt: now + LISTEN_KEY_VALIDITY_MS, expired: false });
    return key;
  }

  /** The account's live key, if it has one */
  get currentKey(): string | undefined {
    for (const entry of this.keys.values())
      if (this.live(entry.key) !== undefined) return entry.key;
    return undefined;
  }

  /** PUT /fapi/v1/listenKey; false when the key is unknown or expired (Binance answers -1125) */
  keepAlive(key: string | undefined): boolean {
    const entry = this.live(key);
    if (entry === undefined) return false;
    entry.expiresAt = this.clock.now() + LISTEN_KEY_VALIDITY_MS;
    return true;
  }

  /** DELETE /fapi/v1/listenKey */
  deleteKey(key: string | undefined): void {
    if (key === undefined) return;
    this.keys.delete(key);
    for (const entry of this.sockets)
      if (entry.key === key) entry.socket.close(1000, 'listenKey deleted');
  }

  /** Whether a socket may open on this key */
  accepts(key: string | undefined): boolean {
    return this.live(key) !== undefined;
  }

  private live(key: string | undefined): ListenKey | undefined {
    if (key === undefined) return undefined;
    const entry = this.keys.get(key);
    if (entry === undefined || entry.expired) return undefined;
    if (entry.expiresAt <= this.clock.now()) {
      entry.expired = true;
      return undefined;
    }
    return entry;
  }

  attach(socket: WebSocket, key: string): void {
    const entry = { socket, key };
    this.sockets.add(entry);
    // The user data stream is push-only: anything the client sends is ignored
    socket.on('message', () => {});
  }

  /** How many private sockets have been opened since start */
  get connections(): number {
    return this.sockets.opened;
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  /** Sends one event to every socket on a live key, through the push faults */
  push(event: Record<string, unknown>): void {
    this.pushes.push(JSON.stringify(event));
  }

  private send(text: string): void {
    const message = JSON.parse(text) as Record<string, unknown>;
    this.log.push(message);
    if (this.log.length > PUSH_LOG_SIZE) this.log.shift();
    for (const { socket, key } of this.sockets) {
      if (this.live(key) === undefined) continue;
      if (socket.readyState === socket.OPEN) socket.send(text);
    }
  }

  /** Sends raw text frames, exactly as given, to every live user data socket; returns how many */
  sendRaw(frames: readonly string[]): number {
    return this.sockets.sendRaw(frames, (s) => this.live(s.key) !== undefined);
  }

  /** Expires every key: a `listenKeyExpired` event, then the sockets stay open but silent */
  expireAll(): number {
    const now = Math.floor(this.clock.now());
    let count = 0;
    for (const entry of this.keys.values()) {
      if (entry.expired) continue;
      entry.expired = true;
      count += 1;
      const text = JSON.stringify({ e: 'listenKeyExpired', E: now, listenKey: entry.key });
      for (const socket of this.sockets) {
        if (socket.key === entry.key && socket.socket.readyState === socket.socket.OPEN)
          socket.socket.send(text);
      }
    }
    return count;
  }

  /** Drops every private socket: terminated (code 1006 at the client) or closed with `code` */
  dropAll(code: number | undefined): number {
    return this.sockets.dropAll(code);
  }

  close(): void {
    this.pushes.close();
    this.sockets.terminateAll();
  }
}
