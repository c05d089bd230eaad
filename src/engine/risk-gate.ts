import type { ApplyResult } from '../core/account.ts';
import { invalidField, KestrelError } from '../core/errors.ts';
import type { Instrument } from '../core/instrument.ts';
import type { MarketEvent } from '../core/market-data.ts';
import { midPrice } from '../core/market-data.ts';
import { formatDecimal } from '../core/numeric.ts';
import type { OrderRequest } from '../core/order.ts';
import { isTerminal } from '../core/order.ts';
import { keepFieldsDouble } from '../core/tagged-fields.ts';
import type { Clock, Timer } from './clock.ts';

/** Limits that apply to each instrument on its own */
export interface InstrumentRiskLimits {
  /** Largest quantity of one order, in the instrument's size unit */
  readonly maxQuantity?: number | undefined;
  /** Largest value of one order (quantity × price × contract size), in the quote currency */
  readonly maxNotional?: number | undefined;
  /**
   * How far a limit or stop price may sit from the reference price (the last trade or mid), as a
   * fraction: 0.1 allows 90 to 110 around 100. Not checked while no reference price is known
   */
  readonly priceBand?: number | undefined;
  /** Live orders (PENDING to PARTIALLY_FILLED, queued ones included) at once */
  readonly maxOpenOrders?: number | undefined;
}

/**
 * The pre-trade risk gate's settings (NautilusTrader's RiskEngine is the model): limits for every
 * instrument, overrides by symbol, and a submit-rate limit per exchange whose excess waits in a
 * bounded queue: a full queue refuses, a queued submit older than `maxQueueAgeMs` is refused
 * instead of being sent late, and one canceled while it waits is never sent.
 */
export interface RiskLimits extends InstrumentRiskLimits {
  /** Overrides by instrument symbol, field by field */
  readonly instruments?: Readonly<Record<string, InstrumentRiskLimits>> | undefined;
  /** Submits sent per second per exchange, on average */
  readonly submitsPerSecond?: number | undefined;
  /** Submits that may go out at once after a quiet spell */
  readonly submitBurst?: number | undefined;
  /** Submits waiting for the rate limit, per exchange; beyond it a submit is refused */
  readonly maxQueued?: number | undefined;
  /** How long a submit may wait in the queue before it is refused rather than sent late, ms */
  readonly maxQueueAgeMs?: number | undefined;
}

/**
 * The defaults: no size or value cap (they depend on the instrument); a price band of ±80 % that
 * catches a price off by a factor of ten (a slipped decimal) but leaves deep resting orders alone
 * (venues' own bands are tighter: Binance USDⓈ-M's is ±5 %); 200 live orders per instrument
 * (Binance's per-symbol limit); 100 submits a second per exchange (NautilusTrader's default) with
 * bursts of 100, at most 500 waiting, none older than 5 s
 */
export const DEFAULT_RISK_LIMITS = {
  priceBand: 0.8,
  maxOpenOrders: 200,
  submitsPerSecond: 100,
  submitBurst: 100,
  maxQueued: 500,
  maxQueueAgeMs: 5_000,
} as const satisfies RiskLimits;

