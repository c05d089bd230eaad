import type { FundingPaid } from '../core/events.ts';
import type { Fill } from '../core/fill.ts';
import type { ClientOrderId } from '../core/ids.ts';
import type { Instrument } from '../core/instrument.ts';
import type { BookSnapshot, Quote, Trade } from '../core/market-data.ts';
import type { Order, OrderChange } from '../core/order.ts';
import type { Position } from '../core/position.ts';
import type { BalanceView } from '../engine/account-processor.ts';
import type { OrderAmendment } from '../engine/broker.ts';
import type { Logger } from '../engine/logger.ts';
import type { TradeOptions, TradeSpec } from '../engine/trading-manager.ts';
import type { Bar } from './bars.ts';
import type { History } from './market-history.ts';

/**
 * Everything a strategy may do and see. The same context backs a backtest, a paper run and a
 * live run, so a strategy file runs unchanged on the simulated venue, ccxt and Lighter.
 */
export interface StrategyContext {
  /** The current time, ms since the epoch (simulated in a backtest) */
  readonly time: number;
  /** The instruments this run trades */
  readonly instruments: readonly Instrument[];
  /** Parameters given on the command line (`--param key=value`) */
  readonly params: Readonly<Record<string, string>>;
  readonly log: Logger;
  /**
   * The instrument a name means, on whichever venue this runs: `BTCUSDT`, `BTC/USDT:USDT`, `BTC`.
   * @throws KestrelError UNKNOWN_INSTRUMENT
   */
  instrument(name: string): Instrument;
  /** The latest quote of an instrument, if one has arrived */
  quote(instrument: Instrument): Quote | undefined;
  /** The last quotes of an instrument (`historySize` of them), oldest first; `.at(-1)` is the newest */
  quotes(instrument: Instrument): History<Quote>;
  /** The last trades of an instrument, oldest first */
  trades(instrument: Instrument): History<Trade>;
  /**
   * Asks for candles of `interval` (`1s`, `1m`, `15m`, `1h`, `1d`...) of one instrument, or of
   * every instrument of the run; each closed bar then reaches `onBar`. Call it in onStart.
   * @throws KestrelError INVALID_ARGUMENT for a malformed interval
   */
  subscribeBars(interval: string, instrument?: Instrument): void;
  /**
   * The closed bars of an instrument at a subscribed interval, oldest first; `.at(-1)` is the last
   * closed one.
   * @throws KestrelError INVALID_ARGUMENT when that interval was not subscribed
   */
  bars(instrument: Instrument, interval: string): History<Bar>;
  /** The smallest order size the venue accepts at a price: min size and min notional, on the lot */
  minimumSize(instrument: Instrument, price: number): number;
  /** A fresh clientId, for strategies that want to know an order's id before placing it */
  nextClientId(): ClientOrderId;
  trade(
    instrument: Instrument,
    amount: number,
    price?: number,
    options?: TradeOptions,
  ): Promise<Order>;
  tradeAsync(
    instrument: Instrument,
    amount: number,
    price?: number,
    options?: TradeOptions,
  ): ClientOrderId;
  submitOrders(specs: readonly TradeSpec[]): Promise<Order[]>;
  cancelOrder(order: string | Order): Promise<Order>;
  cancelOrders(instrument?: Instrument): Promise<Order[]>;
  updateOrder(order: string | Order, amendment: OrderAmendment): Promise<Order>;
  closePosition(instrument: Instrument): Promise<Order | undefined>;
  position(instrument: Instrument): Position;
  positions(): Position[];
  balances(): BalanceView[];
  /** Live orders, optionally of one instrument */
  orders(instrument?: Instrument): Order[];
  order(clientId: string): Order | undefined;
}

type Awaitable = void | Promise<void>;

/** A parameter a strategy reads from `ctx.params`, for help and for checking `--param` names */
export interface StrategyParameter {
  readonly description: string;
  /** The value used when none is given, as help shows it */
  readonly default?: string | number;
}

/**
 * A strategy: an object with any of these callbacks. Each also receives the context as its last
 * argument. A callback that throws (or rejects) stops the run: a strategy bug is never traded
 * through.
 */
export interface Strategy {
  readonly name?: string;
  /** How often onTimer runs, ms; default 1000 */
  readonly timerIntervalMs?: number;
  /** How many bars, quotes and trades the context keeps per instrument; default 500 */
  readonly historySize?: number;
  /**
   * The parameters it reads, by name: `kestrel run` and `kestrel sweep` refuse any other
   * `--param` name (a typo would otherwise be silently ignored)
   */
  readonly parameters?: Readonly<Record<string, StrategyParameter>>;
  onStart?(ctx: StrategyContext): Awaitable;
  onQuote?(quote: Quote, ctx: StrategyContext): Awaitable;
  onTrade?(trade: Trade, ctx: StrategyContext): Awaitable;
  onBook?(book: BookSnapshot, ctx: StrategyContext): Awaitable;
  /** A candle closed, at an interval asked for with `ctx.subscribeBars` */
  onBar?(bar: Bar, ctx: StrategyContext): Awaitable;
  /** An order changed: accepted, filled, canceled, rejected, lost, adopted... */
  onOrder?(order: Order, change: OrderChange, ctx: StrategyContext): Awaitable;
  onFill?(fill: Fill, ctx: StrategyContext): Awaitable;
  /** Funding settled on a perpetual position: `amount` positive received, negative paid */
  onFunding?(funding: FundingPaid, ctx: StrategyContext): Awaitable;
  onTimer?(time: number, ctx: StrategyContext): Awaitable;
  onStop?(ctx: StrategyContext): Awaitable;
}

/** A module may export a strategy object or a factory making a fresh one per run */
export type StrategyExport = Strategy | (() => Strategy);

/** When and where a strategy failed */
export interface StrategyFailureDetails {
  /** The run's time at the failure, ms since the epoch */
  readonly time: number;
  /** Whether that time is a backtest's simulated time */
  readonly simulated: boolean;
  /** The strategy's own code that failed, `file:line:column`, when its stack tells */
  readonly location?: string | undefined;
}

/**
 * The strategy stopped the run: a callback threw or rejected, or an order promise it did not
 * await was refused. The message names the callback, the strategy's file and line, and the
 * (simulated) time.
 */
export class StrategyFailure extends Error {
  override readonly name = 'StrategyFailure';
  readonly callback: string;
  readonly time: number | undefined;
  readonly location: string | undefined;
  constructor(callback: string, cause: unknown, details?: StrategyFailureDetails) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const where: string[] = [];
    if (details?.location !== undefined) where.push(`at ${details.location}`);
    if (details !== undefined && Number.isFinite(details.time))
      where.push(
        `${details.simulated ? 'simulated time' : 'time'} ${new Date(details.time).toISOString()}`,
      );
    super(
      `strategy ${callback} failed: ${reason}${where.length === 0 ? '' : ` (${where.join(', ')})`}`,
      { cause },
    );
    this.callback = callback;
    this.time = details?.time;
    this.location = details?.location;
  }
}
