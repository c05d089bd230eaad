/**
 * The retCodes the emulator answers with, each with the description Bybit's v5 error table
 * (https://bybit-exchange.github.io/docs/v5/error) gives it. Bybit answers these with HTTP 200
 * and the code in the body, so ccxt maps them by code as it maps the real venue's.
 */
export const BYBIT_ERRORS = {
  SERVER_TIMEOUT: { retCode: 10000, retMsg: 'Server Timeout' },
  PARAMS: { retCode: 10001, retMsg: 'Request parameter error' },
  TIMESTAMP: {
    retCode: 10002,
    retMsg: 'The request time exceeds the time window range.',
  },
  API_KEY: {
    retCode: 10003,
    retMsg:
      'API key is invalid. Check whether the key and domain are matched, there are 4 env: mainnet, testnet, mainnet-demo, testnet-demo',
  },
  SIGN: {
    retCode: 10004,
    retMsg: 'Error sign, please check your signature generation algorithm.',
  },
  RATE_LIMIT: { retCode: 10006, retMsg: 'Too many visits. Exceeded the API Rate Limit.' },
  SERVER_ERROR: { retCode: 10016, retMsg: 'Server error.' },
  ROUTE_NOT_FOUND: { retCode: 10017, retMsg: 'Route not found.' },
  ORDER_NOT_FOUND: { retCode: 110001, retMsg: 'Order does not exist' },
  AVAILABLE_BALANCE: { retCode: 110007, retMsg: 'Available balance is insufficient' },
  ORDER_FINISHED: { retCode: 110008, retMsg: 'The order has been completed or cancelled.' },
  CONDITIONAL_LIMIT: {
    retCode: 110009,
    retMsg: 'The number of stop orders exceeds the maximum allowable limit',
  },
  REDUCE_ONLY: { retCode: 110017, retMsg: 'orderQty will be truncated to zero' },
  ACTIVE_ORDER_LIMIT: {
    retCode: 110020,
    retMsg: 'Not allowed to have more than 500 active orders.',
  },
  MODE_POSITION: {
    retCode: 110024,
    retMsg: 'You have an existing position, so the position mode cannot be switched.',
  },
  MODE_NOT_MODIFIED: { retCode: 110025, retMsg: 'Position mode has not been modified.' },
  MODE_OPEN_ORDERS: {
    retCode: 110028,
    retMsg: 'You have existing open orders, so the position mode cannot be switched.',
  },
  LEVERAGE_NOT_MODIFIED: { retCode: 110043, retMsg: 'Set leverage has not been modified.' },
  QTY_NOT_ABOVE_FILLED: {
    retCode: 110064,
    retMsg: 'The modified contract quantity cannot be less than or equal to the filled quantity.',
  },
  DUPLICATE_LINK_ID: { retCode: 110072, retMsg: 'OrderLinkedID is duplicate' },
  TRIGGER_RISING: {
    retCode: 110092,
    retMsg: 'expect Rising, but trigger_price[XXXXX] <= current[XXXXX]??laste',
  },
  TRIGGER_FALLING: {
    retCode: 110093,
    retMsg: 'expect Falling, but trigger_price[XXXXX] >= current[XXXXX]??last',
  },
  MIN_NOTIONAL: { retCode: 110094, retMsg: 'Order notional value below the lower limit' },
  RPI_NOT_ALLOWED: {
    retCode: 110119,
    retMsg: 'Order failed. RPI orders are restricted to approved market makers only',
  },
} as const;

export type BybitErrorName = keyof typeof BYBIT_ERRORS;

/** A Bybit refusal: the retCode and retMsg of the body, and the HTTP status it travels with */
export class BybitError extends Error {
  override readonly name = 'BybitError';
  readonly retCode: number;
  readonly status: number;

  constructor(retCode: number, retMsg: string, status = 200) {
    super(retMsg);
    this.retCode = retCode;
    this.status = status;
  }
}

/**
 * The refusal for a named Bybit error; `detail` replaces the table's description where Bybit
 * names the offending field (`params error: ...`).
 */
export function bybitError(name: BybitErrorName, detail?: string): BybitError {
  const entry = BYBIT_ERRORS[name];
  return new BybitError(entry.retCode, detail ?? entry.retMsg);
}

/** A request parameter refusal (10001) naming the field, as Bybit's `params error` answers do */
export function paramsError(detail: string): BybitError {
  return bybitError('PARAMS', `params error: ${detail}`);
}

/** The envelope of every Bybit v5 answer */
export function envelope(
  result: unknown,
  time: number,
  retExtInfo: unknown = {},
  retCode = 0,
  retMsg = 'OK',
): Record<string, unknown> {
  return { retCode, retMsg, result, retExtInfo, time: Math.floor(time) };
}

/** What Bybit answers a forced HTTP status with (the emulator's fail-requests fault) */
export function bybitFaultAnswer(status: number): { readonly code: number; readonly msg: string } {
  if (status === 429 || status === 403)
    return { code: BYBIT_ERRORS.RATE_LIMIT.retCode, msg: BYBIT_ERRORS.RATE_LIMIT.retMsg };
  if (status >= 500)
    return { code: BYBIT_ERRORS.SERVER_ERROR.retCode, msg: BYBIT_ERRORS.SERVER_ERROR.retMsg };
  return { code: BYBIT_ERRORS.PARAMS.retCode, msg: BYBIT_ERRORS.PARAMS.retMsg };
}
