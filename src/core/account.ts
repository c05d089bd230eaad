import { assertNever } from './assert.ts';
import type { Balance } from './balance.ts';
import type {
  AccountEvent,
  BalanceUpdated,
  CancelRejected,
  CancelRequested,
  FundingPaid,
  OrderAccepted,
  OrderAmended,
  OrderCanceled,
  OrderExpired,
  OrderFilled,
  OrderLost,
  OrderRecovered,
  OrderRef,
  OrderRejected,
  OrderRequested,
  OrderStatusReported,
  PositionSynced,
} from './events.ts';
import type { Fill } from './fill.ts';
import { accountingCurrency, scheduleFee } from './fill.ts';
import type { ClientOrderId, VenueOrderId } from './ids.ts';
import { externalClientId } from './ids.ts';
import type { Instrument } from './instrument.ts';
import { isDerivative, snapPrice, snapSize } from './instrument.ts';
import { MONEY_DECIMALS, money, quotient } from './numeric.ts';
import type {
  Order,
  OrderChange,
  OrderOrigin,
  OrderStatus,
  OrderTransition,
  PositionSide,
} from './order.ts';
import { isTerminal, ORDER_STATUSES, POSITION_SIDES } from './order.ts';
import { OrderHistory } from './order-history.ts';
import type { MutablePosition, Position } from './position.ts';
import {
  bookExecution,
  createPosition,
  markPosition,
  positionKey,
  syncPosition,
} from './position.ts';
import { emptyObjectList, keepFieldsTagged } from './tagged-fields.ts';
import { canTransition } from './transitions.ts';

/** How much an account remembers; everything that could grow is bounded by one of these */
export interface AccountLimits {
  /** How long a terminal order stays live (late fills still book) before moving to history, ms */
  readonly graceMs: number;
  /** How many terminal orders the history keeps */
  readonly historySize: number;
  /** How many trade and funding ids are remembered for deduplication */
  readonly dedupSize: number;
  /**
   * Book a fill that takes an order past its quantity. Off by default: a venue cannot fill more
   * than was asked, so such a fill is a duplicate under another trade id (or a malformed one)
   * and is refused and counted; the reconciler's position check settles any real difference.
   */
  readonly allowOverfills?: boolean;
}

export const DEFAULT_LIMITS: AccountLimits = {
  graceMs: 60_000,
  historySize: 10_000,
  dedupSize: 200_000,
};

/** The account's order, with the fields only the writer sees */
export interface TrackedOrder extends Order {
  /** The venue correlation key the broker registered, if any */
  readonly correlationKey: string | undefined;
  /** Whether the venue has said anything about this order yet */
  readonly answered: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface OrderRecord extends Mutable<TrackedOrder> {
  transitions: OrderTransition[];
  /**
   * The account's own flags, one small integer (a field each took 8 bytes of every order): the
   * status to go back to if a cancel is refused (its index in ORDER_STATUSES + 1, 0 for none;
   * `beforeCancel`), a cancel that waits for the venue id (CANCEL_DEFERRED) and whether a run
   * report has written the order's row (REPORTED, see claimReportRow)
   */
  flags: number;
  /** The fills booked, from the first (most orders never fill, and keep no room for them) */
  booked: BookedFills | undefined;
  /** When it became terminal, for the grace window; -1 while live */
  terminalAt: number;
}

/** What the fills booked on an order add up to */
interface BookedFills {
  /** Σ quantity; `filledQuantity` may run ahead of it on the venue's word */
  quantity: number;
  /** Σ quantity × price, for the average */
  notional: number;
}

/** OrderRecord.flags: the low bits hold the status before a cancel (index + 1, 0 for none) */
const BEFORE_CANCEL = 0xf;
const CANCEL_DEFERRED = 0x10;
const REPORTED = 0x20;

/** The status to go back to if the order's pending cancel is refused, if any */
function beforeCancel(order: OrderRecord): OrderStatus | undefined {
  const at = order.flags & BEFORE_CANCEL;
  return at === 0 ? undefined : ORDER_STATUSES[at - 1];
}

function setBeforeCancel(order: OrderRecord, status: OrderStatus | undefined): void {
  const at = status === undefined ? 0 : ORDER_STATUSES.indexOf(status) + 1;
  order.flags = (order.flags & ~BEFORE_CANCEL) | at;
}

function setCancelDeferred(order: OrderRecord, deferred: boolean): void {
  order.flags = deferred ? order.flags | CANCEL_DEFERRED : order.flags & ~CANCEL_DEFERRED;
}

type MutableBalance = Mutable<Balance>;

/** Counts of what the writer absorbed or refused, so nothing is dropped silently */
export interface AccountCounters {
  applied: number;
  /** Events that changed nothing: duplicates, and late or stale updates */
  ignored: number;
  duplicateFills: number;
  /** Events refused: illegal transitions, unknown orders, invalid payloads */
  refused: number;
  illegalTransitions: number;
  unmatchedFills: number;
  overfills: number;
}

/**
 * The state of one exchange account: orders (live, in their grace window, and a bounded
 * history), positions, balances and the deduplication memory. Owned by one writer, changed only
 * through `apply`.
 */
export interface AccountState {
  readonly exchange: string;
  readonly limits: AccountLimits;
  /**
   * Every order the account knows by clientId: live, in its grace window, or in the history. An
   * order goes in once, when it is requested (or adopted), and comes out once, when it drops out
   * of the bounded history; the live ones are listed by `live`, the history by `history`
   */
  readonly orders: Map<string, OrderRecord>;
  /**
   * The live orders, in the order they were tracked, with finished ones among them until the
   * next compaction (`liveOrders` drops them): listing them never walks the history
   */
  readonly live: OrderRecord[];
  /** How long `live` was after its last compaction (it is compacted once it doubles) */
  liveCompacted: number;
  /**
   * Live and grace-window orders by venue order id, built the first time an event has to find an
   * order by its venue id alone (most venues name our clientId on every event, and then no order
   * pays for a second index entry); kept up to date from then on
   */
  readonly byVenueId: Map<string, OrderRecord>;
  /** Whether byVenueId is built (and so maintained) */
  venueIndexed: boolean;
  readonly byCorrelationKey: Map<string, OrderRecord>;
  /** Finished orders past their grace window, oldest first, at most `limits.historySize` */
  readonly history: OrderHistory<OrderRecord>;
  /** Net positions by symbol, hedge-mode legs by `symbol:LONG` / `symbol:SHORT` (positionKey) */
  readonly positions: Map<string, MutablePosition>;
  /** Whether any hedge-mode leg exists (marks then reach the legs too) */
  hedged: boolean;
  readonly balances: Map<string, MutableBalance>;
  /**
   * Fees paid per currency, across instruments, each in a holder written in place (a number set
   * into a Map is boxed anew every fill)
   */
  readonly fees: Map<string, { total: number }>;
  readonly counters: AccountCounters;
  /** Finished orders in their grace window, in the order they finished, from `terminalHead` */
  readonly terminalQueue: Array<OrderRecord | undefined>;
  terminalHead: number;
  /**
   * The latest end of a grace window applied: an order finished at or before it is in the
   * history unless it is still in the terminal queue (queued behind a later one)
   */
  graceCutoff: number;
  readonly seen: BoundedMemory;
  /**
   * The audit entry made last. Orders that change status alike at the same moment (a batch's
   * orders accepted by one reply, canceled by one request) share one entry: entries are
   * read-only values, and sharing spares an object per order that lives as long as the order
   */
  lastTransition: OrderTransition | undefined;
  /**
   * The quantity of the order tracked last. An order of the same quantity keeps this very number:
   * a fraction is a heap box, and strategies mostly repeat their size, so orders share one box
   * where each kept its own, allocated young and copied by two scavenges
   */
  lastQuantity: number;
}

/** What one applied event did */
export type ApplyResult = Applied | Ignored | Refused;

export interface Applied {
  readonly outcome: 'applied';
  readonly order: TrackedOrder | undefined;
  readonly change: OrderChange | undefined;
  readonly previousStatus: OrderStatus | undefined;
  /** The booked fill, for fill events */
  readonly fill: Fill | undefined;
  readonly position: Position | undefined;
  /** The venue's first word on this order: the submit latency ends here */
  readonly firstVerdict: boolean;
  /** The venue's answer to a cancel request: the cancel latency ends here */
  readonly cancelVerdict: boolean;
  /** A deferred cancel can go out now: the venue id just became known */
  readonly sendCancel: boolean;
}

export interface Ignored {
  readonly outcome: 'ignored';
  readonly reason: string;
  readonly order: TrackedOrder | undefined;
}

export interface Refused {
  readonly outcome: 'refused';
  readonly reason: string;
  readonly order: TrackedOrder | undefined;
}

/**
 * Remembers keys within scopes (trade ids per instrument), forgetting the oldest past a capacity.
 * Scoping by instrument avoids building a composite key string for every fill.
 */
/** Slots per chunk of the trade-id memory's ring, a power of two (CHUNK_BITS) */
const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;

export class BoundedMemory {
  private readonly scopes = new Map<string, Set<string>>();
  /**
   * What was remembered, in chunks of CHUNK slots, oldest first from slot `next` once full: each
   * key beside its scope (scope at 2i, key at 2i + 1), one cache line where two arrays take two.
   * Chunks are added as keys arrive (an account that sees few fills never pays for 200 000 empty
   * slots), and never copied, as one growing array would be at every growth
   */
  private readonly chunks: Array<Array<Set<string> | string | undefined>> = emptyObjectList();
  private next = 0;
  private count = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  has(scope: string, key: string): boolean {
    return this.scopes.get(scope)?.has(key) === true;
  }

