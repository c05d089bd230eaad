import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MarketEvent } from '../core/market-data.ts';
import { SimulatedClock } from '../engine/clock.ts';
import { simInstrument } from './instruments.ts';
import { MarketHistory } from './market-history.ts';

const btc = simInstrument('BTCUSDT');
const eth = simInstrument('ETHUSDT');

describe('MarketHistory', () => {
  it('keeps each instrument its own quotes and trades when their events interleave', () => {
    const history = new MarketHistory({ clock: new SimulatedClock(0), size: 3, onBar: () => {} });
    const events: MarketEvent[] = [];
    for (let i = 0; i < 5; i++) {
      for (const instrument of [btc, eth, eth, btc]) {
        const price = (instrument === btc ? 60_000 : 3_000) + i;
        events.push({
          type: 'quote',
          instrument,
          time: i,
          bid: price,
          bidSize: 1,
          ask: price + 1,
          askSize: 1,
        });
        events.push({ type: 'trade', instrument, time: i, price, size: 1, side: 'BUY' });
      }
    }
    // A book snapshot counts as a quote of its touch
    events.push({ type: 'book', instrument: eth, time: 6, bids: [[2_990, 2]], asks: [[2_991, 3]] });
    for (const event of events) history.onMarket(event);
    const bids = (symbol: typeof btc) =>
      history
        .quotes(symbol)
        .toArray()
        .map((q) => q.bid);
    const prints = (symbol: typeof btc) =>
      history
        .trades(symbol)
        .toArray()
        .map((t) => t.price);
    assert.deepEqual(bids(btc), [60_003, 60_004, 60_004]);
    assert.deepEqual(bids(eth), [3_004, 3_004, 2_990]);
    assert.deepEqual(prints(btc), [60_003, 60_004, 60_004]);
    assert.deepEqual(prints(eth), [3_003, 3_004, 3_004]);
    assert.equal(history.quotes(simInstrument('SOLUSDT')).length, 0);
  });
});
