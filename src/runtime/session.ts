import type { ApplyResult } from '../core/account.ts';
import { invalidField } from '../core/errors.ts';
import type { AccountEvent, FundingPaid } from '../core/events.ts';
import type { Fill } from '../core/fill.ts';
import type { Instrument } from '../core/instrument.ts';
import { matchesSymbol } from '../core/instrument.ts';
import type { MarketEvent, Quote } from '../core/market-data.ts';
import { midPrice } from '../core/market-data.ts';
import { snapUp } from '../core/numeric.ts';
import type { Order, OrderChange } from '../core/order.ts';
import { emptyObjectList, keepFieldsMutable, keepFlagsMutable } from '../core/tagged-fields.ts';
import type { AccountView } from '../engine/account-processor.ts';
import type { Clock, Timer } from '../engine/clock.ts';
import { SimulatedClock } from '../engine/clock.ts';
import type { Logger } from '../engine/logger.ts';
import type { TradingManager } from '../engine/trading-manager.ts';
import { MarketHistory } from './market-history.ts';
import { RunRecorder } from './recorder.ts';
import type { Strategy, StrategyContext } from './strategy.ts';
import { StrategyFailure } from './strategy.ts';

export interface SessionOptions {
  readonly strategy: Strategy;
  readonly params: Readonly<Record<string, string>>;
  readonly instruments: readonly Instrument[];
  readonly trading: TradingManager;
  readonly account: AccountView;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The smallest valid size at a price: at least the min size and the min notional, on the lot */
export function minimumSize(instrument: Instrument, price: number): number {
  const byNotional =
    instrument.minNotional > 0 && price > 0
      ? snapUp(
          instrument.minNotional / (price * instrument.contractSize),
          instrument.lotSize,
          instrument.sizeDecimals,
        )
      : 0;
  return Math.max(instrument.minSize, instrument.lotSize, byNotional);
}

/** This package's own code (src/ when run from TypeScript, dist/ when compiled) */
const KESTREL_CODE = [new URL('..', import.meta.url).href, new URL('..', import.meta.url).pathname];

/**
 * The strategy's own code in an error's stack, as `file:line:column`: the first frame that is
 * not Kestrel's, a dependency's or Node's. A module loaded from an inlined `data:` URL is named
 * by the file it came from, never by the URL.
 */
export function strategyLocation(error: unknown): string | undefined {
  const stack = error instanceof Error ? error.stack : undefined;
  if (stack === undefined) return undefined;
  for (const line of stack.split('\n')) {
    const frame = /^\s+at (?:.*? \()?(.+?):(\d+):(\d+)\)?$/.exec(line);
    if (frame === null) continue;
    const [, where = '', row, column] = frame;
    if (where.startsWith('data:')) {
      const file = /__filename%3D%22(.+?)%22/.exec(where)?.[1];
      if (file !== undefined) return decodeURIComponent(file);
      continue;
    }
    if (
      where.startsWith('node:') ||
      where.includes('/node_modules/') ||
      KESTREL_CODE.some((root) => where.startsWith(root))
    )
      continue;
    const file = where.startsWith('file://') ? decodeURIComponent(new URL(where).pathname) : where;
    return `${file}:${row}:${column}`;
  }
  return undefined;
}

/** What a watched promise tells the session that handed it out */
interface PromiseWatcher {
  /**
   * Watches a promise derived from a watched one. A `then` without a rejection handler rejects
   * with the one it came from: `refusable`. One with a handler rejects only if the handler
   * throws: still watched, but not counted among those handed out (see handedOutSince)
   */
  watch<U>(method: string, promise: Promise<U>, refusable: boolean): Promise<U>;
  /** `catch` with a handler: the promise it returns rejects only if the handler throws or rejects */
  watchCatch<T, B>(
    method: string,
    inner: Promise<T>,
    onRejected: (reason: unknown) => B | PromiseLike<B>,
  ): Promise<T | B>;
}

/**
 * An order promise handed to a strategy. It settles like the promise it wraps; if that one
 * rejects and the strategy attached no handler (no await, then or catch: `void ctx.trade(...)`),
 * the session stops the run with a strategy error instead of the process crashing on an
 * unhandled rejection. One object per promise handed out: its state is fields, not closures.
 */
class WatchedPromise<T> {
  readonly inner: Promise<T>;
  /** The context method that handed it out */
  readonly method: string;
  /** The callback running when it was handed out, to name it if it is refused */
  readonly during: string | undefined;
  /** Whether the strategy attached a handler */
  handled = false;
  private readonly watcher: PromiseWatcher;

