import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MarketDataSource, MarketEvent } from '../core/market-data.ts';
import { createRandom } from '../core/random.ts';
import { simInstrument } from './instruments.ts';
import { mergeSources } from './merge.ts';

const btc = simInstrument('BTCUSDT');

/** A trade per time, its price naming the source and the row (source * 1000 + row) */
function rows(source: number, times: readonly number[]): MarketEvent[] {
  return times.map((time, row) => ({
    type: 'trade',
    instrument: btc,
    time,
    price: source * 1000 + row,
    size: 1,
    side: 'BUY',
  }));
}

/** The events handed over in batches of the given sizes, in turn */
function inBatches(events: readonly MarketEvent[], sizes: readonly number[]): MarketDataSource {
  let at = 0;
  let turn = 0;
  return {
    next: async () => {
      if (at >= events.length) return undefined;
      const size = sizes[turn++ % sizes.length]!;
      const batch = events.slice(at, at + size);
      at += size;
      return batch;
    },
  };
}

async function drain(source: MarketDataSource): Promise<number[]> {
  const out: number[] = [];
  for (let batch = await source.next(); batch !== undefined; batch = await source.next())
    for (const event of batch) out.push((event as { price: number }).price);
  return out;
}

describe('mergeSources', () => {
  it('orders by time, then the order the sources were given in, then the row order, whatever the batches', async () => {
    // Runs of equal times inside and across sources, so ties fall on batch edges
    const random = createRandom(11);
    const files = [0, 1, 2].map((source) => {
      const times: number[] = [];
      let time = 0;
      for (let row = 0; row < 300; row++) {
        if (random.next() < 0.4) time += 1;
        times.push(time);
      }
      return rows(source, times);
    });
    const expected = files
      .flat()
      .map((event) => ({ event, source: Math.floor((event as { price: number }).price / 1000) }))
      .sort((a, b) => a.event.time - b.event.time || a.source - b.source)
      .map(({ event }) => (event as { price: number }).price);
    for (const sizes of [[300], [1], [7, 3], [64, 1, 13], [2, 299]]) {
      const merged = await drain(mergeSources(files.map((file) => inBatches(file, sizes))));
      assert.deepEqual(merged, expected, `batches of ${sizes.join(', ')}`);
    }
  });
});
