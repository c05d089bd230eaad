import type { Level } from '../../core/market-data.ts';
import { money } from '../../core/numeric.ts';
import type { Side } from '../../core/order.ts';
import type { Clock, Timer } from '../../engine/clock.ts';
import type { SimReport } from '../../venues/sim/sim-venue.ts';
import { SIM_CODES, SimVenue } from '../../venues/sim/sim-venue.ts';
import type { EmulatorMarket } from './markets.ts';
import {
  FIRST_ORDER_INDEX,
  MAX_CLIENT_ORDER_INDEX,
  ORDER_TYPE_MARKET,
  TIF_IOC,
  TIF_POST_ONLY,
  TX,
  VenueRefusal,
} from './protocol.ts';
import type { CancelAllTx, CancelTx, CreateTx, ModifyTx, ParsedTx } from './tx.ts';
import { emulatorTxHash, parseTx, validateCreate } from './tx.ts';

/** An order as the emulated venue holds it; amounts in the market's integer units */
export interface EmulatedOrder {
  readonly orderIndex: number;
  readonly clientOrderIndex: number;
  readonly marketIndex: number;
  /** The order's id inside the matching engine */
  readonly simKey: string;
  readonly isAsk: boolean;
  readonly type: 'limit' | 'market';
  readonly timeInForce: 'good-till-time' | 'immediate-or-cancel' | 'post-only';
  readonly reduceOnly: boolean;
  initialBase: number;
  price: number;
  readonly orderExpiry: number;
  readonly nonce: number;
  filledBase: number;
  filledQuote: number;
  status: string;
  readonly createdAt: number;
  updatedAt: number;
  blockHeight: number;
  /** Fault: until when a just-canceled order is listed nowhere (ms) */
  hiddenUntil: number;
}

/** One execution of the account, as the venue booked it in its ledger */
export interface LighterExecution {
  /** The trade id the account's trades carry (`trade_id_str`) */
  readonly tradeId: string;
  readonly marketIndex: number;
  readonly symbol: string;
  /** The order's index (`order_id`) */
  readonly venueOrderId: string;
  /** 0 when the order carried none */
  readonly clientOrderIndex: number;
  /** String(clientOrderIndex), Kestrel's correlation key; undefined for 0 */
  readonly correlationKey: string | undefined;
  readonly side: Side;
  readonly quantity: number;
  readonly price: number;
  /** What the ledger charged, in USDC (negative for a rebate) */
  readonly fee: number;
  readonly liquidity: 'MAKER' | 'TAKER';
  readonly time: number;
}

