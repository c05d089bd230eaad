import type { TrackedOrder } from '../../src/core/account.ts';
import { KestrelError } from '../../src/core/errors.ts';
import type { VenueEvent } from '../../src/core/events.ts';
import type { Liquidity } from '../../src/core/fill.ts';
import type { ClientOrderId, VenueOrderId } from '../../src/core/ids.ts';
import { tradeId, venueOrderId } from '../../src/core/ids.ts';
import type { Order, OrderRequest } from '../../src/core/order.ts';
import type {
  Broker,
  BrokerCapabilities,
  OrderAmendment,
  VenueSink,
} from '../../src/engine/broker.ts';

/** What the scripted venue does with a submitted order */
export type Reply =
  /** Emits the accept inside the send, before the send resolves */
  | 'accept'
  /** Emits the accept and a full fill at the limit price (or 100) */
  | 'fill'
  /** Throws a venue verdict */
  | 'reject'
  /** Throws an ambiguous failure (a timeout) */
  | 'timeout'
  /** Says nothing: the test plays the venue */
  | 'silent';

/** One message as it went to the venue */
export type WireMessage =
  | {
      readonly op: 'send';
      readonly clientId: ClientOrderId;
      readonly options: Readonly<Record<string, unknown>>;
    }
  | { readonly op: 'batch'; readonly clientIds: readonly ClientOrderId[] }
  | {
      readonly op: 'cancel';
      readonly clientId: ClientOrderId;
      readonly venueOrderId: VenueOrderId | undefined;
    }
  | { readonly op: 'amend'; readonly clientId: ClientOrderId; readonly amendment: OrderAmendment };

export interface ScriptedBrokerOptions {
  readonly exchange?: string;
  readonly capabilities?: Partial<BrokerCapabilities>;
  /** Decides each submitted order's fate; default: accept */
  readonly reply?: (request: OrderRequest) => Reply;
  /**
   * Behave like a venue that cannot carry our clientId: prepare stores a numeric index in
   * options.testIndex and every event names the order only by that index (and its venue id)
   */
  readonly numericIndexes?: boolean;
  /** Throws this from the next submitOrders call (a batch that fails as a whole) */
  readonly batchFailure?: KestrelError;
}

/**
 * An in-process venue for tests: it records what goes on the wire and answers as scripted, or
 * lets the test play the venue through `emit*` helpers that speak like a real connector.
 */
export class ScriptedBroker implements Broker {
  readonly exchange: string;
  readonly capabilities: BrokerCapabilities;
  readonly wire: WireMessage[] = [];
  private sink: VenueSink | undefined;
  private readonly reply: (request: OrderRequest) => Reply;
  private readonly numericIndexes: boolean;
  private nextIndex = 1;
  private nextVenueId = 1000;
  private nextTrade = 1;
  private batchFailure: KestrelError | undefined;
  private readonly venueIds = new Map<string, VenueOrderId>();

  constructor(options: ScriptedBrokerOptions = {}) {
    this.exchange = options.exchange ?? 'TEST';
    this.capabilities = {
      batch: true,
      maxBatchSize: 5,
      cancelByClientId: true,
      amend: true,
      ...options.capabilities,
    };
    this.reply = options.reply ?? (() => 'accept');
    this.numericIndexes = options.numericIndexes === true;
    this.batchFailure = options.batchFailure;
  }

  connect(sink: VenueSink): void {
    this.sink = sink;
  }

  private get out(): VenueSink {
    if (this.sink === undefined) throw new Error('broker not connected');
    return this.sink;
  }

  prepare(request: OrderRequest): void {
    if (this.numericIndexes) request.options['testIndex'] = this.nextIndex++;
  }

  correlationKey(request: OrderRequest): string | undefined {
    return this.numericIndexes ? String(request.options['testIndex']) : undefined;
  }

  async sendOrder(request: OrderRequest): Promise<Order> {
    this.wire.push({ op: 'send', clientId: request.clientId, options: { ...request.options } });
    this.play(request);
    await Promise.resolve();
    return this.out.order(request.clientId) as Order;
  }

