/**
 * The bundled candle strategy: trend following on an EMA crossover with an ATR stop.
 *
 * On every closed bar of `interval` it updates a fast and a slow EMA of the close and an ATR.
 * When the fast EMA crosses above the slow one it goes long `size`; when it crosses below, it
 * goes short `size` (or flat with `longOnly=1`). A position that moves `stopAtr` ATRs against its
 * entry is closed at the bar's close and stays flat until the next cross. Orders are market
 * orders awaited through `ctx.trade`; the position is closed when the run stops.
 *
 * Parameters are listed in TREND_PARAMETERS (`--param key=value`).
 */
import type { Instrument } from '../../core/instrument.ts';
import { roundSizeDown } from '../../core/instrument.ts';
import type { Bar } from '../bars.ts';
import { ATR, EMA } from '../indicators.ts';
import type { Strategy, StrategyContext } from '../strategy.ts';
import { numberParam } from './params.ts';

const TREND_PARAMETERS = {
  symbol: { description: 'the instrument to trade', default: "the run's first instrument" },
  interval: { description: 'bar interval (1m, 5m, 1h...)', default: '5m' },
  fast: { description: 'fast EMA period, bars', default: 12 },
  slow: { description: 'slow EMA period, bars', default: 26 },
  atrPeriod: { description: 'ATR period, bars', default: 14 },
  stopAtr: { description: 'stop distance from the entry, in ATRs', default: 3 },
  size: { description: 'position size in base units', default: 'ten times the smallest order' },
  longOnly: { description: '1 to stay flat instead of going short', default: 0 },
} as const;

/** Makes a fresh trend strategy (each run needs its own indicators) */
export default function createTrendStrategy(): Strategy {
  let instrument: Instrument;
  let interval = '5m';
  let fast: EMA;
  let slow: EMA;
  let atr: ATR;
  let stopAtr = 3;
  let size = 0;
  let longOnly = false;
  let previousSign = 0;
  let entry = Number.NaN;
  let stopped = false;
  let busy = false;

  /** Moves the position to `target` (signed base units) with one market order */
  const moveTo = async (ctx: StrategyContext, target: number): Promise<void> => {
    const amount = roundSizeDown(instrument, target - ctx.position(instrument).quantity);
    if (amount === 0) return;
    busy = true;
    try {
      const order = await ctx.trade(instrument, amount);
      if (order.status === 'REJECTED')
        ctx.log.warn('trend order rejected', { clientId: order.clientId, reason: order.reason });
    } finally {
      busy = false;
    }
  };

  return {
    name: 'trend',
    parameters: TREND_PARAMETERS,

    onStart(ctx) {
      instrument = ctx.instrument(ctx.params['symbol'] ?? ctx.instruments[0]?.symbol ?? '');
      interval = ctx.params['interval'] ?? '5m';
      const fastPeriod = numberParam(ctx, 'fast', 12, { integer: true });
      const slowPeriod = numberParam(ctx, 'slow', 26, { integer: true });
      if (fastPeriod >= slowPeriod)
        throw new Error(`fast (${fastPeriod}) must be shorter than slow (${slowPeriod})`);
      fast = new EMA(fastPeriod);
      slow = new EMA(slowPeriod);
      atr = new ATR(numberParam(ctx, 'atrPeriod', 14, { integer: true }));
      stopAtr = numberParam(ctx, 'stopAtr', 3);
      size = ctx.params['size'] === undefined ? 0 : numberParam(ctx, 'size', 0);
      longOnly = ctx.params['longOnly'] === '1' || ctx.params['longOnly'] === 'true';
      ctx.subscribeBars(interval, instrument);
    },

    async onBar(bar: Bar, ctx) {
      fast.add(bar.close);
      slow.add(bar.close);
      atr.add(bar);
      if (!slow.isStable || !atr.isStable || busy) return;
      if (size === 0) size = roundSizeDown(instrument, 10 * ctx.minimumSize(instrument, bar.close));
      const sign = Math.sign(fast.getResultOrThrow() - slow.getResultOrThrow());
      const crossed = sign !== 0 && sign !== previousSign;
      if (sign !== 0) previousSign = sign;
      const held = ctx.position(instrument).quantity;
      if (crossed) {
        stopped = false;
        const target = sign > 0 ? size : longOnly ? 0 : -size;
        entry = bar.close;
        await moveTo(ctx, target);
        return;
      }
      // The stop: a position that went stopAtr ATRs against its entry is closed until the next cross
      const distance = stopAtr * atr.getResultOrThrow();
      if (
        !stopped &&
        held !== 0 &&
        (held > 0 ? bar.close < entry - distance : bar.close > entry + distance)
      ) {
        stopped = true;
        ctx.log.info('trend stop', { close: bar.close, entry, distance });
        await moveTo(ctx, 0);
      }
    },

    async onStop(ctx) {
      await ctx.cancelOrders(instrument);
      if (ctx.position(instrument).quantity !== 0) await ctx.closePosition(instrument);
    },
  };
}