/** An order as the venue holds it, live or done, in plain units */
export interface LighterOrderRecord {
  readonly venueOrderId: string;
  readonly clientOrderIndex: number;
  readonly correlationKey: string | undefined;
  readonly marketIndex: number;
  readonly symbol: string;
  readonly side: Side;
  readonly type: 'limit' | 'market';
  readonly timeInForce: 'good-till-time' | 'immediate-or-cancel' | 'post-only';
  readonly reduceOnly: boolean;
  readonly quantity: number;
  readonly price: number;
  readonly filledQuantity: number;
  /** The venue's status word: open, filled, canceled, canceled-post-only, ... */
  readonly status: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What changed, for the WebSocket layer to push */
export type ExchangePush =
  | { readonly kind: 'orders'; readonly orders: readonly EmulatedOrder[] }
  | { readonly kind: 'trades'; readonly trades: readonly TradeRecord[] }
  | { readonly kind: 'positions'; readonly marketIndexes: readonly number[] }
  | { readonly kind: 'stats' }
  | {
      readonly kind: 'book';
      readonly marketIndex: number;
      readonly bids: readonly Level[];
      readonly asks: readonly Level[];
    }
  | {
      readonly kind: 'publicTrades';
      readonly marketIndex: number;
      readonly trades: readonly TradeRecord[];
    };

/** A trade in the venue's wire shape (see the `account_all_trades` capture) */
export type TradeRecord = Record<string, unknown> & {
  readonly trade_id: number;
  readonly market_id: number;
};

export interface ExchangeOptions {
  readonly markets: readonly EmulatorMarket[];
  readonly accountIndex: number;
  readonly apiKeyIndex: number;
  readonly collateral: number;
  readonly clock: Clock;
  readonly chainId: number;
  readonly startNonce: number;
  /** How long an accepted transaction waits in the sequencer before it executes, ms */
  readonly executionDelayMs: number;
}

interface QueuedTx {
  readonly tx: ParsedTx;
  readonly hash: string;
}

const COUNTERPARTY_ACCOUNT = 281_474_976_710_654;
const INACTIVE_KEPT = 5_000;
const TRADES_KEPT = 5_000;
/** The full order and execution history kept for tests and soak comparisons */
const HISTORY_KEPT = 1_000_000;

/** How a refusal of the matching engine reads as a Lighter terminal status */
function refusedStatus(code: string): string {
  switch (code) {
    case SIM_CODES.POST_ONLY_WOULD_CROSS.code:
      return 'canceled-post-only';
    case SIM_CODES.INSUFFICIENT_MARGIN.code:
    case SIM_CODES.INSUFFICIENT_BALANCE.code:
      return 'canceled-margin-not-allowed';
    case SIM_CODES.REDUCE_ONLY_REJECTED.code:
      return 'canceled-reduce-only';
    case SIM_CODES.NO_LIQUIDITY.code:
      return 'canceled-not-enough-liquidity';
    default:
      return 'canceled-invalid-balance';
  }
}

/**
 * The emulated venue: one account with one API key, its nonce sequence, a sequencer queue, and
 * a SimVenue (the sim matching core and ledger) that executes the transactions. The API layer
 * (`submit`) does what Lighter's API servers do synchronously (parse, field rules, account and
 * key, nonce, client order index uniqueness, the target of a cancel), and the sequencer later
 * executes in nonce order, where matching outcomes (post-only would cross, no margin) become
 * `canceled-*` statuses pushed on the stream, as on the real venue.
 */
export class LighterExchange {
  readonly venue: SimVenue;
  readonly accountIndex: number;
  readonly apiKeyIndex: number;
  readonly chainId: number;
  private readonly clock: Clock;
  private readonly markets = new Map<number, EmulatorMarket>();
  private readonly nonces = new Map<number, number>();
  private readonly live = new Map<number, EmulatedOrder>();
  private readonly liveByClientIndex = new Map<number, EmulatedOrder>();
  private readonly bySimKey = new Map<string, EmulatedOrder>();
  private readonly inactive: EmulatedOrder[] = [];
  private readonly accountTrades: TradeRecord[] = [];
  private readonly publicTrades = new Map<number, TradeRecord[]>();
  private readonly books = new Map<
    number,
    { bids: Map<number, number>; asks: Map<number, number> }
  >();
  private readonly bookSeq = new Map<number, { offset: number; nonce: number }>();
  private readonly lastPrice = new Map<number, number>();
  private readonly queuedClientIndexes = new Set<number>();
  private queue: QueuedTx[] = [];
  private executionTimer: Timer | undefined;
  private readonly listeners: Array<(push: ExchangePush) => void> = [];
  private readonly executionDelayMs: number;
  private held = false;
  private hideCanceledMs = 0;
  private nextAsk = FIRST_ORDER_INDEX + 1_000_000;
  private nextBid = 2 * FIRST_ORDER_INDEX + 1_000_000;
  private nextTrade = 19_000_000_000;
  private nextSimKey = 1;
  private blockHeight = 227_000_000;
  private volumeQuota = 5_000;
  private readonly transactions: QueuedTx[] = [];
  private readonly everyOrder = new Map<number, EmulatedOrder>();
  private readonly executionLog: LighterExecution[] = [];

  constructor(options: ExchangeOptions) {
    this.accountIndex = options.accountIndex;
    this.apiKeyIndex = options.apiKeyIndex;
    this.chainId = options.chainId;
    this.clock = options.clock;
    this.executionDelayMs = options.executionDelayMs;
    for (const market of options.markets) {
      this.markets.set(market.spec.marketIndex, market);
      this.books.set(market.spec.marketIndex, { bids: new Map(), asks: new Map() });
      this.bookSeq.set(market.spec.marketIndex, {
        offset: 1_000 + market.spec.marketIndex * 7,
        nonce: 9_000_000,
      });
      this.publicTrades.set(market.spec.marketIndex, []);
    }
    this.nonces.set(options.apiKeyIndex, options.startNonce);
    this.venue = new SimVenue({
      exchange: 'lighter',
      instruments: options.markets.map((m) => m.instrument),
      balances: [
        { currency: 'USDC', total: options.collateral, free: options.collateral, locked: 0 },
      ],
    });
  }

  onPush(listener: (push: ExchangePush) => void): void {
    this.listeners.push(listener);
  }

  private emit(push: ExchangePush): void {
    for (const listener of this.listeners) listener(push);
  }

  private now(): number {
    return Math.floor(this.clock.now());
  }