type Rule = 'positive' | 'count' | 'countOrZero';
const INSTRUMENT_RULES: Readonly<Record<string, Rule>> = {
  maxQuantity: 'positive',
  maxNotional: 'positive',
  priceBand: 'positive',
  maxOpenOrders: 'count',
};
const GATE_RULES: Readonly<Record<string, Rule>> = {
  ...INSTRUMENT_RULES,
  submitsPerSecond: 'positive',
  submitBurst: 'count',
  maxQueued: 'countOrZero',
  maxQueueAgeMs: 'positive',
};
const RULE_TEXT: Readonly<Record<Rule, string>> = {
  positive: 'must be a positive finite number',
  count: 'must be a positive integer',
  countOrZero: 'must be a non-negative integer',
};

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkFields(raw: unknown, rules: Readonly<Record<string, Rule>>, path: string): void {
  if (!isObject(raw)) {
    throw invalidField('INVALID_CONFIG', path, raw, 'must be an object of limits');
  }
  for (const [key, value] of Object.entries(raw)) {
    const field = `${path}.${key}`;
    if (key === 'instruments' && rules === GATE_RULES) {
      if (value === undefined) continue;
      if (!isObject(value)) {
        throw invalidField('INVALID_CONFIG', field, value, 'must map symbols to limits');
      }
      for (const [symbol, limits] of Object.entries(value))
        checkFields(limits, INSTRUMENT_RULES, `${field}.${symbol}`);
      continue;
    }
    const rule = rules[key];
    if (rule === undefined) {
      throw invalidField(
        'INVALID_CONFIG',
        field,
        value,
        `is not a risk limit (known: ${Object.keys(rules).join(', ')}${rules === GATE_RULES ? ', instruments' : ''})`,
      );
    }
    if (value === undefined) continue;
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (rule === 'positive'
        ? value > 0
        : Number.isSafeInteger(value) && (rule === 'count' ? value > 0 : value >= 0));
    if (!ok) throw invalidField('INVALID_CONFIG', field, value, RULE_TEXT[rule]);
  }
}

/**
 * Checks risk limits given as data (a --risk file, say): known fields only, each a positive
 * number (counts whole).
 * @throws KestrelError INVALID_CONFIG naming the first bad field and its value
 */
export function parseRiskLimits(raw: unknown, field = 'risk'): RiskLimits {
  checkFields(raw, GATE_RULES, field);
  return raw as RiskLimits;
}

interface Resolved {
  readonly maxQuantity: number;
  readonly maxNotional: number;
  readonly priceBand: number;
  readonly maxOpenOrders: number;
}

/** One instrument's limits and its count of live orders, written in place */
interface InstrumentGate {
  readonly limits: Resolved;
  live: number;
}

/** What the gate calls when a queued submit's turn comes, or it is refused or withdrawn */
export interface GateTicket {
  readonly clientId: string;
  /** Goes out now */
  send(): void;
  /** Waited past the staleness bound: refused, never sent */
  refuse(error: KestrelError): void;
  /** Canceled while it waited: never sent */
  withdrawn(): void;
}

interface Waiting {
  readonly ticket: GateTicket;
  readonly since: number;
}

/** One exchange's token bucket and queue; a Map keeps insertion order and deletes in O(1) */
interface Lane {
  tokens: number;
  refilledAt: number;
  readonly queue: Map<string, Waiting>;
  timer: Timer | undefined;
}

// Tokens turn fractional at the first refill: a double from the start, so that refill does not
// change the lane's shape under optimized code (see keepFieldsDouble)
keepFieldsDouble<Lane>({ tokens: 0, refilledAt: 0, queue: new Map(), timer: undefined }, [
  'tokens',
  'refilledAt',
]);

function limitError(limit: string, field: string, value: unknown, message: string): KestrelError {
  return new KestrelError('RISK_LIMIT', `risk limit ${limit}: ${message}`, {
    limit,
    field,
    value,
  });
}

/**
 * The pre-trade risk gate of the TradingManager: every order of every venue (backtest, paper and
 * live alike) passes `check` before it is tracked and `admit` before it is sent. It keeps its own
 * count of live orders per instrument from the account's applied events, so a check costs the
 * same however many orders the account holds.
 */
export class RiskGate {
  private readonly limits: RiskLimits;
  private readonly clock: Clock;
  private readonly liveOrders: () => Iterable<{ readonly instrument: Instrument }>;
  private readonly resolved = new Map<string, Resolved>();
  private readonly lanes = new Map<string, Lane>();
  /** By instrument key (exchange and symbol) */
  private readonly gates = new Map<string, InstrumentGate>();
  /** Whether the live counts are seeded from the account (on the first check) and followed */
  private counting = false;
  // The last instrument and exchange asked about: most orders are for the one before's
  private lastInstrument: Instrument | undefined;
  private lastGate: InstrumentGate | undefined;
  // `''` (no exchange is named so) until the first: a string, as the names compared with it are
  private lastExchange = '';
  private lastLane: Lane | undefined;
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxQueued: number;
  private readonly maxAgeMs: number;

