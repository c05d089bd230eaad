/**
 * The Binance USDⓈ-M error answers the emulator gives, with the HTTP status Binance sends each
 * with. Codes and messages follow Binance's published error list, so ccxt maps them as it would
 * the real venue's.
 */
export const BINANCE_ERRORS = {
  UNKNOWN: {
    status: 500,
    code: -1000,
    msg: 'An unknown error occurred while processing the request.',
  },
  INTERNAL: {
    status: 500,
    code: -1001,
    msg: 'Internal error; unable to process your request. Please try again.',
  },
  TOO_MANY_REQUESTS: {
    status: 429,
    code: -1003,
    msg: 'Too many requests; current limit is 2400 requests per minute. Please use the websocket for live updates to avoid polling the API.',
  },
  TOO_MANY_ORDERS: {
    status: 429,
    code: -1015,
    msg: 'Too many new orders; current limit is 300 orders per 10 SECOND.',
  },
  IP_BANNED: {
    status: 418,
    code: -1003,
    msg: 'Way too many requests; IP banned until further notice. Please use the websocket for live updates to avoid bans.',
  },
  TIMEOUT: {
    status: 503,
    code: -1007,
    msg: 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.',
  },
  SERVICE_UNAVAILABLE: {
    status: 503,
    code: -1008,
    msg: 'Server is currently overloaded with other requests. Please try again in a few minutes.',
  },
  INVALID_TIMESTAMP: {
    status: 400,
    code: -1021,
    msg: 'Timestamp for this request is outside of the recvWindow.',
  },
  INVALID_SIGNATURE: { status: 400, code: -1022, msg: 'Signature for this request is not valid.' },
  ILLEGAL_CHARS: { status: 400, code: -1100, msg: 'Illegal characters found in a parameter.' },
  MANDATORY_PARAM: {
    status: 400,
    code: -1102,
    msg: 'Mandatory parameter was not sent, was empty/null, or malformed.',
  },
  INVALID_TIF: { status: 400, code: -1115, msg: 'Invalid timeInForce.' },
  INVALID_ORDER_TYPE: { status: 400, code: -1116, msg: 'Invalid orderType.' },
  INVALID_SIDE: { status: 400, code: -1117, msg: 'Invalid side.' },
  INVALID_INTERVAL: { status: 400, code: -1120, msg: 'Invalid interval.' },
  BAD_SYMBOL: { status: 400, code: -1121, msg: 'Invalid symbol.' },
  INVALID_LISTEN_KEY: { status: 400, code: -1125, msg: 'This listenKey does not exist.' },
  BAD_RECV_WINDOW: { status: 400, code: -1131, msg: 'recvWindow must be less than 60000' },
  NO_SUCH_ORDER: { status: 400, code: -2013, msg: 'Order does not exist.' },
  UNKNOWN_ORDER: { status: 400, code: -2011, msg: 'Unknown order sent.' },
  BAD_API_KEY_FMT: { status: 401, code: -2014, msg: 'API-key format invalid.' },
  REJECTED_MBX_KEY: {
    status: 401,
    code: -2015,
    msg: 'Invalid API-key, IP, or permissions for action.',
  },
  ALGO_ORDER_TYPE: {
    status: 400,
    code: -4120,
    msg: 'Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.',
  },
  BATCH_SIZE: {
    status: 400,
    code: -4082,
    msg: 'Invalid number of batch place orders.',
  },
  CLIENT_ID_TOO_LONG: {
    status: 400,
    code: -4015,
    msg: 'Client order id is not valid.',
  },
  NOT_FOUND: { status: 404, code: -5000, msg: 'Path or method is not supported.' },
  PARAM_NOT_REQUIRED: { status: 400, code: -1106, msg: 'Parameter sent when not required.' },
  INVALID_PARAMETER: { status: 400, code: -1130, msg: 'Data sent for parameter is not valid.' },
  WOULD_TRIGGER: { status: 400, code: -2021, msg: 'Order would immediately trigger.' },
  REDUCE_ONLY_REJECTED: { status: 400, code: -2022, msg: 'ReduceOnly Order is rejected.' },
  INVALID_LEVERAGE: { status: 400, code: -4028, msg: 'Leverage is not valid' },
  INVALID_WORKING_TYPE: { status: 400, code: -4031, msg: 'Invalid parameter working type' },
  NO_NEED_MARGIN_TYPE: { status: 400, code: -4046, msg: 'No need to change margin type.' },
  MARGIN_TYPE_OPEN_ORDERS: {
    status: 400,
    code: -4047,
    msg: 'Margin type cannot be changed if there exists open orders.',
  },
  MARGIN_TYPE_POSITION: {
    status: 400,
    code: -4048,
    msg: 'Margin type cannot be changed if there exists position.',
  },
  NO_NEED_POSITION_SIDE: { status: 400, code: -4059, msg: 'No need to change position side.' },
  INVALID_POSITION_SIDE: { status: 400, code: -4060, msg: 'Invalid position side.' },
  POSITION_SIDE_MISMATCH: {
    status: 400,
    code: -4061,
    msg: "Order's position side does not match user's setting.",
  },
  POSITION_SIDE_OPEN_ORDERS: {
    status: 400,
    code: -4067,
    msg: 'Position side cannot be changed if there exists open orders.',
  },
  POSITION_SIDE_POSITION: {
    status: 400,
    code: -4068,
    msg: 'Position side cannot be changed if there exists position.',
  },
  QUANTITY_WITH_CLOSE_POSITION: {
    status: 400,
    code: -4137,
    msg: 'Quantity must be zero with closePosition equals true',
  },
  REDUCE_ONLY_WITH_CLOSE_POSITION: {
    status: 400,
    code: -4138,
    msg: 'Reduce only must be true with closePosition equals true',
  },
  NO_NEED_TO_MODIFY: { status: 400, code: -5027, msg: 'No need to modify the order.' },
  INVALID_PRICE_MATCH: { status: 400, code: -5037, msg: 'Invalid price match' },
  PRICE_MATCH_ORDER_TYPE: {
    status: 400,
    code: -5038,
    msg: 'Price match only supports order type: LIMIT, STOP AND TAKE_PROFIT',
  },
  GOOD_TILL_DATE: {
    status: 400,
    code: -5040,
    msg: 'The goodTillDate timestamp must be greater than the current time plus 600 seconds and smaller than 253402300799000',
  },
  NO_DEPTH: { status: 400, code: -5041, msg: 'No depth matches this BBO order' },
} as const;