  listMarkets(): EmulatorMarket[] {
    return [...this.markets.values()];
  }

  market(index: number): EmulatorMarket | undefined {
    return this.markets.get(index);
  }

  /** The market of a symbol (`ETH`) or an index (`0`, 0) */
  resolveMarket(ref: number | string): EmulatorMarket {
    const byIndex = this.markets.get(Number(ref));
    if (byIndex !== undefined && String(ref).trim() !== '') return byIndex;
    for (const market of this.markets.values()) if (market.spec.symbol === ref) return market;
    throw new Error(`no market ${String(ref)}`);
  }

  lastTradePrice(index: number): number | undefined {
    return this.lastPrice.get(index);
  }

  nextNonce(apiKeyIndex: number): number | undefined {
    return this.nonces.get(apiKeyIndex);
  }

  /** Fault: another client used the key `steps` times */
  advanceNonce(apiKeyIndex: number, steps: number): void {
    const nonce = this.nonces.get(apiKeyIndex);
    if (nonce !== undefined) this.nonces.set(apiKeyIndex, nonce + steps);
  }

  /** Fault: accepted transactions wait in the sequencer until released */
  hold(held: boolean): void {
    this.held = held;
    if (!held) this.schedule();
  }

  /** Fault: a canceled order is listed nowhere for `ms` */
  hideCanceled(ms: number): void {
    this.hideCanceledMs = ms;
  }

  /** What the account's sendTx volume quota has left (one per transaction; never enforced) */
  get volumeQuotaRemaining(): number {
    return this.volumeQuota;
  }

  /** Every transaction the sequencer accepted, in order, for tests */
  acceptedTransactions(): readonly ParsedTx[] {
    return this.transactions.map((q) => q.tx);
  }

  // ---- API layer ---------------------------------------------------------------------------

  /**
   * Accepts one transaction into the sequencer, or refuses it.
   * @throws VenueRefusal the venue's code and message
   */
  submit(
    txType: number,
    txInfo: string,
  ): { readonly hash: string; readonly predictedMs: number; readonly quota: number } {
    const [hash] = this.submitBatch([txType], [txInfo]);
    return { hash: hash ?? '', predictedMs: this.executionDelayMs, quota: this.volumeQuota };
  }

  /**
   * Accepts a batch into the sequencer atomically: every transaction is checked against the
   * state as the earlier ones of the batch would leave it (consecutive nonces, client order
   * indexes unique across the batch); the first refusal refuses the whole batch and nothing is
   * queued (an emulator choice: the venue documents no per-transaction verdict for batches).
   * @throws VenueRefusal the first refusal
   */
  submitBatch(txTypes: readonly number[], txInfos: readonly string[]): string[] {
    if (txTypes.length !== txInfos.length || txTypes.length === 0) {
      throw new VenueRefusal('INVALID_TX_INFO', 'tx_types and tx_infos differ in length');
    }
    const now = this.now();
    const parsed: QueuedTx[] = [];
    const reserved = new Set<number>();
    let nonce = this.nonces.get(this.apiKeyIndex);
    for (const [i, txType] of txTypes.entries()) {
      const info = txInfos[i] ?? '';
      const tx = parseTx(txType, info);
      if (tx.AccountIndex !== this.accountIndex)
        throw new VenueRefusal('INVALID_TX_INFO', `unknown account ${tx.AccountIndex}`);
      const expected = this.nonces.get(tx.ApiKeyIndex);
      if (expected === undefined)
        throw new VenueRefusal('INVALID_TX_INFO', `unknown api key ${tx.ApiKeyIndex}`);
      if (tx.ApiKeyIndex !== this.apiKeyIndex) throw new VenueRefusal('INVALID_TX_INFO', 'api key');
      if (tx.ExpiredAt <= now)
        throw new VenueRefusal('INVALID_TX_INFO', `transaction expired at ${tx.ExpiredAt}`);
      if (nonce === undefined || tx.Nonce !== nonce) {
        throw new VenueRefusal('INVALID_NONCE', `expected ${nonce}, got ${tx.Nonce}`);
      }
      this.check(tx, now, reserved);
      nonce += 1;
      parsed.push({ tx, hash: emulatorTxHash(this.chainId, txType, info) });
    }
    this.nonces.set(this.apiKeyIndex, nonce ?? 0);
    for (const item of parsed) {
      if (item.tx.txType === TX.CREATE && item.tx.ClientOrderIndex > 0)
        this.queuedClientIndexes.add(item.tx.ClientOrderIndex);
      this.queue.push(item);
      this.transactions.push(item);
    }
    this.volumeQuota = Math.max(0, this.volumeQuota - parsed.length);
    this.schedule();
    return parsed.map((p) => p.hash);
  }

