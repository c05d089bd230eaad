/**
 * A candle strategy built from indicators: mean reversion on one-minute bars.
 *
 * When a bar closes below the lower Bollinger band with RSI under `oversold`, it buys `size`; when
 * one closes above the upper band with RSI over `overbought`, it sells `size` short. It takes the
 * profit back at the middle band (the 20-bar SMA) and cuts a position that has been open for
 * `maxBars` bars. Orders are market orders awaited through `ctx.trade`.
 *
 *   npx kestrel run examples/bollinger-rsi.ts --param size=0.01
 *   npx kestrel sweep examples/bollinger-rsi.ts --param oversold=20,25,30 --param period=14,20,30
 */
import type { Bar, Instrument, Strategy, StrategyContext } from 'kestrel';
import { BollingerBands, numberParam, RSI } from 'kestrel';

export default function createBollingerRsi(): Strategy {
  let instrument: Instrument;
  let bands: BollingerBands;
  let rsi: RSI;
  let size = 0;
  let oversold = 30;
  let overbought = 70;
  let maxBars = 60;
  let barsHeld = 0;
  let busy = false;

  const trade = async (ctx: StrategyContext, amount: number): Promise<void> => {
    busy = true;
    try {
      await ctx.trade(instrument, amount);
    } finally {
      busy = false;
    }
  };

  return {
    name: 'bollinger-rsi',
    parameters: {
      size: {
        description: 'position size in base units',
        default: 'five times the smallest order',
      },
      period: { description: 'Bollinger band period, bars', default: 20 },
      deviations: { description: 'band width in standard deviations', default: 2 },
      rsiPeriod: { description: 'RSI period, bars', default: 14 },
      oversold: { description: 'RSI under which a close below the band buys', default: 30 },
      overbought: { description: 'RSI over which a close above the band sells', default: 70 },
      maxBars: { description: 'bars after which a position is closed anyway', default: 60 },
    },

    onStart(ctx) {
      instrument = ctx.instruments[0]!;
      bands = new BollingerBands(
        numberParam(ctx, 'period', 20, { integer: true }),
        numberParam(ctx, 'deviations', 2),
      );
      rsi = new RSI(numberParam(ctx, 'rsiPeriod', 14, { integer: true }));
      oversold = numberParam(ctx, 'oversold', 30);
      overbought = numberParam(ctx, 'overbought', 70);
      maxBars = numberParam(ctx, 'maxBars', 60, { integer: true });
      size = ctx.params['size'] === undefined ? 0 : numberParam(ctx, 'size', 0);
      ctx.subscribeBars('1m', instrument);
    },

    async onBar(bar: Bar, ctx) {
      bands.add(bar.close);
      rsi.add(bar.close);
      if (!bands.isStable || !rsi.isStable || busy) return;
      if (size === 0) size = 5 * ctx.minimumSize(instrument, bar.close);
      const { lower, middle, upper } = bands.getResultOrThrow();
      const strength = rsi.getResultOrThrow();
      const held = ctx.position(instrument).quantity;
      if (held === 0) {
        barsHeld = 0;
        if (bar.close < lower && strength < oversold) await trade(ctx, size);
        else if (bar.close > upper && strength > overbought) await trade(ctx, -size);
        return;
      }
      barsHeld += 1;
      const target = held > 0 ? bar.close >= middle : bar.close <= middle;
      if (target || barsHeld >= maxBars) await trade(ctx, -held);
    },

    async onStop(ctx) {
      if (ctx.position(instrument).quantity !== 0) await ctx.closePosition(instrument);
    },
  };
}