  /** The keys remembered in a scope (created empty), to `claim` keys in */
  members(scope: string): ReadonlySet<string> {
    let members = this.scopes.get(scope);
    if (members === undefined) {
      members = new Set();
      this.scopes.set(scope, members);
    }
    return members;
  }

  add(scope: string, key: string): void {
    const members = this.members(scope);
    if (this.claim(members, key)) this.remember(members, key);
  }

  /**
   * Puts a key into a scope `members` returned, with one hash lookup (a test then an add is two):
   * true when it was not there. A claimed key is then remembered, or released when the caller
   * refuses what it came with
   */
  claim(scope: ReadonlySet<string>, key: string): boolean {
    const members = scope as Set<string>;
    const size = members.size;
    members.add(key);
    return members.size !== size;
  }

  release(scope: ReadonlySet<string>, key: string): void {
    (scope as Set<string>).delete(key);
  }

  /** Counts a claimed key in, forgetting the oldest past the capacity */
  remember(scope: ReadonlySet<string>, key: string): void {
    if (this.capacity < 1) return;
    const slot = this.count < this.capacity ? this.count : this.next;
    const at = (slot & (CHUNK - 1)) * 2;
    let chunk = this.chunks[slot >>> CHUNK_BITS];
    if (chunk === undefined) {
      chunk = new Array(2 * Math.min(CHUNK, this.capacity));
      this.chunks.push(chunk);
    }
    if (this.count < this.capacity) this.count += 1;
    else {
      (chunk[at] as Set<string>).delete(chunk[at + 1] as string);
      this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    }
    chunk[at] = scope as Set<string>;
    chunk[at + 1] = key;
  }

