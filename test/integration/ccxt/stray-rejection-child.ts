/**
 * Run as a child process by rejection-guard.test.ts: node:test fails any test with an
 * unhandled rejection itself, so the guard is proven where Node's own default applies.
 *
 * - `ccxt`: a stray ccxt error is caught and the process lives on;
 * - `send-on-closing`: ccxt's own watch path, with its rate limiter on, sends a subscription
 *   on a socket that is closing; ccxt does not await that send, so the `ws` package's plain
 *   "WebSocket is not open" error is rejected with nobody listening. Caught, the process lives;
 * - `foreign`: any other unhandled rejection still crashes the process.
 */
import ccxt from 'ccxt';
import { WebSocketServer } from 'ws';
import { installCcxtRejectionGuard } from '../../../src/venues/ccxt/index.ts';

const mode = process.argv[2] ?? 'ccxt';
const caught: string[] = [];
const uninstall = installCcxtRejectionGuard((error) => {
  caught.push(error instanceof Error ? error.message : String(error));
});

function finish(): void {
  uninstall();
  process.stdout.write(JSON.stringify({ caught, alive: true }));
  process.exit(0);
}

if (mode === 'send-on-closing') {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  const url = `ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  const exchange = new ccxt.pro.binanceusdm();
  await exchange.loadHttpProxyAgent();
  const client = exchange.client(url);
  await client.connect(0);
  // The socket starts closing; ccxt still counts the client as connected
  client.connection.close();
  const watched = exchange.watch(url, 'topic', { method: 'SUBSCRIBE' }, 'topic');
  // The watcher itself is awaited (rejected when ccxt sees the close): that one is handled
  watched.catch(() => {});
  // Lives on until the stray rejection was handed to the guard (or the parent's bound ends it)
  const poll = setInterval(() => {
    if (caught.length > 0) {
      clearInterval(poll);
      server.close();
      finish();
    }
  }, 10);
} else {
  const reason =
    mode === 'ccxt'
      ? new ccxt.NetworkError('stray, as ccxt ≥ 4.5.75 leaves them')
      : new TypeError('ours');
  // The point is a rejection nobody handles, so no catch is attached
  void Promise.reject(reason);
  setImmediate(() => setImmediate(finish));
}
