import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedMap } from './bounded-map.ts';

describe('BoundedMap', () => {
  it('keeps the newest entries, oldest dropped first, as its key ring wraps and grows', () => {
    const evicted: number[] = [];
    const map = new BoundedMap<string, number>(100, (_key, value) => evicted.push(value));
    // The ring wraps many times, and grows while deleted keys still sit in it
    for (let i = 0; i < 20_000; i++) map.set(`k${i}`, i);
    assert.equal(map.size, 100);
    assert.deepEqual(
      [...map.values()],
      Array.from({ length: 100 }, (_, i) => 19_900 + i),
    );
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

  it('counts live entries only: deleted keys wait in the ring and evict nothing', () => {
    const map = new BoundedMap<string, number>(10);
    for (let i = 0; i < 10; i++) map.set(`k${i}`, i);
    for (let i = 0; i < 9; i++) map.delete(`k${i}`);
    // 19 keys in the ring (nine of them deleted) before anything is evicted
    for (let i = 0; i < 9; i++) map.set(`n${i}`, 100 + i);
    assert.deepEqual([...map.keys()], ['k9', ...Array.from({ length: 9 }, (_, i) => `n${i}`)]);
    for (let i = 9; i < 20; i++) map.set(`n${i}`, 100 + i);
    assert.deepEqual(
      [...map.keys()],
      Array.from({ length: 10 }, (_, i) => `n${10 + i}`),
    );
  });
});
