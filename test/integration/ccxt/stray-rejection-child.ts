/**
 * Run as a child process by rejection-guard.test.ts: node:test fails any test with an
 * unhandled rejection itself, so the guard is proven where Node's own default applies.
 * Mode `ccxt`: a stray ccxt rejection is caught and the process lives on; mode `foreign`: any
 * other unhandled rejection still crashes the process.
 */
import ccxt from 'ccxt';
import { installCcxtRejectionGuard } from '../../../src/venues/ccxt/index.ts';

const mode = process.argv[2] ?? 'ccxt';
let caught = 0;
const uninstall = installCcxtRejectionGuard(() => {
  caught += 1;
});
const reason =
  mode === 'ccxt'
    ? new ccxt.NetworkError('stray, as ccxt ≥ 4.5.75 leaves them')
    : new TypeError('ours');
// The point is a rejection nobody handles, so no catch is attached
void Promise.reject(reason);
setTimeout(() => {
  uninstall();
  process.stdout.write(JSON.stringify({ caught, alive: true }));
}, 100);
