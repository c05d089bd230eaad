/**
 * The soak test's strategy: keeps the order flow busy with post-only quotes near the touch,
 * cancels, amends and small crossing orders that fill, with its position bounded. With
 * `--param mode=settle` it only cancels what is open and then stays idle, so the final run
 * settles everything for the comparison with the venue's ledger. It says on stderr when it starts
 * (after the startup reconciliation), so the soak kills it only once it trades.
 */
import type { Instrument } from '../../src/core/instrument.ts';
import { roundSizeDown } from '../../src/core/instrument.ts';
import { isTerminal } from '../../src/core/order.ts';
import { createRandom } from '../../src/core/random.ts';
import type { Strategy, StrategyContext } from '../../src/runtime/strategy.ts';

/** The line the soak waits for before it may kill the process */
export const SOAK_READY = 'soak-strategy: ready';

export default function createSoakStrategy(): Strategy {
  let instrument: Instrument;
  let random = createRandom(1);
  let settle = false;
  let lastAction = 0;

  const act = (ctx: StrategyContext): void => {
    const quote = ctx.quote(instrument);
    if (quote === undefined) return;
    const size = ctx.minimumSize(instrument, quote.ask);
    const live = ctx
      .orders(instrument)
      .filter((o) => !isTerminal(o.status) && o.status !== 'PENDING_CANCEL');
    const position = ctx.position(instrument).quantity;
    const limit = 6 * size;
    const roll = random.next();
    const fail = (what: string) => (error: unknown) =>
      ctx.log.warn(`soak: ${what} failed`, { error });
    if (Math.abs(position) > limit) {
      // Back inside the bound with a reduce-only order that takes liquidity
      const reduce = roundSizeDown(instrument, Math.abs(position) - limit / 2);
      if (reduce > 0)
        ctx
          .trade(
            instrument,
            position > 0 ? -reduce : reduce,
            position > 0 ? quote.bid : quote.ask,
            { timeInForce: 'IOC', reduceOnly: true },
          )
          .catch(fail('reduce'));
      return;
    }
    if (roll < 0.45 && live.length < 6) {
      const buy = random.next() < 0.5;
      const ticks = 1 + random.integer(0, 4);
      const price = buy
        ? quote.bid - ticks * instrument.tickSize
        : quote.ask + ticks * instrument.tickSize;
      ctx.tradeAsync(instrument, buy ? size : -size, price, { postOnly: true });
    } else if (roll < 0.7 && live.length > 0) {
      const target = live[random.integer(0, live.length - 1)];
      if (target !== undefined) ctx.cancelOrder(target).catch(fail('cancel'));
    } else if (roll < 0.8 && live.length > 0) {
      const target = live.find((o) => o.status === 'OPEN' && o.price !== undefined);
      if (target?.price !== undefined) {
        const step = (random.next() < 0.5 ? -1 : 1) * instrument.tickSize;
        const price =
          target.side === 'BUY'
            ? Math.min(target.price + step, quote.bid)
            : Math.max(target.price + step, quote.ask);
        ctx.updateOrder(target, { price }).catch(fail('amend'));
      }
    } else if (roll < 0.95) {
      const buy = position <= 0;
      ctx
        .trade(instrument, buy ? size : -size, buy ? quote.ask : quote.bid, { timeInForce: 'IOC' })
        .catch(fail('take'));
    }
  };

  return {
    name: 'soak',
    timerIntervalMs: 1_000,
    async onStart(ctx) {
      instrument = ctx.instrument(ctx.params['symbol'] ?? ctx.instruments[0]?.symbol ?? '');
      random = createRandom(Number(ctx.params['seed'] ?? 1) + Math.floor(ctx.time));
      settle = ctx.params['mode'] === 'settle';
      process.stderr.write(`${SOAK_READY}\n`);
      if (settle) await ctx.cancelOrders();
    },
    onQuote(_quote, ctx) {
      if (settle || ctx.time - lastAction < 150) return;
      lastAction = ctx.time;
      act(ctx);
    },
    async onStop(ctx) {
      if (!settle) return;
      await ctx.cancelOrders();
    },
  };
}
