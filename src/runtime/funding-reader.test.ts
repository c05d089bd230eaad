import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { KestrelError } from '../core/errors.ts';
import { readFundingFile } from './funding-reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-funding-'));

function file(name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('readFundingFile', () => {
  it('finds time and rate by name; the file name names the symbol', () => {
    const path = file(
      'BTCUSDT.funding.csv',
      'fundingTime,fundingRate,markPrice\n1704067200000,0.00010000,42283.58\n1704096000000,-0.00002500,42512.1\n',
    );
    assert.deepEqual(readFundingFile(path).get('BTCUSDT'), {
      type: 'table',
      times: [1704067200000, 1704096000000],
      rates: [0.0001, -0.000025],
    });
  });

  it('reads a symbol column, ISO times, Binance history names and gzip', () => {
    const path = file(
      'history.csv.gz',
      gzipSync(
        'symbol,calc_time,funding_interval_hours,last_funding_rate\nBTCUSDT,2024-01-01T00:00:00Z,8,0.0001\nETHUSDT,2024-01-01T00:00:00Z,8,0.0002\nBTCUSDT,2024-01-01 08:00:00,8,0.0003\n',
      ),
    );
    const schedules = readFundingFile(path);
    assert.deepEqual(schedules.get('BTCUSDT'), {
      type: 'table',
      times: [Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 1, 8)],
      rates: [0.0001, 0.0003],
    });
    assert.deepEqual(schedules.get('ETHUSDT'), {
      type: 'table',
      times: [Date.UTC(2024, 0, 1)],
      rates: [0.0002],
    });
  });

  const refusals: Array<[string, string, RegExp]> = [
    [
      'a missing rate column',
      'time,price\n1704067200000,0.0001\n',
      /^bad\.csv: line 1, column rate: the header "time,price" has no rate column/,
    ],
    [
      'a missing time column',
      'rate\n0.0001\n',
      /^bad\.csv: line 1, column time: the header "rate" has no time column/,
    ],
    [
      'a rate that is not a number',
      'time,rate\n1704067200000,0.0001\n1704096000000,abc\n',
      /^bad\.csv: line 3, column rate: "abc" is not a finite rate/,
    ],
    [
      'an infinite rate',
      'time,rate\n1704067200000,Infinity\n',
      /^bad\.csv: line 2, column rate: "Infinity" is not a finite rate/,
    ],
    [
      'an empty rate',
      'time,funding_rate\n1704067200000,\n',
      /^bad\.csv: line 2, column funding_rate: "" is not a finite rate/,
    ],
    [
      'a rate in percent',
      'time,rate\n1704067200000,1.5\n',
      /^bad\.csv: line 2, column rate: 1\.5 is not a fraction of position value/,
    ],
    [
      'time going backwards',
      'time,rate\n1704096000000,0.0001\n1704067200000,0.0001\n',
      /^bad\.csv: line 3, column time: time goes backwards \(2024-01-01T00:00:00\.000Z after 2024-01-01T08:00:00\.000Z\)/,
    ],
    [
      'a settlement twice',
      'time,rate\n1704067200000,0.0001\n1704067200000,0.0002\n',
      /^bad\.csv: line 3, column time: bad settles twice/,
    ],
    [
      'a time that is not a time',
      'time,rate\nyesterday,0.0001\n',
      /^bad\.csv: line 2, column time: "yesterday" is not a timestamp/,
    ],
    ['no rows', 'time,rate\n', /^bad\.csv: line 2: the funding file has no rows/],
  ];
  for (const [name, text, message] of refusals) {
    it(`refuses ${name}, naming file, line and column`, () => {
      const path = file('bad.csv', text);
      assert.throws(
        () => readFundingFile(path),
        (error: unknown) =>
          error instanceof KestrelError &&
          error.code === 'INVALID_DATA' &&
          message.test(error.message),
      );
    });
  }

  it('refuses a file it cannot read', () => {
    assert.throws(
      () => readFundingFile(join(dir, 'nowhere.csv')),
      (error: unknown) =>
        error instanceof KestrelError &&
        error.code === 'INVALID_DATA' &&
        error.message.includes('nowhere.csv'),
    );
  });
});