  get size(): number {
    return this.count;
  }
}

export interface AccountStateOptions {
  readonly exchange: string;
  readonly balances?: readonly Balance[];
  readonly limits?: Partial<AccountLimits>;
}

/** Creates an empty account state, optionally with starting balances */
export function createAccountState(options: AccountStateOptions): AccountState {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const state: AccountState = {
    exchange: options.exchange,
    limits,
    orders: new Map(),
    live: emptyObjectList(),
    liveCompacted: 0,
    byVenueId: new Map(),
    venueIndexed: false,
    byCorrelationKey: new Map(),
    history: new OrderHistory(limits.historySize),
    positions: new Map(),
    hedged: false,
    balances: new Map(),
    fees: new Map(),
    counters: {
      applied: 0,
      ignored: 0,
      duplicateFills: 0,
      refused: 0,
      illegalTransitions: 0,
      unmatchedFills: 0,
      overfills: 0,
    },
    terminalQueue: emptyObjectList(),
    terminalHead: 0,
    graceCutoff: Number.NEGATIVE_INFINITY,
    seen: new BoundedMemory(limits.dedupSize),
    lastTransition: undefined,
    lastQuantity: 0,
  };
  for (const balance of options.balances ?? []) {
    state.balances.set(balance.currency, { ...balance });
  }
  return state;
}

/**
 * Applies one event to the account. Deterministic and effect-free beyond the state it is
 * given: no I/O, no clock, no callbacks. Duplicates and stale updates are absorbed (`ignored`),
 * illegal transitions and unknown orders are refused and counted; applying an event twice
 * changes nothing the second time.
 */
export function apply(state: AccountState, event: AccountEvent): ApplyResult {
  const result = dispatch(state, event);
  if (result.outcome === 'applied') state.counters.applied += 1;
  else if (result.outcome === 'ignored') state.counters.ignored += 1;
  else state.counters.refused += 1;
  return result;
}

function dispatch(state: AccountState, event: AccountEvent): ApplyResult {
  switch (event.type) {
    case 'orderRequested':
      return onRequested(state, event);
    case 'cancelRequested':
      return onCancelRequested(state, event);
    case 'orderAccepted':
      return onAccepted(state, event);
    case 'orderRejected':
      return onRejected(state, event);
    case 'orderFilled':
      return onFilled(state, event);
    case 'orderCanceled':
    case 'orderExpired':
      return onClosed(state, event);
    case 'cancelRejected':
      return onCancelRejected(state, event);
    case 'orderLost':
      return onLost(state, event);
    case 'orderAmended':
      return onAmended(state, event);
    case 'balanceUpdated':
      return onBalances(state, event);
    case 'fundingPaid':
      return onFunding(state, event);
    case 'orderStatusReported':
      return onStatusReported(state, event);
    case 'positionSynced':
      return onPositionSynced(state, event);
    case 'orderRecovered':
      return onRecovered(state, event);
    default:
      return assertNever(event, 'account event');
  }
}

/** Finds an order by clientId, then venue order id, then correlation key */
export function findTracked(state: AccountState, ref: OrderRef): TrackedOrder | undefined {
  return resolve(state, ref);
}

function resolve(state: AccountState, ref: OrderRef): OrderRecord | undefined {
  let past: OrderRecord | undefined;
  if (ref.clientId !== undefined) {
    const order = state.orders.get(ref.clientId);
    if (order !== undefined) {
      if (!inHistory(state, order)) return order;
      past = order;
    }
  }
  if (ref.venueOrderId !== undefined) {
    if (!state.venueIndexed) indexVenueIds(state);
    const order = state.byVenueId.get(ref.venueOrderId);
    if (order !== undefined) return order;
  }
  if (ref.correlationKey !== undefined) {
    const order = state.byCorrelationKey.get(ref.correlationKey);
    if (order !== undefined) return order;
  }
  // A finished order past its grace window (a restart moves a journal's into history at once):
  // the venue repeating its last state is news about an order we know, not about a stranger
  return past;
}

/** An order by clientId if it is live or in its grace window (not in the history) */
function current(state: AccountState, clientId: string): OrderRecord | undefined {
  const order = state.orders.get(clientId);
  return order === undefined || inHistory(state, order) ? undefined : order;
}

/**
 * Whether an order of the one map is in the history. Live orders and those finished after the
 * last grace cutoff answer at once; the rest are looked for in the terminal queue
 */
function inHistory(state: AccountState, order: OrderRecord): boolean {
  if (order.terminalAt < 0 || order.terminalAt > state.graceCutoff) return false;
  return !inGrace(state, order);
}

/** Whether an order is waiting in the terminal queue (a scan: asked only off the hot path) */
function inGrace(state: AccountState, order: OrderRecord): boolean {
  const queue = state.terminalQueue;
  for (let i = state.terminalHead; i < queue.length; i++) if (queue[i] === order) return true;
  return false;
}

/** Builds the venue-id index from the orders that have a venue id; maintained from then on */
function indexVenueIds(state: AccountState): void {
  state.venueIndexed = true;
  const grace = new Set(state.terminalQueue.slice(state.terminalHead));
  for (const order of state.orders.values()) {
    if (order.venueOrderId === undefined) continue;
    // The history is not indexed (what inHistory says, without a scan per order)
    if (order.terminalAt >= 0 && order.terminalAt <= state.graceCutoff && !grace.has(order))
      continue;
    state.byVenueId.set(order.venueOrderId, order);
  }
}

function applied(
  order: OrderRecord | undefined,
  change: OrderChange | undefined,
  previousStatus: OrderStatus | undefined,
  fill?: Fill,
  position?: Position,
  firstVerdict = false,
  cancelVerdict = false,
  sendCancel = false,
): Applied {
  return {
    outcome: 'applied',
    order,
    change,
    previousStatus,
    fill,
    position,
    firstVerdict,
    cancelVerdict,
    sendCancel,
  };
}

/** `<what> of <STATUS> order` for every status, built once: duplicates are common, strings are not free */
function ofStatus(what: string): Readonly<Record<OrderStatus, string>> {
  return Object.fromEntries(ORDER_STATUSES.map((s) => [s, `${what} of ${s} order`])) as Record<
    OrderStatus,
    string
  >;
}
const ACCEPT_OF = ofStatus('accept');
const CANCELED_OF = ofStatus('orderCanceled');
const EXPIRED_OF = ofStatus('orderExpired');

function ignored(reason: string, order?: OrderRecord): Ignored {
  return { outcome: 'ignored', reason, order };
}

function refused(reason: string, order?: OrderRecord): Refused {
  return { outcome: 'refused', reason, order };
}

/** Moves an order to a new status through the table; false (and counted) when illegal */
function transition(
  state: AccountState,
  order: OrderRecord,
  to: OrderStatus,
  cause: string,
  time: number,
): boolean {
  const from = order.status;
  if (from === to) return true;
  if (!canTransition(from, to)) {
    state.counters.illegalTransitions += 1;
    return false;
  }
  const last = state.lastTransition;
  let entry: OrderTransition;
  if (
    last !== undefined &&
    last.time === time &&
    last.from === from &&
    last.to === to &&
    last.cause === cause
  ) {
    entry = last;
  } else {
    entry = { from, to, cause, time };
    state.lastTransition = entry;
  }
  order.transitions.push(entry);
  order.status = to;
  // The entry's own number: a time that is no small integer is a heap box, and one is enough
  order.updatedAt = entry.time;
  if (isTerminal(from) && !isTerminal(to)) revive(state, order);
  if (isTerminal(to)) {
    if (order.terminalAt < 0) {
      order.terminalAt = entry.time;
      state.terminalQueue.push(order);
    }
    setCancelDeferred(order, false);
  } else {
    order.terminalAt = -1;
  }
  return true;
}

/**
 * Puts an order that left a terminal status back among the live ones, with its indexes, even
 * when its grace window had already moved it to the history. Its status is live already, its
 * `terminalAt` not yet cleared
 */
function revive(state: AccountState, order: OrderRecord): void {
  const queue = state.terminalQueue;
  const queued = queue.indexOf(order, state.terminalHead);
  if (queued >= 0) queue[queued] = undefined;
  else state.history.remove(order);
  compactLive(state);
  if (!state.live.includes(order)) state.live.push(order);
  if (order.venueOrderId !== undefined && state.venueIndexed)
    state.byVenueId.set(order.venueOrderId, order);
  if (order.correlationKey !== undefined) state.byCorrelationKey.set(order.correlationKey, order);
}

function illegal(order: OrderRecord, to: OrderStatus): Refused {
  return refused(`illegal transition ${order.status} → ${to}`, order);
}

function setVenueId(
  state: AccountState,
  order: OrderRecord,
  venueId: VenueOrderId | undefined,
): void {
  if (venueId === undefined || order.venueOrderId === venueId) return;
  if (state.venueIndexed) {
    if (order.venueOrderId !== undefined && state.byVenueId.get(order.venueOrderId) === order) {
      state.byVenueId.delete(order.venueOrderId);
    }
    state.byVenueId.set(venueId, order);
  }
  order.venueOrderId = venueId;
}

/** The venue has now spoken about the order; says whether this is its first word */
function answer(order: OrderRecord): boolean {
  if (order.answered) return false;
  order.answered = true;
  return true;
}

/** Whether a deferred cancel can go out now that the venue id is known */
function releaseDeferredCancel(order: OrderRecord): boolean {
  if (
    (order.flags & CANCEL_DEFERRED) === 0 ||
    order.venueOrderId === undefined ||
    isTerminal(order.status)
  )
    return false;
  setCancelDeferred(order, false);
  return true;
}

type RecordFields = Pick<
  OrderRecord,
  | 'clientId'
  | 'instrument'
  | 'side'
  | 'type'
  | 'timeInForce'
  | 'quantity'
  | 'price'
  | 'stopPrice'
  | 'reduceOnly'
  | 'positionSide'
  | 'status'
  | 'origin'
  | 'correlationKey'
  | 'venueOrderId'
>;

/**
 * An empty audit trail with room for three entries, made with its record so the two sit side by
 * side in memory (the trail is read at every status change). Most orders make three transitions
 * (accepted, cancel requested, canceled: 97 % of a busy quoting day's, 0.3 % more); a push onto an
 * empty array would grow it to 17 slots, and the pops keep the three (V8 trims only far larger
 * excess)
 */
function emptyTrail(): OrderTransition[] {
  const trail = [NO_ENTRY, NO_ENTRY, NO_ENTRY];
  trail.pop();
  trail.pop();
  trail.pop();
  return trail;
}
const NO_ENTRY: OrderTransition = { from: 'PENDING', to: 'PENDING', cause: '', time: 0 };

// Every field spelled out, in one order, so all records share one hidden class (this is the hot path)
function newRecord(f: RecordFields, time: number): OrderRecord {
  return {
    clientId: f.clientId,
    venueOrderId: f.venueOrderId,
    instrument: f.instrument,
    side: f.side,
    type: f.type,
    timeInForce: f.timeInForce,
    quantity: f.quantity,
    price: f.price,
    stopPrice: f.stopPrice,
    reduceOnly: f.reduceOnly,
    positionSide: f.positionSide,
    status: f.status,
    filledQuantity: 0,
    averageFillPrice: 0,
    origin: f.origin,
    reason: undefined,
    createdAt: time,
    updatedAt: time,
    transitions: emptyTrail(),
    correlationKey: f.correlationKey,
    answered: false,
    flags: 0,
    booked: undefined,
    terminalAt: -1,
  };
}

// Most orders end unfilled (placed, then canceled): their fill figures and `terminalAt` stay 0 or
// -1, and the times are shared by the places a status change stores them (the record and its
// audit entry). About 100 bytes less kept per order
keepFieldsTagged(newRecord({} as RecordFields, 0), [
  'filledQuantity',
  'averageFillPrice',
  'terminalAt',
  'createdAt',
  'updatedAt',
]);
keepFieldsTagged({ ...NO_ENTRY }, ['time']);
// The sums hold the very numbers the order's own fields do (its filled quantity), not boxes of
// their own
keepFieldsTagged<BookedFills>({ quantity: 0, notional: 0 }, ['quantity', 'notional']);

// An account state's limits (a copy made by spreading), history and trade-id memory are held as
// any object, not as their hidden classes: a second run in the same process may make them with
// new ones (the first run's die with it), and onFilled and evictTerminal, compiled relying on the
// old, were thrown away at the next run's first account
// The last quantity is held as any value (the box itself), not as a double V8 would box anew at
// every read
keepFieldsTagged(createAccountState({ exchange: '' }), [
  'limits',
  'history',
  'seen',
  'lastQuantity',
]);

/**
 * Claims an order's one row in a run report: true the first time for an order, false after.
 * A flag on the record, not a set of ids, so a report of a million orders remembers nothing
 * extra; the account itself never reads it.
 */
export function claimReportRow(order: TrackedOrder): boolean {
  const record = order as OrderRecord;
  if ((record.flags & REPORTED) !== 0) return false;
  record.flags |= REPORTED;
  return true;
}

/** The quantity as the order keeps it: the last order's number when equal (see lastQuantity) */
function sharedQuantity(state: AccountState, quantity: number): number {
  const last = state.lastQuantity;
  if (quantity === last) return last;
  state.lastQuantity = quantity;
  return quantity;
}

function onRequested(state: AccountState, event: OrderRequested): ApplyResult {
  const request = event.request;
  if (state.orders.has(request.clientId)) {
    return refused(`duplicate clientId ${request.clientId}`, current(state, request.clientId));
  }
  if (request.instrument.exchange !== state.exchange) {
    return refused(
      `request for exchange ${request.instrument.exchange} applied to ${state.exchange}`,
    );
  }
  const origin: OrderOrigin = event.origin ?? 'FRAMEWORK';
  const order = newRecord(
    {
      clientId: request.clientId,
      instrument: request.instrument,
      side: request.side,
      type: request.orderType,
      timeInForce: request.timeInForce,
      quantity: sharedQuantity(state, request.quantity),
      price: request.price,
      stopPrice: request.stopPrice,
      reduceOnly: request.reduceOnly,
      positionSide: request.positionSide,
      status: 'PENDING',
      origin,
      correlationKey: event.correlationKey,
      venueOrderId: undefined,
    },
    event.time,
  );
  state.orders.set(order.clientId, order);
  state.live.push(order);
  if (event.correlationKey !== undefined) state.byCorrelationKey.set(event.correlationKey, order);
  return applied(order, 'requested', undefined);
}

function onCancelRequested(state: AccountState, event: CancelRequested): ApplyResult {
  const order = current(state, event.clientId);
  if (order === undefined) return refused(`cancel for unknown order ${event.clientId}`);
  if (isTerminal(order.status)) return ignored(`cancel of ${order.status} order`, order);
  if (order.status === 'PENDING_CANCEL') return ignored('cancel already requested', order);
  const previous = order.status;
  setBeforeCancel(order, previous);
  if (!transition(state, order, 'PENDING_CANCEL', event.type, event.time))
    return illegal(order, 'PENDING_CANCEL');
  setCancelDeferred(order, event.deferred);
  return applied(order, 'cancelRequested', previous);
}

/** Adopts an order the venue has and we never asked for, as EXTERNAL */
function adopt(state: AccountState, event: OrderAccepted): ApplyResult {
  const report = event.report;
  if (report === undefined) return unknownOrder(event);
  const recovered = event.adoptAs === 'RECOVERED' && event.clientId !== undefined;
  const clientId: ClientOrderId = recovered
    ? (event.clientId as ClientOrderId)
    : externalClientId(event.venueOrderId);
  if (state.orders.has(clientId)) {
    return ignored('order already adopted', current(state, clientId));
  }
  const order = newRecord(
    {
      clientId,
      instrument: report.instrument,
      side: report.side,
      type: report.type,
      timeInForce: report.timeInForce,
      quantity: report.quantity,
      price: report.price,
      stopPrice: report.stopPrice,
      reduceOnly: report.reduceOnly === true,
      positionSide: report.positionSide,
      status: 'OPEN',
      origin: recovered ? 'RECOVERED' : 'EXTERNAL',
      correlationKey: event.correlationKey,
      venueOrderId: undefined,
    },
    event.time,
  );
  order.answered = true;
  order.reason = report.reason;
  state.orders.set(clientId, order);
  state.live.push(order);
  setVenueId(state, order, event.venueOrderId);
  if (event.correlationKey !== undefined) state.byCorrelationKey.set(event.correlationKey, order);
  const filled = report.filledQuantity ?? 0;
  if (filled > 0) {
    // What filled before we knew the order is in the venue's position; its fills book separately
    order.filledQuantity = snapSize(report.instrument, Math.min(filled, report.quantity));
    transition(
      state,
      order,
      order.filledQuantity >= order.quantity ? 'FILLED' : 'PARTIALLY_FILLED',
      event.type,
      event.time,
    );
  }
  return applied(order, recovered ? 'recovered' : 'adopted', undefined);
}

function unknownOrder(ref: OrderRef & { readonly type: string }): Refused {
  const names = [ref.clientId, ref.venueOrderId, ref.correlationKey].filter((x) => x !== undefined);
  return refused(`${ref.type} for unknown order ${names.join('/') || '(no id)'}`);
}

function onAccepted(state: AccountState, event: OrderAccepted): ApplyResult {
  const order = resolve(state, event);
  if (order === undefined) return adopt(state, event);
  setVenueId(state, order, event.venueOrderId);
  const firstVerdict = answer(order);
  const sendCancel = releaseDeferredCancel(order);
  const previous = order.status;
  if (previous === 'PENDING') transition(state, order, 'OPEN', event.type, event.time);
  // The venue accepted an order given up as LOST (a submit held up on its way): it is live again
  else if (previous === 'LOST') {
    if (
      transition(
        state,
        order,
        order.filledQuantity > 0 ? 'PARTIALLY_FILLED' : 'OPEN',
        event.type,
        event.time,
      )
    )
      order.reason = revivedReason('accepted', order.reason);
  }
  // An accept racing a cancel never wipes the cancel; a refused cancel goes back to OPEN
  else if (previous === 'PENDING_CANCEL' && beforeCancel(order) === 'PENDING')
    setBeforeCancel(order, 'OPEN');
  // Already open, filled or closed, with nothing new learned: a duplicate or a late accept
  else if (previous !== 'PENDING_CANCEL' && !firstVerdict && !sendCancel)
    return ignored(ACCEPT_OF[previous], order);
  return applied(
    order,
    'accepted',
    previous,
    undefined,
    undefined,
    firstVerdict,
    false,
    sendCancel,
  );
}

function onRejected(state: AccountState, event: OrderRejected): ApplyResult {
  const order = resolve(state, event);
  if (order === undefined) return unknownOrder(event);
  const previous = order.status;
  if (isTerminal(previous)) return ignored(`reject of ${previous} order`, order);
  if (!transition(state, order, 'REJECTED', event.type, event.time))
    return illegal(order, 'REJECTED');
  order.reason = `${event.code}: ${event.message}`;
  const firstVerdict = answer(order);
  return applied(
    order,
    'rejected',
    previous,
    undefined,
    undefined,
    firstVerdict,
    previous === 'PENDING_CANCEL',
  );
}

function validFill(event: OrderFilled): string | undefined {
  const fill = event.fill;
  if (fill === undefined || fill === null) return 'missing fill';
  if (typeof fill.tradeId !== 'string' || fill.tradeId.length === 0) return 'fill without tradeId';
  if (fill.instrument === undefined || fill.instrument.exchange !== event.exchange)
    return 'fill for another exchange';
  if (fill.side !== 'BUY' && fill.side !== 'SELL') return `fill side ${String(fill.side)}`;
  if (!(fill.quantity > 0) || !Number.isFinite(fill.quantity))
    return `fill quantity ${fill.quantity}`;
  if (!(fill.price > 0) || !Number.isFinite(fill.price)) return `fill price ${fill.price}`;
  if (fill.fee !== undefined && !Number.isFinite(fill.fee)) return `fill fee ${fill.fee}`;
  return undefined;
}

/** The average price of fills worth `notional` in all: exact, not rounded to the tick (display may round) */
function averagePrice(instrument: Instrument, notional: number, quantity: number): number {
  return quotient(notional, MONEY_DECIMALS, quantity, instrument.sizeDecimals);
}

function onFilled(state: AccountState, event: OrderFilled): ApplyResult {
  const invalid = validFill(event);
  if (invalid !== undefined) return refused(`invalid fill: ${invalid}`);
  const report = event.fill;
  const instrument = report.instrument;
  const order =
    resolve(state, event) ??
    resolve(state, { clientId: report.clientId, venueOrderId: report.venueOrderId });
  const seen = state.seen.members(instrument.symbol);
  if (!state.seen.claim(seen, report.tradeId)) {
    state.counters.duplicateFills += 1;
    return ignored(`duplicate fill ${report.tradeId}`, order);
  }

  const quantity = snapSize(instrument, report.quantity);
  // Judged by the fills booked: a status report may have told of this very fill already
  if (
    order !== undefined &&
    state.limits.allowOverfills !== true &&
    (order.booked?.quantity ?? 0) + quantity > order.quantity + instrument.lotSize / 2
  ) {
    state.counters.overfills += 1;
    state.seen.release(seen, report.tradeId);
    return refused(
      `overfill: fill ${report.tradeId} of ${quantity} on order ${order.clientId} filled ${order.booked?.quantity ?? 0} of ${order.quantity}`,
      order,
    );
  }
  state.seen.remember(seen, report.tradeId);
  const price = snapPrice(instrument, report.price);
  const hasVenueFee = report.fee !== undefined;
  const fill: Fill = {
    tradeId: report.tradeId,
    clientId: order?.clientId ?? report.clientId,
    venueOrderId: order?.venueOrderId ?? report.venueOrderId ?? event.venueOrderId,
    instrument,
    side: report.side,
    quantity,
    price,
    fee: hasVenueFee
      ? money(report.fee ?? 0)
      : scheduleFee(instrument, quantity, price, report.liquidity),
    feeCurrency: (hasVenueFee ? report.feeCurrency : undefined) ?? accountingCurrency(instrument),
    liquidity: report.liquidity,
    time: report.time,
    positionSide: order?.positionSide ?? report.positionSide,
  };
  const position = bookFill(state, fill);

  if (order === undefined) {
    state.counters.unmatchedFills += 1;
    return applied(undefined, undefined, undefined, fill, position);
  }
  setVenueId(state, order, fill.venueOrderId);
  const previous = order.status;
  const firstVerdict = answer(order);
  const booked = order.booked;
  const bookedQuantity = snapSize(instrument, (booked?.quantity ?? 0) + quantity);
  const filledNotional = money((booked?.notional ?? 0) + quantity * price);
  if (booked === undefined) order.booked = { quantity: bookedQuantity, notional: filledNotional };
  else {
    booked.quantity = bookedQuantity;
    booked.notional = filledNotional;
  }
  if (bookedQuantity > order.quantity) state.counters.overfills += 1;
  // A status report that ran ahead of the fills keeps its figures until the fills catch up
  if (bookedQuantity >= order.filledQuantity) {
    order.filledQuantity = bookedQuantity;
    order.averageFillPrice = averagePrice(instrument, filledNotional, bookedQuantity);
  }
  order.updatedAt = event.time;
  const complete = order.filledQuantity >= order.quantity;
  const sendCancel = !complete && releaseDeferredCancel(order);
  let target: OrderStatus = previous;
  if (complete) target = 'FILLED';
  else if (previous === 'PENDING' || previous === 'OPEN' || previous === 'LOST')
    target = 'PARTIALLY_FILLED';
  else if (previous === 'PENDING_CANCEL' && beforeCancel(order) !== undefined)
    setBeforeCancel(order, 'PARTIALLY_FILLED');
  // The fill books whatever the table says (the position is real); only the status is judged,
  // and an illegal change (a fill on a REJECTED order) is refused and counted
  const legal = transition(state, order, target, event.type, event.time);
  if (legal && previous === 'LOST' && target !== 'LOST')
    order.reason = revivedReason('filled', order.reason);
  const change: OrderChange | undefined = !legal
    ? undefined
    : order.status === 'FILLED'
      ? 'filled'
      : 'partiallyFilled';
  return applied(
    order,
    change,
    previous,
    fill,
    position,
    firstVerdict,
    complete && previous === 'PENDING_CANCEL',
    sendCancel,
  );
}

function onClosed(state: AccountState, event: OrderCanceled | OrderExpired): ApplyResult {
  const order = resolve(state, event);
  if (order === undefined) return unknownOrder(event);
  const previous = order.status;
  const to: OrderStatus = event.type === 'orderCanceled' ? 'CANCELED' : 'EXPIRED';
  setVenueId(state, order, event.venueOrderId);
  if (isTerminal(previous) && previous !== 'LOST')
    return ignored((event.type === 'orderCanceled' ? CANCELED_OF : EXPIRED_OF)[previous], order);
  if (!transition(state, order, to, event.type, event.time)) return illegal(order, to);
  if (event.type === 'orderCanceled' && event.reason !== undefined) order.reason = event.reason;
  const firstVerdict = answer(order);
  return applied(
    order,
    to === 'CANCELED' ? 'canceled' : 'expired',
    previous,
    undefined,
    undefined,
    firstVerdict,
    previous === 'PENDING_CANCEL',
  );
}

function onCancelRejected(state: AccountState, event: CancelRejected): ApplyResult {
  const order = resolve(state, event);
  if (order === undefined) return unknownOrder(event);
  const previous = order.status;
  if (previous !== 'PENDING_CANCEL') return ignored(`cancel reject of ${previous} order`, order);
  const back = beforeCancel(order) ?? (order.answered ? 'OPEN' : 'PENDING');
  if (!transition(state, order, back, event.type, event.time)) return illegal(order, back);
  setBeforeCancel(order, undefined);
  setCancelDeferred(order, false);
  return applied(order, 'cancelRejected', previous, undefined, undefined, false, true);
}

/** Why an order given up as LOST is live (or filled) again, keeping why it was given up */
function revivedReason(how: 'accepted' | 'filled', lostBecause: string | undefined): string {
  return `revived: ${how} by the venue after it was declared LOST${lostBecause === undefined ? '' : ` (${lostBecause})`}`;
}

function onLost(state: AccountState, event: OrderLost): ApplyResult {
  const order = current(state, event.clientId);
  if (order === undefined) return unknownOrder(event);
  const previous = order.status;
  if (isTerminal(previous)) return ignored(`loss of ${previous} order`, order);
  if (!transition(state, order, 'LOST', event.type, event.time)) return illegal(order, 'LOST');
  order.reason = event.reason;
  return applied(
    order,
    'lost',
    previous,
    undefined,
    undefined,
    answer(order),
    previous === 'PENDING_CANCEL',
  );
}

function onAmended(state: AccountState, event: OrderAmended): ApplyResult {
  const order = resolve(state, event);
  if (order === undefined) return unknownOrder(event);
  if (isTerminal(order.status)) return ignored(`amend of ${order.status} order`, order);
  setVenueId(state, order, event.newVenueOrderId ?? event.venueOrderId);
  if (event.price !== undefined) order.price = snapPrice(order.instrument, event.price);
  if (event.quantity !== undefined) order.quantity = snapSize(order.instrument, event.quantity);
  order.updatedAt = event.time;
  const previous = order.status;
  if (order.filledQuantity >= order.quantity && order.filledQuantity > 0) {
    transition(state, order, 'FILLED', event.type, event.time);
  }
  return applied(order, 'amended', previous);
}

function balanceOf(state: AccountState, currency: string): MutableBalance {
  let balance = state.balances.get(currency);
  if (balance === undefined) {
    balance = { currency, total: 0, free: 0, locked: 0 };
    state.balances.set(currency, balance);
  }
  return balance;
}

function credit(state: AccountState, currency: string, amount: number): void {
  if (amount === 0) return;
  const balance = balanceOf(state, currency);
  balance.total = money(balance.total + amount);
  balance.free = money(balance.free + amount);
}

/** The position of an instrument: its net position, or one leg on a hedge-mode account */
function positionOf(
  state: AccountState,
  instrument: Instrument,
  side?: PositionSide,
): MutablePosition {
  const key = positionKey(instrument.symbol, side);
  let position = state.positions.get(key);
  if (position === undefined) {
    position = createPosition(instrument, side);
    state.positions.set(key, position);
    if (side !== undefined) state.hedged = true;
  }
  return position;
}

/** Books a fill into the position, the balances and the fee totals */
function bookFill(state: AccountState, fill: Fill): Position {
  const instrument = fill.instrument;
  const position = positionOf(state, instrument, fill.positionSide);
  const realized = bookExecution(position, fill.side, fill.quantity, fill.price, fill.time);
  const feeCurrency = fill.feeCurrency;
  const fees = state.fees.get(feeCurrency);
  if (fees === undefined) state.fees.set(feeCurrency, { total: money(fill.fee) });
  else fees.total = money(fees.total + fill.fee);
  const settle = accountingCurrency(instrument);
  if (feeCurrency === settle) position.commissions = money(position.commissions + fill.fee);
  else if (feeCurrency === instrument.base)
    position.commissions = money(position.commissions + fill.fee * fill.price);

  if (isDerivative(instrument)) {
    credit(state, settle, realized);
  } else {
    const notional = fill.quantity * fill.price;
    const direction = fill.side === 'BUY' ? 1 : -1;
    credit(state, instrument.base, direction * fill.quantity);
    credit(state, instrument.quote, -direction * notional);
  }
  credit(state, feeCurrency, -fill.fee);
  return position;
}

/** What every applied balance snapshot returns: it names no order (one object, not one per snapshot) */
const BALANCES_APPLIED: Applied = Object.freeze(applied(undefined, undefined, undefined));

function onBalances(state: AccountState, event: BalanceUpdated): ApplyResult {
  for (const reported of event.balances) {
    if (
      !Number.isFinite(reported.total) ||
      !Number.isFinite(reported.free) ||
      !Number.isFinite(reported.locked)
    ) {
      return refused(`invalid balance for ${reported.currency}`);
    }
  }
  for (const reported of event.balances) {
    const balance = balanceOf(state, reported.currency);
    balance.total = money(reported.total);
    balance.free = money(reported.free);
    balance.locked = money(reported.locked);
  }
  return BALANCES_APPLIED;
}

function onFunding(state: AccountState, event: FundingPaid): ApplyResult {
  if (!Number.isFinite(event.amount)) return refused(`invalid funding amount ${event.amount}`);
  const scope = `funding:${event.instrument.symbol}`;
  if (state.seen.has(scope, event.fundingId))
    return ignored(`duplicate funding ${event.fundingId}`);
  state.seen.add(scope, event.fundingId);
  const position = positionOf(state, event.instrument);
  position.funding = money(position.funding + event.amount);
  position.updatedAt = event.time;
  credit(state, accountingCurrency(event.instrument), event.amount);
  return applied(undefined, undefined, undefined, undefined, position);
}

function onStatusReported(state: AccountState, event: OrderStatusReported): ApplyResult {
  const order = resolve(state, event);
  if (order === undefined) return unknownOrder(event);
  if (!Number.isFinite(event.filledQuantity) || event.filledQuantity < 0) {
    return refused(`invalid filled quantity ${event.filledQuantity}`, order);
  }
  for (const [name, value] of [
    ['quantity', event.quantity],
    ['price', event.price],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0))
      return refused(`invalid ${name} ${value}`, order);
  }
  const instrument = order.instrument;
  const filled = snapSize(instrument, event.filledQuantity);
  const previous = order.status;
  let target: OrderStatus;
  switch (event.status) {
    case 'OPEN':
      target = Math.max(filled, order.filledQuantity) > 0 ? 'PARTIALLY_FILLED' : 'OPEN';
      break;
    case 'PARTIALLY_FILLED':
      target = 'PARTIALLY_FILLED';
      break;
    default:
      target = event.status;
  }
  // A live order reported still live keeps a pending cancel; anything the table refuses is
  // refused before anything changes
  if (previous === 'PENDING_CANCEL' && !isTerminal(target)) target = previous;
  if (previous !== target && !canTransition(previous, target)) {
    state.counters.illegalTransitions += 1;
    return illegal(order, target);
  }
  setVenueId(state, order, event.venueOrderId);
  // The venue's total quantity and limit price win (an amend whose answer was lost)
  const quantity = event.quantity === undefined ? undefined : snapSize(instrument, event.quantity);
  const price = event.price === undefined ? undefined : snapPrice(instrument, event.price);
  let amended = false;
  if (quantity !== undefined && quantity !== order.quantity) {
    order.quantity = quantity;
    amended = true;
  }
  if (price !== undefined && order.price !== undefined && price !== order.price) {
    order.price = price;
    amended = true;
  }
  if (amended) order.updatedAt = event.time;
  if (filled > order.filledQuantity) {
    // Fills we never saw: the quantity and average follow the venue until the fills themselves
    // book (by trade id, from the stream or a snapshot); positions sync separately
    if (event.averagePrice !== undefined && event.averagePrice > 0)
      order.averageFillPrice = event.averagePrice;
    order.filledQuantity = filled;
  }
  const firstVerdict = answer(order);
  if (previous === target) {
    if (amended) return applied(order, 'amended', previous, undefined, undefined, firstVerdict);
    return firstVerdict
      ? applied(order, 'accepted', previous, undefined, undefined, true)
      : ignored(`status ${target} already known`, order);
  }
  if (!transition(state, order, target, event.type, event.time)) return illegal(order, target);
  if (isTerminal(previous) && !isTerminal(target)) {
    // Held terminal, listed live by the venue when asked: reinstated through the table's row
    order.reason = `reinstated: ${previous} here, ${event.status} at the venue when asked`;
    setBeforeCancel(order, undefined);
    return applied(order, 'reinstated', previous, undefined, undefined, firstVerdict);
  }
  const change: OrderChange =
    target === 'FILLED'
      ? 'filled'
      : target === 'PARTIALLY_FILLED'
        ? 'partiallyFilled'
        : target === 'OPEN'
          ? 'accepted'
          : target === 'CANCELED'
            ? 'canceled'
            : target === 'EXPIRED'
              ? 'expired'
              : 'rejected';
  return applied(
    order,
    change,
    previous,
    undefined,
    undefined,
    firstVerdict,
    isTerminal(target) && previous === 'PENDING_CANCEL',
  );
}

