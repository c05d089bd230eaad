/**
 * A trader's first hour with the command: it starts without loading what the command does not
 * need, refuses bad flags in one line that names the flag and its rule, exits with the
 * documented code on every path, fails clean (the folder holds this run's outputs only, a failed
 * run's report is marked FAILED), names a strategy's file:line and simulated time, keeps a
 * strategy's console output out of the machine-readable stream, and never writes a log line onto
 * the status line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { freshDir, KESTREL_BIN, kestrel } from '../helpers/cli.ts';
import { memoryIo } from '../helpers/memory-io.ts';

const TRACE = join(import.meta.dirname, '..', 'helpers', 'trace-imports.mjs');

/** The modules a command resolved, as paths inside the package or package names */
function loaded(args: readonly string[]): string[] {
  const dir = freshDir();
  const trace = join(dir, 'imports.txt');
  const result = spawnSync(process.execPath, ['--import', TRACE, KESTREL_BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, KESTREL_TRACE_IMPORTS: trace },
  });
  assert.equal(result.status, 0, result.stderr);
  return readFileSync(trace, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith('file:'))
    .map((url) =>
      url.includes('/node_modules/')
        ? `node_modules/${url.split('/node_modules/')[1]?.split('/')[0]}`
        : url.replace(/^.*?\/(bin|dist)\//, '$1/'),
    );
}

/** What a terminal shows of each line: the text after the last carriage return */
function visibleLines(stderr: string): string[] {
  return stderr.split('\n').map((line) => {
    const shown = line.slice(line.lastIndexOf('\r') + 1);
    return shown.replaceAll('\x1b[K', '');
  });
}

describe('kestrel loads only what the command needs', () => {
  it('help loads its own command line and nothing else', () => {
    const modules = loaded(['help']);
    assert.deepEqual(
      modules.filter((m) => !m.startsWith('dist/cli/') && !m.startsWith('dist/core/')),
      ['bin/kestrel.js', 'dist/runtime/strategy.js'],
    );
  });

  it('a backtest loads no venue but the simulated one, no journal, emulator, WebSocket or TypeScript loader', () => {
    const modules = loaded(['run', '--to', '2026-01-01T00:00:01Z', '--quiet']);
    const heavy = new Set(['ccxt', '@reservoir0x', 'better-sqlite3', 'pg', 'ws', 'tsx', 'bullmq']);
    const unwanted = modules.filter(
      (m) =>
        heavy.has(m.replace(/^node_modules\//, '')) ||
        /^dist\/(journal\/(?!location\.js)|emulators\/|venues\/(ccxt|lighter)\/)/.test(m),
    );
    assert.deepEqual(unwanted, []);
    assert.ok(modules.includes('dist/venues/sim/sim-venue.js'));
  });
});

describe('kestrel flags', () => {
  it('refuses a bad value in one line naming the flag, its rule and where the help is', () => {
    const cases: Array<[string[], RegExp]> = [
      [['run', '--capital', '-5'], /^kestrel run: --capital must be a positive number, got "-5"/],
      [['run', '--latency', '-1'], /^kestrel run: --latency must be a number of ms ≥ 0, got "-1"/],
      [['run', '--frobnicate'], /^kestrel run: unknown option --frobnicate/],
      [['run', '--data'], /^kestrel run: --data needs a value/],
      [['run', '--quiet=yes'], /^kestrel run: --quiet takes no value/],
      [['run', '--seed', 'x'], /^kestrel run: --seed must be an integer, got "x"/],
      [['emulate', 'lighter', '--seed', 'x'], /^kestrel emulate: --seed must be an integer/],
      [['smoke', '--timeout', '-3'], /^kestrel smoke: --timeout must be a positive number/],
      [['launch'], /^kestrel: unknown command "launch"; see `kestrel help`$/],
    ];
    for (const [args, message] of cases) {
      const result = kestrel(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      const lines = result.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `one line, no help dump: ${result.stderr}`);
      assert.match(lines[0] ?? '', message);
      if (args[0] !== 'launch') assert.match(lines[0] ?? '', /; see `kestrel help \w+`$/);
      assert.equal(result.stdout, '');
    }
  });

  it('refuses an output folder that is a file', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'report'), 'a file');
    const result = kestrel(['run', '--out', 'report'], dir);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /^kestrel run: --out must be a folder, and .*report is a file; see/,
    );
  });

  it('takes a negative number as the value of a flag', async () => {
    const { io, err } = memoryIo('kestrel-cli-');
    assert.equal(await main(['run', '--to', '2026-01-01T00:00:05Z', '--latency=-0'], io), 0);
    assert.equal(err(), '');
  });

  it('exits 2 for a venue that does not exist, naming what --venue takes', () => {
    const result = kestrel(['run', '--venue', 'nosuchexchange', '--quiet']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /^kestrel run: --venue must be paper, lighter or a ccxt exchange id such as binanceusdm or bybit, got "nosuchexchange"/,
    );
  });

  it('exits 6 in one line for a journal that is not one, before anything starts', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'notes.db'), 'these are my notes, not a journal\n');
    for (const args of [
      ['orders', '--journal', 'notes.db'],
      ['run', '--venue', 'nosuchexchange', '--journal', 'notes.db'],
    ]) {
      const result = kestrel(args, dir);
      assert.equal(result.code, 6, result.stderr);
      assert.match(
        result.stderr,
        /^kestrel \w+: .*notes\.db is not a readable journal \(file is not a database\)[^\n]*\n$/,
      );
    }
  });
});

