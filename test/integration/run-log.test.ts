import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Io } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { until } from '../helpers/wait.ts';

describe('the run log', () => {
  it('streams to its file while the run goes, instead of being held until the end', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kestrel-run-log-'));
    const io: Io = { stdout: () => {}, stderr: () => {}, cwd, isTTY: false, columns: 80 };
    let finished = false;
    const run = main(
      ['run', '--venue', 'paper', '--duration', '10m', '--speed', '10', '--quiet', '--out', 'out'],
      io,
    ).finally(() => {
      finished = true;
    });
    const log = join(cwd, 'out', 'run.log');
    const text = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    await until(() => text().includes('live run started') || finished, 'the log line', 60_000);
    assert.equal(finished, false, 'the line is on disk before the run ends');
    // Ctrl-C: the run stops gracefully and the rest of the log follows
    process.kill(process.pid, 'SIGINT');
    assert.equal(await run, 0);
    assert.match(text(), /live run started[\s\S]*INFO/);
  });
});
