import type { Side } from '../../core/order.ts';

/**
 * Binance's kline intervals and the candles of each, built from the public tape as prints
 * arrive: the klines endpoint, the kline streams and the 24-hour ticker read them.
 */

const KLINE_INTERVALS = [
  '1m',
  '3m',
  '5m',
  '15m',
  '30m',
  '1h',
  '2h',
  '4h',
  '6h',
  '8h',
  '12h',
  '1d',
  '3d',
  '1w',
  '1M',
] as const;
export type KlineInterval = (typeof KLINE_INTERVALS)[number];

const MINUTE = 60_000;
const LENGTHS: Readonly<Record<Exclude<KlineInterval, '1M'>, number>> = {
  '1m': MINUTE,
  '3m': 3 * MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': 60 * MINUTE,
  '2h': 120 * MINUTE,
  '4h': 240 * MINUTE,
  '6h': 360 * MINUTE,
  '8h': 480 * MINUTE,
  '12h': 720 * MINUTE,
  '1d': 1_440 * MINUTE,
  '3d': 4_320 * MINUTE,
  '1w': 10_080 * MINUTE,
};
/** Binance's weeks start on Monday; the epoch was a Thursday */
const WEEK_OFFSET = 4 * 1_440 * MINUTE;
/** Candles kept per interval: the endpoint's largest `limit` */
const KEPT = 1_500;

export function isKlineInterval(value: string): value is KlineInterval {
  return (KLINE_INTERVALS as readonly string[]).includes(value);
}

/** The open and close time (inclusive, ms) of the candle that holds `time` */
function candleBounds(interval: KlineInterval, time: number): [number, number] {
  if (interval === '1M') {
    const date = new Date(time);
    const open = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    const close = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) - 1;
    return [open, close];
  }
  const length = LENGTHS[interval];
  const offset = interval === '1w' ? WEEK_OFFSET : 0;
  const open = Math.floor((time - offset) / length) * length + offset;
  return [open, open + length - 1];
}

export interface Candle {
  readonly openTime: number;
  readonly closeTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Base volume, quote volume, and the taker buys' share of each */
  volume: number;
  quoteVolume: number;
  takerBuyVolume: number;
  takerBuyQuoteVolume: number;
  trades: number;
  firstTradeId: number;
  lastTradeId: number;
}

/** The candles of one symbol, every interval, oldest first */
export class CandleSeries {
  private readonly series = new Map<KlineInterval, Candle[]>();

  constructor() {
    for (const interval of KLINE_INTERVALS) this.series.set(interval, []);
  }

  /** Books a print into the candle of every interval; returns the candles it touched */
  add(print: {
    readonly id: number;
    readonly price: number;
    readonly quantity: number;
    readonly side: Side;
    readonly time: number;
  }): void {
    for (const interval of KLINE_INTERVALS) {
      const list = this.series.get(interval) ?? [];
      let candle = list.at(-1);
      if (candle === undefined || print.time > candle.closeTime) {
        const [openTime, closeTime] = candleBounds(interval, print.time);
        candle = {
          openTime,
          closeTime,
          open: print.price,
          high: print.price,
          low: print.price,
          close: print.price,
          volume: 0,
          quoteVolume: 0,
          takerBuyVolume: 0,
          takerBuyQuoteVolume: 0,
          trades: 0,
          firstTradeId: print.id,
          lastTradeId: print.id,
        };
        list.push(candle);
        if (list.length > KEPT) list.shift();
      }
      candle.high = Math.max(candle.high, print.price);
      candle.low = Math.min(candle.low, print.price);
      candle.close = print.price;
      candle.volume += print.quantity;
      candle.quoteVolume += print.quantity * print.price;
      if (print.side === 'BUY') {
        candle.takerBuyVolume += print.quantity;
        candle.takerBuyQuoteVolume += print.quantity * print.price;
      }
      candle.trades += 1;
      candle.lastTradeId = print.id;
    }
  }

  /** The candle of `interval` open at `time`, if any print fell in it */
  current(interval: KlineInterval): Candle | undefined {
    return this.series.get(interval)?.at(-1);
  }

  /**
   * The candles of an interval the klines endpoint answers: opening within [start, end], the
   * latest `limit` when no start is given, the first `limit` from start otherwise.
   */
  range(
    interval: KlineInterval,
    start: number | undefined,
    end: number | undefined,
    limit: number,
  ): Candle[] {
    const list = (this.series.get(interval) ?? []).filter(
      (c) =>
        (start === undefined || c.closeTime >= start) && (end === undefined || c.openTime <= end),
    );
    return start === undefined ? list.slice(-limit) : list.slice(0, limit);
  }

  /** The rolling 24 hours ending at `now`, from the minute candles */
  lastDay(now: number): Candle[] {
    return (this.series.get('1m') ?? []).filter((c) => c.closeTime > now - 1_440 * MINUTE);
  }
}
