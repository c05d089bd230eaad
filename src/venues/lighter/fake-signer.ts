import { KestrelError } from '../../core/errors.ts';
import type { Clock } from '../../engine/clock.ts';
import type { Secret } from '../../engine/secret.ts';
import { isSecret } from '../../engine/secret.ts';
import { TX_TYPE } from './constants.ts';
import type { HashableTxType } from './crypto/lighter-hash.ts';
import { authTokenMessage, hashElement, txHashOf } from './crypto/lighter-hash.ts';
import { privateKeyFromBytes, sign } from './crypto/schnorr.ts';
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
  txExpiry,
} from './tx-checks.ts';

export interface FakeSignerOptions {
  /** The API key's 40-byte private key, 0x-hex */
  readonly privateKey: Secret | string;
  readonly accountIndex: number;
  readonly apiKeyIndex: number;
  readonly chainId: number;
  readonly clock: Clock;
}

/**
 * A signer in TypeScript for tests and the local emulator: the same `tx_info` JSON layout as the
 * WASM signer (same keys, same order), Lighter's real transaction hash (Poseidon2) and Schnorr
 * signature over ECgFp5, with a nonce derived from the key and the hash, so the same transaction
 * always signs the same (src/venues/lighter/crypto, checked against the official vectors). It
 * starts instantly and needs no worker; it is not the official signer, so the configuration
 * allows it for a local emulator only.
 * @throws KestrelError INVALID_CONFIG for a private key that is not 40 bytes of hex
 */
export function createFakeSigner(options: FakeSignerOptions): LighterSigner {
  const { accountIndex, apiKeyIndex, chainId, clock } = options;
  const hex = (isSecret(options.privateKey) ? options.privateKey.reveal() : options.privateKey)
    .trim()
    .replace(/^0x/, '');
  if (!/^[0-9a-fA-F]{80}$/.test(hex)) {
    // The value is left out on purpose: it is (or is near) a private key
    throw new KestrelError('INVALID_CONFIG', 'lighter: the private key must be 40 bytes of hex', {
      field: 'privateKey',
    });
  }
  const privateKey = privateKeyFromBytes(Buffer.from(hex, 'hex'));

  const finish = (
    txType: HashableTxType,
    fields: Record<string, number>,
    signOptions: SignOptions,
  ): SignedTx => {
    const expiredAt = txExpiry(signOptions, clock);
    const body = { ...fields, ExpiredAt: expiredAt, Nonce: signOptions.nonce };
    const hash = txHashOf(chainId, txType, body);
    const message = hashElement(hash);
    if (message === undefined) throw new Error('a transaction hash outside the field');
    const sig = sign(message, privateKey).toString('base64');
    const txInfo = JSON.stringify({ ...body, Sig: sig });
    return { txType, txInfo, txHash: hash.toString('hex'), expiredAt, nonce: signOptions.nonce };
  };

  return {
    chainId,
    accountIndex,
    apiKeyIndex,
    kind: 'fake',
    async signCreateOrder(tx: CreateOrderTx, signOptions: SignOptions) {
      checkCreateOrder(tx, signOptions.nonce);
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
        signOptions,
      );
    },
    async signCancelOrder(tx: CancelOrderTx, signOptions: SignOptions) {
      checkCancelOrder(tx, signOptions.nonce);
      return finish(
        TX_TYPE.CANCEL_ORDER,
        {
          AccountIndex: accountIndex,
          ApiKeyIndex: apiKeyIndex,
          MarketIndex: tx.marketIndex,
          Index: tx.index,
        },
        signOptions,
      );
    },
    async signCancelAllOrders(tx: CancelAllOrdersTx, signOptions: SignOptions) {
      checkCancelAll(tx, signOptions.nonce);
      return finish(
        TX_TYPE.CANCEL_ALL_ORDERS,
        {
          AccountIndex: accountIndex,
          ApiKeyIndex: apiKeyIndex,
          TimeInForce: tx.timeInForce,
          Time: tx.time,
        },
        signOptions,
      );
    },
    async signModifyOrder(tx: ModifyOrderTx, signOptions: SignOptions) {
      checkModifyOrder(tx, signOptions.nonce);
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
        signOptions,
      );
    },
    async createAuthToken(deadlineSeconds: number) {
      const message = `${deadlineSeconds}:${accountIndex}:${apiKeyIndex}`;
      const signature = sign(
        authTokenMessage(deadlineSeconds, accountIndex, apiKeyIndex),
        privateKey,
      );
      return `${message}:${signature.toString('hex')}`;
    },
    async close() {},
  };
}
