/**
 * Protocol constants of Lighter (zkLighter) as its signer and API define them: transaction
 * types, order types and times in force as they appear in signed transactions, and the ranges
 * the venue validates. Names follow the venue's own (lighter-go `types/txtypes/constants.go`).
 */

export const TX_TYPE = {
  CREATE_ORDER: 14,
  CANCEL_ORDER: 15,
  CANCEL_ALL_ORDERS: 16,
  MODIFY_ORDER: 17,
} as const;

export type TxType = (typeof TX_TYPE)[keyof typeof TX_TYPE];

/** `Type` of a create-order transaction */
export const ORDER_TYPE = {
  LIMIT: 0,
  MARKET: 1,
  STOP_LOSS: 2,
  STOP_LOSS_LIMIT: 3,
  TAKE_PROFIT: 4,
  TAKE_PROFIT_LIMIT: 5,
  TWAP: 6,
} as const;

/** `TimeInForce` of a create-order transaction */
export const TIME_IN_FORCE = {
  IMMEDIATE_OR_CANCEL: 0,
  GOOD_TILL_TIME: 1,
  POST_ONLY: 2,
} as const;

/** `TimeInForce` of a cancel-all transaction */
export const CANCEL_ALL = {
  IMMEDIATE: 0,
  SCHEDULED: 1,
  ABORT_SCHEDULED: 2,
} as const;

/** 0 means "no client order index"; ours are 1..2^48-1 */
export const NIL_CLIENT_ORDER_INDEX = 0;
export const MIN_CLIENT_ORDER_INDEX = 1;
export const MAX_CLIENT_ORDER_INDEX = 2 ** 48 - 1;
/** Venue order indexes start above every client order index, so one `Index` field names either */
export const MIN_ORDER_INDEX = 2 ** 48;
export const MAX_BASE_AMOUNT = 2 ** 48 - 1;
export const MAX_PRICE = 2 ** 32 - 1;
export const MAX_ACCOUNT_INDEX = 2 ** 48 - 2;
export const MAX_API_KEY_INDEX = 254;
/** A GTT order's expiry must lie between 5 minutes and 30 days ahead */
export const MIN_ORDER_EXPIRY_MS = 5 * 60_000;
export const MAX_ORDER_EXPIRY_MS = 30 * 24 * 3_600_000;
/** What the official SDKs use for "good till canceled": 28 days */
export const DEFAULT_ORDER_EXPIRY_MS = 28 * 24 * 3_600_000;
/** A transaction's own validity: the signer's default is now + 10 minutes - 1 second */
export const DEFAULT_TX_TTL_MS = 10 * 60_000 - 1_000;
/** An auth token is valid for at most 8 hours */
export const MAX_AUTH_TOKEN_TTL_MS = 8 * 3_600_000;
/** Transactions per sendTxBatch call: the docs say 50, the async API spec 15; 15 is safe */
export const MAX_BATCH_SIZE = 15;
/** `market_id` meaning "all markets" in queries */
export const ALL_MARKETS = 255;

/**
 * Error codes the venue answers with (apidocs "Data Structures, Constants and Errors"); the
 * ones the client acts on by name.
 */
export const LIGHTER_ERROR = {
  INVALID_NONCE: 21104,
  INVALID_PUBLIC_KEY: 21136,
  TX_NOT_FOUND: 21500,
  INVALID_TX_INFO: 21501,
  UNSUPPORTED_TX_TYPE: 21505,
  TOO_MANY_PENDING_TXS: 21506,
  NOT_ACTIVE_LIMIT_ORDER: 21600,
  INVALID_MARKET_INDEX: 21602,
  INVALID_ORDER_INDEX: 21700,
  INVALID_BASE_AMOUNT: 21701,
  INVALID_PRICE: 21702,
  INVALID_IS_ASK: 21703,
  INVALID_ORDER_TYPE: 21704,
  INVALID_TIME_IN_FORCE: 21705,
  INVALID_ORDER_AMOUNT: 21706,
  NOT_ORDER_OWNER: 21707,
  ORDER_INACTIVE: 21709,
  INVALID_EXPIRY: 21711,
  INVALID_CANCEL_ALL_TIME_IN_FORCE: 21713,
  INVALID_CANCEL_ALL_TIME: 21714,
  NOT_ACTIVE_ORDER: 21715,
  INVALID_CLIENT_ORDER_INDEX: 21727,
  CLIENT_ORDER_INDEX_EXISTS: 21728,
  INVALID_TRIGGER_PRICE: 21729,
  NOT_ENOUGH_MARGIN: 21739,
  TOO_MANY_REQUESTS: 23000,
  TOO_MANY_SUBSCRIPTIONS: 23001,
  TOO_MANY_CONNECTIONS: 23003,
  WS_AUTH_EXPIRED: 20013,
  WS_ALREADY_SUBSCRIBED: 30003,
  WS_SUBSCRIBE_FAILED: 30012,
} as const;
