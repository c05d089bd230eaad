import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A value that must never reach a log, an error message or a JSON dump (an API private key).
 * Every way of printing it prints `[redacted]`; only `reveal()` gives the value, at the one
 * place that needs it (the signer).
 */
export interface Secret {
  reveal(): string;
  toString(): string;
  toJSON(): string;
}

/** Wraps a secret string so printing it prints `[redacted]` */
export function createSecret(value: string): Secret {
  const secret = {
    reveal: () => value,
    toString: () => REDACTED,
    toJSON: () => REDACTED,
    [inspect.custom]: () => REDACTED,
  };
  return Object.freeze(secret);
}

/** Whether a value is a wrapped secret */
export function isSecret(value: unknown): value is Secret {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<Secret>).reveal === 'function'
  );
}
