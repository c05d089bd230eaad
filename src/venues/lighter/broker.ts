import type { TrackedOrder } from '../../core/account.ts';
import { classify, invalidField, KestrelError } from '../../core/errors.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { Quote } from '../../core/market-data.ts';
import { snapDown, snapUp } from '../../core/numeric.ts';
import type { Order, OrderRequest } from '../../core/order.ts';
import { isTerminal } from '../../core/order.ts';
import type { Broker, BrokerCapabilities, OrderAmendment, VenueSink } from '../../engine/broker.ts';
import type { Clock } from '../../engine/clock.ts';
import type { Logger } from '../../engine/logger.ts';
import type { ClientOrderIndexAllocator } from './client-order-index.ts';
import {
  CANCEL_ALL,
  DEFAULT_ORDER_EXPIRY_MS,
  MAX_BASE_AMOUNT,
  MAX_CLIENT_ORDER_INDEX,
  MAX_PRICE,
  MIN_CLIENT_ORDER_INDEX,
  ORDER_TYPE,
  TIME_IN_FORCE,
} from './constants.ts';
import { notSent } from './errors.ts';
import type { LighterKeyPool } from './key-pool.ts';
import type { LighterMarket } from './markets.ts';
import { toBaseAmount, toPriceUnits } from './markets.ts';
import type { LighterOrderRegistry } from './order-registry.ts';
import type { LighterRestClient } from './rest-client.ts';
import type { CreateOrderTx, LighterSigner, SignedTx, SignOptions } from './signer.ts';

/** How long signing a create may wait after the order was tracked (journal, nonce lock), ms */
const SIGNING_SLACK_MS = 60_000;

/** The client order index a correlation key names, when it names one */
export function clientOrderIndexOf(key: string | undefined): number | undefined {
  if (key === undefined || !/^\d{1,15}$/.test(key)) return undefined;
  const index = Number(key);
  return index >= MIN_CLIENT_ORDER_INDEX && index <= MAX_CLIENT_ORDER_INDEX ? index : undefined;
}

/** The option key of the client order index the broker adds to each request */
export const CLIENT_ORDER_INDEX_OPTION = 'lighterClientOrderIndex';
/** The option key of a market order's worst acceptable price, fixed at prepare */
export const WORST_PRICE_OPTION = 'lighterWorstPrice';

export interface LighterBrokerOptions {
  readonly exchange: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly rest: LighterRestClient;
  readonly registry: LighterOrderRegistry;
  readonly allocator: ClientOrderIndexAllocator;
  readonly maxBatchSize: number;
  /** Worst price of a market order beyond the touch, as a fraction */
  readonly marketSlippage: number;
  readonly checkTxHash: boolean;
  /** Each transaction's validity from signing, ms (its ExpiredAt) */
  readonly txTtlMs: number;
  /** A loaded market by symbol; undefined before `load` */
  readonly market: (symbol: string) => LighterMarket | undefined;
  /** The API keys transactions are signed with, once loaded */
  readonly keys: () => LighterKeyPool | undefined;
  /** The market's touch, for pricing market orders */
  readonly quote: (marketIndex: number) => Quote | undefined;
  /** Checks orders with the venue after an ambiguous send */
  readonly watch: (clientIds: readonly string[]) => void;
}

/**
 * The Lighter broker. `prepare` enriches each request with `options.lighterClientOrderIndex`
 * (the correlation key: Lighter cannot carry our clientId, which stays untouched); sends sign
 * transactions and post them under an API key's nonce lock, spread over the process's keys
 * (`LighterKeyPool`: the least busy one, or the key an order's previous transaction is still in
 * flight on). A batch goes through one key, as the venue requires. A sendTx reply only means the
 * venue queued the transaction, so every order stays PENDING until the stream (or a status
 * query) speaks. Cancels and amends name the order by its client order index, so a PENDING
 * order can be canceled before its venue id is known.
 */
export class LighterBroker implements Broker {
  readonly exchange: string;
  readonly capabilities: BrokerCapabilities;
  private readonly options: LighterBrokerOptions;
  private sinkRef: VenueSink | undefined;

