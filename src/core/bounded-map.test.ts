import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedMap } from './bounded-map.ts';

describe('BoundedMap', () => {
  it('keeps the newest entries, oldest dropped first, across the compaction of its key ring', () => {
    const evicted: number[] = [];
    const map = new BoundedMap<string, number>(100, (_key, value) => evicted.push(value));
    // Far past the 4096 keys after which the ring is compacted, several times over
    for (let i = 0; i < 20_000; i++) map.set(`k${i}`, i);
    assert.equal(map.size, 100);
    assert.deepEqual([...map.values()], Array.from({ length: 100 }, (_, i) => 19_900 + i));
    assert.deepEqual(evicted.slice(0, 3), [0, 1, 2]);
    assert.equal(evicted.length, 19_900);
    assert.deepEqual(evicted.slice(-1), [19_899]);
    // A deleted key leaves a no-op in the ring; the next set evicts nothing
    map.delete('k19950');
    map.set('extra', -1);
    assert.equal(map.size, 100);
    assert.equal(map.get('k19900'), 19_900);
    map.set('more', -2);
    assert.equal(map.has('k19900'), false, 'the oldest goes once the map is full again');
  });
});
