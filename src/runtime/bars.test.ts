import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Instrument } from '../core/instrument.ts';
import type { MarketEvent } from '../core/market-data.ts';
import { createMemoryLogger } from '../engine/logger.ts';
import { runBacktest } from './backtest.ts';
import type { Bar } from './bars.ts';
import { BarBuilder, MAX_GAP_BARS, parseInterval, RingBuffer } from './bars.ts';
import { simInstrument } from './instruments.ts';
import type { Strategy } from './strategy.ts';

const btc = simInstrument('BTCUSDT');
const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;

const trade = (time: number, price: number, size = 1): MarketEvent => ({
  type: 'trade',
  instrument: btc,
  time,
  price,
  size,
  side: 'BUY',
});
const quote = (time: number, bid: number, ask: number): MarketEvent => ({
  type: 'quote',
  instrument: btc,
  time,
  bid,
  bidSize: 1,
  ask,
  askSize: 1,
});

function source(events: readonly MarketEvent[]) {
  let done = false;
  return {
    next: async () => {
      if (done) return undefined;
      done = true;
      return events;
    },
  };
}

describe('bars', () => {
  it('parses intervals that divide a day, and refuses the rest naming the value', () => {
    assert.equal(parseInterval('1m'), MIN);
    assert.equal(parseInterval('4h'), 4 * 3_600_000);
    assert.equal(parseInterval('1d'), 86_400_000);
    for (const bad of ['7m', '1x', '', 'm', '0m', '1.5h'])
      assert.throws(
        () => parseInterval(bad),
        (e: Error) => e.message.includes(JSON.stringify(bad)),
        bad,
      );
  });

  it('builds OHLCV from trades, from quote mids where a bar had no trade, and flat bars across a gap', () => {
    const builder = new BarBuilder(btc, '1m');
    const bars: Bar[] = [];
    const emit = (b: Bar) => bars.push(b);
    const feed = (e: MarketEvent) => {
      builder.close(e.time, emit);
      if (e.type === 'trade') builder.trade(e.time, e.price, e.size);
      else if (e.type === 'quote') builder.quote(e.time, (e.bid + e.ask) / 2);
    };
    feed(quote(T0 + 1000, 99, 101)); // quotes only in the first minute...
    feed(trade(T0 + 5000, 102, 0.5)); // ...but a trade wins the bar
    feed(trade(T0 + 20_000, 105, 1));
    feed(trade(T0 + 40_000, 98, 2));
    feed(trade(T0 + 59_999, 100, 0.25));
    feed(quote(T0 + MIN + 10, 200, 202)); // second minute: quotes only
    feed(quote(T0 + MIN + 30_000, 210, 212));
    feed(trade(T0 + 4 * MIN + 1, 300, 1)); // minutes 3 and 4 had nothing
    builder.close(T0 + 5 * MIN, emit);
    assert.deepEqual(
      bars.map((b) => [
        (b.time - T0) / MIN,
        b.open,
        b.high,
        b.low,
        b.close,
        b.volume,
        b.trades,
        b.source,
      ]),
      [
        [0, 102, 105, 98, 100, 3.75, 4, 'trades'],
        [1, 201, 211, 201, 211, 0, 0, 'quotes'],
        [2, 211, 211, 211, 211, 0, 0, 'gap'],
        [3, 211, 211, 211, 211, 0, 0, 'gap'],
        [4, 300, 300, 300, 300, 1, 1, 'trades'],
      ],
    );
  });

  it('fills at most MAX_GAP_BARS flat bars across a long gap', () => {
    const builder = new BarBuilder(btc, '1s');
    const bars: Bar[] = [];
    builder.trade(T0, 1, 1);
    builder.close(T0 + 10 * MAX_GAP_BARS * 1000, (b) => bars.push(b));
    assert.equal(bars.length, 1 + MAX_GAP_BARS);
  });

  it('keeps a bounded history in a ring, oldest first', () => {
    const ring = new RingBuffer<number>(3);
    for (let i = 1; i <= 5; i++) ring.push(i);
    assert.equal(ring.length, 3);
    assert.deepEqual([...ring], [3, 4, 5]);
    assert.equal(ring.at(-1), 5);
    assert.equal(ring.at(0), 3);
    assert.equal(ring.at(3), undefined);
    assert.deepEqual(ring.toArray(2), [4, 5]);
  });

  it('delivers closed bars to onBar in a backtest, with the bar already in ctx.bars', async () => {
    const events: MarketEvent[] = [];
    // One trade every 10 s for 10 minutes, price rising one per trade
    for (let k = 0; k < 60; k++) events.push(trade(T0 + k * 10_000, 100 + k));
    const seen: Array<[number, number, number, number]> = [];
    const strategy: Strategy = {
      historySize: 4,
      onStart(ctx) {
        ctx.subscribeBars('1m');
        assert.throws(() => ctx.subscribeBars('3x'), /interval/);
        assert.throws(() => ctx.bars(ctx.instruments[0]!, '5m'), /subscribeBars/);
      },
      onBar(bar, ctx) {
        const history = ctx.bars(bar.instrument as Instrument, '1m');
        assert.equal(history.at(-1), bar);
        assert.ok(history.length <= 4);
        assert.ok(ctx.trades(bar.instrument).length <= 4);
        seen.push([(bar.time - T0) / MIN, bar.open, bar.close, ctx.time - T0]);
      },
    };
    await runBacktest({
      strategy,
      source: source(events),
      instruments: [btc],
      logger: createMemoryLogger('warn'),
    });
    // Nine full minutes close on the clock at their end; the tenth is still open at the end
    assert.deepEqual(
      seen,
      Array.from({ length: 9 }, (_, m) => [m, 100 + 6 * m, 105 + 6 * m, (m + 1) * MIN]),
    );
  });
});
