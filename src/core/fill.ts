import type { ClientOrderId, TradeId, VenueOrderId } from './ids.ts';
import type { Instrument } from './instrument.ts';
import { isDerivative } from './instrument.ts';
import { money } from './numeric.ts';
import type { PositionSide, Side } from './order.ts';

export type Liquidity = 'MAKER' | 'TAKER';

/** One execution as the venue reported it; the fee may be missing */
export interface FillReport {
  readonly tradeId: TradeId;
  readonly clientId?: ClientOrderId | undefined;
  readonly venueOrderId?: VenueOrderId | undefined;
  readonly instrument: Instrument;
  readonly side: Side;
  /** Unsigned */
  readonly quantity: number;
  readonly price: number;
  /** The venue's fee; negative for a rebate. When absent the instrument's schedule applies */
  readonly fee?: number | undefined;
  readonly feeCurrency?: string | undefined;
  readonly liquidity: Liquidity;
  readonly time: number;
  /** The leg it traded, when the venue says (hedge mode); the order's leg wins when known */
  readonly positionSide?: PositionSide | undefined;
}

/** One execution as booked: matched to its order (clientId restored) and with its fee resolved */
export interface Fill {
  readonly tradeId: TradeId;
  readonly clientId: ClientOrderId | undefined;
  readonly venueOrderId: VenueOrderId | undefined;
  readonly instrument: Instrument;
  readonly side: Side;
  readonly quantity: number;
  readonly price: number;
  readonly fee: number;
  readonly feeCurrency: string;
  readonly liquidity: Liquidity;
  readonly time: number;
  /** The leg it was booked into on a hedge-mode account; undefined for a net position */
  readonly positionSide: PositionSide | undefined;
}

/** The currency fees and PnL are booked in when the venue does not say: settle for derivatives, quote for spot */
export function accountingCurrency(instrument: Instrument): string {
  return isDerivative(instrument) ? instrument.settle : instrument.quote;
}

/** The fee of an execution from the instrument's schedule, by liquidity side */
export function scheduleFee(
  instrument: Instrument,
  quantity: number,
  price: number,
  liquidity: Liquidity,
): number {
  const rate = liquidity === 'MAKER' ? instrument.makerFee : instrument.takerFee;
  return money(quantity * price * instrument.contractSize * rate);
}