describe('a failed run', () => {
  const throwsAtTwoMinutes = `export default {
  name: 'two-minutes',
  onQuote(quote: { time: number; bid: number; instrument: unknown }, ctx: any) {
    if (ctx.orders().length === 0 && ctx.time < Date.UTC(2026, 0, 1, 0, 1))
      ctx.tradeAsync(quote.instrument, 0.001, quote.bid - 100, { postOnly: true });
    if (quote.time >= Date.UTC(2026, 0, 1, 0, 2)) throw new Error('boom at two minutes');
  },
};
`;

  it('writes only its own outputs: a FAILED report with the error, the simulated time and what it did', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'broken.ts'), throwsAtTwoMinutes);
    const good = kestrel(['run', '--to', '2026-01-01T00:05:00Z'], dir);
    assert.equal(good.code, 0, good.stderr);
    const out = join(dir, 'kestrel-out');
    writeFileSync(join(out, 'mine.txt'), 'not the run’s');

    const failed = kestrel(['run', 'broken.ts', '--to', '2026-01-01T00:05:00Z'], dir);
    assert.equal(failed.code, 4, failed.stderr);
    const message =
      /^kestrel run: strategy onQuote failed: boom at two minutes \(at .*broken\.ts:6:\d+, simulated time 2026-01-01T00:02:00\.\d{3}Z\)$/m;
    assert.match(failed.stderr, message);
    assert.doesNotMatch(failed.stderr, /data:|\n\s+at /, 'no stack, no inlined module');
    assert.match(failed.stdout, /^status=failed$/m);
    assert.match(failed.stdout, /^strategy=two-minutes$/m);

    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      strategy: string;
      orders: number;
      failure: { message: string; time: number; location: string };
    };
    assert.equal(summary.strategy, 'two-minutes');
    assert.equal(summary.orders, 1, 'what it did before it failed');
    assert.match(summary.failure.message, /boom at two minutes/);
    assert.ok(summary.failure.time >= Date.UTC(2026, 0, 1, 0, 2));
    assert.match(summary.failure.location, /broken\.ts:6:\d+$/);
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /FAILED/);
    const orders = readFileSync(join(out, 'orders.csv'), 'utf8').trim().split('\n');
    assert.equal(orders.length, 2, 'the header and the one order of this run');
    assert.equal(readFileSync(join(out, 'mine.txt'), 'utf8'), 'not the run’s', 'other files stay');
  });

  it('a run that fails before trading removes the last run’s outputs and says why', () => {
    const dir = freshDir();
    const out = join(dir, 'kestrel-out');
    mkdirSync(out);
    for (const file of ['report.html', 'summary.json', 'orders.csv', 'fills.csv', 'equity.csv'])
      writeFileSync(join(out, file), 'from the last run');
    writeFileSync(join(dir, 'BTCUSDT.trades.csv'), 'time,price,size,side\n1730130143833,x,1,1\n');
    const result = kestrel(['run', '--data', 'BTCUSDT.trades.csv'], dir);
    assert.equal(result.code, 3, result.stderr);
    for (const file of ['orders.csv', 'fills.csv', 'equity.csv'])
      assert.ok(!existsSync(join(out, file)), `${file} of the last run is gone`);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      failure: { message: string };
    };
    assert.match(summary.failure.message, /line 2, column price: "x" is not a number/);
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /FAILED/);
  });

  it('an unawaited order promise refused locally is a strategy error (exit 4), never a crash', () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'esm'));
    writeFileSync(join(dir, 'esm', 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      join(dir, 'esm', 'careless.ts'),
      `export default {
  onQuote(quote: { instrument: unknown; bid: number }, ctx: any) {
    void ctx.trade(quote.instrument, 0.0000001, quote.bid);
  },
};
`,
    );
    const result = kestrel(['run', 'esm/careless.ts', '--to', '2026-01-01T00:05:00Z'], dir);
    assert.equal(result.code, 4, result.stderr);
    assert.match(
      result.stderr,
      /^kestrel run: strategy onQuote failed: ctx\.trade\(\) was not awaited and was refused: quantity 1e-7 rounds to 0 .* \(at .*careless\.ts:3:\d+, simulated time 2026-01-01T00:00:00\.\d{3}Z\)$/m,
    );
    assert.ok(result.stderr.length < 1000, `short: ${result.stderr.length} characters`);
  });
});

