import type { ErrorCode } from '../../core/errors.ts';
import type { MarketType } from '../../core/instrument.ts';
import type { PositionSide, TimeInForce } from '../../core/order.ts';
import type { WireIdCodec } from './wire-ids.ts';

/**
 * How one venue's trade history is read back page by page, so a gap recovery reads until the
 * venue has nothing more:
 * - `ascending`: oldest first from `since` (Binance); the next page starts at the last timestamp;
 * - `cursor`: newest first within a window from `since`, the next page named by the cursor ccxt
 *   leaves in the first row's `info.<cursorField>` and sent back as `params[<cursorParam>]` (Bybit);
 * - `descending`: newest first from `since`, the next page older than the oldest row's
 *   `info.<cursorField>`, sent as `params[<cursorParam>]` (OKX `after` = billId).
 * A window is the widest span one query may cover; longer gaps are read window by window.
 * `allMarkets`: the venue answers every market's fills whatever market is asked for
 * (Hyperliquid), so pages are read for all markets and filtered here, never sized after
 * ccxt's per-market filter.
 */
export type TradePaging =
  | {
      readonly order: 'ascending';
      readonly pageSize: number;
      readonly windowMs: number | undefined;
      readonly allMarkets?: boolean;
    }
  | {
      readonly order: 'cursor';
      readonly pageSize: number;
      readonly windowMs: number | undefined;
      readonly cursorField: string;
      readonly cursorParam: string;
    }
  | {
      readonly order: 'descending';
      readonly pageSize: number;
      readonly windowMs: number | undefined;
      readonly cursorField: string;
      readonly cursorParam: string;
    };

/** How the venue's error answers are sorted into local, venue verdict and ambiguous (ARCHITECTURE §5) */
export interface VenueErrors {
  /** The venue's own code in the text of a ccxt error (its message carries the raw answer) */
  codeOf(message: string): string | undefined;
  /** Codes that decide the kind on their own; other codes of a 4xx answer are verdicts */
  readonly codes: Readonly<Record<string, ErrorCode>>;
  /** Codes meaning the venue does not know the order */
  readonly notFound: readonly string[];
}

/** How an order names the position side it opens or closes on a hedge-mode account */
export interface HedgeRules {
  /** The ccxt params that carry the side (Binance `positionSide`, Bybit `positionIdx`, OKX `posSide`) */
  params(side: PositionSide): Record<string, unknown>;
  /** Whether the venue takes `reduceOnly` next to a position side (Binance and OKX refuse it) */
  readonly reduceOnlyWithSide: boolean;
}

/**
 * What a venue message about a stop order's conditional part says: `conditional` while it waits
 * for its trigger (or ended before it: canceled, expired, rejected), reported as an order like
 * any other; `triggered` once the venue placed the order it triggered, which reports on its own
 * (its own venue id, our client id) and carries the order from there
 */
export type ConditionalStage = 'conditional' | 'triggered';

/** How the venue takes stop orders (STOP_MARKET, STOP_LIMIT) */
export interface StopRules {
  /** Market types where it takes them */
  readonly marketTypes: readonly MarketType[];
  /**
   * The ccxt params that address the conditional part on a cancel, a lookup and the open-order
   * list (Binance's Algo Service: `{trigger: true}`); the order it triggered is addressed without
   */
  readonly params: Readonly<Record<string, unknown>>;
  /** The stage a raw venue message names, or undefined when it is about an ordinary order */
  stageOf(info: unknown): ConditionalStage | undefined;
}

/** Where market data comes from when the venue lacks ccxt's multi-symbol calls */
export interface MarketDataCalls {
  /** Streamed quotes: watchBidsAsks, watchOrderBookForSymbols, or one watchOrderBook per symbol */
  readonly quotes: 'bidsAsks' | 'orderBookForSymbols' | 'orderBookPerSymbol';
  /** Streamed prints: watchTradesForSymbols, or one watchTrades per symbol */
  readonly trades: 'forSymbols' | 'perSymbol';
  /** One quote by REST: fetchBidsAsks, else the ticker, else the order book */
  readonly quoteQuery: 'bidsAsks' | 'ticker' | 'orderBook';
}

/**
 * Everything Kestrel needs to know about one ccxt exchange, data first (the shape of a
 * Hummingbot constants file): each profile fills the same fields, so two read side by side.
 * Code lives here only where data cannot say it (the client-id codec, error-code reading).
 */
export interface VenueProfile {
  /** The ccxt exchange id */
  readonly id: string;
  /** What it is, for people: `Binance USDⓈ-M futures` */
  readonly label: string;
  /** False for the stand-in built from ccxt's own description of an exchange without a profile */
  readonly checked: boolean;
  /** The market types the profile covers; others are not loaded */
  readonly marketTypes: readonly MarketType[];
  /** The venue's client-id field and how our clientId travels in it */
  readonly clientId: {
    /** The venue's name for the field, for messages: `newClientOrderId` */
    readonly field: string;
    readonly codec: WireIdCodec;
  };
  /**
   * The ccxt param naming an order by our wire id on cancels and lookups (Binance
   * `clientOrderId` → `origClientOrderId`, Bybit `orderLinkId`); undefined: by venue id only,
   * and a PENDING order's cancel waits for the venue id
   */
  readonly clientIdParam: string | undefined;
  /** Most orders one createOrders call takes, per market type; absent: no native batch there */
  readonly batch: Partial<Record<MarketType, number>>;

