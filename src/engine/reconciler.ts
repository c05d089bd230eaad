import type { ApplyResult, TrackedOrder } from '../core/account.ts';
import { findTracked } from '../core/account.ts';
import { KestrelError } from '../core/errors.ts';
import type { VenueEvent } from '../core/events.ts';
import { isTerminal } from '../core/order.ts';
import type { AccountProcessor } from './account-processor.ts';
import type { Clock, Timer } from './clock.ts';
import type { HealthMonitor } from './health-monitor.ts';
import type { Logger } from './logger.ts';
import type { OwnerDirectory } from './owners.ts';
import { difference, fillEvents, planReconciliation, statusEvent } from './reconcile.ts';
import type { VenueConnection, VenueOrderState, VenueSnapshot } from './venue.ts';

export interface ReconcilerOptions {
  readonly venue: VenueConnection;
  readonly account: AccountProcessor;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly health?: HealthMonitor | undefined;
  /** Whether a clientId is one we generate, so an order found at the venue is ours */
  readonly isOwn: (clientId: string) => boolean;
  /**
   * The processes trading the same account, when several do: read again before every diff, so
   * a sibling's orders are never adopted, corrected or declared lost here
   */
  readonly owners?: OwnerDirectory | undefined;
  /** A PENDING order with no verdict this long gets a status query, ms; default 5 000 */
  readonly pendingTimeoutMs?: number;
  /** Between status queries for one order, ms; default 2 000 */
  readonly queryIntervalMs?: number;
  /** Status queries that find nothing before the order is declared LOST; default 5 */
  readonly maxQueries?: number;
  /**
   * How long since we last heard of an order the venue does not know before it is declared
   * LOST, ms; default 15 000. The same at startup as while running: a submit held up on its
   * way across a restart is not given up early
   */
  readonly lostAfterMs?: number;
  /** Between snapshot diffs, ms; default 30 000 (0 turns them off) */
  readonly snapshotIntervalMs?: number;
  /** How far back the startup snapshot asks for fills, ms; default 24 hours */
  readonly lookbackMs?: number;
}

export interface ReconcileReport {
  readonly corrections: number;
  readonly booked: number;
  readonly adopted: number;
  readonly lost: number;
}

interface Inquiry {
  attempts: number;
  nextAt: number;
  inFlight: boolean;
}

/**
 * Keeps our account honest against the venue. At startup (before the strategy may trade) it
 * diffs a full snapshot: missed fills book once, unknown orders are adopted, our missing orders
 * are asked about and settled (filled, canceled, or LOST), positions and balances follow the
 * venue. While running it asks about PENDING orders that got no verdict, a bounded number of
 * times, then declares them LOST (an event, never a silent drop), and diffs a snapshot now and
 * then to correct drift. Every correction is logged and counted.
 */
export class Reconciler {
  private readonly venue: VenueConnection;
  private readonly account: AccountProcessor;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly health: HealthMonitor | undefined;
  private readonly isOwn: (clientId: string) => boolean;
  private readonly owners: OwnerDirectory | undefined;
  private readonly pendingTimeoutMs: number;
  private readonly queryIntervalMs: number;
  private readonly maxQueries: number;
  private readonly lostAfterMs: number;
  private readonly snapshotIntervalMs: number;
  private readonly lookbackMs: number;
  private readonly inquiries = new Map<string, Inquiry>();
  private readonly warnedQueries = new Set<string>();
  private timer: Timer | undefined;
  private nextSnapshotAt = 0;
  private stopped = false;
  private lastFillTime = Number.NEGATIVE_INFINITY;
  private busy: Promise<unknown> = Promise.resolve();
  corrections = 0;

  constructor(options: ReconcilerOptions) {
    this.venue = options.venue;
    this.account = options.account;
    this.clock = options.clock;
    this.logger = options.logger;
    this.health = options.health;
    this.isOwn = options.isOwn;
    this.owners = options.owners;
    this.pendingTimeoutMs = options.pendingTimeoutMs ?? 5_000;
    this.queryIntervalMs = options.queryIntervalMs ?? 2_000;
    this.maxQueries = options.maxQueries ?? 5;
    this.lostAfterMs = options.lostAfterMs ?? 15_000;
    this.snapshotIntervalMs = options.snapshotIntervalMs ?? 30_000;
    this.lookbackMs = options.lookbackMs ?? 86_400_000;
    this.account.subscribe((result) => {
      if (result.outcome === 'applied' && result.fill !== undefined)
        this.lastFillTime = Math.max(this.lastFillTime, result.fill.time);
      if (
        result.outcome === 'applied' &&
        result.order !== undefined &&
        isTerminal(result.order.status)
      ) {
        this.inquiries.delete(result.order.clientId);
      }
    });
  }

