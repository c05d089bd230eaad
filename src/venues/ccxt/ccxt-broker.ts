import type { TrackedOrder } from '../../core/account.ts';
import { KestrelError } from '../../core/errors.ts';
import type { FillReport } from '../../core/fill.ts';
import type { ClientOrderId } from '../../core/ids.ts';
import { isClientOrderId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import { snapSize } from '../../core/instrument.ts';
import type { Order, OrderRequest, OrderStatus } from '../../core/order.ts';
import { isTerminal } from '../../core/order.ts';
import type { Broker, BrokerCapabilities, OrderAmendment, VenueSink } from '../../engine/broker.ts';
import type { Clock, Timer } from '../../engine/clock.ts';
import type { Logger } from '../../engine/logger.ts';
import type { VenueOrderState, VenueSnapshot } from '../../engine/venue.ts';
import { isOrderNotFound, toKestrelError } from './errors.ts';
import { clientIdCandidates, fillEvent, orderEvents, toBalances, toFillReport } from './events.ts';
import type { CcxtExchange } from './exchange.ts';
import type { RateGate } from './rate-gate.ts';
import { clientIdHead, toVenueOrderState, toVenuePositions } from './reconciliation.ts';
import type { CcxtOrder, CcxtTrade } from './schemas.ts';
import {
  orderSchema,
  problemOf,
  rejectedEntrySchema,
  tradeSchema,
  venueErrorSchema,
} from './schemas.ts';

export interface CcxtBrokerOptions {
  /** The exchange name instruments and events carry */
  readonly name: string;
  readonly exchange: CcxtExchange;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly redact: (text: string) => string;
  readonly gate: RateGate;
  /** A PENDING order the venue does not know this long after it was asked for is LOST, ms */
  readonly lostAfterMs: number;
  /** First targeted status query after an ambiguous send or cancel, ms (doubles per retry) */
  readonly statusCheckDelayMs: number;
  /** How long a stream order update may run ahead of its fills before the fills are fetched, ms */
  readonly fillGapDelayMs?: number;
  readonly maxBatchSize?: number;
  /** Order and trade ids are positive decimal integers: others are refused as malformed */
  readonly numericIds?: boolean;
}

const VENUE_INTEGER_ID = /^[1-9]\d*$/;

/** One order update as the account stream delivered it */
export interface StreamOrderUpdate {
  readonly clientId: ClientOrderId | undefined;
  readonly venueOrderId: string;
  readonly status: CcxtOrder['status'];
}

/** What a status query learned */
type QueryOutcome = 'found' | 'missing' | 'unknown';

const MAX_STATUS_CHECKS = 8;
const MAX_TRADE_PAGES = 10;
const TRADE_PAGE = 1000;
/** Trades are re-read this far back from the last one seen: clocks differ, dedup absorbs the overlap */
const TRADE_OVERLAP_MS = 5_000;
const ORDER_LOOKUPS_PER_RESYNC = 20;
const VENUE_ID_MEMORY = 50_000;
const BALANCE_DEBOUNCE_MS = 250;
const PER_SYMBOL_OPEN_ORDERS = 5;
/** A snapshot reads the fills of every market when the venue lists at most this many */
const SNAPSHOT_ALL_MARKETS = 20;
/** Binance answers at most seven days of executions per query */
const TRADE_WINDOW_MS = 7 * 86_400_000;
/** After a restart, fills are looked for at most this far back by the resync */
const RESUME_LOOKBACK_MS = 86_400_000;
/** Times a cancel whose answer was lost is sent again while the venue still lists the order */
const MAX_CANCEL_RESENDS = 3;

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * The broker of any ccxt exchange. Our clientId goes on the wire as the venue's client order id
 * and is read back from every answer and push; cancels go by client id where the venue allows
 * (Binance `origClientOrderId`), so a PENDING order can be canceled. REST answers and stream
 * pushes both become events (the account absorbs the duplicates); ambiguous failures leave the
 * order PENDING and schedule a targeted status query, and the resync run after every
 * (re)subscribe settles whatever a gap hid.
 */
export class CcxtBroker implements Broker {
  readonly exchange: string;
  readonly capabilities: BrokerCapabilities;
  private readonly ex: CcxtExchange;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly redact: (text: string) => string;
  private readonly gate: RateGate;
  private readonly lostAfterMs: number;
  private readonly statusCheckDelayMs: number;
  private readonly fillGapDelayMs: number;
  private sink: VenueSink | undefined;
  private readonly instruments = new Map<string, Instrument>();
  private readonly clientByVenueId = new Map<string, ClientOrderId>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly statusChecks = new Map<string, Timer>();
  private readonly fillGaps = new Map<string, Timer>();
  private readonly activeSymbols = new Set<string>();
  private readonly watchedSymbols = new Set<string>();
  private readonly tradeCursor = new Map<string, number>();
  private readonly streamListeners = new Set<(update: StreamOrderUpdate) => void>();
  /** Generator heads of our clientIds (`kab12c-`), so an order of ours nobody journaled is recovered */
  private readonly ownHeads = new Set<string>();
  /** Markets of the live orders a restart restored */
  private readonly restoredSymbols = new Set<string>();
  /** After a restart: fills since then may have been missed while nothing listened */
  private resumeFrom: number | undefined;
  /** Live orders a restart restored, to be confirmed RECOVERED once the venue lists them */
  private readonly restoredLive = new Set<string>();
  /** Cancels asked for whose answer never came (ambiguous, or cut by a restart): resends so far */
  private readonly cancelsAwaiting = new Map<string, number>();
  private resyncing: Promise<void> | undefined;
  private resyncAgain = false;
  private balanceTimer: Timer | undefined;
  private startedAt: number;
  private stopped = false;

  private readonly numericIds: boolean;

  constructor(options: CcxtBrokerOptions) {
    this.exchange = options.name;
    this.ex = options.exchange;
    this.clock = options.clock;
    this.logger = options.logger;
    this.redact = options.redact;
    this.gate = options.gate;
    this.lostAfterMs = options.lostAfterMs;
    this.statusCheckDelayMs = options.statusCheckDelayMs;
    this.fillGapDelayMs = options.fillGapDelayMs ?? 1_000;
    this.numericIds = options.numericIds === true;
    this.startedAt = options.clock.now();
    const binance = options.exchange.id.startsWith('binance');
    this.capabilities = {
      batch: options.exchange.has['createOrders'] === true,
      maxBatchSize: options.maxBatchSize ?? 5,
      // Binance cancels by origClientOrderId; elsewhere a PENDING cancel waits for the venue id
      cancelByClientId: binance,
      amend: options.exchange.has['editOrder'] === true,
    };
  }

  // ---- wiring ----

  connect(sink: VenueSink): void {
    this.sink = sink;
  }

  /** Counts and logs a refused venue payload; before connect() there is only the log */
  refused(description: string, fields?: Readonly<Record<string, unknown>>): void {
    if (this.sink !== undefined) this.sink.refused(description, fields);
    else
      this.logger.warn(`venue input refused: ${description}`, {
        exchange: this.exchange,
        ...fields,
      });
  }

  private get out(): VenueSink {
    if (this.sink === undefined) {
      throw new KestrelError('INVALID_CONFIG', `${this.exchange}: broker used before connect()`);
    }
    return this.sink;
  }

  /** The instruments orders may name (from the venue's markets) */
  setInstruments(instruments: readonly Instrument[]): void {
    this.instruments.clear();
    for (const instrument of instruments) this.instruments.set(instrument.symbol, instrument);
  }

  /** Marks the start of the session (trades before it are not ours to book) and the markets it watches */
  markStart(time: number, symbols: readonly string[] = []): void {
    this.startedAt = time;
    for (const symbol of symbols) if (this.instruments.has(symbol)) this.watchedSymbols.add(symbol);
  }

  /** Hears every order update the account stream delivers (the smoke check waits on these) */
  onStreamOrder(listener: (update: StreamOrderUpdate) => void): () => void {
    this.streamListeners.add(listener);
    return () => this.streamListeners.delete(listener);
  }

  /** Tells the engine the private stream went up or down (counted by the health monitor) */
  streamStatus(connected: boolean): void {
    this.sink?.streamStatus(connected);
  }

  /** Cancels every timer the broker set; REST calls in flight finish on their own */
  stop(): void {
    this.stopped = true;
    for (const timer of this.statusChecks.values()) timer.cancel();
    for (const timer of this.fillGaps.values()) timer.cancel();
    this.statusChecks.clear();
    this.fillGaps.clear();
    this.balanceTimer?.cancel();
    this.balanceTimer = undefined;
  }

  private call<T>(action: string, run: () => Promise<T>): Promise<T> {
    return this.gate.run(run, (error) =>
      toKestrelError(error, {
        action,
        redact: this.redact,
        headers: this.ex.last_response_headers,
      }),
    );
  }

  // ---- Broker ----

  /**
   * Refuses what this broker cannot send (conditional orders go to Binance's separate algo
   * service, which it does not speak) and remembers the market for resyncs.
   * @throws KestrelError NOT_SUPPORTED for stop orders, UNKNOWN_INSTRUMENT for a market the
   *   venue did not list
   */
  prepare(request: OrderRequest): void {
    if (request.orderType === 'STOP_MARKET' || request.orderType === 'STOP_LIMIT') {
      throw new KestrelError(
        'NOT_SUPPORTED',
        `${this.exchange}: ${request.orderType} orders are not supported by the ccxt broker`,
        {
          field: 'orderType',
          value: request.orderType,
        },
      );
    }
    if (this.instruments.size > 0 && !this.instruments.has(request.instrument.symbol)) {
      throw new KestrelError(
        'UNKNOWN_INSTRUMENT',
        `${this.exchange} has no market ${request.instrument.symbol}`,
        {
          field: 'instrument',
          value: request.instrument.symbol,
        },
      );
    }
    this.activeSymbols.add(request.instrument.symbol);
    const head = clientIdHead(request.clientId);
    if (head !== undefined) this.ownHeads.add(head);
  }

  /**
   * Rebuilds what the broker keeps of its own after a restart, from the orders the journal
   * replayed: venue ids → clientIds (Binance executions name the venue id only), the clientId
   * heads that mark an order as ours, the markets of live orders (resynced and snapshotted even
   * when nothing trades them yet), the time from which fills may have been missed, and the
   * cancels whose answer the restart cut off (sent again once the venue lists the order open).
   * Nothing was in flight in the new process: PENDING orders are settled by the first resync,
   * and live orders it finds open at the venue are marked RECOVERED.
   */
  restore(orders: readonly TrackedOrder[]): void {
    let earliestLive = Number.POSITIVE_INFINITY;
    let latest = Number.NEGATIVE_INFINITY;
    for (const order of orders) {
      if (order.instrument.exchange !== this.exchange) continue;
      if (order.venueOrderId !== undefined) this.remember(order.venueOrderId, order.clientId);
      if (order.origin !== 'EXTERNAL') {
        const head = clientIdHead(order.clientId);
        if (head !== undefined) this.ownHeads.add(head);
      }
      if (!isTerminal(order.status)) {
        this.restoredSymbols.add(order.instrument.symbol);
        this.restoredLive.add(order.clientId);
        earliestLive = Math.min(earliestLive, order.createdAt);
        if (order.status === 'PENDING_CANCEL') this.cancelsAwaiting.set(order.clientId, 0);
      }
      latest = Math.max(latest, order.updatedAt);
    }
    const from = Math.min(earliestLive, latest);
    if (Number.isFinite(from))
      this.resumeFrom = Math.max(
        Math.floor(from),
        Math.floor(this.clock.now() - RESUME_LOOKBACK_MS),
      );
  }

  /** Whether a clientId found at the venue is one this account generates */
  private isOwn(clientId: string): boolean {
    const head = clientIdHead(clientId);
    return head !== undefined && this.ownHeads.has(head);
  }

  private orderArguments(request: OrderRequest): {
    readonly symbol: string;
    readonly type: string;
    readonly side: string;
    readonly amount: number;
    readonly price: number | undefined;
    readonly params: Record<string, unknown>;
  } {
    const params: Record<string, unknown> = { clientOrderId: request.clientId };
    if (request.timeInForce === 'GTX') params['postOnly'] = true;
    else if (request.orderType === 'LIMIT') params['timeInForce'] = request.timeInForce;
    if (request.reduceOnly) params['reduceOnly'] = true;
    return {
      symbol: request.instrument.symbol,
      type: request.orderType === 'MARKET' ? 'market' : 'limit',
      side: request.side === 'BUY' ? 'buy' : 'sell',
      amount: request.quantity,
      price: request.price,
      params,
    };
  }

  private track(clientIds: readonly string[]): () => void {
    const gate = deferred();
    for (const id of clientIds) this.inflight.set(id, gate.promise);
    return () => {
      for (const id of clientIds)
        if (this.inflight.get(id) === gate.promise) this.inflight.delete(id);
      gate.resolve();
    };
  }

  /**
   * Sends one order (createOrder, our clientId as the client order id) and applies the reply.
   * @throws KestrelError a venue verdict or an ambiguous failure (the order stays PENDING and
   *   a status query is scheduled)
   */
  async sendOrder(request: OrderRequest): Promise<Order> {
    const { symbol, type, side, amount, price, params } = this.orderArguments(request);
    const done = this.track([request.clientId]);
    try {
      const raw = await this.call(`createOrder ${symbol} ${request.clientId}`, () =>
        this.ex.createOrder(symbol, type, side, amount, price, params),
      );
      this.ingestOrder(raw, 'rest', request.clientId);
    } catch (error) {
      const failure = error as KestrelError;
      if (failure.kind === 'ambiguous') this.scheduleStatusCheck(request.clientId);
      throw failure;
    } finally {
      done();
    }
    return this.current(request.clientId);
  }

  sendOrderAsync(request: OrderRequest): void {
    this.sendOrder(request).catch((error: unknown) => this.out.submitFailed(request, error));
  }

  /**
   * Sends a batch with createOrders; the venue's per-order verdicts are matched to the requests
   * by position (ccxt gives a refused entry no id).
   * @throws KestrelError when the batch failed as a whole
   */
  async submitOrders(requests: readonly OrderRequest[]): Promise<readonly Order[]> {
    if (requests.length === 0) return [];
    if (requests.length === 1 || !this.capabilities.batch) {
      const orders: Order[] = [];
      for (const request of requests) orders.push(await this.sendOrder(request));
      return orders;
    }
    const done = this.track(requests.map((r) => r.clientId));
    let raw: unknown;
    try {
      raw = await this.call(`createOrders ${requests.map((r) => r.clientId).join(',')}`, () =>
        this.ex.createOrders(requests.map((r) => this.orderArguments(r))),
      );
    } catch (error) {
      const failure = error as KestrelError;
      if (failure.kind === 'ambiguous')
        for (const r of requests) this.scheduleStatusCheck(r.clientId);
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
      for (const r of requests) this.scheduleStatusCheck(r.clientId);
    } else {
      requests.forEach((request, i) => {
        const entry: unknown = entries[i];
        const refused = rejectedEntrySchema.safeParse(entry);
        if (refused.success) {
          const info = venueErrorSchema.safeParse(refused.data.info);
          const code = info.success ? String(info.data.code) : 'REJECTED';
          const message = info.success ? info.data.msg : 'refused in a batch';
          this.out.submitFailed(
            request,
            new KestrelError(
              'VENUE_REJECTED',
              this.redact(`createOrders ${request.clientId}: ${code}: ${message}`),
              { venueCode: code },
            ),
          );
          return;
        }
        this.ingestOrder(entry, 'rest', request.clientId);
      });
    }
    return requests.map((r) => this.current(r.clientId));
  }

  /**
   * Cancels by client id (Binance `origClientOrderId`) where the venue allows, else by venue
   * id; waits for the order's own submit to be answered first, so a cancel never overtakes
   * the order it cancels.
   * @throws KestrelError a venue verdict (unknown order) or an ambiguous failure
   */
  async cancelOrder(order: Order): Promise<void> {
    await this.inflight.get(order.clientId);
    const symbol = order.instrument.symbol;
    const params: Record<string, unknown> = this.capabilities.cancelByClientId
      ? { clientOrderId: order.clientId }
      : {};
    try {
      const raw = await this.call(`cancelOrder ${symbol} ${order.clientId}`, () =>
        this.ex.cancelOrder(order.venueOrderId ?? '', symbol, params),
      );
      this.cancelsAwaiting.delete(order.clientId);
      this.ingestOrder(raw, 'rest', order.clientId);
    } catch (error) {
      const failure = error as KestrelError;
      if (failure.kind === 'ambiguous') {
        if (!this.cancelsAwaiting.has(order.clientId)) this.cancelsAwaiting.set(order.clientId, 0);
        this.scheduleStatusCheck(order.clientId);
      } else {
        this.cancelsAwaiting.delete(order.clientId);
      }
      throw failure;
    }
  }

  /**
   * Sends again a cancel whose answer never came, now that the venue still lists the order
   * live; a bounded number of times, its failure going through the rejection boundary.
   */
  private resendCancel(clientId: string): void {
    const local = this.out.order(clientId);
    const sent = this.cancelsAwaiting.get(clientId);
    if (local === undefined || local.status !== 'PENDING_CANCEL' || sent === undefined) {
      this.cancelsAwaiting.delete(clientId);
      return;
    }
    if (sent >= MAX_CANCEL_RESENDS || this.stopped) {
      this.cancelsAwaiting.delete(clientId);
      this.logger.warn('cancel still unanswered after resends; the reconciler decides', {
        exchange: this.exchange,
        clientId,
      });
      return;
    }
    this.cancelsAwaiting.set(clientId, sent + 1);
    this.logger.info('sending again a cancel whose answer was lost', {
      exchange: this.exchange,
      clientId,
    });
    this.cancelOrder(local).catch((error: unknown) => this.out.cancelFailed(local, error));
  }

  /**
   * Amends price and/or total quantity with editOrder (Binance USDⓈ-M modifies in place: same
   * order id, same client id).
   * @throws KestrelError NOT_SUPPORTED on spot (Binance replaces the order there), a venue
   *   verdict or an ambiguous failure
   */
  async updateOrder(order: Order, amendment: OrderAmendment): Promise<void> {
    if (order.instrument.marketType === 'SPOT') {
      throw new KestrelError(
        'NOT_SUPPORTED',
        `${this.exchange}: spot edits replace the order; cancel and resubmit`,
        {
          field: 'instrument',
          value: order.instrument.symbol,
        },
      );
    }
    const symbol = order.instrument.symbol;
    const price = amendment.price ?? order.price;
    const quantity = amendment.quantity ?? order.quantity;
    const raw = await this.call(`editOrder ${symbol} ${order.clientId}`, () =>
      this.ex.editOrder(
        order.venueOrderId ?? '',
        symbol,
        'limit',
        order.side === 'BUY' ? 'buy' : 'sell',
        quantity,
        price,
        {
          clientOrderId: order.clientId,
        },
      ),
    );
    this.ingestOrder(raw, 'rest', order.clientId);
  }

  private current(clientId: string): Order {
    const order = this.out.order(clientId);
    if (order === undefined)
      throw new KestrelError('ORDER_NOT_FOUND', `order ${clientId} is not tracked`);
    return order;
  }

  // ---- what the venue says ----

  private resolveClientId(
    order: CcxtOrder,
    expected: ClientOrderId | undefined,
  ): ClientOrderId | undefined {
    if (expected !== undefined) {
      const reported = clientIdCandidates(order);
      if (reported.length > 0 && !reported.includes(expected)) {
        this.logger.warn('venue reports another client id for our order; keeping ours', {
          exchange: this.exchange,
          clientId: expected,
          reported: reported.join(','),
        });
      }
      return expected;
    }
    for (const candidate of clientIdCandidates(order)) {
      if (isClientOrderId(candidate) && this.out.order(candidate) !== undefined) return candidate;
    }
    const known = this.clientByVenueId.get(order.id);
    return known !== undefined && this.out.order(known) !== undefined ? known : undefined;
  }

  private remember(venueId: string, clientId: ClientOrderId): void {
    if (this.clientByVenueId.get(venueId) === clientId) return;
    this.clientByVenueId.set(venueId, clientId);
    if (this.clientByVenueId.size > VENUE_ID_MEMORY) {
      const oldest = this.clientByVenueId.keys().next().value;
      if (oldest !== undefined) this.clientByVenueId.delete(oldest);
    }
  }

  /**
   * Applies one order snapshot (REST answer or push) to the account. `expected` names the
   * order we asked about, when we asked.
   */
  ingestOrder(raw: unknown, source: 'rest' | 'stream', expected?: ClientOrderId): void {
    const parsed = orderSchema.safeParse(raw);
    if (!parsed.success) {
      this.refused('order payload', {
        source,
        problem: problemOf(parsed.error),
      });
      return;
    }
    const order = parsed.data;
    if (this.numericIds && !VENUE_INTEGER_ID.test(order.id)) {
      this.refused('order payload', {
        source,
        problem: `order id ${JSON.stringify(order.id)} is not a venue id`,
      });
      return;
    }
    const instrument = this.instruments.get(order.symbol);
    if (instrument === undefined) {
      this.logger.debug('order on a market we do not trade', {
        exchange: this.exchange,
        symbol: order.symbol,
      });
      return;
    }
    const clientId = this.resolveClientId(order, expected);
    if (clientId !== undefined) this.remember(order.id, clientId);
    const local = clientId === undefined ? undefined : this.out.order(clientId);
    // An order carrying one of our heads that the account never saw (its journal entry lost): ours
    const reported = clientId === undefined ? clientIdCandidates(order)[0] : undefined;
    const recover =
      reported !== undefined && isClientOrderId(reported) && this.isOwn(reported)
        ? reported
        : undefined;
    const events = orderEvents(order, {
      exchange: this.exchange,
      instrument,
      clientId,
      ...(recover === undefined ? {} : { recover }),
      time: order.lastUpdateTimestamp ?? order.timestamp ?? this.clock.now(),
      local:
        local === undefined
          ? undefined
          : {
              price: local.price,
              quantity: local.quantity,
              answered: local.answered && local.status !== 'PENDING',
            },
    });
    for (const event of events) this.out.emit(event);
    if (source === 'stream') {
      if (clientId !== undefined && order.filled !== null && order.filled !== undefined) {
        this.watchFillGap(clientId, order, instrument);
      }
      for (const listener of this.streamListeners)
        listener({ clientId, venueOrderId: order.id, status: order.status });
    }
  }

  /** Applies one of our executions (push or REST); the account books each trade id once */
  ingestTrade(raw: unknown, source: 'rest' | 'stream'): void {
    const parsed = tradeSchema.safeParse(raw);
    if (!parsed.success) {
      this.refused('trade payload', {
        source,
        problem: problemOf(parsed.error),
      });
      return;
    }
    const trade = parsed.data;
    if (
      this.numericIds &&
      (!VENUE_INTEGER_ID.test(trade.id) ||
        (trade.order !== null && trade.order !== undefined && !VENUE_INTEGER_ID.test(trade.order)))
    ) {
      this.refused('trade payload', {
        source,
        problem: `trade id ${JSON.stringify(trade.id)} or order id ${JSON.stringify(trade.order)} is not a venue id`,
      });
      return;
    }
    const instrument = this.instruments.get(trade.symbol);
    if (instrument === undefined) return;
    const candidates = clientIdCandidates(trade);
    let clientId = candidates.find((c) => isClientOrderId(c) && this.out.order(c) !== undefined) as
      | ClientOrderId
      | undefined;
    if (clientId === undefined && trade.order !== null && trade.order !== undefined) {
      const known = this.clientByVenueId.get(trade.order);
      if (known !== undefined && this.out.order(known) !== undefined) clientId = known;
    }
    if (clientId !== undefined && trade.order !== null && trade.order !== undefined)
      this.remember(trade.order, clientId);
    this.out.emit(fillEvent(trade, this.exchange, instrument, clientId, this.clock.now()));
    if (trade.timestamp !== null && trade.timestamp !== undefined) {
      this.tradeCursor.set(
        trade.symbol,
        Math.max(this.tradeCursor.get(trade.symbol) ?? 0, trade.timestamp),
      );
    }
  }

  /** Replaces local balances with the venue's */
  ingestBalance(raw: unknown): void {
    const balances = toBalances(raw);
    if (balances === undefined) {
      this.refused('balance payload');
      return;
    }
    this.out.emit({
      type: 'balanceUpdated',
      exchange: this.exchange,
      balances,
      time: this.clock.now(),
    });
  }

  /** Fetches balances soon (coalescing bursts of balance pushes into one REST call) */
  refreshBalancesSoon(): void {
    if (this.balanceTimer !== undefined || this.stopped) return;
    this.balanceTimer = this.clock.setTimer(BALANCE_DEBOUNCE_MS, () => {
      this.balanceTimer = undefined;
      this.refreshBalances().catch((error: unknown) =>
        this.logger.warn('balance refresh failed', {
          exchange: this.exchange,
          error: (error as Error).message,
        }),
      );
    });
  }

  /**
   * Fetches the venue's balances and applies them (authoritative).
   * @throws KestrelError when the venue cannot be reached
   */
  async refreshBalances(): Promise<void> {
    const raw = await this.call('fetchBalance', () => this.ex.fetchBalance());
    this.ingestBalance(raw);
  }

  /** A pushed order says more is filled than the account has booked: fetch its trades if it stays so */
  private watchFillGap(clientId: ClientOrderId, order: CcxtOrder, instrument: Instrument): void {
    const filled = snapSize(instrument, order.filled ?? 0);
    const local = this.out.order(clientId);
    if (
      local === undefined ||
      filled <= local.filledQuantity ||
      this.fillGaps.has(order.id) ||
      this.stopped
    )
      return;
    const timer = this.clock.setTimer(this.fillGapDelayMs, () => {
      this.fillGaps.delete(order.id);
      const now = this.out.order(clientId);
      if (now === undefined || filled <= now.filledQuantity) return;
      this.fetchOrderTrades(order.id, instrument).catch((error: unknown) =>
        this.logger.warn('fetching missed fills failed; the resync will retry', {
          exchange: this.exchange,
          clientId,
          error: (error as Error).message,
        }),
      );
    });
    this.fillGaps.set(order.id, timer);
  }

  private async fetchOrderTrades(venueId: string, instrument: Instrument): Promise<void> {
    const raw = await this.call(`fetchMyTrades ${instrument.symbol} order ${venueId}`, () =>
      this.ex.fetchMyTrades(instrument.symbol, undefined, undefined, { orderId: venueId }),
    );
    if (Array.isArray(raw)) for (const trade of raw) this.ingestTrade(trade, 'rest');
  }

  // ---- status queries ----

  private scheduleStatusCheck(clientId: string, attempt = 1): void {
    if (this.statusChecks.has(clientId) || this.stopped || attempt > MAX_STATUS_CHECKS) return;
    const delay = Math.min(60_000, this.statusCheckDelayMs * 2 ** (attempt - 1));
    const timer = this.clock.setTimer(delay, () => {
      this.statusChecks.delete(clientId);
      this.checkStatus(clientId, attempt).catch((error: unknown) =>
        this.logger.warn('status query failed', {
          exchange: this.exchange,
          clientId,
          error: (error as Error).message,
        }),
      );
    });
    this.statusChecks.set(clientId, timer);
  }

  private async checkStatus(clientId: string, attempt: number): Promise<void> {
    const local = this.out.order(clientId);
    if (local === undefined || isTerminal(local.status)) return;
    if (local.status !== 'PENDING' && local.status !== 'PENDING_CANCEL') return;
    const outcome = await this.checkOrder(local);
    const after = this.out.order(clientId);
    if (after === undefined || isTerminal(after.status)) return;
    if (outcome === 'missing' && this.declareLostIfDue(after)) return;
    if (outcome === 'found' && after.status === 'PENDING_CANCEL') {
      if (this.cancelsAwaiting.has(clientId)) this.resendCancel(clientId);
      return;
    }
    if (outcome !== 'found' || after.status === 'PENDING')
      this.scheduleStatusCheck(clientId, attempt + 1);
  }

  /**
   * Fetches one order: by our clientId where the venue takes it (Binance `origClientOrderId`)
   * or while its venue id is unknown, else (and for adopted external orders) by venue id.
   * @throws KestrelError as the venue answered, or INVALID_ARGUMENT for an external order without a venue id
   */
  private requestOrder(order: Order): Promise<unknown> {
    const symbol = order.instrument.symbol;
    const external = order.origin === 'EXTERNAL';
    if (external && order.venueOrderId === undefined) {
      return Promise.reject(
        new KestrelError(
          'INVALID_ARGUMENT',
          `${this.exchange}: external order ${order.clientId} has no venue id to ask by`,
        ),
      );
    }
    const byClientId =
      !external && (this.capabilities.cancelByClientId || order.venueOrderId === undefined);
    const params: Record<string, unknown> = byClientId ? { clientOrderId: order.clientId } : {};
    return this.call(`fetchOrder ${symbol} ${order.clientId}`, () =>
      this.ex.fetchOrder(order.venueOrderId ?? '', symbol, params),
    );
  }

  /**
   * One order as the venue has it, for reconciliation; nothing is applied.
   * @returns undefined only when the venue answers that it does not know the order (-2013)
   * @throws KestrelError when the venue could not be asked (network, 5xx, 429) or answered
   *   something Kestrel cannot read: neither proves anything about the order
   */
  async fetchOrderState(order: Order): Promise<VenueOrderState | undefined> {
    let raw: unknown;
    try {
      raw = await this.requestOrder(order);
    } catch (error) {
      if (isOrderNotFound(error)) return undefined;
      throw error;
    }
    const parsed = orderSchema.safeParse(raw);
    if (!parsed.success) {
      throw new KestrelError(
        'INVALID_DATA',
        `${this.exchange}: fetchOrder ${order.clientId} answered an order Kestrel cannot read (${parsed.error.issues
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')})`,
      );
    }
    const found = parsed.data;
    const instrument = this.instruments.get(found.symbol) ?? order.instrument;
    const reported = clientIdCandidates(found);
    const clientId = reported.includes(order.clientId) ? order.clientId : reported[0];
    if (clientId === order.clientId) this.remember(found.id, order.clientId);
    const state = toVenueOrderState(found, instrument, clientId, this.clock.now());
    if (state === undefined) {
      throw new KestrelError(
        'INVALID_DATA',
        `${this.exchange}: fetchOrder ${order.clientId} answered an order without side or amount`,
      );
    }
    return state;
  }

  /** Asks the venue about one order by client id and applies what it says */
  /** Asks the venue about one order and applies the answer (noting what it changed in `found`) */
  private async checkOrder(local: TrackedOrder, found: string[] = []): Promise<QueryOutcome> {
    try {
      const raw = await this.requestOrder(local);
      this.audited(found, () => this.ingestOrder(raw, 'rest', local.clientId));
      return 'found';
    } catch (error) {
      if (isOrderNotFound(error)) return 'missing';
      this.logger.warn('status query without an answer', {
        exchange: this.exchange,
        clientId: local.clientId,
        error: (error as Error).message,
      });
      return 'unknown';
    }
  }

  /**
   * The venue was asked and does not know the order: LOST, but only once no send of it is in
   * flight and, for a PENDING order, it is older than lostAfterMs (a delayed request may still land)
   */
  private declareLostIfDue(order: TrackedOrder): boolean {
    if (this.inflight.has(order.clientId)) return false;
    const age = this.clock.now() - order.createdAt;
    if (order.status === 'PENDING' && age < this.lostAfterMs) return false;
    this.out.emit({
      type: 'orderLost',
      exchange: this.exchange,
      clientId: order.clientId,
      reason: `the venue does not know the order (asked ${Math.round(age)} ms after it was requested)`,
      time: this.clock.now(),
    });
    return true;
  }

  // ---- resync ----

  /**
   * Reconciles with the venue: open orders (accepting PENDING ones, adopting external ones), a
   * status query for every PENDING order and every live order missing from the open list, the
   * executions since the last one seen (fills missed in a gap book once), then balances.
   * Concurrent calls share one run (and trigger one more after it).
   * @throws KestrelError when the venue cannot be reached
   */
  resync(reason: string): Promise<void> {
    if (this.resyncing !== undefined) {
      this.resyncAgain = true;
      return this.resyncing;
    }
    const run = (async () => {
      try {
        do {
          this.resyncAgain = false;
          await this.resyncOnce(reason);
        } while (this.resyncAgain && !this.stopped);
      } finally {
        this.resyncing = undefined;
      }
    })();
    this.resyncing = run;
    return run;
  }

  private snapshotLocal(): Map<string, { status: OrderStatus; filled: number }> {
    return new Map(
      this.out
        .openOrders()
        .map((o) => [o.clientId, { status: o.status, filled: o.filledQuantity }]),
    );
  }

  /**
   * Applies a REST answer the resync asked for (synchronously) and notes each order it changed:
   * the drift the resync found. Changes made meanwhile by the stream, by replies to our own
   * sends and cancels, or by our own requests are the normal flow and are not noted
   */
  private audited(found: string[], ingest: () => void): void {
    const before = this.snapshotLocal();
    ingest();
    for (const [clientId, was] of before) {
      const now = this.out.order(clientId);
      if (now === undefined) continue;
      // The verdict a request of ours was waiting for (an accept, the cancel confirmed) is the
      // answer arriving, not drift; a fill nobody told us about, or a settled order changing, is
      const awaited =
        was.status === 'PENDING' || (was.status === 'PENDING_CANCEL' && now.status === 'CANCELED');
      if (now.filledQuantity !== was.filled || (now.status !== was.status && !awaited))
        found.push(
          `${clientId} ${was.status} → ${now.status}, filled ${was.filled} → ${now.filledQuantity}`,
        );
    }
  }

  private async resyncOnce(reason: string): Promise<void> {
    const found: string[] = [];
    const openIds = new Set<string>();
    // Per market while they are few: Binance weighs an all-markets openOrders 40 times one market's
    const symbols = this.resyncSymbols();
    const scopes: (string | undefined)[] =
      symbols.size <= PER_SYMBOL_OPEN_ORDERS ? [...symbols] : [undefined];
    for (const symbol of scopes) {
      const open = await this.call(`fetchOpenOrders ${symbol ?? 'all'}`, () =>
        this.ex.fetchOpenOrders(symbol),
      );
      for (const raw of Array.isArray(open) ? open : []) {
        const parsed = orderSchema.safeParse(raw);
        if (parsed.success) openIds.add(parsed.data.id);
        this.audited(found, () => this.ingestOrder(raw, 'rest'));
      }
    }
    for (const local of this.out.openOrders()) {
      if (this.inflight.has(local.clientId)) continue;
      const listed = local.venueOrderId !== undefined && openIds.has(local.venueOrderId);
      if (listed && this.restoredLive.delete(local.clientId) && local.origin === 'FRAMEWORK') {
        this.out.emit({
          type: 'orderRecovered',
          exchange: this.exchange,
          clientId: local.clientId,
          time: this.clock.now(),
        });
      }
      if (listed && local.status === 'PENDING_CANCEL' && this.cancelsAwaiting.has(local.clientId))
        this.resendCancel(local.clientId);
      if (listed && local.status !== 'PENDING') continue;
      const outcome = await this.checkOrder(local, found);
      const after = this.out.order(local.clientId);
      if (
        outcome === 'missing' &&
        after !== undefined &&
        !isTerminal(after.status) &&
        !this.declareLostIfDue(after)
      ) {
        this.scheduleStatusCheck(local.clientId);
      }
    }
    await this.resyncTrades(found);
    await this.refreshBalances();
    for (const description of found) this.out.correction(description, { reason });
  }

  /** The markets a resync looks at: those traded this session, watched, or with live orders */
  private resyncSymbols(): Set<string> {
    const symbols = new Set([
      ...this.activeSymbols,
      ...this.watchedSymbols,
      ...this.restoredSymbols,
    ]);
    for (const order of this.sink?.openOrders() ?? []) symbols.add(order.instrument.symbol);
    return symbols;
  }

  private async resyncTrades(found: string[]): Promise<void> {
    const symbols = this.resyncSymbols();
    let lookups = 0;
    for (const symbol of symbols) {
      const instrument = this.instruments.get(symbol);
      if (instrument === undefined) continue;
      const cursor = this.tradeCursor.get(symbol);
      const floor = Math.floor(Math.min(this.startedAt, this.resumeFrom ?? this.startedAt));
      let since = cursor === undefined ? floor : Math.max(floor, cursor - TRADE_OVERLAP_MS);
      for (let page = 0; page < MAX_TRADE_PAGES; page++) {
        const raw = await this.call(`fetchMyTrades ${symbol}`, () =>
          this.ex.fetchMyTrades(symbol, since, TRADE_PAGE),
        );
        const trades = Array.isArray(raw) ? raw : [];
        for (const entry of trades) {
          const parsed = tradeSchema.safeParse(entry);
          const venueId = parsed.success ? parsed.data.order : undefined;
          // A fill of an order we have no id for: learn its client id first, so the fill matches it
          if (
            venueId !== null &&
            venueId !== undefined &&
            !this.clientByVenueId.has(venueId) &&
            lookups < ORDER_LOOKUPS_PER_RESYNC
          ) {
            lookups += 1;
            try {
              const order = await this.call(`fetchOrder ${symbol} ${venueId}`, () =>
                this.ex.fetchOrder(venueId, symbol),
              );
              this.audited(found, () => this.ingestOrder(order, 'rest'));
            } catch (error) {
              this.logger.debug('could not look up the order of a fill', {
                exchange: this.exchange,
                venueId,
                error: (error as Error).message,
              });
            }
          }
          this.audited(found, () => this.ingestTrade(entry, 'rest'));
        }
        const last = tradeSchema.safeParse(trades.at(-1));
        if (
          trades.length < TRADE_PAGE ||
          !last.success ||
          last.data.timestamp === null ||
          last.data.timestamp === undefined
        )
          break;
        since = last.data.timestamp;
      }
    }
  }

  // ---- reconciliation ----

  /** The markets a snapshot looks at: the resync's, or every listed one when nothing names any */
  private snapshotSymbols(): Set<string> {
    const symbols = this.resyncSymbols();
    if (symbols.size === 0 && this.instruments.size <= SNAPSHOT_ALL_MARKETS)
      for (const symbol of this.instruments.keys()) symbols.add(symbol);
    return symbols;
  }

  /**
   * The account as the venue has it, for reconciliation; nothing is applied. Open orders per
   * market (one all-markets call past a handful), our executions since `since` per market
   * (paged; each fill named by its venue order id and, where it can be learned from the open
   * orders, the venue id map or a bounded order lookup, by the order's client id), positions
   * (signed) and balances, read in that order so positions are at least as new as the fills.
   * @throws KestrelError when the venue cannot be reached or answers something unreadable
   */
  async fetchSnapshot(options: { readonly since: number }): Promise<VenueSnapshot> {
    const symbols = this.snapshotSymbols();
    const named = new Map<string, string>();
    const openOrders: VenueOrderState[] = [];
    const scopes: (string | undefined)[] =
      symbols.size > 0 && symbols.size <= PER_SYMBOL_OPEN_ORDERS ? [...symbols] : [undefined];
    for (const scope of scopes) {
      const raw = await this.call(`fetchOpenOrders ${scope ?? 'all'}`, () =>
        this.ex.fetchOpenOrders(scope),
      );
      for (const entry of this.list(raw, 'fetchOpenOrders')) {
        const parsed = orderSchema.safeParse(entry);
        if (!parsed.success) throw this.unreadable('fetchOpenOrders', parsed.error.issues);
        const instrument = this.instruments.get(parsed.data.symbol);
        if (instrument === undefined) continue;
        const clientId = clientIdCandidates(parsed.data)[0];
        if (clientId !== undefined) named.set(parsed.data.id, clientId);
        const state = toVenueOrderState(parsed.data, instrument, clientId, this.clock.now());
        if (state !== undefined) openOrders.push(state);
        symbols.add(instrument.symbol);
      }
    }
    const fills = await this.snapshotFills(symbols, options.since, named);
    const positions = toVenuePositions(
      this.list(
        await this.call('fetchPositions', () => this.ex.fetchPositions()),
        'fetchPositions',
      ),
      this.instruments,
    );
    const balance = await this.call('fetchBalance', () => this.ex.fetchBalance());
    const balances = toBalances(balance);
    if (balances === undefined) throw this.unreadable('fetchBalance', []);
    return {
      openOrders,
      fills,
      positions: positions.positions,
      balances,
      time: this.clock.now(),
    };
  }

  private list(raw: unknown, action: string): unknown[] {
    if (!Array.isArray(raw)) throw this.unreadable(action, []);
    return raw;
  }

  private unreadable(
    action: string,
    issues: readonly { path: readonly PropertyKey[]; message: string }[],
  ): KestrelError {
    const detail = issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; ');
    return new KestrelError(
      'INVALID_DATA',
      `${this.exchange}: ${action} answered something Kestrel cannot read${detail === '' ? '' : ` (${detail})`}`,
    );
  }

  private async snapshotFills(
    symbols: ReadonlySet<string>,
    since: number,
    named: Map<string, string>,
  ): Promise<FillReport[]> {
    const fills: FillReport[] = [];
    const seen = new Set<string>();
    const now = this.clock.now();
    // Binance answers one seven-day window per query: older fills cannot be asked for this way
    const from = Math.floor(Math.max(since, now - TRADE_WINDOW_MS + 60_000));
    let lookups = 0;
    for (const symbol of symbols) {
      const instrument = this.instruments.get(symbol);
      if (instrument === undefined) continue;
      let cursor = from;
      for (let page = 0; page < MAX_TRADE_PAGES; page++) {
        const raw = await this.call(`fetchMyTrades ${symbol}`, () =>
          this.ex.fetchMyTrades(symbol, cursor, TRADE_PAGE),
        );
        const trades: CcxtTrade[] = [];
        for (const entry of this.list(raw, 'fetchMyTrades')) {
          const parsed = tradeSchema.safeParse(entry);
          if (!parsed.success) throw this.unreadable('fetchMyTrades', parsed.error.issues);
          trades.push(parsed.data);
        }
        for (const trade of trades) {
          if (seen.has(trade.id)) continue;
          seen.add(trade.id);
          const venueId = trade.order ?? undefined;
          let clientId = clientIdCandidates(trade)[0];
          if (clientId === undefined && venueId !== undefined && venueId !== '') {
            clientId = named.get(venueId) ?? this.clientByVenueId.get(venueId);
            if (clientId === undefined && lookups < ORDER_LOOKUPS_PER_RESYNC) {
              lookups += 1;
              clientId = await this.lookupClientId(venueId, symbol);
            }
            if (clientId !== undefined) named.set(venueId, clientId);
          }
          fills.push(
            toFillReport(
              trade,
              instrument,
              clientId !== undefined && isClientOrderId(clientId) ? clientId : undefined,
              now,
            ),
          );
        }
        const last = trades.at(-1)?.timestamp;
        if (trades.length < TRADE_PAGE || last === null || last === undefined) break;
        cursor = last;
      }
    }
    return fills;
  }

  /** The client id of one venue order, by asking for it; undefined when it cannot be learned */
  private async lookupClientId(venueId: string, symbol: string): Promise<string | undefined> {
    try {
      const raw = await this.call(`fetchOrder ${symbol} ${venueId}`, () =>
        this.ex.fetchOrder(venueId, symbol),
      );
      const parsed = orderSchema.safeParse(raw);
      return parsed.success ? clientIdCandidates(parsed.data)[0] : undefined;
    } catch (error) {
      if (!isOrderNotFound(error)) throw error;
      return undefined;
    }
  }
}