  constructor(options: LighterBrokerOptions) {
    this.options = options;
    this.exchange = options.exchange;
    this.capabilities = {
      batch: true,
      maxBatchSize: options.maxBatchSize,
      cancelByClientId: true,
      amend: true,
    };
  }

  connect(sink: VenueSink): void {
    this.sinkRef = sink;
  }

  /**
   * The sink the TradingManager connected.
   * @throws KestrelError INVALID_CONFIG before `connect`
   */
  get sink(): VenueSink {
    if (this.sinkRef === undefined) {
      throw new KestrelError(
        'INVALID_CONFIG',
        'LighterBroker used before the TradingManager connected it',
      );
    }
    return this.sinkRef;
  }

  get isConnected(): boolean {
    return this.sinkRef !== undefined;
  }

  private marketOf(instrument: Instrument): LighterMarket {
    const market =
      instrument.exchange === this.exchange ? this.options.market(instrument.symbol) : undefined;
    if (market === undefined) {
      throw invalidField(
        'UNKNOWN_INSTRUMENT',
        'instrument',
        `${instrument.exchange}:${instrument.symbol}`,
        'is not a loaded Lighter market (call load() first)',
      );
    }
    return market;
  }

  private worstPrice(request: OrderRequest, market: LighterMarket): number {
    const quote = this.options.quote(market.marketIndex);
    if (quote === undefined) {
      throw invalidField(
        'PRICE_REQUIRED',
        'price',
        undefined,
        `is needed for a market order on ${market.instrument.symbol}: no quote yet to bound it (Lighter market orders carry a worst price)`,
      );
    }
    const { tickSize, priceDecimals } = market.instrument;
    const slip = this.options.marketSlippage;
    return request.side === 'BUY'
      ? snapUp(quote.ask * (1 + slip), tickSize, priceDecimals)
      : snapDown(quote.bid * (1 - slip), tickSize, priceDecimals);
  }

  prepare(request: OrderRequest): void {
    const market = this.marketOf(request.instrument);
    if (request.orderType === 'STOP_MARKET' || request.orderType === 'STOP_LIMIT') {
      throw invalidField(
        'NOT_SUPPORTED',
        'orderType',
        request.orderType,
        'is not supported on Lighter yet (LIMIT and MARKET are)',
      );
    }
    if (request.timeInForce === 'FOK') {
      throw invalidField(
        'NOT_SUPPORTED',
        'timeInForce',
        'FOK',
        'does not exist on Lighter (GTC, IOC and post-only do)',
      );
    }
    const baseAmount = toBaseAmount(market, request.quantity);
    if (baseAmount < 1 || baseAmount > MAX_BASE_AMOUNT) {
      throw invalidField(
        'INVALID_QUANTITY',
        'quantity',
        request.quantity,
        `is ${baseAmount} base units, outside 1..${MAX_BASE_AMOUNT}`,
      );
    }
    const price =
      request.orderType === 'MARKET' ? this.worstPrice(request, market) : (request.price ?? 0);
    const units = toPriceUnits(market, price);
    if (units < 1 || units > MAX_PRICE) {
      throw invalidField(
        'INVALID_PRICE',
        'price',
        price,
        `is ${units} price units, outside 1..${MAX_PRICE}`,
      );
    }
    if (request.orderType === 'MARKET') request.options[WORST_PRICE_OPTION] = price;
    const given = request.options[CLIENT_ORDER_INDEX_OPTION];
    let index: number;
    if (given === undefined) {
      index = this.options.allocator.next();
    } else if (
      typeof given === 'number' &&
      Number.isSafeInteger(given) &&
      given >= MIN_CLIENT_ORDER_INDEX &&
      given <= MAX_CLIENT_ORDER_INDEX
    ) {
      index = given;
      const holder = this.options.registry.clientIdOf(index);
      const live = holder === undefined ? undefined : this.sinkRef?.order(holder);
      if (holder !== request.clientId && live !== undefined && !isTerminal(live.status)) {
        throw invalidField(
          'DUPLICATE_CLIENT_ID',
          `options.${CLIENT_ORDER_INDEX_OPTION}`,
          given,
          `is carried by the live order ${live.clientId}`,
        );
      }
      // Keep later allocations above any index a caller brought in (a recovered order, say)
      this.options.allocator.restore(Math.max(this.options.allocator.lastAllocated, index));
    } else {
      throw invalidField(
        'INVALID_ARGUMENT',
        `options.${CLIENT_ORDER_INDEX_OPTION}`,
        given,
        `must be an integer in ${MIN_CLIENT_ORDER_INDEX}..${MAX_CLIENT_ORDER_INDEX}`,
      );
    }
    request.options[CLIENT_ORDER_INDEX_OPTION] = index;
    this.options.registry.register(index, request.clientId);
  }