  constructor(
    inner: Promise<T>,
    method: string,
    during: string | undefined,
    watcher: PromiseWatcher,
  ) {
    this.inner = inner;
    this.method = method;
    this.during = during;
    this.watcher = watcher;
  }

  // biome-ignore lint/suspicious/noThenProperty: it is a promise, handed out in place of one
  then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.handled = true;
    return this.watcher.watch(
      this.method,
      this.inner.then(onFulfilled, onRejected),
      typeof onRejected !== 'function',
    );
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    if (typeof onRejected !== 'function') return this.then(undefined, onRejected);
    this.handled = true;
    return this.watcher.watchCatch(this.method, this.inner, onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    this.handled = true;
    return this.watcher.watch(this.method, this.inner.finally(onFinally), true);
  }
}
// `instanceof Promise` holds for it, as for the promise it stands for
Object.setPrototypeOf(WatchedPromise.prototype, Promise.prototype);

/**
 * One strategy running against one account: it builds the strategy's context, hands market
 * events and account changes to the strategy's callbacks, runs its timer, and stops the run at
 * the first callback that throws or rejects, or the first order promise it did not await that
 * rejects (a strategy bug is never traded through).
 */
export class StrategySession implements PromiseWatcher {
  readonly context: StrategyContext;
  private readonly strategy: Strategy;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly account: AccountView;
  private readonly quotes = new Map<Instrument, Quote>();
  private readonly history: MarketHistory;
  private timer: Timer | undefined;
  private outstanding = 0;
  /** Order promises handed out since `handedOutSince` last looked */
  private handedOut = 0;
  /** The callback running synchronously right now, to name it in errors */
  private current: string | undefined;
  /**
   * Promises handed out whose handling is not known yet: when the callback that got them ends
   * (or in a microtask, for those handed out elsewhere), the ones the strategy did not handle
   * are followed (see `follow`)
   */
  private readonly unwatched: WatchedPromise<unknown>[] = emptyObjectList();
  private followQueued = false;
  private readonly followLater = () => {
    this.followQueued = false;
    this.followUnhandled();
  };
  private failure: StrategyFailure | undefined;
  private stopped = false;
  /** Set when stop begins: market data and timers no longer reach the strategy */
  private stopping = false;
  private started = false;
  private lastMarketAt = Number.NEGATIVE_INFINITY;
  private readonly unsubscribe: () => void;

  constructor(options: SessionOptions) {
    this.strategy = options.strategy;
    this.clock = options.clock;
    this.logger = options.logger;
    this.account = options.account;
    // Async callbacks running: none until the first that returns a promise (see keepFieldsMutable)
    keepFieldsMutable<{ outstanding: number }>(this as never, ['outstanding']);
    // Set once, at the run's end (see keepFlagsMutable)
    keepFlagsMutable<{ stopping: boolean; stopped: boolean }>(this as never, [
      'stopping',
      'stopped',
    ]);
    const { trading, account, instruments, clock } = options;
    const quotes = this.quotes;
    const history = new MarketHistory({
      clock,
      size: options.strategy.historySize,
      onBar: (bar) => {
        const onBar = this.strategy.onBar;
        if (onBar === undefined || !this.started || this.stopping || this.failure !== undefined)
          return;
        // Called directly, not through a closure per bar
        const outer = this.current;
        this.current = 'onBar';
        try {
          this.track('onBar', onBar.call(this.strategy, bar, this.context));
        } catch (error) {
          this.fail('onBar', error);
        } finally {
          this.leave(outer);
        }
      },
    });
    this.history = history;
    this.context = {
      get time() {
        return clock.now();
      },
      instruments,
      params: options.params,
      log: options.logger,
      instrument(name) {
        const found =
          instruments.find((i) => i.symbol === name) ??
          instruments.find((i) => matchesSymbol(i, name));
        if (found === undefined) {
          throw invalidField(
            'UNKNOWN_INSTRUMENT',
            'instrument',
            name,
            `is not traded in this run (have: ${instruments.map((i) => i.symbol).join(', ')})`,
          );
        }
        return found;
      },
      quote: (instrument) => quotes.get(instrument),
      quotes: (instrument) => history.quotes(instrument),
      trades: (instrument) => history.trades(instrument),
      subscribeBars: (interval, instrument) => {
        for (const i of instrument === undefined ? instruments : [instrument])
          history.subscribe(i, interval);
      },
      bars: (instrument, interval) => history.bars(instrument, interval),
      minimumSize,
      nextClientId: () => trading.nextClientId(),
      trade: (instrument, amount, price, tradeOptions) =>
        this.watch('trade', trading.trade(instrument, amount, price, tradeOptions)),
      tradeAsync: (instrument, amount, price, tradeOptions) =>
        trading.tradeAsync(instrument, amount, price, tradeOptions),
      submitOrders: (specs) => this.watch('submitOrders', trading.submitOrders(specs)),
      cancelOrder: (order) => this.watch('cancelOrder', trading.cancelOrder(order)),
      cancelOrders: (instrument) => this.watch('cancelOrders', trading.cancelOrders(instrument)),
      updateOrder: (order, amendment) =>
        this.watch('updateOrder', trading.updateOrder(order, amendment)),
      closePosition: (instrument) => this.watch('closePosition', trading.closePosition(instrument)),
      position: (instrument) => account.getPosition(instrument),
      positions: () => account.getPositions(),
      balances: () => account.getBalances(),
      orders: (instrument) => account.getOrders(instrument),
      order: (clientId) => account.findOrder(clientId),
    };
    this.unsubscribe = account.subscribe((result, event) => this.onApplied(result, event));
  }

