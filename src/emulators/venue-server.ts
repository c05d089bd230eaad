import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import type { ControlTarget } from './control-api.ts';
import { CONTROL_PREFIX, handleControl } from './control-api.ts';
import type { EmulatorFaults } from './faults.ts';

/** What one venue emulator serves on its port: REST, the control API and its WebSocket streams */
export interface VenueRoutes {
  readonly faults: EmulatorFaults;
  readonly control: ControlTarget;
  rest(request: IncomingMessage, response: ServerResponse): Promise<void>;
  /** The JSON body of the 500 answer to a request whose handler threw, in the venue's format */
  failure(error: Error): unknown;
  /**
   * Serves a WebSocket upgrade the faults let through: calls `accept` with the stream that
   * takes the socket, or refuses it (`refuseUpgrade`)
   */
  upgrade(url: URL, socket: Socket, accept: (attach: (ws: WebSocket) => void) => void): void;
}

/** A venue emulator's HTTP and WebSocket servers, listening on 127.0.0.1 */
export interface VenueServer {
  readonly port: number;
  /** Closes every socket, then both servers */
  close(): Promise<void>;
}

/** Ends a WebSocket upgrade with an HTTP status and no body, e.g. `404 Not Found` */
export function refuseUpgrade(socket: Socket, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}

/**
 * Starts a venue emulator's server on 127.0.0.1: requests under the control prefix go to the
 * control API, the rest to the venue's REST handler, or have their connection cut while the
 * faults refuse REST; an upgrade is refused with 503 while the faults refuse connections, and
 * otherwise routed by the venue.
 * @throws Error when the port cannot be bound
 */
export async function startVenueServer(routes: VenueRoutes, port = 0): Promise<VenueServer> {
  const server: Server = createServer((request, response) => {
    const control = (request.url ?? '').startsWith(`${CONTROL_PREFIX}/`);
    if (!control && routes.faults.refusesRest()) {
      request.socket.destroy();
      return;
    }
    const handler = control
      ? handleControl(routes.control, request, response)
      : routes.rest(request, response);
    handler.catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(routes.failure(error as Error)));
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request, socket: Socket, head) => {
    // A client may reset a refused or half-open upgrade; that is its business, not a crash
    socket.on('error', () => {});
    if (routes.faults.refusesUpgrade()) {
      refuseUpgrade(socket, '503 Service Unavailable');
      return;
    }
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    routes.upgrade(url, socket, (attach) => wss.handleUpgrade(request, socket, head, attach));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