describe('what a run writes where', () => {
  it('a strategy’s console output goes to stderr, never into the key=value lines', () => {
    const dir = freshDir();
    writeFileSync(
      join(dir, 'chatty.mjs'),
      `let said = false;
export default {
  name: 'chatty',
  onStart() { console.log('hello from the strategy'); },
  onQuote() { if (!said) { said = true; console.info('first quote=seen'); } },
};
`,
    );
    const result = kestrel(['run', 'chatty.mjs', '--to', '2026-01-01T00:01:00Z'], dir);
    assert.equal(result.code, 0, result.stderr);
    for (const line of result.stdout.trimEnd().split('\n'))
      assert.match(line, /^[a-z][a-zA-Z0-9_]*=/, `a key=value line: ${line}`);
    assert.match(result.stderr, /hello from the strategy\nfirst quote=seen\n/);
  });

  it('log lines never share a line with the backtest progress bar', async () => {
    const { io, err, cwd } = memoryIo('kestrel-cli-', { isTTY: true });
    writeFileSync(
      join(cwd, 'warns.mjs'),
      `let quotes = 0;
export default {
  name: 'warns',
  onQuote(_quote, ctx) { if (++quotes % 40_000 === 0) ctx.log.warn('a warning from the strategy'); },
};
`,
    );
    assert.equal(await main(['run', 'warns.mjs', '--to', '2026-01-01T06:00:00Z'], io), 0);
    const lines = visibleLines(err());
    assert.ok(
      lines.some((l) => /WARN\s+a warning/.test(l)),
      'the warnings were printed',
    );
    assert.match(err(), /\r\[[#.]+\]\s+\d+% [\d,]+ events/, 'the progress bar was drawn');
    for (const line of lines)
      if (line.includes('WARN')) assert.doesNotMatch(line, /events|%/, `mixed: ${line}`);
  });

  it('log lines never share a line with the live status line', async () => {
    const { io, err, cwd } = memoryIo('kestrel-cli-', { isTTY: true });
    writeFileSync(
      join(cwd, 'warns.mjs'),
      `export default {
  name: 'warns',
  timerIntervalMs: 150,
  onTimer(_time, ctx) { ctx.log.warn('a warning from the strategy'); },
};
`,
    );
    const args = ['run', 'warns.mjs', '--venue', 'paper', '--speed', '60', '--duration', '4s'];
    assert.equal(await main(args, io), 0);
    const lines = visibleLines(err());
    assert.ok(err().includes('market events'), 'the status line was drawn');
    assert.ok(lines.some((l) => /WARN\s+a warning/.test(l)));
    for (const line of lines)
      if (line.includes('WARN'))
        assert.doesNotMatch(line, /market events|equity/, `mixed: ${line}`);
  });
});