  /**
   * Hands an applied account change to the strategy's callbacks. The closures that carry it are
   * made in the methods below, only for callbacks the strategy has: a closure here over `result`
   * or `event` would allocate their context on every change, wanted or not
   */
  private onApplied(result: ApplyResult, event: AccountEvent): void {
    if (this.stopped || result.outcome !== 'applied') return;
    const strategy = this.strategy;
    if (event.type === 'fundingPaid' && strategy.onFunding !== undefined) {
      this.deliverFunding(event);
      return;
    }
    if (result.order !== undefined && result.change !== undefined && strategy.onOrder !== undefined)
      this.deliverOrder(result.order, result.change);
    if (result.fill !== undefined && strategy.onFill !== undefined) this.deliverFill(result.fill);
  }

  private deliverFunding(event: FundingPaid): void {
    this.deliver('onFunding', () => this.strategy.onFunding?.(event, this.context));
  }

  private deliverOrder(order: Order, change: OrderChange): void {
    this.deliver('onOrder', () => this.strategy.onOrder?.(order, change, this.context));
  }

  private deliverFill(fill: Fill): void {
    this.deliver('onFill', () => this.strategy.onFill?.(fill, this.context));
  }

  /** The strategy's first failure, if any; the run must stop when set */
  get failed(): StrategyFailure | undefined {
    return this.failure;
  }

  /** Whether an async callback is still running */
  get busy(): boolean {
    return this.outstanding > 0;
  }

  /**
   * Whether order promises were handed out since the last call (a `then` or `catch` with a
   * rejection handler does not count: it hands out no refusal): a backtest then lets pending
   * promise jobs run before the next event, so a refused one the strategy did not await stops
   * the run at once, and its handlers run when they would live
   */
  handedOutSince(): boolean {
    const any = this.handedOut > 0;
    this.handedOut = 0;
    return any;
  }

  /**
   * Hands the strategy an order promise whose rejection stops the run unless it is handled. The
   * session is the watcher of the promises it hands out: a watcher of closures made per session
   * would be new functions to V8 in every run, and the promises' code optimized for the first
   * run's thrown away at the next
   */
  watch<T>(method: string, promise: Promise<T>, refusable = true): Promise<T> {
    const watched = new WatchedPromise(promise, method, this.current, this);
    if (refusable) this.handedOut += 1;
    this.unwatched.push(watched as WatchedPromise<unknown>);
    if (this.current === undefined && !this.followQueued) {
      this.followQueued = true;
      queueMicrotask(this.followLater);
    }
    return watched as unknown as Promise<T>;
  }

