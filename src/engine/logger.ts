import { formatDecimal } from '../core/numeric.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

/** Structured logging: a message and fields; the sink decides the format */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogRecord {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: LogFields;
}

/** A logger that hands records at or above `level` to `write` */
export function createLogger(write: (record: LogRecord) => void, level: LogLevel = 'info'): Logger {
  const threshold = LEVELS[level];
  const at =
    (lvl: LogLevel) =>
    (message: string, fields: LogFields = {}) => {
      if (LEVELS[lvl] >= threshold) write({ level: lvl, message, fields });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Renders a record as one line: `level message key=value ...` */
export function formatLogRecord(record: LogRecord): string {
  const parts = [record.level.toUpperCase().padEnd(5), record.message];
  for (const [key, value] of Object.entries(record.fields)) {
    if (value === undefined) continue;
    const text =
      typeof value === 'number'
        ? formatDecimal(value)
        : typeof value === 'string'
          ? value
          : value instanceof Error
            ? value.message
            : JSON.stringify(value);
    parts.push(`${key}=${text}`);
  }
  return parts.join(' ');
}

/** Writes warnings and errors to stderr; the default when no logger is given */
export const stderrLogger: Logger = createLogger(
  (record) => process.stderr.write(`${formatLogRecord(record)}\n`),
  'warn',
);

/** Discards everything */
export const silentLogger: Logger = createLogger(() => {}, 'error');

/** Keeps every record in memory, for tests and for reports */
export function createMemoryLogger(
  level: LogLevel = 'debug',
): Logger & { readonly records: LogRecord[] } {
  const records: LogRecord[] = [];
  return Object.assign(
    createLogger((record) => records.push(record), level),
    { records },
  );
}
