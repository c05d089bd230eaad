import { KestrelError } from '../../core/errors.ts';
import type { FillReport } from '../../core/fill.ts';
import { isClientOrderId } from '../../core/ids.ts';
import type { Instrument, MarketType } from '../../core/instrument.ts';
import type { Order } from '../../core/order.ts';
import type { Clock } from '../../engine/clock.ts';
import type { VenueOrderState, VenueSnapshot } from '../../engine/venue.ts';
import type { CcxtAccountStream } from './account-stream.ts';
import type { CcxtOrderRegistry } from './order-registry.ts';
import { toBalances, toFillReport, toVenueOrderState, toVenuePositions } from './parsers.ts';
import type { CcxtRestClient } from './rest-client.ts';
import type { CcxtOrder, CcxtTrade } from './schemas.ts';
import { orderSchema, tradeSchema } from './schemas.ts';

export interface CcxtReconciliationOptions {
  readonly name: string;
  /** The account keeps a LONG and a SHORT leg per market (hedge mode) */
  readonly hedged: boolean;
  readonly rest: CcxtRestClient;
  readonly registry: CcxtOrderRegistry;
  readonly stream: CcxtAccountStream;
  readonly instruments: ReadonlyMap<string, Instrument>;
  readonly clock: Clock;
}

const ORDER_LOOKUPS_PER_SNAPSHOT = 20;
/** A snapshot reads the fills of every market when the venue lists at most this many */
const SNAPSHOT_ALL_MARKETS = 20;

/**
 * What the Reconciler asks a ccxt venue, answered without applying anything: the account as the
 * venue has it (open orders, our executions since a time, positions where the markets have
 * them, balances) and one order's state. Client ids are decoded back to our clientIds by the
 * profile's codec; the wire id rides along as the correlation key where it differs.
 */
export class CcxtReconciliation {
  private readonly options: CcxtReconciliationOptions;

  constructor(options: CcxtReconciliationOptions) {
    this.options = options;
  }

  private get name(): string {
    return this.options.name;
  }

  /** The clientId and correlation key a venue order names */
  private identity(
    order: CcxtOrder,
    expected?: string,
  ): { clientId: string | undefined; correlationKey: string | undefined } {
    const ours = this.options.stream.ourClientIds(order);
    const clientId =
      expected !== undefined && ours.includes(expected as never) ? expected : ours[0];
    const wire =
      clientId === undefined
        ? undefined
        : this.options.rest.profile.clientId.codec.encode(clientId);
    return { clientId, correlationKey: wire !== undefined && wire !== clientId ? wire : undefined };
  }

  private state(order: CcxtOrder, instrument: Instrument, expected?: string) {
    const { clientId, correlationKey } = this.identity(order, expected);
    const state = toVenueOrderState(order, instrument, clientId, this.options.clock.now());
    if (state === undefined || correlationKey === undefined) return state;
    return { ...state, correlationKey };
  }

  /**
   * One order as the venue has it, asked by our wire id where the venue takes one, else by venue
   * id; nothing is applied.
   * @returns undefined only when the venue answers that it does not know the order
   * @throws KestrelError when the venue could not be asked (network, 5xx, 429) or answered
   *   something Kestrel cannot read: neither proves anything about the order
   */
  async fetchOrderState(order: Order): Promise<VenueOrderState | undefined> {
    const { rest, registry, instruments } = this.options;
    if (order.origin === 'EXTERNAL' && order.venueOrderId === undefined) {
      throw new KestrelError(
        'INVALID_ARGUMENT',
        `${this.name}: external order ${order.clientId} has no venue id to ask by`,
      );
    }
    let raw: unknown;
    try {
      raw = await rest.fetchOrder(
        {
          symbol: order.instrument.symbol,
          venueId: order.venueOrderId,
          wireId:
            order.origin === 'EXTERNAL'
              ? undefined
              : rest.profile.clientId.codec.encode(order.clientId),
        },
        order.clientId,
      );
    } catch (error) {
      if (rest.isOrderNotFound(error)) return undefined;
      throw error;
    }
    const parsed = orderSchema.safeParse(raw);
    if (!parsed.success) throw this.unreadable(`fetchOrder ${order.clientId}`, parsed.error.issues);
    const found = parsed.data;
    const instrument = instruments.get(found.symbol) ?? order.instrument;
    const state = this.state(found, instrument, order.clientId);
    if (state === undefined) {
      throw new KestrelError(
        'INVALID_DATA',
        `${this.name}: fetchOrder ${order.clientId} answered an order without side or amount`,
      );
    }
    if (state.clientId === order.clientId) registry.remember(found.id, order.clientId);
    return state;
  }

  /** The markets a snapshot looks at: the resync's, or every listed one when nothing names any */
  private snapshotSymbols(): Set<string> {
    const symbols = this.options.stream.symbols();
    if (symbols.size === 0 && this.options.instruments.size <= SNAPSHOT_ALL_MARKETS)
      for (const symbol of this.options.instruments.keys()) symbols.add(symbol);
    return symbols;
  }

