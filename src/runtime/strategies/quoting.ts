/**
 * The bundled example: a market maker that keeps one bid and one ask around the mid.
 *
 * It exercises the whole order flow: both quotes go out together with `submitOrders` (a batch),
 * a single side is replaced with `tradeAsync`, and when the mid moves it cancels the old quote
 * at once, often before the venue has acknowledged it (a cancel of a PENDING order), then quotes
 * anew. Every few seconds it checks its inventory and, past a limit, trims it with an immediate
 * order through `trade`, awaiting the venue's verdict.
 *
 * Parameters (`--param key=value`, listed in PARAMETERS): symbol, edgeBps, requoteBps, size,
 * maxPosition. By default each quote sits 0.5 bp outside the maker fee (2.5 bps from the mid on a
 * 2 bps maker fee), so a round trip at an unchanged mid earns more than its two fees; quoting
 * inside the fee loses money on every round trip by construction.
 */
import type { Instrument } from '../../core/instrument.ts';
import { roundSizeDown } from '../../core/instrument.ts';
import type { Quote } from '../../core/market-data.ts';
import { midPrice } from '../../core/market-data.ts';
import type { Order } from '../../core/order.ts';
import { isTerminal } from '../../core/order.ts';
import type { Strategy, StrategyContext } from '../strategy.ts';
import { numberParam as number } from './params.ts';

/** The quoting strategy's parameters */
export const QUOTING_PARAMETERS = {
  symbol: { description: 'the instrument to quote', default: "the run's first instrument" },
  edgeBps: {
    description: 'how far from the mid each quote sits, bps',
    default: "the instrument's maker fee + 0.5 (2.5 on the simulated BTCUSDT)",
  },
  requoteBps: {
    description: 'how far the mid may drift before both quotes are replaced, bps',
    default: 'half of edgeBps',
  },
  size: {
    description: 'base quantity per quote',
    default: 'twice the smallest the venue takes',
  },
  maxPosition: {
    description: 'inventory limit in base units; beyond it the excess is trimmed',
    default: "10 quotes' worth",
  },
} as const;