  private check(tx: ParsedTx, now: number, reserved: Set<number>): void {
    switch (tx.txType) {
      case TX.CREATE: {
        validateCreate(tx, now);
        const market = this.markets.get(tx.MarketIndex);
        if (market === undefined) throw new VenueRefusal('INVALID_MARKET_INDEX');
        const coi = tx.ClientOrderIndex;
        if (
          coi > 0 &&
          (this.liveByClientIndex.has(coi) ||
            this.queuedClientIndexes.has(coi) ||
            reserved.has(coi))
        ) {
          throw new VenueRefusal('CLIENT_ORDER_INDEX_EXISTS');
        }
        if (tx.ReduceOnly === 0) {
          const { sizeDecimals, priceDecimals, minBaseAmount, minQuoteAmount } = market.spec;
          const size = tx.BaseAmount / 10 ** sizeDecimals;
          const price = tx.Price / 10 ** priceDecimals;
          if (size + 1e-12 < minBaseAmount || size * price + 1e-9 < minQuoteAmount) {
            throw new VenueRefusal('INVALID_ORDER_AMOUNT');
          }
        }
        if (coi > 0) reserved.add(coi);
        return;
      }
      case TX.CANCEL:
      case TX.MODIFY: {
        if (!this.markets.has(tx.MarketIndex)) throw new VenueRefusal('INVALID_MARKET_INDEX');
        if (tx.Index <= 0) throw new VenueRefusal('INVALID_ORDER_INDEX');
        const known =
          tx.Index <= MAX_CLIENT_ORDER_INDEX
            ? this.liveByClientIndex.get(tx.Index)?.marketIndex === tx.MarketIndex ||
              this.queuedClientIndexes.has(tx.Index) ||
              reserved.has(tx.Index)
            : this.live.get(tx.Index)?.marketIndex === tx.MarketIndex;
        if (!known) throw new VenueRefusal('NOT_ACTIVE_ORDER');
        if (tx.txType === TX.MODIFY && (tx.BaseAmount < 1 || tx.Price < 1))
          throw new VenueRefusal('INVALID_BASE_AMOUNT');
        return;
      }
      case TX.CANCEL_ALL:
        if (tx.TimeInForce !== 0)
          throw new VenueRefusal(
            'INVALID_CANCEL_ALL_TIME_IN_FORCE',
            'the emulator cancels immediately only',
          );
        if (tx.Time !== 0) throw new VenueRefusal('INVALID_CANCEL_ALL_TIME');
        return;
    }
  }

  private schedule(): void {
    if (this.held || this.executionTimer !== undefined || this.queue.length === 0) return;
    this.executionTimer = this.clock.setTimer(this.executionDelayMs, () => {
      this.executionTimer = undefined;
      this.executeQueued();
    });
  }

  /** Runs every queued transaction now, in sequencer order (one block) */
  executeQueued(): void {
    if (this.held) return;
    const queue = this.queue;
    this.queue = [];
    if (queue.length === 0) return;
    this.blockHeight += 1;
    for (const { tx } of queue) {
      switch (tx.txType) {
        case TX.CREATE:
          this.queuedClientIndexes.delete(tx.ClientOrderIndex);
          this.executeCreate(tx);
          break;
        case TX.CANCEL:
          this.executeCancel(tx);
          break;
        case TX.CANCEL_ALL:
          this.executeCancelAll(tx);
          break;
        case TX.MODIFY:
          this.executeModify(tx);
          break;
      }
    }
  }

  // ---- Sequencer ---------------------------------------------------------------------------

