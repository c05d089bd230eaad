import type { Level } from '../../core/market-data.ts';
import { money } from '../../core/numeric.ts';
import type { Side } from '../../core/order.ts';
import type { Clock, Timer } from '../../engine/clock.ts';
import type { FixedBase } from '../../venues/lighter/crypto/curve.ts';
import { verifierOf } from '../../venues/lighter/crypto/schnorr.ts';
import type { SimReport } from '../../venues/sim/sim-venue.ts';
import { SIM_CODES, SimVenue } from '../../venues/sim/sim-venue.ts';
import { AuthTokenChecker } from './auth.ts';
import { CandleSeries } from './candles.ts';
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
import { parseTx, validateCreate, verifyTx } from './tx.ts';

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
    }
  | {
      readonly kind: 'block';
      readonly height: number;
      /** The account's transactions the block executed, in the `Transaction` shape */
      readonly txs: readonly Record<string, unknown>[];
    };

/** A market's last 24 hours on the tape, for `orderBookDetails` and `market_stats` */
export interface DailyStats {
  readonly tradesCount: number;
  readonly baseVolume: number;
  readonly quoteVolume: number;
  readonly low: number;
  readonly high: number;
  /** Percent change from the first print of the window to the last */
  readonly change: number;
}

/** A trade in the venue's wire shape (see the `account_all_trades` capture) */
export type TradeRecord = Record<string, unknown> & {
  readonly trade_id: number;
  readonly market_id: number;
};

/** An API key registered on the account: its index, public key and next nonce */
export interface EmulatorApiKey {
  /** 0..254 (the venue's apps use 0..2, users 3..254) */
  readonly apiKeyIndex: number;
  /** The registered public key (40 bytes, 0x-hex): the key's signatures are verified against it */
  readonly publicKey: string;
  /** The key's next nonce; 0 when registered */
  readonly nonce: number;
}

/** An API key to register; its public key defaults to the index's well-known local one */
export interface LighterEmulatorApiKeySpec {
  readonly apiKeyIndex: number;
  readonly publicKey?: string;
  /** The key's first nonce; default 0 */
  readonly nonce?: number;
}

/** The highest API key index (255 is the venue's "all keys") */
export const MAX_API_KEY_INDEX = 254;

export interface ExchangeOptions {
  readonly markets: readonly EmulatorMarket[];
  readonly accountIndex: number;
  /** The account's API keys, at least one; each has its own public key and nonce sequence */
  readonly apiKeys: readonly {
    readonly apiKeyIndex: number;
    readonly publicKey: string;
    readonly nonce?: number;
  }[];
  readonly collateral: number;
  readonly clock: Clock;
  readonly chainId: number;
  /** How long an accepted transaction waits in the sequencer before it executes, ms */
  readonly executionDelayMs: number;
  /** The hourly funding rate the market data shows, a fraction; default 0 (funding is not charged) */
  readonly fundingRate?: number;
}

/** Verifiers by public key: building one tables the key's multiples, which is worth sharing */
const verifiers = new Map<string, FixedBase>();

/**
 * A registered public key ready to verify signatures.
 * @throws Error when the key is not 40 bytes of hex encoding a curve point
 */
function keyVerifier(publicKey: string): FixedBase {
  const hex = publicKey.replace(/^0x/, '').toLowerCase();
  let verifier = verifiers.get(hex);
  if (verifier === undefined) {
    verifier = /^[0-9a-f]{80}$/.test(hex) ? verifierOf(Buffer.from(hex, 'hex')) : undefined;
    if (verifier === undefined) throw new Error(`not a Lighter public key: ${publicKey}`);
    verifiers.set(hex, verifier);
  }
  return verifier;
}

interface QueuedTx {
  readonly tx: ParsedTx;
  readonly hash: string;
  /** The signed transaction as sent (the `info` of the account's transaction records) */
  readonly info: string;
  readonly queuedAt: number;
}

/** A position as the account's trades report it before each fill: signed size units, entry quote */
interface Holding {
  readonly units: number;
  readonly entryQuote: number;
}

/** The L1 address the emulated account was registered from */
export const LIGHTER_EMULATOR_L1_ADDRESS = '0x000000000000000000000000000000000000c0de';

