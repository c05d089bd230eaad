import { KestrelError } from '../../core/errors.ts';
import type { BalanceUpdated, VenueEvent } from '../../core/events.ts';
import { tradeId, venueOrderId } from '../../core/ids.ts';
import type { MarketEvent } from '../../core/market-data.ts';
import type { Order, OrderRequest } from '../../core/order.ts';
import type { Random } from '../../core/random.ts';
import { createRandom } from '../../core/random.ts';
import type { Broker, BrokerCapabilities, OrderAmendment, VenueSink } from '../../engine/broker.ts';
import type { Clock } from '../../engine/clock.ts';
import type { LatencyModel } from './latency.ts';
import { createLatencyModel } from './latency.ts';
import type { SimOrderInput, SimReport, SimVenue } from './sim-venue.ts';

export interface SimBrokerOptions {
  readonly venue: SimVenue;
  readonly clock: Clock;
  /** Default: log-normal around 20 ms request, 20 ms reply, 25 ms stream */
  readonly latency?: LatencyModel;
  /** Seeds the latency samples; default 1 */
  readonly seed?: number;
}

/** A one-way FIFO link: messages arrive in the order sent, each after its own latency */
class Link {
  private last = Number.NEGATIVE_INFINITY;
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  send(delay: number, deliver: () => void): void {
    const now = this.clock.now();
    const arrival = Math.max(now + delay, this.last);
    this.last = arrival;
    if (arrival <= now) deliver();
    else this.clock.setTimer(arrival - now, deliver);
  }
}

function toInput(request: OrderRequest): SimOrderInput {
  return {
    clientId: request.clientId,
    symbol: request.instrument.symbol,
    side: request.side,
    type: request.orderType,
    quantity: request.quantity,
    price: request.price,
    stopPrice: request.stopPrice,
    timeInForce: request.timeInForce,
    reduceOnly: request.reduceOnly,
  };
}

function venueError(code: string, message: string): KestrelError {
  return new KestrelError('VENUE_REJECTED', message, { venueCode: code });
}

/**
 * The broker of the simulated venue. Requests travel to a SimVenue over a latency model; the
 * venue's replies and stream pushes travel back on separate links, so orders really are PENDING
 * for a while, cancels can overtake acknowledgements, and fills can beat the accept they follow.
 * It cancels by clientId (the sim knows our ids), so a PENDING order can be canceled at once.
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
  private readonly upstream: Link;
  private readonly replies: Link;
  private readonly stream: Link;
  private sink: VenueSink | undefined;
  /** The venue's balances version last pushed */
  private balancesPushed: number;

  constructor(options: SimBrokerOptions) {
    this.venue = options.venue;
    this.exchange = options.venue.exchange;
    this.clock = options.clock;
    this.latency = options.latency ?? createLatencyModel();
    this.random = createRandom(options.seed ?? 1);
    this.upstream = new Link(options.clock);
    this.replies = new Link(options.clock);
    this.stream = new Link(options.clock);
    this.balancesPushed = options.venue.balancesVersion;
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

  /** Runs `work` at the venue after the request latency, and `reply` back after the reply latency */
  private roundTrip<T>(work: () => T, reply: (result: T) => void): void {
    this.upstream.send(this.latency.request(this.random), () => {
      const result = work();
      this.replies.send(this.latency.reply(this.random), () => reply(result));
    });
  }

  /**
   * Sends one order; the venue's verdict (accept or reject) is applied before the promise
   * resolves, so a rejection arrives as an OrderRejected event like any other venue message.
   */
  sendOrder(request: OrderRequest): Promise<Order> {
    return new Promise<Order>((resolve) => {
      this.roundTrip(
        () => this.submitNow(request),
        (reports) => {
          this.reply(reports[0]);
          resolve(this.out.order(request.clientId) as Order);
        },
      );
    });
  }

  private submitNow(request: OrderRequest): SimReport[] {
    this.settleDue();
    const reports = this.venue.submit(toInput(request), this.clock.now());
    if (reports[0]?.type !== 'rejected') this.push(reports);
    return reports;
  }

  /** The venue's reply to a submit, as an event: the accept, or the rejection with its code */
  private reply(first: SimReport | undefined): void {
    if (first === undefined) return;
    const event = this.toEvent(first);
    if (event !== undefined) this.out.emit(event);
  }

  sendOrderAsync(request: OrderRequest): void {
    this.roundTrip(
      () => this.submitNow(request),
      (reports) => this.reply(reports[0]),
    );
  }

  submitOrders(requests: readonly OrderRequest[]): Promise<readonly Order[]> {
    return new Promise((resolve) => {
      this.roundTrip(
        () => {
          // One message per report as ever, and one balance snapshot for the whole batch
          this.settleDue();
          const now = this.clock.now();
          const results = requests.map((request) => this.venue.submit(toInput(request), now));
          this.push(results.flatMap((reports) => (reports[0]?.type === 'rejected' ? [] : reports)));
          return results;
        },
        (results) => {
          for (const reports of results) this.reply(reports[0]);
          resolve(requests.map((r) => this.out.order(r.clientId) as Order));
        },
      );
    });
  }

  /** Cancels by clientId; a refusal (an unknown or closed order) arrives as a CancelRejected event */
  cancelOrder(order: Order): Promise<void> {
    return new Promise<void>((resolve) => {
      this.roundTrip(
        () => {
          this.settleDue();
          const reports = this.venue.cancel({ clientId: order.clientId }, this.clock.now());
          if (reports[0]?.type !== 'cancelRejected') this.push(reports);
          return reports;
        },
        (reports) => {
          for (const report of reports) {
            const event = this.toEvent(report);
            if (event !== undefined) this.out.emit(event);
          }
          resolve();
        },
      );
    });
  }

  updateOrder(order: Order, amendment: OrderAmendment): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.roundTrip(
        () => {
          this.settleDue();
          const reports = this.venue.amend(
            { clientId: order.clientId },
            amendment,
            this.clock.now(),
          );
          if (reports[0]?.type !== 'amendRejected') this.push(reports);
          return reports;
        },
        (reports) => {
          const first = reports[0];
          if (first?.type === 'amendRejected') reject(venueError(first.code, first.message));
          else resolve();
        },
      );
    });
  }

  /**
   * Pushes reports on the stream, one message per report, in order; when they moved a balance,
   * the venue's balance snapshot rides on the last message, so the account's free and locked
   * follow the venue ledger
   */
  private push(reports: readonly SimReport[]): void {
    let balances = this.balanceSnapshot();
    for (let i = 0; i < reports.length; i++) {
      const event = this.toEvent(reports[i]!);
      if (event === undefined) continue;
      const delay = this.latency.stream(this.random);
      if (balances !== undefined && i === reports.length - 1) {
        const snapshot = balances;
        balances = undefined;
        this.stream.send(delay, () => {
          this.out.emit(event);
          this.out.emit(snapshot);
        });
      } else {
        this.stream.send(delay, () => this.out.emit(event));
      }
    }
    if (balances !== undefined) {
      const snapshot = balances;
      this.stream.send(this.latency.stream(this.random), () => this.out.emit(snapshot));
    }
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
        const ref = {
          clientId: report.order.clientId as Order['clientId'],
          venueOrderId: venueOrderId(report.order.orderId),
        };
        return {
          type: 'orderFilled',
          exchange,
          ...ref,
          fill: {
            tradeId: tradeId(report.tradeId),
            ...ref,
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
