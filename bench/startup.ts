/**
 * How fast the `kestrel` command starts: `kestrel help`, and the time from launching
 * `kestrel run` (default synthetic data) until the first market event reaches a strategy, each
 * the median of several launches, beside bare `node -e 0` as the floor. Wall time is what a user
 * waits; CPU time (user + system, measured inside each process) is what the command itself costs,
 * and stays honest when the machine is busy. `--kestrel=PATH` measures another checkout's bin
 * (for before/after figures).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Figure } from './harness.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CPU_HOOK = pathToFileURL(join(import.meta.dirname, 'cpu-at-exit.mjs')).href;
const FIRST_EVENT = join(import.meta.dirname, 'first-event.mjs');
const MARKER = 'kestrel-bench: first market event';

interface Launch {
  /** Wall time until the process exited, or until the marker line when one is awaited, ms */
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** Launches `node [cpu hook] ...args` and times it until exit (or the marker on stderr) */
function launch(args: readonly string[], cwd: string): Promise<Launch> {
  return new Promise((done, fail) => {
    const started = performance.now();
    let markedAt: number | undefined;
    let stderr = '';
    const child = spawn(process.execPath, ['--import', CPU_HOOK, ...args], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (markedAt === undefined && stderr.includes(MARKER)) markedAt = performance.now();
    });
    child.on('error', fail);
    child.on('close', (code) => {
      const ended = performance.now();
      const cpu = /kestrel-bench: cpu ([\d.]+) ms/.exec(stderr)?.[1];
      if (code !== 0 || cpu === undefined) {
        fail(new Error(`node ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
        return;
      }
      done({ wallMs: (markedAt ?? ended) - started, cpuMs: Number(cpu) });
    });
  });
}

async function median(
  rounds: number,
  args: readonly string[],
  cwd: string,
): Promise<{ readonly wallMs: number; readonly cpuMs: number }> {
  await launch(args, cwd); // warms the file cache
  const runs: Launch[] = [];
  for (let i = 0; i < rounds; i++) runs.push(await launch(args, cwd));
  const mid = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { wallMs: mid(runs.map((r) => r.wallMs)), cpuMs: mid(runs.map((r) => r.cpuMs)) };
}

export async function benchStartup(quick: boolean): Promise<Figure[]> {
  const flag = process.argv.find((a) => a.startsWith('--kestrel='));
  const bin = flag === undefined ? join(ROOT, 'bin', 'kestrel.js') : resolve(flag.slice(10));
  if (flag === undefined && !existsSync(join(ROOT, 'dist', 'cli', 'main.js')))
    throw new Error('the startup benchmark runs the built command: npm run build first');
  const rounds = quick ? 3 : 9;
  const cwd = mkdtempSync(join(tmpdir(), 'kestrel-bench-startup-'));
  try {
    const floor = await median(rounds, ['-e', '0'], cwd);
    const help = await median(rounds, [bin, 'help'], cwd);
    const first = await median(rounds, [bin, 'run', FIRST_EVENT, '--quiet'], cwd);
    const ms = (v: number) => Math.round(v);
    const note = `CPU ${ms(help.cpuMs)} ms; floor node -e 0: ${ms(floor.wallMs)} ms wall, ${ms(floor.cpuMs)} ms CPU`;
    return [
      {
        bench: 'startup',
        metric: 'kestrel help, median wall time',
        value: help.wallMs,
        unit: 'ms',
        target: '≤ 300 ms',
        note,
      },
      {
        bench: 'startup',
        metric: 'kestrel run to its first market event, median wall time',
        value: first.wallMs,
        unit: 'ms',
        target: '≤ 1000 ms',
        note: `CPU ${ms(first.cpuMs)} ms (synthetic market, the whole process until then)`,
      },
      {
        bench: 'startup',
        metric: 'node -e 0 (the floor), median wall time',
        value: floor.wallMs,
        unit: 'ms',
        note: `CPU ${ms(floor.cpuMs)} ms; ${rounds} launches each`,
      },
    ];
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
