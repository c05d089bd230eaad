/**
 * `kestrel sweep`: a 2×3 grid on worker threads, then the same grid through BullMQ on a real
 * Redis with two `kestrel worker` processes, one SIGKILLed in the middle of a run; both ways give
 * the same sweep.csv. Bad input (unknown parameter, empty or malformed values, unreachable Redis)
 * ends with one line and the right exit code, and writes nothing.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import type { RunningServer } from '../helpers/servers.ts';
import { freePort, startRedis, whyNoRedis } from '../helpers/servers.ts';
import { until } from '../helpers/wait.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'kestrel.js');
/** Generous: a safety net on a busy machine, never a measurement */
const PATIENCE = 600_000;
const GRID = [
  '--param',
  'edgeBps=2,2.5',
  '--param',
  'size=0.002:0.004:0.001',
  '--to',
  '2026-01-01T00:20:00Z',
  '--seed',
  '3',
  '--quiet',
];

interface Child {
  readonly process: ChildProcess;
  output: string;
}

function startWorker(url: string, cwd: string): Child {
  const child: Child = {
    process: spawn(
      process.execPath,
      [BIN, 'worker', '--queue', url, '--jobs', '1', '--lock-ms', '1500'],
      { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
    ),
    output: '',
  };
  child.process.stdout?.on('data', (chunk: Buffer) => {
    child.output += chunk.toString();
  });
  child.process.stderr?.on('data', (chunk: Buffer) => {
    child.output += chunk.toString();
  });
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once('exit', () => done());
  });

describe('kestrel sweep', () => {
  let local: string | undefined;
  let redis: RunningServer | undefined;
  const children: Child[] = [];
  after(async () => {
    for (const child of children) child.process.kill('SIGKILL');
    await redis?.stop();
  });

  it('runs a 2×3 grid on worker threads: ranked sweep.csv, sweep.html with a heat map, a report per run', async () => {
    const { io, err, out, cwd } = memoryIo('kestrel-sweep-');
    assert.equal(await main(['sweep', ...GRID, '--jobs', '2'], io), 0, err());
    const dir = join(cwd, 'kestrel-sweep');
    const csv = readFileSync(join(dir, 'sweep.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 7, 'a header and six runs');
    assert.match(csv[0]!, /^rank,run,edgeBps,size,status,totalReturn,sharpe,/);
    assert.ok(
      csv.slice(1).every((line) => line.includes(',ok,')),
      csv.join('\n'),
    );
    const sharpe = csv.slice(1).map((line) => Number(line.split(',')[6]));
    assert.deepEqual(
      sharpe,
      [...sharpe].sort((a, b) => b - a),
      'ranked by Sharpe, best first',
    );
    const runs = readdirSync(join(dir, 'runs')).sort();
    assert.equal(runs.length, 6);
    assert.equal(runs[0], '0001-edgeBps=2_size=0.002');
    for (const run of runs) {
      assert.ok(existsSync(join(dir, 'runs', run, 'report.html')), run);
      assert.ok(existsSync(join(dir, 'runs', run, 'summary.json')), run);
    }
    const html = readFileSync(join(dir, 'sweep.html'), 'utf8');
    assert.match(html, /data-heatmap>sharpe by edgeBps \(across\) and size \(down\)/);
    assert.match(out(), /^6 runs in [\d.]+ s, 0 failed; best sharpe/);
    local = readFileSync(join(dir, 'sweep.csv'), 'utf8');
  });

  it('runs the same grid through BullMQ with two workers, one SIGKILLed mid-run, with identical results', async (t) => {
    redis = await startRedis();
    if (redis === undefined) {
      t.skip(whyNoRedis() ?? 'no Redis');
      return;
    }
    assert.ok(local !== undefined, 'the thread sweep ran first');
    const { io, err, cwd } = memoryIo('kestrel-sweep-');
    const doomed = startWorker(redis.url, cwd);
    const survivor = startWorker(redis.url, cwd);
    children.push(doomed, survivor);
    await until(
      () => doomed.output.includes('ready') && survivor.output.includes('ready'),
      'both workers ready',
      PATIENCE,
    );
    const sweep = main(['sweep', ...GRID, '--queue', redis.url], io);
    await until(
      () => /started (\S+)/.test(doomed.output),
      'a run started on the doomed worker',
      PATIENCE,
    );
    doomed.process.kill('SIGKILL');
    const killedJob = /started (\S+)/.exec(doomed.output)![1]!;
    assert.equal(await sweep, 0, err());
    await exited(doomed.process);
    assert.doesNotMatch(doomed.output, new RegExp(`finished ${killedJob}`), 'killed mid-run');
    assert.match(
      survivor.output,
      new RegExp(`started ${killedJob} `),
      'the killed run was retried',
    );
    const queued = readFileSync(join(cwd, 'kestrel-sweep', 'sweep.csv'), 'utf8');
    assert.equal(queued, local, 'the same figures, each run counted once');
    for (const run of readdirSync(join(cwd, 'kestrel-sweep', 'runs')))
      assert.ok(existsSync(join(cwd, 'kestrel-sweep', 'runs', run, 'report.html')), run);
    survivor.process.kill('SIGTERM');
    await exited(survivor.process);
    assert.equal(survivor.process.exitCode, 0, survivor.output);
  });

  it('refuses bad input in one line, with exit 2 or 5, and writes nothing', async () => {
    const port = await freePort();
    const cases: Array<[string[], number, RegExp]> = [
      [['--param', 'edgBps=1,2'], 2, /unknown parameter "edgBps": strategy quoting takes/],
      [['--param', 'edgeBps='], 2, /--param edgeBps=: no values for edgeBps/],
      [['--param', 'size=0.01:x:0.01'], 2, /--param size=0.01:x:0.01: a range is START:END:STEP/],
      [['--param', 'size=0.05:0.01:0.01'], 2, /the range is empty/],
      [['--param', 'edgeBps=2', '--metric', 'luck'], 2, /--metric "luck" is not one of/],
      [
        ['--param', 'edgeBps=2', '--queue', `redis://127.0.0.1:${port}`],
        5,
        new RegExp(`cannot reach Redis at redis://127.0.0.1:${port}`),
      ],
    ];
    for (const [args, code, message] of cases) {
      const { io, err, cwd } = memoryIo('kestrel-sweep-');
      assert.equal(await main(['sweep', ...args], io), code, `${args.join(' ')}: ${err()}`);
      assert.match(err(), message);
      assert.equal(err().trim().split('\n').length, 1, err());
      assert.ok(!existsSync(join(cwd, 'kestrel-sweep')), `nothing written for ${args.join(' ')}`);
    }
    const worker = memoryIo('kestrel-sweep-');
    assert.equal(await main(['worker', '--queue', `redis://127.0.0.1:${port}`], worker.io), 5);
    assert.equal(worker.err().trim().split('\n').length, 1, worker.err());
  });
});
