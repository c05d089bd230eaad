import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimulatedClock } from '../../engine/clock.ts';
import { AuthTokens } from './auth-tokens.ts';
import { createFakeSigner } from './fake-signer.ts';
import { parseAuthToken } from './signer.ts';

const KEY = `0x${'3c'.repeat(40)}`;

/** A fake signer for account 9, API key 4, on a simulated clock */
function setup() {
  const clock = new SimulatedClock(1_800_000_000_000);
  const signer = createFakeSigner({
    privateKey: KEY,
    accountIndex: 9,
    apiKeyIndex: 4,
    chainId: 300,
    clock,
  });
  return { clock, signer };
}

describe('lighter auth tokens', () => {
  it('are reused while fresh and replaced before they expire', async () => {
    const { clock, signer } = setup();
    const tokens = new AuthTokens({ signer, clock, ttlMs: 600_000, refreshBeforeMs: 60_000 });
    const first = await tokens.token();
    assert.deepEqual(parseAuthToken(first), {
      deadline: 1_800_000_600,
      accountIndex: 9,
      apiKeyIndex: 4,
    });
    clock.advanceTo(1_800_000_000_000 + 539_000);
    assert.equal(await tokens.token(), first, 'still more than a minute left');
    clock.advanceTo(1_800_000_000_000 + 541_000);
    const second = await tokens.token();
    assert.notEqual(second, first);
    assert.equal(parseAuthToken(second)?.deadline, 1_800_001_141);
    assert.equal(tokens.createdCount, 2);
  });

  it('share one signing between concurrent callers and never exceed 8 hours', async () => {
    const { clock, signer } = setup();
    const tokens = new AuthTokens({ signer, clock, ttlMs: 24 * 3_600_000 });
    const [a, b] = await Promise.all([tokens.token(), tokens.token()]);
    assert.equal(a, b);
    assert.equal(tokens.createdCount, 1);
    assert.equal(tokens.deadlineMs, 1_800_000_000_000 + 8 * 3_600_000);
    tokens.invalidate();
    await tokens.token();
    assert.equal(tokens.createdCount, 2);
  });
});
