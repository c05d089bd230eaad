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
import type { Quote, Trade } from '../../core/market-data.ts';
import { midPrice } from '../../core/market-data.ts';
import type { Order } from '../../core/order.ts';
import { isTerminal } from '../../core/order.ts';
import { keepFieldsDouble } from '../../core/tagged-fields.ts';
import type { Strategy, StrategyContext } from '../strategy.ts';
import { numberParam as number } from './params.ts';

/** The quoting strategy's parameters */
const QUOTING_PARAMETERS = {
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

/**
 * Makes a fresh quoting strategy (a module-level object would share state between runs).
 *
 * The callbacks are the strategy's own properties, as a strategy's are; the work is done by
 * methods of one `Quoting` per strategy. Closures made per strategy would be new functions to V8
 * in every run: a second run in the same process (a sweep's next job) would throw away the code
 * optimized for the first run's closures at each call between them
 */
export default function createQuotingStrategy(): Strategy {
  const quoting = new Quoting();
  return {
    name: 'quoting',
    timerIntervalMs: 5_000,
    parameters: QUOTING_PARAMETERS,

    onStart(ctx) {
      quoting.start(ctx);
    },

    onQuote(quote, ctx) {
      quoting.onQuote(quote, ctx);
    },

    onTrade(trade, ctx) {
      quoting.onTrade(trade, ctx);
    },

    onTimer(_time, ctx) {
      return quoting.onTimer(ctx);
    },

    async onStop(ctx) {
      await ctx.cancelOrders(quoting.instrument);
    },
  };
}

/** One quoting strategy's state and work */
class Quoting {
  instrument!: Instrument;
  private edge = 0;
  private requote = 0;
  private size = 0;
  private maxPosition = 0;
  // Our two quotes as the account's live order objects: the account updates them in place, so
  // their status is read here on every quote without looking the orders up again
  private bid: Order | undefined = undefined;
  private ask: Order | undefined = undefined;
  private center = Number.NaN;
  private trimming = false;

  constructor() {
    // Fractions from the first quote on (see keepFieldsDouble)
    keepFieldsDouble<{ edge: number; requote: number; size: number; maxPosition: number }>(
      this as never,
      ['edge', 'requote', 'size', 'maxPosition'],
    );
  }

  start(ctx: StrategyContext): void {
    const instrument = ctx.instrument(ctx.params['symbol'] ?? ctx.instruments[0]?.symbol ?? '');
    this.instrument = instrument;
    this.edge = number(ctx, 'edgeBps', instrument.makerFee * 10_000 + 0.5) / 10_000;
    this.requote = number(ctx, 'requoteBps', (this.edge * 10_000) / 2) / 10_000;
    const explicit = ctx.params['size'];
    this.size = explicit === undefined ? 0 : roundSizeDown(instrument, number(ctx, 'size', 1));
    this.maxPosition = ctx.params['maxPosition'] === undefined ? 0 : number(ctx, 'maxPosition', 1);
    ctx.log.info('quoting started', {
      symbol: instrument.symbol,
      edgeBps: this.edge * 1e4,
      requoteBps: this.requote * 1e4,
    });
  }

  onQuote(quote: Quote, ctx: StrategyContext): void {
    if (quote.instrument === this.instrument) this.reprice(ctx, midPrice(quote));
  }

  onTrade(trade: Trade, ctx: StrategyContext): void {
    // Without a fresh quote (trade-only data, or a quiet book), the tape is the reference price
    if (trade.instrument !== this.instrument) return;
    const quote = ctx.quote(this.instrument);
    if (quote === undefined || ctx.time - quote.time > 2_000) this.reprice(ctx, trade.price);
  }

  onTimer(ctx: StrategyContext): Promise<void> | undefined {
    const position = ctx.position(this.instrument).quantity;
    if (this.trimming || Math.abs(position) <= this.maxPosition || this.maxPosition === 0) return;
    const quote = ctx.quote(this.instrument);
    if (quote === undefined) return;
    // Async only past the limit: a callback that returns a promise has the backtest run the
    // pending promise jobs before the next event, at every tick
    return this.trim(ctx, position, quote);
  }

  private cancel(ctx: StrategyContext, order: Order | undefined): void {
    if (order === undefined || !live(order)) return;
    const id = order.clientId;
    ctx
      .cancelOrder(id)
      .catch((error: unknown) => ctx.log.warn('cancel failed', { clientId: id, error }));
  }

  private quoteAround(ctx: StrategyContext, mid: number): void {
    const instrument = this.instrument;
    const size = this.size;
    const position = ctx.position(instrument).quantity;
    const wantBid = position < this.maxPosition;
    const wantAsk = position > -this.maxPosition;
    this.cancel(ctx, this.bid);
    this.cancel(ctx, this.ask);
    this.bid = undefined;
    this.ask = undefined;
    this.center = mid;
    const bidId = wantBid ? ctx.nextClientId() : undefined;
    const askId = wantAsk ? ctx.nextClientId() : undefined;
    const bidPrice = mid * (1 - this.edge);
    const askPrice = mid * (1 + this.edge);
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
    this.bid = bidId === undefined ? undefined : ctx.order(bidId);
    this.ask = askId === undefined ? undefined : ctx.order(askId);
  }

  /** Past the limit: crosses the spread for the excess and waits for the venue's answer */
  private async trim(ctx: StrategyContext, position: number, quote: Quote): Promise<void> {
    this.trimming = true;
    try {
      const instrument = this.instrument;
      const excess = roundSizeDown(instrument, Math.abs(position) - this.maxPosition / 2);
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
      this.trimming = false;
    }
  }

  /** Requotes when the reference price drifted, or a side is missing */
  private reprice(ctx: StrategyContext, mid: number): void {
    const instrument = this.instrument;
    if (this.size === 0) this.size = 2 * ctx.minimumSize(instrument, mid);
    if (this.maxPosition === 0) this.maxPosition = 10 * this.size;
    const center = this.center;
    const drift = Math.abs(mid - center) / center;
    const bidLive = live(this.bid);
    const askLive = live(this.ask);
    if (bidLive && askLive && drift < this.requote) return;
    if (drift < this.requote && (bidLive || askLive)) {
      // One side filled or was refused: replace just that side
      const position = ctx.position(instrument).quantity;
      if (!bidLive && position < this.maxPosition) {
        this.bid = ctx.order(
          ctx.tradeAsync(instrument, this.size, center * (1 - this.edge), { postOnly: true }),
        );
      } else if (!askLive && position > -this.maxPosition) {
        this.ask = ctx.order(
          ctx.tradeAsync(instrument, -this.size, center * (1 + this.edge), { postOnly: true }),
        );
      }
      return;
    }
    this.quoteAround(ctx, mid);
  }
}

function live(order: Order | undefined): boolean {
  return order !== undefined && !isTerminal(order.status) && order.status !== 'PENDING_CANCEL';
}
