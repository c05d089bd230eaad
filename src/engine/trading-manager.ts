import { randomBytes } from 'node:crypto';
import type { ApplyResult, TrackedOrder } from '../core/account.ts';
import { describe, invalidField, KestrelError } from '../core/errors.ts';
import type { AccountEvent, VenueEvent } from '../core/events.ts';
import { eventExchange } from '../core/events.ts';
import type { ClientIdGenerator, ClientOrderId } from '../core/ids.ts';
import { clientOrderId, createClientIdGenerator, EXTERNAL_PREFIX } from '../core/ids.ts';
import type { Instrument } from '../core/instrument.ts';
import { roundPricePassive, roundSizeDown } from '../core/instrument.ts';
import type {
  Order,
  OrderRequest,
  OrderType,
  PositionSide,
  Side,
  TimeInForce,
} from '../core/order.ts';
import { isTerminal } from '../core/order.ts';
import { createOrderRequest } from '../core/order-request.ts';
import { emptyObjectList } from '../core/tagged-fields.ts';
import type { AccountView } from './account-processor.ts';
import type { Broker, OrderAmendment, VenueSink } from './broker.ts';
import type { Clock, Timer } from './clock.ts';
import type { HealthMonitor } from './health-monitor.ts';
import type { Logger } from './logger.ts';
import { stderrLogger } from './logger.ts';
import { cancelFailure, submitFailure } from './rejection-boundary.ts';
import type { GateTicket, RiskLimits } from './risk-gate.ts';
import { RiskGate } from './risk-gate.ts';