  /**
   * `promise.catch(handler)` for the strategy. The promise it returns rejects only when the
   * handler throws, or returns a promise that rejects: it is followed as any unhandled one from
   * the moment the handler throws or returns something. So the usual catch, whose handler logs
   * and returns nothing, is never followed and costs no handler of the session's own
   */
  watchCatch<T, B>(
    method: string,
    inner: Promise<T>,
    onRejected: (reason: unknown) => B | PromiseLike<B>,
  ): Promise<T | B> {
    let derived: WatchedPromise<T | B> | undefined;
    const promise = inner.then(undefined, (reason: unknown) => {
      let result: B | PromiseLike<B>;
      try {
        result = onRejected(reason);
      } catch (error) {
        // Followed now, before it rejects as this returns: its rejection is heard, not unhandled
        this.follow(derived!);
        throw error;
      }
      if (result !== undefined) this.follow(derived!);
      return result;
    });
    derived = new WatchedPromise(promise, method, this.current, this);
    return derived as unknown as Promise<T | B>;
  }

  /**
   * Follows the promises handed out that the strategy did not handle at once. One it handled
   * (`.catch`, `.then`) needs nothing more: its settling, and a refusal, are the strategy's
   */
  private followUnhandled(): void {
    const list = this.unwatched;
    for (let i = 0; i < list.length; i++) {
      const watched = list[i]!;
      if (!watched.handled) this.follow(watched);
    }
    // Emptied by pops: writing an array's length is a call into the runtime (this runs after
    // every callback that handed out promises)
    while (list.length > 0) list.pop();
  }

  /** Stops the run if the promise is refused unhandled */
  private follow(watched: WatchedPromise<unknown>): void {
    watched.inner.then(undefined, (error: unknown) => this.refused(watched, error));
  }

  /** A followed promise was refused: the run stops unless the strategy handles it meanwhile */
  private refused(watched: WatchedPromise<unknown>, error: unknown): void {
    // A handler attached by `await` arrives a job later: look again after it had its turn
    queueMicrotask(() =>
      queueMicrotask(() => {
        if (watched.handled) return;
        this.fail(
          watched.during ?? 'a callback',
          error,
          `ctx.${watched.method}() was not awaited and was refused: `,
        );
      }),
    );
  }

  /** Leaves a synchronous callback: the outermost one follows the promises it left unhandled */
  private leave(outer: string | undefined): void {
    this.current = outer;
    if (outer === undefined && this.unwatched.length > 0) this.followUnhandled();
  }

  /**
   * Account changes before onStart (reconciliation at startup: LOST, RECOVERED, EXTERNAL orders)
   * wait until the strategy has started, then arrive in order
   */
  private deliver(callback: string, run: () => unknown): void {
    if (this.started) this.invoke(callback, run);
    else if (this.early.length < 10_000) this.early.push([callback, run]);
  }

  private readonly early: Array<[string, () => unknown]> = emptyObjectList();

  private invoke(callback: string, run: () => unknown): void {
    if (this.failure !== undefined) return;
    const outer = this.current;
    this.current = callback;
    try {
      this.track(callback, run());
    } catch (error) {
      this.fail(callback, error);
    } finally {
      this.leave(outer);
    }
  }

  /**
   * Follows an async callback: counts it while it runs, and stops the run if it rejects. The
   * closures that do it are made in `trackAsync`: made here, the context they share (`callback`,
   * `this`) was allocated at every call, for every quote and trade, a promise returned or not
   */
  private track(callback: string, result: unknown): void {
    if (result instanceof Promise) this.trackAsync(callback, result);
  }

  private trackAsync(callback: string, result: Promise<unknown>): void {
    this.outstanding += 1;
    result.then(
      () => {
        this.outstanding -= 1;
      },
      (error: unknown) => {
        this.outstanding -= 1;
        this.fail(callback, error);
      },
    );
  }

  private fail(callback: string, error: unknown, context = ''): void {
    if (this.failure !== undefined) return;
    const reason = error instanceof Error ? error.message : String(error);
    this.failure = new StrategyFailure(callback, context === '' ? error : `${context}${reason}`, {
      time: this.clock.now(),
      simulated: this.clock instanceof SimulatedClock,
      location: strategyLocation(error),
    });
    if (context !== '') this.failure.cause = error;
    this.logger.error(`strategy ${callback} failed; stopping the run`, { error: reason });
  }

