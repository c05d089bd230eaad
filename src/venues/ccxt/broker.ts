import type { TrackedOrder } from '../../core/account.ts';
import { invalidField, KestrelError } from '../../core/errors.ts';
import type { Instrument, MarketType } from '../../core/instrument.ts';
import type { Quote } from '../../core/market-data.ts';
import type { Order, OrderRequest, OrderType } from '../../core/order.ts';
import type { Broker, BrokerCapabilities, OrderAmendment, VenueSink } from '../../engine/broker.ts';
import type { Clock } from '../../engine/clock.ts';
import type { Logger } from '../../engine/logger.ts';
import { CcxtAccountStream } from './account-stream.ts';
import { batchEntryError } from './errors.ts';
import {
  orderArguments,
  REFERENCE_PRICE_OPTION,
  WIRE_ID_OPTION,
  wireIdOf,
} from './order-arguments.ts';
import { CcxtOrderRegistry } from './order-registry.ts';
import type { VenueProfile } from './profile.ts';
import { CcxtReconciliation } from './reconciliation.ts';
import type { CcxtRestClient } from './rest-client.ts';
import { rejectedEntrySchema } from './schemas.ts';

export interface CcxtBrokerOptions {
  /** The exchange name instruments and events carry */
  readonly name: string;
  readonly rest: CcxtRestClient;
  readonly clock: Clock;
  readonly logger: Logger;
  /** A PENDING order the venue does not know this long after it was asked for is LOST, ms */
  readonly lostAfterMs: number;
  /** First targeted status query after an ambiguous send or cancel, ms (doubles per retry) */
  readonly statusCheckDelayMs: number;
  /** How long a stream order update may run ahead of its fills before the fills are fetched, ms */
  readonly fillGapDelayMs?: number;
  /** The latest quote of a market, for venues that bound market orders by a price */
  readonly quote?: (symbol: string) => Quote | undefined;
  /** The account's position mode; default one-way */
  readonly positionMode?: 'oneWay' | 'hedge';
}

/**
 * The broker of a ccxt exchange, as its venue profile says. Our clientId goes on the wire in the
 * venue's client-id field, as it is where it fits, else in the profile's deterministic encoding
 * registered as the order's correlation key; cancels and lookups go by that wire id where the
 * venue takes one, so a PENDING order can be canceled. REST answers and stream pushes both become
 * events (the account absorbs the duplicates) through the account stream; ambiguous failures
 * leave the order PENDING and schedule a targeted status query. The broker also holds the
 * account stream and the reconciliation queries, which share its registry of our orders.
 */
export class CcxtBroker implements Broker {
  readonly exchange: string;
  readonly capabilities: BrokerCapabilities;
  readonly profile: VenueProfile;
  readonly registry: CcxtOrderRegistry;
  readonly stream: CcxtAccountStream;
  readonly reconciliation: CcxtReconciliation;
  private readonly rest: CcxtRestClient;
  private readonly logger: Logger;
  private readonly quote: (symbol: string) => Quote | undefined;
  readonly positionMode: 'oneWay' | 'hedge';
  private readonly instruments = new Map<string, Instrument>();
  private sinkRef: VenueSink | undefined;
  private stopped = false;

  constructor(options: CcxtBrokerOptions) {
    this.exchange = options.name;
    this.rest = options.rest;
    this.profile = options.rest.profile;
    this.logger = options.logger;
    this.quote = options.quote ?? (() => undefined);
    this.positionMode = options.positionMode ?? 'oneWay';
    this.registry = new CcxtOrderRegistry(this.profile.clientId.codec);
    const batchSizes = Object.values(this.profile.batch);
    this.capabilities = {
      batch: batchSizes.length > 0,
      maxBatchSize: Math.max(1, ...batchSizes),
      cancelByClientId: this.profile.clientIdParam !== undefined,
      amend: Object.keys(this.profile.amend).length > 0,
    };
    this.stream = new CcxtAccountStream({
      name: options.name,
      rest: options.rest,
      registry: this.registry,
      instruments: this.instruments,
      clock: options.clock,
      logger: options.logger,
      sink: () => this.sinkRef,
      refused: (description, fields) => this.refused(description, fields),
      resendCancel: (clientId) => this.resendCancel(clientId),
      lostAfterMs: options.lostAfterMs,
      statusCheckDelayMs: options.statusCheckDelayMs,
      fillGapDelayMs: options.fillGapDelayMs ?? 1_000,
    });
    this.reconciliation = new CcxtReconciliation({
      name: options.name,
      hedged: this.positionMode === 'hedge',
      rest: options.rest,
      registry: this.registry,
      stream: this.stream,
      instruments: this.instruments,
      clock: options.clock,
    });
  }