  /**
   * @param liveOrders the account's live orders, read once on the first check to seed the counts
   * @throws KestrelError INVALID_CONFIG for a bad limit
   */
  constructor(
    limits: RiskLimits,
    clock: Clock,
    liveOrders: () => Iterable<{ readonly instrument: Instrument }>,
  ) {
    this.limits = parseRiskLimits(limits);
    this.clock = clock;
    this.liveOrders = liveOrders;
    this.rate = this.limits.submitsPerSecond ?? DEFAULT_RISK_LIMITS.submitsPerSecond;
    this.burst = this.limits.submitBurst ?? DEFAULT_RISK_LIMITS.submitBurst;
    this.maxQueued = this.limits.maxQueued ?? DEFAULT_RISK_LIMITS.maxQueued;
    this.maxAgeMs = this.limits.maxQueueAgeMs ?? DEFAULT_RISK_LIMITS.maxQueueAgeMs;
  }

  private limitsOf(instrument: Instrument): Resolved {
    let resolved = this.resolved.get(instrument.symbol);
    if (resolved === undefined) {
      const own = this.limits.instruments?.[instrument.symbol] ?? {};
      const base = this.limits;
      resolved = {
        maxQuantity: own.maxQuantity ?? base.maxQuantity ?? Number.POSITIVE_INFINITY,
        maxNotional: own.maxNotional ?? base.maxNotional ?? Number.POSITIVE_INFINITY,
        priceBand: own.priceBand ?? base.priceBand ?? DEFAULT_RISK_LIMITS.priceBand,
        maxOpenOrders: own.maxOpenOrders ?? base.maxOpenOrders ?? DEFAULT_RISK_LIMITS.maxOpenOrders,
      };
      this.resolved.set(instrument.symbol, resolved);
    }
    return resolved;
  }

  private gateOf(instrument: Instrument): InstrumentGate {
    if (instrument === this.lastInstrument) return this.lastGate as InstrumentGate;
    const key = keyOf(instrument);
    let gate = this.gates.get(key);
    if (gate === undefined) {
      gate = { limits: this.limitsOf(instrument), live: 0 };
      this.gates.set(key, gate);
    }
    this.lastInstrument = instrument;
    this.lastGate = gate;
    return gate;
  }

  /** An instrument's live orders, the counts seeded from the account the first time */
  private liveCount(gate: InstrumentGate): number {
    if (!this.counting) this.startCounting();
    return gate.live;
  }

  /**
   * Seeds the live counts from the account now and follows it from here on: `onApplied` must see
   * every result applied after this. Without a call, the first check seeds them. The
   * TradingManager calls it as it subscribes to the account: the first check then never calls
   * `liveOrders`, a function made for each TradingManager, whose call compiled into `check`
   * (the function itself as the call's target) threw that code away when the TradingManager
   * that made it was collected, and the next TradingManager's checks compiled it again
   */
  startCounting(): void {
    if (this.counting) return;
    this.counting = true;
    for (const order of this.liveOrders()) this.bump(this.gateOf(order.instrument), 1);
  }

  private bump(gate: InstrumentGate, by: number): void {
    gate.live = Math.max(0, gate.live + by);
  }

  /** Follows the account: an order that became live or stopped being live moves its count */
  onApplied(result: ApplyResult): void {
    if (!this.counting || result.outcome !== 'applied' || result.order === undefined) return;
    const was = result.previousStatus !== undefined && !isTerminal(result.previousStatus);
    const is = !isTerminal(result.order.status);
    if (was !== is) this.bump(this.gateOf(result.order.instrument), is ? 1 : -1);
  }

