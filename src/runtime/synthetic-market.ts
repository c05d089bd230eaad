import type { Instrument } from '../core/instrument.ts';
import { roundSizeDown, snapPrice } from '../core/instrument.ts';
import type { MarketEvent } from '../core/market-data.ts';
import type { SeededRandom } from '../core/random.ts';
import { createRandom } from '../core/random.ts';
import { keepFieldsTagged } from '../core/tagged-fields.ts';
import type { ProgressSource } from './csv-reader.ts';

export interface SyntheticMarketOptions {
  readonly instruments: readonly Instrument[];
  /** Starting mid per symbol; default 64 000 for BTC, 3 200 for ETH, 100 otherwise */
  readonly startPrices?: Readonly<Record<string, number>>;
  /** Epoch ms of the first event */
  readonly start: number;
  readonly durationMs: number;
  readonly seed: number;
  /** Mean time between quotes, ms; default 100 */
  readonly quoteIntervalMs?: number;
  /** Mean time between trades, ms; default 250 */
  readonly tradeIntervalMs?: number;
  /** Long-run annualized volatility; default 0.6 */
  readonly volatility?: number;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;
/** Log-volatility mean-reverts with this time constant: calm and wild spells last tens of minutes */
const VOL_TAU_MS = 30 * 60_000;
/** Stationary standard deviation of log-volatility: volatility ranges about 0.4× to 2.7× its mean */
const VOL_OF_VOL = 0.5;
/** Subtracted from log-volatility so volatility's mean stays at its long-run level */
const HALF_VOL_VARIANCE = (VOL_OF_VOL * VOL_OF_VOL) / 2;
/** Log-space spread of quote sizes (around $50k) and trade sizes (around $2k) */
const QUOTE_SIZE_SIGMA = 0.8;
const TRADE_SIZE_SIGMA = 1;

interface State {
  readonly instrument: Instrument;
  logMid: number;
  /** Log of volatility relative to its long-run level (an Ornstein-Uhlenbeck process) */
  logVol: number;
  lastReturn: number;
  bid: number;
  ask: number;
  nextQuote: number;
  nextTrade: number;
  trades: number;
}

function newState(
  instrument: Instrument,
  price: number,
  nextQuote: number,
  nextTrade: number,
): State {
  return {
    instrument,
    logMid: Math.log(price),
    logVol: 0,
    lastReturn: 0,
    bid: Number.NaN,
    ask: Number.NaN,
    nextQuote,
    nextTrade,
    trades: 0,
  };
}

// The instrument is held as any object, not as its hidden class: a second run's instruments may
// have a new one (the first run's die with it), and the tape's quote and trade, compiled relying
// on the old, were thrown away at the next run's first market
keepFieldsTagged(newState({} as Instrument, 100, 0, 0), ['instrument']);

/**
 * The first `count` events of a batch made at its full size, in a list grown by push, as the
 * file readers and the merge hand out theirs. A list made at its full size has holes to V8 (its
 * own hidden class, whatever it holds), and the replay loop, compiled for the lists of the data
 * it met first, was thrown away at the first batch of the other kind (a sweep or the bench
 * running real data, then a synthetic day) and compiled again: 30-70 ms. Filling the batch
 * itself by push costs the generator more than this copy
 */
function packed(batch: readonly MarketEvent[], count: number): MarketEvent[] {
  const list: MarketEvent[] = [];
  for (let i = 0; i < count; i++) list.push(batch[i]!);
  return list;
}

function defaultPrice(instrument: Instrument): number {
  if (instrument.base === 'BTC') return 64_000;
  if (instrument.base === 'ETH') return 3_200;
  return 100;
}

/**
 * A seeded synthetic market: per instrument a random-walk mid whose volatility clusters (its
 * log-volatility mean-reverts over half an hour, so calm and wild spells alternate), a spread of one or more ticks that widens when the market is wild, quote sizes
 * around $50k, and trades arriving as a Poisson process at the touch, leaning with the recent
 * move, sized around $2k. The same seed always gives the same tape.
 */
export function createSyntheticMarket(options: SyntheticMarketOptions): ProgressSource {
  return new SyntheticMarket(options);
}

/**
 * The tape's generator, a class: closures made per market would be new functions to V8 in every
 * run, and a second run in the same process (a sweep's next job) would compile them all again
 */
class SyntheticMarket implements ProgressSource {
  private readonly random: SeededRandom;
  private readonly start: number;
  private readonly durationMs: number;
  private readonly quoteMean: number;
  private readonly tradeMean: number;
  private readonly longRun: number;
  private readonly decay: number;
  private readonly shock: number;
  /** A quote interval's share of a year's volatility (computed once, not once per quote) */
  private readonly stepScale: number;
  private readonly end: number;
  private readonly states: State[];
  private now: number;
  // An event's random draws, made first (in the order the tape has always drawn them) and kept
  // in place: a normal or uniform returned from a call the optimizer does not inline is boxed in
  // a new heap number, and the draws inlined with the arithmetic leave it no room to inline the
  // snapping, whose results are then boxed. The arithmetic on them is `Random`'s own: a
  // log-normal size is `median * exp(sigma * normal)`, an exponential wait `-log(1 - uniform) *
  // mean`
  private readonly draws = new Float64Array(5);
  // Small batches first, so a run sees its first event at once; then 512 at a time: a batch's
  // events (about 64 KiB) are still in the CPU's cache when the run reads them, and few are left
  // for a young-generation collection to copy (4096 at a time cost a backtest about 5 % more CPU)
  private batchSize = 256;

