import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';
import { KestrelError } from '../core/errors.ts';
import { StrategyFailure } from '../runtime/strategy.ts';

/** Exit codes scripts can rely on */
export const EXIT = {
  OK: 0,
  /** Something unexpected: a bug, or an environment problem */
  FAILED: 1,
  /** Bad command line: unknown option, bad value */
  USAGE: 2,
  /** Market data missing, unreadable or malformed */
  DATA: 3,
  /** The strategy file would not load, a strategy callback threw, or an unawaited order promise of its was refused */
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

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** A value that looks like an option but is a number: `--capital -5` means the value -5 */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * Parses a command's arguments strictly, with `-h/--help` added to its options. A negative
 * number after an option that takes a value is that value (`--latency -1`), so the option's own
 * check can say what is wrong with it.
 * @throws UsageError, one line naming the option, for an unknown option, a missing value, or a
 * positional where none is allowed
 */
export function parseCommandLine(
  argv: readonly string[],
  options: OptionSpecs,
  allowPositionals = false,
): CommandLine {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const spec = arg.startsWith('--') ? options[arg.slice(2)] : undefined;
    if (spec?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      args.push(`${arg}=${next}`);
      i += 1;
    } else {
      args.push(arg);
    }
  }
  try {
    const parsed = parseArgs({
      args,
      strict: true,
      allowPositionals,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    });
    const values = parsed.values as CommandLine['values'];
    return { values, positionals: parsed.positionals, help: values['help'] === true };
  } catch (error) {
    throw new UsageError(parseArgsMessage(error as Error & { code?: string }));
  }
}

/** node:util's parseArgs errors, as one line that names the option */
function parseArgsMessage(error: Error & { code?: string }): string {
  const option = /'(-[^' ]+)/.exec(error.message)?.[1];
  const quoted = /'([^']*)'/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? quoted ?? error.message}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${JSON.stringify(quoted ?? '')}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(error.message)) return `${option} takes no value`;
      return `${option} needs a value`;
    default:
      return error.message.split('\n')[0] ?? error.message;
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
      error.code === 'UNKNOWN_EXCHANGE' ||
      error.code === 'UNKNOWN_INSTRUMENT'
    )
      return EXIT.USAGE;
    if (error.kind === 'ambiguous' || error.kind === 'venue') return EXIT.VENUE;
  }
  return EXIT.FAILED;
}