  private executeCreate(tx: CreateTx): void {
    const market = this.markets.get(tx.MarketIndex);
    if (market === undefined) return;
    const now = this.now();
    const isAsk = tx.IsAsk === 1;
    const orderIndex = isAsk ? this.nextAsk++ : this.nextBid++;
    const order: EmulatedOrder = {
      orderIndex,
      clientOrderIndex: tx.ClientOrderIndex,
      marketIndex: tx.MarketIndex,
      simKey: `k${this.nextSimKey++}`,
      isAsk,
      type: tx.Type === ORDER_TYPE_MARKET ? 'market' : 'limit',
      timeInForce:
        tx.TimeInForce === TIF_IOC
          ? 'immediate-or-cancel'
          : tx.TimeInForce === TIF_POST_ONLY
            ? 'post-only'
            : 'good-till-time',
      reduceOnly: tx.ReduceOnly === 1,
      initialBase: tx.BaseAmount,
      price: tx.Price,
      orderExpiry: tx.OrderExpiry,
      nonce: tx.Nonce,
      filledBase: 0,
      filledQuote: 0,
      status: 'pending',
      createdAt: now,
      updatedAt: now,
      blockHeight: this.blockHeight,
      hiddenUntil: 0,
    };
    this.bySimKey.set(order.simKey, order);
    this.everyOrder.set(order.orderIndex, order);
    if (this.everyOrder.size > HISTORY_KEPT) {
      const oldest = this.everyOrder.keys().next().value;
      if (oldest !== undefined) this.everyOrder.delete(oldest);
    }
    const { sizeDecimals, priceDecimals } = market.spec;
    const reports = this.venue.submit(
      {
        clientId: order.simKey,
        symbol: market.instrument.symbol,
        side: isAsk ? 'SELL' : 'BUY',
        // A market order is a limit IOC at its worst acceptable price, as on the venue
        type: 'LIMIT',
        quantity: Number((tx.BaseAmount / 10 ** sizeDecimals).toFixed(sizeDecimals)),
        price: Number((tx.Price / 10 ** priceDecimals).toFixed(priceDecimals)),
        timeInForce:
          tx.TimeInForce === TIF_IOC ? 'IOC' : tx.TimeInForce === TIF_POST_ONLY ? 'GTX' : 'GTC',
        reduceOnly: order.reduceOnly,
      },
      now,
    );
    const first = reports[0];
    if (first?.type === 'rejected') {
      order.status = refusedStatus(first.code);
      this.retire(order, now);
      this.emit({ kind: 'orders', orders: [order] });
      return;
    }
    this.absorb(reports, now, [order]);
  }

  private findTarget(marketIndex: number, index: number): EmulatedOrder | undefined {
    const order =
      index <= MAX_CLIENT_ORDER_INDEX ? this.liveByClientIndex.get(index) : this.live.get(index);
    return order?.marketIndex === marketIndex ? order : undefined;
  }

  private executeCancel(tx: CancelTx): void {
    const order = this.findTarget(tx.MarketIndex, tx.Index);
    // A cancel whose order is gone by now fails in the sequencer: nothing is pushed
    if (order === undefined) return;
    this.absorb(this.venue.cancel({ clientId: order.simKey }, this.now()), this.now());
  }

  private executeCancelAll(_tx: CancelAllTx): void {
    this.absorb(this.venue.cancelAll(undefined, this.now()), this.now());
  }

  private executeModify(tx: ModifyTx): void {
    const order = this.findTarget(tx.MarketIndex, tx.Index);
    const market = this.markets.get(tx.MarketIndex);
    if (order === undefined || market === undefined) return;
    const { sizeDecimals, priceDecimals } = market.spec;
    const reports = this.venue.amend(
      { clientId: order.simKey },
      {
        price: Number((tx.Price / 10 ** priceDecimals).toFixed(priceDecimals)),
        quantity: Number((tx.BaseAmount / 10 ** sizeDecimals).toFixed(sizeDecimals)),
      },
      this.now(),
    );
    if (reports[0]?.type === 'amendRejected') return;
    this.absorb(reports, this.now());
  }

