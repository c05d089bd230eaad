import type {
  AccountCounters,
  AccountLimits,
  AccountState,
  ApplyResult,
  TrackedOrder,
} from '../core/account.ts';
import {
  apply,
  createAccountState,
  evictTerminal,
  findOrder,
  findTracked,
  liveOrders,
  markPrice,
} from '../core/account.ts';
import type { Balance } from '../core/balance.ts';
import { KestrelError } from '../core/errors.ts';
import type { AccountEvent, OrderRef, VenueEvent } from '../core/events.ts';
import type { FillReport } from '../core/fill.ts';
import type { ClientOrderId } from '../core/ids.ts';
import type { Instrument } from '../core/instrument.ts';
import type { OrderRequest, PositionSide } from '../core/order.ts';
import type { Position } from '../core/position.ts';
import { createPosition, positionKey } from '../core/position.ts';
import { emptyObjectList } from '../core/tagged-fields.ts';
import type { Journal, JournalHealth } from '../journal/journal.ts';

import type { Clock } from './clock.ts';
import type { Logger } from './logger.ts';
import { stderrLogger } from './logger.ts';

/** Told about every event the writer applied (or absorbed, or refused), in apply order */
export type AccountListener = (result: ApplyResult, event: AccountEvent) => void;

/** What the TradingManager and strategies need from an account, one exchange or many */
export interface AccountView {
  /** Tracks the request as a PENDING order; call before any I/O. Returns the tracked order */
  processOrderRequest(request: OrderRequest, correlationKey?: string): TrackedOrder;
  /** Applies an event through the single writer (venue events queue behind the one applying) */
  apply(event: AccountEvent): void;
  /** Applies an order status event (accepted, canceled, rejected, ...) */
  processOrder(event: VenueEvent): void;
  /** Applies each fill once (duplicates by trade id are absorbed) */
  processFills(fills: readonly FillReport[]): void;
  subscribe(listener: AccountListener): () => void;
  findOrder(clientId: string): TrackedOrder | undefined;
  /**
   * Whether an order the account knows (live, in its grace window or in the history) has a
   * clientId that matches. Optional: without it, nothing can be ruled out
   */
  someClientId?(match: (clientId: string) => boolean): boolean;
  /** Live orders (not terminal), optionally of one instrument */
  getOrders(instrument?: Instrument): TrackedOrder[];
  /** The net position of an instrument, or one leg of it on a hedge-mode account */
  getPosition(instrument: Instrument, side?: PositionSide): Position;
  getPositions(): Position[];
  getBalances(): BalanceView[];
  markPrice(instrument: Instrument, price: number): void;
  /** Resolves when every event applied so far is durable; intents are sent only then */
  durable(): Promise<void>;
  /** Whether there is a journal to wait for at all */
  readonly journaled: boolean;
  /** Whether the journal is writing; while it is not, new intents are refused */
  readonly journalHealth: JournalHealth;
}

/** A balance with the exchange it is held on */
export interface BalanceView extends Balance {
  readonly exchange: string;
}

export interface AccountProcessorOptions {
  readonly exchange: string;
  readonly clock: Clock;
  readonly balances?: readonly Balance[];
  readonly limits?: Partial<AccountLimits>;
  readonly logger?: Logger;
  /**
   * Where every applied event is recorded. Open the processor with `AccountProcessor.open` to
   * rebuild the state first by replaying it through the same apply, so a restart resumes exactly
   * where the journal ends
   */
  readonly journal?: Journal;
  /**
   * Whether an order the account does not know is a sibling's: another process trading the
   * same account (`OwnerDirectory.isSibling`). Its status events are skipped, never adopted as
   * EXTERNAL; its fills still book, since positions and balances are the account's
   */
  readonly isSibling?: ((ref: OrderRef) => boolean) | undefined;
}

/** Venue events about one order's status, which a sibling's order never gets applied here */
const ORDER_STATUS_EVENTS: ReadonlySet<AccountEvent['type']> = new Set([
  'orderAccepted',
  'orderRejected',
  'orderCanceled',
  'orderExpired',
  'cancelRejected',
  'orderAmended',
  'orderStatusReported',
]);

const HEALTHY: JournalHealth = { state: 'ok' };

type WorkItem = { readonly event: AccountEvent; readonly result: ApplyResult | undefined };