/** Makes a fresh quoting strategy (a module-level object would share state between runs) */
export default function createQuotingStrategy(): Strategy {
  let instrument: Instrument;
  let edge = 0;
  let requote = 0;
  let size = 0;
  let maxPosition = 0;
  // Our two quotes as the account's live order objects: the account updates them in place, so
  // their status is read here on every quote without looking the orders up again
  let bid: Order | undefined;
  let ask: Order | undefined;
  let center = Number.NaN;
  let trimming = false;

  const live = (order: Order | undefined): boolean =>
    order !== undefined && !isTerminal(order.status) && order.status !== 'PENDING_CANCEL';

  const cancel = (ctx: StrategyContext, order: Order | undefined): void => {
    if (order === undefined || !live(order)) return;
    const id = order.clientId;
    ctx
      .cancelOrder(id)
      .catch((error: unknown) => ctx.log.warn('cancel failed', { clientId: id, error }));
  };

  const quoteAround = (ctx: StrategyContext, mid: number): void => {
    const position = ctx.position(instrument).quantity;
    const wantBid = position < maxPosition;
    const wantAsk = position > -maxPosition;
    cancel(ctx, bid);
    cancel(ctx, ask);
    bid = undefined;
    ask = undefined;
    center = mid;
    const bidId = wantBid ? ctx.nextClientId() : undefined;
    const askId = wantAsk ? ctx.nextClientId() : undefined;
    const bidPrice = mid * (1 - edge);
    const askPrice = mid * (1 + edge);
    if (bidId !== undefined && askId !== undefined) {
      // Both quotes in one batch, listed whole (no list grown by a push per quote)
      ctx
        .submitOrders([
          { instrument, amount: size, price: bidPrice, postOnly: true, clientId: bidId },
          { instrument, amount: -size, price: askPrice, postOnly: true, clientId: askId },
        ])
        .catch((error: unknown) => ctx.log.warn('quote batch failed', { error }));
    } else if (bidId !== undefined) {
      ctx.tradeAsync(instrument, size, bidPrice, { postOnly: true, clientId: bidId });
    } else if (askId !== undefined) {
      ctx.tradeAsync(instrument, -size, askPrice, { postOnly: true, clientId: askId });
    }
    // Tracked as PENDING by now (a refused batch tracks nothing: no order, nothing live)
    bid = bidId === undefined ? undefined : ctx.order(bidId);
    ask = askId === undefined ? undefined : ctx.order(askId);
  };

  /** Past the limit: crosses the spread for the excess and waits for the venue's answer */
  const trim = async (ctx: StrategyContext, position: number, quote: Quote): Promise<void> => {
    trimming = true;
    try {
      const excess = roundSizeDown(instrument, Math.abs(position) - maxPosition / 2);
      if (excess >= ctx.minimumSize(instrument, midPrice(quote))) {
        const order = await ctx.trade(
          instrument,
          position > 0 ? -excess : excess,
          position > 0 ? quote.bid : quote.ask,
          {
            timeInForce: 'IOC',
            reduceOnly: true,
          },
        );
        ctx.log.info('inventory trimmed', {
          clientId: order.clientId,
          status: order.status,
          filled: order.filledQuantity,
        });
      }
    } finally {
      trimming = false;
    }
  };

  /** Requotes when the reference price drifted, or a side is missing */
  const reprice = (ctx: StrategyContext, mid: number): void => {
    if (size === 0) size = 2 * ctx.minimumSize(instrument, mid);
    if (maxPosition === 0) maxPosition = 10 * size;
    const drift = Math.abs(mid - center) / center;
    const bidLive = live(bid);
    const askLive = live(ask);
    if (bidLive && askLive && drift < requote) return;
    if (drift < requote && (bidLive || askLive)) {
      // One side filled or was refused: replace just that side
      const position = ctx.position(instrument).quantity;
      if (!bidLive && position < maxPosition) {
        bid = ctx.order(ctx.tradeAsync(instrument, size, center * (1 - edge), { postOnly: true }));
      } else if (!askLive && position > -maxPosition) {
        ask = ctx.order(ctx.tradeAsync(instrument, -size, center * (1 + edge), { postOnly: true }));
      }
      return;
    }
    quoteAround(ctx, mid);
  };

  return {
    name: 'quoting',
    timerIntervalMs: 5_000,
    parameters: QUOTING_PARAMETERS,

    onStart(ctx) {
      instrument = ctx.instrument(ctx.params['symbol'] ?? ctx.instruments[0]?.symbol ?? '');
      edge = number(ctx, 'edgeBps', instrument.makerFee * 10_000 + 0.5) / 10_000;
      requote = number(ctx, 'requoteBps', (edge * 10_000) / 2) / 10_000;
      const explicit = ctx.params['size'];
      size = explicit === undefined ? 0 : roundSizeDown(instrument, number(ctx, 'size', 1));
      maxPosition = ctx.params['maxPosition'] === undefined ? 0 : number(ctx, 'maxPosition', 1);
      ctx.log.info('quoting started', {
        symbol: instrument.symbol,
        edgeBps: edge * 1e4,
        requoteBps: requote * 1e4,
      });
    },

    onQuote(quote, ctx) {
      if (quote.instrument === instrument) reprice(ctx, midPrice(quote));
    },

    onTrade(trade, ctx) {
      // Without a fresh quote (trade-only data, or a quiet book), the tape is the reference price
      if (trade.instrument !== instrument) return;
      const quote = ctx.quote(instrument);
      if (quote === undefined || ctx.time - quote.time > 2_000) reprice(ctx, trade.price);
    },

    onTimer(_time, ctx) {
      const position = ctx.position(instrument).quantity;
      if (trimming || Math.abs(position) <= maxPosition || maxPosition === 0) return;
      const quote = ctx.quote(instrument);
      if (quote === undefined) return;
      // Async only past the limit: a callback that returns a promise has the backtest run the
      // pending promise jobs before the next event, at every tick
      return trim(ctx, position, quote);
    },

    async onStop(ctx) {
      await ctx.cancelOrders(instrument);
    },
  };
}
