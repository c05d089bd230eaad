import { KestrelError } from '../../core/errors.ts';
import type { BalanceUpdated, VenueEvent } from '../../core/events.ts';
import { tradeId, venueOrderId } from '../../core/ids.ts';
import type { MarketEvent } from '../../core/market-data.ts';
import type { Order, OrderRequest, OrderType, Side, TimeInForce } from '../../core/order.ts';
import type { Random } from '../../core/random.ts';
import { createRandom } from '../../core/random.ts';
import { emptyObjectList } from '../../core/tagged-fields.ts';
import type { Broker, BrokerCapabilities, OrderAmendment, VenueSink } from '../../engine/broker.ts';
import type { Clock } from '../../engine/clock.ts';
import type { LatencyModel } from './latency.ts';
import { bufferNormals, createLatencyModel } from './latency.ts';
import type { SimOrderInput, SimReport, SimVenue } from './sim-venue.ts';

export interface SimBrokerOptions {
  readonly venue: SimVenue;
  readonly clock: Clock;
  /** Default: log-normal around 20 ms request, 20 ms reply, 25 ms stream */
  readonly latency?: LatencyModel;
  /** Seeds the latency samples; default 1 */
  readonly seed?: number;
}

/**
 * A one-way FIFO link: messages arrive in the order sent, each after its own latency. Messages
 * wait in the link's own queue behind one clock timer, set for the first of them, so a message
 * costs no closure and no timer of its own.
 */
class Link<M> {
  private last = Number.NEGATIVE_INFINITY;
  private readonly clock: Clock;
  /**
   * Where its messages go: a method of the broker's, called on it (closures made per broker
   * would be new functions to V8 in every run, and the link's code optimized to call the first
   * run's thrown away at the next)
   */
  private readonly owner: SimBroker;
  private readonly deliver: (this: SimBroker, message: M) => void;
  /** A ring of messages in flight and their arrival times: reused, never reallocated per message */
  private arrivals = new Float64Array(16);
  private messages: Array<M | undefined> = new Array(16).fill(undefined);
  private head = 0;
  private size = 0;
  /** Whether a timer is set for the queue's first message (or its messages are being delivered) */
  private armed = false;
  private readonly fire = () => this.arrive();

  constructor(clock: Clock, owner: SimBroker, deliver: (this: SimBroker, message: M) => void) {
    this.clock = clock;
    this.owner = owner;
    this.deliver = deliver;
    // Stored a second time: V8 counts a field stored once as a constant, and six functions
    // compiled relying on it were thrown away when the rings first grew
    this.arrivals = new Float64Array(16);
    this.messages = new Array(16).fill(undefined);
  }

  send(delay: number, message: M): void {
    const now = this.clock.now();
    const arrival = Math.max(now + delay, this.last);
    this.last = arrival;
    if (arrival <= now) {
      this.deliver.call(this.owner, message);
      return;
    }
    if (this.size === this.messages.length) this.grow();
    const at = (this.head + this.size) & (this.messages.length - 1);
    this.arrivals[at] = arrival;
    this.messages[at] = message;
    this.size += 1;
    if (!this.armed) {
      this.armed = true;
      this.wake(arrival - now);
    }
  }

  /**
   * Delivers the first queued message (its timer fired: a real clock's timer may fire a fraction
   * of a millisecond before its time, and the message is due all the same) with every other one
   * due by then or by now, in order, then waits for the next one. Messages sent to arrive together
   * (a balance snapshot riding on a push) are delivered together
   */
  private arrive(): void {
    const now = this.clock.now();
    try {
      const due = Math.max(now, this.arrivals[this.head]!);
      while (this.size > 0 && this.arrivals[this.head]! <= due) {
        const message = this.messages[this.head] as M;
        this.messages[this.head] = undefined;
        this.head = (this.head + 1) & (this.messages.length - 1);
        this.size -= 1;
        this.deliver.call(this.owner, message);
      }
    } finally {
      // Even when a delivery threw, the rest still arrive, each in its time
      this.waitForNext(now);
    }
  }