/** How to trade, beyond instrument, amount and price */
export interface TradeOptions {
  /** Our id for the order; generated when absent. Never changed afterwards */
  readonly clientId?: string;
  /** Default: LIMIT with a price, MARKET without; STOP_* when a stopPrice is given */
  readonly orderType?: OrderType;
  /** Default: GTC for limits, IOC for market orders */
  readonly timeInForce?: TimeInForce;
  /** Shorthand for timeInForce GTX */
  readonly postOnly?: boolean;
  readonly reduceOnly?: boolean;
  readonly stopPrice?: number;
  /**
   * The leg the order opens or closes on a hedge-mode account (a BUY opens LONG and closes
   * SHORT); required there, refused on one-way accounts
   */
  readonly positionSide?: PositionSide;
  /** Venue-specific extras passed through to the broker */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** One order of a batch: a signed amount (positive buys, negative sells) and how */
export interface TradeSpec extends TradeOptions {
  readonly instrument: Instrument;
  readonly amount: number;
  readonly price?: number;
}

export interface TradingManagerOptions {
  readonly brokers: readonly Broker[];
  readonly account: AccountView;
  readonly clock: Clock;
  readonly health?: HealthMonitor;
  readonly logger?: Logger;
  /** Generates clientIds; default: prefix `k`, a random instance tag, a clock-seeded counter */
  readonly ids?: ClientIdGenerator;
  /** How long `trade` waits for the venue's first verdict before resolving with the PENDING order, ms */
  readonly verdictTimeoutMs?: number;
  /**
   * A reference price (last trade, mid) to value market orders for the minimum-notional and
   * maximum-notional checks and to centre the risk gate's price band
   */
  readonly referencePrice?: (instrument: Instrument) => number | undefined;
  /** The pre-trade risk gate's limits; DEFAULT_RISK_LIMITS fill what is left out */
  readonly risk?: RiskLimits;
}

/** The default id generator: a random instance tag and a counter seeded from the clock */
export function createDefaultClientIds(clock: Clock, prefix = 'k'): ClientIdGenerator {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const tag = [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
  return createClientIdGenerator({
    prefix,
    instanceTag: tag,
    counterStart: Math.floor(clock.now()),
  });
}

type VerdictWaiter = () => void;

/** What a request does once the rate limit decided: `clear` when it may go out now */
type ClearGo = (clear: boolean, broker: Broker, request: OrderRequest) => void;

/** `tradeAsync`'s send: one function for every order, not a closure each */
const sendAsync: ClearGo = (clear, broker, request) => {
  if (clear) broker.sendOrderAsync(request);
};

/** How many ids handed out by `nextClientId` are remembered as unused (a strategy asks for a few at a time) */
const FRESH_IDS = 8;

/** A batch whose every order the rate limit let through at once (no array of outcomes) */
const ALL_CLEAR = 'all clear';

/** No send of a batch failed ambiguously */
const NONE_AMBIGUOUS: readonly string[] = Object.freeze([]);

/** No order of the batches being tracked was canceled meanwhile */
const NONE_WITHDRAWN: readonly string[] = Object.freeze([]);

/** A trade without options (one object, not one per call) */
const NO_OPTIONS: TradeOptions = Object.freeze({});

/**
 * Where strategies trade. It turns an intent into an order request (rounded, validated: local
 * refusals throw here, before anything is tracked or sent), lets the venue's broker enrich it,
 * tracks it as PENDING, records the submit for latency, and only then lets the broker send.
 * Venue answers come back through the account's single writer; failed sends go through the
 * rejection boundary.
 */
export class TradingManager {
  private readonly brokers = new Map<string, Broker>();
  private readonly account: AccountView;
  private readonly clock: Clock;
  private readonly health: HealthMonitor | undefined;
  private readonly logger: Logger;
  private readonly ids: ClientIdGenerator;
  private readonly verdictTimeoutMs: number;
  private readonly referencePrice: ((instrument: Instrument) => number | undefined) | undefined;
  private readonly waiters = new Map<string, VerdictWaiter[]>();
  /** The pre-trade risk gate every order passes, on every venue */
  readonly risk: RiskGate;
  /** Tracked but not yet handed to the broker (waiting for the journal or the rate limit) */
  private readonly unsent = new Set<string>();
  /**
   * The batches being tracked right now to go out in this same call (see trackBatch; one, or
   * more when a listener submits a batch meanwhile): unsent too, with no entry in `unsent`
   */
  private readonly tracking: Array<readonly OrderRequest[]> = emptyObjectList();
  /** Orders of those batches canceled while they were tracked (rare: a listener's cancel) */
  private withdrawn: readonly string[] = NONE_WITHDRAWN;
  /** Orders whose verdict was reached here (never sent), until it is applied: not venue answers */
  private readonly decidedHere = new Set<string>();
  /**
   * Whether the account may hold an id the generator could still hand out (one a caller chose,
   * or one from elsewhere): from then on, or when the generator or account cannot tell, every
   * generated id is looked up before it is used
   */
  private idsTaken: boolean;
  /** The id generated last (its own, so never one of the taken ones) */
  private lastIssued: string | undefined;
  /**
   * The id of the request built here (`buildRequest`) that is being tracked: its id was checked
   * there (generated, handed out fresh, or a caller's, which marks the ids taken), so the
   * account's word that it is tracked needs no second look
   */
  private trackingOwn: string | undefined;
  /**
   * The last few ids `nextClientId` handed to callers and nobody has used since: one coming back
   * as a caller's clientId is known valid and unused, with nothing to check or look up
   */
  private readonly fresh: string[] = emptyObjectList();

  constructor(options: TradingManagerOptions) {
    this.account = options.account;
    this.clock = options.clock;
    this.health = options.health;
    this.logger = options.logger ?? stderrLogger;
    this.ids = options.ids ?? createDefaultClientIds(options.clock);
    this.verdictTimeoutMs = options.verdictTimeoutMs ?? 30_000;
    this.referencePrice = options.referencePrice;
    this.risk = new RiskGate(options.risk ?? {}, options.clock, () => this.account.getOrders());
    this.idsTaken =
      this.ids.wouldIssue === undefined ||
      this.account.someClientId === undefined ||
      this.account.someClientId((clientId) => this.wouldIssue(clientId));
    for (const broker of options.brokers) {
      if (this.brokers.has(broker.exchange)) {
        throw invalidField(
          'INVALID_CONFIG',
          'brokers',
          broker.exchange,
          'has two brokers for one exchange',
        );
      }
      this.brokers.set(broker.exchange, broker);
      this.risk.openLane(broker.exchange);
      broker.connect(this.sinkFor(broker.exchange));
    }
    this.account.subscribe((result, event) => this.onApplied(result, event));
    // Followed from here on through onApplied, so the counts are seeded now (see startCounting)
    this.risk.startCounting();
  }

  /** Follows the account's writer: latency and counts, waiting callers, deferred cancels */
  private onApplied(result: ApplyResult, event: AccountEvent): void {
    const order = result.order;
    if (result.outcome !== 'applied') {
      // A verdict reached here and absorbed, or refused: nothing of the venue's
      if (
        order !== undefined &&
        this.decidedHere.size > 0 &&
        this.decidedHere.delete(order.clientId)
      )
        return;
      // A venue event the account could not apply (a fill for an order nobody knows...)
      if (
        result.outcome === 'refused' &&
        event.type !== 'orderRequested' &&
        event.type !== 'cancelRequested'
      )
        this.health?.recordRefusedInput(eventExchange(event));
      return;
    }
    if (order === undefined) return;
    this.risk.onApplied(result);
    const change = result.change;
    const clientId = order.clientId;
    if (
      (change === 'requested' || change === 'adopted' || change === 'recovered') &&
      clientId !== this.trackingOwn
    ) {
      if (!this.idsTaken && clientId !== this.lastIssued && this.wouldIssue(clientId))
        this.idsTaken = true;
      // A handed-out id tracked on the account directly is no longer fresh
      if (change === 'requested' && this.fresh.length > 0) this.takeFresh(clientId);
    }
    if (this.decidedHere.size > 0 && this.decidedHere.delete(clientId)) {
      // Nothing was sent, so no latency, count or cancel belongs to the venue's health
      if (result.firstVerdict) this.release(clientId);
      return;
    }
    if (result.firstVerdict || result.cancelVerdict) {
      const exchange = order.instrument.exchange;
      const now = this.clock.now();
      if (result.firstVerdict) {
        this.health?.recordSubmitResponse(exchange, clientId, change !== 'rejected', now);
        this.release(clientId);
      }
      if (result.cancelVerdict)
        this.health?.recordCancelResponse(exchange, clientId, change !== 'cancelRejected', now);
    }
    if (change === 'lost') this.health?.recordLost(order.instrument.exchange, clientId);
    if (result.sendCancel) this.dispatchCancel(order);
  }

  private sinkFor(exchange: string): VenueSink {
    return new ExchangeSink(exchange, this.account, this.clock, {
      submitFailed: (request, error) => this.onSubmitFailure(request, error),
      cancelFailed: (order, error) => this.onCancelFailure(order, error),
      streamStatus: (connected) => {
        this.health?.recordStreamState(exchange, connected);
        if (!connected) this.logger.info('venue stream disconnected', { exchange });
      },
      correction: (description, fields = {}) => {
        this.health?.recordCorrection(exchange);
        this.logger.warn(`reconciliation: ${description}`, { exchange, ...fields });
      },
      refused: (description, fields = {}) => {
        this.health?.recordRefusedInput(exchange);
        this.logger.warn(`venue input refused: ${description}`, { exchange, ...fields });
      },
    });
  }

  /**
   * The broker of an exchange.
   * @throws KestrelError UNKNOWN_EXCHANGE
   */
  broker(exchange: string): Broker {
    const broker = this.brokers.get(exchange);
    if (broker === undefined) {
      throw new KestrelError(
        'UNKNOWN_EXCHANGE',
        `no broker for exchange ${describe(exchange)} (known: ${[...this.brokers.keys()].join(', ') || 'none'})`,
        { field: 'exchange', value: exchange },
      );
    }
    return broker;
  }

  /**
   * Trades a signed amount (positive buys, negative sells), at a limit price when given, and
   * resolves on the venue's first verdict with the order in that state: OPEN, FILLED, REJECTED...
   * An ambiguous failure (or no verdict within the verdict timeout) resolves with the order
   * still PENDING; the stream or reconciliation will settle it.
   * @throws KestrelError only for local refusals, before anything is tracked or sent
   */
  async trade(
    instrument: Instrument,
    amount: number,
    price?: number,
    options: TradeOptions = NO_OPTIONS,
  ): Promise<Order> {
    const request = this.buildRequest(instrument, amount, price, options);
    const broker = this.brokerOf(request);
    this.track(broker, request);
    const order = await this.send(broker, request);
    return order;
  }

  /**
   * Like `trade` but returns the clientId at once; the order is already tracked as PENDING and
   * its verdict arrives as events.
   * @throws KestrelError only for local refusals, before anything is tracked or sent
   */
  tradeAsync(
    instrument: Instrument,
    amount: number,
    price?: number,
    options: TradeOptions = NO_OPTIONS,
  ): ClientOrderId {
    const request = this.buildRequest(instrument, amount, price, options);
    const broker = this.brokerOf(request);
    this.trackingOwn = request.clientId;
    this.account.processOrderRequest(request, broker.correlationKey?.(request));
    // The common case: no journal to wait for and the rate allows it now. The order goes out in
    // this same call, so it never enters the unsent set (an entry added and deleted per order)
    if (!this.account.journaled && this.risk.admitNow(broker.exchange)) {
      this.health?.recordSubmitRequest(broker.exchange, request.clientId);
      broker.sendOrderAsync(request);
      return request.clientId;
    }
    this.unsent.add(request.clientId);
    if (!this.account.journaled) this.whenClear(broker, request, sendAsync);
    else {
      this.account.durable().then(
        () => this.whenClear(broker, request, sendAsync),
        (error: unknown) => this.onJournalFailure([request], error),
      );
    }
    return request.clientId;
  }

  /**
   * Submits several orders: all are validated first (one refusal refuses the whole batch and
   * nothing is tracked), then all are tracked, then each exchange's share goes out as native
   * batches where the broker has them, else one by one. Resolves with each order after its
   * first verdict, in the order given.
   * @throws KestrelError a local refusal naming the batch index; nothing is tracked or sent
   */
  submitOrders(specs: readonly TradeSpec[]): Promise<Order[]> {
    // Settles as an async function would (a refusal rejects, never throws), without one: no
    // async machinery, Map, Set or spread per call, and a batch that waits for nothing (no
    // journal, the rate allows it) goes out in this same call
    const requests: OrderRequest[] = [];
    try {
      if (!Array.isArray(specs)) {
        throw invalidField('INVALID_ARGUMENT', 'specs', specs, 'must be an array of orders');
      }
      for (let index = 0; index < specs.length; index++)
        requests.push(this.buildBatchEntry(specs[index] as TradeSpec, index, requests));
      for (let index = 1; index < requests.length; index++) {
        const clientId = requests[index]!.clientId;
        for (let before = 0; before < index; before++) {
          if (requests[before]!.clientId === clientId) {
            throw invalidField(
              'DUPLICATE_CLIENT_ID',
              `[${index}].clientId`,
              clientId,
              'appears twice in the batch',
            );
          }
        }
      }
      // The orders as tracked: what the batch resolves with once answered (no lookup per order)
      const orders: TrackedOrder[] = [];
      if (this.account.journaled) {
        for (const request of requests) orders.push(this.track(this.brokerOf(request), request));
        return this.submitWhenDurable(requests, orders);
      }
      return this.clearBatch(requests, orders, this.trackBatch(requests, orders));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Tracks a batch that is cleared in this same call. Its orders are unsent until then, but enter
   * `unsent` only if they have to wait for the rate limit: a Set filled and emptied per batch
   * reallocates its table each time it empties. A listener's cancel of one of them meanwhile
   * withdraws it (see withdrawTracked); returns the ids withdrawn. The tracked orders go into
   * `orders`, in the batch's order.
   */
  private trackBatch(requests: readonly OrderRequest[], orders: TrackedOrder[]): readonly string[] {
    this.tracking.push(requests);
    let tracked = 0;
    try {
      for (; tracked < requests.length; tracked++) {
        const request = requests[tracked]!;
        this.trackingOwn = request.clientId;
        orders.push(
          this.account.processOrderRequest(
            request,
            this.brokerOf(request).correlationKey?.(request),
          ),
        );
      }
      return this.withdrawn;
    } catch (error) {
      // The batch is refused, but what was tracked stays unsent, as `track` leaves it
      for (let index = 0; index < tracked; index++) {
        const clientId = requests[index]!.clientId;
        if (!this.withdrawn.includes(clientId)) this.unsent.add(clientId);
      }
      throw error;
    } finally {
      this.tracking.pop();
      // The outermost batch keeps the list it was handed to clear by
      if (this.tracking.length === 0) this.withdrawn = NONE_WITHDRAWN;
    }
  }

  /** Withdraws an order of a batch being tracked before it goes out; false when not one of them */
  private withdrawTracked(clientId: string): boolean {
    if (this.tracking.length === 0 || this.withdrawn.includes(clientId)) return false;
    for (const batch of this.tracking) {
      for (const request of batch) {
        if (request.clientId !== clientId) continue;
        this.withdrawn = [...this.withdrawn, clientId];
        return true;
      }
    }
    return false;
  }

  /**
   * Builds one order of a batch; earlier orders of the batch count against the open-order and
   * queue limits.
   * @throws KestrelError a local refusal naming the batch index
   */
  private buildBatchEntry(
    spec: TradeSpec,
    index: number,
    earlier: readonly OrderRequest[],
  ): OrderRequest {
    try {
      if (spec === null || typeof spec !== 'object') {
        throw invalidField('INVALID_ARGUMENT', 'spec', spec, 'must be an order object');
      }
      const exchange = String(spec.instrument?.exchange);
      const symbol = spec.instrument?.symbol;
      let sameInstrument = 0;
      let sameExchange = 0;
      for (const request of earlier) {
        if (request.instrument.exchange !== exchange) continue;
        sameExchange += 1;
        if (request.instrument.symbol === symbol) sameInstrument += 1;
      }
      return this.buildRequest(
        spec.instrument,
        spec.amount,
        spec.price,
        spec,
        sameInstrument,
        sameExchange,
      );
    } catch (error) {
      if (error instanceof KestrelError) {
        throw new KestrelError(error.code, `order ${index}: ${error.message}`, {
          ...(error.field === undefined ? {} : { field: `[${index}].${error.field}` }),
          value: error.value,
          ...(error.limit === undefined ? {} : { limit: error.limit }),
          cause: error,
        });
      }
      throw error;
    }
  }

  private async submitWhenDurable(
    requests: readonly OrderRequest[],
    orders: TrackedOrder[],
  ): Promise<Order[]> {
    if (!(await this.whenDurable(requests)))
      return requests.map((request) => this.current(request.clientId));
    return this.clearBatch(requests, orders);
  }

  /**
   * Passes a tracked batch through the rate limit, then sends what it let through; `orders` are
   * the requests' orders as tracked; `withdrawn` for a batch `trackBatch` tracked (its orders
   * are not in `unsent`)
   */
  private clearBatch(
    requests: readonly OrderRequest[],
    orders: TrackedOrder[],
    withdrawn?: readonly string[],
  ): Promise<Order[]> {
    // The usual batch is cleared whole at once: no array of outcomes until one differs
    let clearing: Array<boolean | Promise<boolean>> | undefined;
    let waits = false;
    for (let index = 0; index < requests.length; index++) {
      const request = requests[index]!;
      const broker = this.brokerOf(request);
      const clear =
        withdrawn === undefined
          ? this.clear(broker, request)
          : this.clearTracked(broker, request, withdrawn);
      if (clear !== true && clearing === undefined)
        clearing = new Array<boolean | Promise<boolean>>(index).fill(true);
      if (typeof clear !== 'boolean') waits = true;
      clearing?.push(clear);
    }
    if (clearing === undefined) return this.sendBatch(requests, orders, ALL_CLEAR);
    // Nothing waits when the rate allows the whole batch: it goes out in this same turn
    if (waits)
      return Promise.all(clearing).then((clear) => this.sendBatch(requests, orders, clear));
    return this.sendBatch(requests, orders, clearing as boolean[]);
  }

  /**
   * Sends the cleared orders of a batch, each broker's share together, in the order given
   * (`ALL_CLEAR` when the rate limit let every one through)
   */
  private sendBatch(
    requests: readonly OrderRequest[],
    orders: TrackedOrder[],
    clear: readonly boolean[] | typeof ALL_CLEAR,
  ): Promise<Order[]> {
    // Every order cleared: the batch as given, no copy
    const cleared =
      clear === ALL_CLEAR ? requests : requests.filter((_, index) => clear[index] === true);
    let only: Broker | undefined;
    let mixed = false;
    for (const request of cleared) {
      const broker = this.brokerOf(request);
      if (only === undefined) only = broker;
      else if (broker !== only) mixed = true;
    }
    // The usual batch: one broker's native batch of them all, one promise from the reply to the
    // verdicts (a failed batch goes through the rejection boundary first)
    if (
      !mixed &&
      only !== undefined &&
      only.capabilities.batch &&
      cleared.length > 1 &&
      cleared.length <= Math.max(1, only.capabilities.maxBatchSize)
    ) {
      return only.submitOrders(cleared).then(
        () => this.batchVerdicts(requests, orders, clear, NONE_AMBIGUOUS),
        (error: unknown) =>
          this.batchVerdicts(requests, orders, clear, this.failedSends(cleared, error, [])),
      );
    }
    const ambiguous: string[] = [];
    const failed = (chunk: readonly OrderRequest[], error: unknown): void => {
      this.failedSends(chunk, error, ambiguous);
    };
    const sends: Promise<unknown>[] = [];
    if (!mixed) {
      if (only !== undefined) this.sendGroup(only, cleared, failed, sends);
    } else {
      const groups = new Map<Broker, OrderRequest[]>();
      for (const request of cleared) {
        const broker = this.brokerOf(request);
        const group = groups.get(broker);
        if (group === undefined) groups.set(broker, [request]);
        else group.push(request);
      }
      for (const [broker, group] of groups) this.sendGroup(broker, group, failed, sends);
    }
    return (sends.length === 1 ? sends[0]! : Promise.all(sends)).then(() =>
      this.batchVerdicts(requests, orders, clear, ambiguous),
    );
  }

  /** Sends of a batch that failed, through the rejection boundary; adds the ambiguous ones' ids */
  private failedSends(
    chunk: readonly OrderRequest[],
    error: unknown,
    ambiguous: string[],
  ): string[] {
    for (const request of chunk) {
      if (this.onSubmitFailure(request, error) === 'ambiguous') ambiguous.push(request.clientId);
    }
    return ambiguous;
  }

  /** One broker's share of a batch: native batches of its maximum size where it has them */
  private sendGroup(
    broker: Broker,
    requests: readonly OrderRequest[],
    failed: (chunk: readonly OrderRequest[], error: unknown) => void,
    sends: Promise<unknown>[],
  ): void {
    if (broker.capabilities.batch && requests.length > 1) {
      const size = Math.max(1, broker.capabilities.maxBatchSize);
      for (let i = 0; i < requests.length; i += size) {
        const chunk = i === 0 && requests.length <= size ? requests : requests.slice(i, i + size);
        sends.push(broker.submitOrders(chunk).catch((error: unknown) => failed(chunk, error)));
      }
    } else {
      for (const request of requests) {
        sends.push(broker.sendOrder(request).catch((error: unknown) => failed([request], error)));
      }
    }
  }

  /**
   * A batch's orders once its sends settled. Orders the venue answered already (the reply
   * carries the verdicts) need no waiting; nor do ambiguous ones, or those the risk gate never
   * let through
   */
  private batchVerdicts(
    requests: readonly OrderRequest[],
    orders: TrackedOrder[],
    clear: readonly boolean[] | typeof ALL_CLEAR,
    ambiguous: readonly string[],
  ): Order[] | Promise<Order[]> {
    // The account updates its orders in place: the ones tracked are the ones it holds now
    for (let index = 0; index < orders.length; index++) {
      const order = orders[index]!;
      if (
        !order.answered &&
        (clear === ALL_CLEAR || clear[index]) &&
        !ambiguous.includes(order.clientId)
      )
        return Promise.all(
          requests.map(({ clientId }, i) =>
            ambiguous.includes(clientId) || (clear !== ALL_CLEAR && !clear[i])
              ? this.current(clientId)
              : this.verdict(clientId),
          ),
        );
    }
    return orders;
  }

  /**
   * Cancels an order, PENDING or active. Where the venue can cancel by clientId the cancel goes
   * out at once; otherwise a PENDING order goes PENDING_CANCEL and the cancel is sent the moment
   * its venue id arrives. Resolves with the order after the broker's reply (or at once when
   * deferred); canceling a terminal or already canceling order changes nothing.
   * @throws KestrelError ORDER_NOT_FOUND for an unknown clientId
   */
  cancelOrder(target: string | Order): Promise<Order> {
    // Settles as an async function would (a refusal rejects), through one promise of the reply
    try {
      const order = this.resolveOrder(target);
      if (isTerminal(order.status) || order.status === 'PENDING_CANCEL')
        return Promise.resolve(order);
      if (this.unsent.delete(order.clientId) || this.withdrawTracked(order.clientId)) {
        // Still waiting for the journal or the rate limit: it is never sent
        this.risk.withdraw(order.instrument.exchange, order.clientId);
        this.decideLocally(order.clientId, {
          type: 'orderCanceled',
          exchange: order.instrument.exchange,
          clientId: order.clientId,
          reason: 'canceled before it was sent',
          time: this.clock.now(),
        });
        return Promise.resolve(this.current(order.clientId));
      }
      const broker = this.broker(order.instrument.exchange);
      const sendNow = order.venueOrderId !== undefined || broker.capabilities.cancelByClientId;
      const exchange = order.instrument.exchange;
      this.account.apply({
        type: 'cancelRequested',
        exchange,
        clientId: order.clientId,
        deferred: !sendNow,
        time: this.clock.now(),
      });
      this.health?.recordCancelRequest(exchange, order.clientId);
      if (!sendNow) {
        this.logger.debug('cancel deferred until the venue id arrives', {
          exchange,
          clientId: order.clientId,
        });
        return Promise.resolve(order);
      }
      // A cancel only lowers risk: it goes out even when the journal cannot record its request
      if (this.account.journaled && this.account.journalHealth.state === 'ok')
        return this.cancelWhenDurable(broker, order);
      return this.sendCancel(broker, order);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private async cancelWhenDurable(broker: Broker, order: Order): Promise<Order> {
    await this.account.durable().catch(() => {});
    return this.sendCancel(broker, order);
  }

  /** Cancels every live order, or those of one instrument; resolves with them after the replies */
  async cancelOrders(instrument?: Instrument): Promise<Order[]> {
    const orders = this.account.getOrders(instrument).filter((o) => o.status !== 'PENDING_CANCEL');
    // By clientId, as strategies cancel: `cancelOrder` looks the order up by it either way, and
    // an order object was met first here, at a run's end (a strategy's onStop), after the code
    // was optimized for ids: it was thrown away there and compiled again in the next run
    return Promise.all(orders.map((order) => this.cancelOrder(order.clientId)));
  }

  /**
   * Changes the limit price and/or total quantity of a resting order, where the venue amends in
   * place. The change arrives as an OrderAmended event.
   * @throws KestrelError ORDER_NOT_FOUND, NOT_SUPPORTED, ORDER_NOT_AMENDABLE, INVALID_PRICE,
   *   INVALID_QUANTITY: local refusals; nothing is sent
   */
  async updateOrder(target: string | Order, amendment: OrderAmendment): Promise<Order> {
    const order = this.resolveOrder(target);
    const broker = this.broker(order.instrument.exchange);
    if (!broker.capabilities.amend || broker.updateOrder === undefined) {
      throw new KestrelError(
        'NOT_SUPPORTED',
        `${broker.exchange} cannot amend orders in place; cancel and resubmit`,
        {
          field: 'exchange',
          value: broker.exchange,
        },
      );
    }
    if (order.status !== 'OPEN' && order.status !== 'PARTIALLY_FILLED') {
      throw invalidField(
        'ORDER_NOT_AMENDABLE',
        'status',
        order.status,
        `must be OPEN or PARTIALLY_FILLED to amend ${order.clientId}`,
      );
    }
    const instrument = order.instrument;
    let price: number | undefined;
    if (amendment.price !== undefined) {
      if (!Number.isFinite(amendment.price) || amendment.price <= 0) {
        throw invalidField(
          'INVALID_PRICE',
          'price',
          amendment.price,
          'must be a positive finite number',
        );
      }
      price = roundPricePassive(instrument, amendment.price, order.side);
    }
    let quantity: number | undefined;
    if (amendment.quantity !== undefined) {
      if (!Number.isFinite(amendment.quantity) || amendment.quantity <= 0) {
        throw invalidField(
          'INVALID_QUANTITY',
          'quantity',
          amendment.quantity,
          'must be a positive finite number',
        );
      }
      quantity = roundSizeDown(instrument, amendment.quantity);
      if (quantity <= order.filledQuantity) {
        throw invalidField(
          'INVALID_QUANTITY',
          'quantity',
          amendment.quantity,
          `must exceed the ${order.filledQuantity} already filled (it is the new total)`,
        );
      }
    }
    if (price === undefined && quantity === undefined) {
      throw invalidField(
        'INVALID_ARGUMENT',
        'amendment',
        amendment,
        'must change price or quantity',
      );
    }
    try {
      await broker.updateOrder(order, {
        ...(price === undefined ? {} : { price }),
        ...(quantity === undefined ? {} : { quantity }),
      });
    } catch (error) {
      this.logger.warn('amend failed', {
        exchange: broker.exchange,
        clientId: order.clientId,
        error,
      });
      throw error;
    }
    return order;
  }

  /**
   * Closes a position with a reduce-only market order: the net position, or on a hedge-mode
   * account the leg `options.positionSide` names; undefined when already flat
   */
  async closePosition(
    instrument: Instrument,
    options: TradeOptions = {},
  ): Promise<Order | undefined> {
    const quantity = this.account.getPosition(instrument, options.positionSide).quantity;
    if (quantity === 0) return undefined;
    return this.trade(instrument, -quantity, undefined, { ...options, reduceOnly: true });
  }

  /** Closes every open position (each leg of a hedge-mode account); resolves with the closing orders */
  async closePositions(): Promise<Order[]> {
    const open = this.account.getPositions().filter((p) => p.quantity !== 0);
    const orders = await Promise.all(
      open.map((p) =>
        this.closePosition(p.instrument, p.side === undefined ? {} : { positionSide: p.side }),
      ),
    );
    return orders.filter((o): o is Order => o !== undefined);
  }

  /** The order of a clientId as the account knows it */
  findOrder(clientId: string): TrackedOrder | undefined {
    return this.account.findOrder(clientId);
  }

  /**
   * Generates the next clientId, for callers building their own requests. An id a caller already
   * took for an order of its own is skipped, so the generator never collides with it
   */
  nextClientId(): ClientOrderId {
    const clientId = this.generateClientId();
    if (this.fresh.length >= FRESH_IDS) this.fresh.shift();
    this.fresh.push(clientId);
    return clientId;
  }

  /** The generator's next id that no order has */
  private generateClientId(): ClientOrderId {
    let clientId = this.ids.next();
    // Nobody else took one of the generator's future ids (the usual case): nothing to look up
    if (this.idsTaken) {
      while (this.account.findOrder(clientId) !== undefined) clientId = this.ids.next();
    }
    this.lastIssued = clientId;
    return clientId;
  }

  /** Whether a caller's id is one handed out and unused; it is not fresh any more after this */
  private takeFresh(raw: unknown): boolean {
    const fresh = this.fresh;
    const index = fresh.indexOf(raw as string);
    if (index < 0) return false;
    for (let i = index + 1; i < fresh.length; i++) fresh[i - 1] = fresh[i]!;
    // pop, not `length -= 1`: writing an array's length is a call into the runtime
    fresh.pop();
    return true;
  }

  /** Whether the generator may still hand out an id (true when it cannot tell) */
  private wouldIssue(clientId: string): boolean {
    return this.ids.wouldIssue?.(clientId) ?? true;
  }

  /**
   * A caller's own clientId, checked.
   * @throws KestrelError INVALID_CLIENT_ID for a malformed id or one in the reserved `ext:` namespace
   */
  private callerClientId(raw: string): ClientOrderId {
    const clientId = clientOrderId(raw);
    if (clientId.startsWith(EXTERNAL_PREFIX)) {
      throw invalidField(
        'INVALID_CLIENT_ID',
        'clientId',
        raw,
        `must not start with ${EXTERNAL_PREFIX}: it names orders adopted from the venue`,
      );
    }
    // Taken before it is tracked, so a generated id never meets it even while the writer is busy
    if (!this.idsTaken && this.wouldIssue(clientId)) this.idsTaken = true;
    return clientId;
  }

  private resolveOrder(target: string | Order): TrackedOrder {
    const clientId = typeof target === 'string' ? target : target?.clientId;
    const order = typeof clientId === 'string' ? this.account.findOrder(clientId) : undefined;
    if (order === undefined) {
      throw invalidField('ORDER_NOT_FOUND', 'clientId', clientId, 'is not a known order');
    }
    return order;
  }

  /**
   * Builds, validates and risk-checks an order, then lets its broker enrich it (`brokerOf` names
   * the broker); `sameInstrument` and `sameExchange` count the orders of its batch before it
   */
  private buildRequest(
    instrument: Instrument,
    amount: number,
    price: number | undefined,
    spec: TradeOptions,
    sameInstrument = 0,
    sameExchange = 0,
  ): OrderRequest {
    if (
      instrument === undefined ||
      instrument === null ||
      typeof instrument.exchange !== 'string'
    ) {
      throw invalidField('UNKNOWN_INSTRUMENT', 'instrument', instrument, 'must be an Instrument');
    }
    const broker = this.broker(instrument.exchange);
    const journal = this.account.journalHealth;
    if (journal.state !== 'ok') {
      throw new KestrelError(
        'JOURNAL_FAILED',
        `new orders are refused until the journal can record them: ${journal.error.message}`,
        { field: 'journal', value: journal.state, cause: journal.error },
      );
    }
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount === 0) {
      throw invalidField(
        'INVALID_QUANTITY',
        'amount',
        amount,
        'must be a non-zero finite number (positive buys, negative sells)',
      );
    }
    const side: Side = amount > 0 ? 'BUY' : 'SELL';
    const orderType: OrderType =
      spec.orderType ??
      (spec.stopPrice !== undefined
        ? price === undefined
          ? 'STOP_MARKET'
          : 'STOP_LIMIT'
        : price === undefined
          ? 'MARKET'
          : 'LIMIT');
    const timeInForce: TimeInForce =
      spec.timeInForce ??
      (spec.postOnly === true
        ? 'GTX'
        : orderType === 'MARKET' || orderType === 'STOP_MARKET'
          ? 'IOC'
          : 'GTC');
    if (spec.postOnly === true && timeInForce !== 'GTX') {
      throw invalidField(
        'INVALID_ARGUMENT',
        'timeInForce',
        timeInForce,
        'conflicts with postOnly (GTX)',
      );
    }
    // A generated id is one no order has (generateClientId skips those), as is one handed out
    // by nextClientId and unused since; any other id of a caller's is checked here
    let clientId: ClientOrderId;
    if (spec.clientId === undefined) clientId = this.generateClientId();
    else if (this.takeFresh(spec.clientId)) clientId = spec.clientId as ClientOrderId;
    else {
      clientId = this.callerClientId(spec.clientId);
      if (this.account.findOrder(clientId) !== undefined) {
        throw invalidField('DUPLICATE_CLIENT_ID', 'clientId', clientId, 'is already in use');
      }
    }
    const referencePrice = this.referencePrice?.(instrument);
    const request = createOrderRequest({
      clientId,
      instrument,
      side,
      quantity: Math.abs(amount),
      orderType,
      price,
      stopPrice: spec.stopPrice,
      timeInForce,
      reduceOnly: spec.reduceOnly,
      positionSide: spec.positionSide,
      options: spec.options,
      referencePrice,
    });
    this.risk.check(request, referencePrice, sameInstrument);
    this.risk.checkCapacity(broker.exchange, sameExchange + 1);
    broker.prepare(request);
    return request;
  }

  /** The broker of a request `buildRequest` made (so it exists) */
  private brokerOf(request: OrderRequest): Broker {
    return this.brokers.get(request.instrument.exchange) as Broker;
  }

  private track(broker: Broker, request: OrderRequest): TrackedOrder {
    this.trackingOwn = request.clientId;
    const order = this.account.processOrderRequest(request, broker.correlationKey?.(request));
    this.unsent.add(request.clientId);
    return order;
  }

  /**
   * Passes a tracked request through the risk gate's rate limit: `go(true)` the moment it may be
   * sent (at once when the rate allows), `go(false)` when it was canceled or waited too long
   * first (it is then never sent)
   */
  private whenClear(broker: Broker, request: OrderRequest, go: ClearGo): void {
    const clear = this.clearNow(broker, request);
    if (clear === undefined) this.queueSubmit(broker, request, go);
    else go(clear, broker, request);
  }

  /**
   * The usual case of `whenClear`, decided at once without a ticket or closure: true when the
   * request was sent through (the rate allows it now), false when it was canceled meanwhile,
   * undefined when it has to wait for the rate limit
   */
  private clearNow(broker: Broker, request: OrderRequest): boolean | undefined {
    const clientId = request.clientId;
    if (!this.unsent.has(clientId)) return false;
    if (!this.risk.admitNow(broker.exchange)) return undefined;
    return this.sendCleared(broker, request);
  }

  /** Queues a request the rate limit does not allow now: `go` hears when its turn comes */
  private queueSubmit(broker: Broker, request: OrderRequest, go: ClearGo): void {
    const clientId = request.clientId;
    const ticket: GateTicket = {
      clientId,
      send: () => go(this.sendCleared(broker, request), broker, request),
      refuse: (error) => {
        this.unsent.delete(clientId);
        this.logger.warn('queued submit refused', { exchange: broker.exchange, clientId, error });
        this.decideLocally(clientId, {
          type: 'orderRejected',
          exchange: broker.exchange,
          clientId,
          code: error.code,
          message: error.message,
          time: this.clock.now(),
        });
        go(false, broker, request);
      },
      withdrawn: () => go(false, broker, request),
    };
    this.risk.admit(broker.exchange, ticket);
  }

  /** A request the rate limit let through: recorded as sent (true), unless it was canceled meanwhile */
  private sendCleared(broker: Broker, request: OrderRequest): boolean {
    if (!this.unsent.delete(request.clientId)) return false;
    this.health?.recordSubmitRequest(broker.exchange, request.clientId);
    return true;
  }

  /** `whenClear` as a value: synchronous when decided at once, so a free send is not delayed */
  private clear(broker: Broker, request: OrderRequest): boolean | Promise<boolean> {
    return (
      this.clearNow(broker, request) ??
      new Promise<boolean>((resolve) => this.queueSubmit(broker, request, resolve))
    );
  }

  /** `clear` for an order `trackBatch` tracked: it enters `unsent` only to wait for the rate limit */
  private clearTracked(
    broker: Broker,
    request: OrderRequest,
    withdrawn: readonly string[],
  ): boolean | Promise<boolean> {
    const clientId = request.clientId;
    if (withdrawn.length > 0 && withdrawn.includes(clientId)) return false;
    if (this.risk.admitNow(broker.exchange)) {
      this.health?.recordSubmitRequest(broker.exchange, clientId);
      return true;
    }
    this.unsent.add(clientId);
    return new Promise<boolean>((resolve) => this.queueSubmit(broker, request, resolve));
  }

  /** Applies a verdict reached here, not at the venue (the order was never sent) */
  private decideLocally(clientId: string, event: AccountEvent): void {
    this.decidedHere.add(clientId);
    this.account.apply(event);
  }

  private async send(broker: Broker, request: OrderRequest): Promise<Order> {
    if (this.account.journaled && !(await this.whenDurable([request])))
      return this.current(request.clientId);
    const clear = this.clear(broker, request);
    if (clear !== true && !(await clear)) return this.current(request.clientId);
    try {
      await broker.sendOrder(request);
    } catch (error) {
      if (this.onSubmitFailure(request, error) === 'ambiguous')
        return this.current(request.clientId);
    }
    return this.verdict(request.clientId);
  }

  private current(clientId: string): TrackedOrder {
    const order = this.account.findOrder(clientId);
    if (order === undefined)
      throw new KestrelError('ORDER_NOT_FOUND', `order ${clientId} vanished`);
    return order;
  }

  /** Resolves with the order once the venue has said anything about it, or at the verdict timeout */
  private verdict(clientId: string): Promise<Order> {
    const order = this.current(clientId);
    if (order.answered) return Promise.resolve(order);
    return new Promise<Order>((resolve) => {
      let timer: Timer | undefined;
      const done = () => {
        timer?.cancel();
        resolve(this.current(clientId));
      };
      const list = this.waiters.get(clientId);
      if (list === undefined) this.waiters.set(clientId, [done]);
      else list.push(done);
      timer = this.clock.setTimer(this.verdictTimeoutMs, () => {
        const waiting = this.waiters.get(clientId);
        const i = waiting?.indexOf(done) ?? -1;
        if (waiting !== undefined && i >= 0) waiting.splice(i, 1);
        if (waiting?.length === 0) this.waiters.delete(clientId);
        this.logger.warn('no venue verdict within the timeout; the order stays PENDING', {
          exchange: order.instrument.exchange,
          clientId,
          timeoutMs: this.verdictTimeoutMs,
        });
        resolve(this.current(clientId));
      });
    });
  }

  private release(clientId: string): void {
    if (this.waiters.size === 0) return;
    const waiting = this.waiters.get(clientId);
    if (waiting === undefined) return;
    this.waiters.delete(clientId);
    for (const done of waiting) done();
  }

  /** Waits until the requests are durable; false (and each rejected) when the journal failed */
  private async whenDurable(requests: readonly OrderRequest[]): Promise<boolean> {
    try {
      await this.account.durable();
      return true;
    } catch (error) {
      this.onJournalFailure(requests, error);
      return false;
    }
  }

  /** The journal could not record the intents: they are never sent, so they are rejected locally */
  private onJournalFailure(requests: readonly OrderRequest[], error: unknown): void {
    this.logger.error('journal write failed; the orders are not sent', {
      error,
      count: requests.length,
    });
    for (const request of requests) {
      this.unsent.delete(request.clientId);
      this.decideLocally(request.clientId, {
        type: 'orderRejected',
        exchange: request.instrument.exchange,
        clientId: request.clientId,
        code: 'JOURNAL_FAILED',
        message: `not sent: the journal could not record it (${error instanceof Error ? error.message : String(error)})`,
        time: this.clock.now(),
      });
    }
  }

  private onSubmitFailure(request: OrderRequest, error: unknown): 'local' | 'venue' | 'ambiguous' {
    const exchange = request.instrument.exchange;
    const { kind, event } = submitFailure(request, error, this.clock.now());
    if (event === undefined) {
      this.health?.recordAmbiguous(exchange);
      this.logger.warn('send failed without a verdict; the order stays PENDING', {
        exchange,
        clientId: request.clientId,
        error,
      });
    } else {
      this.logger.info('order rejected', {
        exchange,
        clientId: request.clientId,
        code: event.code,
        reason: event.message,
      });
      this.account.apply(event);
    }
    return kind;
  }

  private onCancelFailure(order: Order, error: unknown): void {
    const exchange = order.instrument.exchange;
    const { event } = cancelFailure(order, error, this.clock.now());
    if (event === undefined) {
      this.logger.warn('cancel failed without a verdict; the order stays PENDING_CANCEL', {
        exchange,
        clientId: order.clientId,
        error,
      });
    } else {
      this.logger.info('cancel rejected', {
        exchange,
        clientId: order.clientId,
        code: event.code,
        reason: event.message,
      });
      this.account.apply(event);
    }
  }

  /**
   * Sends a cancel and resolves with the order after the reply; a failure goes through the
   * rejection boundary (one promise, not an async chain). A broker that settles cancels itself
   * (`cancelOrderSettled`: failures through the sink, the order as the value) hands over its own
   * promise: no second promise, closures or promise job per cancel
   */
  private sendCancel(broker: Broker, order: Order): Promise<Order> {
    try {
      if (broker.cancelOrderSettled !== undefined) return broker.cancelOrderSettled(order);
      return broker.cancelOrder(order).then(
        () => order,
        (error: unknown) => {
          this.onCancelFailure(order, error);
          return order;
        },
      );
    } catch (error) {
      this.onCancelFailure(order, error);
      return Promise.resolve(order);
    }
  }

  /** Sends a cancel that waited for the venue id */
  private dispatchCancel(order: Order): void {
    const broker = this.brokers.get(order.instrument.exchange);
    if (broker === undefined) return;
    this.logger.debug('sending deferred cancel', {
      exchange: broker.exchange,
      clientId: order.clientId,
    });
    void this.sendCancel(broker, order);
  }
}

/** What a venue reports besides its events, handled by the TradingManager */
type SinkReports = Pick<
  VenueSink,
  'submitFailed' | 'cancelFailed' | 'streamStatus' | 'correction' | 'refused'
>;

/**
 * A broker's sink. Its hot methods (every event, every reply) are methods of a class, not
 * closures made per TradingManager: those would be new functions to V8 in every run, and the
 * brokers' code optimized to call the first run's thrown away at the next
 */
class ExchangeSink implements VenueSink {
  readonly exchange: string;
  private readonly account: AccountView;
  private readonly clock: Clock;
  private readonly reports: SinkReports;

  constructor(exchange: string, account: AccountView, clock: Clock, reports: SinkReports) {
    this.exchange = exchange;
    this.account = account;
    this.clock = clock;
    this.reports = reports;
  }

  now(): number {
    return this.clock.now();
  }

  emit(event: VenueEvent): void {
    this.account.apply(event);
  }

  order(clientId: string): TrackedOrder | undefined {
    return this.account.findOrder(clientId);
  }

  openOrders(): TrackedOrder[] {
    return this.account.getOrders().filter((o) => o.instrument.exchange === this.exchange);
  }

  submitFailed(request: OrderRequest, error: unknown): void {
    this.reports.submitFailed(request, error);
  }

  cancelFailed(order: Order, error: unknown): void {
    this.reports.cancelFailed(order, error);
  }

  streamStatus(connected: boolean): void {
    this.reports.streamStatus(connected);
  }

  correction(description: string, fields?: Readonly<Record<string, unknown>>): void {
    this.reports.correction(description, fields);
  }

  refused(description: string, fields?: Readonly<Record<string, unknown>>): void {
    this.reports.refused(description, fields);
  }
}
