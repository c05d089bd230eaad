/**
 * Binance USDⓈ-M's rate limits. The IP request-weight limit: each REST request costs its
 * documented weight, the weights of one fixed window (a minute on the venue) add up, and a
 * request that would pass the limit is answered 429 (-1003) with a Retry-After until the window
 * ends. The account's order-rate limits: orders weigh (almost) nothing on the IP limit but count
 * on two fixed windows of their own, 300 per 10 seconds and 1 200 per minute (exchangeInfo's
 * ORDERS limits, "Rate Limits on Binance Futures"); one more is answered 429 (-1015) and not placed.
 */

/** The venue's limit: 2 400 weight per minute (exchangeInfo's REQUEST_WEIGHT) */
export interface RequestWeightLimit {
  readonly weight: number;
  readonly intervalMs: number;
}

const BINANCE_REQUEST_WEIGHT: RequestWeightLimit = { weight: 2400, intervalMs: 60_000 };

type Params = Readonly<Record<string, string>>;

/** Weights by a `limit` parameter: the first row whose bound the limit is under or at */
const byLimit =
  (rows: ReadonlyArray<readonly [number, number]>, fallbackLimit: number) => (params: Params) => {
    const limit = Number(params['limit'] ?? fallbackLimit);
    return (rows.find(([bound]) => limit <= bound) ?? rows[rows.length - 1] ?? [0, 1])[1];
  };

const bySymbol = (one: number, all: number) => (params: Params) =>
  params['symbol'] === undefined ? all : one;

/**
 * The documented IP weight (`x-mbx-used-weight-1m`) of every route the emulator serves, as
 * Binance's USDⓈ-M REST docs state them (developers.binance.com/docs/derivatives/
 * usds-margined-futures, each endpoint's "Request Weight"). Orders weigh 0 on the IP limit
 * (they count on the account's order-rate limits instead), except a batch (5). ccxt's cost
 * table (binance.js) differs from the docs on some routes: it prices v2/v3 account, balance and
 * positionRisk at 1 (the docs: 5), has no all-symbols weight for premiumIndex (10) and prices
 * v2 ticker/price at 0; the docs win. `GET /fapi/v1/fundingRate` counts on its own 500 per
 * 5 minutes (shared with fundingInfo), documented without an IP weight: 1 here.
 */
export const REQUEST_WEIGHTS: Readonly<Record<string, number | ((params: Params) => number)>> = {
  // Market data
  'GET /fapi/v1/ping': 1,
  'GET /fapi/v1/time': 1,
  'GET /fapi/v1/exchangeInfo': 1,
  // 5, 10, 20, 50: 2; 100: 5; 500 (the default): 10; 1000: 20
  'GET /fapi/v1/depth': byLimit(
    [
      [50, 2],
      [100, 5],
      [500, 10],
      [1000, 20],
    ],
    500,
  ),
  'GET /fapi/v1/trades': 5,
  'GET /fapi/v1/aggTrades': 20,
  // [1, 100): 1; [100, 500): 2; [500, 1000] (500 the default): 5; over 1000: 10
  'GET /fapi/v1/klines': byLimit(
    [
      [99, 1],
      [499, 2],
      [1000, 5],
      [Number.POSITIVE_INFINITY, 10],
    ],
    500,
  ),
  'GET /fapi/v1/fundingRate': 1,
  'GET /fapi/v1/premiumIndex': bySymbol(1, 10),
  'GET /fapi/v1/ticker/24hr': bySymbol(1, 40),
  'GET /fapi/v1/ticker/price': bySymbol(1, 2),
  'GET /fapi/v2/ticker/price': bySymbol(1, 2),
  'GET /fapi/v1/ticker/bookTicker': bySymbol(2, 5),
  // Orders: 0 on the IP limit (a batch 5)
  'POST /fapi/v1/order': 0,
  'PUT /fapi/v1/order': 0,
  'DELETE /fapi/v1/order': 1,
  'POST /fapi/v1/batchOrders': 5,
  'DELETE /fapi/v1/batchOrders': 1,
  'DELETE /fapi/v1/allOpenOrders': 1,
  'GET /fapi/v1/order': 1,
  'GET /fapi/v1/openOrder': 1,
  'GET /fapi/v1/openOrders': bySymbol(1, 40),
  'GET /fapi/v1/allOrders': 5,
  'GET /fapi/v1/userTrades': 5,
  // Algo (conditional) orders: a new one 0 on the IP limit
  'POST /fapi/v1/algoOrder': 0,
  'DELETE /fapi/v1/algoOrder': 1,
  'DELETE /fapi/v1/algoOpenOrders': 1,
  'GET /fapi/v1/algoOrder': 1,
  'GET /fapi/v1/openAlgoOrders': bySymbol(1, 40),
  'GET /fapi/v1/allAlgoOrders': 5,
  // Account
  'GET /fapi/v2/account': 5,
  'GET /fapi/v3/account': 5,
  'GET /fapi/v2/balance': 5,
  'GET /fapi/v3/balance': 5,
  'GET /fapi/v2/positionRisk': 5,
  'GET /fapi/v3/positionRisk': 5,
  'GET /fapi/v1/accountConfig': 5,
  'GET /fapi/v1/symbolConfig': 5,
  'GET /fapi/v1/commissionRate': 20,
  'GET /fapi/v1/leverageBracket': 1,
  'GET /fapi/v1/multiAssetsMargin': 30,
  'GET /fapi/v1/positionSide/dual': 30,
  'POST /fapi/v1/positionSide/dual': 1,
  'POST /fapi/v1/leverage': 1,
  'POST /fapi/v1/marginType': 1,
  // Spot wallet reads ccxt makes at load: weighed on the spot API's own IP limit at the venue
  'GET /sapi/v1/capital/config/getall': 10,
  'GET /sapi/v1/margin/allPairs': 1,
  // User data stream
  'POST /fapi/v1/listenKey': 1,
  'PUT /fapi/v1/listenKey': 1,
  'DELETE /fapi/v1/listenKey': 1,
};

