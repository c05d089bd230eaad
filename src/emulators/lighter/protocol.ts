/**
 * The venue's rules as the emulator enforces them, written from the official signer's
 * validation (lighter-go `types/txtypes/*.go`) and the documented error codes. Kept apart from
 * the client's own constants on purpose: the emulator plays the venue, and a test proves
 * something only when client and venue were written independently.
 */

export const TX = { CREATE: 14, CANCEL: 15, CANCEL_ALL: 16, MODIFY: 17 } as const;

export const ORDER_TYPE_LIMIT = 0;
export const ORDER_TYPE_MARKET = 1;
export const TIF_IOC = 0;
export const TIF_GTT = 1;
export const TIF_POST_ONLY = 2;

export const MAX_CLIENT_ORDER_INDEX = 2 ** 48 - 1;
export const FIRST_ORDER_INDEX = 2 ** 48;
export const MAX_BASE_AMOUNT = 2 ** 48 - 1;
export const MAX_PRICE = 2 ** 32 - 1;
export const MIN_ORDER_EXPIRY_MS = 5 * 60_000;
export const MAX_ORDER_EXPIRY_MS = 30 * 24 * 3_600_000;
export const MAX_AUTH_TOKEN_MS = 8 * 3_600_000;
export const MAX_BATCH = 50;

/** Error codes and messages as the venue words them */
export const CODES = {
  ACCOUNT_NOT_FOUND: [21100, 'account not found'],
  INVALID_NONCE: [21104, 'invalid nonce'],
  INVALID_SIGNATURE: [21120, 'invalid signature'],
  INTEGRATOR_NOT_APPROVED: [21149, 'integrator is not approved'],
  INVALID_PARAMETER: [20002, 'invalid param'],
  INVALID_TX_INFO: [21501, 'invalid tx info'],
  UNSUPPORTED_TX_TYPE: [21505, 'unsupported tx type'],
  INVALID_MARKET_INDEX: [21602, 'invalid market index'],
  INVALID_ORDER_INDEX: [21700, 'invalid order index'],
  INVALID_BASE_AMOUNT: [21701, 'invalid base amount'],
  INVALID_PRICE: [21702, 'invalid price'],
  INVALID_IS_ASK: [21703, 'invalid isAsk'],
  INVALID_ORDER_TYPE: [21704, 'invalid OrderType'],
  INVALID_TIME_IN_FORCE: [21705, 'invalid OrderTimeInForce'],
  INVALID_ORDER_AMOUNT: [21706, 'invalid order base or quote amount'],
  INVALID_EXPIRY: [21711, 'invalid expiry'],
  INVALID_CANCEL_ALL_TIME_IN_FORCE: [21713, 'invalid cancel all time in force'],
  INVALID_CANCEL_ALL_TIME: [21714, 'invalid cancel all time'],
  NOT_ACTIVE_ORDER: [21715, 'given order is not an active order'],
  INVALID_CLIENT_ORDER_INDEX: [21727, 'invalid client order index'],
  CLIENT_ORDER_INDEX_EXISTS: [21728, 'client order index already exists'],
  INVALID_TRIGGER_PRICE: [21729, 'invalid order trigger price'],
  TOO_MANY_REQUESTS: [23000, 'Too Many Requests!'],
  AUTH_EXPIRED: [20013, 'invalid auth: expired token'],
  AUTH_INVALID: [20012, 'invalid auth'],
  AUTH_REQUIRED: [20001, 'auth field is required'],
  ALREADY_SUBSCRIBED: [30003, 'Already Subscribed to :'],
  SUBSCRIBE_FAILED: [30012, 'failed to subscribe'],
} as const satisfies Record<string, readonly [number, string]>;

export type CodeName = keyof typeof CODES;

/** A refusal the venue answers with: HTTP 400 `{code, message}` */
export class VenueRefusal extends Error {
  readonly code: number;

  constructor(name: CodeName, detail?: string) {
    const [code, message] = CODES[name];
    super(detail === undefined ? message : `${message}: ${detail}`);
    this.code = code;
  }
}
