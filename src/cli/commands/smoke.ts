import { formatDecimal } from '../../core/numeric.ts';
import { systemClock } from '../../engine/clock.ts';
import type { LogRecord } from '../../engine/logger.ts';
import { createLogger, formatLogRecord } from '../../engine/logger.ts';
import { runSmoke } from '../../runtime/smoke.ts';
import { parseCommandLine, UsageError } from '../exit-codes.ts';
import type { Io } from '../io.ts';
import { openVenue } from '../venues.ts';

export const SMOKE_USAGE = `Usage: kestrel smoke --venue NAME [--testnet] [--url URL] [--config FILE] [--symbol S]

The check to run with real keys before going live: loads the markets, places one minimum-size
post-only buy far below the touch, waits for the venue to acknowledge it, cancels it, waits
for the cancel, and prints submit and cancel latency. Nothing is left resting.

  --venue NAME     lighter, or a ccxt exchange id (binanceusdm, ...)
  --testnet        the venue's testnet
  --url URL        a custom base URL (a local emulator: kestrel emulate ...)
  --config FILE    a JSON file with the venue's settings and keys (else the environment)
  --symbol S       the market to check on (default: the venue's first)
  --timeout MS     how long each step may take (default 20000)
`;

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
  const venueName = values['venue'] as string | undefined;
  if (venueName === undefined) throw new UsageError('--venue is required');
  const timeoutText = values['timeout'] as string | undefined;
  const timeoutMs = timeoutText === undefined ? 20_000 : Number(timeoutText);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new UsageError(
      `--timeout must be a positive number of ms, got ${JSON.stringify(timeoutText)}`,
    );
  const logger = createLogger(
    (record: LogRecord) => io.stderr(`${formatLogRecord(record)}\n`),
    'warn',
  );
  const venue = openVenue({
    venue: venueName,
    url: values['url'] as string | undefined,
    testnet: values['testnet'] === true,
    config: values['config'] as string | undefined,
    env: process.env,
    clock: systemClock,
    logger,
  });
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
