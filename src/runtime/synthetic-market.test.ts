import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MarketEvent } from '../core/market-data.ts';
import { isOnStep } from '../core/numeric.ts';
import { simInstrument } from './instruments.ts';
import { createSyntheticMarket } from './synthetic-market.ts';

async function all(seed: number, durationMs = 3600_000): Promise<MarketEvent[]> {
  const btc = simInstrument('BTCUSDT');
  const eth = simInstrument('ETHUSDT');
  const source = createSyntheticMarket({
    instruments: [btc, eth],
    start: Date.UTC(2026, 0, 1),
    durationMs,
    seed,
  });
  const events: MarketEvent[] = [];
  for (let batch = await source.next(); batch !== undefined; batch = await source.next())
    events.push(...batch);
  return events;
}

describe('synthetic market', () => {
  it('is the same tape for the same seed and a different one for another', async () => {
    const a = await all(1, 60_000);
    const b = await all(1, 60_000);
    const c = await all(2, 60_000);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('hands out small batches (256 first, then 512), still in cache when a run reads them', async () => {
    const btc = simInstrument('BTCUSDT');
    const source = createSyntheticMarket({
      instruments: [btc],
      start: Date.UTC(2026, 0, 1),
      durationMs: 600_000,
      seed: 1,
    });
    const sizes: number[] = [];
    for (let batch = await source.next(); batch !== undefined; batch = await source.next()) {
      sizes.push(batch.length);
      // Every slot an event, the last batch too (it is cut to what the tape had left)
      for (let i = 0; i < batch.length; i++) assert.ok(batch[i] !== undefined, `slot ${i}`);
    }
    assert.ok(sizes.at(-1)! < 512, 'the tape ends inside a batch');
    assert.ok(sizes.length > 5, `${sizes.length} batches`);
    assert.deepEqual(sizes.slice(0, 3), [256, 512, 512]);
    assert.ok(sizes.every((size) => size <= 512));
  });

  it('gives time-ordered quotes on the tick grid with bid below ask, and trades at the touch', async () => {
    const events = await all(3);
    let last = 0;
    const touch = new Map<string, { bid: number; ask: number }>();
    let trades = 0;
    for (const event of events) {
      assert.ok(event.time >= last);
      last = event.time;
      const { tickSize, priceDecimals, lotSize, sizeDecimals, symbol } = event.instrument;
      if (event.type === 'quote') {
        assert.ok(event.bid < event.ask);
        assert.ok(
          isOnStep(event.bid, tickSize, priceDecimals) &&
            isOnStep(event.ask, tickSize, priceDecimals),
        );
        assert.ok(event.bidSize > 0 && isOnStep(event.bidSize, lotSize, sizeDecimals));
        touch.set(symbol, event);
      } else if (event.type === 'trade') {
        trades += 1;
        const quote = touch.get(symbol);
        assert.ok(quote !== undefined, 'no trade before the first quote');
        assert.equal(event.price, event.side === 'BUY' ? quote.ask : quote.bid);
      }
    }
    assert.ok(trades > 10_000, `${trades} trades in an hour`);
  });

  it('clusters volatility: some stretches move far more than others', async () => {
    const events = (await all(4, 6 * 3600_000)).filter(
      (e) => e.type === 'quote' && e.instrument.symbol === 'BTCUSDT',
    );
    const windows: number[] = [];
    for (let i = 0; i + 2000 < events.length; i += 2000) {
      let sum = 0;
      for (let j = i + 1; j < i + 2000; j++) {
        const a = events[j - 1]!;
        const b = events[j]!;
        if (a.type === 'quote' && b.type === 'quote')
          sum += Math.log((b.bid + b.ask) / (a.bid + a.ask)) ** 2;
      }
      windows.push(Math.sqrt(sum));
    }
    const ratio = Math.max(...windows) / Math.min(...windows);
    assert.ok(ratio > 1.5, `busiest window moves ${ratio.toFixed(2)}× the quietest`);
  });
});