  /** Runs onStart, then starts the timer */
  async start(): Promise<void> {
    const onStart = this.strategy.onStart;
    if (onStart !== undefined) {
      try {
        this.current = 'onStart';
        const started = onStart.call(this.strategy, this.context);
        this.leave(undefined);
        await started;
      } catch (error) {
        this.leave(undefined);
        this.fail('onStart', error);
        return;
      }
    }
    this.lastMarketAt = this.clock.now();
    this.started = true;
    for (const [callback, run] of this.early.splice(0, this.early.length))
      this.invoke(callback, run);
    this.armTimer();
    this.history.start();
  }

  /**
   * Runs onTimer every interval while market data flows. Across a gap in the data (ten intervals
   * without an event) it pauses, and the next event resumes it, so a backtest spanning months of
   * missing data does not tick through them one interval at a time.
   */
  private armTimer(): void {
    const interval = this.strategy.timerIntervalMs ?? 1000;
    if (this.strategy.onTimer === undefined || interval <= 0 || this.stopping) return;
    const tick = () => {
      this.timer = undefined;
      if (this.stopping) return;
      if (this.clock.now() - this.lastMarketAt > 10 * interval) return;
      this.invoke('onTimer', () => this.strategy.onTimer?.(this.clock.now(), this.context));
      this.timer = this.clock.setTimer(interval, tick);
    };
    this.timer = this.clock.setTimer(interval, tick);
  }

  /** Delivers a market event: remembers the quote, marks the position, calls the strategy */
  onMarket(event: MarketEvent): void {
    const instrument = event.instrument;
    this.lastMarketAt = this.clock.now();
    if (this.started && this.timer === undefined && !this.stopping) this.armTimer();
    this.history.onMarket(event);
    if (event.type === 'quote') {
      this.quotes.set(instrument, event);
      this.account.markPrice(instrument, midPrice(event));
      const onQuote = this.strategy.onQuote;
      if (onQuote !== undefined && this.failure === undefined && !this.stopping) {
        // Called directly, not through a closure: this runs for every quote of a backtest
        this.current = 'onQuote';
        try {
          this.track('onQuote', onQuote.call(this.strategy, event, this.context));
        } catch (error) {
          this.fail('onQuote', error);
        }
        this.leave(undefined);
      }
    } else if (event.type === 'trade') {
      if (!this.quotes.has(instrument)) this.account.markPrice(instrument, event.price);
      const onTrade = this.strategy.onTrade;
      if (onTrade !== undefined && this.failure === undefined && !this.stopping) {
        this.current = 'onTrade';
        try {
          this.track('onTrade', onTrade.call(this.strategy, event, this.context));
        } catch (error) {
          this.fail('onTrade', error);
        }
        this.leave(undefined);
      }
    } else {
      const bid = event.bids[0];
      const ask = event.asks[0];
      if (bid !== undefined && ask !== undefined) {
        const quote: Quote = {
          type: 'quote',
          instrument,
          time: event.time,
          bid: bid[0],
          bidSize: bid[1],
          ask: ask[0],
          askSize: ask[1],
        };
        this.quotes.set(instrument, quote);
        this.account.markPrice(instrument, midPrice(quote));
      }
      if (this.strategy.onBook !== undefined && !this.stopping)
        this.invoke('onBook', () => this.strategy.onBook?.(event, this.context));
    }
  }

  /**
   * Stops market data and timers reaching the strategy, then runs onStop (order and fill
   * callbacks still arrive while it runs); no callbacks after this
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.history.stop();
    const onStop = this.strategy.onStop;
    if (onStop !== undefined && this.failure === undefined) {
      try {
        this.current = 'onStop';
        const stopped = onStop.call(this.strategy, this.context);
        this.leave(undefined);
        await stopped;
      } catch (error) {
        this.leave(undefined);
        this.fail('onStop', error);
      }
    }
    this.stopped = true;
    this.unsubscribe();
  }
}

/** What every run (backtest, paper, live) wraps around its trading manager */
export interface RunOptions extends SessionOptions {
  /** The currency equity is counted in */
  readonly currency: string;
  /** Where the recorder writes its CSVs; nothing is written without it */
  readonly outDir: string | undefined;
}

/** The recorder and the strategy session of a run, over one account and trading manager */
export function openRun(options: RunOptions): {
  readonly recorder: RunRecorder;
  readonly session: StrategySession;
} {
  const { account, clock, instruments, currency, outDir } = options;
  return {
    recorder: new RunRecorder({ account, clock, instruments, currency, outDir }),
    session: new StrategySession(options),
  };
}