  /**
   * Checks one order against its instrument's limits; `alsoOpening` counts orders of the same
   * batch checked before it.
   * @throws KestrelError RISK_LIMIT naming the limit, the field and the value; nothing changes
   */
  check(request: OrderRequest, referencePrice: number | undefined, alsoOpening = 0): void {
    const instrument = request.instrument;
    const gate = this.gateOf(instrument);
    const limits = gate.limits;
    if (request.quantity > limits.maxQuantity) {
      throw limitError(
        'maxQuantity',
        'quantity',
        request.quantity,
        `quantity ${sizeText(instrument, request.quantity)} exceeds the maximum ${formatDecimal(limits.maxQuantity)} of ${instrument.symbol}`,
      );
    }
    const valuation = request.price ?? request.stopPrice ?? referencePrice;
    if (valuation !== undefined && Number.isFinite(limits.maxNotional)) {
      const notional = request.quantity * valuation * instrument.contractSize;
      if (notional > limits.maxNotional) {
        throw limitError(
          'maxNotional',
          'quantity',
          request.quantity,
          `notional ${formatDecimal(notional)} (quantity ${sizeText(instrument, request.quantity)} × price ${priceText(instrument, valuation)}) exceeds the maximum ${formatDecimal(limits.maxNotional)} of ${instrument.symbol}`,
        );
      }
    }
    if (referencePrice !== undefined && Number.isFinite(referencePrice) && referencePrice > 0) {
      const low = referencePrice * (1 - limits.priceBand);
      const high = referencePrice * (1 + limits.priceBand);
      // Each field read by name: a loop over the names read them by a computed key, the most
      // expensive line of the check
      const price = request.price;
      if (price !== undefined && (price < low || price > high))
        throw bandError(instrument, 'price', price, referencePrice, limits.priceBand, low, high);
      const stopPrice = request.stopPrice;
      if (stopPrice !== undefined && (stopPrice < low || stopPrice > high))
        throw bandError(
          instrument,
          'stopPrice',
          stopPrice,
          referencePrice,
          limits.priceBand,
          low,
          high,
        );
    }
    const open = this.liveCount(gate) + alsoOpening;
    if (open >= limits.maxOpenOrders) {
      throw limitError(
        'maxOpenOrders',
        'instrument',
        instrument.symbol,
        `${instrument.symbol} already has ${open} live orders, the maximum is ${limits.maxOpenOrders}`,
      );
    }
  }

  /**
   * Makes an exchange's lane now, full, as its first submit would (the trading manager opens one
   * per broker it is given): the lookup that makes it is then never taken by the submits' own
   * calls, where it ran only at a run's first order, before V8 records what that code does, and
   * threw away the code of the next run's first order (the manager's submitOrders, clearTracked,
   * the gate's checkCapacity; --trace-deopt). A lane's tokens refill up to the burst they start at,
   * so one made earlier holds the same at the first submit
   */
  openLane(exchange: string): void {
    this.lane(exchange);
  }

  private lane(exchange: string): Lane {
    if (exchange === this.lastExchange) return this.lastLane as Lane;
    let lane = this.lanes.get(exchange);
    if (lane === undefined) {
      lane = {
        tokens: this.burst,
        refilledAt: this.clock.now(),
        queue: new Map(),
        timer: undefined,
      };
      this.lanes.set(exchange, lane);
    }
    this.lastExchange = exchange;
    this.lastLane = lane;
    return lane;
  }

  private refill(lane: Lane, now: number): void {
    if (now > lane.refilledAt) {
      lane.tokens = Math.min(
        this.burst,
        lane.tokens + ((now - lane.refilledAt) * this.rate) / 1000,
      );
      lane.refilledAt = now;
    }
  }