function onPositionSynced(state: AccountState, event: PositionSynced): ApplyResult {
  if (
    !Number.isFinite(event.quantity) ||
    !Number.isFinite(event.averagePrice) ||
    event.averagePrice < 0
  ) {
    return refused(`invalid position for ${event.instrument.symbol}`);
  }
  const position = positionOf(state, event.instrument, event.positionSide);
  const quantity = snapSize(event.instrument, event.quantity);
  if (
    position.quantity === quantity &&
    (quantity === 0 || position.averagePrice === event.averagePrice)
  ) {
    return ignored('position already matches the venue');
  }
  syncPosition(position, quantity, event.averagePrice, event.time);
  return applied(undefined, undefined, undefined, undefined, position);
}

function onRecovered(state: AccountState, event: OrderRecovered): ApplyResult {
  const order = current(state, event.clientId);
  if (order === undefined) return unknownOrder(event);
  if (order.origin === 'RECOVERED') return ignored('already recovered', order);
  order.origin = 'RECOVERED';
  return applied(order, 'recovered', order.status);
}

/** Marks the instrument's position (or both legs) at a price (unrealized PnL); no-op without one */
export function markPrice(state: AccountState, instrument: Instrument, price: number): void {
  const position = state.positions.get(instrument.symbol);
  if (position !== undefined && position.markPrice !== price) markPosition(position, price);
  if (!state.hedged) return;
  for (const side of POSITION_SIDES) {
    const leg = state.positions.get(positionKey(instrument.symbol, side));
    if (leg !== undefined && leg.markPrice !== price) markPosition(leg, price);
  }
}

