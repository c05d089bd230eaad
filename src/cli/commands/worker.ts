import { availableParallelism } from 'node:os';
import { KestrelError } from '../../core/errors.ts';
import { parseCommandLine } from '../exit-codes.ts';
import type { Io } from '../io.ts';
import { WORKER_USAGE } from './sweep-usage.ts';

function wholeNumber(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new KestrelError(
      'INVALID_ARGUMENT',
      `--${name} must be a whole number of at least ${min}, got ${JSON.stringify(raw)}`,
      { field: name, value: raw },
    );
  return value;
}

/** Runs `kestrel worker`; returns the exit code once stopped */
export async function workerCommand(argv: readonly string[], io: Io): Promise<number> {
  const parsed = parseCommandLine(argv, {
    queue: { type: 'string' },
    jobs: { type: 'string' },
    'lock-ms': { type: 'string' },
  });
  if (parsed.help) {
    io.stdout(WORKER_USAGE);
    return 0;
  }
  const url = parsed.values['queue'] as string | undefined;
  if (url === undefined || !/^rediss?:\/\/[^\s/]+/.test(url))
    throw new KestrelError(
      'INVALID_ARGUMENT',
      `--queue must be a Redis URL such as redis://host:6379, got ${JSON.stringify(url ?? '')}`,
      { field: 'queue', value: url },
    );
  const threads = wholeNumber(
    'jobs',
    parsed.values['jobs'] as string | undefined,
    availableParallelism(),
    1,
  );
  const lockMs = wholeNumber(
    'lock-ms',
    parsed.values['lock-ms'] as string | undefined,
    30_000,
    500,
  );
  const { runQueueWorker } = await import('../sweep/queue.ts');
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await runQueueWorker({ url, threads, lockMs, signal: abort.signal }, io);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}
