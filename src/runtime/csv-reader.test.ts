import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dataFolder, drain } from '../../test/helpers/data-files.ts';
import { KestrelError } from '../core/errors.ts';
import { parseTimestamp } from './csv-reader.ts';
import { openDataFile } from './data-file.ts';
import { simInstrument } from './instruments.ts';
import { mergeSources } from './merge.ts';

const file = dataFolder('kestrel-csv-');

const resolveInstrument = (symbol: string) => simInstrument(symbol);

describe('parseTimestamp', () => {
  it('reads seconds, milliseconds, microseconds, nanoseconds and ISO 8601', () => {
    const ms = Date.UTC(2024, 9, 28, 15, 42, 23, 833);
    assert.equal(parseTimestamp('1730130143833000000'), ms);
    assert.equal(parseTimestamp('1730130143833000'), ms);
    assert.equal(parseTimestamp('1730130143833'), ms);
    assert.equal(parseTimestamp('1730130143.833'), ms);
    assert.equal(parseTimestamp('2024-10-28 15:42:23.833'), ms, 'no zone means UTC');
    assert.equal(parseTimestamp('2024-10-28T17:42:23.833+02:00'), ms);
    assert.ok(Number.isNaN(parseTimestamp('yesterday')));
  });
});

describe('openDataFile', () => {
  it('streams trades with nanosecond times and ±1 sides', async () => {
    const path = file(
      'BTCUSDT.trades.csv',
      'time,price,size,side\n1730130143833000000,68613.9,0.005,-1\n1730130144238000000,68614,0.002,1\n',
    );
    const events = await drain(openDataFile({ path, resolveInstrument }));
    assert.equal(events.length, 2);
    const [first, second] = events;
    assert.equal(first?.type, 'trade');
    assert.equal(first?.instrument.symbol, 'BTCUSDT');
    assert.deepEqual(first?.type === 'trade' && [first.time, first.price, first.size, first.side], [
      1730130143833,
      68613.9,
      0.005,
      'SELL',
    ]);
    assert.equal(second?.type === 'trade' && second.side, 'BUY');
  });

  it('streams gzipped Binance trades with millisecond times and is_buyer_maker', async () => {
    const path = file(
      'ETHUSDT.trades.csv.gz',
      'id,price,qty,quote_qty,time,is_buyer_maker\n1,3054.91,0.1,305.491,1713571200068,true\n2,3055,0.2,611,1713571200199,false\n',
    );
    const events = await drain(openDataFile({ path, resolveInstrument }));
    assert.deepEqual(
      events.map((e) => e.type === 'trade' && [e.instrument.symbol, e.id, e.side]),
      [
        ['ETHUSDT', '1', 'SELL'],
        ['ETHUSDT', '2', 'BUY'],
      ],
    );
  });

  it('streams quotes with ISO times and CRLF line ends', async () => {
    const path = file(
      'BTCUSDT.quotes.csv',
      'timestamp,ask_amount,ask_price,bid_price,bid_amount\r\n2026-01-01 00:00:00,5.799,87608.3,87608.2,4.258\r\n',
    );
    const [quote] = await drain(openDataFile({ path, resolveInstrument }));
    assert.deepEqual(quote, {
      type: 'quote',
      instrument: quote?.instrument,
      time: Date.UTC(2026, 0, 1),
      bid: 87608.2,
      bidSize: 4.258,
      ask: 87608.3,
      askSize: 5.799,
    });
  });

  it('reads a large file in several batches, never all at once', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `${1_700_000_000_000 + i},100,1,buy`);
    const path = file('SOLUSDT.trades.csv.gz', `time,price,size,side\n${rows.join('\n')}\n`);
    const source = openDataFile({ path, resolveInstrument });
    let batches = 0;
    let count = 0;
    for (let batch = await source.next(); batch !== undefined; batch = await source.next()) {
      batches += 1;
      count += batch.length;
      assert.ok(batch.length <= 20_000);
    }
    assert.equal(count, 20_000);
    assert.ok(batches >= 2, `${batches} batches`);
    assert.equal(source.progress(), 1);
  });

  it('names file, line and column for a malformed value', async () => {
    const path = file(
      'BTCUSDT.bad.csv',
      'time,price,size,side\n1730130143833,68613.9,0.005,-1\n1730130144238,abc,0.002,1\n',
    );
    await assert.rejects(drain(openDataFile({ path, resolveInstrument })), (error: unknown) => {
      assert.ok(error instanceof KestrelError);
      assert.equal(error.code, 'INVALID_DATA');
      assert.equal(error.message, 'BTCUSDT.bad.csv: line 3, column price: "abc" is not a number');
      return true;
    });
  });

  it('refuses a header it cannot read, times going backwards, a bad side and a missing file', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['BTCUSDT.h.csv', 'when,what\n1,2\n', /line 1: header "when,what" names neither trades/],
      [
        'BTCUSDT.back.csv',
        'time,price,size,side\n2000,1,1,buy\n1000,1,1,buy\n',
        /line 3, column time: time goes backwards/,
      ],
      [
        'BTCUSDT.side.csv',
        'time,price,size,side\n1000,1,1,up\n',
        /line 2, column side: "up" is not a side/,
      ],
      [
        'BTCUSDT.cross.csv',
        'time,bid_price,bid_amount,ask_price,ask_amount\n1000,101,1,100,1\n',
        /line 2, column bid_price: bid 101 is above ask 100/,
      ],
      ['BTCUSDT.empty.csv', '', /the file is empty/],
    ];
    for (const [name, text, message] of cases) {
      await assert.rejects(
        drain(openDataFile({ path: file(name, text), resolveInstrument })),
        message,
        name,
      );
    }
    assert.throws(
      () =>
        openDataFile({ path: file('x.csv', '').replace('x.csv', 'nope.csv'), resolveInstrument }),
      {
        code: 'INVALID_DATA',
      },
    );
  });
});

describe('mergeSources', () => {
  it('merges files in time order, ties in the order the files were given', async () => {
    const trades = file(
      'BTCUSDT.m1.csv',
      'time,price,size,side\n1000,1,1,buy\n3000,1,1,buy\n3000,2,1,buy\n5000,1,1,buy\n',
    );
    const quotes = file(
      'BTCUSDT.m2.csv',
      'time,bid_price,bid_amount,ask_price,ask_amount\n2000,1,1,2,1\n3000,1,1,2,1\n4000,1,1,2,1\n',
    );
    const events = await drain(
      mergeSources([
        openDataFile({ path: trades, resolveInstrument }),
        openDataFile({ path: quotes, resolveInstrument }),
      ]),
    );
    assert.deepEqual(
      events.map((e) => `${e.time / 1000}:${e.type}`),
      [
        '1000:trade',
        '2000:quote',
        '3000:trade',
        '3000:trade',
        '3000:quote',
        '4000:quote',
        '5000:trade',
      ],
    );
  });
});