/**
 * Moves terminal orders whose grace window has ended by `now` into the bounded history and
 * forgets their indexes; an order pushed out of the history is forgotten altogether. Returns how
 * many moved. Cost is proportional to what moves.
 */
export function evictTerminal(state: AccountState, now: number): number {
  const cutoff = now - state.limits.graceMs;
  if (cutoff > state.graceCutoff) state.graceCutoff = cutoff;
  let moved = 0;
  const queue = state.terminalQueue;
  while (state.terminalHead < queue.length) {
    const order = queue[state.terminalHead];
    // A hole: the order was revived while it waited
    if (order === undefined) {
      state.terminalHead += 1;
      continue;
    }
    if (order.terminalAt > cutoff) break;
    // The slot lets go of the order at once: a slot left behind the head would keep a finished
    // order reachable (and surviving scavenges) until the queue is next moved down
    queue[state.terminalHead] = undefined;
    state.terminalHead += 1;
    if (
      state.venueIndexed &&
      order.venueOrderId !== undefined &&
      state.byVenueId.get(order.venueOrderId) === order
    ) {
      state.byVenueId.delete(order.venueOrderId);
    }
    if (
      order.correlationKey !== undefined &&
      state.byCorrelationKey.get(order.correlationKey) === order
    ) {
      state.byCorrelationKey.delete(order.correlationKey);
    }
    // Only here does an order leave the map, and no two orders share a clientId
    const dropped = state.history.push(order);
    if (dropped !== undefined) state.orders.delete(dropped.clientId);
    moved += 1;
  }
  if (state.terminalHead > 1024 && state.terminalHead * 2 > queue.length) {
    // Moved down in place: a splice would return the dropped entries as a new array
    queue.copyWithin(0, state.terminalHead);
    queue.length -= state.terminalHead;
    state.terminalHead = 0;
  }
  if (state.live.length > 2 * state.liveCompacted + 1024) compactLive(state);
  return moved;
}

/** Drops the finished orders from the live list, in place */
function compactLive(state: AccountState): void {
  const live = state.live;
  let kept = 0;
  for (let i = 0; i < live.length; i++) {
    const order = live[i] as OrderRecord;
    if (!isTerminal(order.status)) live[kept++] = order;
  }
  live.length = kept;
  state.liveCompacted = kept;
}

/** The live orders (not terminal), in the order they were tracked */
export function liveOrders(state: AccountState): readonly TrackedOrder[] {
  compactLive(state);
  return state.live;
}

/** An order by clientId: live, in its grace window, or in the history */
export function findOrder(state: AccountState, clientId: string): TrackedOrder | undefined {
  return state.orders.get(clientId);
}