  private waitForNext(now: number): void {
    if (this.size > 0) this.wake(this.arrivals[this.head]! - now);
    else this.armed = false;
  }

  /** Sets the clock's timer for the queue's first message, one the clock may reuse if it can */
  private wake(delay: number): void {
    if (this.clock.schedule !== undefined) this.clock.schedule(delay, this.fire);
    else this.clock.setTimer(delay, this.fire);
  }

  /** Doubles the ring, its messages in order from the start */
  private grow(): void {
    const capacity = this.messages.length;
    const arrivals = new Float64Array(capacity * 2);
    const messages: Array<M | undefined> = new Array(capacity * 2).fill(undefined);
    for (let i = 0; i < this.size; i++) {
      const from = (this.head + i) & (capacity - 1);
      arrivals[i] = this.arrivals[from]!;
      messages[i] = this.messages[from];
    }
    this.arrivals = arrivals;
    this.messages = messages;
    this.head = 0;
  }
}

type RequestKind = 'submit' | 'batch' | 'cancel' | 'amend';

/**
 * One request's round trip: it travels to the venue, picks up the venue's answer there (as the
 * events its reply will carry, read from the venue's reports at once), and travels back as the
 * reply. One object per request instead of a closure per leg.
 */
class RoundTrip {
  readonly kind: RequestKind;
  readonly requests: readonly OrderRequest[];
  readonly order: Order | undefined;
  readonly amendment: OrderAmendment | undefined;
  /** Settles the caller's promise when the reply arrives; undefined for sendOrderAsync */
  readonly resolve: ((value: never) => void) | undefined;
  readonly reject: ((error: unknown) => void) | undefined;
  /** A submit's verdict (the accept, or the rejection), a cancel's; for a batch, one per request */
  reply: VenueEvent | undefined = undefined;
  replies: Array<VenueEvent | undefined> | undefined = undefined;
  /** Why the venue refused an amend */
  refusal: KestrelError | undefined = undefined;

  constructor(
    kind: RequestKind,
    requests: readonly OrderRequest[],
    order: Order | undefined,
    amendment: OrderAmendment | undefined,
    resolve: ((value: never) => void) | undefined,
    reject: ((error: unknown) => void) | undefined,
  ) {
    this.kind = kind;
    this.requests = requests;
    this.order = order;
    this.amendment = amendment;
    this.resolve = resolve;
    this.reject = reject;
  }
}

const NO_REQUESTS: readonly OrderRequest[] = [];

const NOTHING = (): void => {};

/** The resolve function of the promise made last with `capture` */
let captured: ((value: never) => void) | undefined;

/**
 * A promise executor shared by every request: it hands the new promise's resolve function to
 * `resolved()`, so a request's promise costs no closure of its own (the executor runs at once)
 */
const capture = (resolve: (value: never) => void): void => {
  captured = resolve;
};

/** The resolve function `capture` was handed by the promise just made */
function resolved(): (value: never) => void {
  const resolve = captured!;
  captured = undefined;
  return resolve;
}

/**
 * The order a request asks the venue for, read through from the request: the venue reads it
 * during `submit` and keeps none of it, so one view serves every request (no input object per
 * order). Its fields are getters, so nothing is ever written over a clientId
 */
class RequestInput implements SimOrderInput {
  /** The request being submitted; set just before `submit`, read only during it */
  request: OrderRequest | undefined = undefined;

  get clientId(): string {
    return this.request!.clientId;
  }
  get symbol(): string {
    return this.request!.instrument.symbol;
  }
  get side(): Side {
    return this.request!.side;
  }
  get type(): OrderType {
    return this.request!.orderType;
  }
  get quantity(): number {
    return this.request!.quantity;
  }
  get price(): number | undefined {
    return this.request!.price;
  }
  get stopPrice(): number | undefined {
    return this.request!.stopPrice;
  }
  get timeInForce(): TimeInForce {
    return this.request!.timeInForce;
  }
  get reduceOnly(): boolean | undefined {
    return this.request!.reduceOnly;
  }
}