  /**
   * How one order is looked up: `fetchOrder`, or `openThenClosed` (the open list filtered by the
   * order's id, then the closed list: Bybit's fetchOrder only sees the last 500 orders)
   */
  readonly lookup: 'fetchOrder' | 'openThenClosed';
  /**
   * How open orders are listed: `market` one call per market (the venue needs a symbol or a
   * category), `account` one call for all, `auto` per market while they are few (Binance weighs
   * an all-markets call 40 times one market's); `params` are extra ccxt params (ccxt's own paging
   * where the venue pages open orders)
   */
  readonly openOrders: {
    readonly scope: 'market' | 'account' | 'auto';
    readonly params: Readonly<Record<string, unknown>>;
  };
  readonly trades: TradePaging;
  /** Times in force the venue takes (post-only is GTX) */
  readonly timeInForce: readonly TimeInForce[];
  /**
   * Market orders carry a reference price (Hyperliquid bounds them by it), taken from the
   * latest quote at prepare, with this slippage bound as a fraction; undefined: no price sent
   */
  readonly marketOrderSlippage: number | undefined;
  readonly marketData: MarketDataCalls;
  /** Market types with positions (fetchPositions is only asked there) */
  readonly positions: readonly MarketType[];
  /** How an order names its position side in hedge mode; undefined: one-way only */
  readonly hedge: HedgeRules | undefined;
  /**
   * How an amend works per market type: `inPlace` keeps the venue order id, `newId` gives the
   * order a new one (the venue-id index follows); absent: no amend there
   */
  readonly amend: Partial<Record<MarketType, 'inPlace' | 'newId'>>;
  /** How the venue takes stop orders; absent: Kestrel refuses them (NOT_SUPPORTED) */
  readonly stops?: StopRules;
  readonly errors: VenueErrors;
  /** Order and trade ids are positive decimal integers: others are refused as malformed */
  readonly numericIds: boolean;
  /** ccxt's names for Kestrel's apiKey, secret and password where they differ (Hyperliquid) */
  readonly credentials: {
    readonly apiKey: string;
    readonly secret: string;
    readonly password: string;
  };
  /** ccxt options the venue needs, under the user's */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * Request costs where ccxt's table (which Kestrel's pacing, in process or on Redis, charges)
   * prices an endpoint away from what the venue counts (its documented weight, or for orders
   * the account's order-rate limits), in ccxt's own `api` shape (`api group → method → path →
   * { cost, noSymbol?, byLimit? }`); absent: ccxt's costs as they are
   */
  readonly requestCosts?: Readonly<
    Record<string, Readonly<Record<string, Readonly<Record<string, RequestCost>>>>>
  >;
  /**
   * A request's pacing cost where it depends on the request (Bybit counts every order of a
   * create-batch on the endpoint's limit), given ccxt's path and params; undefined: the table's
   */
  readonly requestCost?: (path: string, params: unknown) => number | undefined;
  /** What Kestrel could not check about this venue (the generic stand-in names them at start) */
  readonly unchecked: readonly string[];
}

/** One endpoint's cost as ccxt's api table writes it */
export interface RequestCost {
  readonly cost: number;
  /** The cost when no `symbol` parameter is sent */
  readonly noSymbol?: number;
  /** `[limit, cost]` rows: the cost of the first row whose limit the `limit` parameter is under or at */
  readonly byLimit?: ReadonlyArray<readonly [number, number]>;
}

/** ccxt's usual credential names */
export const CCXT_CREDENTIALS: VenueProfile['credentials'] = {
  apiKey: 'apiKey',
  secret: 'secret',
  password: 'password',
};

/** `{"code":-2019,...}` or `{"retCode":110007,...}`: the first named numeric or string code */
export function jsonCode(...names: readonly string[]): (message: string) => string | undefined {
  const patterns = names.map((name) => new RegExp(`"${name}"\\s*:\\s*"?(-?\\d+)"?`));
  return (message) => {
    for (const pattern of patterns) {
      const match = pattern.exec(message);
      if (match?.[1] !== undefined) return match[1];
    }
    return undefined;
  };
}

/**
 * The code of a venue that answers errors in words only (Hyperliquid): the code of the first
 * fragment of `fragments` the message contains
 */
export function messageCode(
  fragments: Readonly<Record<string, string>>,
): (message: string) => string | undefined {
  return (message) => {
    for (const [fragment, code] of Object.entries(fragments))
      if (message.includes(fragment)) return code;
    return undefined;
  };
}

/**
 * What a run is driving, for the start of `kestrel run` and `kestrel smoke`: the profile (or that
 * there is none, and what could not be checked), how our clientId travels, batches, cancels and
 * the position mode
 */
export function describeProfile(profile: VenueProfile, positionMode: 'oneWay' | 'hedge'): string {
  if (!profile.checked) {
    return `venue profile: none for ${profile.id}, ccxt's generic behaviour (not checked: ${profile.unchecked.join('; ')})`;
  }
  const batches = Object.entries(profile.batch)
    .map(([type, size]) => `${size} per ${type.toLowerCase()} batch`)
    .join(', ');
  return [
    `venue profile: ${profile.label} (ccxt ${profile.id}), ${positionMode === 'hedge' ? 'hedge mode (a LONG and a SHORT leg per market)' : 'one-way positions'}`,
    `  client ids: ${profile.clientId.field} (${profile.clientId.codec.format}), encoded where ours does not fit; cancels ${profile.clientIdParam === undefined ? 'by venue id' : `by ${profile.clientId.field}`}; ${batches === '' ? 'no native batch' : batches}`,
  ].join('\n');
}

/** Whether the venue trades positions on a market type */
export function hasPositions(profile: VenueProfile, marketType: MarketType): boolean {
  return profile.positions.includes(marketType);
}