  /** Turns what the matching core reported into order, trade, position and stats pushes */
  private absorb(reports: readonly SimReport[], now: number, touched: EmulatedOrder[] = []): void {
    const changed = new Set<EmulatedOrder>(touched);
    const trades: TradeRecord[] = [];
    const positions = new Set<number>();
    for (const report of reports) {
      if (
        report.type === 'rejected' ||
        report.type === 'funding' ||
        report.type === 'cancelRejected' ||
        report.type === 'amendRejected'
      )
        continue;
      const order = this.bySimKey.get(report.order.clientId);
      if (order === undefined) continue;
      const market = this.markets.get(order.marketIndex);
      if (market === undefined) continue;
      const { sizeDecimals, priceDecimals } = market.spec;
      order.updatedAt = now;
      order.blockHeight = this.blockHeight;
      changed.add(order);
      switch (report.type) {
        case 'accepted':
          order.status = 'open';
          this.live.set(order.orderIndex, order);
          if (order.clientOrderIndex > 0) this.liveByClientIndex.set(order.clientOrderIndex, order);
          break;
        case 'fill': {
          order.filledBase += Math.round(report.quantity * 10 ** sizeDecimals);
          order.filledQuote = money(order.filledQuote + report.quantity * report.price);
          const trade = this.tradeRecord(
            order,
            report.quantity,
            report.price,
            report.liquidity,
            now,
          );
          trades.push(trade);
          this.logExecution(order, trade, report.fee, report.liquidity, market);
          positions.add(order.marketIndex);
          this.lastPrice.set(order.marketIndex, report.price);
          if (report.order.status === 'FILLED') {
            order.status = 'filled';
            this.retire(order, now);
          }
          break;
        }
        case 'canceled':
          order.status =
            report.reason === 'canceled by the client'
              ? 'canceled'
              : report.reason.startsWith('reduce-only')
                ? 'canceled-reduce-only'
                : order.filledBase > 0
                  ? 'canceled'
                  : 'canceled-not-enough-liquidity';
          if (report.reason === 'canceled by the client' && this.hideCanceledMs > 0) {
            order.hiddenUntil = now + this.hideCanceledMs;
          }
          this.retire(order, now);
          break;
        case 'expired':
          order.status = 'canceled-expired';
          this.retire(order, now);
          break;
        case 'amended':
          order.price = Math.round((report.order.price ?? 0) * 10 ** priceDecimals);
          order.initialBase = Math.round(report.order.quantity * 10 ** sizeDecimals);
          break;
        case 'triggered':
          break;
      }
    }
    if (changed.size > 0) this.emit({ kind: 'orders', orders: [...changed] });
    if (trades.length > 0) {
      this.accountTrades.push(...trades);
      if (this.accountTrades.length > TRADES_KEPT)
        this.accountTrades.splice(0, this.accountTrades.length - TRADES_KEPT);
      this.emit({ kind: 'trades', trades });
      for (const index of positions) {
        const own = trades.filter((t) => t.market_id === index);
        this.recordPublic(index, own);
      }
      this.emit({ kind: 'positions', marketIndexes: [...positions] });
    }
    if (changed.size > 0 || trades.length > 0) this.emit({ kind: 'stats' });
  }

  private logExecution(
    order: EmulatedOrder,
    trade: TradeRecord,
    fee: number,
    liquidity: 'MAKER' | 'TAKER',
    market: EmulatorMarket,
  ): void {
    this.executionLog.push({
      tradeId: String(trade.trade_id),
      marketIndex: order.marketIndex,
      symbol: market.instrument.symbol,
      venueOrderId: String(order.orderIndex),
      clientOrderIndex: order.clientOrderIndex,
      correlationKey: order.clientOrderIndex > 0 ? String(order.clientOrderIndex) : undefined,
      side: order.isAsk ? 'SELL' : 'BUY',
      quantity: Number(trade['size']),
      price: Number(trade['price']),
      fee,
      liquidity,
      time: Number(trade['timestamp']),
    });
    if (this.executionLog.length > HISTORY_KEPT) this.executionLog.shift();
  }

  private retire(order: EmulatedOrder, now: number): void {
    order.updatedAt = now;
    this.live.delete(order.orderIndex);
    if (this.liveByClientIndex.get(order.clientOrderIndex) === order)
      this.liveByClientIndex.delete(order.clientOrderIndex);
    this.bySimKey.delete(order.simKey);
    this.inactive.push(order);
    if (this.inactive.length > INACTIVE_KEPT)
      this.inactive.splice(0, this.inactive.length - INACTIVE_KEPT);
  }

  private tradeRecord(
    order: EmulatedOrder,
    quantity: number,
    price: number,
    liquidity: 'MAKER' | 'TAKER',
    now: number,
  ): TradeRecord {
    const market = this.markets.get(order.marketIndex);
    const spec = market?.spec;
    const sizeDecimals = spec?.sizeDecimals ?? 4;
    const priceDecimals = spec?.priceDecimals ?? 2;
    const counterpartyIndex = order.isAsk ? this.nextBid++ : this.nextAsk++;
    const weAreMaker = liquidity === 'MAKER';
    const isMakerAsk = weAreMaker ? order.isAsk : !order.isAsk;
    const makerFee = Math.round((spec?.makerFee ?? 0) * 1_000_000);
    const takerFee = Math.round((spec?.takerFee ?? 0) * 1_000_000);
    const ask = order.isAsk
      ? { id: order.orderIndex, client: order.clientOrderIndex, account: this.accountIndex }
      : { id: counterpartyIndex, client: 0, account: COUNTERPARTY_ACCOUNT };
    const bid = order.isAsk
      ? { id: counterpartyIndex, client: 0, account: COUNTERPARTY_ACCOUNT }
      : { id: order.orderIndex, client: order.clientOrderIndex, account: this.accountIndex };
    const id = this.nextTrade++;
    return {
      trade_id: id,
      trade_id_str: String(id),
      tx_hash: id.toString(16).padStart(16, '0'),
      type: 'trade',
      market_id: order.marketIndex,
      size: quantity.toFixed(sizeDecimals),
      price: price.toFixed(priceDecimals),
      usd_amount: (quantity * price).toFixed(6),
      ask_id: ask.id,
      ask_id_str: String(ask.id),
      bid_id: bid.id,
      bid_id_str: String(bid.id),
      ask_client_id: ask.client,
      ask_client_id_str: String(ask.client),
      bid_client_id: bid.client,
      bid_client_id_str: String(bid.client),
      ask_account_id: ask.account,
      bid_account_id: bid.account,
      is_maker_ask: isMakerAsk,
      block_height: this.blockHeight,
      timestamp: now,
      // The venue omits zero fees
      ...(takerFee === 0 ? {} : { taker_fee: takerFee }),
      ...(makerFee === 0 ? {} : { maker_fee: makerFee }),
      transaction_time: now * 1000,
    };
  }

