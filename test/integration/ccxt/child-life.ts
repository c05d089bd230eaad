/**
 * One life of a run that a test kills outright (SIGKILL: nothing is canceled, no finally runs):
 * runLive with a journal against the emulator at `url` through the ccxt `exchange`, its statuses never queried in this life,
 * running until the test kills the process. The restart tests' children use it.
 */
import { DEFAULT_API_KEY, DEFAULT_API_SECRET } from '../../../src/emulators/credentials.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { createMemoryLogger } from '../../../src/engine/logger.ts';
import { runLive } from '../../../src/runtime/live.ts';
import type { Strategy } from '../../../src/runtime/strategy.ts';
import { createCcxtVenue, loadCcxtConfig } from '../../../src/venues/ccxt/index.ts';

export async function runChildLife(
  strategy: Strategy,
  url: string,
  journalPath: string,
  seed: number,
  exchange = 'binanceusdm',
): Promise<void> {
  const logger = createMemoryLogger();
  const venue = createCcxtVenue(
    loadCcxtConfig({
      exchange,
      apiKey: DEFAULT_API_KEY,
      secret: DEFAULT_API_SECRET,
      url,
      env: {},
      overrides: {
        stream: {
          backoffBaseMs: 40,
          backoffMaxMs: 400,
          watchdogMs: 60_000,
          connectTimeoutMs: 5_000,
        },
        // Long enough that nothing in this life asks the venue about an order
        statusCheckDelayMs: 60_000,
        lostAfterMs: 60_000,
        resyncIntervalMs: 0,
        seed,
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
}