export type BinanceErrorName = keyof typeof BINANCE_ERRORS;

/** A Binance error answer: the HTTP status and the `{code, msg}` body */
export class BinanceHttpError extends Error {
  override readonly name = 'BinanceHttpError';
  readonly status: number;
  readonly code: number;

  constructor(status: number, code: number, msg: string) {
    super(msg);
    this.status = status;
    this.code = code;
  }

  /** The body Binance sends: `{"code":-1022,"msg":"..."}` */
  toBody(): { readonly code: number; readonly msg: string } {
    return { code: this.code, msg: this.message };
  }
}

/** Builds the answer for a named Binance error, optionally with a more specific message */
export function binanceError(name: BinanceErrorName, msg?: string): BinanceHttpError {
  const entry = BINANCE_ERRORS[name];
  return new BinanceHttpError(entry.status, entry.code, msg ?? entry.msg);
}

/** A venue verdict from the sim (SIM_CODES) as Binance sends it: HTTP 400 with its code */
export function verdictError(code: string, msg: string): BinanceHttpError {
  return new BinanceHttpError(400, Number(code), msg);
}

/** What Binance answers a forced HTTP status with (the emulator's fail-requests fault) */
export function binanceFaultAnswer(status: number): {
  readonly code: number;
  readonly msg: string;
} {
  if (status === 429) return { code: -1003, msg: BINANCE_ERRORS.TOO_MANY_REQUESTS.msg };
  if (status === 418) return { code: -1003, msg: BINANCE_ERRORS.IP_BANNED.msg };
  if (status === 503) return { code: -1008, msg: BINANCE_ERRORS.SERVICE_UNAVAILABLE.msg };
  if (status >= 500) return { code: -1001, msg: BINANCE_ERRORS.INTERNAL.msg };
  return { code: -1000, msg: BINANCE_ERRORS.UNKNOWN.msg };
}