  // ---- wiring ----

  connect(sink: VenueSink): void {
    this.sinkRef = sink;
  }

  /**
   * The sink the TradingManager connected.
   * @throws KestrelError INVALID_CONFIG before `connect`
   */
  get sink(): VenueSink {
    if (this.sinkRef === undefined) {
      throw new KestrelError('INVALID_CONFIG', `${this.exchange}: broker used before connect()`);
    }
    return this.sinkRef;
  }

  /** Counts and logs a refused venue payload; before connect() there is only the log */
  refused(description: string, fields?: Readonly<Record<string, unknown>>): void {
    if (this.sinkRef !== undefined) this.sinkRef.refused(description, fields);
    else
      this.logger.warn(`venue input refused: ${description}`, {
        exchange: this.exchange,
        ...fields,
      });
  }

  /** The instruments orders may name (from the venue's markets) */
  setInstruments(instruments: readonly Instrument[]): void {
    this.instruments.clear();
    for (const instrument of instruments) this.instruments.set(instrument.symbol, instrument);
  }

  /** Tells the engine the private stream went up or down (counted by the health monitor) */
  streamStatus(connected: boolean): void {
    this.sinkRef?.streamStatus(connected);
  }

  /** Cancels every timer the broker set; REST calls in flight finish on their own */
  stop(): void {
    this.stopped = true;
    this.stream.stop();
  }

  // ---- Broker ----

  /**
   * Checks what the venue can take and fixes the wire id: our clientId where the venue's field
   * takes it, else the profile's encoding, kept in `options` as the correlation key.
   * @throws KestrelError (nothing is tracked or sent) NOT_SUPPORTED for stop orders where the
   *   profile has none on the market type, or a time in force the venue lacks, UNKNOWN_INSTRUMENT for a market the venue did not list,
   *   INVALID_CLIENT_ID for a clientId the venue's field cannot carry in any encoding
   */
  prepare(request: OrderRequest): void {
    if (isStop(request.orderType)) {
      const stops = this.profile.stops;
      if (stops === undefined || !stops.marketTypes.includes(request.instrument.marketType)) {
        throw invalidField(
          'NOT_SUPPORTED',
          'orderType',
          request.orderType,
          stops === undefined
            ? `is not supported by the ccxt broker on ${this.profile.label}`
            : `is not supported on ${request.instrument.marketType.toLowerCase()} markets of ${this.profile.label} (${stops.marketTypes.map((t) => t.toLowerCase()).join(', ')} only)`,
        );
      }
    }
    if (this.instruments.size > 0 && !this.instruments.has(request.instrument.symbol)) {
      throw invalidField(
        'UNKNOWN_INSTRUMENT',
        'instrument',
        request.instrument.symbol,
        `is not a market of ${this.exchange}`,
      );
    }
    if (!this.profile.timeInForce.includes(request.timeInForce)) {
      throw invalidField(
        'NOT_SUPPORTED',
        'timeInForce',
        request.timeInForce,
        `does not exist on ${this.profile.label} (${this.profile.timeInForce.join(', ')} do)`,
      );
    }
    if (request.reduceOnly && !this.profile.positions.includes(request.instrument.marketType)) {
      throw invalidField(
        'NOT_SUPPORTED',
        'reduceOnly',
        true,
        `does not exist for ${request.instrument.symbol}: ${this.profile.label} keeps no positions on ${request.instrument.marketType.toLowerCase()} markets`,
      );
    }
    this.checkPositionSide(request);
    const { field, codec } = this.profile.clientId;
    const wire = codec.encode(request.clientId);
    if (wire === undefined) {
      throw invalidField(
        'INVALID_CLIENT_ID',
        'clientId',
        request.clientId,
        `cannot be carried by ${this.profile.label}'s ${field} (${codec.format}), as it is or encoded`,
      );
    }
    if (request.orderType === 'MARKET' && this.profile.marketOrderSlippage !== undefined) {
      const quote = this.quote(request.instrument.symbol);
      if (quote === undefined) {
        throw invalidField(
          'PRICE_REQUIRED',
          'price',
          undefined,
          `is needed for a market order on ${request.instrument.symbol}: ${this.profile.label} bounds market orders by a price and there is no quote yet`,
        );
      }
      request.options[REFERENCE_PRICE_OPTION] = request.side === 'BUY' ? quote.ask : quote.bid;
    }
    if (wire !== request.clientId) request.options[WIRE_ID_OPTION] = wire;
    this.stream.noteSymbol(request.instrument.symbol);
    this.registry.addOwn(request.clientId);
  }

