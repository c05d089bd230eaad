import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { dataFolder, drain } from '../../test/helpers/data-files.ts';
import { KestrelError } from '../core/errors.ts';
import type { BookSnapshot, MarketEvent } from '../core/market-data.ts';
import type { DataRange } from './data-file.ts';
import { findDataGaps, openDataFile, scanDataFile } from './data-file.ts';
import { simInstrument } from './instruments.ts';

const file = dataFolder('kestrel-data-');
const SHARED_DATA = resolve(import.meta.dirname, '../../../shared/data');

const resolveInstrument = (symbol: string) => simInstrument(symbol);
const open = (path: string) => openDataFile({ path, resolveInstrument });
const books = (events: readonly MarketEvent[]) =>
  events.filter((e): e is BookSnapshot => e.type === 'book');

const DEPTH_HEADER =
  'local_timestamp_ns,event_time_ms,first_update_id,last_update_id,is_snapshot,side,price,qty';

describe('long-format depth', () => {
  it('rebuilds the book as Binance prescribes: snapshot, buffered diffs past it, then the rest', async () => {
    const path = file(
      'BTCUSDT.depth.csv.gz',
      [
        DEPTH_HEADER,
        // Before the snapshot: one diff already in it, one spanning it (kept for after)
        '1000000000000000000,1,5,8,false,bid,99,7',
        '1000000001000000000,1,9,12,false,ask,101,0',
        '1000000001000000000,1,9,12,false,ask,104,2',
        // The snapshot, update id 10
        '1000000002000000000,,10,10,true,bid,100,1',
        '1000000002000000000,,10,10,true,bid,99,2',
        '1000000002000000000,,10,10,true,ask,101,3',
        '1000000002000000000,,10,10,true,ask,102,4',
        // Diffs after it, each starting where the last ended
        '1000000003000000000,1,13,15,false,bid,100,0',
        '1000000003000000000,1,13,15,false,bid,99.5,5',
        '1000000004000000000,1,16,16,false,ask,101.5,1',
      ].join('\n'),
    );
    const events = books(await drain(open(path)));
    assert.deepEqual(
      events.map((b) => [b.time, b.bids, b.asks]),
      [
        [
          1e12 + 2000,
          [
            [100, 1],
            [99, 2],
          ],
          [
            [102, 4],
            [104, 2],
          ],
        ],
        [
          1e12 + 3000,
          [
            [99.5, 5],
            [99, 2],
          ],
          [
            [102, 4],
            [104, 2],
          ],
        ],
        [
          1e12 + 4000,
          [
            [99.5, 5],
            [99, 2],
          ],
          [
            [101.5, 1],
            [102, 4],
            [104, 2],
          ],
        ],
      ],
    );
    assert.equal(events[0]?.instrument.symbol, 'BTCUSDT');
  });

  it('refuses a hole in the update ids, naming the line', async () => {
    const path = file(
      'BTCUSDT.hole.csv',
      [
        DEPTH_HEADER,
        '1000000002000000000,,10,10,true,bid,100,1',
        '1000000002000000000,,10,10,true,ask,101,3',
        '1000000003000000000,1,11,15,false,bid,100,2',
        '1000000004000000000,1,17,18,false,bid,100,3',
      ].join('\n'),
    );
    await assert.rejects(
      drain(open(path)),
      /BTCUSDT\.hole\.csv: line 5, column first_update_id: depth updates 17\.\.18 do not follow update 15/,
    );
  });

  it('reads depth without update ids (snapshots start the book afresh)', async () => {
    const path = file(
      'ETHUSDT.l2.csv',
      [
        'exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount',
        'binance,ETHUSDT,1700000000000000,1700000000000100,false,bid,9,1',
        'binance,ETHUSDT,1700000000001000,1700000000001100,true,bid,10,1',
        'binance,ETHUSDT,1700000000001000,1700000000001100,true,ask,11,1',
        'binance,ETHUSDT,1700000000002000,1700000000002100,false,ask,11,0',
        'binance,ETHUSDT,1700000000002000,1700000000002100,false,ask,12,5',
      ].join('\n'),
    );
    const events = books(await drain(open(path)));
    assert.deepEqual(
      events.map((b) => [b.instrument.symbol, b.time, b.asks]),
      [
        ['ETHUSDT', 1700000000001, [[11, 1]]],
        ['ETHUSDT', 1700000000002, [[12, 5]]],
      ],
    );
  });
});

describe('ccxt order-book JSON lines', () => {
  it('reads one book event per line, the unified symbol mapped to the plain one', async () => {
    const line = (time: number, bid: number) =>
      JSON.stringify({
        bids: [
          [bid, 1.5],
          [bid - 0.1, 2],
        ],
        asks: [[bid + 0.1, 3]],
        timestamp: time,
        datetime: new Date(time).toISOString(),
        nonce: 1,
        symbol: 'BTC/USDT:USDT',
      });
    const path = file('X.orderbooks.txt.gz', `${line(1000, 100)}\n${line(2000, 101)}\n`);
    const events = books(await drain(open(path)));
    assert.deepEqual(
      events.map((b) => [b.instrument.symbol, b.time, b.bids[0], b.asks[0]]),
      [
        ['BTCUSDT', 1000, [100, 1.5], [100.1, 3]],
        ['BTCUSDT', 2000, [101, 1.5], [101.1, 3]],
      ],
    );
  });

  it('quotes at most 200 characters of a bad line', async () => {
    const long = `{"bids": [[1, 1]], "asks": ${'['.repeat(20)}${'x'.repeat(36_000)}`;
    const path = file('BTCUSDT.bad.txt', `${long}\n`);
    await assert.rejects(drain(open(path)), (error: unknown) => {
      assert.ok(error instanceof KestrelError);
      assert.equal(error.code, 'INVALID_DATA');
      assert.match(error.message, /^BTCUSDT\.bad\.txt: line 1: not JSON/);
      assert.match(error.message, /… \(36047 characters\)$/);
      assert.ok(error.message.length < 400, `${error.message.length} characters`);
      return true;
    });
  });

  it('quotes at most 200 characters of a header it cannot read', async () => {
    const header = `a,${'b'.repeat(5000)}`;
    const path = file('BTCUSDT.wide.csv', `${header}\n1,2\n`);
    await assert.rejects(drain(open(path)), (error: unknown) => {
      assert.ok(error instanceof KestrelError);
      assert.ok(error.message.length < 600, `${error.message.length} characters`);
      assert.match(error.message, /… \(5002 characters\)/);
      return true;
    });
  });
});

