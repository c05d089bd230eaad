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
} as const;

/** A bad command line; the message says what and how to fix it */
export class UsageError extends Error {
  override readonly name = 'UsageError';
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
