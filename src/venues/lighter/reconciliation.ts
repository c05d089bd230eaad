import type { TrackedOrder } from '../../core/account.ts';
import { KestrelError } from '../../core/errors.ts';
import type { FillReport } from '../../core/fill.ts';
import type { ClientOrderId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import { snap } from '../../core/numeric.ts';
import type { Order } from '../../core/order.ts';
import type { Clock } from '../../engine/clock.ts';
import type { Logger } from '../../engine/logger.ts';
import type { VenueOrderState, VenuePosition, VenueSnapshot } from '../../engine/venue.ts';
import { clientOrderIndexOf } from './broker.ts';
import type { LighterMarket } from './markets.ts';
import type { LighterOrderRegistry } from './order-registry.ts';
import { isTerminalStatus } from './order-status.ts';
import { toAccountFills, toBalance, toOrderUpdate, toPosition } from './parsers.ts';
import type { LighterRestClient } from './rest-client.ts';
import type { LighterOrder, LighterTrade } from './schemas.ts';
import { decimal, toMilliseconds } from './units.ts';

export interface LighterReconciliationOptions {
  readonly exchange: string;
  readonly accountIndex: number;
  readonly rest: LighterRestClient;
  readonly registry: LighterOrderRegistry;
  readonly market: (marketIndex: number) => LighterMarket | undefined;
  /** A valid auth token for the account queries */
  readonly token: () => Promise<string>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Each transaction's validity from signing, ms */
  readonly txTtlMs: number;
  /** Wait before asking again about an order found nowhere, ms */
  readonly queryRetryMs: number;
  /** The loaded market of an instrument */
  readonly marketOf: (instrument: Instrument) => LighterMarket | undefined;
}

const PAGE = 100;
/** Pages of trades or inactive orders one snapshot reads at most (a broken cursor must end) */
const MAX_PAGES = 500;
/** Pages of inactive orders a query of an order without a client order index reads at most */
const QUERY_PAGES = 10;
/** Snapshots retried when fills landed between reading the trades and the positions */
const CONSISTENCY_ATTEMPTS = 3;
/** A transaction is called expired only this long after its ExpiredAt (clock skew), ms */
const EXPIRY_GRACE_MS = 1_000;
/** Terminal states remembered from snapshots and queries; a terminal state never changes */
const TERMINAL_KEPT = 10_000;

/** The state a status query reports, from a venue order and (when it is ours) our view of it */
export function toVenueOrderState(
  order: LighterOrder,
  instrument: Instrument,
  clientId: string | undefined,
  local?: Pick<Order, 'status'>,
): VenueOrderState {
  const update = toOrderUpdate(order, instrument);
  const filled = update.filledQuantity;
  let status: VenueOrderState['status'];
  switch (update.category) {
    case 'pending':
    case 'open':
      // The venue holds it and it is not done: live, whether or not it rests on the book yet
      status = filled > 0 ? 'PARTIALLY_FILLED' : 'OPEN';
      break;
    case 'filled':
      status = 'FILLED';
      break;
    case 'canceled':
      status = 'CANCELED';
      break;
    case 'expired':
      status = 'EXPIRED';
      break;
    case 'refused':
      // The same decision as the stream's: a placement refusal of an order that never worked
      // is a rejection; the rest of a working order ended by it is a cancel
      status =
        filled === 0 && (local === undefined || local.status === 'PENDING')
          ? 'REJECTED'
          : 'CANCELED';
      break;
  }
  const quote = decimal(order.filled_quote_amount);
  const average =
    filled > 0 && quote > 0
      ? snap(quote / filled, instrument.tickSize / 10_000, instrument.priceDecimals + 4)
      : undefined;
  return {
    instrument,
    clientId,
    venueOrderId: update.venueOrderId,
    correlationKey: update.correlationKey,
    side: update.side,
    type: update.report.type,
    timeInForce: update.report.timeInForce,
    quantity: update.quantity,
    price: update.report.price,
    stopPrice: update.report.stopPrice,
    reduceOnly: update.report.reduceOnly,
    status,
    filledQuantity: filled,
    averagePrice: average,
    time: update.time ?? 0,
  };
}

function orderTime(order: LighterOrder): number {
  const stamp = order.updated_at ?? order.timestamp ?? order.created_at ?? 0;
  return stamp === 0 ? 0 : toMilliseconds(stamp);
}

function newestTradeId(trades: readonly LighterTrade[]): string | undefined {
  const newest = trades[0];
  return newest === undefined ? undefined : (newest.trade_id_str ?? String(newest.trade_id));
}

/**
 * Reconciliation reads of a Lighter account: the snapshot (active and inactive orders, trades
 * since a time, positions and balances) and the status query of one order by its client order
 * index. Every payload is validated by the REST client's schemas.
 */
export class LighterReconciliation {
  private readonly options: LighterReconciliationOptions;
  /** Terminal orders seen in snapshots and queries, by client order index and by order index */
  private readonly terminalByIndex = new Map<number, LighterOrder>();
  private readonly terminalById = new Map<string, LighterOrder>();

  constructor(options: LighterReconciliationOptions) {
    this.options = options;
  }

  private remember(order: LighterOrder): void {
    if (!isTerminalStatus(order.status)) return;
    if (order.client_order_index > 0) this.terminalByIndex.set(order.client_order_index, order);
    this.terminalById.set(order.order_id, order);
    for (const map of [this.terminalByIndex, this.terminalById] as Map<unknown, LighterOrder>[]) {
      while (map.size > TERMINAL_KEPT) {
        const oldest = map.keys().next().value;
        map.delete(oldest);
      }
    }
  }

  /** Our clientId for a venue order, when its client order index is one of ours */
  private clientIdOf(order: LighterOrder): ClientOrderId | undefined {
    return order.client_order_index > 0
      ? this.options.registry.clientIdOf(order.client_order_index)
      : undefined;
  }

  /**
   * The account at one moment: open orders (from accountActiveOrders), fills since `since`
   * (account trades, paged until older than `since`; each mapped to our clientId through its
   * client order index, which the inactive orders supply where a trade lacks it), positions
   * (sign × size, average entry) and the USDC balance (collateral / available). Orders are read
   * before trades and trades before positions, then the newest trade is checked again: a fill
   * that landed between the trades and the positions would be counted in one and not the
   * other, so the read is repeated (up to three times) until they agree.
   * @throws KestrelError when the venue cannot be reached or answers nonsense
   */
  async snapshot(since: number): Promise<VenueSnapshot> {
    const { rest, accountIndex, logger } = this.options;
    const auth = await this.options.token();
    const time = this.options.clock.now();
    const [active, inactive] = await Promise.all([
      rest.activeOrders(accountIndex, auth),
      this.inactiveSince(auth, since),
    ]);
    for (const order of inactive) this.remember(order);
    let trades: LighterTrade[] = [];
    let account: Awaited<ReturnType<LighterRestClient['account']>> | undefined;
    for (let attempt = 1; attempt <= CONSISTENCY_ATTEMPTS; attempt++) {
      trades = await this.tradesSince(auth, since);
      account = await rest.account(accountIndex);
      const check = await rest.trades(accountIndex, auth, 1);
      if (newestTradeId(check.trades) === newestTradeId(trades)) break;
      if (attempt === CONSISTENCY_ATTEMPTS) {
        logger.warn(
          'lighter snapshot: fills kept landing while it was read; the next one corrects',
          {
            attempts: attempt,
          },
        );
      }
    }
    if (account === undefined) throw new KestrelError('INVALID_DATA', 'lighter account: no reply');

    const indexOfOrder = new Map<string, number>();
    for (const order of [...active, ...inactive]) {
      if (order.client_order_index > 0) indexOfOrder.set(order.order_id, order.client_order_index);
    }
    const openOrders: VenueOrderState[] = [];
    for (const order of active) {
      const market = this.options.market(order.market_index);
      if (market === undefined) continue;
      openOrders.push(toVenueOrderState(order, market.instrument, this.clientIdOf(order)));
    }
    const fills: FillReport[] = [];
    for (const trade of [...trades].reverse()) {
      const market = this.options.market(trade.market_id);
      if (market === undefined) continue;
      for (const ours of toAccountFills(trade, accountIndex, market.instrument)) {
        const index =
          clientOrderIndexOf(ours.correlationKey) ?? indexOfOrder.get(ours.venueOrderId);
        const clientId = index === undefined ? undefined : this.options.registry.clientIdOf(index);
        fills.push({ ...ours.fill, ...(clientId === undefined ? {} : { clientId }) });
      }
    }
    const positions: VenuePosition[] = [];
    for (const raw of account.positions ?? []) {
      const market = this.options.market(raw.market_id);
      if (market === undefined) continue;
      const position = toPosition(raw, market.instrument);
      if (position.quantity === 0) continue;
      positions.push({
        instrument: market.instrument,
        quantity: position.quantity,
        averagePrice: position.averagePrice,
      });
    }
    return {
      openOrders,
      fills,
      positions,
      balances: [toBalance(account)],
      time,
    };
  }

  /** Inactive orders, newest first, paged until the page ends before `since` */
  private async inactiveSince(
    auth: string,
    since: number,
    maxPages = MAX_PAGES,
  ): Promise<LighterOrder[]> {
    const { rest, accountIndex } = this.options;
    const out: LighterOrder[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const { orders, nextCursor } = await rest.inactiveOrders(accountIndex, auth, PAGE, cursor);
      out.push(...orders);
      const oldest = orders[orders.length - 1];
      if (nextCursor === undefined || nextCursor === cursor || oldest === undefined) break;
      if (orderTime(oldest) < since) break;
      cursor = nextCursor;
    }
    return out;
  }

  /** The account's trades at or after `since`, newest first */
  private async tradesSince(auth: string, since: number): Promise<LighterTrade[]> {
    const { rest, accountIndex, logger } = this.options;
    const out: LighterTrade[] = [];
    let cursor: string | undefined;
    for (let page = 0; ; page++) {
      if (page === MAX_PAGES) {
        logger.warn('lighter snapshot: trade history cut at the page limit', {
          pages: MAX_PAGES,
          since,
        });
        break;
      }
      const { trades, nextCursor } = await rest.trades(accountIndex, auth, PAGE, cursor);
      out.push(...trades);
      const oldest = trades[trades.length - 1];
      if (nextCursor === undefined || nextCursor === cursor || oldest === undefined) break;
      if (toMilliseconds(oldest.timestamp) < since) break;
      cursor = nextCursor;
    }
    return out.filter((trade) => toMilliseconds(trade.timestamp) >= since);
  }

  /**
   * One order's status by its client order index (`accountOrders`), or for an order without
   * one, by its order index among the active and inactive orders. The venue lists a
   * just-canceled order in neither list for about a second, so an order found nowhere is asked
   * about once more after `queryRetryMs`; still nowhere, it is unknown only when that is
   * certain: the venue never acknowledged it and its create transaction has expired, so it can
   * never be placed. Anything else found nowhere is a question the venue could not answer.
   * @throws KestrelError when the venue cannot be asked, or cannot tell (UNKNOWN, ambiguous)
   */
  async queryOrder(order: Order): Promise<VenueOrderState | undefined> {
    const local = order as Order & Partial<Pick<TrackedOrder, 'correlationKey' | 'answered'>>;
    const market = this.options.marketOf(order.instrument);
    if (market === undefined) {
      throw new KestrelError(
        'UNKNOWN_INSTRUMENT',
        `lighter: ${order.instrument.symbol} is not a loaded market`,
      );
    }
    const index =
      this.options.registry.indexOf(order.clientId) ?? clientOrderIndexOf(local.correlationKey);
    const found = (await this.find(order, index)) ?? (await this.findAgain(order, index));
    if (found !== undefined) {
      this.remember(found);
      const clientId =
        index !== undefined && found.client_order_index === index ? order.clientId : undefined;
      return toVenueOrderState(found, market.instrument, clientId ?? this.clientIdOf(found), order);
    }
    const acknowledged =
      local.answered === true ||
      order.venueOrderId !== undefined ||
      order.filledQuantity > 0 ||
      (order.status !== 'PENDING' && order.status !== 'PENDING_CANCEL');
    const expiry =
      this.options.registry.txExpiry(order.clientId) ??
      Math.floor(order.createdAt) + this.options.txTtlMs + 60_000;
    const now = this.options.clock.now();
    if (!acknowledged && index !== undefined && now > expiry + EXPIRY_GRACE_MS) return undefined;
    throw new KestrelError(
      'UNKNOWN',
      acknowledged
        ? `lighter: ${order.clientId} is listed nowhere, yet the venue acknowledged it: cannot tell its fate`
        : index === undefined
          ? `lighter: ${order.clientId} has no client order index and is listed nowhere`
          : `lighter: ${order.clientId} is listed nowhere yet; its create transaction may still execute until ${new Date(expiry).toISOString()}`,
    );
  }

  private async findAgain(order: Order, index: number | undefined) {
    await new Promise<void>((resolve) =>
      this.options.clock.setTimer(this.options.queryRetryMs, resolve),
    );
    return this.find(order, index);
  }

  private async find(order: Order, index: number | undefined): Promise<LighterOrder | undefined> {
    const { rest, accountIndex } = this.options;
    const venueId = order.venueOrderId;
    const remembered =
      (index === undefined ? undefined : this.terminalByIndex.get(index)) ??
      (venueId === undefined ? undefined : this.terminalById.get(venueId));
    if (remembered !== undefined && (venueId === undefined || remembered.order_id === venueId))
      return remembered;
    const auth = await this.options.token();
    if (index !== undefined) {
      const orders = await rest.ordersByClientIndex(accountIndex, [index], auth);
      const matching = orders.filter(
        (o) => o.client_order_index === index && (venueId === undefined || o.order_id === venueId),
      );
      // Were an index ever reused, the newest order carrying it is the one we mean
      return matching.sort((a, b) => b.order_index - a.order_index)[0];
    }
    if (venueId === undefined) return undefined;
    const active = await rest.activeOrders(accountIndex, auth);
    const live = active.find((o) => o.order_id === venueId);
    if (live !== undefined) return live;
    const inactive = await this.inactiveSince(auth, order.createdAt - 60_000, QUERY_PAGES);
    for (const o of inactive) this.remember(o);
    return inactive.find((o) => o.order_id === venueId);
  }
}
