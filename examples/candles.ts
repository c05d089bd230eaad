/**
 * Candles, history and indicators: on one-minute bars, buys when RSI is oversold and the close
 * turns up above the fast EMA.
 *
 * Run: npx kestrel run examples/candles.ts --param size=0.01
 */
import { EMA, RSI, type Strategy } from 'kestrel';

export default function createStrategy(): Strategy {
  const fast = new EMA(12);
  const rsi = new RSI(14);
  return {
    name: 'candles',
    historySize: 500, // bars, quotes and trades kept per instrument (default 500)
    parameters: { size: { description: 'order size', default: 0.01 } },
    onStart(ctx) {
      ctx.subscribeBars('1m'); // every instrument; or ctx.subscribeBars('15m', instrument)
    },
    async onBar(bar, ctx) {
      fast.add(bar.close);
      rsi.add(bar.close);
      const bars = ctx.bars(bar.instrument, '1m'); // closed bars, oldest first; bars.at(-1) === bar
      const previous = bars.at(-2);
      const oversold = rsi.isStable && rsi.getResultOrThrow() < 30;
      if (
        oversold &&
        bar.close > fast.getResultOrThrow() &&
        bar.close > (previous?.close ?? Infinity)
      )
        await ctx.trade(bar.instrument, Number(ctx.params['size'] ?? 0.01));
    },
  };
}
