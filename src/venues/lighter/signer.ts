/**
 * What Kestrel needs from a Lighter transaction signer. Signing sits behind this narrow
 * interface so the implementation (the Go WASM signer today, a pure TypeScript one later, a
 * deterministic fake in tests) can change without touching the broker. Every integer is the
 * venue's own unit: sizes and prices already scaled by the market's decimals.
 */

/** A signed transaction, ready for sendTx: `txInfo` is sent byte for byte as the signer wrote it */
export interface SignedTx {
  readonly txType: number;
  readonly txInfo: string;
  /** The hash the signature covers; the venue's must equal it */
  readonly txHash: string;
  /** The transaction's own expiry (ms since epoch); past it the venue can never execute it */
  readonly expiredAt: number;
  readonly nonce: number;
}

export interface CreateOrderTx {
  readonly marketIndex: number;
  /** 1..2^48-1, or 0 for none */
  readonly clientOrderIndex: number;
  readonly baseAmount: number;
  readonly price: number;
  readonly isAsk: boolean;
  /** ORDER_TYPE */
  readonly orderType: number;
  /** TIME_IN_FORCE */
  readonly timeInForce: number;
  readonly reduceOnly: boolean;
  readonly triggerPrice: number;
  /** Absolute ms; 0 for IOC and market orders */
  readonly orderExpiry: number;
}

export interface CancelOrderTx {
  readonly marketIndex: number;
  /** A client order index (< 2^48) or a venue order index (>= 2^48) */
  readonly index: number;
}

export interface CancelAllOrdersTx {
  /** CANCEL_ALL */
  readonly timeInForce: number;
  /** 0 for immediate; the scheduled time (ms) otherwise */
  readonly time: number;
}

export interface ModifyOrderTx {
  readonly marketIndex: number;
  /** A client order index or a venue order index */
  readonly index: number;
  readonly baseAmount: number;
  readonly price: number;
  readonly triggerPrice: number;
}

/** Per-transaction options */
export interface SignOptions {
  readonly nonce: number;
  /** The transaction's expiry, ms since epoch; default the signer's clock + DEFAULT_TX_TTL_MS */
  readonly expiredAt?: number;
}

/**
 * Signs Lighter L2 transactions and auth tokens for one (account, API key) on one chain.
 * Implementations reject with a KestrelError; they never log the key.
 */
export interface LighterSigner {
  readonly chainId: number;
  readonly accountIndex: number;
  readonly apiKeyIndex: number;
  /** What signs: `wasm` or `fake`, for logs and the smoke report */
  readonly kind: string;
  signCreateOrder(tx: CreateOrderTx, options: SignOptions): Promise<SignedTx>;
  signCancelOrder(tx: CancelOrderTx, options: SignOptions): Promise<SignedTx>;
  signCancelAllOrders(tx: CancelAllOrdersTx, options: SignOptions): Promise<SignedTx>;
  signModifyOrder(tx: ModifyOrderTx, options: SignOptions): Promise<SignedTx>;
  /**
   * Creates an auth token `deadline:account:apiKey:signature` valid until `deadlineSeconds`
   * (unix seconds, at most 8 hours ahead to be accepted).
   */
  createAuthToken(deadlineSeconds: number): Promise<string>;
  /** Releases the signer (terminates a worker); idempotent */
  close(): Promise<void>;
}

/** The `deadline:account:apiKey:` prefix of an auth token and whether the rest is an 80-byte hex signature */
export function parseAuthToken(
  token: string,
):
  | { readonly deadline: number; readonly accountIndex: number; readonly apiKeyIndex: number }
  | undefined {
  const match = /^(\d+):(\d+):(\d+):([0-9a-f]{160})$/.exec(token);
  if (match === null) return undefined;
  return {
    deadline: Number(match[1]),
    accountIndex: Number(match[2]),
    apiKeyIndex: Number(match[3]),
  };
}