  private correct(description: string): void {
    this.corrections += 1;
    this.health?.recordCorrection(this.venue.exchange);
    this.logger.warn(`reconciliation: ${description}`, { exchange: this.venue.exchange });
  }

  private apply(event: VenueEvent): boolean {
    return this.applyFor(event)?.outcome === 'applied';
  }

  private applyFor(event: VenueEvent): ApplyResult | undefined {
    let outcome: ApplyResult | undefined;
    const unsubscribe = this.account.subscribe((result, e) => {
      if (e === event) outcome = result;
    });
    this.account.apply(event);
    unsubscribe();
    return outcome;
  }

  /**
   * Diffs the venue's snapshot against our state and applies the corrections; at startup also
   * settles every order of ours the venue does not list and marks the ones it does RECOVERED.
   * @throws KestrelError VENUE_UNAVAILABLE when the venue cannot be asked (startup refuses to go on)
   */
  async reconcile(kind: 'startup' | 'periodic' | 'final'): Promise<ReconcileReport> {
    const fetch = this.venue.fetchSnapshot;
    if (fetch === undefined) {
      throw new KestrelError(
        'NOT_SUPPORTED',
        `${this.venue.exchange} cannot report a snapshot, so it cannot be reconciled`,
      );
    }
    const now = this.clock.now();
    const since =
      kind === 'startup' || !Number.isFinite(this.lastFillTime)
        ? now - this.lookbackMs
        : this.lastFillTime - 60_000;
    // The last diff, after a stop, must end on the venue's own balances: it asks again (a few
    // times) while fills or balances still arrive during its fetch
    for (let attempt = 1; ; attempt++) {
      // What changes here while the snapshot is on its way is newer than the snapshot
      const changed = new Set<string>();
      let moved = false;
      const stopWatching = this.account.subscribe((result, event) => {
        if (result.outcome !== 'applied') return;
        if (result.order !== undefined) changed.add(result.order.clientId);
        if (result.fill !== undefined || event.type === 'balanceUpdated') moved = true;
      });
      try {
        const [report, stale] = await this.diff(kind, fetch, now, since, changed, () => moved);
        if (kind !== 'final' || !stale || attempt >= 3) return report;
      } finally {
        stopWatching();
      }
    }
  }

