import type { TrackedOrder } from '../../core/account.ts';
import { KestrelError } from '../../core/errors.ts';
import type { ClientOrderId } from '../../core/ids.ts';
import { venueOrderId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import { snapSize } from '../../core/instrument.ts';
import type { OrderStatus } from '../../core/order.ts';
import { isTerminal } from '../../core/order.ts';
import type { VenueSink } from '../../engine/broker.ts';
import type { Clock, Timer } from '../../engine/clock.ts';
import type { Logger } from '../../engine/logger.ts';
import type { CcxtOrderRegistry } from './order-registry.ts';
import { clientIdCandidates, fillEvent, orderEvents, toBalances } from './parsers.ts';
import type { CcxtRestClient } from './rest-client.ts';
import type { CcxtOrder } from './schemas.ts';
import { acknowledgementSchema, orderSchema, problemOf, tradeSchema } from './schemas.ts';
import type { StreamChannel } from './stream-supervisor.ts';

export interface CcxtAccountStreamOptions {
  /** The exchange name instruments and events carry */
  readonly name: string;
  readonly rest: CcxtRestClient;
  readonly registry: CcxtOrderRegistry;
  /** The instruments orders may name, by symbol (filled at load) */
  readonly instruments: ReadonlyMap<string, Instrument>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The engine's sink; undefined before connect */
  readonly sink: () => VenueSink | undefined;
  /** Counts and logs a refused venue payload */
  readonly refused: (description: string, fields?: Readonly<Record<string, unknown>>) => void;
  /** Sends again a cancel whose answer never came, now that the venue lists the order live */
  readonly resendCancel: (clientId: string) => void;
  /** A PENDING order the venue does not know this long after it was asked for is LOST, ms */
  readonly lostAfterMs: number;
  /** First targeted status query after an ambiguous send or cancel, ms (doubles per retry) */
  readonly statusCheckDelayMs: number;
  /** How long a stream order update may run ahead of its fills before the fills are fetched, ms */
  readonly fillGapDelayMs: number;
}

/** One order update as the account stream delivered it */
export interface StreamOrderUpdate {
  readonly clientId: ClientOrderId | undefined;
  readonly venueOrderId: string;
  readonly status: CcxtOrder['status'];
}

/** What a status query learned */
type QueryOutcome = 'found' | 'missing' | 'unknown';

const VENUE_INTEGER_ID = /^[1-9]\d*$/;
const MAX_STATUS_CHECKS = 8;
/** Trades are re-read this far back from the last one seen: clocks differ, dedup absorbs the overlap */
const TRADE_OVERLAP_MS = 5_000;
const ORDER_LOOKUPS_PER_RESYNC = 20;
const BALANCE_DEBOUNCE_MS = 250;
/** After a restart, fills are looked for at most this far back by the resync */
const RESUME_LOOKBACK_MS = 86_400_000;

/**
 * The account side of a ccxt venue. It turns what the venue says about our orders (pushes of
 * watchOrders / watchMyTrades / watchBalance, and the same payloads from REST answers) into
 * events on the sink, never touching account state itself; every client id it reads is decoded
 * by the profile's codec back to our clientId. After every (re)subscribe `resync` pulls the open
 * orders, asks after every PENDING order and every live one missing from the list, reads the
 * executions since the last one seen (page by page, as the venue pages them) and the balances.
 * An ambiguous send or cancel gets targeted status queries until the venue answers; an order the
 * venue was asked about and does not know is LOST only past `lostAfterMs`.
 */
export class CcxtAccountStream {
  private readonly options: CcxtAccountStreamOptions;
  private readonly statusChecks = new Map<string, Timer>();
  /** Live orders whose amend failed without a verdict: asked about until the venue answers */
  private readonly amendsUnsettled = new Set<string>();
  private readonly fillGaps = new Map<string, Timer>();
  private readonly activeSymbols = new Set<string>();
  private readonly watchedSymbols = new Set<string>();
  /** Markets of the live orders a restart restored */
  private readonly restoredSymbols = new Set<string>();
  private readonly tradeCursor = new Map<string, number>();
  private readonly streamListeners = new Set<(update: StreamOrderUpdate) => void>();
  /** Live orders a restart restored, to be confirmed RECOVERED once the venue lists them */
  private readonly restoredLive = new Set<string>();
  /** After a restart: fills since then may have been missed while nothing listened */
  private resumeFrom: number | undefined;
  private resyncing: Promise<void> | undefined;
  private resyncAgain = false;
  private balanceTimer: Timer | undefined;
  private startedAt: number;
  private stopped = false;

  constructor(options: CcxtAccountStreamOptions) {
    this.options = options;
    this.startedAt = options.clock.now();
  }

  private get out(): VenueSink {
    const sink = this.options.sink();
    if (sink === undefined)
      throw new KestrelError('INVALID_CONFIG', `${this.name}: broker used before connect()`);
    return sink;
  }

  private get name(): string {
    return this.options.name;
  }

  /** Marks the start of the session (trades before it are not ours to book) and the markets it watches */
  markStart(time: number, symbols: readonly string[]): void {
    this.startedAt = time;
    for (const symbol of symbols)
      if (this.options.instruments.has(symbol)) this.watchedSymbols.add(symbol);
  }

  /** Remembers a market an order was sent on, so resyncs look at it */
  noteSymbol(symbol: string): void {
    this.activeSymbols.add(symbol);
  }

  /** Hears every order update the account stream delivers (the smoke check waits on these) */
  onStreamOrder(listener: (update: StreamOrderUpdate) => void): () => void {
    this.streamListeners.add(listener);
    return () => this.streamListeners.delete(listener);
  }

  /** The private channels to keep watched: orders, our executions, and balances where pushed */
  channels(): StreamChannel[] {
    const ex = this.options.rest.exchange;
    const channels: StreamChannel[] = [
      {
        name: 'orders',
        watch: () => ex.watchOrders(),
        handle: (batch) => {
          for (const order of Array.isArray(batch) ? batch : []) this.ingestOrder(order, 'stream');
        },
      },
      {
        name: 'trades',
        watch: () => ex.watchMyTrades(),
        handle: (batch) => {
          for (const trade of Array.isArray(batch) ? batch : []) this.ingestTrade(trade, 'stream');
        },
      },
    ];
    if (ex.has['watchBalance'] === true) {
      channels.push({
        name: 'balance',
        watch: () => ex.watchBalance(),
        // A balance push is partial on some venues (Binance sends wallet balances only): fetch the whole
        handle: () => this.refreshBalancesSoon(),
      });
    }
    return channels;
  }

  /** Cancels every timer; REST calls in flight finish on their own */
  stop(): void {
    this.stopped = true;
    for (const timer of this.statusChecks.values()) timer.cancel();
    for (const timer of this.fillGaps.values()) timer.cancel();
    this.statusChecks.clear();
    this.amendsUnsettled.clear();
    this.fillGaps.clear();
    this.balanceTimer?.cancel();
    this.balanceTimer = undefined;
  }

  /**
   * Rebuilds what the stream keeps after a restart, from the orders the journal replayed: venue
   * ids → clientIds, the generator heads that mark an order as ours, the markets of live orders,
   * the time from which fills may have been missed, and the cancels whose answer the restart cut
   * off. PENDING orders are settled by the first resync; live orders it finds open at the venue
   * are marked RECOVERED.
   */
  restore(orders: readonly TrackedOrder[]): void {
    const { registry, clock } = this.options;
    let earliestLive = Number.POSITIVE_INFINITY;
    let latest = Number.NEGATIVE_INFINITY;
    for (const order of orders) {
      if (order.instrument.exchange !== this.name) continue;
      if (order.venueOrderId !== undefined) registry.remember(order.venueOrderId, order.clientId);
      if (order.origin !== 'EXTERNAL') registry.addOwn(order.clientId);
      if (!isTerminal(order.status)) {
        this.restoredSymbols.add(order.instrument.symbol);
        this.restoredLive.add(order.clientId);
        earliestLive = Math.min(earliestLive, order.createdAt);
        if (order.status === 'PENDING_CANCEL') registry.cancelsAwaiting.unanswered(order.clientId);
      }
      latest = Math.max(latest, order.updatedAt);
    }
    const from = Math.min(earliestLive, latest);
    if (Number.isFinite(from))
      this.resumeFrom = Math.max(Math.floor(from), Math.floor(clock.now() - RESUME_LOOKBACK_MS));
  }

  // ---- what the venue says ----

  /** Our clientIds among the client ids a venue message names, decoded from the wire */
  ourClientIds(message: Pick<CcxtOrder, 'clientOrderId' | 'info'>): ClientOrderId[] {
    const ids: ClientOrderId[] = [];
    for (const wire of clientIdCandidates(message)) {
      const clientId = this.options.registry.clientIdOfWire(wire);
      if (clientId !== undefined && !ids.includes(clientId)) ids.push(clientId);
    }
    return ids;
  }

  private resolveClientId(
    order: CcxtOrder,
    expected: ClientOrderId | undefined,
  ): ClientOrderId | undefined {
    const reported = this.ourClientIds(order);
    if (expected !== undefined) {
      if (reported.length > 0 && !reported.includes(expected)) {
        this.options.logger.warn('venue reports another client id for our order; keeping ours', {
          exchange: this.name,
          clientId: expected,
          reported: reported.join(','),
        });
      }
      return expected;
    }
    for (const candidate of reported) {
      if (this.out.order(candidate) !== undefined) return candidate;
    }
    const known = this.options.registry.clientIdOf(order.id);
    return known !== undefined && this.out.order(known) !== undefined ? known : undefined;
  }

  private numericIdProblem(ids: readonly (string | null | undefined)[]): string | undefined {
    if (!this.options.rest.profile.numericIds) return undefined;
    const bad = ids.find((id) => id !== null && id !== undefined && !VENUE_INTEGER_ID.test(id));
    return bad === undefined ? undefined : `id ${JSON.stringify(bad)} is not a venue id`;
  }

  /**
   * Applies the venue's answer to one of our requests. A full order applies as a snapshot; an
   * answer that only acknowledges the request (ids, no status: Bybit, OKX) gives the venue id,
   * accepts a create, and for a cancel or amend asks the venue for the outcome soon.
   */
  ingestAnswer(
    raw: unknown,
    request: 'create' | 'cancel' | 'amend',
    clientId: ClientOrderId,
  ): void {
    const order = orderSchema.safeParse(raw);
    if (order.success) {
      this.ingestOrder(raw, 'rest', clientId);
      // An amend answered without the new terms (Hyperliquid's new order id only): read them back
      if (request === 'amend' && (order.data.price ?? undefined) === undefined)
        this.refreshSoon(clientId);
      return;
    }
    const ack = acknowledgementSchema.safeParse(raw);
    if (!ack.success || this.numericIdProblem([ack.data.id]) !== undefined) {
      // A cancel or amend answered with a bare status (Hyperliquid `success`): asked after soon
      if (request === 'cancel') this.scheduleStatusCheck(clientId);
      else if (request === 'amend') this.refreshSoon(clientId);
      else this.ingestOrder(raw, 'rest', clientId);
      return;
    }
    this.options.registry.remember(ack.data.id, clientId);
    if (request === 'create') {
      this.out.emit({
        type: 'orderAccepted',
        exchange: this.name,
        clientId,
        venueOrderId: venueOrderId(ack.data.id),
        time: this.options.clock.now(),
      });
    } else if (request === 'cancel') {
      this.scheduleStatusCheck(clientId);
    } else {
      this.refreshSoon(clientId);
    }
  }

  /** Reads one live order back from the venue soon (an amend the venue only acknowledged) */
  private refreshSoon(clientId: ClientOrderId): void {
    if (this.stopped) return;
    this.options.clock.setTimer(this.options.statusCheckDelayMs, () => {
      const local = this.options.sink()?.order(clientId);
      if (local === undefined || isTerminal(local.status) || this.stopped) return;
      void this.checkOrder(local);
    });
  }

  /**
   * Applies one order snapshot (REST answer or push) to the account. `expected` names the
   * order we asked about, when we asked.
   */
  ingestOrder(raw: unknown, source: 'rest' | 'stream', expected?: ClientOrderId): void {
    const parsed = orderSchema.safeParse(raw);
    if (!parsed.success) {
      this.options.refused('order payload', { source, problem: problemOf(parsed.error) });
      return;
    }
    const order = parsed.data;
    const badId = this.numericIdProblem([order.id]);
    if (badId !== undefined) {
      this.options.refused('order payload', { source, problem: `order ${badId}` });
      return;
    }
    const instrument = this.options.instruments.get(order.symbol);
    if (instrument === undefined) {
      this.options.logger.debug('order on a market we do not trade', {
        exchange: this.name,
        symbol: order.symbol,
      });
      return;
    }
    const clientId = this.resolveClientId(order, expected);
    if (clientId !== undefined) this.options.registry.remember(order.id, clientId);
    // A stop's conditional part that triggered: the order it placed reports from here on
    if (this.options.rest.noteOrder(order.id, order.info, order.status === 'open') === 'triggered')
      return;
    const local = clientId === undefined ? undefined : this.out.order(clientId);
    // An order carrying one of our heads that the account never saw (its journal entry lost): ours
    const reported = clientId === undefined ? this.ourClientIds(order)[0] : undefined;
    const recover =
      reported !== undefined && this.options.registry.isOwn(reported) ? reported : undefined;
    const events = orderEvents(order, {
      exchange: this.name,
      instrument,
      clientId,
      ...(recover === undefined ? {} : { recover }),
      reported,
      time: order.lastUpdateTimestamp ?? order.timestamp ?? this.options.clock.now(),
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
      this.options.refused('trade payload', { source, problem: problemOf(parsed.error) });
      return;
    }
    const trade = parsed.data;
    const badId = this.numericIdProblem([trade.id, trade.order]);
    if (badId !== undefined) {
      this.options.refused('trade payload', { source, problem: `trade or order ${badId}` });
      return;
    }
    const instrument = this.options.instruments.get(trade.symbol);
    if (instrument === undefined) return;
    const { registry } = this.options;
    let clientId = this.ourClientIds(trade).find((c) => this.out.order(c) !== undefined);
    if (clientId === undefined && trade.order !== null && trade.order !== undefined) {
      const known = registry.clientIdOf(trade.order);
      if (known !== undefined && this.out.order(known) !== undefined) clientId = known;
    }
    if (clientId !== undefined && trade.order !== null && trade.order !== undefined)
      registry.remember(trade.order, clientId);
    this.out.emit(fillEvent(trade, this.name, instrument, clientId, this.options.clock.now()));
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
      this.options.refused('balance payload');
      return;
    }
    this.out.emit({
      type: 'balanceUpdated',
      exchange: this.name,
      balances,
      time: this.options.clock.now(),
    });
  }

  /** Fetches balances soon (coalescing bursts of balance pushes into one REST call) */
  refreshBalancesSoon(): void {
    if (this.balanceTimer !== undefined || this.stopped) return;
    this.balanceTimer = this.options.clock.setTimer(BALANCE_DEBOUNCE_MS, () => {
      this.balanceTimer = undefined;
      this.refreshBalances().catch((error: unknown) =>
        this.options.logger.warn('balance refresh failed', {
          exchange: this.name,
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
    this.ingestBalance(await this.options.rest.fetchBalance());
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
    const timer = this.options.clock.setTimer(this.options.fillGapDelayMs, () => {
      this.fillGaps.delete(order.id);
      const now = this.out.order(clientId);
      if (now === undefined || filled <= now.filledQuantity) return;
      this.options.rest
        .orderTrades(instrument.symbol, order.id)
        .then((trades) => {
          for (const trade of trades) this.ingestTrade(trade, 'rest');
        })
        .catch((error: unknown) =>
          this.options.logger.warn('fetching missed fills failed; the resync will retry', {
            exchange: this.name,
            clientId,
            error: (error as Error).message,
          }),
        );
    });
    this.fillGaps.set(order.id, timer);
  }

  // ---- status queries ----

  /** Asks the venue about an order soon, and again (doubling) until it answers */
  scheduleStatusCheck(clientId: string, attempt = 1): void {
    if (attempt > MAX_STATUS_CHECKS) this.amendsUnsettled.delete(clientId);
    if (this.statusChecks.has(clientId) || this.stopped || attempt > MAX_STATUS_CHECKS) return;
    const delay = Math.min(60_000, this.options.statusCheckDelayMs * 2 ** (attempt - 1));
    const timer = this.options.clock.setTimer(delay, () => {
      this.statusChecks.delete(clientId);
      this.checkStatus(clientId, attempt).catch((error: unknown) =>
        this.options.logger.warn('status query failed', {
          exchange: this.name,
          clientId,
          error: (error as Error).message,
        }),
      );
    });
    this.statusChecks.set(clientId, timer);
  }

  /**
   * Reads an order's terms back from the venue soon, and again until it answers: its amend
   * failed without a verdict, so its quantity and price may have changed at the venue
   */
  checkAmend(clientId: string): void {
    if (this.stopped) return;
    this.amendsUnsettled.add(clientId);
    this.scheduleStatusCheck(clientId);
  }

  private async checkStatus(clientId: string, attempt: number): Promise<void> {
    const local = this.out.order(clientId);
    const amend = this.amendsUnsettled.has(clientId);
    if (local === undefined || isTerminal(local.status)) {
      this.amendsUnsettled.delete(clientId);
      return;
    }
    if (!amend && local.status !== 'PENDING' && local.status !== 'PENDING_CANCEL') return;
    const outcome = await this.checkOrder(local);
    const after = this.out.order(clientId);
    if (amend) {
      // Settled by any answer; an order the venue does not know is the reconciler's to judge
      if (outcome === 'unknown' && after !== undefined && !isTerminal(after.status))
        this.scheduleStatusCheck(clientId, attempt + 1);
      else this.amendsUnsettled.delete(clientId);
      if (after?.status !== 'PENDING_CANCEL') return;
    }
    if (after === undefined || isTerminal(after.status)) return;
    if (outcome === 'missing' && this.declareLostIfDue(after)) return;
    if (outcome === 'found' && after.status === 'PENDING_CANCEL') {
      // A cancel whose answer was lost is sent again; an acknowledged one is awaited
      if (this.options.registry.cancelsAwaiting.has(clientId)) this.options.resendCancel(clientId);
      else this.scheduleStatusCheck(clientId, attempt + 1);
      return;
    }
    if (outcome !== 'found' || after.status === 'PENDING')
      this.scheduleStatusCheck(clientId, attempt + 1);
  }

  /**
   * Asks the venue about one order (by our wire id where it takes one) and applies the answer,
   * noting what it changed in `found`
   */
  private async checkOrder(local: TrackedOrder, found: string[] = []): Promise<QueryOutcome> {
    const { rest } = this.options;
    try {
      const raw = await rest.fetchOrder(
        {
          symbol: local.instrument.symbol,
          venueId: local.venueOrderId,
          wireId:
            local.origin === 'EXTERNAL'
              ? undefined
              : rest.profile.clientId.codec.encode(local.clientId),
        },
        local.clientId,
      );
      this.audited(found, () => this.ingestOrder(raw, 'rest', local.clientId));
      return 'found';
    } catch (error) {
      if (rest.isOrderNotFound(error)) return 'missing';
      this.options.logger.warn('status query without an answer', {
        exchange: this.name,
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
    if (this.options.registry.isSending(order.clientId)) return false;
    const now = this.options.clock.now();
    const age = now - order.createdAt;
    if (order.status === 'PENDING' && age < this.options.lostAfterMs) return false;
    this.out.emit({
      type: 'orderLost',
      exchange: this.name,
      clientId: order.clientId,
      reason: `the venue does not know the order (asked ${Math.round(age)} ms after it was requested)`,
      time: now,
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
    const { rest, registry, clock } = this.options;
    const found: string[] = [];
    const openIds = new Set<string>();
    for (const symbol of rest.openOrderScopes(this.symbols(), 'none')) {
      const open = await rest.fetchOpenOrders(symbol);
      for (const raw of Array.isArray(open) ? open : []) {
        const parsed = orderSchema.safeParse(raw);
        if (parsed.success) openIds.add(parsed.data.id);
        this.audited(found, () => this.ingestOrder(raw, 'rest'));
      }
    }
    for (const local of this.out.openOrders()) {
      if (registry.isSending(local.clientId)) continue;
      const listed = local.venueOrderId !== undefined && openIds.has(local.venueOrderId);
      if (listed && this.restoredLive.delete(local.clientId) && local.origin === 'FRAMEWORK') {
        this.out.emit({
          type: 'orderRecovered',
          exchange: this.name,
          clientId: local.clientId,
          time: clock.now(),
        });
      }
      if (
        listed &&
        local.status === 'PENDING_CANCEL' &&
        registry.cancelsAwaiting.has(local.clientId)
      )
        this.options.resendCancel(local.clientId);
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
  symbols(): Set<string> {
    const symbols = new Set([
      ...this.activeSymbols,
      ...this.watchedSymbols,
      ...this.restoredSymbols,
    ]);
    for (const order of this.options.sink()?.openOrders() ?? [])
      symbols.add(order.instrument.symbol);
    return symbols;
  }

  /** The executions since the last one seen on each market, every page the venue has */
  private async resyncTrades(found: string[]): Promise<void> {
    const { rest, registry, clock } = this.options;
    let lookups = 0;
    for (const symbol of this.symbols()) {
      if (!this.options.instruments.has(symbol)) continue;
      const cursor = this.tradeCursor.get(symbol);
      const floor = Math.floor(Math.min(this.startedAt, this.resumeFrom ?? this.startedAt));
      const since = cursor === undefined ? floor : Math.max(floor, cursor - TRADE_OVERLAP_MS);
      for await (const page of rest.trades(symbol, since, clock.now())) {
        for (const entry of page) {
          const parsed = tradeSchema.safeParse(entry);
          const venueId = parsed.success ? parsed.data.order : undefined;
          // A fill of an order we have no id for: learn its client id first, so the fill matches it
          if (
            venueId !== null &&
            venueId !== undefined &&
            registry.clientIdOf(venueId) === undefined &&
            (!parsed.success || this.ourClientIds(parsed.data).length === 0) &&
            lookups < ORDER_LOOKUPS_PER_RESYNC
          ) {
            lookups += 1;
            try {
              const order = await rest.fetchOrder({ symbol, venueId, wireId: undefined }, venueId);
              this.audited(found, () => this.ingestOrder(order, 'rest'));
            } catch (error) {
              this.options.logger.debug('could not look up the order of a fill', {
                exchange: this.name,
                venueId,
                error: (error as Error).message,
              });
            }
          }
          this.audited(found, () => this.ingestTrade(entry, 'rest'));
        }
      }
    }
  }
}
