import { KestrelError } from '../../core/errors.ts';
import type { MarketType } from '../../core/instrument.ts';
import type { Order } from '../../core/order.ts';
import { isOrderNotFound, toKestrelError } from './errors.ts';
import type { CcxtExchange } from './exchange.ts';
import type { CcxtOrderArguments } from './order-arguments.ts';
import type { ConditionalStage, VenueProfile } from './profile.ts';
import type { RateGate } from './rate-gate.ts';
import { tradeHistory } from './trade-history.ts';

export interface CcxtRestClientOptions {
  /** The exchange name instruments and events carry, for messages */
  readonly name: string;
  readonly exchange: CcxtExchange;
  readonly profile: VenueProfile;
  readonly gate: RateGate;
  readonly redact: (text: string) => string;
}

/** How a lookup names one order: by venue id, by our wire id, or both */
export interface OrderKey {
  readonly symbol: string;
  readonly venueId: string | undefined;
  readonly wireId: string | undefined;
}

/** With the `auto` open-order scope, markets are listed one by one up to this many */
const PER_SYMBOL_OPEN_ORDERS = 5;
/** At most this many of our executions are read back per market and call */
const MAX_TRADE_ROWS = 20_000;
/** At most this many waiting stops are remembered (the oldest go first) */
const MAX_CONDITIONAL = 10_000;

/**
 * The venue's REST calls as a profile says to make them, each through the rate gate and the
 * venue's error table, so every failure arrives as a KestrelError of the right kind. Answers are
 * returned raw (`unknown`): callers validate them with a schema before trusting anything.
 */
export class CcxtRestClient {
  readonly exchange: CcxtExchange;
  readonly profile: VenueProfile;
  private readonly options: CcxtRestClientOptions;
  /**
   * Venue ids of stops waiting for their trigger: a cancel or lookup of one addresses the
   * conditional part (the profile's stop params); once it triggers, the order it placed is
   * addressed as any other
   */
  private readonly conditional = new Set<string>();

  constructor(options: CcxtRestClientOptions) {
    this.options = options;
    this.exchange = options.exchange;
    this.profile = options.profile;
  }

  /**
   * Runs one ccxt call through the rate gate; a failure becomes a KestrelError by the venue's
   * error table, then ccxt's class.
   * @throws KestrelError
   */
  call<T>(action: string, run: () => Promise<T>): Promise<T> {
    return this.options.gate.run(run, (error) => this.toError(error, action));
  }

  /** Any failure as a KestrelError, by the venue's error table */
  toError(error: unknown, action: string): KestrelError {
    return toKestrelError(error, {
      action,
      redact: this.options.redact,
      headers: this.exchange.last_response_headers,
      errors: this.profile.errors,
      lastResponse: this.exchange.last_http_response,
    });
  }

  /** Whether a failure says the venue does not know the order */
  isOrderNotFound(error: unknown): boolean {
    return isOrderNotFound(error, this.profile.errors);
  }

  /** @throws KestrelError a venue verdict or an ambiguous failure */
  createOrder(args: CcxtOrderArguments, clientId: string): Promise<unknown> {
    return this.call(`createOrder ${args.symbol} ${clientId}`, () =>
      this.exchange.createOrder(
        args.symbol,
        args.type,
        args.side,
        args.amount,
        args.price,
        args.params,
      ),
    );
  }

  /** @throws KestrelError when the batch failed as a whole */
  createOrders(
    orders: readonly CcxtOrderArguments[],
    clientIds: readonly string[],
  ): Promise<unknown> {
    return this.call(`createOrders ${clientIds.join(',')}`, () =>
      this.exchange.createOrders(orders.map((order) => ({ ...order }))),
    );
  }

  /**
   * Notes what a venue message says about a stop's conditional part (the account stream passes
   * every order it reads): its id is remembered while the stop waits open, forgotten once it
   * triggered or ended. Returns the stage, undefined for an ordinary order.
   */
  noteOrder(venueId: string, info: unknown, open: boolean): ConditionalStage | undefined {
    const stage = this.profile.stops?.stageOf(info);
    if (stage === undefined) return undefined;
    if (stage === 'conditional' && open) {
      this.conditional.add(venueId);
      if (this.conditional.size > MAX_CONDITIONAL) {
        const oldest = this.conditional.values().next().value;
        if (oldest !== undefined) this.conditional.delete(oldest);
      }
    } else {
      this.conditional.delete(venueId);
    }
    return stage;
  }