  /**
   * After a restart, from the orders the journal rebuilt: re-registers the client order index
   * (the correlation key) of each of our orders, so stream frames and trades naming only an
   * index map to our clientIds and cancels by index work, and moves the allocator past every
   * index we used. Orders adopted as EXTERNAL are left out: their indexes are someone else's.
   * A never-answered order's create transaction is taken to expire one TTL after it was signed:
   * at most the nonce lock's slack after the order was created, and before this restart. The
   * cancel of an order still PENDING_CANCEL is taken as unanswered (the restart may have cut
   * it off before it was sent): the first resync that finds the order open sends it again.
   */
  restore(orders: readonly TrackedOrder[]): void {
    const { registry, allocator, txTtlMs } = this.options;
    const now = this.options.clock.now();
    for (const order of orders) {
      if (order.status === 'PENDING_CANCEL') registry.cancelsAwaiting.unanswered(order.clientId);
    }
    const ours = orders
      .filter((order) => order.origin !== 'EXTERNAL')
      .map((order) => ({ order, index: clientOrderIndexOf(order.correlationKey) }))
      .filter((entry): entry is { order: TrackedOrder; index: number } => entry.index !== undefined)
      // The registry forgets its oldest entries first, so the newest go in last
      .sort((a, b) => a.index - b.index);
    let highest = allocator.lastAllocated;
    for (const { order, index } of ours) {
      registry.register(index, order.clientId);
      if (!order.answered) {
        // Signed at most SIGNING_SLACK_MS after it was created, and certainly before the process
        // that signed it died, which was before now
        const signedBy = Math.min(Math.floor(order.createdAt) + SIGNING_SLACK_MS, Math.floor(now));
        registry.setTxExpiry(order.clientId, signedBy + txTtlMs);
      }
      highest = Math.max(highest, index);
    }
    allocator.restore(highest);
  }

  correlationKey(request: OrderRequest): string | undefined {
    const index = request.options[CLIENT_ORDER_INDEX_OPTION];
    return typeof index === 'number' ? String(index) : undefined;
  }

  private requireKeys(): LighterKeyPool {
    const keys = this.options.keys();
    if (keys === undefined) throw notSent('the venue is not loaded (no signer yet)');
    return keys;
  }

  private createTx(request: OrderRequest, now: number): CreateOrderTx {
    const market = this.marketOf(request.instrument);
    const index = request.options[CLIENT_ORDER_INDEX_OPTION];
    if (typeof index !== 'number')
      throw notSent(`order ${request.clientId} was not prepared by the Lighter broker`);
    const isMarket = request.orderType === 'MARKET';
    const price = isMarket ? Number(request.options[WORST_PRICE_OPTION]) : (request.price ?? 0);
    const timeInForce =
      isMarket || request.timeInForce === 'IOC'
        ? TIME_IN_FORCE.IMMEDIATE_OR_CANCEL
        : request.timeInForce === 'GTX'
          ? TIME_IN_FORCE.POST_ONLY
          : TIME_IN_FORCE.GOOD_TILL_TIME;
    return {
      marketIndex: market.marketIndex,
      clientOrderIndex: index,
      baseAmount: toBaseAmount(market, request.quantity),
      price: toPriceUnits(market, price),
      isAsk: request.side === 'SELL',
      orderType: isMarket ? ORDER_TYPE.MARKET : ORDER_TYPE.LIMIT,
      timeInForce,
      reduceOnly: request.reduceOnly,
      triggerPrice: 0,
      orderExpiry:
        timeInForce === TIME_IN_FORCE.IMMEDIATE_OR_CANCEL
          ? 0
          : Math.floor(now) + DEFAULT_ORDER_EXPIRY_MS,
    };
  }

