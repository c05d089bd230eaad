import { createHmac, timingSafeEqual } from 'node:crypto';
import { bybitError } from './errors.ts';

export interface Credentials {
  readonly apiKey: string;
  readonly apiSecret: string;
}

/** A private REST request as it arrived: the auth headers and the raw signed text */
export interface SignedRequest {
  readonly apiKey: string | undefined;
  readonly timestamp: string | undefined;
  readonly sign: string | undefined;
  /** The `X-BAPI-RECV-WINDOW` header as sent; absent means Bybit's default of 5 000 ms */
  readonly recvWindow: string | undefined;
  /** The query string (GET) or the JSON body (POST), exactly as sent */
  readonly payload: string;
}

const DEFAULT_RECV_WINDOW = 5_000;
/** How far ahead of the server a client timestamp may be: `timestamp < server_time + 1000` */
const FUTURE_TOLERANCE_MS = 1_000;

/** The lowercase hex HMAC-SHA256 of a text, as Bybit signs requests and WebSocket auth */
export function hmacHex(text: string, secret: string): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}

/**
 * Verifies a private REST request the way Bybit's guide describes it: the three auth headers
 * present, the key the account's, the timestamp inside
 * `[server_time - recv_window, server_time + 1000)`, and `X-BAPI-SIGN` the HMAC-SHA256 of
 * `timestamp + api_key + recv_window + queryString|jsonBody` over the raw text as sent.
 * @throws BybitError 10001 (a header missing or malformed), 10003 (key), 10002 (timestamp
 *   outside the window), 10004 (signature)
 */
export function verifySignedRequest(
  request: SignedRequest,
  credentials: Credentials,
  serverTime: number,
): void {
  const { apiKey, timestamp, sign } = request;
  if (!apiKey || !timestamp || !sign) {
    throw bybitError(
      'PARAMS',
      `empty value: apiTimestamp[${timestamp ?? ''}] apiKey[${apiKey ?? ''}] apiSignature[${sign ?? ''}]: openapi sign params error!`,
    );
  }
  if (!sameText(apiKey, credentials.apiKey)) throw bybitError('API_KEY');
  const recvWindow =
    request.recvWindow === undefined ? DEFAULT_RECV_WINDOW : Number(request.recvWindow);
  const time = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || !Number.isFinite(recvWindow) || recvWindow <= 0) {
    throw bybitError(
      'PARAMS',
      `params error: invalid timestamp[${timestamp}] or recv_window[${request.recvWindow ?? ''}]`,
    );
  }
  if (time < serverTime - recvWindow || time >= serverTime + FUTURE_TOLERANCE_MS) {
    throw bybitError(
      'TIMESTAMP',
      `invalid request, please check your server timestamp or recv_window param. req_timestamp[${timestamp}],server_timestamp[${Math.floor(serverTime)}],recv_window[${recvWindow}]`,
    );
  }
  const signed = `${timestamp}${apiKey}${request.recvWindow ?? ''}${request.payload}`;
  if (!sameText(sign, hmacHex(signed, credentials.apiSecret))) {
    throw bybitError('SIGN', `error sign! origin_string[${signed}]`);
  }
}

/** Why a WebSocket `auth` was refused, as Bybit's `ret_msg` says it */
export type WsAuthVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly message: string };

/**
 * Checks a private WebSocket `auth` op: `args` = [api key, expires (ms), signature], expires
 * after the server's now, signature the HMAC-SHA256 of `GET/realtime` + expires.
 */
export function verifyWsAuth(
  args: unknown,
  credentials: Credentials,
  serverTime: number,
): WsAuthVerdict {
  if (!Array.isArray(args) || args.length !== 3) return { ok: false, message: 'Params Error' };
  const [apiKey, expires, signature] = args as unknown[];
  const expiresText = typeof expires === 'number' ? String(expires) : expires;
  if (
    typeof apiKey !== 'string' ||
    typeof signature !== 'string' ||
    typeof expiresText !== 'string' ||
    !/^\d+$/.test(expiresText)
  )
    return { ok: false, message: 'Params Error' };
  if (Number(expiresText) <= serverTime) return { ok: false, message: 'Params Error' };
  if (!sameText(apiKey, credentials.apiKey))
    return { ok: false, message: 'Request not authorized' };
  if (!sameText(signature, hmacHex(`GET/realtime${expiresText}`, credentials.apiSecret)))
    return { ok: false, message: 'Request not authorized' };
  return { ok: true };
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