/**
 * The single writer of one exchange account. Intents (order and cancel requests) apply at once,
 * so an order is tracked before its I/O starts; venue events go through one ordered queue and
 * apply one at a time, even when a listener reacts to one event by causing another. Listeners
 * hear about every event in apply order, after the state has changed.
 */
export class AccountProcessor implements AccountView {
  readonly exchange: string;
  readonly state: AccountState;
  readonly journal: Journal | undefined;
  /** What replaying the journal gave: entries applied, and how many it refused */
  replayed: { readonly entries: number; readonly refused: number } = { entries: 0, refused: 0 };
  /** Status events of siblings' orders skipped (see `isSibling`) */
  siblingEvents = 0;
  private readonly isSibling: ((ref: OrderRef) => boolean) | undefined;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly listeners: AccountListener[] = emptyObjectList();
  private readonly queue: WorkItem[] = emptyObjectList();
  private head = 0;
  private draining = false;

  constructor(options: AccountProcessorOptions) {
    this.exchange = options.exchange;
    this.clock = options.clock;
    this.logger = options.logger ?? stderrLogger;
    this.state = createAccountState({
      exchange: options.exchange,
      ...(options.balances === undefined ? {} : { balances: options.balances }),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    });
    this.journal = options.journal;
    this.isSibling = options.isSibling;
  }

  /**
   * Opens the account on its journal: the state is rebuilt by replaying every valid entry
   * through the same apply before anything new is applied
   */
  static async open(options: AccountProcessorOptions): Promise<AccountProcessor> {
    const processor = new AccountProcessor(options);
    const journal = options.journal;
    if (journal === undefined) return processor;
    let entries = 0;
    let refused = 0;
    for await (const entry of journal.entries()) {
      entries += 1;
      if (apply(processor.state, entry.event).outcome === 'refused') refused += 1;
    }
    processor.replayed = { entries, refused };
    if (refused > 0)
      processor.logger.warn('journal replay refused entries', {
        exchange: processor.exchange,
        refused,
      });
    return processor;
  }

  get journaled(): boolean {
    return this.journal !== undefined;
  }

  get journalHealth(): JournalHealth {
    return this.journal?.health ?? HEALTHY;
  }

  /** Resolves when every event applied so far is durable (at once without a journal) */
  durable(): Promise<void> {
    return this.journal?.durable() ?? Promise.resolve();
  }

  /**
   * Tracks the request as a PENDING order, at once, and returns it.
   * @throws KestrelError DUPLICATE_CLIENT_ID when the clientId is already known (nothing changes)
   */
  processOrderRequest(request: OrderRequest, correlationKey?: string): TrackedOrder {
    const event: AccountEvent = {
      type: 'orderRequested',
      request,
      correlationKey,
      time: this.clock.now(),
    };
    const result = this.applyNow(event);
    if (result.outcome !== 'applied' || result.order === undefined) {
      throw new KestrelError(
        'DUPLICATE_CLIENT_ID',
        `clientId ${request.clientId} is already in use`,
        {
          field: 'clientId',
          value: request.clientId,
        },
      );
    }
    return result.order;
  }

  apply(event: AccountEvent): void {
    if (event.type === 'orderRequested' || event.type === 'cancelRequested') {
      this.applyNow(event);
      return;
    }
    if (this.draining) {
      this.queue.push({ event, result: undefined });
      return;
    }
    // Nothing is applying: apply at once, then run whatever the listeners queued
    this.draining = true;
    try {
      this.notify(this.write(event), event);
      if (this.queue.length > 0) this.drainQueue();
    } finally {
      this.draining = false;
    }
    this.housekeep();
  }

  processOrder(event: VenueEvent): void {
    this.apply(event);
  }

  processFills(fills: readonly FillReport[]): void {
    for (const fill of fills) {
      this.apply({
        type: 'orderFilled',
        exchange: fill.instrument.exchange,
        clientId: fill.clientId,
        venueOrderId: fill.venueOrderId,
        fill,
        time: fill.time,
      });
    }
  }