  /**
   * The account as the venue has it, for reconciliation; nothing is applied. Open orders per
   * market (one all-markets call past a handful), our executions since `since` per market (every
   * page; each fill named by its venue order id and, where it can be learned from the open
   * orders, the venue id map or a bounded order lookup, by the order's client id), positions
   * (where the markets have them) and balances, read in that order so positions are at least as
   * new as the fills.
   * @throws KestrelError when the venue cannot be reached or answers something unreadable
   */
  async fetchSnapshot(options: { readonly since: number }): Promise<VenueSnapshot> {
    const { rest, instruments, clock } = this.options;
    const symbols = this.snapshotSymbols();
    const named = new Map<string, string>();
    const openOrders: VenueOrderState[] = [];
    for (const scope of rest.openOrderScopes(symbols, 'all')) {
      for (const entry of this.list(await rest.fetchOpenOrders(scope), 'fetchOpenOrders')) {
        const parsed = orderSchema.safeParse(entry);
        if (!parsed.success) throw this.unreadable('fetchOpenOrders', parsed.error.issues);
        const instrument = instruments.get(parsed.data.symbol);
        if (instrument === undefined) continue;
        const state = this.state(parsed.data, instrument);
        if (state?.clientId !== undefined) named.set(parsed.data.id, state.clientId);
        if (state !== undefined) openOrders.push(state);
        symbols.add(instrument.symbol);
      }
    }
    const fills = await this.snapshotFills(symbols, options.since, named);
    const marketTypes = new Set<MarketType>([...instruments.values()].map((i) => i.marketType));
    const positions = toVenuePositions(
      this.list(await rest.fetchPositions(marketTypes), 'fetchPositions'),
      instruments,
      this.options.hedged,
    );
    const balances = toBalances(await rest.fetchBalance());
    if (balances === undefined) throw this.unreadable('fetchBalance', []);
    return {
      openOrders,
      fills,
      positions: positions.positions,
      balances,
      time: clock.now(),
    };
  }

  private list(raw: unknown, action: string): unknown[] {
    if (!Array.isArray(raw)) throw this.unreadable(action, []);
    return raw;
  }

  private unreadable(
    action: string,
    issues: readonly { path: readonly PropertyKey[]; message: string }[],
  ): KestrelError {
    const detail = issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; ');
    return new KestrelError(
      'INVALID_DATA',
      `${this.name}: ${action} answered something Kestrel cannot read${detail === '' ? '' : ` (${detail})`}`,
    );
  }

  private async snapshotFills(
    symbols: ReadonlySet<string>,
    since: number,
    named: Map<string, string>,
  ): Promise<FillReport[]> {
    const { rest, registry, instruments, clock, stream } = this.options;
    const fills: FillReport[] = [];
    const seen = new Set<string>();
    const now = clock.now();
    let lookups = 0;
    for (const symbol of symbols) {
      const instrument = instruments.get(symbol);
      if (instrument === undefined) continue;
      for await (const page of rest.trades(symbol, Math.floor(since), now)) {
        const trades: CcxtTrade[] = [];
        for (const entry of page) {
          const parsed = tradeSchema.safeParse(entry);
          if (!parsed.success) throw this.unreadable('fetchMyTrades', parsed.error.issues);
          trades.push(parsed.data);
        }
        for (const trade of trades) {
          if (seen.has(trade.id)) continue;
          seen.add(trade.id);
          const venueId = trade.order ?? undefined;
          let clientId: string | undefined = stream.ourClientIds(trade)[0];
          if (clientId === undefined && venueId !== undefined && venueId !== '') {
            clientId = named.get(venueId) ?? registry.clientIdOf(venueId);
            if (clientId === undefined && lookups < ORDER_LOOKUPS_PER_SNAPSHOT) {
              lookups += 1;
              clientId = await this.lookupClientId(venueId, symbol);
            }
            if (clientId !== undefined) named.set(venueId, clientId);
          }
          fills.push(
            toFillReport(
              trade,
              instrument,
              clientId !== undefined && isClientOrderId(clientId) ? clientId : undefined,
              now,
            ),
          );
        }
      }
    }
    return fills;
  }

  /** The client id of one venue order, by asking for it; undefined when it cannot be learned */
  private async lookupClientId(venueId: string, symbol: string): Promise<string | undefined> {
    const { rest, stream } = this.options;
    try {
      const raw = await rest.fetchOrder({ symbol, venueId, wireId: undefined }, venueId);
      const parsed = orderSchema.safeParse(raw);
      return parsed.success ? stream.ourClientIds(parsed.data)[0] : undefined;
    } catch (error) {
      if (!rest.isOrderNotFound(error)) throw error;
      return undefined;
    }
  }
}
