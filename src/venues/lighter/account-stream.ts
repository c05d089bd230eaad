import type { TrackedOrder } from '../../core/account.ts';
import { isTerminal } from '../../core/order.ts';
import type { VenueSink } from '../../engine/broker.ts';
import type { Clock, Timer } from '../../engine/clock.ts';
import type { Logger } from '../../engine/logger.ts';
import type { AuthTokens } from './auth-tokens.ts';
import type { LighterMarket } from './markets.ts';
import type { LighterOrderRegistry } from './order-registry.ts';
import { statusCategory } from './order-status.ts';
import type { LighterPositionView } from './parsers.ts';
import { parseWith, toAccountFills, toBalance, toOrderUpdate, toPosition } from './parsers.ts';
import type { LighterRestClient } from './rest-client.ts';
import type { LighterOrder, LighterTrade } from './schemas.ts';
import {
  wsAccountOrdersSchema,
  wsAccountPositionsSchema,
  wsAccountTradesSchema,
  wsUserStatsSchema,
} from './schemas.ts';
import { toMilliseconds } from './units.ts';
import type { RoutedFrame } from './ws-frames.ts';

export interface AccountStreamOptions {
  readonly exchange: string;
  readonly accountIndex: number;
  readonly market: (marketIndex: number) => LighterMarket | undefined;
  readonly registry: LighterOrderRegistry;
  readonly sink: () => VenueSink;
  readonly rest: LighterRestClient;
  readonly tokens: AuthTokens;
  readonly clock: Clock;
  readonly logger: Logger;
  /** First delay between status checks of an unconfirmed order, ms */
  readonly recheckMs: number;
  /** Checks after which an acknowledged order the venue lists nowhere is LOST; default 5 */
  readonly lostAfterChecks?: number;
  /** Sends again a cancel whose answer never came, now that the venue lists the order open */
  readonly resendCancel: (clientId: string) => void;
}

interface Watched {
  checks: number;
}

/** Trades older than the last one seen by this much are not refetched on a resync, ms */
const TRADE_OVERLAP_MS = 5_000;
const MAX_TRADE_PAGES = 20;
const CHECK_BATCH = 50;

/**
 * The account side of the Lighter stream. It turns `account_all_orders`, `account_all_trades`,
 * `account_all_positions` and `user_stats` frames (and the same payloads from REST) into events
 * on the sink; it never touches account state itself. After every (re)connect `resync` pulls
 * active and recent inactive orders and the trades since the last one seen; orders the venue
 * lists nowhere are checked by client order index until found, or until the verdict LOST is
 * certain (a never-acknowledged order once its create transaction has expired, an acknowledged
 * one after repeated checks — the venue lists a just-canceled order nowhere for about a second).
 * An order whose cancel went unanswered (or was cut off by a restart) that a resync or a check
 * finds open still gets its cancel: the broker sends it again.
 */
export class LighterAccountStream {
  private readonly options: AccountStreamOptions;
  private readonly venuePositions = new Map<number, LighterPositionView>();
  private readonly watched = new Map<string, Watched>();
  private checkTimer: Timer | undefined;
  private checking = false;
  private lastTradeTime: number | undefined;
  private synced = false;
  /** When the first sync started: older trades are history, booked only for orders we track */
  private baseline: number | undefined;
  private syncing: Promise<void> | undefined;
  private syncAgain = false;
  private syncs = 0;
  private stopped = false;

  constructor(options: AccountStreamOptions) {
    this.options = options;
  }

  /** The channels to subscribe, with auth */
  channels(): string[] {
    const account = this.options.accountIndex;
    return [
      `account_all_orders/${account}`,
      `account_all_trades/${account}`,
      `account_all_positions/${account}`,
      `user_stats/${account}`,
    ];
  }

  /** The venue's positions by market index, as last reported (sign × size) */
  positions(): ReadonlyMap<number, LighterPositionView> {
    return this.venuePositions;
  }

  /** Completed resyncs */
  get resyncCount(): number {
    return this.syncs;
  }

  /** Orders waiting for the venue to confirm or deny them */
  get watchedCount(): number {
    return this.watched.size;
  }

  stop(): void {
    this.stopped = true;
    this.checkTimer?.cancel();
    this.checkTimer = undefined;
  }

