import type { Balance } from './balance.ts';
import type { FillReport } from './fill.ts';
import type { ClientOrderId, VenueOrderId } from './ids.ts';
import type { Instrument } from './instrument.ts';
import type {
  OrderOrigin,
  OrderRequest,
  OrderType,
  PositionSide,
  Side,
  TimeInForce,
} from './order.ts';

/**
 * Every change to account state is one of these, applied in order by the single writer.
 * Intents recorded locally (`orderRequested`, `cancelRequested`) and what venues report share
 * one union, so a journal of them replays to the same state through the same `apply`.
 */
export type AccountEvent = IntentEvent | VenueEvent;
export type IntentEvent = OrderRequested | CancelRequested;
export type VenueEvent =
  | OrderAccepted
  | OrderRejected
  | OrderFilled
  | OrderCanceled
  | OrderExpired
  | CancelRejected
  | OrderLost
  | OrderAmended
  | BalanceUpdated
  | FundingPaid
  | OrderStatusReported
  | PositionSynced
  | OrderRecovered;

/**
 * How a venue event names its order. Matching tries clientId, then venueOrderId, then the
 * correlation key a broker registered (Lighter's client order index, say).
 */
export interface OrderRef {
  readonly clientId?: ClientOrderId | undefined;
  readonly venueOrderId?: VenueOrderId | undefined;
  readonly correlationKey?: string | undefined;
}

/** What a venue says about an order, enough to adopt one we never asked for */
export interface OrderReport {
  readonly instrument: Instrument;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: number;
  readonly price?: number | undefined;
  readonly stopPrice?: number | undefined;
  readonly timeInForce: TimeInForce;
  readonly reduceOnly?: boolean | undefined;
  readonly positionSide?: PositionSide | undefined;
  readonly filledQuantity?: number | undefined;
  /** Why the venue placed it, for an order of the venue's own (`liquidation`) */
  readonly reason?: string | undefined;
  /**
   * The client id the venue reports for an order the account does not know: tells a sibling
   * process's order (shaped like Kestrel's) from a manual one
   */
  readonly clientId?: string | undefined;
}

interface VenueEventBase extends OrderRef {
  readonly exchange: string;
  /** When it happened: the venue's timestamp when it gives one, else the local receive time (ms) */
  readonly time: number;
}

/** The request is tracked as PENDING; recorded before any I/O */
export interface OrderRequested {
  readonly type: 'orderRequested';
  readonly request: OrderRequest;
  readonly correlationKey?: string | undefined;
  readonly origin?: OrderOrigin | undefined;
  readonly time: number;
}

/** A cancel was asked for; `deferred` when it cannot be sent until the venue id is known */
export interface CancelRequested {
  readonly type: 'cancelRequested';
  readonly exchange: string;
  readonly clientId: ClientOrderId;
  readonly deferred: boolean;
  readonly time: number;
}

export interface OrderAccepted extends VenueEventBase {
  readonly type: 'orderAccepted';
  readonly venueOrderId: VenueOrderId;
  /** Present when the venue described the order, so an unknown one can be adopted */
  readonly report?: OrderReport | undefined;
  /**
   * How to adopt an order we do not know: EXTERNAL (clientId `ext:<venueOrderId>`, the default),
   * or RECOVERED (one of ours the journal lost; it keeps the clientId the venue reports)
   */
  readonly adoptAs?: 'EXTERNAL' | 'RECOVERED' | undefined;
}

export interface OrderRejected extends VenueEventBase {
  readonly type: 'orderRejected';
  /** The venue's reason code, e.g. `-2019` or `POST_ONLY_WOULD_CROSS` */
  readonly code: string;
  readonly message: string;
}

/** A fill; the order becomes PARTIALLY_FILLED or FILLED by its cumulative quantity */
export interface OrderFilled extends VenueEventBase {
  readonly type: 'orderFilled';
  readonly fill: FillReport;
}

export interface OrderCanceled extends VenueEventBase {
  readonly type: 'orderCanceled';
  readonly reason?: string | undefined;
}

export interface OrderExpired extends VenueEventBase {
  readonly type: 'orderExpired';
}

export interface CancelRejected extends VenueEventBase {
  readonly type: 'cancelRejected';
  readonly code: string;
  readonly message: string;
}

/** The venue was asked and does not know the order: an explicit verdict, never a silent drop */
export interface OrderLost {
  readonly type: 'orderLost';
  readonly exchange: string;
  readonly clientId: ClientOrderId;
  readonly reason: string;
  readonly time: number;
}

/** The venue changed an order's price or total quantity (and maybe its venue id) */
export interface OrderAmended extends VenueEventBase {
  readonly type: 'orderAmended';
  readonly newVenueOrderId?: VenueOrderId | undefined;
  readonly price?: number | undefined;
  /** The new total quantity, including what already filled */
  readonly quantity?: number | undefined;
}

/** Authoritative balances from the venue; they replace local values */
export interface BalanceUpdated {
  readonly type: 'balanceUpdated';
  readonly exchange: string;
  readonly balances: readonly Balance[];
  readonly time: number;
}

/** A funding payment on a derivative position: positive received, negative paid */
export interface FundingPaid {
  readonly type: 'fundingPaid';
  readonly exchange: string;
  readonly instrument: Instrument;
  readonly amount: number;
  /** Deduplicates the payment; the venue's id or `symbol:time` */
  readonly fundingId: string;
  readonly time: number;
}

/**
 * What a status query or snapshot says about an order, without its fills: reconciliation uses it
 * to settle an order whose updates were missed (fills, which carry trade ids, book separately).
 * An order held terminal (REJECTED, CANCELED, LOST) that it reports live is reinstated.
 */
export interface OrderStatusReported extends VenueEventBase {
  readonly type: 'orderStatusReported';
  readonly status: 'OPEN' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED';
  readonly filledQuantity: number;
  readonly averagePrice?: number | undefined;
  /** The venue's total quantity, when it differs from ours (an amend whose answer was lost) */
  readonly quantity?: number | undefined;
  /** The venue's limit price, when it differs from ours */
  readonly price?: number | undefined;
}

/**
 * The venue's position, which wins over ours: the quantity and average are replaced, the
 * realized PnL, fees and funding booked locally are kept
 */
export interface PositionSynced {
  readonly type: 'positionSynced';
  readonly exchange: string;
  readonly instrument: Instrument;
  /** The leg, on a hedge-mode account; undefined for a net position */
  readonly positionSide?: PositionSide | undefined;
  readonly quantity: number;
  readonly averagePrice: number;
  readonly time: number;
}

/** One of our orders from before a restart, confirmed live at the venue: its origin becomes RECOVERED */
export interface OrderRecovered {
  readonly type: 'orderRecovered';
  readonly exchange: string;
  readonly clientId: ClientOrderId;
  readonly time: number;
}

/** The exchange an event belongs to */
export function eventExchange(event: AccountEvent): string {
  return event.type === 'orderRequested' ? event.request.instrument.exchange : event.exchange;
}