  private checkHash(signed: SignedTx, venueHash: string | undefined): void {
    if (!this.options.checkTxHash || venueHash === undefined || venueHash === signed.txHash) return;
    this.options.logger.error(
      'lighter venue tx hash differs from the signed one: the signature may be invalid',
      {
        signed: signed.txHash,
        venue: venueHash,
        nonce: signed.nonce,
      },
    );
  }

  /** Signs and posts creates (one via sendTx, several via sendTxBatch) under one key's nonce lock */
  private async sendCreates(requests: readonly OrderRequest[]): Promise<void> {
    const keys = this.requireKeys();
    const { rest, registry, clock } = this.options;
    const clientIds = requests.map((r) => r.clientId);
    try {
      await keys.send(clientIds, requests.length, async (signer, first) => {
        const now = clock.now();
        const signed = await Promise.all(
          requests.map((request, i) =>
            signer.signCreateOrder(this.createTx(request, now), {
              nonce: first + i,
              expiredAt: Math.floor(now) + this.options.txTtlMs,
            }),
          ),
        );
        for (const [i, tx] of signed.entries()) {
          registry.setTxExpiry(requests[i]?.clientId ?? '', tx.expiredAt);
        }
        if (signed.length === 1 && signed[0] !== undefined) {
          const { txHash } = await rest.sendTx(signed[0].txType, signed[0].txInfo);
          this.checkHash(signed[0], txHash);
          return;
        }
        const { txHashes } = await rest.sendTxBatch(
          signed.map((tx) => tx.txType),
          signed.map((tx) => tx.txInfo),
        );
        for (const [i, tx] of signed.entries()) this.checkHash(tx, txHashes[i]);
      });
    } catch (error) {
      const kind = classify(error);
      if (requests.length > 1 && kind === 'venue') {
        // The venue gives no per-transaction verdict for a refused batch, so whether any of it
        // was queued is unknown: the orders stay PENDING and are checked one by one
        this.options.watch(requests.map((r) => r.clientId));
        throw new KestrelError(
          'BATCH_FAILED',
          `lighter batch of ${requests.length} refused as a whole: ${(error as Error).message}`,
          {
            ...(error instanceof KestrelError && error.venueCode !== undefined
              ? { venueCode: error.venueCode }
              : {}),
            cause: error,
          },
        );
      }
      if (kind === 'ambiguous') this.options.watch(requests.map((r) => r.clientId));
      throw error;
    }
  }

  async sendOrder(request: OrderRequest): Promise<Order> {
    await this.sendCreates([request]);
    return this.sink.order(request.clientId) as Order;
  }

  sendOrderAsync(request: OrderRequest): void {
    this.sendOrder(request).catch((error: unknown) => this.sink.submitFailed(request, error));
  }

  async submitOrders(requests: readonly OrderRequest[]): Promise<readonly Order[]> {
    if (requests.length > this.capabilities.maxBatchSize) {
      throw invalidField(
        'INVALID_ARGUMENT',
        'requests',
        requests.length,
        `must be at most ${this.capabilities.maxBatchSize} per batch`,
      );
    }
    if (requests.length > 0) await this.sendCreates(requests);
    return requests.map((request) => this.sink.order(request.clientId) as Order);
  }

  /** The index naming an order on the wire: its client order index, else its venue order index */
  private indexOf(order: Order): number {
    const registered = this.options.registry.indexOf(order.clientId);
    if (registered !== undefined) return registered;
    const key = clientOrderIndexOf((order as Partial<TrackedOrder>).correlationKey);
    if (key !== undefined) return key;
    if (order.venueOrderId !== undefined && /^\d+$/.test(order.venueOrderId))
      return Number(order.venueOrderId);
    throw invalidField(
      'ORDER_NOT_FOUND',
      'clientId',
      order.clientId,
      'has no Lighter client order index or order index',
    );
  }