  /** The profile's stop params when the key names a stop still waiting for its trigger */
  private stopParams(key: OrderKey): Readonly<Record<string, unknown>> {
    const waiting = key.venueId !== undefined && this.conditional.has(key.venueId);
    return waiting ? (this.profile.stops?.params ?? {}) : {};
  }

  /** The ccxt params naming an order by our wire id, where the venue takes one */
  private byWireId(wireId: string | undefined): Record<string, unknown> {
    const param = this.profile.clientIdParam;
    return param === undefined || wireId === undefined ? {} : { [param]: wireId };
  }

  /**
   * The params of a lookup: by wire id where the venue takes one; on an exchange without a
   * profile, ccxt's unified `clientOrderId` while the venue id is unknown (its best guess)
   */
  private lookupParams(key: OrderKey): Record<string, unknown> {
    const byWire = this.byWireId(key.wireId);
    if (Object.keys(byWire).length > 0 || this.profile.checked || key.venueId !== undefined)
      return byWire;
    return key.wireId === undefined ? {} : { clientOrderId: key.wireId };
  }

  /**
   * Cancels by our wire id where the venue takes one (the venue id rides along), else by venue id.
   * @throws KestrelError a venue verdict or an ambiguous failure
   */
  cancelOrder(key: OrderKey, clientId: string): Promise<unknown> {
    return this.call(`cancelOrder ${key.symbol} ${clientId}`, () =>
      this.exchange.cancelOrder(key.venueId, key.symbol, {
        ...this.byWireId(key.wireId),
        ...this.stopParams(key),
      }),
    );
  }

  /**
   * Amends price and/or quantity. Where an amend replaces the order (`newId`: Hyperliquid's
   * modify restates every term), the order's time in force and reduce-only ride along.
   * @throws KestrelError a venue verdict or an ambiguous failure
   */
  editOrder(
    key: OrderKey,
    order: Pick<Order, 'clientId' | 'side' | 'timeInForce' | 'reduceOnly' | 'instrument'>,
    amount: number,
    price: number | undefined,
  ): Promise<unknown> {
    const restated =
      this.profile.amend[order.instrument.marketType] === 'newId'
        ? {
            ...(order.timeInForce === 'GTX'
              ? { postOnly: true }
              : { timeInForce: order.timeInForce }),
            ...(order.reduceOnly ? { reduceOnly: true } : {}),
          }
        : {};
    return this.call(`editOrder ${key.symbol} ${order.clientId}`, () =>
      this.exchange.editOrder(
        key.venueId ?? '',
        key.symbol,
        'limit',
        order.side === 'BUY' ? 'buy' : 'sell',
        amount,
        price,
        { ...restated, ...this.byWireId(key.wireId) },
      ),
    );
  }

  /**
   * One order as the venue has it: by our wire id where the venue takes one, else by venue id;
   * with `openThenClosed`, the open list filtered to the order, then the closed list.
   * @throws KestrelError as the venue answered (an unknown order by the venue's not-found code
   *   or ccxt's OrderNotFound), or INVALID_ARGUMENT when the order has neither id
   */
  async fetchOrder(key: OrderKey, clientId: string): Promise<unknown> {
    const byWire = this.lookupParams(key);
    const action = `fetchOrder ${key.symbol} ${clientId}`;
    if (Object.keys(byWire).length === 0 && key.venueId === undefined) {
      throw new KestrelError(
        'INVALID_ARGUMENT',
        `${this.options.name}: order ${clientId} has no id the venue can be asked by`,
      );
    }
    if (this.profile.lookup === 'fetchOrder') {
      const stop = this.stopParams(key);
      const answer = await this.call(action, () =>
        this.exchange.fetchOrder(key.venueId ?? '', key.symbol, { ...byWire, ...stop }),
      );
      // A stop that triggered meanwhile: the order it placed carries on under our wire id
      if (Object.keys(stop).length === 0 || key.wireId === undefined) return answer;
      const info = (answer as { info?: unknown } | undefined)?.info;
      if (this.noteOrder(key.venueId ?? '', info, true) !== 'triggered') return answer;
      return this.call(action, () => this.exchange.fetchOrder('', key.symbol, byWire));
    }
    const filter = Object.keys(byWire).length > 0 ? byWire : { orderId: key.venueId };
    const open = await this.call(action, () =>
      this.exchange.fetchOpenOrders(key.symbol, undefined, undefined, filter),
    );
    if (Array.isArray(open) && open.length > 0) return open[0];
    const closed = await this.call(action, () =>
      this.exchange.fetchCanceledAndClosedOrders(key.symbol, undefined, undefined, filter),
    );
    if (Array.isArray(closed) && closed.length > 0) return closed[0];
    throw new KestrelError('VENUE_REJECTED', `${action}: the venue lists no such order`, {
      venueCode: 'OrderNotFound',
    });
  }