  /**
   * An order names a leg exactly when the account is in hedge mode and the market has positions
   * @throws KestrelError INVALID_ARGUMENT when a hedge-mode order names no leg, NOT_SUPPORTED
   *   when one names a leg the account or market cannot have
   */
  private checkPositionSide(request: OrderRequest): void {
    const { instrument, positionSide } = request;
    const legs =
      this.positionMode === 'hedge' && this.profile.positions.includes(instrument.marketType);
    if (positionSide !== undefined && !legs) {
      throw invalidField(
        'NOT_SUPPORTED',
        'positionSide',
        positionSide,
        this.positionMode === 'hedge'
          ? `does not exist for ${instrument.symbol}: ${instrument.marketType.toLowerCase()} markets have no positions`
          : `cannot be taken: the ${this.exchange} account is in one-way position mode (positionMode oneWay)`,
      );
    }
    if (positionSide === undefined && legs) {
      throw invalidField(
        'INVALID_ARGUMENT',
        'positionSide',
        positionSide,
        `is required on the hedge-mode ${this.exchange} account: name the leg (LONG or SHORT) a ${request.side} of ${instrument.symbol} opens or closes`,
      );
    }
  }

  /** The wire id the venue will report the order by, when it is not our clientId itself */
  correlationKey(request: OrderRequest): string | undefined {
    const wire = wireIdOf(request);
    return wire === request.clientId ? undefined : wire;
  }

  /** See CcxtAccountStream.restore */
  restore(orders: readonly TrackedOrder[]): void {
    this.stream.restore(orders);
  }

  private wireIdOfOrder(order: Order): string | undefined {
    return order.origin === 'EXTERNAL'
      ? undefined
      : this.profile.clientId.codec.encode(order.clientId);
  }

  /**
   * Sends one order (createOrder, our wire id as the client order id) and applies the reply.
   * @throws KestrelError a venue verdict or an ambiguous failure (the order stays PENDING and
   *   a status query is scheduled)
   */
  async sendOrder(request: OrderRequest): Promise<Order> {
    const done = this.registry.track([request.clientId]);
    try {
      const raw = await this.rest.createOrder(
        orderArguments(request, this.profile),
        request.clientId,
      );
      this.stream.ingestAnswer(raw, 'create', request.clientId);
    } catch (error) {
      const failure = error as KestrelError;
      if (failure.kind === 'ambiguous') this.stream.scheduleStatusCheck(request.clientId);
      throw failure;
    } finally {
      done();
    }
    return this.current(request.clientId);
  }

  sendOrderAsync(request: OrderRequest): void {
    this.sendOrder(request).catch((error: unknown) => this.sink.submitFailed(request, error));
  }

  /**
   * Sends a batch with createOrders, per market type where the venue batches it (at most its
   * batch size each), one by one elsewhere; the venue's per-order verdicts are matched to the
   * requests by position (ccxt gives a refused entry no id).
   * @throws KestrelError when a batch failed as a whole
   */
  async submitOrders(requests: readonly OrderRequest[]): Promise<readonly Order[]> {
    const groups = new Map<MarketType, OrderRequest[]>();
    for (const request of requests) {
      const type = request.instrument.marketType;
      const group = groups.get(type);
      if (group === undefined) groups.set(type, [request]);
      else group.push(request);
    }
    for (const [type, group] of groups) {
      const size = this.profile.batch[type];
      // Stops go one by one: batch endpoints take ordinary orders only (Binance's batchOrders)
      if (size === undefined || group.length === 1 || group.some((r) => isStop(r.orderType))) {
        for (const request of group) await this.sendOrder(request);
        continue;
      }
      for (let i = 0; i < group.length; i += size) await this.sendBatch(group.slice(i, i + size));
    }
    return requests.map((r) => this.current(r.clientId));
  }

