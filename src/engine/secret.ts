const REDACTED = '[redacted]';

/**
 * A credential (an API secret, a private key) that never prints itself: `String`, JSON and
 * `util.inspect` all show `[redacted]`, so a config logged by mistake leaks nothing. Only
 * `reveal()` gives the value, at the one place that needs it (the exchange client, the signer).
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The credential itself; hand it to the exchange client and nowhere else */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${REDACTED})`;
  }
}

/** Whether a value is a Secret */
export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}

/** Wraps a credential; undefined and empty strings stay absent */
export function toSecret(value: string | undefined): Secret | undefined {
  return value === undefined || value.length === 0 ? undefined : new Secret(value);
}

/**
 * A function that scrubs text of the given credentials and of request signatures (a
 * signature is not the secret, but it is no business of a log either), for every message
 * that leaves the venue adapter: log lines and error messages.
 */
export function createRedactor(secrets: readonly (Secret | undefined)[]): (text: string) => string {
  const values = secrets
    .map((s) => s?.reveal())
    .filter((v): v is string => v !== undefined && v.length >= 4)
    .sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const value of values) out = out.split(value).join(REDACTED);
    return out.replace(/(signature=)[0-9a-fA-F]+/g, `$1${REDACTED}`);
  };
}