  /**
   * Checks that `count` more submits to an exchange fit: those the rate allows now, the rest in
   * the queue.
   * @throws KestrelError RISK_LIMIT maxQueued; nothing changes
   */
  checkCapacity(exchange: string, count: number): void {
    const lane = exchange === this.lastExchange ? this.lastLane : this.lanes.get(exchange);
    if (lane !== undefined) this.refill(lane, this.clock.now());
    const queued = lane?.queue.size ?? 0;
    const immediate = queued === 0 ? Math.floor(lane?.tokens ?? this.burst) : 0;
    const waiting = queued + Math.max(0, count - immediate);
    if (waiting > this.maxQueued) {
      throw limitError(
        'maxQueued',
        'exchange',
        exchange,
        `${queued} submits to ${exchange} already wait for the rate limit of ${formatDecimal(this.rate)}/s; at most ${this.maxQueued} may wait`,
      );
    }
  }

  /**
   * Sends the ticket at once when the rate allows and nothing waits before it, else queues it
   * (capacity was checked before the order was tracked)
   */
  admit(exchange: string, ticket: GateTicket): void {
    if (this.admitNow(exchange)) {
      ticket.send();
      return;
    }
    const lane = this.lane(exchange);
    lane.queue.set(ticket.clientId, { ticket, since: this.clock.now() });
    this.schedule(exchange, lane);
  }

