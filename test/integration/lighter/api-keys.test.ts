/**
 * Several API keys on one Lighter account, through the real Go WASM signer against the local
 * emulator. The emulator holds each key's public key and nonce sequence, verifies every
 * signature (and auth token) against the key its ApiKeyIndex names, and registers keys through
 * its control API. One Kestrel process signing with two keys spreads its transactions over
 * both, each key's nonces stay gapless, a batch stays on one key, and a key signing with the
 * wrong private key is refused by the venue with its code (21120), the order REJECTED.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { emulateCommand } from '../../../src/cli/commands/emulate.ts';
import { UsageError } from '../../../src/cli/exit-codes.ts';
import { lighterEmulatorKey, startLighterEmulator } from '../../../src/emulators/lighter/index.ts';
import type { ParsedTx } from '../../../src/emulators/lighter/tx.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { ORDER_TYPE, TIME_IN_FORCE } from '../../../src/venues/lighter/constants.ts';
import { LighterRestClient } from '../../../src/venues/lighter/rest-client.ts';
import type { CreateOrderTx, LighterSigner } from '../../../src/venues/lighter/signer.ts';
import { memoryIo } from '../../helpers/memory-io.ts';
import { emulatorWasmSigners, until, withHarness } from './harness.ts';

/** Key 3 and 4 with their own keys, and key 4 signing with key 5's private key */
let signers: LighterSigner[];
let wrong: LighterSigner[];

before(async () => {
  signers = await emulatorWasmSigners([3, 4]);
  wrong = await emulatorWasmSigners([3, 4], [undefined, lighterEmulatorKey(5).privateKey]);
});

after(async () => {
  await Promise.all([...signers, ...wrong].map((s) => s.close()));
});

/** Each key's accepted nonces, in the order the sequencer took them */
function noncesByKey(transactions: readonly ParsedTx[]): Map<number, number[]> {
  const byKey = new Map<number, number[]>();
  for (const tx of transactions) {
    const list = byKey.get(tx.ApiKeyIndex) ?? [];
    list.push(tx.Nonce);
    byKey.set(tx.ApiKeyIndex, list);
  }
  return byKey;
}

const restingBid = (clientOrderIndex: number): CreateOrderTx => ({
  marketIndex: 0,
  clientOrderIndex,
  baseAmount: 100,
  price: 150_000,
  isAsk: false,
  orderType: ORDER_TYPE.LIMIT,
  timeInForce: TIME_IN_FORCE.POST_ONLY,
  reduceOnly: false,
  triggerPrice: 0,
  orderExpiry: Date.now() + 28 * 86_400_000,
});

