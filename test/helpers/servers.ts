/**
 * Real PostgreSQL and Redis servers for tests, started on 127.0.0.1 in a temp directory and
 * stopped afterwards. The binaries come from Debian's `postgresql` and `redis-server` packages
 * (`.ci/run` installs them as root). When a server cannot be had, `startPostgres` and
 * `startRedis` resolve `undefined` and `whyNoPostgres` / `whyNoRedis` say why, so a test can skip
 * with a clear message.
 *
 * PostgreSQL refuses to run as root: under root the data directory is handed to the `postgres`
 * system user and initdb and the server run as that user.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface RunningServer {
  /** A connection URL: `postgres://postgres@127.0.0.1:PORT/postgres` or `redis://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Stops the server and removes its directory; safe to call twice */
  stop(): Promise<void>;
}

/** A port nobody listens on at the time of asking */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** The uid and gid of a system user, or undefined when there is none */
function systemUser(name: string): { readonly uid: number; readonly gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why `startPostgres` cannot start a server here, or undefined when it can */
export function whyNoPostgres(): string | undefined {
  if (postgresBin() === undefined)
    return 'PostgreSQL is not installed (apt-get install postgresql); .ci/run installs it';
  if (userInfo().uid === 0 && systemUser('postgres') === undefined)
    return 'running as root without a postgres system user: PostgreSQL refuses to run as root';
  return undefined;
}

/** Why `startRedis` cannot start a server here, or undefined when it can */
export function whyNoRedis(): string | undefined {
  return hasCommand('redis-server')
    ? undefined
    : 'redis-server is not installed (apt-get install redis-server); .ci/run installs it';
}

/** Collects a child's stdout and stderr as they come; the function gives all of it so far */
function captureOutput(child: ChildProcess): () => string {
  let output = '';
  const add = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => output;
}

/** Resolves once something accepts TCP connections on the port; rejects on `exited` or no progress */
async function waitForPort(
  port: number,
  what: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${what} exited before it listened: ${output().slice(-2000)}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(`${what} did not listen on ${port} in time: ${output().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

/**
 * Starts a throwaway PostgreSQL server (trust authentication, user `postgres`, no fsync) on a
 * free 127.0.0.1 port; undefined when none can be had here (see `whyNoPostgres`).
 */
export async function startPostgres(): Promise<RunningServer | undefined> {
  const bin = postgresBin();
  if (bin === undefined || whyNoPostgres() !== undefined) return undefined;
  const owner = userInfo().uid === 0 ? systemUser('postgres') : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-pg-'));
  const data = join(dir, 'data');
  if (owner !== undefined) {
    chmodSync(dir, 0o755);
    chownSync(dir, owner.uid, owner.gid);
  }
  const as = owner === undefined ? {} : { uid: owner.uid, gid: owner.gid };
  execFileSync(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'],
    { stdio: 'pipe', ...as },
  );
  const port = await freePort();
  const args = [
    '-D',
    data,
    '-p',
    String(port),
    '-h',
    '127.0.0.1',
    '-k',
    dir,
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
  ];
  const child = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'pipe', 'pipe'], ...as });
  const output = captureOutput(child);
  const stop = async () => {
    await stopChild(child, 'SIGINT');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, 'postgres', child, output, 60_000);
    // Listening is not accepting queries yet: wait for the startup to finish
    const deadline = Date.now() + 60_000;
    while (!output().includes('ready to accept connections')) {
      if (Date.now() > deadline) throw new Error(`postgres never became ready: ${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, stop };
}

/** Starts a throwaway Redis server (no persistence) on a free 127.0.0.1 port; undefined when none can be had */
export async function startRedis(): Promise<RunningServer | undefined> {
  if (whyNoRedis() !== undefined) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-redis-'));
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = captureOutput(child);
  const stop = async () => {
    await stopChild(child, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, 'redis-server', child, output, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}

/** Runs one SQL statement on a connection of its own to a PostgreSQL server and gives its rows */
export async function queryPostgres<T>(
  url: string | undefined,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}