  private async diff(
    kind: 'startup' | 'periodic' | 'final',
    fetch: NonNullable<VenueConnection['fetchSnapshot']>,
    now: number,
    since: number,
    changed: ReadonlySet<string>,
    moved: () => boolean,
  ): Promise<[report: ReconcileReport, stale: boolean]> {
    let snapshot: VenueSnapshot;
    // A sibling that started since the last diff is listed before its orders are judged
    await this.owners?.refresh().catch((error: unknown) =>
      this.logger.warn('could not read the owners of the shared journal; using the last list', {
        error,
      }),
    );
    try {
      snapshot = await fetch.call(this.venue, { since });
    } catch (error) {
      throw new KestrelError(
        'VENUE_UNAVAILABLE',
        `${this.venue.exchange}: cannot fetch the account snapshot for reconciliation (${(error as Error).message})`,
        { cause: error },
      );
    }
    const movedBeforeFills = moved();
    const changedByFetch = new Set(changed);
    let booked = 0;
    const bookFill = (event: VenueEvent): ApplyResult | undefined => {
      const result = this.applyFor(event);
      if (result?.outcome === 'applied') {
        booked += 1;
        this.correct(
          `missed fill ${event.type === 'orderFilled' ? event.fill.tradeId : ''} booked`,
        );
      }
      return result;
    };
    // A fill an order of ours refuses (past the quantity we know) means our order is stale (an
    // amend whose answer was lost): the venue is asked for it, then the fill is offered again
    const stale = new Map<TrackedOrder, VenueEvent[]>();
    for (const event of fillEvents(this.venue.exchange, snapshot)) {
      const result = bookFill(event);
      if (result?.outcome !== 'refused' || result.order === undefined) continue;
      const refused = stale.get(result.order);
      if (refused === undefined) stale.set(result.order, [event]);
      else refused.push(event);
    }
    for (const [order, fills] of stale) {
      const answer = await this.query(order);
      if (answer === 'unreachable' || answer === undefined) continue;
      const description = difference(order, answer);
      const event = statusEvent(this.venue.exchange, order, answer);
      if (event === undefined || !this.apply(event)) continue;
      this.correct(`${order.clientId}: ${description} (a refused fill asked for it)`);
      for (const fill of fills) bookFill(fill);
    }
    const state = this.account.state;
    const plan = planReconciliation(
      {
        exchange: this.venue.exchange,
        openOrders: this.account.getOrders(),
        find: (ref) =>
          findTracked(state, ref) ??
          (ref.clientId === undefined ? undefined : this.account.findOrder(ref.clientId)),
        positions: this.account.getPositions(),
        balances: this.account.getBalances(),
        isOwn: this.isOwn,
        isSibling:
          this.owners === undefined
            ? undefined
            : (ref) => this.owners?.ownership(ref) === 'sibling',
        graceMs: kind === 'startup' ? 0 : this.pendingTimeoutMs,
        now,
        changedSince: (order) => changedByFetch.has(order.clientId),
        movedSince: movedBeforeFills,
        recheck: this.venue.queryOrder !== undefined,
      },
      snapshot,
    );
    let adopted = 0;
    for (const event of plan.events) {
      if (this.apply(event) && event.type === 'orderAccepted') adopted += 1;
    }
    for (const description of plan.corrections) this.correct(description);
    let rechecked = 0;
    for (const { order, state: listed } of plan.recheck) {
      if (await this.confirm(order, listed, changed)) rechecked += 1;
    }
    if (kind === 'startup') {
      const listed = new Set(snapshot.openOrders.map((o) => o.venueOrderId));
      for (const order of this.account.getOrders()) {
        if (
          order.origin === 'FRAMEWORK' &&
          order.venueOrderId !== undefined &&
          listed.has(order.venueOrderId)
        ) {
          this.apply({
            type: 'orderRecovered',
            exchange: this.venue.exchange,
            clientId: order.clientId,
            time: now,
          });
        }
      }
    }
    let lost = 0;
    for (const order of plan.query) {
      if (
        await this.settle(
          order,
          kind === 'startup' ? 2 : this.maxQueries,
          kind === 'startup' ? 250 : this.queryIntervalMs,
        )
      )
        lost += 1;
    }
    const report = {
      corrections: plan.corrections.length + booked + rechecked,
      booked,
      adopted,
      lost,
    };
    // Stale: money moved here while the snapshot was on its way, so its balances were left alone
    return [report, movedBeforeFills];
  }

  /**
   * Asks the venue about an order the snapshot shows differently from us; the difference
   * counts (and is corrected from the answer) only when the answer, newer than both, still
   * differs and nothing changed the order here meanwhile. True when it was corrected
   */
  private async confirm(
    order: TrackedOrder,
    listed: VenueOrderState,
    changed: ReadonlySet<string>,
  ): Promise<boolean> {
    const answer = await this.query(order);
    if (answer === 'unreachable' || answer === undefined || changed.has(order.clientId)) {
      this.logger.debug('reconciliation: a snapshot difference was not confirmed', {
        exchange: this.venue.exchange,
        clientId: order.clientId,
        snapshot: listed.status,
        answer: typeof answer === 'string' ? answer : answer?.status,
      });
      return false;
    }
    const description = difference(order, answer);
    const event = statusEvent(this.venue.exchange, order, answer);
    if (event === undefined || !this.apply(event)) return false;
    this.correct(`${order.clientId}: ${description} (a status query confirmed it)`);
    return true;
  }

