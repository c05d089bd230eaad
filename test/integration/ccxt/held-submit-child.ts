/**
 * The first life of a run whose submit the venue holds, for ambiguity.test.ts: runLive with a
 * journal against the emulator at argv[2] (its answer to the next order request already held by
 * the test), one tradeAsync, its clientId printed as a JSON line, then running on until the test
 * kills the process (SIGKILL: nothing is canceled, no finally runs).
 */
import { DEFAULT_API_KEY, DEFAULT_API_SECRET } from '../../../src/emulators/binance-usdm/index.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { createMemoryLogger } from '../../../src/engine/logger.ts';
import { runLive } from '../../../src/runtime/live.ts';
import type { Strategy } from '../../../src/runtime/strategy.ts';
import { createCcxtVenue, loadCcxtConfig } from '../../../src/venues/ccxt/index.ts';

const [url, journalPath] = process.argv.slice(2);
if (url === undefined || journalPath === undefined)
  throw new Error('usage: held-submit-child <url> <journal>');

const strategy: Strategy = {
  name: 'held-submit-first-life',
  onStart(ctx) {
    const clientId = ctx.tradeAsync(ctx.instrument('BTC/USDT:USDT'), 0.002, 62000);
    process.stdout.write(`${JSON.stringify({ clientId })}\n`);
  },
};

const logger = createMemoryLogger();
const venue = createCcxtVenue(
  loadCcxtConfig({
    exchange: 'binanceusdm',
    apiKey: DEFAULT_API_KEY,
    secret: DEFAULT_API_SECRET,
    url,
    env: {},
    overrides: {
      stream: { backoffBaseMs: 40, backoffMaxMs: 400, watchdogMs: 60_000, connectTimeoutMs: 5_000 },
      // Nothing in this life asks about the held order before it is killed
      statusCheckDelayMs: 60_000,
      lostAfterMs: 60_000,
      resyncIntervalMs: 0,
      seed: 5,
    },
  }),
  { clock: systemClock, logger },
);
await runLive({
  strategy,
  venue,
  symbols: ['BTC/USDT:USDT'],
  clock: systemClock,
  logger,
  journalPath,
  durationMs: 120_000,
  reconcile: { snapshotIntervalMs: 0 },
});
