/**
 * Round-trip trades from a stream of fills: a trade opens when a position leaves zero and closes
 * when it is back at zero (a fill through zero closes one trade and opens the next with the rest,
 * its fee split by quantity). Its PnL is the realized PnL the position booked while it was open
 * (the account's own figure); fees are those of its fills, in the settle currency. Statistics
 * stream: only the last few trades are kept in memory.
 */
import { money } from '../../core/numeric.ts';
import type { Side } from '../../core/order.ts';
import { emptyObjectList, keepFieldsDouble } from '../../core/tagged-fields.ts';

/** One closed round trip */
export interface RoundTrip {
  readonly symbol: string;
  /** LONG when it began with a buy */
  readonly direction: 'LONG' | 'SHORT';
  readonly entryTime: number;
  readonly exitTime: number;
  /** Volume-weighted price of the fills that opened or added */
  readonly entryPrice: number;
  /** Volume-weighted price of the fills that reduced or closed */
  readonly exitPrice: number;
  /** Total quantity opened (equals the quantity closed) */
  readonly quantity: number;
  /** Realized PnL before fees */
  readonly pnl: number;
  readonly fees: number;
  /** pnl − fees */
  readonly netPnl: number;
  readonly durationMs: number;
}

/** What the trades add up to; counts and sums over every closed trade */
export interface TradeStats {
  readonly trades: number;
  /** Trades whose net PnL was above zero */
  readonly wins: number;
  readonly losses: number;
  /** wins / trades; null without trades */
  readonly winRate: number | null;
  /** Σ net PnL of winners */
  readonly grossProfit: number;
  /** Σ net PnL of losers (≤ 0) */
  readonly grossLoss: number;
  /** grossProfit / |grossLoss|; null without a loss */
  readonly profitFactor: number | null;
  /** Mean net PnL per trade; null without trades */
  readonly expectancy: number | null;
  readonly averageWin: number | null;
  readonly averageLoss: number | null;
  readonly largestWin: number | null;
  readonly largestLoss: number | null;
  readonly averageDurationMs: number | null;
  /** Share of the run's time with a position open in any instrument, 0..1 */
  readonly exposure: number;
  /** Trades still open at the end (not counted above) */
  readonly open: number;
}

interface OpenTrip {
  direction: 'LONG' | 'SHORT';
  entryTime: number;
  entryQuantity: number;
  entryNotional: number;
  exitQuantity: number;
  exitNotional: number;
  pnl: number;
  fees: number;
}

// A trip's sums turn fractional at its first exit: doubles from the start, so that exit does not
// change the shape under optimized code
keepFieldsDouble<OpenTrip>(
  {
    direction: 'LONG',
    entryTime: 0,
    entryQuantity: 0,
    entryNotional: 0,
    exitQuantity: 0,
    exitNotional: 0,
    pnl: 0,
    fees: 0,
  },
  ['entryTime', 'entryQuantity', 'entryNotional', 'exitQuantity', 'exitNotional', 'pnl', 'fees'],
);

/** A fill as the tracker needs it, with the position right after it */
export interface TripFill {
  readonly symbol: string;
  readonly time: number;
  readonly side: Side;
  readonly quantity: number;
  readonly price: number;
  /** The fee in the settle currency (0 when charged in another asset) */
  readonly fee: number;
  /** Signed position after the fill */
  readonly positionAfter: number;
  /** The realized PnL this fill booked */
  readonly realized: number;
}

export class RoundTripTracker {
  private readonly open = new Map<string, OpenTrip>();
  private readonly recent: RoundTrip[] = emptyObjectList();
  private readonly keep: number;
  private readonly onClose: ((trip: RoundTrip) => void) | undefined;
  private trades = 0;
  private wins = 0;
  private losses = 0;
  private grossProfit = 0;
  private grossLoss = 0;
  private largestWin: number | null = null;
  private largestLoss: number | null = null;
  private durationSum = 0;
  private exposedMs = 0;
  private exposedSince: number | undefined;

  /** Keeps the last `keep` trades; `onClose` hears every closed trade (to stream it to a file) */
  constructor(keep = 100, onClose?: (trip: RoundTrip) => void) {
    this.keep = keep;
    this.onClose = onClose;
    // Fractional from the first closed trip on: doubles from the start (see keepFieldsDouble)
    keepFieldsDouble<{
      grossProfit: number;
      grossLoss: number;
      durationSum: number;
      exposedMs: number;
    }>(this as never, ['grossProfit', 'grossLoss', 'durationSum', 'exposedMs']);
  }