  /** Applies an intent now; its listeners run now too, unless the writer is busy (then in turn) */
  /** Applies an event to the state and journals it when it changed something */
  private write(event: AccountEvent): ApplyResult {
    // An explicit adoption was decided by reconciliation, which read the owners first
    if (
      this.isSibling !== undefined &&
      ORDER_STATUS_EVENTS.has(event.type) &&
      !(event.type === 'orderAccepted' && event.adoptAs !== undefined) &&
      findTracked(this.state, event as OrderRef) === undefined &&
      this.isSibling(
        // The venue's own word on an order we do not know: the client id it reports
        event.type === 'orderAccepted' && event.clientId === undefined
          ? { ...event, clientId: event.report?.clientId as ClientOrderId | undefined }
          : (event as OrderRef),
      )
    ) {
      this.siblingEvents += 1;
      return { outcome: 'ignored', reason: "a sibling process's order", order: undefined };
    }
    const result = apply(this.state, event);
    if (this.journal !== undefined && result.outcome === 'applied') this.journal.append(event);
    return result;
  }

  private applyNow(event: AccountEvent): ApplyResult {
    const result = this.write(event);
    if (this.draining) {
      this.queue.push({ event, result });
    } else {
      this.notify(result, event);
      this.housekeep();
    }
    return result;
  }

  private drainQueue(): void {
    try {
      while (this.head < this.queue.length) {
        const item = this.queue[this.head]!;
        this.head += 1;
        this.notify(item.result ?? this.write(item.event), item.event);
      }
    } finally {
      if (this.queue.length > 0) this.queue.length = 0;
      this.head = 0;
    }
  }

  private notify(result: ApplyResult, event: AccountEvent): void {
    if (result.outcome === 'refused') {
      this.logger.warn('account refused event', {
        exchange: this.exchange,
        event: event.type,
        reason: result.reason,
        clientId: result.order?.clientId,
      });
    }
    for (const listener of this.listeners) {
      try {
        listener(result, event);
      } catch (error) {
        // A failing listener (a strategy callback, say) must never stop the writer
        this.logger.error('account listener failed', {
          exchange: this.exchange,
          event: event.type,
          error,
        });
      }
    }
  }

  private nextHousekeeping = Number.NEGATIVE_INFINITY;

  /** Moves terminal orders past their grace window to history, at most once per clock second */
  private housekeep(): void {
    const now = this.clock.now();
    if (now < this.nextHousekeeping) return;
    this.nextHousekeeping = now + 1000;
    evictTerminal(this.state, now);
  }

  subscribe(listener: AccountListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  findOrder(clientId: string): TrackedOrder | undefined {
    return findOrder(this.state, clientId);
  }

  someClientId(match: (clientId: string) => boolean): boolean {
    for (const clientId of this.state.orders.keys()) if (match(clientId)) return true;
    return false;
  }

  getOrders(instrument?: Instrument): TrackedOrder[] {
    const orders: TrackedOrder[] = [];
    for (const order of liveOrders(this.state)) {
      if (
        instrument !== undefined &&
        (order.instrument.symbol !== instrument.symbol ||
          order.instrument.exchange !== instrument.exchange)
      )
        continue;
      orders.push(order);
    }
    return orders;
  }

  /** Terminal orders past their grace window, oldest first (bounded) */
  getOrderHistory(): TrackedOrder[] {
    return [...this.state.history.values()] as TrackedOrder[];
  }

  getPosition(instrument: Instrument, side?: PositionSide): Position {
    return (
      this.state.positions.get(positionKey(instrument.symbol, side)) ??
      createPosition(instrument, side)
    );
  }

  getPositions(): Position[] {
    return [...this.state.positions.values()];
  }

  getBalances(): BalanceView[] {
    // Listed by a loop, not `map`: an optimized `map` makes its list with another hidden class
    // than the interpreter's, which threw away the recorder's code reading the list
    const balances: BalanceView[] = [];
    for (const b of this.state.balances.values()) balances.push({ exchange: this.exchange, ...b });
    return balances;
  }

  /** Fees paid per currency */
  getFees(): ReadonlyMap<string, number> {
    const fees = new Map<string, number>();
    for (const [currency, paid] of this.state.fees) fees.set(currency, paid.total);
    return fees;
  }

  get counters(): Readonly<AccountCounters> {
    return this.state.counters;
  }

  markPrice(instrument: Instrument, price: number): void {
    markPrice(this.state, instrument, price);
  }
}
