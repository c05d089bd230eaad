import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { kestrel } from '../helpers/cli.ts';
import { memoryIo } from '../helpers/memory-io.ts';

function lines(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('kestrel run as a subprocess', () => {
  it('runs the bundled strategy on the synthetic market and writes the report', () => {
    const { code, stdout, stderr, cwd } = kestrel(['run', '--to', '2026-01-01T00:20:00Z']);
    assert.equal(code, 0, stderr);
    const summary = lines(stdout);
    assert.equal(summary['strategy'], 'quoting');
    assert.equal(summary['venue'], 'sim');
    assert.ok(Number(summary['orders']) > 0);
    assert.ok(Number(summary['market_events']) > 10_000);
    assert.equal(summary['orders_pending'], '0');
    assert.match(summary['submit_latency_p50_ms'] ?? '', /^\d+(\.\d+)?$/);
    for (const file of [
      'report.html',
      'orders.csv',
      'fills.csv',
      'equity.csv',
      'summary.json',
      'run.log',
    ]) {
      assert.ok(existsSync(join(cwd, 'kestrel-out', file)), file);
    }
    const json = JSON.parse(readFileSync(join(cwd, 'kestrel-out', 'summary.json'), 'utf8')) as {
      orders: number;
    };
    assert.equal(json.orders, Number(summary['orders']));
  });

  it('exits 2 with the option named for bad arguments', () => {
    const bad = kestrel(['run', '--capital=-5']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--capital must be a positive number, got "-5"/);
    const unknown = kestrel(['run', '--frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option --frobnicate/);
    assert.equal(kestrel(['launch']).code, 2);
  });

  it('exits 3 naming file, line and column for malformed data', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-cli-'));
    writeFileSync(
      join(dir, 'BTCUSDT.trades.csv'),
      'time,price,size,side\n1730130143833,68613.9,0.005,-1\n1730130144238,68614,x,1\n',
    );
    const result = kestrel(['run', '--data', 'BTCUSDT.trades.csv'], dir);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /BTCUSDT\.trades\.csv: line 3, column size: "x" is not a number/);
    const missing = kestrel(['run', '--data', 'nowhere.csv.gz'], dir);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /data file not found: .*nowhere\.csv\.gz/);
  });

  it('exits 4 when a strategy throws, naming the callback', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-cli-'));
    writeFileSync(
      join(dir, 'broken.ts'),
      "export default { onQuote(quote: { bid: number }) { if (quote.bid > 0) throw new Error('boom at the bid'); } };\n",
    );
    const result = kestrel(['run', 'broken.ts', '--to', '2026-01-01T00:01:00Z'], dir);
    assert.equal(result.code, 4);
    assert.match(result.stderr, /strategy onQuote failed: boom at the bid/);
  });
});

