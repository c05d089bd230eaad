import { invalidField } from '../../core/errors.ts';
import type { Clock } from '../../engine/clock.ts';
import {
  CANCEL_ALL,
  DEFAULT_TX_TTL_MS,
  MAX_BASE_AMOUNT,
  MAX_CLIENT_ORDER_INDEX,
  MAX_PRICE,
  ORDER_TYPE,
  TIME_IN_FORCE,
} from './constants.ts';
import type {
  CancelAllOrdersTx,
  CancelOrderTx,
  CreateOrderTx,
  ModifyOrderTx,
  SignOptions,
} from './signer.ts';

/**
 * Range checks a transaction must pass before it is signed, so a bad integer is a local refusal
 * naming the field instead of a Go error string (or a silently wrapped number in the WASM).
 */
function integer(field: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidField('INVALID_ARGUMENT', field, value, `must be an integer in ${min}..${max}`);
  }
}

const MAX_MARKET_INDEX = 2 ** 15 - 1;
const MAX_INDEX = 2 ** 53 - 1;

function nonce(value: number): void {
  integer('nonce', value, 0, Number.MAX_SAFE_INTEGER);
}

/** @throws KestrelError INVALID_ARGUMENT naming the first out-of-range field */
export function checkCreateOrder(tx: CreateOrderTx, txNonce: number): void {
  integer('marketIndex', tx.marketIndex, 0, MAX_MARKET_INDEX);
  integer('clientOrderIndex', tx.clientOrderIndex, 0, MAX_CLIENT_ORDER_INDEX);
  integer('baseAmount', tx.baseAmount, tx.reduceOnly ? 0 : 1, MAX_BASE_AMOUNT);
  integer('price', tx.price, 1, MAX_PRICE);
  integer('orderType', tx.orderType, ORDER_TYPE.LIMIT, ORDER_TYPE.TWAP);
  integer(
    'timeInForce',
    tx.timeInForce,
    TIME_IN_FORCE.IMMEDIATE_OR_CANCEL,
    TIME_IN_FORCE.POST_ONLY,
  );
  integer('triggerPrice', tx.triggerPrice, 0, MAX_PRICE);
  integer('orderExpiry', tx.orderExpiry, 0, 2 ** 48 - 1);
  nonce(txNonce);
}

/** @throws KestrelError INVALID_ARGUMENT naming the first out-of-range field */
export function checkCancelOrder(tx: CancelOrderTx, txNonce: number): void {
  integer('marketIndex', tx.marketIndex, 0, MAX_MARKET_INDEX);
  integer('index', tx.index, 1, MAX_INDEX);
  nonce(txNonce);
}

/** @throws KestrelError INVALID_ARGUMENT naming the first out-of-range field */
export function checkCancelAll(tx: CancelAllOrdersTx, txNonce: number): void {
  integer('timeInForce', tx.timeInForce, CANCEL_ALL.IMMEDIATE, CANCEL_ALL.ABORT_SCHEDULED);
  integer('time', tx.time, 0, 2 ** 48 - 1);
  nonce(txNonce);
}

/** @throws KestrelError INVALID_ARGUMENT naming the first out-of-range field */
export function checkModifyOrder(tx: ModifyOrderTx, txNonce: number): void {
  integer('marketIndex', tx.marketIndex, 0, MAX_MARKET_INDEX);
  integer('index', tx.index, 1, MAX_INDEX);
  integer('baseAmount', tx.baseAmount, 0, MAX_BASE_AMOUNT);
  integer('price', tx.price, 1, MAX_PRICE);
  integer('triggerPrice', tx.triggerPrice, 0, MAX_PRICE);
  nonce(txNonce);
}

/** The ExpiredAt a transaction is signed with: the one asked for, else the clock's now + DEFAULT_TX_TTL_MS */
export function txExpiry(options: SignOptions, clock: Clock): number {
  return options.expiredAt ?? Math.floor(clock.now()) + DEFAULT_TX_TTL_MS;
}