describe('lighter emulator: several API keys on one account', () => {
  it('holds each key with its own public key, nonce sequence and auth tokens, and registers keys', async () => {
    const emulator = await startLighterEmulator({ apiKeys: [{ apiKeyIndex: 4 }] });
    const rest = new LighterRestClient({
      baseUrl: emulator.url,
      clock: systemClock,
      timeoutMs: 5_000,
    });
    const get = async (path: string) => {
      const response = await fetch(`${emulator.url}${path}`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const [key3, key4] = signers;
    assert.ok(key3 !== undefined && key4 !== undefined);
    try {
      const a = emulator.accountIndex;
      const listed = await get(`/api/v1/apikeys?account_index=${a}`);
      assert.deepEqual(
        (listed.body['api_keys'] as Array<{ api_key_index: number; public_key: string }>).map(
          (k) => [k.api_key_index, k.public_key],
        ),
        [
          [3, lighterEmulatorKey(3).publicKey],
          [4, lighterEmulatorKey(4).publicKey],
        ],
      );
      const one = await get(`/api/v1/apikeys?account_index=${a}&api_key_index=4`);
      assert.equal((one.body['api_keys'] as unknown[]).length, 1);

      // Each key has its own sequence: nonce 0 on key 4, then nonce 0 on key 3
      const on4 = await key4.signCreateOrder(restingBid(11), { nonce: 0 });
      await rest.sendTx(on4.txType, on4.txInfo);
      const on3 = await key3.signCreateOrder(restingBid(12), { nonce: 0 });
      await rest.sendTx(on3.txType, on3.txInfo);
      assert.equal(await rest.nextNonce(a, 4), 1);
      assert.equal(await rest.nextNonce(a, 3), 1);
      const stale = await key4.signCreateOrder(restingBid(13), { nonce: 0 });
      await assert.rejects(rest.sendTx(stale.txType, stale.txInfo), { venueCode: '21104' });

      // A batch signed by two keys is refused whole; one key's batch is taken
      const mixed = [
        await key3.signCreateOrder(restingBid(14), { nonce: 1 }),
        await key4.signCreateOrder(restingBid(15), { nonce: 1 }),
      ];
      await assert.rejects(
        rest.sendTxBatch(
          mixed.map((t) => t.txType),
          mixed.map((t) => t.txInfo),
        ),
        { venueCode: '21501' },
      );
      assert.equal(await rest.nextNonce(a, 3), 1, 'nothing of the refused batch was taken');

      // Signed by key 4's index with another key's private key: the signature does not verify
      const [, forged] = wrong;
      assert.ok(forged !== undefined);
      const bad = await forged.signCreateOrder(restingBid(16), { nonce: 1 });
      await assert.rejects(rest.sendTx(bad.txType, bad.txInfo), { venueCode: '21120' });

      // Auth tokens are per key: each verifies under its own key's public key
      const deadline = Math.floor(Date.now() / 1000) + 600;
      const active = (token: string) =>
        get(`/api/v1/accountActiveOrders?account_index=${a}&market_id=0&auth=${token}`);
      assert.equal((await active(await key4.createAuthToken(deadline))).status, 200);
      assert.equal((await active(await key3.createAuthToken(deadline))).status, 200);
      const forgedToken = await active(await forged.createAuthToken(deadline));
      assert.equal(forgedToken.status, 400);
      assert.equal(forgedToken.body['code'], 20012);

      // The control API registers a key (its well-known public key unless given) and lists them
      const register = async (body: unknown) => {
        const response = await fetch(`${emulator.url}/_kestrel/api-keys`, {
          method: 'POST',
          body: JSON.stringify(body),
        });
        return {
          status: response.status,
          body: (await response.json()) as Record<string, unknown>,
        };
      };
      assert.equal((await register({ apiKeyIndex: 5, nonce: 7 })).status, 200);
      assert.equal(await rest.nextNonce(a, 5), 7);
      // Key 4's index now holds key 5's public key: the "wrong" signer is right for it
      assert.equal(
        (await register({ apiKeyIndex: 4, publicKey: lighterEmulatorKey(5).publicKey })).status,
        200,
      );
      await rest.sendTx(bad.txType, bad.txInfo);
      assert.equal(await rest.nextNonce(a, 4), 2, 'the sequence survives a new public key');
      assert.equal((await register({ apiKeyIndex: 255 })).status, 400);
      assert.equal((await register({ apiKeyIndex: 6, publicKey: '0x1234' })).status, 400);
      const keys = await get('/_kestrel/api-keys');
      assert.deepEqual(
        (keys.body['apiKeys'] as Array<{ apiKeyIndex: number; nonce: number }>).map((k) => [
          k.apiKeyIndex,
          k.nonce,
        ]),
        [
          [3, 1],
          [4, 2],
          [5, 7],
        ],
      );
      // The nonce-race fault names its key
      await fetch(`${emulator.url}/_kestrel/faults/nonce-race`, {
        method: 'POST',
        body: JSON.stringify({ steps: 2, apiKeyIndex: 5 }),
      });
      assert.equal(await rest.nextNonce(a, 5), 9);
      assert.equal(await rest.nextNonce(a, 3), 1);
    } finally {
      await emulator.close();
    }
  });

  it('kestrel emulate lighter --api-keys registers each key with its well-known local pair', async () => {
    const { io, out } = memoryIo();
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const running = emulateCommand(['lighter', '--api-keys', '3,4,7'], io, stopped);
    try {
      await until(() => out().includes('client environment'), 'the emulator banner');
      for (const index of [3, 4, 7])
        assert.ok(
          out().includes(`API key ${index}: public key ${lighterEmulatorKey(index).publicKey}`),
          out(),
        );
      assert.match(out(), /LIGHTER_API_KEY_INDEX=3,4,7 /);
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out())?.[1];
      const keys = await (await fetch(`${url}/_kestrel/api-keys`)).json();
      assert.deepEqual(
        (keys as { apiKeys: Array<{ apiKeyIndex: number }> }).apiKeys.map((k) => k.apiKeyIndex),
        [3, 4, 7],
      );
    } finally {
      stop();
    }
    assert.equal(await running, 0);
    for (const [list, message] of [
      ['3,300', /^--api-keys must list API key indexes in 0\.\.254, got "300"$/],
      ['3,,4', /^--api-keys must list API key indexes in 0\.\.254, got ""$/],
      ['4,4', /^--api-keys lists 4 twice$/],
    ] as const)
      await assert.rejects(
        emulateCommand(['lighter', '--api-keys', list], memoryIo().io, Promise.resolve()),
        (error: unknown) => error instanceof UsageError && message.test(error.message),
      );
  });
});

describe('lighter venue: one process, several API keys', () => {
  it('spreads its transactions over both keys, each key gapless, a batch on one key', async () => {
    await withHarness(
      async (h) => {
        const eth = h.instrument('ETH');
        const ids = Array.from({ length: 12 }, (_, i) =>
          h.trading.tradeAsync(eth, 0.01, 1900 - i, { postOnly: true }),
        );
        await until(
          () => ids.every((id) => h.account.findOrder(id)?.status === 'OPEN'),
          'all twelve open',
        );
        const batch = await h.trading.submitOrders(
          [1, 2, 3].map((i) => ({
            instrument: eth,
            amount: 0.01,
            price: 1800 - i,
            postOnly: true,
          })),
        );
        const all = [...ids, ...batch.map((o) => o.clientId)];
        await until(
          () => all.every((id) => h.account.findOrder(id)?.status === 'OPEN'),
          'the batch open',
        );
        await Promise.all(all.map((id) => h.trading.cancelOrder(id)));
        await until(
          () => all.every((id) => h.account.findOrder(id)?.status === 'CANCELED'),
          'all fifteen canceled',
        );

        const accepted = h.emulator.exchange.acceptedTransactions();
        assert.equal(accepted.length, 30, '15 creates and 15 cancels');
        const byKey = noncesByKey(accepted);
        assert.deepEqual([...byKey.keys()].sort(), [3, 4], 'both keys signed');
        for (const [key, nonces] of byKey) {
          assert.ok(nonces.length >= 5, `key ${key} carried ${nonces.length}`);
          assert.deepEqual(
            nonces,
            nonces.map((_, i) => i),
            `key ${key}: nonces 0..${nonces.length - 1}, no gap, in order`,
          );
        }
        // The batch went out as one sendTxBatch, so through one key
        const batchIndexes = new Set(
          batch.map((o) => Number(h.account.findOrder(o.clientId)?.correlationKey)),
        );
        const batchKeys = new Set(
          accepted
            .filter((tx) => tx.txType === 14 && batchIndexes.has(tx.ClientOrderIndex))
            .map((tx) => tx.ApiKeyIndex),
        );
        assert.equal(batchKeys.size, 1, 'a batch is signed by one key');
        // The venue's own count per key agrees with the emulator's
        assert.deepEqual(
          h.venue.stats().keys.map((k) => [k.apiKeyIndex, k.transactions, k.nextNonce, k.inFlight]),
          [3, 4].map((key) => {
            const count = byKey.get(key)?.length ?? 0;
            return [key, count, count, 0];
          }),
        );
      },
      { keys: [3, 4], signer: signers },
    );
  });

  it("refuses a transaction a key signed with another key's private key, with the venue's code", async () => {
    await withHarness(
      async (h) => {
        const eth = h.instrument('ETH');
        // Two sends at once: the first takes key 3, the second the idle key 4 (the wrong one)
        const good = h.trading.tradeAsync(eth, 0.01, 1950, { postOnly: true });
        const forged = h.trading.tradeAsync(eth, 0.01, 1949, { postOnly: true });
        await until(
          () =>
            h.account.findOrder(good)?.status === 'OPEN' &&
            h.account.findOrder(forged)?.status === 'REJECTED',
          'one open, one rejected',
        );
        const rejection = h.events.find((e) => e.type === 'orderRejected' && e.clientId === forged);
        assert.ok(rejection?.type === 'orderRejected');
        assert.equal(rejection.code, '21120');
        assert.match(rejection.message, /invalid signature/);
        assert.deepEqual(
          h.emulator.exchange.acceptedTransactions().map((tx) => tx.ApiKeyIndex),
          [3],
          'nothing signed wrongly was taken',
        );
        // The refusal rolled key 4's nonce back: nothing was consumed
        assert.equal(h.venue.stats().keys[1]?.nextNonce, 0);
      },
      { keys: [3, 4], signer: wrong },
    );
  });
});
