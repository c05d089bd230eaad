import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LighterKeyPool } from './key-pool.ts';
import { NonceManager } from './nonce-manager.ts';
import type { LighterSigner } from './signer.ts';

/** A pool over keys whose nonces start at 0; sends resolve when the test says so */
function pool(indexes: readonly number[]) {
  const keys = indexes.map((apiKeyIndex) => ({
    signer: { apiKeyIndex } as LighterSigner,
    nonces: new NonceManager({ accountIndex: 1, apiKeyIndex, fetchNext: async () => 0 }),
  }));
  const sent: Array<{ key: number; nonce: number; label: string }> = [];
  const gates = new Map<string, () => void>();
  const keyPool = new LighterKeyPool(keys);
  /** Sends `label` about these orders; it stays on the wire until `answer(label)` */
  const send = (label: string, clientIds: readonly string[] = [], count = 1) =>
    keyPool.send(clientIds, count, async (signer, first) => {
      sent.push({ key: signer.apiKeyIndex, nonce: first, label });
      await new Promise<void>((resolve) => gates.set(label, resolve));
    });
  const answer = async (label: string) => {
    while (!gates.has(label)) await new Promise((resolve) => setImmediate(resolve));
    gates.get(label)?.();
  };
  return { keyPool, send, answer, sent };
}

describe('lighter key pool', () => {
  it('sends each transaction through the least busy key, round robin on ties', async () => {
    const { keyPool, send, answer, sent } = pool([3, 4, 5]);
    const a = send('a');
    const b = send('b');
    const c = send('c');
    await answer('b');
    await b;
    // Key 4 is idle again, 3 and 5 still busy
    const d = send('d');
    await Promise.all(['a', 'c', 'd'].map(answer));
    await Promise.all([a, c, d]);
    const e = send('e');
    await answer('e');
    await e;
    assert.deepEqual(
      sent.map((s) => [s.label, s.key, s.nonce]),
      [
        ['a', 3, 0],
        ['b', 4, 0],
        ['c', 5, 0],
        ['d', 4, 1],
        ['e', 5, 1],
      ],
    );
    assert.deepEqual(
      keyPool.stats().map((k) => [k.apiKeyIndex, k.transactions, k.nextNonce, k.inFlight]),
      [
        [3, 1, 1, 0],
        [4, 2, 2, 0],
        [5, 2, 2, 0],
      ],
    );
  });

  it("keeps an order's transactions on the key its previous one is still in flight on", async () => {
    const { send, answer, sent } = pool([3, 4]);
    const create = send('create k-1', ['k-1']);
    // Key 4 is idle, but the cancel must not overtake the create it cancels
    const cancel = send('cancel k-1', ['k-1']);
    const other = send('create k-2', ['k-2']);
    await answer('create k-2');
    await answer('create k-1');
    await answer('cancel k-1');
    await Promise.all([create, cancel, other]);
    assert.deepEqual(
      sent.map((s) => [s.label, s.key, s.nonce]),
      [
        ['create k-1', 3, 0],
        ['create k-2', 4, 0],
        ['cancel k-1', 3, 1],
      ],
    );
    // Once answered, the order's next transaction goes to whichever key is least busy
    const busy = send('busy');
    const later = send('modify k-1', ['k-1']);
    await answer('busy');
    await answer('modify k-1');
    await Promise.all([busy, later]);
    assert.deepEqual(
      sent.slice(-2).map((s) => [s.label, s.key]),
      [
        ['busy', 3],
        ['modify k-1', 4],
      ],
    );
  });

  it('settles once every send started before has been answered, on every key', async () => {
    const { keyPool, send, answer } = pool([3, 4]);
    const answered: string[] = [];
    for (const label of ['a', 'b']) void send(label).then(() => answered.push(label));
    const settled = keyPool.settled().then(() => answered.push('settled'));
    await answer('b');
    await answer('a');
    await settled;
    assert.deepEqual(answered, ['b', 'a', 'settled']);
  });
});
