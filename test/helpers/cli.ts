/**
 * The `kestrel` command as users run it, for tests: the bin over the compiled dist/ (`npm test`
 * builds first; a test file run on its own refuses a dist/ older than src/ rather than test stale
 * code), run as a subprocess (in process, `main` with memory-io.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const KESTREL_BIN = join(ROOT, 'bin', 'kestrel.js');

const built = join(ROOT, 'dist', 'cli', 'main.js');
if (!existsSync(built)) throw new Error('no dist/: run `npm run build` (npm test builds first)');
const builtAt = statSync(built).mtimeMs;
const src = join(ROOT, 'src');
const stale = readdirSync(src, { recursive: true, encoding: 'utf8' }).find(
  (file) =>
    file.endsWith('.ts') &&
    !file.endsWith('.test.ts') &&
    statSync(join(src, file)).mtimeMs > builtAt,
);
if (stale !== undefined)
  throw new Error(
    `dist/ is older than src/${stale}: run \`npm run build\` (npm test builds first)`,
  );

/** A fresh temporary folder to run in */
export const freshDir = () => mkdtempSync(join(tmpdir(), 'kestrel-cli-'));

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly cwd: string;
}

/** Runs `kestrel ...args` to its end, blocking this process (nothing here must answer it) */
export function kestrel(
  args: readonly string[],
  cwd = freshDir(),
  env: Readonly<Record<string, string>> = {},
): Ran {
  const result = spawnSync(process.execPath, [KESTREL_BIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, cwd };
}

/** Runs `node ...args` without blocking this process (an emulator it talks to may live here) */
export function node(args: readonly string[], cwd = ROOT): Promise<Ran> {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) => done({ code, stdout, stderr, cwd }));
  });
}
