/**
 * Lighter's trade candles, built from the market's tape as prints arrive: the `candles` route
 * and the `candle/{market}/{resolution}` channel read them. One-minute candles are kept (a week
 * of them) and the longer resolutions are folded from those.
 */

export const CANDLE_RESOLUTIONS = ['1m', '5m', '15m', '30m', '1h', '4h', '12h', '1d'] as const;
export type CandleResolution = (typeof CANDLE_RESOLUTIONS)[number];

const MINUTE = 60_000;
const LENGTHS: Readonly<Record<CandleResolution, number>> = {
  '1m': MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': 60 * MINUTE,
  '4h': 240 * MINUTE,
  '12h': 720 * MINUTE,
  '1d': 1_440 * MINUTE,
};
/** One-minute candles kept per market: a week */
const MINUTES_KEPT = 7 * 1_440;

export function isCandleResolution(value: string): value is CandleResolution {
  return (CANDLE_RESOLUTIONS as readonly string[]).includes(value);
}

/** A candle as the venue writes it: `t` its start (ms), `v` base and `V` quote volume, `i` its last trade id */
export interface LighterCandle {
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  V: number;
  i: number;
}

/** The start (ms) of the candle of `resolution` holding `time` */
function candleStart(resolution: CandleResolution, time: number): number {
  const length = LENGTHS[resolution];
  return Math.floor(time / length) * length;
}

/** The end (ms, exclusive) of the candle of `resolution` that starts at `start` */
export function candleEnd(resolution: CandleResolution, start: number): number {
  return start + LENGTHS[resolution];
}

/** One market's candles */
export class CandleSeries {
  /** One-minute candles, oldest first */
  private readonly minutes: LighterCandle[] = [];

  /** Adds a print (price and size in plain units) */
  add(price: number, size: number, tradeId: number, time: number): void {
    const start = candleStart('1m', time);
    const last = this.minutes.at(-1);
    if (last !== undefined && last.t === start) {
      last.h = Math.max(last.h, price);
      last.l = Math.min(last.l, price);
      last.c = price;
      last.v += size;
      last.V += size * price;
      last.i = Math.max(last.i, tradeId);
      return;
    }
    // A print older than the latest minute (a late replay) folds into the latest candle
    if (last !== undefined && start < last.t) {
      last.v += size;
      last.V += size * price;
      return;
    }
    this.minutes.push({
      t: start,
      o: price,
      h: price,
      l: price,
      c: price,
      v: size,
      V: size * price,
      i: tradeId,
    });
    if (this.minutes.length > MINUTES_KEPT) this.minutes.shift();
  }

  /**
   * The candles of `resolution` whose start lies in [from, to], oldest first, the last
   * `countBack` of them (candles without prints are absent, as on the venue)
   */
  range(
    resolution: CandleResolution,
    from: number,
    to: number,
    countBack: number,
  ): LighterCandle[] {
    const out: LighterCandle[] = [];
    const first = candleStart(resolution, from);
    // The first minute at or after the first candle's start (minutes are in time order)
    let low = 0;
    let high = this.minutes.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.minutes[mid]?.t ?? 0) < first) low = mid + 1;
      else high = mid;
    }
    for (let index = low; index < this.minutes.length; index++) {
      const minute = this.minutes[index];
      if (minute === undefined) break;
      const start = candleStart(resolution, minute.t);
      if (start > to) break;
      const last = out.at(-1);
      if (last !== undefined && last.t === start) {
        last.h = Math.max(last.h, minute.h);
        last.l = Math.min(last.l, minute.l);
        last.c = minute.c;
        last.v += minute.v;
        last.V += minute.V;
        last.i = Math.max(last.i, minute.i);
      } else {
        out.push({ ...minute, t: start });
      }
    }
    return countBack >= out.length ? out : out.slice(out.length - Math.max(0, countBack));
  }

  /** The candle of `resolution` holding `time`, if it has prints */
  current(resolution: CandleResolution, time: number): LighterCandle | undefined {
    const start = candleStart(resolution, time);
    const candles = this.range(resolution, start, start + LENGTHS[resolution] - 1, 1);
    return candles[0];
  }

  /** The latest candle of `resolution`, if any print was seen */
  latest(resolution: CandleResolution): LighterCandle | undefined {
    const last = this.minutes.at(-1);
    return last === undefined ? undefined : this.current(resolution, last.t);
  }
}
