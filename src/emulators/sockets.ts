import type { WebSocket } from 'ws';

/** Sends raw text frames, exactly as given, to every open socket; returns how many got them */
export function sendRawFrames(sockets: Iterable<WebSocket>, frames: readonly string[]): number {
  let reached = 0;
  for (const socket of sockets) {
    if (socket.readyState !== socket.OPEN) continue;
    for (const text of frames) socket.send(text);
    reached += 1;
  }
  return reached;
}

/** Drops sockets: terminated (code 1006 at the client) or closed with `code`; returns how many */
function dropSockets(sockets: readonly WebSocket[], code: number | undefined): number {
  for (const socket of sockets) {
    if (code === undefined) socket.terminate();
    else socket.close(code, 'closed by the emulator');
  }
  return sockets.length;
}

/**
 * The open sockets of one stream, each with what the stream keeps about it: counted as they
 * open, forgotten when they close or fail. Iterates in the order they opened.
 */
export class SocketSet<T extends { readonly socket: WebSocket }> implements Iterable<T> {
  private readonly entries = new Set<T>();
  /** How many sockets have been opened since start */
  opened = 0;

  /** Adds an open socket's entry; it leaves the set when its socket closes or fails */
  add(entry: T): void {
    this.entries.add(entry);
    this.opened += 1;
    entry.socket.on('close', () => this.entries.delete(entry));
    entry.socket.on('error', () => this.entries.delete(entry));
  }

  /** How many are open now */
  get size(): number {
    return this.entries.size;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.entries.values();
  }

  /** Sends raw text frames to every open socket whose entry `to` accepts (all by default) */
  sendRaw(frames: readonly string[], to: (entry: T) => boolean = () => true): number {
    return sendRawFrames(
      [...this.entries].filter(to).map((entry) => entry.socket),
      frames,
    );
  }

  /** Drops every socket, see `dropSockets` */
  dropAll(code: number | undefined): number {
    return dropSockets(
      [...this.entries].map((entry) => entry.socket),
      code,
    );
  }

  /** Terminates every socket and forgets them all */
  terminateAll(): void {
    for (const { socket } of this.entries) socket.terminate();
    this.entries.clear();
  }
}