function venueError(code: string, message: string): KestrelError {
  return new KestrelError('VENUE_REJECTED', message, { venueCode: code });
}

/**
 * The broker of the simulated venue. Requests travel to a SimVenue over a latency model; the
 * venue's replies and stream pushes travel back on separate links, so orders really are PENDING
 * for a while, cancels can overtake acknowledgements, and fills can beat the accept they follow.
 * It cancels by clientId (the sim knows our ids), so a PENDING order can be canceled at once.
 * It reads every venue report as the venue returns it, so its venue need not copy orders into
 * reports (`copyOrders: false`).
 */
export class SimBroker implements Broker {
  readonly exchange: string;
  readonly capabilities: BrokerCapabilities = {
    batch: true,
    maxBatchSize: 20,
    cancelByClientId: true,
    amend: true,
  };
  readonly venue: SimVenue;
  private readonly clock: Clock;
  private readonly latency: LatencyModel;
  private readonly random: Random;
  private readonly upstream: Link<RoundTrip>;
  private readonly replies: Link<RoundTrip>;
  /** Venue pushes, a balance snapshot arriving with the push it rides on */
  private readonly stream: Link<VenueEvent>;
  private sink: VenueSink | undefined;
  /** The venue's balances version last pushed */
  private balancesPushed: number;
  /** The one view of a request the venue reads during `submit` */
  private readonly requestInput = new RequestInput();
  /** A batch's messages before they are pushed, reused; `pushing` while a batch holds it */
  // Made with room for a batch's messages: code optimized while it stored within the list is
  // thrown away when a store grows it (the next run's first batch, with a list grown by stores)
  private readonly scratch: Array<VenueEvent | undefined> = listOfUndefined(16);
  private pushing = false;

  constructor(options: SimBrokerOptions) {
    this.venue = options.venue;
    this.exchange = options.venue.exchange;
    this.clock = options.clock;
    this.latency = options.latency ?? createLatencyModel();
    this.random = bufferNormals(createRandom(options.seed ?? 1));
    this.upstream = new Link(options.clock, this, this.atVenue);
    this.replies = new Link(options.clock, this, this.onReply);
    this.stream = new Link(options.clock, this, this.emit);
    this.balancesPushed = options.venue.balancesVersion;
  }

  /** A pushed event arriving at the engine */
  private emit(event: VenueEvent): void {
    this.out.emit(event);
  }

  connect(sink: VenueSink): void {
    this.sink = sink;
  }

  private get out(): VenueSink {
    if (this.sink === undefined)
      throw new KestrelError('INVALID_CONFIG', 'SimBroker used before connect()');
    return this.sink;
  }

  prepare(_request: OrderRequest): void {}

  /** Feeds market data to the venue; fills it causes are pushed on the stream */
  onMarket(event: MarketEvent): void {
    const now = this.clock.now();
    const reports =
      event.type === 'quote'
        ? this.venue.onQuote(event, now)
        : event.type === 'trade'
          ? this.venue.onTrade(event, now)
          : this.venue.onBook(event, now);
    if (reports.length > 0) this.push(reports);
  }

  /** Lets the venue settle what fell due before a request reaches it (funding), pushing its reports */
  private settleDue(): void {
    const reports = this.venue.advance(this.clock.now());
    if (reports.length > 0) this.push(reports);
  }

  /** The venue's input for a request: the broker's one view, now of this request */
  private input(request: OrderRequest): SimOrderInput {
    this.requestInput.request = request;
    return this.requestInput;
  }

