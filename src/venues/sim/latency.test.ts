import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRandom } from '../../core/random.ts';
import { bufferNormals, createLatencyModel } from './latency.ts';

describe('latency', () => {
  it('draws in bulk exactly the latencies the random source gives one by one', () => {
    const model = createLatencyModel({ requestMs: 20, replyMs: 15, streamMs: 25, jitter: 0.4 });
    const plain = createRandom(42);
    const buffered = bufferNormals(createRandom(42));
    // Past several refills, the three kinds interleaved as a broker draws them
    for (let i = 0; i < 5000; i++) {
      const kind = (['request', 'reply', 'stream'] as const)[i % 3]!;
      assert.equal(model[kind](buffered), model[kind](plain), `draw ${i}`);
    }
  });

  it('draws nothing for a zero median', () => {
    const model = createLatencyModel({ requestMs: 0, replyMs: 0, streamMs: 0 });
    const random = bufferNormals(createRandom(1));
    assert.equal(model.request(random), 0);
    assert.equal(random.normal(), createRandom(1).normal(), 'the first normal is still unused');
  });
});
