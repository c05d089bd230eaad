/**
 * The journal attacked: damage mid-file, a missing entry, a garbled page, a truncated file, a
 * non-database file, a torn tail, a write failure injected at the storage layer. Invariants:
 * no valid record is ever deleted, each damage is reported with its sequence range, a damaged
 * journal is not written until repaired, and `repair` keeps every valid record.
 */
import assert from 'node:assert/strict';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Io } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { KestrelError } from '../../src/core/errors.ts';
import { createClientIdGenerator } from '../../src/core/ids.ts';
import { createOrderRequest } from '../../src/core/order-request.ts';
import { describeDamage } from '../../src/journal/integrity.ts';
import { SqliteJournal } from '../../src/journal/sqlite-journal.ts';
import { checkJournal } from '../../src/journal/sqlite-repair.ts';
import { readJournal } from '../../src/runtime/journal-view.ts';
import { BTC_PERP } from '../helpers/instruments.ts';
import { until } from '../helpers/wait.ts';

const identity = { exchange: 'TEST', account: 'acct-1' };
const ENTRIES = 7000;

function tempFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'kestrel-abuse-')), 'journal.sqlite');
}

/** A journal of `n` order intents, one per entry (entry k is the intent of order k) */
async function writeJournal(n = ENTRIES): Promise<string> {
  const file = tempFile();
  const journal = new SqliteJournal({ path: file, identity });
  const ids = createClientIdGenerator({ instanceTag: 'ab', counterStart: 0 });
  for (let i = 0; i < n; i++) {
    const request = createOrderRequest({
      clientId: ids.next(),
      instrument: BTC_PERP,
      side: i % 2 === 0 ? 'BUY' : 'SELL',
      quantity: 0.001,
      orderType: 'LIMIT',
      price: 60000 + (i % 500),
      timeInForce: 'GTC',
    });
    journal.append({ type: 'orderRequested', request, time: i });
    // Several commits, as a running process makes them
    if (i % 500 === 499) await journal.durable();
  }
  await journal.close();
  return file;
}