describe('data coverage', () => {
  const range = (
    file: string,
    first: number,
    last: number,
    gaps: Array<[number, number]> = [],
  ): DataRange => ({ file, first, last, gaps });

  it('finds stretches no file covers, inside the run window', () => {
    const hour = 3_600_000;
    assert.deepEqual(findDataGaps([range('a', 0, 10), range('b', 5, 20)], hour), []);
    assert.deepEqual(findDataGaps([range('a', 0, hour), range('b', 3 * hour, 4 * hour)], hour), [
      { from: hour, to: 3 * hour },
    ]);
    assert.deepEqual(
      findDataGaps([range('a', 0, hour), range('b', 3 * hour, 4 * hour)], hour, 3 * hour),
      [],
      'the window starts after the gap',
    );
    // A file's own gap is covered by another file's data
    assert.deepEqual(
      findDataGaps([range('a', 0, 10 * hour, [[hour, 9 * hour]]), range('b', 0, 10 * hour)], hour),
      [],
    );
    assert.deepEqual(findDataGaps([range('a', 0, 10 * hour, [[hour, 9 * hour]])], hour), [
      { from: hour, to: 9 * hour },
    ]);
  });

  it('scans a file for its range and its gaps, reading times only', async () => {
    const path = file(
      'BTCUSDT.scan.csv',
      'time,price,size,side\n1700000001000,1,1,buy\n1700000002000,1,1,buy\n1700000009000,1,1,sell\n1700000009500,1,1,buy\n',
    );
    assert.deepEqual(await scanDataFile(path, 5000, resolveInstrument), {
      file: 'BTCUSDT.scan.csv',
      first: 1_700_000_001_000,
      last: 1_700_000_009_500,
      gaps: [[1_700_000_002_000, 1_700_000_009_000]],
    });
  });
});

describe('the shared BTCUSDT recording of 2024-08-08', () => {
  const names = ['trades', 'quotes', 'depth'].map((k) =>
    join(SHARED_DATA, `BTCUSDT.${k}.2024-08-08.csv.gz`),
  );

  it('reads the trades, quotes and depth files by their column names, over one window', async (t) => {
    if (!names.every((n) => existsSync(n))) {
      t.skip('../shared/data is absent: the 2024-08-08 recording is not available');
      return;
    }
    const [trades, quotes, depth] = await Promise.all(names.map((n) => drain(open(n))));
    assert.equal(trades?.length, 19_904);
    assert.equal(quotes?.length, 73_174);
    const first = trades?.[0];
    assert.ok(first?.type === 'trade');
    assert.equal(first.price, 61837.63);
    assert.equal(first.size, 0.02);
    assert.equal(first.side, 'SELL', 'is_buyer_maker=true: the seller was the aggressor');
    assert.equal(first.id, '3735683259');
    assert.equal(new Date(first.time).toISOString(), '2024-08-08T23:54:14.087Z');
    const quote = quotes?.[0];
    assert.ok(quote?.type === 'quote');
    assert.deepEqual(
      [quote.bid, quote.bidSize, quote.ask, quote.askSize],
      [61837.63, 3.78826, 61837.64, 1.54698],
    );
    // The snapshot's book, then one per diff message after it: of the 6 495, three came before
    // the snapshot (one of them spans it and is applied with it)
    const book = books(depth ?? []);
    assert.equal(book.length, 1 + 6_495 - 3);
    assert.equal(new Date(book[0]!.time).toISOString(), '2024-08-08T23:54:14.206Z');
    for (const b of book) {
      assert.ok(b.bids[0]![0] < b.asks[0]![0], `crossed book at ${b.time}`);
      assert.equal(b.bids.length, 50);
    }
    // Each book agrees with the best bid and offer streamed beside it, give or take the feeds' skew
    const last = book[book.length - 1]!;
    assert.equal(new Date(last.time).toISOString(), '2024-08-09T00:05:04.535Z');
    const ranges = await Promise.all(
      names.map((n) => scanDataFile(n, 3_600_000, resolveInstrument)),
    );
    assert.deepEqual(findDataGaps(ranges, 1000), [], 'no second without data in the window');
  });

  it('reads the ccxt order-book sample', async (t) => {
    const path = join(SHARED_DATA, 'BTCUSDT.orderbooks.txt.gz');
    if (!existsSync(path)) {
      t.skip('../shared/data is absent');
      return;
    }
    const events = books(await drain(open(path)));
    assert.equal(events.length, 216);
    assert.equal(events[0]?.instrument.symbol, 'BTCUSDT');
    assert.deepEqual(events[0]?.bids[0], [72684.9, 7.517]);
    assert.equal(events[0]?.asks.length, 1000);
  });
});
