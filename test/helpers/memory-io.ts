import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Io } from '../../src/cli/io.ts';

/**
 * An Io that keeps what a command prints, in a fresh temporary working folder (or `cwd`); not a
 * terminal unless `isTTY`
 */
export function memoryIo(
  prefix = 'kestrel-io-',
  options: { readonly isTTY?: boolean; readonly cwd?: string } = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), prefix));
  const io: Io = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    cwd,
    isTTY: options.isTTY ?? false,
    columns: 100,
  };
  return { io, out: () => out.join(''), err: () => err.join(''), cwd };
}