describe('kestrel in process', () => {
  it('draws a progress bar and a summary table on a terminal', async () => {
    const { io, out, err } = memoryIo('kestrel-cli-', { isTTY: true });
    assert.equal(await main(['run', '--to', '2026-01-01T01:00:00Z', '--seed', '5'], io), 0);
    assert.match(err(), /\r\[[#.]+\]\s+\d+% [\d,]+ events/);
    assert.match(out(), /Submit latency \(ms\)\s+p50 [\d.]+\s+p90 [\d.]+\s+p99 [\d.]+/);
    assert.match(out(), /Orders\s+[\d,]+\s+FILLED/);
    assert.match(out(), /Order flow\s+[\d,]+ cancels before ack/);
  });

  it('prints JSON with --json', async () => {
    const { io, out } = memoryIo('kestrel-cli-');
    assert.equal(await main(['run', '--to', '2026-01-01T00:10:00Z', '--json'], io), 0);
    const report = JSON.parse(out()) as { venue: string; ordersByStatus: Record<string, number> };
    assert.equal(report.venue, 'sim');
    assert.equal(report.ordersByStatus['PENDING'], 0);
  });

  it('refuses strategy files that do not load, with exit 4', async () => {
    const { io, err, cwd } = memoryIo('kestrel-cli-');
    writeFileSync(join(cwd, 'empty.mjs'), 'export const nothing = 1;\n');
    writeFileSync(join(cwd, 'syntax.mjs'), 'export default {{;\n');
    assert.equal(await main(['run', 'missing.mjs'], io), 4);
    assert.equal(await main(['run', 'empty.mjs'], io), 4);
    assert.equal(await main(['run', 'syntax.mjs'], io), 4);
    assert.match(err(), /strategy file not found: .*missing\.mjs/);
    assert.match(
      err(),
      /empty\.mjs must export \(as default or `strategy`\) an object with callbacks/,
    );
    assert.match(err(), /syntax\.mjs failed to load/);
  });

  it('runs a strategy file with parameters, and the same file twice gives the same numbers', async () => {
    const { io, out, cwd } = memoryIo('kestrel-cli-');
    writeFileSync(
      join(cwd, 'taker.mjs'),
      `export default function () {
  let done = false;
  return {
    name: 'taker',
    async onQuote(quote, ctx) {
      if (done) return;
      done = true;
      const order = await ctx.trade(quote.instrument, Number(ctx.params.amount), undefined);
      ctx.log.info('traded', { status: order.status });
    },
  };
}
`,
    );
    const args = ['run', 'taker.mjs', '--param', 'amount=0.01', '--to', '2026-01-01T00:05:00Z'];
    assert.equal(await main(args, io), 0);
    const first = lines(out());
    assert.equal(first['strategy'], 'taker');
    assert.equal(first['fills_taker'], '1');
    assert.equal(first['position_BTCUSDT'], '0.01');
    const again = memoryIo('kestrel-cli-', { cwd });
    assert.equal(await main(args, again.io), 0);
    const second = lines(again.out());
    assert.equal(second['realized_pnl'], first['realized_pnl']);
    assert.equal(second['fees_USDT'], first['fees_USDT']);
  });

  it('reads trades and quotes files given with --data, merged in time order', async () => {
    const { io, out, cwd } = memoryIo('kestrel-cli-');
    const quotes = ['timestamp,bid_price,bid_amount,ask_price,ask_amount'];
    const trades = ['time,price,size,side'];
    for (let i = 0; i < 2000; i++) {
      const t = Date.UTC(2026, 0, 1) + i * 500;
      const mid = 50_000 + Math.round(Math.sin(i / 50) * 200) / 10;
      quotes.push(
        `${new Date(t).toISOString()},${(mid - 0.05).toFixed(1)},2,${(mid + 0.05).toFixed(1)},2`,
      );
      trades.push(
        `${t + 250},${(mid + (i % 2 ? 0.05 : -0.05)).toFixed(1)},0.01,${i % 2 ? 'buy' : 'sell'}`,
      );
    }
    writeFileSync(join(cwd, 'BTCUSDT.quotes.csv'), `${quotes.join('\n')}\n`);
    writeFileSync(join(cwd, 'BTCUSDT.trades.csv'), `${trades.join('\n')}\n`);
    assert.equal(await main(['run', '--data', 'BTCUSDT.trades.csv,BTCUSDT.quotes.csv'], io), 0);
    const summary = lines(out());
    assert.equal(summary['market_events'], '4000');
    assert.equal(summary['start'], '2026-01-01T00:00:00.000Z');
    assert.ok(Number(summary['orders']) > 0);
  });

  it('exits 3 naming file, line and column for a bad funding file, before anything runs', async () => {
    const cases: Array<[string, RegExp]> = [
      [
        'time,price\n1767225600000,0.0001\n',
        /line 1, column rate: the header "time,price" has no rate column/,
      ],
      [
        'time,rate\n1767225600000,0.0001\n1767254400000,NaN\n',
        /line 3, column rate: "NaN" is not a finite rate/,
      ],
      [
        'time,rate\n1767254400000,0.0001\n1767225600000,0.0001\n',
        /line 3, column time: time goes backwards/,
      ],
    ];
    for (const [text, message] of cases) {
      const { io, err, cwd } = memoryIo('kestrel-cli-');
      writeFileSync(join(cwd, 'BTCUSDT.funding.csv'), text);
      assert.equal(await main(['run', '--funding', 'BTCUSDT.funding.csv', '--quiet'], io), 3);
      assert.match(err(), new RegExp(`BTCUSDT\\.funding\\.csv: ${message.source}`));
      assert.ok(!existsSync(join(cwd, 'kestrel-out', 'summary.json')), 'nothing ran');
    }
    const { io, err } = memoryIo('kestrel-cli-');
    assert.equal(await main(['run', '--funding-rate', '1%'], io), 2);
    assert.match(err(), /--funding-rate must be a fraction of position value/);
  });

  it('settles funding from a file and reports it', async () => {
    const { io, out, cwd } = memoryIo('kestrel-cli-');
    writeFileSync(
      join(cwd, 'long.ts'),
      'let done = false;\nexport default { async onQuote(quote, ctx) { if (done) return; done = true; await ctx.trade(quote.instrument, 0.01); } };\n',
    );
    writeFileSync(
      join(cwd, 'BTCUSDT.funding.csv'),
      'fundingTime,fundingRate\n1767225600000,0.0001\n1767254400000,0.0002\n1767283200000,-0.0001\n',
    );
    const args = [
      'run',
      'long.ts',
      '--funding',
      'BTCUSDT.funding.csv',
      '--to',
      '2026-01-01T20:00:00Z',
    ];
    assert.equal(await main(args, io), 0);
    const summary = lines(out());
    assert.equal(summary['funding_payments'], '2', 'the settlements at 08:00 and 16:00');
    assert.ok(Number(summary['funding']) < 0, `a long pays: ${summary['funding']}`);
    const json = JSON.parse(readFileSync(join(cwd, 'kestrel-out', 'summary.json'), 'utf8'));
    assert.equal(json.fundingPayments, 2);
    assert.deepEqual(json.liquidations, []);
  });

  it('prints help', async () => {
    const { io, out } = memoryIo('kestrel-cli-');
    assert.equal(await main(['--help'], io), 0);
    assert.match(out(), /Usage: kestrel <command>/);
    const run = memoryIo('kestrel-cli-');
    assert.equal(await main(['run', '--help'], run.io), 0);
    assert.match(run.out(), /--data FILES/);
  });
});