  /**
   * The markets to list open orders by, for a set of markets: each one, or all at once
   * (undefined), as the venue's profile says; with no market, all at once or none
   */
  openOrderScopes(symbols: ReadonlySet<string>, none: 'all' | 'none'): (string | undefined)[] {
    const scope = this.profile.openOrders.scope;
    if (symbols.size === 0) return none === 'all' ? [undefined] : [];
    if (scope === 'market') return [...symbols];
    if (scope === 'auto' && symbols.size <= PER_SYMBOL_OPEN_ORDERS) return [...symbols];
    return [undefined];
  }

  /**
   * The open orders of one market, or of all (ccxt's own paging where the profile asks for it),
   * with the stops waiting for their trigger where the venue lists them apart.
   * @throws KestrelError when the venue cannot be reached
   */
  async fetchOpenOrders(symbol: string | undefined): Promise<unknown> {
    const action = `fetchOpenOrders ${symbol ?? 'all'}`;
    const params = this.profile.openOrders.params;
    const open = await this.call(action, () =>
      this.exchange.fetchOpenOrders(symbol, undefined, undefined, { ...params }),
    );
    const stops = this.profile.stops;
    if (stops === undefined || !Array.isArray(open)) return open;
    // Stops waiting for their trigger are listed apart (Binance's openAlgoOrders)
    const waiting = await this.call(`${action} (stops)`, () =>
      this.exchange.fetchOpenOrders(symbol, undefined, undefined, { ...params, ...stops.params }),
    );
    return Array.isArray(waiting) ? [...open, ...waiting] : open;
  }

  /**
   * Our executions on one market from `since`, page by page as the venue pages them (on a venue
   * that answers every market's, the pages are filtered to the market after paging).
   * @throws KestrelError when the venue cannot be reached
   */
  async *trades(symbol: string, since: number, now: number): AsyncGenerator<unknown[]> {
    for await (const page of this.tradePages(symbol, since, now))
      yield page.filter((entry) => (entry as { symbol?: unknown } | null)?.symbol === symbol);
  }

  private tradePages(symbol: string, since: number, now: number): AsyncGenerator<unknown[]> {
    return tradeHistory({
      paging: this.profile.trades,
      since,
      now,
      maxRows: MAX_TRADE_ROWS,
      fetch: async (from, limit, params) => {
        const paging = this.profile.trades;
        const all = paging.order === 'ascending' && paging.allMarkets === true;
        const raw = await this.call(`fetchMyTrades ${all ? 'all' : symbol}`, () =>
          this.exchange.fetchMyTrades(all ? undefined : symbol, from, limit, params),
        );
        return Array.isArray(raw) ? raw : [];
      },
    });
  }

  /**
   * The executions of one order.
   * @throws KestrelError when the venue cannot be reached
   */
  async orderTrades(symbol: string, venueId: string): Promise<unknown[]> {
    const raw = await this.call(`fetchMyTrades ${symbol} order ${venueId}`, () =>
      this.exchange.fetchMyTrades(symbol, undefined, undefined, { orderId: venueId }),
    );
    return Array.isArray(raw) ? raw : [];
  }

  /**
   * The venue's positions, or none without asking where the loaded markets have none (spot).
   * @throws KestrelError when the venue cannot be reached
   */
  async fetchPositions(marketTypes: ReadonlySet<MarketType>): Promise<unknown> {
    if (![...marketTypes].some((type) => this.profile.positions.includes(type))) return [];
    return this.call('fetchPositions', () => this.exchange.fetchPositions());
  }

  /** @throws KestrelError when the venue cannot be reached */
  fetchBalance(): Promise<unknown> {
    return this.call('fetchBalance', () => this.exchange.fetchBalance());
  }
}
