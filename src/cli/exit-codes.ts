import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';
import { KestrelError } from '../core/errors.ts';
import { StrategyFailure } from '../runtime/backtest.ts';

/** Exit codes scripts can rely on */
export const EXIT = {
  OK: 0,
  /** Something unexpected: a bug, or an environment problem */
  FAILED: 1,
  /** Bad command line: unknown option, bad value */
  USAGE: 2,
  /** Market data missing, unreadable or malformed */
  DATA: 3,
  /** The strategy file would not load, or a strategy callback threw */
  STRATEGY: 4,
  /** The venue could not be reached or refused us (credentials, network) */
  VENUE: 5,
  /** The journal is damaged (see `kestrel journal check`) or could not be written */
  JOURNAL: 6,
} as const;

/** A bad command line; the message says what and how to fix it */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command's parsed line: option values by name (`help` for -h/--help) and positionals */
export interface CommandLine {
  readonly values: Readonly<Record<string, string | string[] | boolean | undefined>>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

/**
 * Parses a command's arguments strictly, with `-h/--help` added to its options.
 * @throws UsageError for an unknown option, a missing value, or a positional where none is allowed
 */
export function parseCommandLine(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
  allowPositionals = false,
): CommandLine {
  try {
    const parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    });
    const values = parsed.values as CommandLine['values'];
    return { values, positionals: parsed.positionals, help: values['help'] === true };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The strategy file could not be loaded */
export class StrategyLoadError extends Error {
  override readonly name = 'StrategyLoadError';
}

/** The exit code for an error that ended a command */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT.USAGE;
  if (error instanceof StrategyLoadError || error instanceof StrategyFailure) return EXIT.STRATEGY;
  if (error instanceof KestrelError) {
    if (error.code === 'INVALID_DATA') return EXIT.DATA;
    if (error.code === 'JOURNAL_DAMAGED' || error.code === 'JOURNAL_FAILED') return EXIT.JOURNAL;
    if (error.code === 'JOURNAL_LOCKED') return EXIT.USAGE;
    if (
      error.code === 'INVALID_CONFIG' ||
      error.code === 'INVALID_ARGUMENT' ||
      error.code === 'UNKNOWN_INSTRUMENT'
    )
      return EXIT.USAGE;
    if (error.kind === 'ambiguous' || error.kind === 'venue') return EXIT.VENUE;
  }
  return EXIT.FAILED;
}