/** The account the emulator books the other side of every trade to (the book's other participants) */
export const COUNTERPARTY_ACCOUNT = 281_474_976_710_654;
/** The default initial margin fraction of a market (500: 5.00 %), as trades report it */
const DEFAULT_IMF = 500;
const DAY_MS = 86_400_000;
/** Prints kept per market for the 24-hour figures */
const TAPE_KEPT = 200_000;
const FUNDING_PERIOD_MS = 3_600_000;
const INACTIVE_KEPT = 5_000;
const TRADES_KEPT = 5_000;
/** The full order and execution history kept for tests and soak comparisons */
const HISTORY_KEPT = 1_000_000;

/** The integrator fields of a trade with no integrator */
const NO_INTEGRATOR = {
  integrator_taker_fee: 0,
  integrator_taker_fee_collector_index: 0,
  integrator_maker_fee: 0,
  integrator_maker_fee_collector_index: 0,
  taker_allocated_margin_usdc_before: 0,
  taker_allocated_margin_usdc_after: 0,
  maker_allocated_margin_usdc_before: 0,
  maker_allocated_margin_usdc_after: 0,
} as const;

/** Size units as the venue writes a position size: signed, with the market's decimals */
function signedSize(units: number, decimals: number): string {
  return (units / 10 ** decimals).toFixed(decimals);
}

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

interface RegisteredKey {
  readonly publicKey: string;
  /** The public key, tabled for verifying the key's signatures */
  readonly verifier: FixedBase;
  nonce: number;
}

/**
 * The emulated venue: one account with its API keys (each with its own public key and nonce
 * sequence; any key may cancel or modify any order of the account), a sequencer queue, and
 * a SimVenue (the sim matching core and ledger) that executes the transactions. The API layer
 * (`submit`) does what Lighter's API servers do synchronously (parse, field rules, account and
 * key, nonce, client order index uniqueness, the target of a cancel), and the sequencer later
 * executes in nonce order, where matching outcomes (post-only would cross, no margin) become
 * `canceled-*` statuses pushed on the stream, as on the real venue.
 */
export class LighterExchange {
  readonly venue: SimVenue;
  readonly accountIndex: number;
  /** The first API key the account was started with */
  readonly apiKeyIndex: number;
  readonly chainId: number;
  /** Verifies auth tokens against the public key of the API key each names */
  readonly authTokens: AuthTokenChecker;
  private readonly clock: Clock;
  private readonly markets = new Map<number, EmulatorMarket>();
  private readonly keys = new Map<number, RegisteredKey>();
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
  /** One-minute candles of each market's tape */
  private readonly candleSeries = new Map<number, CandleSeries>();
  /** Each market's prints of the last 24 hours: time, price, size */
  private readonly tape = new Map<number, Array<readonly [number, number, number]>>();
  /** The account's position per market as its fills moved it */
  private readonly holdings = new Map<number, Holding>();
  /** What the REST trade reads add to a trade's stream shape: [public fields, account fields] */
  private readonly restFields = new WeakMap<
    TradeRecord,
    readonly [Record<string, unknown>, Record<string, unknown>]
  >();
  private sequenceIndex = 13_000_000_000;
  /** The hourly funding rate shown (a fraction) */
  readonly fundingRate: number;

