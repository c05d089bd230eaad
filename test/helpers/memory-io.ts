import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Io } from '../../src/cli/io.ts';

/** An Io that keeps what a command prints, not a terminal, in a fresh temporary working folder */
export function memoryIo(prefix = 'kestrel-io-') {
  const out: string[] = [];
  const err: string[] = [];
  const cwd = mkdtempSync(join(tmpdir(), prefix));
  const io: Io = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    cwd,
    isTTY: false,
    columns: 100,
  };
  return { io, out: () => out.join(''), err: () => err.join(''), cwd };
}
