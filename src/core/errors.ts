/**
 * One root error class for everything Kestrel throws, discriminated by `code`. Each code belongs
 * to exactly one kind of the rejection boundary (ARCHITECTURE §5):
 *
 * - `local`: refused before anything was tracked or sent (bad input, unknown exchange, ...);
 * - `venue`: the venue gave a definitive verdict (insufficient margin, post-only would cross, ...);
 * - `ambiguous`: nobody knows whether the venue acted (timeout, reset, 5xx, a failed batch, ...).
 */

export const ERROR_KINDS = {
  INVALID_ARGUMENT: 'local',
  INVALID_QUANTITY: 'local',
  INVALID_PRICE: 'local',
  SIZE_BELOW_MIN: 'local',
  NOTIONAL_BELOW_MIN: 'local',
  PRICE_REQUIRED: 'local',
  STOP_PRICE_REQUIRED: 'local',
  INVALID_CLIENT_ID: 'local',
  DUPLICATE_CLIENT_ID: 'local',
  UNKNOWN_EXCHANGE: 'local',
  UNKNOWN_INSTRUMENT: 'local',
  ORDER_NOT_FOUND: 'local',
  ORDER_NOT_AMENDABLE: 'local',
  NOT_SUPPORTED: 'local',
  INVALID_CONFIG: 'local',
  INVALID_DATA: 'local',
  /** Failed before anything reached the venue (signing, a closed connection we never wrote to) */
  NOT_SENT: 'local',
  /** The journal holds damage (mid-file) and is not written until repaired */
  JOURNAL_DAMAGED: 'local',
  /** The journal could not be written; new intents are refused until it can */
  JOURNAL_FAILED: 'local',
  /** Another process writes this journal (or this owner of it) */
  JOURNAL_LOCKED: 'local',
  /** A pre-trade risk limit refused the order (`limit` names which); nothing was sent */
  RISK_LIMIT: 'local',
  VENUE_REJECTED: 'venue',
  /**
   * The venue refused the request for its rate limit, before acting on it: Binance HTTP 429
   * (-1003, -1015) and 418, Bybit retCode 10006 and 10018 (and its HTTP 403), OKX 50011,
   * Lighter HTTP 429 and 23000. Every one of them documents the request as not executed (unlike a
   * 5xx, whose outcome is unknown), so it is a verdict and the order is REJECTED.
   */
  RATE_LIMITED: 'venue',
  TIMEOUT: 'ambiguous',
  NETWORK: 'ambiguous',
  VENUE_UNAVAILABLE: 'ambiguous',
  BATCH_FAILED: 'ambiguous',
  UNKNOWN: 'ambiguous',
} as const satisfies Record<string, ErrorKind>;

export type ErrorKind = 'local' | 'venue' | 'ambiguous';
export type ErrorCode = keyof typeof ERROR_KINDS;

export interface KestrelErrorDetails {
  /** The offending field, when one input field is to blame */
  readonly field?: string;
  /** The offending value, exactly as given */
  readonly value?: unknown;
  /** The venue's own error code, for venue verdicts */
  readonly venueCode?: string;
  /** How long the venue asked us to wait before retrying, when it said so */
  readonly retryAfterMs?: number;
  /** The risk limit that refused an order (RISK_LIMIT): `maxQuantity`, `priceBand`, ... */
  readonly limit?: string;
  readonly cause?: unknown;
}

/** The one error class Kestrel throws; `code` says what went wrong and `kind` how to handle it. */
export class KestrelError extends Error {
  override readonly name = 'KestrelError';
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly field: string | undefined;
  readonly value: unknown;
  readonly venueCode: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly limit: string | undefined;

  constructor(code: ErrorCode, message: string, details: KestrelErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.kind = ERROR_KINDS[code];
    this.field = details.field;
    this.value = details.value;
    this.venueCode = details.venueCode;
    this.retryAfterMs = details.retryAfterMs;
    this.limit = details.limit;
  }
}

/** Builds the local refusal for one bad field, naming the field and the value in the message. */
export function invalidField(
  code: ErrorCode,
  field: string,
  value: unknown,
  problem: string,
): KestrelError {
  return new KestrelError(code, `${field} ${problem} (got ${describe(value)})`, { field, value });
}

/**
 * Says which side of the rejection boundary an error falls on. Anything that is not a
 * KestrelError is ambiguous: an unexpected failure never proves the venue did nothing.
 */
export function classify(error: unknown): ErrorKind {
  return error instanceof KestrelError ? error.kind : 'ambiguous';
}

/** Renders a value for an error message: strings quoted, everything else as JSON would */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