  /**
   * Takes a submit's token when the rate allows one now and nothing waits before it: the caller
   * sends at once. False when it would have to wait (then `admit` queues it); nothing changes then
   */
  admitNow(exchange: string): boolean {
    const lane = this.lane(exchange);
    this.refill(lane, this.clock.now());
    if (lane.queue.size === 0 && lane.tokens >= 1) {
      lane.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Takes a waiting submit out of its queue (it is canceled); false when none waits */
  withdraw(exchange: string, clientId: string): boolean {
    const waiting = this.lanes.get(exchange)?.queue.get(clientId);
    if (waiting === undefined) return false;
    this.lanes.get(exchange)?.queue.delete(clientId);
    waiting.ticket.withdrawn();
    return true;
  }

  /** Submits waiting for the rate limit, on every exchange */
  get queued(): number {
    let total = 0;
    for (const lane of this.lanes.values()) total += lane.queue.size;
    return total;
  }

  private schedule(exchange: string, lane: Lane): void {
    if (lane.timer !== undefined || lane.queue.size === 0) return;
    const wait = lane.tokens >= 1 ? 0 : Math.ceil(((1 - lane.tokens) * 1000) / this.rate);
    lane.timer = this.clock.setTimer(wait, () => {
      lane.timer = undefined;
      this.drain(exchange, lane);
    });
  }

  private drain(exchange: string, lane: Lane): void {
    const now = this.clock.now();
    this.refill(lane, now);
    for (const [clientId, waiting] of lane.queue) {
      const age = now - waiting.since;
      if (age > this.maxAgeMs) {
        lane.queue.delete(clientId);
        waiting.ticket.refuse(
          limitError(
            'maxQueueAgeMs',
            'clientId',
            clientId,
            `waited ${formatDecimal(age, 0)} ms for the submit rate of ${formatDecimal(this.rate)}/s on ${exchange}, longer than ${formatDecimal(this.maxAgeMs, 0)} ms: refused, not sent late`,
          ),
        );
        continue;
      }
      if (lane.tokens < 1) break;
      lane.tokens -= 1;
      lane.queue.delete(clientId);
      waiting.ticket.send();
    }
    this.schedule(exchange, lane);
  }
}

/** A size or price as a refusal prints it, to the instrument's decimals */
const sizeText = (instrument: Instrument, value: number) =>
  formatDecimal(value, instrument.sizeDecimals);
const priceText = (instrument: Instrument, value: number) =>
  formatDecimal(value, instrument.priceDecimals);

const keys = new WeakMap<Instrument, string>();

/** An instrument's key in the live counts (built once per instrument object) */
function keyOf(instrument: Instrument): string {
  let key = keys.get(instrument);
  if (key === undefined) {
    key = `${instrument.exchange}\u0000${instrument.symbol}`;
    keys.set(instrument, key);
  }
  return key;
}

/** A price outside the band around the reference price */
function bandError(
  instrument: Instrument,
  field: 'price' | 'stopPrice',
  value: number,
  referencePrice: number,
  priceBand: number,
  low: number,
  high: number,
): KestrelError {
  return limitError(
    'priceBand',
    field,
    value,
    `${field} ${priceText(instrument, value)} is outside ±${formatDecimal(priceBand * 100)} % of the reference price ${priceText(instrument, referencePrice)} of ${instrument.symbol} (${priceText(instrument, low)} to ${priceText(instrument, high)})`,
  );
}

/**
 * The reference prices the price band and market-order valuation use: the last trade, the mid
 * of the last quote, or the mid of the book's best levels, per instrument
 */
export function createReferencePrices(instruments: readonly Instrument[] = []): {
  readonly onMarket: (event: MarketEvent) => void;
  readonly get: (instrument: Instrument) => number | undefined;
} {
  return new ReferencePrices(instruments);
}

/**
 * A class, not closures: closures made per run would be new functions to V8 in every run, and the
 * replay loop's code optimized to call the first run's thrown away at the next
 */
class ReferencePrices {
  // Each instrument's price in a slot of a typed array, written in place: a number set into a
  // Map, or into an object's field, was boxed anew on every market event
  private readonly slots = new Map<Instrument, number>();
  private prices = new Float64Array(4);
  // The last instrument's slot: most events are of the instrument before's (no lookup)
  private lastInstrument: Instrument | undefined = undefined;
  private lastSlot = 0;

  /**
   * With the run's instruments given, each has its slot (no price yet) from the start, and the
   * first is the last seen: a one-instrument run never takes onMarket's lookup, a branch that was
   * otherwise taken only at the run's first event, before V8 records what onMarket does there, and
   * threw away the replay loop compiled in the run before in the next run (--trace-deopt)
   */
  constructor(instruments: readonly Instrument[]) {
    for (const instrument of instruments) this.slotOf(instrument);
    const first = instruments[0];
    if (first !== undefined) {
      this.lastSlot = this.slotOf(first);
      this.lastInstrument = first;
    }
  }

  onMarket(event: MarketEvent): void {
    // Always a number (NaN for none): a variable that may be undefined holds a double boxed
    const price =
      event.type === 'trade'
        ? event.price
        : event.type === 'quote'
          ? midPrice(event)
          : bookMid(event.bids[0]?.[0], event.asks[0]?.[0]);
    if (!(Number.isFinite(price) && price > 0)) return;
    const instrument = event.instrument;
    if (instrument !== this.lastInstrument) {
      this.lastSlot = this.slotOf(instrument);
      this.lastInstrument = instrument;
    }
    this.prices[this.lastSlot] = price;
  }

  /** An instrument's reference price; a function of its own, handed on as one */
  readonly get = (instrument: Instrument): number | undefined => {
    const slot = this.slots.get(instrument);
    if (slot === undefined) return undefined;
    // NaN in a slot made before its instrument's first price (never stored by onMarket)
    const price = this.prices[slot]!;
    return Number.isNaN(price) ? undefined : price;
  };

  private slotOf(instrument: Instrument): number {
    let slot = this.slots.get(instrument);
    if (slot === undefined) {
      slot = this.slots.size;
      if (slot === this.prices.length) {
        const grown = new Float64Array(this.prices.length * 2);
        grown.set(this.prices);
        this.prices = grown;
      }
      this.prices[slot] = Number.NaN;
      this.slots.set(instrument, slot);
    }
    return slot;
  }
}

/** The mid of a book's best levels, the one side it has, or NaN when it has neither */
function bookMid(bid: number | undefined, ask: number | undefined): number {
  if (bid === undefined) return ask ?? Number.NaN;
  return ask === undefined ? bid : (bid + ask) / 2;
}