  /** Sends a request to the venue; its reply comes back on the reply link */
  private request(trip: RoundTrip): void {
    this.upstream.send(this.latency.request(this.random), trip);
  }

  /**
   * A request reaching the venue: the venue acts, its pushes go on the stream, the reply goes
   * back. The venue's reports are read here and now (their orders are copies frozen at the report,
   * so reading them later would say the same), and the reply carries the events made of them
   */
  private atVenue(trip: RoundTrip): void {
    this.settleDue();
    const now = this.clock.now();
    switch (trip.kind) {
      case 'submit': {
        const reports = this.venue.submit(this.input(trip.requests[0]!), now);
        const verdict = this.verdict(reports[0]);
        trip.reply = verdict;
        // A lone refused order pushes nothing (its balance snapshot waits for the next push)
        if (reports[0]?.type !== 'rejected') this.push(reports, verdict);
        break;
      }
      case 'batch': {
        // One message per report as ever, and one balance snapshot for the whole batch. The
        // messages wait in the broker's scratch list (unless a delivery of zero latency reentered
        // the broker while it was in use): no list per batch
        const requests = trip.requests;
        const replies: Array<VenueEvent | undefined> = new Array(requests.length);
        const pushed = this.pushing ? [] : this.scratch;
        this.pushing = true;
        let count = 0;
        for (let r = 0; r < requests.length; r++) {
          const reports = this.venue.submit(this.input(requests[r]!), now);
          const verdict = this.verdict(reports[0]);
          replies[r] = verdict;
          if (reports[0]?.type === 'rejected') continue;
          for (let i = 0; i < reports.length; i++)
            pushed[count++] = i === 0 ? verdict : this.toEvent(reports[i]!);
        }
        trip.replies = replies;
        try {
          this.pushEvents(pushed, count);
        } finally {
          if (pushed === this.scratch) {
            // A loop, not fill(): fill is a call into the runtime, dearer than a few stores
            for (let i = 0; i < count; i++) pushed[i] = undefined;
            this.pushing = false;
          }
        }
        break;
      }
      case 'cancel': {
        // The venue's one report (the cancel or its refusal) is the reply, no list of them
        const report = this.venue.cancelReport({ clientId: trip.order!.clientId }, now);
        trip.reply = this.toEvent(report);
        if (report.type !== 'cancelRejected') this.pushReply(trip.reply);
        break;
      }
      case 'amend': {
        const reports = this.venue.amend({ clientId: trip.order!.clientId }, trip.amendment!, now);
        const first = reports[0];
        if (first?.type === 'amendRejected') trip.refusal = venueError(first.code, first.message);
        else this.push(reports);
        break;
      }
    }
    this.replies.send(this.latency.reply(this.random), trip);
  }

  /** The venue's reply arriving: its verdicts applied, then the caller's promise settled */
  private onReply(trip: RoundTrip): void {
    switch (trip.kind) {
      case 'submit': {
        if (trip.reply !== undefined) this.out.emit(trip.reply);
        const resolve = trip.resolve as ((order: Order) => void) | undefined;
        resolve?.(this.out.order(trip.requests[0]!.clientId) as Order);
        break;
      }
      case 'batch': {
        for (const event of trip.replies!) if (event !== undefined) this.out.emit(event);
        const resolve = trip.resolve as (orders: readonly Order[]) => void;
        const requests = trip.requests;
        const orders: Order[] = new Array(requests.length);
        for (let i = 0; i < requests.length; i++)
          orders[i] = this.out.order(requests[i]!.clientId) as Order;
        resolve(orders);
        break;
      }
      case 'cancel': {
        if (trip.reply !== undefined) this.out.emit(trip.reply);
        (trip.resolve as (order: Order) => void)(trip.order!);
        break;
      }
      case 'amend': {
        if (trip.refusal !== undefined) trip.reject?.(trip.refusal);
        else (trip.resolve as () => void)();
        break;
      }
    }
  }