  sendOrderAsync(request: OrderRequest): void {
    this.sendOrder(request).catch((error: unknown) => this.out.submitFailed(request, error));
  }

  async submitOrders(requests: readonly OrderRequest[]): Promise<readonly Order[]> {
    this.wire.push({ op: 'batch', clientIds: requests.map((r) => r.clientId) });
    if (this.batchFailure !== undefined) {
      const failure = this.batchFailure;
      this.batchFailure = undefined;
      throw failure;
    }
    for (const request of requests) {
      try {
        this.play(request);
      } catch (error) {
        this.out.submitFailed(request, error);
      }
    }
    return requests.map((r) => this.out.order(r.clientId) as Order);
  }

  async cancelOrder(order: Order): Promise<void> {
    this.wire.push({ op: 'cancel', clientId: order.clientId, venueOrderId: order.venueOrderId });
  }

  async updateOrder(order: Order, amendment: OrderAmendment): Promise<void> {
    this.wire.push({ op: 'amend', clientId: order.clientId, amendment });
  }

  private play(request: OrderRequest): void {
    const reply = this.reply(request);
    switch (reply) {
      case 'accept':
        this.emitAccepted(request.clientId);
        return;
      case 'fill':
        this.emitAccepted(request.clientId);
        this.emitFill(request.clientId, request.quantity, request.price ?? 100);
        return;
      case 'reject':
        throw new KestrelError('VENUE_REJECTED', 'Margin is insufficient.', { venueCode: '-2019' });
      case 'timeout':
        throw new KestrelError('TIMEOUT', 'request timed out after 10000 ms');
      case 'silent':
        return;
    }
  }

  /** The venue id this venue gave (or will give) an order */
  venueIdOf(clientId: string): VenueOrderId {
    let id = this.venueIds.get(clientId);
    if (id === undefined) {
      id = venueOrderId(String(this.nextVenueId++));
      this.venueIds.set(clientId, id);
    }
    return id;
  }

  /** How this venue names an order in its messages */
  private ref(clientId: string): {
    clientId?: ClientOrderId;
    venueOrderId: VenueOrderId;
    correlationKey?: string;
  } {
    const venueId = this.venueIdOf(clientId);
    if (!this.numericIndexes) return { clientId: clientId as ClientOrderId, venueOrderId: venueId };
    const order = this.out.order(clientId) as TrackedOrder;
    return { venueOrderId: venueId, correlationKey: order.correlationKey as string };
  }

  emit(event: VenueEvent): void {
    this.out.emit(event);
  }

  emitAccepted(clientId: string): void {
    const ref = this.ref(clientId);
    this.emit({ type: 'orderAccepted', exchange: this.exchange, ...ref, time: this.out.now() });
  }

  emitFill(
    clientId: string,
    quantity: number,
    price: number,
    liquidity: Liquidity = 'TAKER',
    id?: string,
  ): void {
    const order = this.out.order(clientId) as TrackedOrder;
    const ref = this.ref(clientId);
    this.emit({
      type: 'orderFilled',
      exchange: this.exchange,
      ...ref,
      fill: {
        tradeId: tradeId(id ?? `t${this.nextTrade++}`),
        ...ref,
        instrument: order.instrument,
        side: order.side,
        quantity,
        price,
        liquidity,
        time: this.out.now(),
      },
      time: this.out.now(),
    });
  }

  emitCanceled(clientId: string): void {
    this.emit({
      type: 'orderCanceled',
      exchange: this.exchange,
      ...this.ref(clientId),
      time: this.out.now(),
    });
  }

  emitRejected(clientId: string, code = 'REJECTED', message = 'rejected by venue'): void {
    this.emit({
      type: 'orderRejected',
      exchange: this.exchange,
      ...this.ref(clientId),
      code,
      message,
      time: this.out.now(),
    });
  }
}
