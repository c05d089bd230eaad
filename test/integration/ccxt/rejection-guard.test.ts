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
    assert.deepEqual(JSON.parse(result.stdout), {
      caught: ['stray, as ccxt ≥ 4.5.75 leaves them'],
      alive: true,
    });
  });

  it("catches the ws package's error when ccxt sends a subscription on a closing socket without awaiting it", () => {
    const result = run('send-on-closing');
    assert.equal(result.status, 0, result.stderr);
    const { caught, alive } = JSON.parse(result.stdout) as { caught: string[]; alive: boolean };
    assert.equal(alive, true);
    assert.match(caught.join('\n'), /WebSocket is not open: readyState 2 \(CLOSING\)/);
  });

  it('leaves every other unhandled rejection as fatal as Node makes it', () => {
    const result = run('foreign');
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /TypeError: ours/);
    assert.doesNotMatch(result.stdout, /alive/);
  });
});
