/**
 * Binance USDⓈ-M's IP request-weight limit: each REST request costs its documented weight, the
 * weights of one fixed window (a minute on the venue) add up, and a request that would pass the
 * limit is answered 429 (-1003) with a Retry-After until the window ends. Orders themselves
 * weigh 0 here (the venue counts them on its separate order-rate limits).
 */

/** The venue's limit: 2 400 weight per minute (exchangeInfo's REQUEST_WEIGHT) */
export interface RequestWeightLimit {
  readonly weight: number;
  readonly intervalMs: number;
}

export const BINANCE_REQUEST_WEIGHT: RequestWeightLimit = { weight: 2400, intervalMs: 60_000 };

type Params = Readonly<Record<string, string>>;

/** The depth endpoint's weight by its `limit` (5..50: 2, 100: 5, 500: 10, 1000: 20) */
function depthWeight(params: Params): number {
  const limit = Number(params['limit'] ?? 500);
  if (limit <= 50) return 2;
  if (limit <= 100) return 5;
  if (limit <= 500) return 10;
  return 20;
}

const bySymbol = (one: number, all: number) => (params: Params) =>
  params['symbol'] === undefined ? all : one;

/** Documented IP weights of the routes the emulator serves; any other route weighs 1 */
const WEIGHTS: Readonly<Record<string, number | ((params: Params) => number)>> = {
  'GET /fapi/v1/depth': depthWeight,
  'GET /fapi/v1/trades': 5,
  'GET /fapi/v1/aggTrades': 20,
  'GET /fapi/v1/ticker/24hr': bySymbol(1, 40),
  'GET /fapi/v1/ticker/price': bySymbol(1, 2),
  'GET /fapi/v1/ticker/bookTicker': bySymbol(2, 5),
  'POST /fapi/v1/order': 0,
  'POST /fapi/v1/batchOrders': 5,
  'GET /fapi/v1/openOrders': bySymbol(1, 40),
  'GET /fapi/v1/userTrades': 5,
  'GET /fapi/v2/account': 5,
  'GET /fapi/v3/account': 5,
  'GET /fapi/v2/balance': 5,
  'GET /fapi/v3/balance': 5,
  'GET /fapi/v2/positionRisk': 5,
  'GET /fapi/v3/positionRisk': 5,
};

/** The weight of one request, by route and parameters */
export function requestWeight(route: string, params: Params): number {
  const weight = WEIGHTS[route] ?? 1;
  return typeof weight === 'number' ? weight : weight(params);
}

/** The weight used in the current window; `take` answers whether a request fits */
export class RequestWeightWindow {
  readonly limit: RequestWeightLimit;
  private windowStart = 0;
  private used = 0;

  constructor(limit: RequestWeightLimit = BINANCE_REQUEST_WEIGHT) {
    this.limit = limit;
  }

  /**
   * Counts a request's weight in the window of `now`; undefined when it fits, else how long
   * until the window ends (ms), and the weight is not counted
   */
  take(weight: number, now: number): number | undefined {
    const start = now - (now % this.limit.intervalMs);
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.used = 0;
    }
    if (this.used + weight > this.limit.weight) return start + this.limit.intervalMs - now;
    this.used += weight;
    return undefined;
  }

  /** The weight used in the current window, as X-MBX-USED-WEIGHT-1M reports it */
  get usedWeight(): number {
    return this.used;
  }
}
