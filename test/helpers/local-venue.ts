import { openVenue } from '../../src/cli/venues.ts';
import { systemClock } from '../../src/engine/clock.ts';
import type { Logger } from '../../src/engine/logger.ts';
import type { VenueConnection } from '../../src/engine/venue.ts';

/**
 * Opens a venue as `kestrel run --venue NAME --url URL` does, against a local emulator, on the
 * system clock, with no environment but `env`
 */
export function openLocalVenue(
  venue: string,
  url: string,
  logger: Logger,
  env: Readonly<Record<string, string>> = {},
): Promise<VenueConnection> {
  return openVenue({ venue, url, env, clock: systemClock, logger });
}
