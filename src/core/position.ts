import type { Instrument } from './instrument.ts';
import { snapSize } from './instrument.ts';
import { money, snap } from './numeric.ts';
import type { Side } from './order.ts';

/** A position in one instrument; quantity is signed (negative is short) */
export interface Position {
  readonly instrument: Instrument;
  readonly quantity: number;
  /** Average entry price of the open quantity, exact (not rounded to the tick); 0 when flat */
  readonly averagePrice: number;
  readonly realizedPnl: number;
  /** Fees paid on this instrument, in the settle (or quote) currency */
  readonly commissions: number;
  /** Funding received (positive) or paid, kept apart from realized PnL */
  readonly funding: number;
  /** The last price the position was marked at; 0 before any */
  readonly markPrice: number;
  readonly unrealizedPnl: number;
  readonly updatedAt: number;
}

export type MutablePosition = { -readonly [K in keyof Position]: Position[K] };

export function createPosition(instrument: Instrument): MutablePosition {
  return {
    instrument,
    quantity: 0,
    averagePrice: 0,
    realizedPnl: 0,
    commissions: 0,
    funding: 0,
    markPrice: 0,
    unrealizedPnl: 0,
    updatedAt: 0,
  };
}

/**
 * Books an execution into a position and returns the PnL it realized. Increasing moves the
 * average; reducing realizes `closed × (price − average) × direction × contractSize`; flipping
 * through zero realizes the closing leg and opens the rest at the fill price.
 */
export function bookExecution(
  position: MutablePosition,
  side: Side,
  quantity: number,
  price: number,
  time: number,
): number {
  const instrument = position.instrument;
  const held = position.quantity;
  const signed = side === 'BUY' ? quantity : -quantity;
  const next = snapSize(instrument, held + signed);
  let realized = 0;
  if (held === 0 || Math.sign(held) === Math.sign(signed)) {
    const size = Math.abs(next);
    // Four decimals past the tick: exact for entries at one price, and no float noise in reports
    position.averagePrice = snap(
      (Math.abs(held) * position.averagePrice + quantity * price) / size,
      instrument.tickSize / 10_000,
      instrument.priceDecimals + 4,
    );
  } else {
    const closed = Math.min(Math.abs(held), quantity);
    realized = money(
      closed * (price - position.averagePrice) * Math.sign(held) * instrument.contractSize,
    );
    if (next === 0) position.averagePrice = 0;
    else if (Math.sign(next) !== Math.sign(held)) position.averagePrice = price;
  }
  position.quantity = next;
  position.realizedPnl = money(position.realizedPnl + realized);
  position.updatedAt = time;
  markPosition(position, price);
  return realized;
}

/** Marks a position at a price, updating its unrealized PnL */
export function markPosition(position: MutablePosition, price: number): void {
  position.markPrice = price;
  position.unrealizedPnl =
    position.quantity === 0
      ? 0
      : money(
          position.quantity * (price - position.averagePrice) * position.instrument.contractSize,
        );
}
