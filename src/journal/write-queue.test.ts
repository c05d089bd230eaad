import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PendingRecord } from './write-queue.ts';
import { WriteQueue } from './write-queue.ts';

const record = (seq: number): PendingRecord => ({ seq, body: `b${seq}`, crc: seq });

describe('WriteQueue backlog (the journal lag)', () => {
  it('counts what is not yet durable, in flight included, and how long the oldest waits', async () => {
    let now = 1_000;
    const writes: Array<{ batch: readonly PendingRecord[]; done: () => void }> = [];
    const queue = new WriteQueue({
      name: 'test',
      now: () => now,
      written: 40,
      write: (batch) =>
        new Promise<void>((resolve) => {
          writes.push({ batch, done: resolve });
        }),
    });
    assert.deepEqual(queue.backlog(), { entries: 0, oldestMs: 0, written: 40 });
    queue.push(record(41));
    queue.push(record(42));
    await Promise.resolve();
    assert.equal(writes.length, 1, 'one batch out');
    now = 1_030;
    queue.push(record(43));
    assert.deepEqual(queue.backlog(), { entries: 3, oldestMs: 30, written: 40 });
    now = 1_050;
    writes[0]?.done();
    while (writes.length < 2) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      queue.backlog(),
      { entries: 1, oldestMs: 20, written: 42 },
      'the record appended later waits since it was appended',
    );
    writes[1]?.done();
    await queue.durable();
    assert.deepEqual(queue.backlog(), { entries: 0, oldestMs: 0, written: 43 });
  });
});