  /**
   * Sends one order; the venue's verdict (accept or reject) is applied before the promise
   * resolves, so a rejection arrives as an OrderRejected event like any other venue message.
   */
  sendOrder(request: OrderRequest): Promise<Order> {
    const promise = new Promise<Order>(capture);
    this.request(new RoundTrip('submit', [request], undefined, undefined, resolved(), undefined));
    return promise;
  }

  /** The venue's reply to a submit, as an event: the accept, or the rejection with its code */
  private verdict(first: SimReport | undefined): VenueEvent | undefined {
    return first === undefined ? undefined : this.toEvent(first);
  }

  sendOrderAsync(request: OrderRequest): void {
    this.request(new RoundTrip('submit', [request], undefined, undefined, undefined, undefined));
  }

  submitOrders(requests: readonly OrderRequest[]): Promise<readonly Order[]> {
    const promise = new Promise<readonly Order[]>(capture);
    this.request(new RoundTrip('batch', requests, undefined, undefined, resolved(), undefined));
    return promise;
  }

  /** Cancels by clientId; a refusal (an unknown or closed order) arrives as a CancelRejected event */
  cancelOrder(order: Order): Promise<void> {
    return this.cancelOrderSettled(order).then(NOTHING);
  }

  /**
   * Cancels as `cancelOrder` does; resolves with the order once the reply has been applied. It
   * never rejects: the venue's refusal is a CancelRejected event, and nothing else can fail
   */
  cancelOrderSettled(order: Order): Promise<Order> {
    const promise = new Promise<Order>(capture);
    this.request(new RoundTrip('cancel', NO_REQUESTS, order, undefined, resolved(), undefined));
    return promise;
  }