  constructor(options: SyntheticMarketOptions) {
    const random = createRandom(options.seed);
    this.random = random;
    this.start = options.start;
    this.durationMs = options.durationMs;
    const quoteMean = options.quoteIntervalMs ?? 100;
    const tradeMean = options.tradeIntervalMs ?? 250;
    this.quoteMean = quoteMean;
    this.tradeMean = tradeMean;
    this.longRun = options.volatility ?? 0.6;
    this.decay = Math.exp(-quoteMean / VOL_TAU_MS);
    this.shock = VOL_OF_VOL * Math.sqrt(1 - this.decay * this.decay);
    this.stepScale = Math.sqrt(quoteMean / YEAR_MS);
    this.end = options.start + options.durationMs;
    this.states = options.instruments.map((instrument) => {
      const price = options.startPrices?.[instrument.symbol] ?? defaultPrice(instrument);
      return newState(
        instrument,
        price,
        options.start,
        options.start + random.exponential(tradeMean),
      );
    });
    this.now = options.start;
  }

  async next(): Promise<MarketEvent[] | undefined> {
    // Made at its full size, then handed out as a list without holes (see `packed`)
    const size = this.batchSize;
    const batch: MarketEvent[] = new Array(size);
    let count = 0;
    this.batchSize = Math.min(512, this.batchSize * 2);
    const states = this.states;
    const end = this.end;
    while (count < size) {
      let state: State | undefined;
      let time = Number.POSITIVE_INFINITY;
      let isQuote = true;
      for (const candidate of states) {
        if (candidate.nextQuote < time) {
          state = candidate;
          time = candidate.nextQuote;
          isQuote = true;
        }
        // Trades need a touch, so the first quote comes first
        if (Number.isFinite(candidate.bid) && candidate.nextTrade < time) {
          state = candidate;
          time = candidate.nextTrade;
          isQuote = false;
        }
      }
      if (state === undefined || time > end) break;
      this.now = time;
      if (isQuote) {
        this.drawQuote();
        batch[count++] = this.quote(state, time);
      } else {
        batch[count++] = this.trade(state, time);
      }
      this.scheduleNext(state, isQuote);
    }
    if (count === 0) return undefined;
    return packed(batch, count);
  }

  progress(): number {
    return Math.min(1, (this.now - this.start) / this.durationMs);
  }

  /** A quote's draws: two normals for the mid, a uniform for the spread, two for the sizes */
  private drawQuote(): void {
    const random = this.random;
    const draws = this.draws;
    random.normals(draws, 0, 2);
    random.uniforms(draws, 2, 1);
    random.normals(draws, 3, 2);
  }

  /** Draws when the instrument quotes (or trades) next: an exponential wait after this one */
  private scheduleNext(state: State, isQuote: boolean): void {
    const draws = this.draws;
    this.random.uniforms(draws, 0, 1);
    if (isQuote) state.nextQuote += -Math.log(1 - draws[0]!) * this.quoteMean;
    else state.nextTrade += -Math.log(1 - draws[0]!) * this.tradeMean;
  }

  private quote(state: State, time: number): MarketEvent {
    const draws = this.draws;
    const longRun = this.longRun;
    state.logVol = state.logVol * this.decay + this.shock * draws[0]!;
    const volatility = longRun * Math.exp(state.logVol - HALF_VOL_VARIANCE);
    const step = volatility * this.stepScale * draws[1]!;
    state.logMid += step;
    state.lastReturn = step;
    const instrument = state.instrument;
    const mid = Math.exp(state.logMid);
    const wild = volatility / longRun;
    const spreadTicks = 1 + Math.floor(draws[2]! * 2 * wild);
    const bid = snapPrice(instrument, mid - (spreadTicks * instrument.tickSize) / 2);
    const ask = snapPrice(instrument, bid + spreadTicks * instrument.tickSize);
    state.bid = bid;
    state.ask = ask;
    const median = 50_000 / mid;
    const bidSize = Math.max(
      instrument.lotSize,
      roundSizeDown(instrument, median * Math.exp(QUOTE_SIZE_SIGMA * draws[3]!)),
    );
    const askSize = Math.max(
      instrument.lotSize,
      roundSizeDown(instrument, median * Math.exp(QUOTE_SIZE_SIGMA * draws[4]!)),
    );
    return { type: 'quote', instrument, time, bid, bidSize, ask, askSize };
  }

  private trade(state: State, time: number): MarketEvent {
    const draws = this.draws;
    const random = this.random;
    const instrument = state.instrument;
    const lean = state.lastReturn > 0 ? 0.6 : state.lastReturn < 0 ? 0.4 : 0.5;
    random.uniforms(draws, 0, 1);
    const side = draws[0]! < lean ? 'BUY' : 'SELL';
    const price = side === 'BUY' ? state.ask : state.bid;
    random.normals(draws, 0, 1);
    const size = Math.max(
      instrument.lotSize,
      roundSizeDown(instrument, (2_000 / price) * Math.exp(TRADE_SIZE_SIGMA * draws[0]!)),
    );
    state.trades += 1;
    return { type: 'trade', instrument, time, price, size, side, id: String(state.trades) };
  }
}