  private recordPublic(marketIndex: number, trades: readonly TradeRecord[]): void {
    if (trades.length === 0) return;
    const list = this.publicTrades.get(marketIndex);
    if (list !== undefined) {
      list.push(...trades);
      if (list.length > 200) list.splice(0, list.length - 200);
    }
    this.emit({ kind: 'publicTrades', marketIndex, trades });
  }

  // ---- Market ------------------------------------------------------------------------------

  /** Replaces a market's book (best levels first) and lets resting orders trade against it */
  setBook(marketIndex: number, bids: readonly Level[], asks: readonly Level[]): void {
    const market = this.markets.get(marketIndex);
    const book = this.books.get(marketIndex);
    if (market === undefined || book === undefined) return;
    const diff = (current: Map<number, number>, next: readonly Level[]): Level[] => {
      const wanted = new Map(next.filter(([, size]) => size > 0));
      const changes: Level[] = [];
      for (const price of current.keys()) if (!wanted.has(price)) changes.push([price, 0]);
      for (const [price, size] of wanted)
        if (current.get(price) !== size) changes.push([price, size]);
      current.clear();
      for (const [price, size] of wanted) current.set(price, size);
      return changes;
    };
    const bidChanges = diff(book.bids, bids);
    const askChanges = diff(book.asks, asks);
    if (bidChanges.length > 0 || askChanges.length > 0) {
      this.emit({ kind: 'book', marketIndex, bids: bidChanges, asks: askChanges });
    }
    const now = this.now();
    const bestBid = bids[0];
    const bestAsk = asks[0];
    if (bestBid !== undefined && bestAsk !== undefined) {
      this.absorb(
        this.venue.onBook(
          { type: 'book', instrument: market.instrument, time: now, bids, asks },
          now,
        ),
        now,
      );
    }
  }

  /** A print on the tape between two other accounts; resting orders it trades through fill */
  printTrade(marketIndex: number, price: number, size: number, side: Side): void {
    const market = this.markets.get(marketIndex);
    if (market === undefined) return;
    const now = this.now();
    const { sizeDecimals, priceDecimals } = market.spec;
    const id = this.nextTrade++;
    const takerAsk = side === 'SELL';
    const trade: TradeRecord = {
      trade_id: id,
      trade_id_str: String(id),
      tx_hash: id.toString(16).padStart(16, '0'),
      type: 'trade',
      market_id: marketIndex,
      size: size.toFixed(sizeDecimals),
      price: price.toFixed(priceDecimals),
      usd_amount: (size * price).toFixed(6),
      ask_id: this.nextAsk++,
      bid_id: this.nextBid++,
      ask_client_id: 0,
      bid_client_id: 0,
      ask_account_id: takerAsk ? 2 : 3,
      bid_account_id: takerAsk ? 3 : 2,
      is_maker_ask: !takerAsk,
      block_height: this.blockHeight,
      timestamp: now,
      transaction_time: now * 1000,
    };
    this.lastPrice.set(marketIndex, price);
    this.recordPublic(marketIndex, [trade]);
    this.absorb(
      this.venue.onTrade(
        { type: 'trade', instrument: market.instrument, time: now, price, size, side },
        now,
      ),
      now,
    );
  }

