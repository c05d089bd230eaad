/**
 * Bybit's API rate limits per UID, per endpoint, in a rolling one-second window (the Rate
 * Limit Rules page, UTA 2.0 Pro column for linear). A batch consumes one unit per order in it.
 */
const LIMITS_PER_SECOND: Readonly<Record<string, number>> = {
  '/v5/order/create': 10,
  '/v5/order/amend': 10,
  '/v5/order/cancel': 10,
  '/v5/order/cancel-all': 10,
  '/v5/order/create-batch': 10,
  '/v5/order/realtime': 50,
  '/v5/order/history': 50,
  '/v5/execution/list': 50,
  '/v5/position/list': 50,
  '/v5/position/set-leverage': 10,
  '/v5/position/switch-mode': 10,
  '/v5/account/wallet-balance': 50,
};

const WINDOW_MS = 1_000;

/** What a request may use of its endpoint's limit, and the headers Bybit sends with the answer */
export interface RateVerdict {
  /** How many of the units asked for fit in the window (a batch may fit in part) */
  readonly granted: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** The rolling per-endpoint windows of one account */
export class RateLimits {
  private readonly windows = new Map<string, number[]>();

  /** Takes up to `units` from the endpoint's window at `now` */
  take(path: string, units: number, now: number): RateVerdict {
    const limit = LIMITS_PER_SECOND[path];
    if (limit === undefined) return { granted: units, headers: {} };
    let used = this.windows.get(path);
    if (used === undefined) {
      used = [];
      this.windows.set(path, used);
    }
    while (used.length > 0 && (used[0] ?? 0) <= now - WINDOW_MS) used.shift();
    const granted = Math.max(0, Math.min(units, limit - used.length));
    for (let i = 0; i < granted; i++) used.push(now);
    const reset = granted < units && used.length > 0 ? (used[0] ?? now) + WINDOW_MS : now;
    return {
      granted,
      headers: {
        'X-Bapi-Limit': String(limit),
        'X-Bapi-Limit-Status': String(Math.max(0, limit - used.length)),
        'X-Bapi-Limit-Reset-Timestamp': String(Math.floor(reset)),
      },
    };
  }
}