  /**
   * Handles one account frame. A frame that fails its schema is dropped and a resync fetches
   * the truth instead.
   */
  onFrame(frame: RoutedFrame, payload: unknown): void {
    try {
      switch (frame.kind) {
        case 'account_orders': {
          const parsed = parseWith(wsAccountOrdersSchema, payload, 'account orders frame');
          this.applyOrders(Object.values(parsed.orders ?? {}).flat());
          return;
        }
        case 'account_trades': {
          const parsed = parseWith(wsAccountTradesSchema, payload, 'account trades frame');
          const trades = parsed.trades ?? [];
          this.applyTrades(Array.isArray(trades) ? trades : Object.values(trades).flat(), true);
          return;
        }
        case 'account_positions': {
          const parsed = parseWith(wsAccountPositionsSchema, payload, 'account positions frame');
          if (frame.snapshot) this.venuePositions.clear();
          for (const position of Object.values(parsed.positions ?? {})) {
            const market = this.options.market(position.market_id);
            this.venuePositions.set(position.market_id, toPosition(position, market?.instrument));
          }
          return;
        }
        case 'user_stats': {
          const parsed = parseWith(wsUserStatsSchema, payload, 'user stats frame');
          const sink = this.options.sink();
          sink.emit({
            type: 'balanceUpdated',
            exchange: this.options.exchange,
            balances: [toBalance(parsed.stats)],
            time: parsed.timestamp === undefined ? sink.now() : toMilliseconds(parsed.timestamp),
          });
          return;
        }
        default:
          return;
      }
    } catch (error) {
      this.options.sink().refused(`lighter ${frame.kind} frame; resyncing`, { error });
      this.resyncSoon('invalid frame');
    }
  }

  private resyncSoon(reason: string): void {
    this.resync(reason).catch((error: unknown) =>
      this.options.logger.warn('lighter resync failed', { reason, error }),
    );
  }

  /** Live orders of ours, by venue id, for matching frames that carry no client order index */
  private liveByVenueId(sink: VenueSink): Map<string, TrackedOrder> {
    const byId = new Map<string, TrackedOrder>();
    for (const order of sink.openOrders()) {
      if (order.venueOrderId !== undefined) byId.set(order.venueOrderId, order);
    }
    return byId;
  }

  /** Applies order states (stream or REST); returns the client ids they matched */
  private applyOrders(orders: readonly LighterOrder[]): Set<string> {
    const matched = new Set<string>();
    if (orders.length === 0) return matched;
    const { exchange, registry, logger } = this.options;
    const sink = this.options.sink();
    const live = this.liveByVenueId(sink);
    for (const order of orders) {
      const market = this.options.market(order.market_index);
      if (market === undefined) {
        logger.debug('lighter order on an unloaded market ignored', { market: order.market_index });
        continue;
      }
      const update = toOrderUpdate(order, market.instrument);
      const clientId =
        update.clientOrderIndex > 0 ? registry.clientIdOf(update.clientOrderIndex) : undefined;
      const local =
        (clientId === undefined ? undefined : sink.order(clientId)) ??
        live.get(update.venueOrderId);
      if (local !== undefined) matched.add(local.clientId);
      // Finished orders we never tracked are history, not something to adopt
      if (local === undefined && update.category !== 'open') continue;
      const ref = {
        exchange,
        ...(local === undefined ? {} : { clientId: local.clientId }),
        venueOrderId: update.venueOrderId,
        correlationKey: update.correlationKey,
        time: update.time ?? sink.now(),
      };
      // An open order whose index we handed out but the account does not know (its journal
      // lost it) is ours: adopted as RECOVERED under its clientId, not as someone else's
      const adoption =
        local === undefined && clientId !== undefined
          ? ({ clientId, adoptAs: 'RECOVERED' } as const)
          : {};
      switch (update.category) {
        case 'pending':
          break;
        case 'open':
        case 'filled':
          sink.emit({ type: 'orderAccepted', ...ref, ...adoption, report: update.report });
          if (
            local !== undefined &&
            update.category === 'open' &&
            (local.status === 'OPEN' || local.status === 'PARTIALLY_FILLED') &&
            (local.price !== update.price || local.quantity !== update.quantity)
          ) {
            sink.emit({
              type: 'orderAmended',
              ...ref,
              price: update.price,
              quantity: update.quantity,
            });
          }
          break;
        case 'canceled':
          sink.emit({ type: 'orderCanceled', ...ref, reason: update.status });
          break;
        case 'expired':
          sink.emit({ type: 'orderExpired', ...ref });
          break;
        case 'refused':
          // A placement check refused an order that never worked: a rejection. The same
          // status on an order that rested or filled ends it as a cancel with that reason
          if (local !== undefined && !local.answered && update.filledQuantity === 0) {
            sink.emit({
              type: 'orderRejected',
              ...ref,
              code: update.status,
              message: `lighter ${update.status}`,
            });
          } else {
            sink.emit({ type: 'orderCanceled', ...ref, reason: update.status });
          }
          break;
      }
    }
    return matched;
  }

