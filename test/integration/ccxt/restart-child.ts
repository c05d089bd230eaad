/**
 * The first life of a live run, for restart.test.ts: runLive with a journal against the
 * emulator at argv[2], trading a few orders, then printing their clientIds as one JSON line
 * and running on until the test kills the process (SIGKILL: nothing is canceled, no finally runs).
 */
import { DEFAULT_API_KEY, DEFAULT_API_SECRET } from '../../../src/emulators/binance-usdm/index.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { createMemoryLogger } from '../../../src/engine/logger.ts';
import { runLive } from '../../../src/runtime/live.ts';
import type { Strategy, StrategyContext } from '../../../src/runtime/strategy.ts';
import { createCcxtVenue, loadCcxtConfig } from '../../../src/venues/ccxt/index.ts';
import { until as waitUntil } from '../../helpers/wait.ts';

const [url, journalPath] = process.argv.slice(2);
if (url === undefined || journalPath === undefined)
  throw new Error('usage: restart-child <url> <journal>');

async function until(ctx: StrategyContext, clientId: string, status: string): Promise<void> {
  await waitUntil(() => ctx.order(clientId)?.status === status, `${clientId} to become ${status}`);
}

const strategy: Strategy = {
  name: 'restart-first-life',
  async onStart(ctx) {
    const btc = ctx.instrument('BTC/USDT:USDT');
    const resting = await ctx.trade(btc, 0.002, 60000);
    const gap = await ctx.trade(btc, 0.002, 63900);
    const filled = await ctx.trade(btc, 0.003);
    const canceled = await ctx.trade(btc, 0.002, 60100);
    await ctx.cancelOrder(canceled);
    const cut = await ctx.trade(btc, 0.002, 60200);
    // The cancel of `cut` reaches nobody and its answer is a 502: it stays PENDING_CANCEL
    await fetch(`${url}/_kestrel/faults/fail-requests`, {
      method: 'POST',
      body: JSON.stringify({ status: 502, method: 'DELETE', path: '/fapi/v1/order', count: 1 }),
    });
    await ctx.cancelOrder(cut).catch(() => undefined);
    await until(ctx, filled.clientId, 'FILLED');
    await until(ctx, canceled.clientId, 'CANCELED');
    await until(ctx, resting.clientId, 'OPEN');
    await until(ctx, gap.clientId, 'OPEN');
    await until(ctx, cut.clientId, 'PENDING_CANCEL');
    process.stdout.write(
      `${JSON.stringify({
        resting: resting.clientId,
        gap: gap.clientId,
        filled: filled.clientId,
        canceled: canceled.clientId,
        cut: cut.clientId,
      })}\n`,
    );
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
      // Long enough that nothing retries the lost cancel in this life
      statusCheckDelayMs: 60_000,
      lostAfterMs: 60_000,
      resyncIntervalMs: 0,
      seed: 3,
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
