import { formatDecimal } from '../../core/numeric.ts';
import { systemClock } from '../../engine/clock.ts';
import type { LogRecord } from '../../engine/logger.ts';
import { createLogger, formatLogRecord } from '../../engine/logger.ts';
import { runSmoke } from '../../runtime/smoke.ts';
import { parseCommandLine, UsageError } from '../exit-codes.ts';
import type { Io } from '../io.ts';
import { SMOKE_USAGE } from '../usage.ts';
import { openVenue } from '../venues.ts';

/** Runs `kestrel smoke`; returns the exit code */
export async function smokeCommand(argv: readonly string[], io: Io): Promise<number> {
  const { values, help } = parseCommandLine(argv, {
    venue: { type: 'string' },
    testnet: { type: 'boolean' },
    url: { type: 'string' },
    config: { type: 'string' },
    symbol: { type: 'string' },
    timeout: { type: 'string' },
  });
  if (help) {
    io.stdout(SMOKE_USAGE);
    return 0;
  }
  const timeoutText = values['timeout'] as string | undefined;
  const timeoutMs = timeoutText === undefined ? 20_000 : Number(timeoutText);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new UsageError(
      `--timeout must be a positive number of ms, got ${JSON.stringify(timeoutText)}`,
    );
  const venueName = values['venue'] as string | undefined;
  if (venueName === undefined) throw new UsageError('--venue is required');
  const logger = createLogger(
    (record: LogRecord) => io.stderr(`${formatLogRecord(record)}\n`),
    'warn',
  );
  const venue = await openVenue({
    venue: venueName,
    url: values['url'] as string | undefined,
    testnet: values['testnet'] === true,
    config: values['config'] as string | undefined,
    env: process.env,
    clock: systemClock,
    logger,
  });
  const profile = venue.describe?.();
  if (profile !== undefined) io.stdout(`${profile}\n`);
  const result = await runSmoke({
    venue,
    clock: systemClock,
    logger,
    symbol: values['symbol'] as string | undefined,
    timeoutMs,
  });
  const ms = (v: number | null) => (v === null ? 'n/a' : `${formatDecimal(v, 1)} ms`);
  io.stdout(
    `${[
      `smoke ok on ${result.exchange} ${result.symbol}`,
      `order ${result.clientId} (venue id ${result.venueOrderId ?? '?'}): buy ${formatDecimal(result.quantity, 8)} @ ${formatDecimal(result.price, 8)} post-only, acknowledged, canceled`,
      `status query at the venue: ${result.confirmedByQuery ? 'confirmed open, then canceled' : 'not available'}`,
      `submit latency ${ms(result.submitLatency.p50)} (first venue verdict)`,
      `cancel latency ${ms(result.cancelLatency.p50)}`,
    ].join('\n')}\n`,
  );
  return 0;
}