function seqsOf(file: string): number[] {
  const journal = new SqliteJournal({ path: file, identity, readOnly: true });
  try {
    return [...journal.entries()].map((e) => e.seq);
  } finally {
    void journal.close();
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function memoryIo(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    cwd,
    isTTY: false,
    columns: 100,
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

async function kestrel(args: readonly string[], cwd = tmpdir()) {
  const { io, out, err } = memoryIo(cwd);
  const code = await main(args, io);
  return { code, stdout: out(), stderr: err() };
}

/** Asserts a journal refuses to be opened for writing, naming the damage */
function assertRefusesWriting(file: string, message: RegExp): void {
  assert.throws(
    () => new SqliteJournal({ path: file, identity }),
    (error: unknown) =>
      error instanceof KestrelError &&
      error.code === 'JOURNAL_DAMAGED' &&
      message.test(error.message),
  );
}

/** Repairs and checks that exactly the valid records survive, and writing works again */
async function assertRepairKeeps(file: string, valid: readonly number[]): Promise<void> {
  const repair = await kestrel(['journal', 'repair', file]);
  assert.equal(repair.code, 0, repair.stderr);
  assert.match(repair.stdout, new RegExp(`${valid.length} valid entries kept`));
  assert.deepEqual(seqsOf(file), valid, 'every valid record, under its own number');
  assert.deepEqual(checkJournal(file).damage, [], 'the repaired journal is sound');
  const again = new SqliteJournal({ path: file, identity });
  const next = again.append({
    type: 'balanceUpdated',
    exchange: 'TEST',
    balances: [{ currency: 'USDT', total: 1, free: 1, locked: 0 }],
    time: 0,
  });
  assert.ok(next > (valid.at(-1) ?? 0), 'the sequence continues past every number used');
  await again.close();
  const backups = readdirSync(dirname(file)).filter(
    (f) => f.includes('.pre-repair-') && !/-(wal|shm)$/.test(f),
  );
  assert.equal(backups.length, 1, 'the file as it was is kept');
}

describe('journal abuse', { concurrency: false }, () => {
  it('an altered record mid-file: reported with its number, nothing after it lost', async () => {
    const file = await writeJournal();
    const db = new Database(file);
    db.prepare("UPDATE entries SET body = replace(body, '0.001', '0.002') WHERE seq = 3500").run();
    db.close();

    assertRefusesWriting(file, /entry 3500: fails its checksum.*kestrel journal repair/);
    const valid = [...range(1, 3499), ...range(3501, ENTRIES)];
    assert.deepEqual(seqsOf(file), valid);
    const check = await kestrel(['journal', 'check', file]);
    assert.equal(check.code, 6);
    assert.match(check.stdout, /6999 valid entries/);
    assert.match(check.stdout, /damage: entry 3500: fails its checksum/);

    const orders = await kestrel(['orders', '--journal', file, '--json']);
    assert.equal(orders.code, 6, 'a documented exit code for a damaged journal');
    assert.equal((JSON.parse(orders.stdout) as unknown[]).length, ENTRIES - 1);
    assert.match(
      orders.stderr,
      /warning: the journal is damaged.*\n {2}entry 3500: fails its checksum/,
    );

    await assertRepairKeeps(file, valid);
    const aside = readFileSync(`${file}.damaged.jsonl`, 'utf8').trim().split('\n');
    assert.deepEqual(
      aside.map((l) => (JSON.parse(l) as { seq: number }).seq),
      [3500],
      'the damaged record is kept aside, as stored',
    );
    assert.match(aside[0] ?? '', /0\.002/);
    const history = checkJournal(file).history;
    assert.equal(history.at(-1)?.action, 'repair', 'the journal records what was done');
  });

  it('a missing entry: reported as a gap, every later record kept', async () => {
    const file = await writeJournal();
    const db = new Database(file);
    db.prepare('DELETE FROM entries WHERE seq = 10').run();
    db.close();
    assertRefusesWriting(file, /entry 10 is missing/);
    const view = readJournal(file);
    assert.deepEqual(
      view.opening.damage.map((d) => [d.kind, d.from, d.to]),
      [['missing', 10, 10]],
    );
    assert.equal(view.orders.length, ENTRIES - 1);
    await assertRepairKeeps(file, [...range(1, 9), ...range(11, ENTRIES)]);
  });

  it('a garbled page: the records on it reported as one range, every other one read', async () => {
    const file = await writeJournal();
    const db = new Database(file);
    const leaves = db
      .prepare(
        "SELECT pageno, ncell, pgsize FROM dbstat WHERE name = 'entries' AND pagetype = 'leaf' ORDER BY pageno",
      )
      .all() as Array<{ pageno: number; ncell: number; pgsize: number }>;
    db.close();
    const page = leaves[Math.floor(leaves.length / 2)]!;
    const fd = openSync(file, 'r+');
    const noise = Buffer.alloc(page.pgsize);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + 13) % 251;
    writeSync(fd, noise, 0, noise.length, (page.pageno - 1) * page.pgsize);
    closeSync(fd);

    const read = seqsOf(file);
    assert.equal(read.length, ENTRIES - page.ncell, 'only the records on that page are lost');
    const view = readJournal(file);
    const damage = view.opening.damage;
    assert.equal(damage.length, 1);
    assert.equal(damage[0]?.kind, 'unreadable');
    const lost = range(damage[0]!.from, damage[0]!.to ?? 0);
    assert.equal(
      lost.length,
      page.ncell,
      `the range names exactly them: ${describeDamage(damage[0]!)}`,
    );
    assert.deepEqual(
      [...read, ...lost].sort((a, b) => a - b),
      range(1, ENTRIES),
    );
    assertRefusesWriting(file, /could not be read/);
    const orders = await kestrel(['orders', '--journal', file]);
    assert.equal(orders.code, 6);
    assert.doesNotMatch(orders.stderr, /SqliteError|\n\s+at /, 'no raw error, no stack');
    await assertRepairKeeps(file, read);
  });

  it('a truncated file: the readable part kept, the rest reported from where it ends', async () => {
    const file = await writeJournal();
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const read = seqsOf(file);
    assert.ok(read.length > 100 && read.length < ENTRIES);
    assert.deepEqual(read, range(1, read.length), 'a prefix, nothing in it lost');
    const damage = readJournal(file).opening.damage;
    assert.deepEqual(
      damage.map((d) => [d.kind, d.from]),
      [['unreadable', read.length + 1]],
    );
    assert.match(describeDamage(damage[0]!), new RegExp(`entries from ${read.length + 1} on`));
    const check = await kestrel(['journal', 'check', file]);
    assert.equal(check.code, 6);
    await assertRepairKeeps(file, read);
  });

  it('a file that is not a database: a one-line typed error everywhere, nothing written', async () => {
    const file = tempFile();
    const text = 'not a journal at all; '.repeat(300);
    writeFileSync(file, text);
    assert.throws(() => new SqliteJournal({ path: file, identity }), { code: 'JOURNAL_DAMAGED' });
    for (const args of [
      ['orders', '--journal', file],
      ['fills', '--journal', file],
      ['positions', '--journal', file],
      ['journal', 'check', file],
      ['journal', 'repair', file],
    ]) {
      const result = await kestrel(args);
      assert.equal(result.code, 6, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /is not a readable journal \(file is not a database\)/);
      assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
    }
    assert.equal(readFileSync(file, 'utf8'), text, 'the file is untouched');
  });

  it('a write failure at the storage layer: intents refused, retried, no hole, nothing lost', async () => {
    const file = tempFile();
    const journal = new SqliteJournal({ path: file, identity, giveUpAfterMs: 60_000 });
    const balance = (total: number) =>
      ({
        type: 'balanceUpdated',
        exchange: 'TEST',
        balances: [{ currency: 'USDT', total, free: total, locked: 0 }],
        time: total,
      }) as const;
    for (let i = 1; i <= 5; i++) journal.append(balance(i));
    await journal.durable();
    // Another connection holds SQLite's write lock: every write of the journal fails
    const blocker = new Database(file);
    blocker.exec('BEGIN IMMEDIATE');
    journal.append(balance(6));
    await assert.rejects(journal.durable(), { code: 'JOURNAL_FAILED' });
    assert.equal(journal.health.state, 'failing');
    journal.append(balance(7));
    blocker.exec('COMMIT');
    blocker.close();
    await until(() => journal.health.state === 'ok', 'the retry to succeed', 30_000);
    await journal.durable();
    await journal.close();
    assert.deepEqual(seqsOf(file), range(1, 7), 'every entry once, in order, no hole');
  });
});