/** The weight of one request, by route and parameters (a route not in the table: 1) */
export function requestWeight(route: string, params: Params): number {
  const weight = REQUEST_WEIGHTS[route] ?? 1;
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

/** One of the account's order-rate limits: so many order counts per fixed window */
export interface OrderRateLimit {
  readonly orders: number;
  readonly intervalMs: number;
}

/** The venue's order-rate limits: 300 per 10 seconds, 1 200 per minute (default tier) */
export const BINANCE_ORDER_RATE: readonly [OrderRateLimit, OrderRateLimit] = [
  { orders: 300, intervalMs: 10_000 },
  { orders: 1200, intervalMs: 60_000 },
];

/**
 * What each order-placing request counts on the 10-second and the 1-minute order-rate limits
 * (each endpoint's "Request Weight" in the docs: "1 on 10s order rate limit
 * (X-MBX-ORDER-COUNT-10S); 1 on 1min order rate limit (X-MBX-ORDER-COUNT-1M)", a batch 5 and 1)
 */
export const ORDER_COUNTS: Readonly<Record<string, readonly [number, number]>> = {
  'POST /fapi/v1/order': [1, 1],
  'PUT /fapi/v1/order': [1, 1],
  'POST /fapi/v1/batchOrders': [5, 1],
  'POST /fapi/v1/algoOrder': [1, 1],
};

/** The account's order counts in the current 10-second and 1-minute windows */
export class OrderRateWindows {
  readonly limits: readonly [OrderRateLimit, OrderRateLimit];
  private readonly starts = [0, 0];
  private readonly used = [0, 0];

  constructor(limits: readonly [OrderRateLimit, OrderRateLimit] = BINANCE_ORDER_RATE) {
    this.limits = limits;
  }

  /**
   * Counts an order-placing request in the windows of `now`: undefined when it fits both, else
   * the limit it would pass, and nothing is counted
   */
  take(route: string, now: number): OrderRateLimit | undefined {
    const counts = ORDER_COUNTS[route];
    if (counts === undefined) return undefined;
    for (let i = 0; i < 2; i++) {
      const { intervalMs } = this.limits[i] as OrderRateLimit;
      const start = now - (now % intervalMs);
      if (start !== this.starts[i]) {
        this.starts[i] = start;
        this.used[i] = 0;
      }
    }
    for (let i = 0; i < 2; i++) {
      const limit = this.limits[i] as OrderRateLimit;
      if ((this.used[i] as number) + (counts[i] as number) > limit.orders) return limit;
    }
    for (let i = 0; i < 2; i++) this.used[i] = (this.used[i] as number) + (counts[i] as number);
    return undefined;
  }

  /** The counts as the X-MBX-ORDER-COUNT-10S and -1M headers report them */
  headers(): Record<string, string> {
    return {
      'X-MBX-ORDER-COUNT-10S': String(this.used[0]),
      'X-MBX-ORDER-COUNT-1M': String(this.used[1]),
    };
  }
}
