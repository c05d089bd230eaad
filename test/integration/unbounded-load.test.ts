/**
 * The unbounded-load case (issue #11): a strategy submitting ten times faster than the risk
 * gate's submit rate for a simulated minute. Invariants: the heap stays flat once every
 * bounded store is full, the excess is refused with RISK_LIMIT (a full queue at the call, a stale
 * queued submit as a REJECTED order), what reaches the venue keeps to the rate, and no queued
 * submit canceled before its turn ever reaches the venue's matching engine.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { runUnboundedLoad } from '../helpers/unbounded-load.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

describe('unbounded load through the risk gate', () => {
  it('holds memory flat, refuses the excess with RISK_LIMIT and never sends a canceled queued order', async () => {
    const seconds = 60;
    const rate = 100;
    const burst = 20;
    const result = await runUnboundedLoad({
      seconds,
      perTick: 10,
      risk: { submitsPerSecond: rate, submitBurst: burst, maxQueued: 100, maxQueueAgeMs: 500 },
      heap,
    });
    const refused = Object.values(result.refused).reduce((a, b) => a + b, 0);
    assert.equal(result.attempts, seconds * 1000);
    assert.ok(
      (result.refused['maxQueued'] ?? 0) > result.attempts / 2,
      JSON.stringify(result.refused),
    );
    assert.ok(result.stale > 0, 'stale queued submits are refused, not sent late');
    assert.ok(
      result.reachedVenue <= rate * seconds + burst,
      `${result.reachedVenue} reached the venue at ${rate}/s over ${seconds} s`,
    );
    assert.ok(
      result.reachedVenue > rate * seconds * 0.8,
      `${result.reachedVenue} reached the venue`,
    );
    assert.ok(result.withdrawn > 1000, `${result.withdrawn} queued submits canceled`);
    assert.equal(result.withdrawnReachedVenue, 0, 'no canceled queued submit reached the venue');
    assert.equal(
      result.attempts,
      refused + result.withdrawn + result.stale + result.queued + result.sent,
      'every attempt accounted for: refused, canceled while queued, stale, still queued or sent',
    );
    assert.ok(result.sent - result.reachedVenue <= burst, 'what was sent reached the venue');
    const first = result.heap[0] ?? 0;
    const growth = Math.max(...result.heap) - first;
    assert.ok(
      growth < 4 * 2 ** 20,
      `heap grew ${(growth / 2 ** 20).toFixed(1)} MiB: ${result.heap.map((h) => (h / 2 ** 20).toFixed(1)).join(' → ')} MiB`,
    );
  });
});
