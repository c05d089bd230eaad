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
export function dropSockets(sockets: readonly WebSocket[], code: number | undefined): number {
  for (const socket of sockets) {
    if (code === undefined) socket.terminate();
    else socket.close(code, 'closed by the emulator');
  }
  return sockets.length;
}
