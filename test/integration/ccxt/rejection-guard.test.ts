import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./stray-rejection-child.ts', import.meta.url));
const run = (mode: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', child, mode], {
    encoding: 'utf8',
    timeout: 300_000,
  });

describe('the guard against stray ccxt promise rejections', () => {
  it('catches a rejection of a ccxt error nobody awaited, and the process lives on', () => {
    const result = run('ccxt');
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { caught: 1, alive: true });
  });

  it('leaves every other unhandled rejection as fatal as Node makes it', () => {
    const result = run('foreign');
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /TypeError: ours/);
    assert.doesNotMatch(result.stdout, /alive/);
  });
});
