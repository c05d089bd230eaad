import ccxt from 'ccxt';
import type { ErrorCode } from '../../core/errors.ts';
import { KestrelError } from '../../core/errors.ts';
import type { VenueErrors } from './profile.ts';

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * The one table from ccxt's error classes to Kestrel's codes (and so to local / venue /
 * ambiguous, ARCHITECTURE §5). Order matters: subclasses come before their parents.
 */
const CLASS_TABLE: readonly (readonly [ErrorClass, ErrorCode])[] = [
  [ccxt.ExchangeClosedByUser, 'NETWORK'],
  [ccxt.NotSupported, 'NOT_SUPPORTED'],
  [ccxt.ArgumentsRequired, 'INVALID_ARGUMENT'],
  [ccxt.InvalidProxySettings, 'INVALID_CONFIG'],
  [ccxt.AuthenticationError, 'VENUE_REJECTED'],
  [ccxt.InsufficientFunds, 'VENUE_REJECTED'],
  [ccxt.InvalidOrder, 'VENUE_REJECTED'],
  [ccxt.BadRequest, 'VENUE_REJECTED'],
  [ccxt.OperationRejected, 'VENUE_REJECTED'],
  [ccxt.RateLimitExceeded, 'RATE_LIMITED'],
  [ccxt.DDoSProtection, 'RATE_LIMITED'],
  [ccxt.RequestTimeout, 'TIMEOUT'],
  [ccxt.ExchangeNotAvailable, 'VENUE_UNAVAILABLE'],
  [ccxt.NetworkError, 'NETWORK'],
  [ccxt.OperationFailed, 'UNKNOWN'],
];

export interface ErrorContext {
  /** What was being done, for the message: `createOrder BTC/USDT:USDT k1-2` */
  readonly action: string;
  /** Scrubs credentials and signatures from the message */
  readonly redact: (text: string) => string;
  /** The last REST answer's headers, for Retry-After */
  readonly headers?: unknown;
  /** The venue's error codes (its profile's) */
  readonly errors: VenueErrors;
  /**
   * The raw body of the last REST answer, for the venue's code when ccxt's message left it
   * out (Binance -2010 arrives as its `msg` only); read only when it carries the error's words
   */
  readonly lastResponse?: unknown;
}

/** The venue's own error code in a ccxt error: Binance's `{"code":-2019,"msg":"..."}` */
export function venueCodeOf(
  error: unknown,
  errors: VenueErrors,
  lastResponse?: unknown,
): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const code = errors.codeOf(message);
  if (code !== undefined || typeof lastResponse !== 'string') return code;
  // ccxt's message is `<exchange id> <the venue's words>`: the answer must carry those words
  const words = message.slice(message.indexOf(' ') + 1);
  return words.length >= 8 && lastResponse.includes(words)
    ? errors.codeOf(lastResponse)
    : undefined;
}

/** The venue's own words: Binance `msg`, Bybit `retMsg`, OKX `sMsg`, else the whole message */
function venueMessageOf(error: Error): string {
  const match = /"(?:sMsg|retMsg|msg)"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(error.message);
  return match?.[1] !== undefined && match[1] !== '' ? match[1] : error.message;
}

function retryAfterMs(headers: unknown): number | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const record = headers as Record<string, unknown>;
  const raw = record['retry-after'] ?? record['Retry-After'];
  const seconds = Number(raw);
  return raw !== undefined && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/**
 * Turns anything a ccxt call throws into a KestrelError with the right code: the venue's code
 * first (it is exact), then ccxt's class; anything else is ambiguous, because an unexpected
 * failure never proves the venue did nothing. Messages are scrubbed of credentials.
 */
export function toKestrelError(error: unknown, context: ErrorContext): KestrelError {
  if (error instanceof KestrelError) return error;
  const venueCode =
    error instanceof ccxt.ExchangeError
      ? venueCodeOf(error, context.errors, context.lastResponse)
      : venueCodeOf(error, context.errors);
  let code: ErrorCode | undefined =
    venueCode === undefined ? undefined : context.errors.codes[venueCode];
  let className = 'Error';
  if (error instanceof Error) {
    className = error.constructor.name;
    if (code === undefined) {
      for (const [cls, mapped] of CLASS_TABLE) {
        if (error instanceof cls) {
          code = mapped;
          break;
        }
      }
    }
    // An exchange answer we cannot place: a verdict when the venue gave a code, else unknown
    if (code === undefined && error instanceof ccxt.ExchangeError) {
      code = venueCode === undefined ? 'UNKNOWN' : 'VENUE_REJECTED';
    }
  }
  code ??= 'UNKNOWN';
  const detail = error instanceof Error ? venueMessageOf(error) : String(error);
  const retry = code === 'RATE_LIMITED' ? retryAfterMs(context.headers) : undefined;
  return new KestrelError(
    code,
    context.redact(
      `${context.action}: ${className}${venueCode === undefined ? '' : ` ${venueCode}`}: ${detail}`,
    ),
    {
      venueCode: venueCode ?? className,
      ...(retry === undefined ? {} : { retryAfterMs: retry }),
    },
  );
}

/**
 * The failure one refused entry of a batch answer stands for, through the same table as a
 * single order's (ARCHITECTURE §5): the venue's code decides its kind, a code the table does
 * not list is a verdict, and an entry without a code we can read is ambiguous (it never proves
 * the venue did nothing). Binance answers an entry it may have placed with -1001 or -1008.
 */
export function batchEntryError(info: unknown, action: string, errors: VenueErrors): KestrelError {
  const venueCode = errors.codeOf(JSON.stringify(info ?? {}));
  const code: ErrorCode =
    venueCode === undefined ? 'UNKNOWN' : (errors.codes[venueCode] ?? 'VENUE_REJECTED');
  return new KestrelError(
    code,
    `${action}: ${venueCode ?? 'no code'}: ${batchEntryMessage(info)}`,
    { venueCode: venueCode ?? 'REJECTED' },
  );
}

/** The venue's words for a refused batch entry (Binance `msg`, Bybit `msg`, OKX `sMsg`) */
function batchEntryMessage(info: unknown): string {
  if (typeof info !== 'object' || info === null) return 'refused in a batch';
  const record = info as Record<string, unknown>;
  for (const key of ['sMsg', 'msg', 'retMsg', 'error']) {
    const value = record[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return 'refused in a batch';
}

/** Whether an error says the venue does not know the order */
export function isOrderNotFound(error: unknown, errors: VenueErrors): boolean {
  if (error instanceof ccxt.OrderNotFound) return true;
  if (error instanceof KestrelError)
    return (
      error.venueCode !== undefined &&
      (errors.notFound.includes(error.venueCode) || error.venueCode === 'OrderNotFound')
    );
  const code = venueCodeOf(error, errors);
  return code !== undefined && errors.notFound.includes(code);
}

/**
 * Whether a stream failed on a frame it could not read rather than on the network: ccxt rejects
 * its watchers with whatever its parser threw (a TypeError on a missing field, a BadResponse)
 */
export function isUnreadableFrame(error: unknown): boolean {
  if (error instanceof KestrelError) return false;
  return !(error instanceof ccxt.BaseError) || error instanceof ccxt.BadResponse;
}

/** Whether an error came from ccxt (for the stray-rejection guard) */
export function isCcxtError(error: unknown): boolean {
  return error instanceof ccxt.BaseError;
}
