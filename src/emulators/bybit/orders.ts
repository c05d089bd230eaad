import type { Instrument } from '../../core/instrument.ts';

/** Bybit's order statuses (enum `orderStatus`) */
export type BybitOrderStatus =
  | 'New'
  | 'PartiallyFilled'
  | 'Untriggered'
  | 'Rejected'
  | 'Filled'
  | 'Cancelled'
  | 'Triggered'
  | 'Deactivated';

export type BybitSide = 'Buy' | 'Sell';
export type BybitOrderType = 'Market' | 'Limit';
export type BybitTimeInForce = 'GTC' | 'IOC' | 'FOK' | 'PostOnly';
/** 0 one-way; 1 the Buy side and 2 the Sell side of a hedge-mode position */
export type PositionIdx = 0 | 1 | 2;

/** The live statuses: the order still works (or waits for its trigger) */
export function isOpenStatus(status: BybitOrderStatus): boolean {
  return status === 'New' || status === 'PartiallyFilled' || status === 'Untriggered';
}

/** One order as the venue keeps it; the exchange is its only writer */
export interface BybitOrder {
  readonly orderId: string;
  /** The client's id; empty when the request carried none */
  readonly orderLinkId: string;
  readonly instrument: Instrument;
  readonly side: BybitSide;
  readonly orderType: BybitOrderType;
  price: number | undefined;
  qty: number;
  readonly timeInForce: BybitTimeInForce;
  readonly positionIdx: PositionIdx;
  readonly reduceOnly: boolean;
  readonly closeOnTrigger: boolean;
  triggerPrice: number | undefined;
  /** 1 rising, 2 falling; 0 for an order without a trigger */
  readonly triggerDirection: 0 | 1 | 2;
  readonly triggerBy: string;
  status: BybitOrderStatus;
  cancelType: string;
  rejectReason: string;
  cumExecQty: number;
  cumExecValue: number;
  cumExecFee: number;
  /** Realized PnL of this order's fills, net of their fees */
  closedPnl: number;
  readonly lastPriceOnCreated: number | undefined;
  readonly createdTime: number;
  updatedTime: number;
  /** The sim's id for it; absent for orders the venue cancelled before they reached the book */
  simOrderId: string | undefined;
  /** Creation order across the account, for newest-first listings and cursors */
  readonly seq: number;
}

/** One execution as the venue keeps it, for the execution list and stream */
export interface BybitExecution {
  readonly execId: string;
  readonly orderId: string;
  readonly orderLinkId: string;
  readonly instrument: Instrument;
  readonly side: BybitSide;
  readonly orderType: BybitOrderType;
  readonly orderPrice: number | undefined;
  readonly orderQty: number;
  readonly leavesQty: number;
  readonly execPrice: number;
  readonly execQty: number;
  readonly execFee: number;
  readonly feeRate: number;
  readonly isMaker: boolean;
  readonly markPrice: number;
  /** The part of this execution that closed position */
  readonly closedSize: number;
  /** Realized PnL of the closed part, before fees */
  readonly execPnl: number;
  readonly execTime: number;
  readonly stopOrderType: string;
  /** The cross sequence of the fill; several executions of one match share it */
  readonly seq: number;
  /** Position in the account's execution log, for newest-first listings and cursors */
  readonly index: number;
}
