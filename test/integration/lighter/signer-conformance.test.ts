/**
 * Conformance of Kestrel's signers with the official signer. The WASM signer must reproduce the
 * transaction hashes (and every signed field) of the oracle vectors lighter-python 1.1.2
 * produced, with ExpiredAt pinned. Signatures are randomised (Schnorr with random k), so they
 * are verified under the key's public key rather than compared: with the TypeScript crypto the
 * emulator verifies with (src/venues/lighter/crypto, itself checked against the official
 * vectors), which also recomputes every oracle hash, the ones with transaction attributes
 * (integrator fees, skip-nonce) the pinned WASM build cannot sign included. Cancel-all, a batch
 * sent as one sendTxBatch, and auth tokens are covered the same way.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KestrelError } from '../../../src/core/errors.ts';
import {
  LIGHTER_EMULATOR_API_KEY_INDEX,
  LIGHTER_EMULATOR_CHAIN_ID,
  LIGHTER_EMULATOR_PUBLIC_KEY,
  startLighterEmulator,
} from '../../../src/emulators/lighter/index.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { CANCEL_ALL } from '../../../src/venues/lighter/constants.ts';
import {
  authTokenMessage,
  hashElement,
  isHashableTxType,
  txHashOf,
} from '../../../src/venues/lighter/crypto/lighter-hash.ts';
import {
  privateKeyFromBytes,
  publicKeyOf,
  verify,
} from '../../../src/venues/lighter/crypto/schnorr.ts';
import { createFakeSigner } from '../../../src/venues/lighter/fake-signer.ts';
import type { LighterSigner, SignedTx } from '../../../src/venues/lighter/signer.ts';
import { parseAuthToken } from '../../../src/venues/lighter/signer.ts';
import { createWasmSigner, SIGNER_CANARY } from '../../../src/venues/lighter/wasm-signer.ts';
import { limit } from './emulator-client.ts';
import { emulatorWasmSigner } from './harness.ts';
import { hasSharedFixtures, readShared, SKIP_MESSAGE } from './shared-fixtures.ts';

interface OracleVector {
  readonly kind: string;
  readonly chain_id: number;
  readonly sk: string;
  readonly account_index: number;
  readonly api_key_index: number;
  readonly nonce: number;
  readonly fields: Record<string, number | boolean>;
  readonly tx_type: number;
  readonly tx_info: string;
  readonly tx_hash: string;
  readonly expired_at: number;
}

interface AuthVector {
  readonly sk: string;
  readonly account_index: number;
  readonly api_key_index: number;
  readonly deadline: number;
  readonly token: string;
}

const num = (fields: Record<string, number | boolean>, name: string): number => {
  const value = fields[name];
  if (typeof value !== 'number') throw new Error(`vector field ${name} is not a number`);
  return value;
};

/**
 * Whether a vector carries transaction attributes (integrator fees, skip-nonce). The pinned WASM
 * build predates attributes: it signs exactly the attribute-free layout, whose hash equals the
 * one with all-zero attributes (the official AggregateTxHash skips empty attributes)
 */
function hasAttributes(vector: OracleVector): boolean {
  const f = vector.fields;
  return (
    (f['integrator_account_index'] ?? 0) !== 0 ||
    (f['integrator_taker_fee'] ?? 0) !== 0 ||
    (f['integrator_maker_fee'] ?? 0) !== 0 ||
    (f['skip_nonce'] ?? 0) !== 0
  );
}

async function signVector(signer: LighterSigner, vector: OracleVector): Promise<SignedTx> {
  const f = vector.fields;
  const options = { nonce: vector.nonce, expiredAt: vector.expired_at };
  switch (vector.kind) {
    case 'create_order':
      return signer.signCreateOrder(
        {
          marketIndex: num(f, 'market_index'),
          clientOrderIndex: num(f, 'client_order_index'),
          baseAmount: num(f, 'base_amount'),
          price: num(f, 'price'),
          isAsk: f['is_ask'] === true,
          orderType: num(f, 'order_type'),
          timeInForce: num(f, 'time_in_force'),
          reduceOnly: f['reduce_only'] === true,
          triggerPrice: num(f, 'trigger_price'),
          orderExpiry: num(f, 'order_expiry'),
        },
        options,
      );
    case 'cancel_order':
      return signer.signCancelOrder(
        { marketIndex: num(f, 'market_index'), index: num(f, 'index') },
        options,
      );
    case 'modify_order':
      return signer.signModifyOrder(
        {
          marketIndex: num(f, 'market_index'),
          index: num(f, 'index'),
          baseAmount: num(f, 'base_amount'),
          price: num(f, 'price'),
          triggerPrice: num(f, 'trigger_price'),
        },
        options,
      );
    default:
      throw new Error(`no signer operation for ${vector.kind}`);
  }
}