  updateOrder(order: Order, amendment: OrderAmendment): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.request(new RoundTrip('amend', NO_REQUESTS, order, amendment, resolve, reject));
    });
  }

  /**
   * Pushes reports on the stream, one message per report, in order; when they moved a balance,
   * the venue's balance snapshot rides on the last message, so the account's free and locked
   * follow the venue ledger. `first`, when given, is the event already made of the first report
   * (the reply's verdict): the reply and the push carry the same event, as they carry the same news
   */
  private push(reports: readonly SimReport[], first?: VenueEvent): void {
    let balances = this.balanceSnapshot();
    const last = reports.length - 1;
    for (let i = 0; i <= last; i++) {
      const event = i === 0 && first !== undefined ? first : this.toEvent(reports[i]!);
      balances = this.pushOne(event, i === last, balances);
    }
    if (balances !== undefined) this.stream.send(this.latency.stream(this.random), balances);
  }

  /** Pushes the event of a request's one report, as `push` does a list of one */
  private pushReply(event: VenueEvent | undefined): void {
    const balances = this.pushOne(event, true, this.balanceSnapshot());
    if (balances !== undefined) this.stream.send(this.latency.stream(this.random), balances);
  }

  /**
   * Pushes the first `count` events made of reports, as `push` does the reports (a report
   * without one: undefined)
   */
  private pushEvents(events: ReadonlyArray<VenueEvent | undefined>, count: number): void {
    let balances = this.balanceSnapshot();
    const last = count - 1;
    for (let i = 0; i <= last; i++) balances = this.pushOne(events[i], i === last, balances);
    if (balances !== undefined) this.stream.send(this.latency.stream(this.random), balances);
  }

  /** Pushes one event, the balance snapshot riding on it if it is the last; the snapshot still to send */
  private pushOne(
    event: VenueEvent | undefined,
    last: boolean,
    balances: BalanceUpdated | undefined,
  ): BalanceUpdated | undefined {
    if (event === undefined) return balances;
    const delay = this.latency.stream(this.random);
    this.stream.send(delay, event);
    if (balances === undefined || !last) return balances;
    // The snapshot rides on the last message: no delay of its own, so it arrives right after it
    // (a link delivers in order, none before the one sent last)
    this.stream.send(0, balances);
    return undefined;
  }

  /** The venue's balances, if they changed since the last snapshot pushed */
  private balanceSnapshot(): BalanceUpdated | undefined {
    const version = this.venue.balancesVersion;
    if (version === this.balancesPushed) return undefined;
    this.balancesPushed = version;
    return {
      type: 'balanceUpdated',
      exchange: this.exchange,
      balances: this.venue.getBalances(),
      time: this.clock.now(),
    };
  }

  /** How a venue report reads as an account event */
  private toEvent(report: SimReport): VenueEvent | undefined {
    const exchange = this.exchange;
    switch (report.type) {
      case 'accepted': {
        const order = report.order;
        const accepted = {
          type: 'orderAccepted',
          exchange,
          clientId: order.clientId as Order['clientId'],
          venueOrderId: venueOrderId(order.orderId),
          time: report.time,
        } as const;
        if (report.reason === undefined) return accepted;
        // The venue's own order (a liquidation) is described, so the account adopts it
        return {
          ...accepted,
          report: {
            instrument: order.instrument,
            side: order.side,
            type: order.type,
            quantity: order.quantity,
            price: order.price,
            timeInForce: order.timeInForce,
            reduceOnly: order.reduceOnly,
            reason: report.reason,
          },
        };
      }
      case 'fill': {
        // Fields spelled out, not spread: a spread in the middle of a literal is a slow copy
        const clientId = report.order.clientId as Order['clientId'];
        const venueId = venueOrderId(report.order.orderId);
        return {
          type: 'orderFilled',
          exchange,
          clientId,
          venueOrderId: venueId,
          fill: {
            tradeId: tradeId(report.tradeId),
            clientId,
            venueOrderId: venueId,
            instrument: report.order.instrument,
            side: report.order.side,
            quantity: report.quantity,
            price: report.price,
            fee: report.fee,
            feeCurrency: report.feeCurrency,
            liquidity: report.liquidity,
            time: report.time,
          },
          time: report.time,
        };
      }
      case 'canceled':
        return {
          type: 'orderCanceled',
          exchange,
          clientId: report.order.clientId as Order['clientId'],
          venueOrderId: venueOrderId(report.order.orderId),
          reason: report.reason,
          time: report.time,
        };
      case 'expired':
        return {
          type: 'orderExpired',
          exchange,
          clientId: report.order.clientId as Order['clientId'],
          venueOrderId: venueOrderId(report.order.orderId),
          time: report.time,
        };
      case 'amended':
        return {
          type: 'orderAmended',
          exchange,
          clientId: report.order.clientId as Order['clientId'],
          venueOrderId: venueOrderId(report.order.orderId),
          price: report.order.price,
          quantity: report.order.quantity,
          time: report.time,
        };
      case 'rejected':
        return {
          type: 'orderRejected',
          exchange,
          clientId: report.clientId as Order['clientId'],
          code: report.code,
          message: report.message,
          time: report.time,
        };
      case 'cancelRejected':
        return {
          type: 'cancelRejected',
          exchange,
          clientId: report.clientId as Order['clientId'] | undefined,
          venueOrderId: report.orderId === undefined ? undefined : venueOrderId(report.orderId),
          code: report.code,
          message: report.message,
          time: report.time,
        };
      case 'funding':
        return {
          type: 'fundingPaid',
          exchange,
          instrument: report.instrument,
          amount: report.amount,
          fundingId: report.fundingId,
          time: report.time,
        };
      case 'triggered':
      case 'amendRejected':
        return undefined;
    }
  }
}

/** A list of `size` empty slots that is a list of objects to V8 (see emptyObjectList) */
function listOfUndefined<T>(size: number): Array<T | undefined> {
  const list = emptyObjectList<T | undefined>();
  for (let i = 0; i < size; i++) list.push(undefined);
  return list;
}