  add(fill: TripFill): void {
    const signed = fill.side === 'BUY' ? fill.quantity : -fill.quantity;
    const before = fill.positionAfter - signed;
    let trip = this.open.get(fill.symbol);
    if (trip === undefined) {
      if (fill.positionAfter === 0) return;
      trip = this.start(fill, Math.abs(fill.positionAfter), fill.fee);
      this.open.set(fill.symbol, trip);
      this.exposureChanged(fill.time);
      return;
    }
    const adding = before === 0 || Math.sign(signed) === Math.sign(before);
    if (adding) {
      trip.entryQuantity += fill.quantity;
      trip.entryNotional += fill.quantity * fill.price;
      trip.fees += fill.fee;
      trip.pnl += fill.realized;
      return;
    }
    const closing = Math.min(fill.quantity, Math.abs(before));
    const share = fill.quantity === 0 ? 1 : closing / fill.quantity;
    trip.exitQuantity += closing;
    trip.exitNotional += closing * fill.price;
    trip.fees += fill.fee * share;
    trip.pnl += fill.realized;
    const flipped = fill.positionAfter !== 0 && Math.sign(fill.positionAfter) !== Math.sign(before);
    if (fill.positionAfter !== 0 && !flipped) return;
    this.close(fill.symbol, trip, fill.time);
    if (flipped) {
      this.open.set(
        fill.symbol,
        this.start(fill, Math.abs(fill.positionAfter), fill.fee * (1 - share)),
      );
    }
    this.exposureChanged(fill.time);
  }

  private start(fill: TripFill, quantity: number, fee: number): OpenTrip {
    return {
      direction: fill.positionAfter > 0 ? 'LONG' : 'SHORT',
      entryTime: fill.time,
      entryQuantity: quantity,
      entryNotional: quantity * fill.price,
      exitQuantity: 0,
      exitNotional: 0,
      pnl: 0,
      fees: fee,
    };
  }

  private close(symbol: string, trip: OpenTrip, time: number): void {
    this.open.delete(symbol);
    const pnl = money(trip.pnl);
    const fees = money(trip.fees);
    const netPnl = money(pnl - fees);
    const closed: RoundTrip = {
      symbol,
      direction: trip.direction,
      entryTime: trip.entryTime,
      exitTime: time,
      entryPrice: trip.entryNotional / trip.entryQuantity,
      exitPrice: trip.exitQuantity === 0 ? 0 : trip.exitNotional / trip.exitQuantity,
      quantity: trip.entryQuantity,
      pnl,
      fees,
      netPnl,
      durationMs: time - trip.entryTime,
    };
    this.trades += 1;
    if (netPnl > 0) {
      this.wins += 1;
      this.grossProfit = money(this.grossProfit + netPnl);
      this.largestWin = Math.max(this.largestWin ?? netPnl, netPnl);
    } else if (netPnl < 0) {
      this.losses += 1;
      this.grossLoss = money(this.grossLoss + netPnl);
      this.largestLoss = Math.min(this.largestLoss ?? netPnl, netPnl);
    }
    this.durationSum += closed.durationMs;
    this.recent.push(closed);
    if (this.recent.length > this.keep) this.recent.shift();
    this.onClose?.(closed);
  }

  /** Exposure counts time with at least one trade open */
  private exposureChanged(time: number): void {
    if (this.open.size > 0 && this.exposedSince === undefined) this.exposedSince = time;
    else if (this.open.size === 0 && this.exposedSince !== undefined) {
      this.exposedMs += time - this.exposedSince;
      this.exposedSince = undefined;
    }
  }

  /** The last closed trades, oldest first */
  lastTrades(): readonly RoundTrip[] {
    return [...this.recent];
  }

  /** The statistics over a run from `start` to `end` */
  stats(start: number, end: number): TradeStats {
    const exposed =
      this.exposedMs + (this.exposedSince === undefined ? 0 : end - this.exposedSince);
    const n = this.trades;
    return {
      trades: n,
      wins: this.wins,
      losses: this.losses,
      winRate: n === 0 ? null : this.wins / n,
      grossProfit: this.grossProfit,
      grossLoss: this.grossLoss,
      profitFactor: this.grossLoss === 0 ? null : this.grossProfit / -this.grossLoss,
      expectancy: n === 0 ? null : money((this.grossProfit + this.grossLoss) / n),
      averageWin: this.wins === 0 ? null : money(this.grossProfit / this.wins),
      averageLoss: this.losses === 0 ? null : money(this.grossLoss / this.losses),
      largestWin: this.largestWin,
      largestLoss: this.largestLoss,
      averageDurationMs: n === 0 ? null : this.durationSum / n,
      exposure: end > start ? Math.min(1, exposed / (end - start)) : 0,
      open: this.open.size,
    };
  }
}