  private async sendBatch(requests: readonly OrderRequest[]): Promise<void> {
    if (requests.length === 1 && requests[0] !== undefined) {
      await this.sendOrder(requests[0]);
      return;
    }
    const clientIds = requests.map((r) => r.clientId);
    const done = this.registry.track(clientIds);
    let raw: unknown;
    try {
      raw = await this.rest.createOrders(
        requests.map((r) => orderArguments(r, this.profile)),
        clientIds,
      );
    } catch (error) {
      const failure = error as KestrelError;
      if (failure.kind === 'ambiguous')
        for (const r of requests) this.stream.scheduleStatusCheck(r.clientId);
      done();
      throw failure;
    }
    done();
    const entries = Array.isArray(raw) ? raw : [];
    if (entries.length !== requests.length) {
      this.logger.error('batch answer does not match the batch; statuses will be queried', {
        exchange: this.exchange,
        sent: requests.length,
        answered: entries.length,
      });
      for (const r of requests) this.stream.scheduleStatusCheck(r.clientId);
      return;
    }
    requests.forEach((request, i) => {
      const entry: unknown = entries[i];
      const refused = rejectedEntrySchema.safeParse(entry);
      if (refused.success) {
        // Through the same table as a single order: an entry without a verdict stays PENDING
        const failure = batchEntryError(
          refused.data.info,
          `createOrders ${request.clientId}`,
          this.profile.errors,
        );
        if (failure.kind === 'ambiguous') this.stream.scheduleStatusCheck(request.clientId);
        this.sink.submitFailed(request, failure);
        return;
      }
      this.stream.ingestAnswer(entry, 'create', request.clientId);
    });
  }

  /**
   * Cancels by our wire id where the venue takes one (the venue id rides along), else by venue
   * id; waits for the order's own submit to be answered first, so a cancel never overtakes the
   * order it cancels.
   * @throws KestrelError a venue verdict (unknown order) or an ambiguous failure
   */
  async cancelOrder(order: Order): Promise<void> {
    await this.registry.sent(order.clientId);
    const awaiting = this.registry.cancelsAwaiting;
    try {
      const raw = await this.rest.cancelOrder(
        {
          symbol: order.instrument.symbol,
          venueId: order.venueOrderId,
          wireId: this.wireIdOfOrder(order),
        },
        order.clientId,
      );
      awaiting.answered(order.clientId);
      this.stream.ingestAnswer(raw, 'cancel', order.clientId);
    } catch (error) {
      const failure = error as KestrelError;
      if (failure.kind === 'ambiguous') {
        awaiting.unanswered(order.clientId);
        this.stream.scheduleStatusCheck(order.clientId);
      } else {
        awaiting.answered(order.clientId);
      }
      throw failure;
    }
  }

  /**
   * Sends again a cancel whose answer never came, now that the venue still lists the order
   * live; a bounded number of times, its failure going through the rejection boundary.
   */
  private resendCancel(clientId: string): void {
    if (this.stopped) return;
    this.registry.cancelsAwaiting.resend(clientId, {
      exchange: this.exchange,
      logger: this.logger,
      sink: this.sink,
      cancel: (order) => this.cancelOrder(order),
    });
  }

  /**
   * Amends price and/or total quantity with editOrder where the profile says the venue can;
   * when the venue gives the order a new id, the venue-id index follows the answer. After an
   * ambiguous failure the order's terms are queried until the venue answers.
   * @throws KestrelError NOT_SUPPORTED where the venue cannot amend this market type (Binance
   *   spot replaces the order: cancel and resubmit), a venue verdict or an ambiguous failure
   */
  async updateOrder(order: Order, amendment: OrderAmendment): Promise<void> {
    const type = order.instrument.marketType;
    if (this.profile.amend[type] === undefined) {
      throw invalidField(
        'NOT_SUPPORTED',
        'instrument',
        order.instrument.symbol,
        `cannot be amended in place on ${this.profile.label}; cancel and resubmit`,
      );
    }
    let raw: unknown;
    try {
      raw = await this.rest.editOrder(
        {
          symbol: order.instrument.symbol,
          venueId: order.venueOrderId,
          wireId: this.wireIdOfOrder(order),
        },
        order,
        amendment.quantity ?? order.quantity,
        amendment.price ?? order.price,
      );
    } catch (error) {
      // The venue may have amended it: its terms are read back until it answers
      if ((error as KestrelError).kind === 'ambiguous') this.stream.checkAmend(order.clientId);
      throw error;
    }
    this.stream.ingestAnswer(raw, 'amend', order.clientId);
  }

  private current(clientId: string): Order {
    const order = this.sink.order(clientId);
    if (order === undefined)
      throw new KestrelError('ORDER_NOT_FOUND', `order ${clientId} is not tracked`);
    return order;
  }
}

function isStop(type: OrderType): boolean {
  return type === 'STOP_MARKET' || type === 'STOP_LIMIT';
}