  constructor(options: ExchangeOptions) {
    this.accountIndex = options.accountIndex;
    const first = options.apiKeys[0];
    if (first === undefined) throw new Error('the emulated account needs an API key');
    this.apiKeyIndex = first.apiKeyIndex;
    this.chainId = options.chainId;
    this.clock = options.clock;
    this.executionDelayMs = options.executionDelayMs;
    this.fundingRate = options.fundingRate ?? 0;
    this.authTokens = new AuthTokenChecker(
      options.accountIndex,
      (apiKeyIndex) => this.keys.get(apiKeyIndex)?.verifier,
    );
    for (const key of options.apiKeys)
      this.registerApiKey(key.apiKeyIndex, key.publicKey, key.nonce ?? 0);
    for (const market of options.markets) {
      this.markets.set(market.spec.marketIndex, market);
      this.books.set(market.spec.marketIndex, { bids: new Map(), asks: new Map() });
      this.bookSeq.set(market.spec.marketIndex, {
        offset: 1_000 + market.spec.marketIndex * 7,
        nonce: 9_000_000,
      });
      this.publicTrades.set(market.spec.marketIndex, []);
      this.candleSeries.set(market.spec.marketIndex, new CandleSeries());
      this.tape.set(market.spec.marketIndex, []);
    }
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

  /**
   * Registers an API key on the account (the venue's ChangePubKey): a new index starts its own
   * nonce sequence at `nonce`; an index already registered gets the new public key (its old
   * signatures and auth tokens stop verifying) and keeps its sequence.
   * @throws Error for an index outside 0..254 or a public key that is not a curve point
   */
  registerApiKey(apiKeyIndex: number, publicKey: string, nonce = 0): EmulatorApiKey {
    if (!Number.isInteger(apiKeyIndex) || apiKeyIndex < 0 || apiKeyIndex > MAX_API_KEY_INDEX)
      throw new Error(
        `API key index must be an integer in 0..${MAX_API_KEY_INDEX}, got ${apiKeyIndex}`,
      );
    if (!Number.isSafeInteger(nonce) || nonce < 0)
      throw new Error(`nonce must be a non-negative integer, got ${nonce}`);
    const verifier = keyVerifier(publicKey);
    const known = this.keys.get(apiKeyIndex);
    const key: RegisteredKey = { publicKey, verifier, nonce: known?.nonce ?? nonce };
    this.keys.set(apiKeyIndex, key);
    if (known !== undefined) this.authTokens.forget();
    return { apiKeyIndex, publicKey, nonce: key.nonce };
  }

  /** The account's API keys, by index */
  apiKeys(): EmulatorApiKey[] {
    return [...this.keys.entries()]
      .sort(([a], [b]) => a - b)
      .map(([apiKeyIndex, key]) => ({ apiKeyIndex, publicKey: key.publicKey, nonce: key.nonce }));
  }

  nextNonce(apiKeyIndex: number): number | undefined {
    return this.keys.get(apiKeyIndex)?.nonce;
  }

  /** Fault: another client used the key `steps` times */
  advanceNonce(apiKeyIndex: number, steps: number): void {
    const key = this.keys.get(apiKeyIndex);
    if (key !== undefined) key.nonce += steps;
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
   * Each signature is verified against the public key of the API key its ApiKeyIndex names, and
   * all transactions of a batch must come from one key (lighter-python's batch example: "in
   * batch TXs, all TXs must come from the same API key").
   * @throws VenueRefusal the first refusal
   */
  submitBatch(txTypes: readonly number[], txInfos: readonly string[]): string[] {
    if (txTypes.length !== txInfos.length || txTypes.length === 0) {
      throw new VenueRefusal('INVALID_TX_INFO', 'tx_types and tx_infos differ in length');
    }
    const now = this.now();
    const parsed: QueuedTx[] = [];
    const reserved = new Set<number>();
    let signer: { readonly index: number; readonly key: RegisteredKey } | undefined;
    let nonce = 0;
    for (const [i, txType] of txTypes.entries()) {
      const info = txInfos[i] ?? '';
      const tx = parseTx(txType, info);
      // The stateless rules first (the signer's Validate), then who signed, then the state
      if (tx.txType === TX.CREATE) validateCreate(tx, now);
      if (tx.AccountIndex !== this.accountIndex)
        throw new VenueRefusal('INVALID_TX_INFO', `unknown account ${tx.AccountIndex}`);
      if (signer === undefined) {
        const key = this.keys.get(tx.ApiKeyIndex);
        if (key === undefined)
          throw new VenueRefusal('INVALID_TX_INFO', `unknown api key ${tx.ApiKeyIndex}`);
        signer = { index: tx.ApiKeyIndex, key };
        nonce = key.nonce;
      } else if (tx.ApiKeyIndex !== signer.index) {
        throw new VenueRefusal(
          'INVALID_TX_INFO',
          `a batch signed by api keys ${signer.index} and ${tx.ApiKeyIndex}: all must come from one`,
        );
      }
      const hash = verifyTx(tx, this.chainId, signer.key.verifier);
      if (tx.ExpiredAt <= now)
        throw new VenueRefusal('INVALID_TX_INFO', `transaction expired at ${tx.ExpiredAt}`);
      if (tx.Nonce !== nonce) {
        throw new VenueRefusal(
          'INVALID_NONCE',
          `expected ${nonce}, got ${tx.Nonce} (api key ${signer.index})`,
        );
      }
      this.check(tx, reserved);
      nonce += 1;
      parsed.push({ tx, hash, info, queuedAt: now });
    }
    if (signer !== undefined) signer.key.nonce = nonce;
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

  private check(tx: ParsedTx, reserved: Set<number>): void {
    switch (tx.txType) {
      case TX.CREATE: {
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
    const now = this.now();
    const txs: Record<string, unknown>[] = [];
    for (const [position, { tx, hash, info, queuedAt }] of queue.entries()) {
      let event: Record<string, unknown>;
      switch (tx.txType) {
        case TX.CREATE:
          this.queuedClientIndexes.delete(tx.ClientOrderIndex);
          event = this.executeCreate(tx);
          break;
        case TX.CANCEL:
          event = this.executeCancel(tx);
          break;
        case TX.CANCEL_ALL:
          event = this.executeCancelAll(tx);
          break;
        case TX.MODIFY:
          event = this.executeModify(tx);
          break;
      }
      txs.push({
        hash,
        type: tx.txType,
        info,
        event_info: JSON.stringify({ a: this.accountIndex, ...event }),
        status: 2,
        transaction_index: position,
        l1_address: LIGHTER_EMULATOR_L1_ADDRESS,
        account_index: this.accountIndex,
        nonce: tx.Nonce,
        expire_at: tx.ExpiredAt,
        block_height: this.blockHeight,
        queued_at: queuedAt,
        executed_at: now,
        sequence_index: this.sequenceIndex++,
        parent_hash: '',
      });
    }
    this.emit({ kind: 'block', height: this.blockHeight, txs });
  }

  /** The height of the latest block the sequencer executed */
  get height(): number {
    return this.blockHeight;
  }

  // ---- Sequencer ---------------------------------------------------------------------------

  /** Executes a create; answers the transaction's event (market, order index, client index) */
  private executeCreate(tx: CreateTx): Record<string, unknown> {
    const market = this.markets.get(tx.MarketIndex);
    if (market === undefined) return { m: tx.MarketIndex, ae: 'invalid market index' };
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
    const event = { m: tx.MarketIndex, i: orderIndex, u: tx.ClientOrderIndex, ae: '' };
    const first = reports[0];
    if (first?.type === 'rejected') {
      order.status = refusedStatus(first.code);
      this.retire(order, now);
      this.emit({ kind: 'orders', orders: [order] });
      return event;
    }
    this.absorb(reports, now, [order]);
    return event;
  }

  private findTarget(marketIndex: number, index: number): EmulatedOrder | undefined {
    const order =
      index <= MAX_CLIENT_ORDER_INDEX ? this.liveByClientIndex.get(index) : this.live.get(index);
    return order?.marketIndex === marketIndex ? order : undefined;
  }

  private executeCancel(tx: CancelTx): Record<string, unknown> {
    const order = this.findTarget(tx.MarketIndex, tx.Index);
    // A cancel whose order is gone by now fails in the sequencer: nothing is pushed
    if (order === undefined)
      return { m: tx.MarketIndex, i: tx.Index, ae: 'given order is not an active order' };
    this.absorb(this.venue.cancel({ clientId: order.simKey }, this.now()), this.now());
    return { m: tx.MarketIndex, i: order.orderIndex, u: order.clientOrderIndex, ae: '' };
  }

  private executeCancelAll(tx: CancelAllTx): Record<string, unknown> {
    // Attribute 5 restricts an immediate cancel-all to one market (255: every market)
    const marketIndex = tx.L2TxAttributes?.['5'] ?? 255;
    const market = marketIndex === 255 ? undefined : this.markets.get(marketIndex);
    if (marketIndex !== 255 && market === undefined)
      return { m: marketIndex, ae: 'invalid market index' };
    this.absorb(this.venue.cancelAll(market?.instrument.symbol, this.now()), this.now());
    return { m: marketIndex, ae: '' };
  }

  private executeModify(tx: ModifyTx): Record<string, unknown> {
    const order = this.findTarget(tx.MarketIndex, tx.Index);
    const market = this.markets.get(tx.MarketIndex);
    if (order === undefined || market === undefined)
      return { m: tx.MarketIndex, i: tx.Index, ae: 'given order is not an active order' };
    const event = { m: tx.MarketIndex, i: order.orderIndex, u: order.clientOrderIndex, ae: '' };
    const { sizeDecimals, priceDecimals } = market.spec;
    const reports = this.venue.amend(
      { clientId: order.simKey },
      {
        price: Number((tx.Price / 10 ** priceDecimals).toFixed(priceDecimals)),
        quantity: Number((tx.BaseAmount / 10 ** sizeDecimals).toFixed(sizeDecimals)),
      },
      this.now(),
    );
    const refused = reports[0];
    if (refused?.type === 'amendRejected') return { ...event, ae: refused.message };
    this.absorb(reports, this.now());
    return event;
  }

  /** Turns what the matching core reported into order, trade, position and stats pushes */
  private absorb(reports: readonly SimReport[], now: number, touched: EmulatedOrder[] = []): void {
    const changed = new Set<EmulatedOrder>(touched);
    const trades: TradeRecord[] = [];
    const positions = new Set<number>();
    for (const report of reports) {
      // Refusals and funding name no order of the book
      if (!('order' in report)) continue;
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
    const moved = this.moveHolding(order, quantity, price, sizeDecimals);
    const flat: Holding = { units: 0, entryQuote: 0 };
    const ours = (side: 'taker' | 'maker') => (side === 'taker') !== weAreMaker;
    const before = (side: 'taker' | 'maker') => (ours(side) ? moved.before : flat);
    const signChanged = (side: 'taker' | 'maker') =>
      ours(side) && Math.sign(moved.before.units) !== Math.sign(moved.after.units);
    const pnl = (isAsk: boolean) => (isAsk === order.isAsk ? moved.realized : 0).toFixed(6);
    const trade: TradeRecord = {
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
    this.restFields.set(trade, [
      {
        taker_position_size_before: signedSize(before('taker').units, sizeDecimals),
        taker_entry_quote_before: before('taker').entryQuote.toFixed(6),
        taker_initial_margin_fraction_before: DEFAULT_IMF,
        maker_position_size_before: signedSize(before('maker').units, sizeDecimals),
        maker_entry_quote_before: before('maker').entryQuote.toFixed(6),
        maker_initial_margin_fraction_before: DEFAULT_IMF,
      },
      {
        taker_position_sign_changed: signChanged('taker'),
        maker_position_sign_changed: signChanged('maker'),
        ask_account_pnl: pnl(true),
        bid_account_pnl: pnl(false),
        ...NO_INTEGRATOR,
      },
    ]);
    return trade;
  }

  /**
   * Moves the account's position on a market by one fill of `order`: what it held before, what
   * after, and what the fill realized against the average entry (cross margin, no funding)
   */
  private moveHolding(
    order: EmulatedOrder,
    quantity: number,
    price: number,
    sizeDecimals: number,
  ): { readonly before: Holding; readonly after: Holding; readonly realized: number } {
    const scale = 10 ** sizeDecimals;
    const before = this.holdings.get(order.marketIndex) ?? { units: 0, entryQuote: 0 };
    const units = Math.round(quantity * scale) * (order.isAsk ? -1 : 1);
    const total = before.units + units;
    let after: Holding;
    let realized = 0;
    if (before.units === 0 || Math.sign(before.units) === Math.sign(units)) {
      after = { units: total, entryQuote: before.entryQuote + (Math.abs(units) / scale) * price };
    } else {
      const closing = Math.min(Math.abs(units), Math.abs(before.units));
      const average = before.entryQuote / (Math.abs(before.units) / scale);
      realized = (price - average) * (closing / scale) * Math.sign(before.units);
      const entryQuote =
        Math.abs(units) <= Math.abs(before.units)
          ? before.entryQuote * (Math.abs(total) / Math.abs(before.units))
          : (Math.abs(total) / scale) * price;
      after = { units: total, entryQuote: total === 0 ? 0 : entryQuote };
    }
    this.holdings.set(order.marketIndex, after);
    return { before, after, realized };
  }

  private recordPublic(marketIndex: number, trades: readonly TradeRecord[]): void {
    if (trades.length === 0) return;
    const candles = this.candleSeries.get(marketIndex);
    const tape = this.tape.get(marketIndex);
    for (const trade of trades) {
      const price = Number(trade['price']);
      const size = Number(trade['size']);
      const time = Number(trade['timestamp']);
      candles?.add(price, size, trade.trade_id, time);
      tape?.push([time, price, size]);
    }
    if (tape !== undefined && tape.length > TAPE_KEPT) tape.splice(0, tape.length - TAPE_KEPT);
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
    const askId = this.nextAsk++;
    const bidId = this.nextBid++;
    const trade: TradeRecord = {
      trade_id: id,
      trade_id_str: String(id),
      tx_hash: id.toString(16).padStart(16, '0'),
      type: 'trade',
      market_id: marketIndex,
      size: size.toFixed(sizeDecimals),
      price: price.toFixed(priceDecimals),
      usd_amount: (size * price).toFixed(6),
      ask_id: askId,
      ask_id_str: String(askId),
      bid_id: bidId,
      bid_id_str: String(bidId),
      ask_client_id: 0,
      ask_client_id_str: '0',
      bid_client_id: 0,
      bid_client_id_str: '0',
      ask_account_id: takerAsk ? 2 : 3,
      bid_account_id: takerAsk ? 3 : 2,
      is_maker_ask: !takerAsk,
      block_height: this.blockHeight,
      timestamp: now,
      transaction_time: now * 1000,
    };
    const none = (0).toFixed(sizeDecimals);
    this.restFields.set(trade, [
      {
        taker_position_size_before: none,
        taker_entry_quote_before: '0.000000',
        taker_initial_margin_fraction_before: DEFAULT_IMF,
        maker_position_size_before: none,
        maker_entry_quote_before: '0.000000',
        maker_initial_margin_fraction_before: DEFAULT_IMF,
      },
      {},
    ]);
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

  /**
   * A trade as the REST reads write it: the stream's fields plus the positions before it (the
   * public tape's shape), and for the account's own reads also its PnL, sign changes and
   * integrator fields
   */
  restTrade(trade: TradeRecord, scope: 'public' | 'account'): Record<string, unknown> {
    const [publicFields, accountFields] = this.restFields.get(trade) ?? [{}, {}];
    return scope === 'public'
      ? { ...trade, ...publicFields }
      : { ...trade, ...publicFields, ...accountFields };
  }

  /** A market's candles (undefined for an unknown market) */
  candles(marketIndex: number): CandleSeries | undefined {
    return this.candleSeries.get(marketIndex);
  }

  /** A market's last 24 hours of prints */
  dailyStats(marketIndex: number): DailyStats {
    const tape = this.tape.get(marketIndex) ?? [];
    const since = this.now() - DAY_MS;
    let first = 0;
    while (first < tape.length && (tape[first]?.[0] ?? 0) < since) first += 1;
    if (first > 0) tape.splice(0, first);
    let low = Number.POSITIVE_INFINITY;
    let high = 0;
    let baseVolume = 0;
    let quoteVolume = 0;
    for (const [, price, size] of tape) {
      low = Math.min(low, price);
      high = Math.max(high, price);
      baseVolume += size;
      quoteVolume += size * price;
    }
    const open = tape[0]?.[1];
    const close = tape.at(-1)?.[1];
    return {
      tradesCount: tape.length,
      baseVolume,
      quoteVolume,
      low: tape.length === 0 ? 0 : low,
      high,
      change: open === undefined || close === undefined ? 0 : ((close - open) / open) * 100,
    };
  }

  /** The book's mid, or the last print, or the market's starting price */
  indexPrice(marketIndex: number): number {
    const { bids, asks } = this.bookState(marketIndex);
    const bid = bids[0]?.[0];
    const ask = asks[0]?.[0];
    if (bid !== undefined && ask !== undefined) return (bid + ask) / 2;
    return (
      this.lastPrice.get(marketIndex) ?? this.markets.get(marketIndex)?.spec.lastTradePrice ?? 0
    );
  }

  /** The account's open interest on a market: its position size, in base units */
  openInterest(marketIndex: number): number {
    const units = this.holdings.get(marketIndex)?.units ?? 0;
    const decimals = this.markets.get(marketIndex)?.spec.sizeDecimals ?? 0;
    return Math.abs(units) / 10 ** decimals;
  }

  /** When funding next settles (hourly, on the hour), ms */
  nextFundingTime(): number {
    return (Math.floor(this.now() / FUNDING_PERIOD_MS) + 1) * FUNDING_PERIOD_MS;
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
