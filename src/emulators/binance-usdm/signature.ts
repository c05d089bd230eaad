import { createHmac, timingSafeEqual } from 'node:crypto';
import { binanceError } from './errors.ts';

/** What a signed request must carry, and what the venue checks it against */
export interface SignedRequest {
  /** The raw parameter string as sent: query string, then the form body */
  readonly payload: string;
  readonly apiKey: string | undefined;
}

export interface Credentials {
  readonly apiKey: string;
  readonly apiSecret: string;
}

const MAX_RECV_WINDOW = 60_000;
const DEFAULT_RECV_WINDOW = 5_000;
/** How far ahead of the server a client timestamp may be, as Binance allows */
const FUTURE_TOLERANCE_MS = 1_000;

/** The HMAC-SHA256 hex signature of a payload, as Binance computes it */
export function signPayload(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/**
 * Checks the API key header alone, for the endpoints Binance guards with a key but no
 * signature (the listenKey).
 * @throws BinanceHttpError -2014 when the key is missing, -2015 when it is not the account's
 */
export function verifyApiKey(apiKey: string | undefined, credentials: Credentials): void {
  if (apiKey === undefined || apiKey.length === 0) throw binanceError('BAD_API_KEY_FMT');
  if (!sameText(apiKey, credentials.apiKey)) throw binanceError('REJECTED_MBX_KEY');
}

/**
 * Verifies a signed request the way Binance does: the key, then the HMAC over the raw string
 * before `&signature=` (never over re-serialised parameters), then the timestamp against
 * `recvWindow` on the server's clock.
 * @throws BinanceHttpError -2014/-2015 (key), -1102 (no signature or timestamp), -1022 (bad
 *   signature), -1131 (recvWindow too large), -1021 (timestamp outside the window)
 */
export function verifySignedRequest(
  request: SignedRequest,
  credentials: Credentials,
  serverTime: number,
): void {
  verifyApiKey(request.apiKey, credentials);
  const marker = request.payload.lastIndexOf('signature=');
  if (marker < 0) {
    throw binanceError(
      'MANDATORY_PARAM',
      "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
    );
  }
  const signed = request.payload.slice(0, Math.max(0, marker - 1));
  const signature = request.payload.slice(marker + 'signature='.length).split('&')[0] ?? '';
  if (!sameText(signature.toLowerCase(), signPayload(signed, credentials.apiSecret))) {
    throw binanceError('INVALID_SIGNATURE');
  }
  const params = new URLSearchParams(signed);
  const timestamp = Number(params.get('timestamp'));
  if (!Number.isFinite(timestamp) || timestamp <= 0) {
    throw binanceError(
      'MANDATORY_PARAM',
      "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
    );
  }
  const recvWindowText = params.get('recvWindow');
  const recvWindow = recvWindowText === null ? DEFAULT_RECV_WINDOW : Number(recvWindowText);
  if (!Number.isFinite(recvWindow) || recvWindow <= 0 || recvWindow > MAX_RECV_WINDOW) {
    throw binanceError('BAD_RECV_WINDOW');
  }
  if (timestamp > serverTime + FUTURE_TOLERANCE_MS || serverTime - timestamp > recvWindow) {
    throw binanceError('INVALID_TIMESTAMP');
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
