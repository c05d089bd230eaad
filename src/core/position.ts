import type { Instrument } from './instrument.ts';
import { snapSize } from './instrument.ts';
import { MONEY_DECIMALS, money, quotient } from './numeric.ts';
import type { PositionSide, Side } from './order.ts';
import { keepFieldsDouble } from './tagged-fields.ts';

/**
 * A position in one instrument; quantity is signed (negative is short). On a hedge-mode
 * account each instrument has a LONG leg (never below zero) and a SHORT leg (never above).
 */
export interface Position {
  readonly instrument: Instrument;
  /** The leg, on a hedge-mode account; undefined for a net (one-way) position */
  readonly side: PositionSide | undefined;
  readonly quantity: number;
  /** Average entry price of the open quantity, at full precision (not rounded to the tick); 0 when flat */
  readonly averagePrice: number;
  /**
   * What the open quantity cost at entry, |quantity| × averagePrice × contractSize, as an exact
   * money amount; closes realize against it. 0 when flat
   */
  readonly costBasis: number;
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

/** Where a position is kept: the symbol for a net position, `symbol:LONG` / `symbol:SHORT` for a leg */
export function positionKey(symbol: string, side: PositionSide | undefined): string {
  return side === undefined ? symbol : `${symbol}:${side}`;
}

export function createPosition(instrument: Instrument, side?: PositionSide): MutablePosition {
  return {
    instrument,
    side,
    quantity: 0,
    averagePrice: 0,
    costBasis: 0,
    realizedPnl: 0,
    commissions: 0,
    funding: 0,
    markPrice: 0,
    unrealizedPnl: 0,
    updatedAt: 0,
  };
}

// A position's figures turn fractional at its first fill: doubles from the start, so that fill
// does not change the shape under the account's, the venue's and the report's optimized code
keepFieldsDouble(createPosition({} as Instrument), [
  'quantity',
  'averagePrice',
  'costBasis',
  'realizedPnl',
  'commissions',
  'funding',
  'markPrice',
  'unrealizedPnl',
  'updatedAt',
]);

/**
 * Books an execution into a position and returns the PnL it realized. Increasing adds the fill's
 * value to the cost basis; reducing realizes the closed value less the share of the cost basis
 * it carries (`closed × (price − average) × direction × contractSize`, computed from exact money
 * amounts); flipping through zero realizes the closing leg and opens the rest at the fill price.
 * Every amount is a money amount and a close takes what is left of the cost basis, so a position
 * that ends flat has realized exactly its sell value less its buy value.
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
  const value = money(quantity * price * instrument.contractSize);
  let realized = 0;
  if (held === 0 || Math.sign(held) === Math.sign(signed)) {
    position.costBasis = money(position.costBasis + value);
  } else {
    const open = Math.abs(held);
    const closed = Math.min(open, quantity);
    const closedValue =
      closed === quantity ? value : money(closed * price * instrument.contractSize);
    // The closed share of the cost basis; all of what is left when the position closes
    const released =
      closed === open ? position.costBasis : money((position.costBasis * closed) / open);
    realized = money((closedValue - released) * Math.sign(held));
    // A flip opens the rest at the fill price: the fill's value less its closing leg
    position.costBasis =
      closed === open ? money(value - closedValue) : money(position.costBasis - released);
  }
  position.quantity = next;
  position.averagePrice = next === 0 ? 0 : averageOf(position);
  if (next === 0) position.costBasis = 0;
  position.realizedPnl = money(position.realizedPnl + realized);
  position.updatedAt = time;
  markPosition(position, price);
  return realized;
}

/** The average entry price a cost basis means: exact, not rounded to the tick */
function averageOf(position: MutablePosition): number {
  const instrument = position.instrument;
  const average = quotient(
    position.costBasis,
    MONEY_DECIMALS,
    Math.abs(position.quantity),
    instrument.sizeDecimals,
  );
  return instrument.contractSize === 1 ? average : average / instrument.contractSize;
}

/**
 * Sets a position to what a venue reports (quantity and average entry price); realized PnL,
 * commissions and funding booked locally stay
 */
export function syncPosition(
  position: MutablePosition,
  quantity: number,
  averagePrice: number,
  time: number,
): void {
  position.quantity = quantity;
  position.averagePrice = quantity === 0 ? 0 : averagePrice;
  position.costBasis =
    quantity === 0
      ? 0
      : money(Math.abs(quantity) * averagePrice * position.instrument.contractSize);
  position.updatedAt = time;
  if (position.markPrice > 0) markPosition(position, position.markPrice);
}

/** Marks a position at a price, updating its unrealized PnL */
export function markPosition(position: MutablePosition, price: number): void {
  position.markPrice = price;
  const quantity = position.quantity;
  position.unrealizedPnl =
    quantity === 0
      ? 0
      : money(
          quantity * price * position.instrument.contractSize -
            Math.sign(quantity) * position.costBasis,
        );
}