  /** Signs and posts one transaction about these orders (none for a cancel-all) */
  private async sendOne(
    clientIds: readonly string[],
    sign: (signer: LighterSigner, options: SignOptions) => Promise<SignedTx>,
  ): Promise<void> {
    await this.requireKeys().send(clientIds, 1, async (signer, nonce) => {
      const expiredAt = Math.floor(this.options.clock.now()) + this.options.txTtlMs;
      const signed = await sign(signer, { nonce, expiredAt });
      const { txHash } = await this.options.rest.sendTx(signed.txType, signed.txInfo);
      this.checkHash(signed, txHash);
    });
  }

  /**
   * Cancels by the order's client order index (its order index for one without). A cancel
   * whose answer never came is remembered and the order checked with the venue: still listed
   * open there, the cancel is sent again (`resendCancel`), as a new transaction with the key's
   * next nonce.
   * @throws KestrelError a local refusal, a venue verdict or an ambiguous failure
   */
  async cancelOrder(order: Order): Promise<void> {
    const awaiting = this.options.registry.cancelsAwaiting;
    try {
      const market = this.marketOf(order.instrument);
      const index = this.indexOf(order);
      await this.sendOne([order.clientId], (signer, options) =>
        signer.signCancelOrder({ marketIndex: market.marketIndex, index }, options),
      );
      awaiting.answered(order.clientId);
    } catch (error) {
      if (classify(error) === 'ambiguous') {
        awaiting.unanswered(order.clientId);
        this.options.watch([order.clientId]);
      } else {
        awaiting.answered(order.clientId);
      }
      throw error;
    }
  }

  /**
   * Sends again a cancel whose answer never came, now that the venue still lists the order
   * open; a bounded number of times, its failure going through the rejection boundary.
   */
  resendCancel(clientId: string): void {
    this.options.registry.cancelsAwaiting.resend(clientId, {
      exchange: this.exchange,
      logger: this.options.logger,
      sink: this.sink,
      cancel: (order) => this.cancelOrder(order),
    });
  }

  /**
   * Cancels every order of the account on every market (one transaction); the cancels arrive
   * on the stream. It waits for the replies of the transactions already sent on every key
   * first, so no create sent before it lands after it.
   * @throws KestrelError a venue verdict or an ambiguous failure
   */
  async cancelAllOrders(): Promise<void> {
    await this.requireKeys().settled();
    await this.sendOne([], (signer, options) =>
      signer.signCancelAllOrders({ timeInForce: CANCEL_ALL.IMMEDIATE, time: 0 }, options),
    );
  }

  /**
   * Changes price and/or total quantity in place (Lighter's modify). The base amount sent is the
   * new total; the venue does not document whether it reads it as total or remaining, which
   * only matters for a partly filled order. After an ambiguous failure the order is checked
   * with the venue, which reads its terms back.
   */
  async updateOrder(order: Order, amendment: OrderAmendment): Promise<void> {
    const market = this.marketOf(order.instrument);
    const price = amendment.price ?? order.price;
    if (price === undefined) {
      throw invalidField(
        'ORDER_NOT_AMENDABLE',
        'price',
        undefined,
        'only limit orders can be modified',
      );
    }
    const index = this.indexOf(order);
    const quantity = amendment.quantity ?? order.quantity;
    try {
      await this.sendOne([order.clientId], (signer, options) =>
        signer.signModifyOrder(
          {
            marketIndex: market.marketIndex,
            index,
            baseAmount: toBaseAmount(market, quantity),
            price: toPriceUnits(market, price),
            triggerPrice: 0,
          },
          options,
        ),
      );
    } catch (error) {
      // The venue may have modified it: its terms are read back from the venue
      if (classify(error) === 'ambiguous') this.options.watch([order.clientId]);
      throw error;
    }
  }
}
