import { systemClock } from '../../src/engine/clock.ts';
import { simInstrument } from '../../src/runtime/instruments.ts';
import { createSyntheticMarket } from '../../src/runtime/synthetic-market.ts';
import type { PaperVenueOptions } from '../../src/venues/sim/paper-venue.ts';
import { createPaperVenue } from '../../src/venues/sim/paper-venue.ts';

/**
 * A paper venue on the system clock with 10 000 USDT, replaying a seeded synthetic BTCUSDT
 * market that starts on 2026-01-01 and lasts `durationMs`
 */
export function syntheticBtcPaperVenue(
  options: Pick<PaperVenueOptions, 'logger' | 'speed' | 'latency'> & {
    readonly durationMs: number;
    readonly seed: number;
  },
) {
  const btc = simInstrument('BTCUSDT');
  const { durationMs, seed, ...rest } = options;
  return createPaperVenue({
    instruments: [btc],
    balances: [{ currency: 'USDT', total: 10_000, free: 10_000, locked: 0 }],
    feed: createSyntheticMarket({
      instruments: [btc],
      start: Date.UTC(2026, 0, 1),
      durationMs,
      seed,
    }),
    clock: systemClock,
    ...rest,
  });
}