  /** Asks the venue about one order until it answers or `attempts` queries found nothing; true when LOST */
  private async settle(
    order: TrackedOrder,
    attempts: number,
    intervalMs: number,
  ): Promise<boolean> {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (isTerminal(order.status) || this.stopped) return false;
      const state = await this.query(order);
      if (state === 'unreachable') return false;
      if (state !== undefined) {
        const event = statusEvent(this.venue.exchange, order, state);
        if (event !== undefined && this.apply(event))
          this.correct(`${order.clientId}: settled by a status query as ${state.status}`);
        return false;
      }
      if (attempt < attempts)
        await new Promise<void>((resolve) => this.clock.setTimer(intervalMs, resolve));
    }
    if (isTerminal(order.status)) return false;
    const silentMs = this.clock.now() - order.updatedAt;
    if (silentMs < this.lostAfterMs) {
      // Too recent to give up (a submit still on its way): the running checks ask again
      this.logger.info(
        'reconciliation: the venue does not know a recent order yet; asking again later',
        {
          exchange: this.venue.exchange,
          clientId: order.clientId,
          silentMs,
          lostAfterMs: this.lostAfterMs,
        },
      );
      return false;
    }
    this.apply({
      type: 'orderLost',
      exchange: this.venue.exchange,
      clientId: order.clientId,
      reason: `the venue does not know the order after ${attempts} status queries and ${silentMs} ms without news of it`,
      time: this.clock.now(),
    });
    this.correct(`${order.clientId}: declared LOST`);
    return true;
  }

  private async query(order: TrackedOrder) {
    const ask = this.venue.queryOrder;
    if (ask === undefined) return 'unreachable' as const;
    try {
      return await ask.call(this.venue, order);
    } catch (error) {
      // "Could not tell" is routine (an ambiguous send waits for its transaction to expire): warn once per order
      const level = this.warnedQueries.has(order.clientId) ? 'debug' : 'warn';
      this.warnedQueries.add(order.clientId);
      if (this.warnedQueries.size > 10_000) this.warnedQueries.clear();
      this.logger[level]('status query could not tell; will ask again', {
        exchange: this.venue.exchange,
        clientId: order.clientId,
        error,
      });
      return 'unreachable' as const;
    }
  }

  /** Starts the running checks: unanswered PENDING orders and the periodic snapshot diff */
  start(): void {
    this.nextSnapshotAt = this.clock.now() + this.snapshotIntervalMs;
    const tick = () => {
      if (this.stopped) return;
      this.busy = this.check().catch((error: unknown) =>
        this.logger.error('reconciliation failed', { exchange: this.venue.exchange, error }),
      );
      void this.busy.finally(() => {
        if (!this.stopped) this.timer = this.clock.setTimer(this.queryIntervalMs, tick);
      });
    };
    this.timer = this.clock.setTimer(this.queryIntervalMs, tick);
  }

  private async check(): Promise<void> {
    const now = this.clock.now();
    for (const order of this.account.getOrders()) {
      const unanswered =
        order.status === 'PENDING' || (order.status === 'PENDING_CANCEL' && !order.answered);
      if (!unanswered || now - order.updatedAt < this.pendingTimeoutMs) continue;
      let inquiry = this.inquiries.get(order.clientId);
      if (inquiry === undefined) {
        inquiry = { attempts: 0, nextAt: now, inFlight: false };
        this.inquiries.set(order.clientId, inquiry);
      }
      if (inquiry.inFlight || now < inquiry.nextAt) continue;
      inquiry.inFlight = true;
      const state = await this.query(order);
      inquiry.inFlight = false;
      if (state === 'unreachable') continue;
      if (state !== undefined) {
        this.inquiries.delete(order.clientId);
        const event = statusEvent(this.venue.exchange, order, state);
        if (event !== undefined && this.apply(event))
          this.correct(
            `${order.clientId}: no verdict for ${now - order.updatedAt} ms; a status query found it ${state.status}`,
          );
        continue;
      }
      inquiry.attempts += 1;
      inquiry.nextAt = now + this.queryIntervalMs;
      if (
        inquiry.attempts >= this.maxQueries &&
        now - order.updatedAt >= this.lostAfterMs &&
        !isTerminal(order.status)
      ) {
        this.inquiries.delete(order.clientId);
        this.apply({
          type: 'orderLost',
          exchange: this.venue.exchange,
          clientId: order.clientId,
          reason: `no verdict, and the venue does not know the order after ${inquiry.attempts} status queries and ${now - order.updatedAt} ms`,
          time: this.clock.now(),
        });
        this.correct(`${order.clientId}: declared LOST`);
      }
    }
    if (
      this.snapshotIntervalMs > 0 &&
      this.clock.now() >= this.nextSnapshotAt &&
      this.venue.fetchSnapshot !== undefined
    ) {
      this.nextSnapshotAt = this.clock.now() + this.snapshotIntervalMs;
      try {
        await this.reconcile('periodic');
      } catch (error) {
        this.logger.warn('periodic snapshot failed; will try again', {
          exchange: this.venue.exchange,
          error,
        });
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.busy;
  }
}
