import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KestrelError } from '../../core/errors.ts';
import { NonceManager } from './nonce-manager.ts';

const invalidNonce = () =>
  new KestrelError('VENUE_REJECTED', 'invalid nonce', { venueCode: '21104' });

/** A venue key that accepts exactly the next nonce, with a scripted verdict per accepted nonce */
function venue(start: number) {
  let expected = start;
  const accepted: number[] = [];
  let fetches = 0;
  return {
    accepted,
    get fetches() {
      return fetches;
    },
    bump() {
      expected += 1;
    },
    fetchNext: async () => {
      fetches += 1;
      await new Promise((resolve) => setImmediate(resolve));
      return expected;
    },
    send: async (nonce: number, count = 1) => {
      await new Promise((resolve) => setImmediate(resolve));
      if (nonce !== expected) throw invalidNonce();
      for (let i = 0; i < count; i++) accepted.push(nonce + i);
      expected += count;
    },
  };
}

describe('lighter nonce manager', () => {
  it('concurrent submits never reuse a nonce and reach the venue in order', async () => {
    const key = venue(40);
    const nonces = new NonceManager({ accountIndex: 1, apiKeyIndex: 3, fetchNext: key.fetchNext });
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        nonces.withNonces(i % 3 === 0 ? 2 : 1, (first) => key.send(first, i % 3 === 0 ? 2 : 1)),
      ),
    );
    assert.deepEqual(
      key.accepted,
      Array.from({ length: key.accepted.length }, (_, i) => 40 + i),
    );
    assert.equal(key.accepted.length, 25 + 9);
    assert.equal(key.fetches, 1, 'fetched once, then incremented locally');
    assert.equal(nonces.next, 40 + 34);
  });

  it('rolls back on a definite reject so the next send reuses the unconsumed nonce', async () => {
    const key = venue(7);
    const nonces = new NonceManager({ accountIndex: 1, apiKeyIndex: 3, fetchNext: key.fetchNext });
    await assert.rejects(
      nonces.withNonces(1, async () => {
        throw new KestrelError('VENUE_REJECTED', 'invalid price', { venueCode: '21702' });
      }),
    );
    assert.equal(nonces.next, 7);
    await nonces.withNonces(1, (first) => key.send(first));
    assert.deepEqual(key.accepted, [7]);
  });

  it('keeps the increment after an ambiguous failure', async () => {
    const key = venue(7);
    const nonces = new NonceManager({ accountIndex: 1, apiKeyIndex: 3, fetchNext: key.fetchNext });
    await assert.rejects(
      nonces.withNonces(1, async (first) => {
        await key.send(first);
        throw new KestrelError('TIMEOUT', 'no reply');
      }),
    );
    assert.equal(nonces.next, 8);
    await nonces.withNonces(1, (first) => key.send(first));
    assert.deepEqual(key.accepted, [7, 8]);
  });

  it('resyncs from nextNonce on an invalid-nonce verdict and retries once', async () => {
    const key = venue(100);
    const nonces = new NonceManager({ accountIndex: 1, apiKeyIndex: 3, fetchNext: key.fetchNext });
    await nonces.withNonces(1, (first) => key.send(first));
    key.bump();
    key.bump(); // another client used the key twice
    const used: number[] = [];
    await nonces.withNonces(1, (first) => {
      used.push(first);
      return key.send(first);
    });
    assert.deepEqual(used, [101, 103]);
    assert.deepEqual(key.accepted, [100, 103]);
    assert.equal(nonces.resyncCount, 1);
    assert.equal(nonces.next, 104);
  });

  it('an ambiguous failure that never landed heals on the next send', async () => {
    const key = venue(5);
    const nonces = new NonceManager({ accountIndex: 1, apiKeyIndex: 3, fetchNext: key.fetchNext });
    await assert.rejects(
      nonces.withNonces(1, async () => {
        throw new KestrelError('NETWORK', 'socket hang up');
      }),
    );
    await nonces.withNonces(1, (first) => key.send(first));
    assert.deepEqual(key.accepted, [5]);
  });

  it('a nonce that cannot be fetched is a local refusal: nothing was sent', async () => {
    const nonces = new NonceManager({
      accountIndex: 1,
      apiKeyIndex: 3,
      fetchNext: async () => {
        throw new KestrelError('NETWORK', 'connect ECONNREFUSED');
      },
    });
    await assert.rejects(
      nonces.withNonces(1, async () => 'sent'),
      (error: unknown) => error instanceof KestrelError && error.kind === 'local',
    );
  });
});