/** The signed fields of a tx_info, without the randomised signature and the attribute map */
function signedFields(txInfo: string): Record<string, unknown> {
  const {
    Sig: _sig,
    L2TxAttributes: _attributes,
    ...fields
  } = JSON.parse(txInfo) as Record<string, unknown>;
  return fields;
}

describe('lighter WASM signer conformance', {
  skip: hasSharedFixtures ? false : SKIP_MESSAGE,
}, () => {
  const vectors = hasSharedFixtures
    ? (readShared('nautilus/signing_tx_oracle.json') as { vectors: OracleVector[] }).vectors
    : [];
  const authVectors = hasSharedFixtures
    ? (readShared('nautilus/signing_auth_token_oracle.json') as { vectors: AuthVector[] }).vectors
    : [];
  const first = vectors[0];
  let signer: LighterSigner;

  before(async () => {
    assert.ok(first, 'the oracle has vectors');
    signer = await createWasmSigner({
      privateKey: first.sk,
      accountIndex: first.account_index,
      apiKeyIndex: first.api_key_index,
      chainId: first.chain_id,
      clock: systemClock,
    });
  });

  after(async () => {
    await signer?.close();
  });

  it('reproduces the tx hash and signed fields of every attribute-free oracle vector', async (t) => {
    const supported = vectors.filter(
      (v) => ['create_order', 'cancel_order', 'modify_order'].includes(v.kind) && !hasAttributes(v),
    );
    assert.ok(supported.length >= 4, 'create, reduce-only create, cancel and modify are covered');
    for (const vector of supported) {
      const signed = await signVector(signer, vector);
      assert.equal(signed.txHash, vector.tx_hash, `${vector.kind} nonce ${vector.nonce}`);
      assert.equal(signed.txType, vector.tx_type);
      assert.deepEqual(signedFields(signed.txInfo), signedFields(vector.tx_info));
      const sig = (JSON.parse(signed.txInfo) as { Sig: string }).Sig;
      assert.equal(Buffer.from(sig, 'base64').length, 80, 'an 80-byte Schnorr signature');
    }
    const skipped = vectors
      .filter((v) => !supported.includes(v))
      .map((v) => `${v.kind}#${v.nonce}`);
    t.diagnostic(
      `not signable by the pinned build (attributes or tx type 45): ${skipped.join(', ')}`,
    );
  });

  it('recomputes every oracle hash, attributes included, and verifies every oracle signature', (t) => {
    const hashable = vectors.filter((v) => isHashableTxType(v.tx_type));
    assert.ok(hashable.filter(hasAttributes).length >= 3, 'integrator fees and skip-nonce vectors');
    for (const vector of hashable) {
      const info = JSON.parse(vector.tx_info) as Record<string, unknown>;
      const hash = txHashOf(vector.chain_id, vector.tx_type as 14 | 15 | 16 | 17, info);
      assert.equal(hash.toString('hex'), vector.tx_hash, `${vector.kind} nonce ${vector.nonce}`);
      const publicKey = publicKeyOf(privateKeyFromBytes(Buffer.from(vector.sk, 'hex')));
      const message = hashElement(hash);
      assert.ok(message !== undefined);
      const signature = Buffer.from(String(info['Sig']), 'base64');
      assert.ok(verify(publicKey, message, signature), `${vector.kind} signature`);
    }
    t.diagnostic(
      `not hashed (tx type 45, approve integrator): ${vectors.filter((v) => !hashable.includes(v)).length}`,
    );
  });

  it('signs verifiable signatures over the hashes it reproduces, the TypeScript signer too', async () => {
    const supported = vectors.filter(
      (v) => ['create_order', 'cancel_order', 'modify_order'].includes(v.kind) && !hasAttributes(v),
    );
    const local = createFakeSigner({
      privateKey: first?.sk ?? '',
      accountIndex: first?.account_index ?? 0,
      apiKeyIndex: first?.api_key_index ?? 0,
      chainId: first?.chain_id ?? 0,
      clock: systemClock,
    });
    const publicKey = publicKeyOf(privateKeyFromBytes(Buffer.from(first?.sk ?? '', 'hex')));
    for (const vector of supported) {
      for (const by of [signer, local]) {
        const signed = await signVector(by, vector);
        assert.equal(signed.txHash, vector.tx_hash, `${by.kind} ${vector.kind}`);
        const sig = Buffer.from((JSON.parse(signed.txInfo) as { Sig: string }).Sig, 'base64');
        const message = hashElement(Buffer.from(signed.txHash, 'hex'));
        assert.ok(message !== undefined && verify(publicKey, message, sig), `${by.kind} signature`);
      }
    }
  });

  it('signs cancel-all as the official hash defines it, for the emulator to accept', async () => {
    const wasm = await emulatorWasmSigner();
    const emulator = await startLighterEmulator();
    try {
      const signed = await wasm.signCancelAllOrders(
        { timeInForce: CANCEL_ALL.IMMEDIATE, time: 0 },
        { nonce: 0 },
      );
      const info = JSON.parse(signed.txInfo) as Record<string, unknown>;
      assert.deepEqual(Object.keys(info), [
        'AccountIndex',
        'ApiKeyIndex',
        'TimeInForce',
        'Time',
        'ExpiredAt',
        'Nonce',
        'Sig',
      ]);
      const hash = txHashOf(LIGHTER_EMULATOR_CHAIN_ID, 16, info);
      assert.equal(signed.txHash, hash.toString('hex'));
      const message = hashElement(hash);
      const publicKey = Buffer.from(LIGHTER_EMULATOR_PUBLIC_KEY.slice(2), 'hex');
      assert.ok(
        message !== undefined &&
          verify(publicKey, message, Buffer.from(String(info['Sig']), 'base64')),
      );
      const reply = await fetch(`${emulator.url}/api/v1/sendTx`, {
        method: 'POST',
        body: new URLSearchParams({ tx_type: '16', tx_info: signed.txInfo }),
      });
      const body = (await reply.json()) as Record<string, unknown>;
      assert.equal(body['tx_hash'], signed.txHash, "the venue answers the signer's hash");
    } finally {
      await emulator.close();
      await wasm.close();
    }
  });

  it('signs a batch with consecutive nonces that the venue takes as one sendTxBatch', async () => {
    const wasm = await emulatorWasmSigner();
    const emulator = await startLighterEmulator();
    try {
      emulator.setQuote('ETH', 2000, 2001, { bid: 5, ask: 5 });
      const order = (clientOrderIndex: number, price: number) => limit({ clientOrderIndex, price });
      const batch = [
        await wasm.signCreateOrder(order(71, 199_000), { nonce: 0 }),
        await wasm.signCreateOrder(order(72, 198_000), { nonce: 1 }),
        await wasm.signCancelOrder({ marketIndex: 0, index: 71 }, { nonce: 2 }),
      ];
      const reply = await fetch(`${emulator.url}/api/v1/sendTxBatch`, {
        method: 'POST',
        body: new URLSearchParams({
          tx_types: JSON.stringify(batch.map((tx) => tx.txType)),
          tx_infos: JSON.stringify(batch.map((tx) => tx.txInfo)),
        }),
      });
      const body = (await reply.json()) as Record<string, unknown>;
      assert.equal(reply.status, 200, JSON.stringify(body));
      assert.deepEqual(
        body['tx_hash'],
        batch.map((tx) => tx.txHash),
        "one hash per transaction, in order, each the signer's",
      );
      assert.equal(emulator.exchange.nextNonce(LIGHTER_EMULATOR_API_KEY_INDEX), 3);
    } finally {
      await emulator.close();
      await wasm.close();
    }
  });

  it('creates auth tokens with the oracle layout, whose signatures verify like the oracle ones', async () => {
    const own = authVectors.filter((v) => v.api_key_index === first?.api_key_index);
    assert.ok(own.length > 0);
    for (const vector of own) {
      const token = await signer.createAuthToken(vector.deadline);
      const expected = vector.token.split(':').slice(0, 3).join(':');
      assert.equal(token.split(':').slice(0, 3).join(':'), expected);
      assert.deepEqual(parseAuthToken(token), parseAuthToken(vector.token));
    }
    for (const vector of authVectors) {
      const publicKey = publicKeyOf(privateKeyFromBytes(Buffer.from(vector.sk, 'hex')));
      const message = authTokenMessage(vector.deadline, vector.account_index, vector.api_key_index);
      const signatureOf = (token: string) => Buffer.from(token.split(':')[3] ?? '', 'hex');
      assert.ok(verify(publicKey, message, signatureOf(vector.token)), 'the oracle token');
      if (
        vector.api_key_index === first?.api_key_index &&
        vector.account_index === first.account_index
      ) {
        const ours = await signer.createAuthToken(vector.deadline);
        assert.ok(verify(publicKey, message, signatureOf(ours)), 'the WASM signer token');
        const other = authTokenMessage(
          vector.deadline + 1,
          vector.account_index,
          vector.api_key_index,
        );
        assert.equal(verify(publicKey, other, signatureOf(ours)), false, 'for its deadline only');
      }
    }
  });

  it('refuses a client order index above 2^48-1 before signing', async () => {
    await assert.rejects(
      signer.signCreateOrder(
        {
          marketIndex: 0,
          clientOrderIndex: 2 ** 48,
          baseAmount: 1000,
          price: 405000,
          isAsk: true,
          orderType: 0,
          timeInForce: 1,
          reduceOnly: false,
          triggerPrice: 0,
          orderExpiry: 1735689600000,
        },
        { nonce: 0 },
      ),
      (error: unknown) =>
        error instanceof KestrelError &&
        error.kind === 'local' &&
        error.field === 'clientOrderIndex',
    );
  });

  it('stamps ExpiredAt from the injected clock', async () => {
    const now = 1_790_000_000_123;
    const pinnedSigner = await createWasmSigner({
      privateKey: first?.sk ?? '',
      accountIndex: 7,
      apiKeyIndex: 3,
      chainId: 304,
      clock: { now: () => now, setTimer: systemClock.setTimer },
    });
    try {
      const signed = await pinnedSigner.signCancelOrder(
        { marketIndex: 1, index: 99 },
        { nonce: 5 },
      );
      const info = JSON.parse(signed.txInfo) as Record<string, number>;
      assert.equal(info['ExpiredAt'], 1_790_000_599_123);
      assert.equal(signed.expiredAt, info['ExpiredAt']);
      assert.equal(info['AccountIndex'], 7);
      assert.equal(info['ApiKeyIndex'], 3);
      assert.equal(info['Nonce'], 5);
    } finally {
      await pinnedSigner.close();
    }
  });

  it('refuses to start when the canary vector hashes differently', async () => {
    await assert.rejects(
      createWasmSigner({
        privateKey: first?.sk ?? '',
        accountIndex: 1,
        apiKeyIndex: 3,
        chainId: 300,
        clock: systemClock,
        canary: { ...SIGNER_CANARY, txHash: '00'.repeat(40) },
      }),
      (error: unknown) =>
        error instanceof KestrelError &&
        error.code === 'INVALID_CONFIG' &&
        /refusing to trade/.test(error.message),
    );
  });

  it('refuses a private key of the wrong length at start', async () => {
    await assert.rejects(
      createWasmSigner({
        privateKey: '0x1234',
        accountIndex: 1,
        apiKeyIndex: 3,
        chainId: 300,
        clock: systemClock,
      }),
      (error: unknown) =>
        error instanceof KestrelError &&
        error.code === 'INVALID_CONFIG' &&
        !error.message.includes('0x1234'),
    );
  });
});
