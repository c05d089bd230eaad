/**
 * A strategy: buys at the first quote, reports its fills, and closes the position once a minute.
 *
 * Run: npx kestrel run examples/buy-the-first-quote.ts --param size=0.01
 */
import type { Strategy } from 'kestrel';

export default function createStrategy(): Strategy {
  let bought = false;
  return {
    name: 'buy-the-first-quote',
    timerIntervalMs: 60_000,
    async onQuote(quote, ctx) {
      if (bought) return;
      bought = true;
      const size = Number(ctx.params['size'] ?? 0.01);
      const order = await ctx.trade(quote.instrument, size, quote.bid);
      ctx.log.info('placed', { clientId: order.clientId, status: order.status });
    },
    onOrder(order, change) {
      if (change === 'filled') console.log(`${order.clientId} filled at ${order.averageFillPrice}`);
    },
    async onTimer(_time, ctx) {
      const instrument = ctx.instruments[0]!;
      if (ctx.position(instrument).quantity !== 0) await ctx.closePosition(instrument);
    },
  };
}