  /** The next offset and nonce pair of a market's book channel */
  advanceBook(
    marketIndex: number,
    changes: number,
  ): { offset: number; nonce: number; beginNonce: number } {
    const seq = this.bookSeq.get(marketIndex) ?? { offset: 1, nonce: 0 };
    const beginNonce = seq.nonce;
    seq.offset += 1;
    seq.nonce += Math.max(1, changes);
    this.bookSeq.set(marketIndex, seq);
    return { offset: seq.offset, nonce: seq.nonce, beginNonce };
  }

  bookState(marketIndex: number): {
    readonly bids: Level[];
    readonly asks: Level[];
    readonly offset: number;
    readonly nonce: number;
  } {
    const book = this.books.get(marketIndex);
    const seq = this.bookSeq.get(marketIndex) ?? { offset: 1, nonce: 0 };
    const sorted = (levels: Map<number, number> | undefined, descending: boolean): Level[] =>
      [...(levels ?? new Map<number, number>()).entries()]
        .sort((a, b) => (descending ? b[0] - a[0] : a[0] - b[0]))
        .map(([price, size]) => [price, size] as const);
    return {
      bids: sorted(book?.bids, true),
      asks: sorted(book?.asks, false),
      offset: seq.offset,
      nonce: seq.nonce,
    };
  }

  recentPublicTrades(marketIndex: number, limit: number): TradeRecord[] {
    return (this.publicTrades.get(marketIndex) ?? []).slice(-limit).reverse();
  }

  // ---- Queries -----------------------------------------------------------------------------

  private visible(order: EmulatedOrder): boolean {
    return order.hiddenUntil <= this.now();
  }

  activeOrders(marketIndex?: number): EmulatedOrder[] {
    return [...this.live.values()].filter(
      (o) => (marketIndex === undefined || o.marketIndex === marketIndex) && this.visible(o),
    );
  }

  /** Terminal orders, newest first */
  inactiveOrders(marketIndex?: number): EmulatedOrder[] {
    const out: EmulatedOrder[] = [];
    for (let i = this.inactive.length - 1; i >= 0; i--) {
      const order = this.inactive[i];
      if (order === undefined) continue;
      if (marketIndex !== undefined && order.marketIndex !== marketIndex) continue;
      if (this.visible(order)) out.push(order);
    }
    return out;
  }

  /** Orders by client order index, live or terminal (the latest of each) */
  ordersByClientIndex(indexes: readonly number[]): EmulatedOrder[] {
    const out: EmulatedOrder[] = [];
    for (const index of indexes) {
      const live = this.liveByClientIndex.get(index);
      if (live !== undefined) {
        if (this.visible(live)) out.push(live);
        continue;
      }
      for (let i = this.inactive.length - 1; i >= 0; i--) {
        const order = this.inactive[i];
        if (order?.clientOrderIndex === index) {
          if (this.visible(order)) out.push(order);
          break;
        }
      }
    }
    return out;
  }

  /** Every execution of the account, oldest first (the last million) */
  executions(): LighterExecution[] {
    return [...this.executionLog];
  }

  /** Every order the venue placed for the account, live and done, oldest first (the last million) */
  orders(): LighterOrderRecord[] {
    return [...this.everyOrder.values()].map((order) => {
      const market = this.markets.get(order.marketIndex);
      const sizeDecimals = market?.spec.sizeDecimals ?? 4;
      const priceDecimals = market?.spec.priceDecimals ?? 2;
      const size = (units: number) => Number((units / 10 ** sizeDecimals).toFixed(sizeDecimals));
      return {
        venueOrderId: String(order.orderIndex),
        clientOrderIndex: order.clientOrderIndex,
        correlationKey: order.clientOrderIndex > 0 ? String(order.clientOrderIndex) : undefined,
        marketIndex: order.marketIndex,
        symbol: market?.instrument.symbol ?? String(order.marketIndex),
        side: order.isAsk ? 'SELL' : 'BUY',
        type: order.type,
        timeInForce: order.timeInForce,
        reduceOnly: order.reduceOnly,
        quantity: size(order.initialBase),
        price: Number((order.price / 10 ** priceDecimals).toFixed(priceDecimals)),
        filledQuantity: size(order.filledBase),
        status: order.status,
        createdAt: order.createdAt,
        updatedAt: order.updatedAt,
      };
    });
  }

  /** The account's trades, newest first */
  trades(marketIndex?: number): TradeRecord[] {
    return this.accountTrades
      .filter((t) => marketIndex === undefined || t.market_id === marketIndex)
      .reverse();
  }

  /** Stops the sequencer timer */
  close(): void {
    this.executionTimer?.cancel();
    this.executionTimer = undefined;
  }
}