  /**
   * Sends again the unanswered cancels of our orders these venue orders show open: the venue
   * still works them, so each cancel was lost on its way (or cut off by a restart)
   */
  private resendLostCancels(orders: readonly LighterOrder[]): void {
    const { registry } = this.options;
    if (this.stopped || registry.cancelsAwaiting.size === 0) return;
    const live = this.liveByVenueId(this.options.sink());
    for (const order of orders) {
      if (statusCategory(order.status) !== 'open') continue;
      const clientId =
        (order.client_order_index > 0
          ? registry.clientIdOf(order.client_order_index)
          : undefined) ?? live.get(order.order_id)?.clientId;
      if (clientId !== undefined && registry.cancelsAwaiting.has(clientId))
        this.options.resendCancel(clientId);
    }
  }

  /** Books our sides of trades; `all` false books only those of orders we track */
  private applyTrades(trades: readonly LighterTrade[], all: boolean): void {
    if (trades.length === 0) return;
    const { exchange, accountIndex, registry } = this.options;
    const sink = this.options.sink();
    let live: Map<string, TrackedOrder> | undefined;
    const ordered = [...trades].sort((a, b) => a.timestamp - b.timestamp);
    for (const trade of ordered) {
      const market = this.options.market(trade.market_id);
      if (market === undefined) continue;
      const time = toMilliseconds(trade.timestamp);
      this.lastTradeTime = Math.max(this.lastTradeTime ?? time, time);
      // History from before the first sync (a resync's overlap reaches back into it) is the
      // baseline: only fills of orders we track book from it, never someone else's old trades
      const trackedOnly = !all || (this.baseline !== undefined && time < this.baseline);
      for (const ours of toAccountFills(trade, accountIndex, market.instrument)) {
        const index = ours.correlationKey === undefined ? undefined : Number(ours.correlationKey);
        const clientId = index === undefined ? undefined : registry.clientIdOf(index);
        if (trackedOnly && clientId === undefined) {
          live ??= this.liveByVenueId(sink);
          if (!live.has(ours.venueOrderId)) continue;
        }
        sink.emit({
          type: 'orderFilled',
          exchange,
          ...(clientId === undefined ? {} : { clientId }),
          venueOrderId: ours.venueOrderId,
          correlationKey: ours.correlationKey,
          fill: { ...ours.fill, ...(clientId === undefined ? {} : { clientId }) },
          time: ours.fill.time,
        });
      }
    }
  }

