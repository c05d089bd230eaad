import type { LogFields, Logger } from '../../engine/logger.ts';

function scrub(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (value instanceof Error) return redact(value.message);
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.parse(redact(JSON.stringify(value)));
    } catch {
      return '[unprintable]';
    }
  }
  return value;
}

/** A logger that scrubs credentials from every message and field before they reach `inner` */
export function redactingLogger(inner: Logger, redact: (text: string) => string): Logger {
  const wrap =
    (write: (message: string, fields?: LogFields) => void) =>
    (message: string, fields?: LogFields) => {
      const clean: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(fields ?? {})) clean[key] = scrub(value, redact);
      write(redact(message), clean);
    };
  return {
    debug: wrap((m, f) => inner.debug(m, f)),
    info: wrap((m, f) => inner.info(m, f)),
    warn: wrap((m, f) => inner.warn(m, f)),
    error: wrap((m, f) => inner.error(m, f)),
  };
}
