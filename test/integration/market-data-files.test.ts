/**
 * Market data that does not lie, through `kestrel run` in-process: files that do not overlap are
 * refused (exit 3) naming each file and its time range unless --allow-gaps accepts the gap, which
 * the summary and the report then mark; order books reach the strategy's onBook and takers walk
 * their depth; the overlapping 2024-08-08 recording runs as the README shows.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main.ts';
import type { BookSnapshot } from '../../src/core/market-data.ts';
import { createMemoryLogger } from '../../src/engine/logger.ts';
import { runBacktest } from '../../src/runtime/backtest.ts';
import { openDataFile } from '../../src/runtime/data-file.ts';
import { simInstrument } from '../../src/runtime/instruments.ts';
import type { Strategy } from '../../src/runtime/strategy.ts';
import { memoryIo } from '../helpers/memory-io.ts';

const SHARED_DATA = resolve(import.meta.dirname, '../../../shared/data');

describe('merged market data is checked for gaps', () => {
  const trades = 'time,price,size,side\n1700000000000,100,1,buy\n1700000600000,100,1,sell\n';
  // Starts a day after the trades end
  const quotes =
    'time,bid_price,bid_amount,ask_price,ask_amount\n1700086400000,99,1,101,1\n1700087000000,99,1,101,1\n';

  it('refuses files that do not overlap, naming each file and its range (exit 3)', async () => {
    const { io, err, cwd } = memoryIo('kestrel-data-cli-');
    writeFileSync(join(cwd, 'BTCUSDT.trades.csv'), trades);
    writeFileSync(join(cwd, 'BTCUSDT.quotes.csv'), quotes);
    const code = await main(
      ['run', '--data', 'BTCUSDT.trades.csv,BTCUSDT.quotes.csv', '--quiet'],
      io,
    );
    assert.equal(code, 3);
    const message = err();
    assert.match(message, /longer than 1 h with no event \(--allow-gaps to run across/);
    assert.match(message, /gap 2023-11-14T22:23:20\.000Z → 2023-11-15T22:13:20\.000Z \(23\.83 h\)/);
    assert.match(
      message,
      /BTCUSDT\.trades\.csv {2}2023-11-14T22:13:20\.000Z → 2023-11-14T22:23:20\.000Z/,
    );
    assert.match(
      message,
      /BTCUSDT\.quotes\.csv {2}2023-11-15T22:13:20\.000Z → 2023-11-15T22:23:20\.000Z/,
    );
    assert.equal(existsSync(join(cwd, 'kestrel-out', 'summary.json')), false, 'nothing ran');
  });

  it('runs across an accepted gap and marks it in the summary and the report', async () => {
    const { io, out, cwd } = memoryIo('kestrel-data-cli-');
    writeFileSync(join(cwd, 'BTCUSDT.trades.csv'), trades);
    writeFileSync(join(cwd, 'BTCUSDT.quotes.csv'), quotes);
    const code = await main(
      ['run', '--data', 'BTCUSDT.trades.csv,BTCUSDT.quotes.csv', '--allow-gaps', '--quiet'],
      io,
    );
    assert.equal(code, 0);
    assert.match(out(), /^data_gaps=1$/m);
    assert.match(out(), /^data_gap_1=2023-11-14T22:23:20\.000Z\/2023-11-15T22:13:20\.000Z$/m);
    const html = readFileSync(join(cwd, 'kestrel-out', 'report.html'), 'utf8');
    assert.match(html, /class="warn" role="alert">The market data has gaps/);
    assert.match(html, /Data gaps/);
    const summary = JSON.parse(readFileSync(join(cwd, 'kestrel-out', 'summary.json'), 'utf8'));
    assert.deepEqual(summary.dataGaps, [{ from: 1700000600000, to: 1700086400000 }]);
    // A looser limit accepts it too, and then nothing is marked
    const again = memoryIo('kestrel-data-cli-');
    const files = ['BTCUSDT.trades.csv', 'BTCUSDT.quotes.csv'].map((f) => join(cwd, f)).join(',');
    assert.equal(await main(['run', '--data', files, '--max-gap', '25h', '--quiet'], again.io), 0);
    assert.match(again.out(), /^data_gaps=0$/m);
  });

  it('refuses the README’s old pair of samples (2024 trades with 2026 quotes)', async (t) => {
    const files = ['BTCUSDT.trades.csv.gz', 'BTCUSDT.quotes.csv.gz'].map((f) =>
      join(SHARED_DATA, f),
    );
    if (!files.every((f) => existsSync(f))) {
      t.skip('../shared/data is absent');
      return;
    }
    const { io, err } = memoryIo('kestrel-data-cli-');
    assert.equal(await main(['run', '--data', files.join(','), '--quiet'], io), 3);
    assert.match(
      err(),
      /BTCUSDT\.trades\.csv\.gz {2}2024-10-28T15:42:23\.833Z → 2024-10-28T17:15:17\.805Z/,
    );
    assert.match(
      err(),
      /BTCUSDT\.quotes\.csv\.gz {2}2026-01-01T00:00:00\.000Z → 2026-01-02T23:59:59\.000Z/,
    );
  });
});

describe('order books in a backtest', () => {
  it('reach onBook, and a market order walks their depth', async (t) => {
    const path = join(SHARED_DATA, 'BTCUSDT.orderbooks.txt.gz');
    if (!existsSync(path)) {
      t.skip('../shared/data is absent');
      return;
    }
    const instrument = simInstrument('BTCUSDT');
    let books = 0;
    let firstBook: BookSnapshot | undefined;
    const strategy: Strategy = {
      name: 'sweep',
      onBook(book, ctx) {
        books += 1;
        if (books === 1) {
          firstBook = book;
          // More than the best level holds: the rest comes from the levels behind it
          ctx.tradeAsync(instrument, 12);
        }
      },
    };
    const fills: Array<[number, number]> = [];
    const report = await runBacktest({
      strategy: {
        ...strategy,
        onFill: (fill) => {
          fills.push([fill.price, fill.quantity]);
        },
      },
      source: openDataFile({ path, resolveInstrument: (s) => simInstrument(s) }),
      instruments: [instrument],
      capital: 1_000_000,
      latency: { requestMs: 0, replyMs: 0, streamMs: 0 },
      logger: createMemoryLogger(),
    });
    assert.equal(books, 216);
    assert.equal(report.marketEvents, 216);
    assert.ok(firstBook !== undefined);
    // The book the order met: the one after the first (latency 0, the venue acts on arrival)
    assert.ok(fills.length >= 2, `fills ${JSON.stringify(fills)}`);
    assert.equal(
      fills.reduce((sum, [, q]) => Math.round((sum + q) * 1000) / 1000, 0),
      12,
    );
    const prices = fills.map(([p]) => p);
    assert.deepEqual(
      prices,
      [...prices].sort((a, b) => a - b),
      'walked up the asks',
    );
    assert.ok(prices.length === new Set(prices).size, 'one fill per level');
  });
});

describe('the overlapping 2024-08-08 recording', () => {
  it('runs trades, quotes and depth merged, as the README shows', async (t) => {
    const files = ['trades', 'quotes', 'depth'].map((k) =>
      join(SHARED_DATA, `BTCUSDT.${k}.2024-08-08.csv.gz`),
    );
    if (!files.every((f) => existsSync(f))) {
      t.skip('../shared/data is absent');
      return;
    }
    const { io, out, err } = memoryIo('kestrel-data-cli-');
    const code = await main(['run', '--data', files.join(','), '--quiet'], io);
    assert.equal(code, 0, err());
    assert.match(out(), /^start=2024-08-08T23:54:14\.087Z$/m);
    assert.match(out(), /^end=2024-08-09T00:05:04\.535Z$/m);
    // 19 904 trades, 73 174 quotes and 6 493 books
    assert.match(out(), /^market_events=99571$/m);
    assert.match(out(), /^data_gaps=0$/m);
    assert.match(out(), /^orders_pending=0$/m);
  });
});