  /**
   * Pulls what the stream may have missed: active orders, the latest inactive ones, and the
   * trades since the last one seen (on the first sync, only trades of orders we track: older
   * history must not rebuild positions). Concurrent calls share one run (and run once more).
   * @throws KestrelError when the venue cannot be queried
   */
  resync(reason: string): Promise<void> {
    if (this.syncing !== undefined) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      try {
        do {
          this.syncAgain = false;
          await this.syncOnce(reason);
        } while (this.syncAgain && !this.stopped);
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }

  private async syncOnce(reason: string): Promise<void> {
    const { rest, tokens, accountIndex, logger } = this.options;
    const auth = await tokens.token();
    const first = !this.synced;
    const startedAt = this.options.clock.now();
    const [active, inactive, trades] = await Promise.all([
      rest.activeOrders(accountIndex, auth),
      rest.inactiveOrders(accountIndex, auth, 100),
      this.tradesSinceLastSeen(auth),
    ]);
    if (this.stopped) return;
    const seen = this.applyOrders(active);
    this.resendLostCancels(active);
    this.applyTrades(trades, !first);
    for (const id of this.applyOrders(inactive.orders)) seen.add(id);
    const sink = this.options.sink();
    const missing = sink
      .openOrders()
      .filter((o) => o.origin !== 'EXTERNAL' && !seen.has(o.clientId) && !isTerminal(o.status));
    this.syncs += 1;
    // Later syncs book every trade from here on (ours or not): the first one set the baseline
    this.synced = true;
    this.baseline ??= startedAt;
    this.lastTradeTime = Math.max(this.lastTradeTime ?? 0, startedAt - TRADE_OVERLAP_MS);
    logger.debug('lighter resync', {
      reason,
      active: active.length,
      inactive: inactive.orders.length,
      trades: trades.length,
      unconfirmed: missing.length,
    });
    if (missing.length > 0) this.watch(missing.map((o) => o.clientId));
  }

  private async tradesSinceLastSeen(auth: string): Promise<LighterTrade[]> {
    const { rest, accountIndex } = this.options;
    const since = this.lastTradeTime;
    const out: LighterTrade[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_TRADE_PAGES; page++) {
      const { trades, nextCursor } = await rest.trades(accountIndex, auth, 100, cursor);
      out.push(...trades);
      const oldest = trades[trades.length - 1];
      if (
        since === undefined ||
        nextCursor === undefined ||
        oldest === undefined ||
        toMilliseconds(oldest.timestamp) < since - TRADE_OVERLAP_MS
      ) {
        break;
      }
      cursor = nextCursor;
    }
    return since === undefined
      ? out
      : out.filter((t) => toMilliseconds(t.timestamp) >= since - TRADE_OVERLAP_MS);
  }

  /** Checks these orders with the venue (by client order index) until it confirms or denies them */
  watch(clientIds: readonly string[]): void {
    for (const clientId of clientIds) {
      if (!this.watched.has(clientId)) this.watched.set(clientId, { checks: 0 });
    }
    this.scheduleCheck(this.options.recheckMs);
  }

  private scheduleCheck(delayMs: number): void {
    if (this.stopped || this.checkTimer !== undefined || this.watched.size === 0) return;
    this.checkTimer = this.options.clock.setTimer(delayMs, () => {
      this.checkTimer = undefined;
      this.check().catch((error: unknown) => {
        this.options.logger.warn('lighter order check failed', { error });
        this.scheduleCheck(this.options.recheckMs * 4);
      });
    });
  }

  private async check(): Promise<void> {
    if (this.checking || this.stopped) return;
    this.checking = true;
    let longest = 0;
    try {
      const { rest, tokens, accountIndex, registry, clock, exchange } = this.options;
      const sink = this.options.sink();
      const entries = [...this.watched.entries()];
      const indexed = entries
        .map(([clientId]) => registry.indexOf(clientId))
        .filter((i): i is number => i !== undefined);
      const auth = await tokens.token();
      const found = new Set<string>();
      for (let i = 0; i < indexed.length; i += CHECK_BATCH) {
        const orders = await rest.ordersByClientIndex(
          accountIndex,
          indexed.slice(i, i + CHECK_BATCH),
          auth,
        );
        const pendingOnVenue = new Set(
          orders
            .filter((o) => o.status === 'pending' || o.status === 'in-progress')
            .map((o) => o.client_order_index),
        );
        for (const id of this.applyOrders(orders)) {
          if (!pendingOnVenue.has(registry.indexOf(id) ?? -1)) found.add(id);
        }
        this.resendLostCancels(orders);
      }
      const now = clock.now();
      const lostAfter = this.options.lostAfterChecks ?? 5;
      for (const [clientId, entry] of entries) {
        const local = sink.order(clientId);
        if (local === undefined || isTerminal(local.status) || found.has(clientId)) {
          this.watched.delete(clientId);
          continue;
        }
        entry.checks += 1;
        longest = Math.max(longest, entry.checks);
        const expiry = registry.txExpiry(clientId);
        const neverAcknowledged = !local.answered;
        const lost = neverAcknowledged
          ? expiry !== undefined && now > expiry + 1_000
          : entry.checks >= lostAfter;
        if (lost) {
          this.watched.delete(clientId);
          sink.emit({
            type: 'orderLost',
            exchange,
            clientId: local.clientId,
            reason: neverAcknowledged
              ? 'the venue does not know the order and its create transaction has expired'
              : `the venue listed the order nowhere in ${entry.checks} checks`,
            time: now,
          });
        }
      }
    } finally {
      this.checking = false;
    }
    this.scheduleCheck(this.options.recheckMs * Math.min(2 ** longest, 8));
  }
}
