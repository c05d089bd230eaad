import type { Strategy } from '../strategy.ts';

/** The strategies that ship with Kestrel, by the name `kestrel run NAME` takes; each loads on demand */
export const BUNDLED_STRATEGIES: Readonly<Record<string, () => Promise<Strategy>>> = {
  /** A market maker: a bid and an ask around the mid, outside the maker fee */
  quoting: async () => (await import('./quoting.ts')).default(),
  /** Trend following on candles: EMA crossover with an ATR stop */
  trend: async () => (await import('./trend.ts')).default(),
};
