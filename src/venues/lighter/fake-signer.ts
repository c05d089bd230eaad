import { createHash } from 'node:crypto';
import type { Clock } from '../../engine/clock.ts';
import { DEFAULT_TX_TTL_MS, TX_TYPE } from './constants.ts';
import type {
  CancelAllOrdersTx,
  CancelOrderTx,
  CreateOrderTx,
  LighterSigner,
  ModifyOrderTx,
  SignedTx,
  SignOptions,
} from './signer.ts';
import {
  checkCancelAll,
  checkCancelOrder,
  checkCreateOrder,
  checkModifyOrder,
} from './tx-checks.ts';

export interface FakeSignerOptions {
  readonly accountIndex: number;
  readonly apiKeyIndex: number;
  readonly chainId: number;
  readonly clock: Clock;
}

function digest(parts: readonly (string | number)[], bytes: number): Buffer {
  const chunks: Buffer[] = [];
  for (let round = 0; Buffer.concat(chunks).length < bytes; round++) {
    chunks.push(
      createHash('sha256')
        .update(`${round}|${parts.join('|')}`)
        .digest(),
    );
  }
  return Buffer.concat(chunks).subarray(0, bytes);
}

/**
 * The stand-in hash of a transaction: 40 bytes of SHA-256 over the chain id, the type and the
 * signed JSON without its signature. Not Lighter's Poseidon2 hash; the local emulator answers
 * with the same function, so fake-signed transactions round-trip with matching hashes.
 */
export function fakeTxHash(chainId: number, txType: number, unsignedInfo: string): string {
  return digest([chainId, txType, unsignedInfo], 40).toString('hex');
}

/**
 * A deterministic signer for tests and the emulator: it writes the same `tx_info` JSON layout
 * as the WASM signer (same keys, same order) with an 80-byte stand-in signature and the
 * `fakeTxHash`. The venue would refuse its signatures; the local emulator accepts them.
 */
export function createFakeSigner(options: FakeSignerOptions): LighterSigner {
  const { accountIndex, apiKeyIndex, chainId, clock } = options;

  const finish = (txType: number, fields: Record<string, number>, sign: SignOptions): SignedTx => {
    const expiredAt = sign.expiredAt ?? Math.floor(clock.now()) + DEFAULT_TX_TTL_MS;
    const body = { ...fields, ExpiredAt: expiredAt, Nonce: sign.nonce };
    const unsigned = JSON.stringify(body);
    const txHash = fakeTxHash(chainId, txType, unsigned);
    const sig = digest(['sig', txHash], 80).toString('base64');
    const txInfo = JSON.stringify({ ...body, Sig: sig });
    return { txType, txInfo, txHash, expiredAt, nonce: sign.nonce };
  };

  return {
    chainId,
    accountIndex,
    apiKeyIndex,
    kind: 'fake',
    async signCreateOrder(tx: CreateOrderTx, sign: SignOptions) {
      checkCreateOrder(tx, sign.nonce);
      return finish(
        TX_TYPE.CREATE_ORDER,
        {
          AccountIndex: accountIndex,
          ApiKeyIndex: apiKeyIndex,
          MarketIndex: tx.marketIndex,
          ClientOrderIndex: tx.clientOrderIndex,
          BaseAmount: tx.baseAmount,
          Price: tx.price,
          IsAsk: tx.isAsk ? 1 : 0,
          Type: tx.orderType,
          TimeInForce: tx.timeInForce,
          ReduceOnly: tx.reduceOnly ? 1 : 0,
          TriggerPrice: tx.triggerPrice,
          OrderExpiry: tx.orderExpiry,
        },
        sign,
      );
    },
    async signCancelOrder(tx: CancelOrderTx, sign: SignOptions) {
      checkCancelOrder(tx, sign.nonce);
      return finish(
        TX_TYPE.CANCEL_ORDER,
        {
          AccountIndex: accountIndex,
          ApiKeyIndex: apiKeyIndex,
          MarketIndex: tx.marketIndex,
          Index: tx.index,
        },
        sign,
      );
    },
    async signCancelAllOrders(tx: CancelAllOrdersTx, sign: SignOptions) {
      checkCancelAll(tx, sign.nonce);
      return finish(
        TX_TYPE.CANCEL_ALL_ORDERS,
        {
          AccountIndex: accountIndex,
          ApiKeyIndex: apiKeyIndex,
          TimeInForce: tx.timeInForce,
          Time: tx.time,
        },
        sign,
      );
    },
    async signModifyOrder(tx: ModifyOrderTx, sign: SignOptions) {
      checkModifyOrder(tx, sign.nonce);
      return finish(
        TX_TYPE.MODIFY_ORDER,
        {
          AccountIndex: accountIndex,
          ApiKeyIndex: apiKeyIndex,
          MarketIndex: tx.marketIndex,
          Index: tx.index,
          BaseAmount: tx.baseAmount,
          Price: tx.price,
          TriggerPrice: tx.triggerPrice,
        },
        sign,
      );
    },
    async createAuthToken(deadlineSeconds: number) {
      const message = `${deadlineSeconds}:${accountIndex}:${apiKeyIndex}`;
      return `${message}:${digest(['auth', chainId, message], 80).toString('hex')}`;
    },
    async close() {},
  };
}
