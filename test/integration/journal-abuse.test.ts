/**
 * The journal attacked: damage mid-file, a missing entry, a garbled page, a truncated file, a
 * non-database file, a torn tail, a write failure injected at the storage layer. Invariants:
 * no valid record is ever deleted, each damage is reported with its sequence range, a damaged
 * journal is not written until repaired, and `repair` keeps every valid record.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { exitCodeOf } from '../../src/cli/exit-codes.ts';
import type { Io } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { KestrelError } from '../../src/core/errors.ts';
import { createClientIdGenerator } from '../../src/core/ids.ts';
import { createOrderRequest } from '../../src/core/order-request.ts';
import { AccountProcessor } from '../../src/engine/account-processor.ts';
import { SimulatedClock, systemClock } from '../../src/engine/clock.ts';
import { HealthMonitor } from '../../src/engine/health-monitor.ts';
import { silentLogger } from '../../src/engine/logger.ts';
import { TradingManager } from '../../src/engine/trading-manager.ts';
import { describeDamage } from '../../src/journal/integrity.ts';
import { SqliteJournal } from '../../src/journal/sqlite-journal.ts';
import { checkJournal } from '../../src/journal/sqlite-repair.ts';
import { readJournal } from '../../src/runtime/journal-view.ts';
import { runLive } from '../../src/runtime/live.ts';
import type { Strategy } from '../../src/runtime/strategy.ts';
import { BTC_PERP } from '../helpers/instruments.ts';
import { syntheticBtcPaperVenue } from '../helpers/paper.ts';
import { ScriptedBroker } from '../helpers/scripted-broker.ts';
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
      view.damage.map((d) => [d.kind, d.from, d.to]),
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
    const damage = view.damage;
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
    const damage = readJournal(file).damage;
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

  it('a write failure at the storage layer: intents halted and refused, retried, no hole', async () => {
    const file = tempFile();
    const journal = new SqliteJournal({ path: file, identity, giveUpAfterMs: 60_000 });
    const clock = new SimulatedClock(1_700_000_000_000);
    const account = await AccountProcessor.open({
      exchange: 'TEST',
      clock,
      logger: silentLogger,
      journal,
    });
    const broker = new ScriptedBroker();
    const health = new HealthMonitor({ clock });
    const trading = new TradingManager({
      brokers: [broker],
      account,
      clock,
      logger: silentLogger,
      health,
      ids: createClientIdGenerator({ instanceTag: 'wf', counterStart: 0 }),
    });
    const first = await trading.trade(BTC_PERP, 0.01, 64000);
    assert.equal(first.status, 'OPEN');

    // Another connection holds SQLite's write lock: every write of the journal fails
    const blocker = new Database(file);
    blocker.exec('BEGIN IMMEDIATE');
    const caught = await trading.trade(BTC_PERP, 0.01, 63000);
    assert.equal(caught.status, 'REJECTED', 'an intent that could not be recorded is not sent');
    assert.match(caught.reason ?? '', /^JOURNAL_FAILED: not sent/);
    assert.equal(broker.wire.filter((m) => m.op === 'send').length, 1);
    const counts = health.snapshot().exchanges.find((e) => e.exchange === 'TEST')?.counts;
    assert.deepEqual(
      [counts?.submitted, counts?.accepted, counts?.rejected],
      [1, 1, 0],
      'a refusal here is no submit to, and no rejection by, the venue',
    );
    assert.equal(journal.health.state, 'failing');
    assert.throws(() => trading.tradeAsync(BTC_PERP, 0.01, 62000), {
      code: 'JOURNAL_FAILED',
      message: /new orders are refused until the journal can record them.*database is locked/,
    });
    // Venue events still apply (and queue behind the failed write); a cancel still goes out
    broker.emitFill(first.clientId, 0.004, 64000, 'MAKER', 'fill-1');
    await trading.cancelOrder(first.clientId);
    assert.ok(broker.wire.some((m) => m.op === 'cancel' && m.clientId === first.clientId));

    blocker.exec('COMMIT');
    blocker.close();
    await until(() => journal.health.state === 'ok', 'the retry to succeed', 30_000);
    const after = await trading.trade(BTC_PERP, 0.01, 61000);
    assert.equal(after.status, 'OPEN', 'trading resumes once the journal writes');
    await journal.close();

    const reopened = new SqliteJournal({ path: file, identity });
    assert.deepEqual(reopened.opening.damage, [], 'no hole in the sequence');
    const restored = await AccountProcessor.open({
      exchange: 'TEST',
      clock,
      logger: silentLogger,
      journal: reopened,
    });
    assert.equal(restored.findOrder(caught.clientId)?.status, 'REJECTED');
    assert.equal(restored.findOrder(first.clientId)?.filledQuantity, 0.004);
    assert.equal(restored.findOrder(first.clientId)?.status, 'PENDING_CANCEL');
    assert.equal(restored.findOrder(after.clientId)?.status, 'OPEN');
    await reopened.close();
  });

  it('a journal that stays unwritable: declared failed, and a restart loses nothing durable', async () => {
    const file = tempFile();
    const journal = new SqliteJournal({ path: file, identity, giveUpAfterMs: 200 });
    const balance = (total: number) =>
      ({
        type: 'balanceUpdated',
        exchange: 'TEST',
        balances: [{ currency: 'USDT', total, free: total, locked: 0 }],
        time: total,
      }) as const;
    for (let i = 1; i <= 5; i++) journal.append(balance(i));
    await journal.durable();
    const blocker = new Database(file);
    blocker.exec('BEGIN IMMEDIATE');
    journal.append(balance(6));
    journal.append(balance(7));
    await until(() => journal.health.state === 'failed', 'the journal to give up', 30_000);
    await assert.rejects(journal.close(), {
      code: 'JOURNAL_FAILED',
      message: /2 entries \(from 6\) could not be written/,
    });
    blocker.exec('ROLLBACK');
    blocker.close();
    assert.deepEqual(seqsOf(file), range(1, 5), 'every entry acknowledged as durable is there');
    assert.deepEqual(checkJournal(file).damage, []);
  });

  it('a live run whose journal stays unwritable stops with a clear error after canceling', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-abuse-live-'));
    const file = join(dir, 'run.journal');
    const venue = syntheticBtcPaperVenue({
      durationMs: 3_600_000,
      seed: 3,
      logger: silentLogger,
      speed: 10,
    });
    const refusals: string[] = [];
    let resting: string | undefined;
    const strategy: Strategy = {
      name: 'rests-then-keeps-asking',
      onQuote(quote, ctx) {
        try {
          if (resting === undefined)
            resting = ctx.tradeAsync(quote.instrument, 0.001, quote.bid * 0.9);
          else if (blocker !== undefined) ctx.tradeAsync(quote.instrument, 0.001, quote.bid * 0.8);
        } catch (error) {
          refusals.push((error as KestrelError).code ?? String(error));
        }
      },
    };
    let blocker: Database.Database | undefined;
    const run = runLive({
      strategy,
      venue,
      clock: systemClock,
      logger: silentLogger,
      journalPath: file,
      journalGiveUpMs: 300,
      durationMs: 120_000,
    });
    await until(() => venue.venue.openOrders().length > 0, 'the resting order', 30_000);
    blocker = new Database(file);
    blocker.exec('BEGIN IMMEDIATE');
    const error = await run.then(
      () => assert.fail('the run should stop'),
      (e: unknown) => e,
    );
    blocker.exec('ROLLBACK');
    blocker.close();
    assert.ok(error instanceof KestrelError);
    assert.equal(error.code, 'JOURNAL_FAILED');
    assert.match(error.message, /^stopped: journal .* cannot be written \(database is locked\)/);
    assert.equal(exitCodeOf(error), 6);
    assert.equal(venue.venue.openOrders().length, 0, 'what it could reach was canceled');
    assert.ok(refusals.includes('JOURNAL_FAILED'), 'the strategy heard why, as a typed refusal');
    assert.deepEqual(checkJournal(file).damage, [], 'no hole, no half-written record');
  });

  it('two writers: the second is refused at start, naming the holder', async () => {
    const file = tempFile();
    const first = new SqliteJournal({ path: file, identity });
    assert.throws(
      () => new SqliteJournal({ path: file, identity }),
      (error: unknown) =>
        error instanceof KestrelError &&
        error.code === 'JOURNAL_LOCKED' &&
        error.message.includes(`is being written by pid ${process.pid} on ${hostname()}`) &&
        exitCodeOf(error) === 2,
    );
    const repair = await kestrel(['journal', 'repair', file]);
    assert.equal(repair.code, 2, 'repair never runs beside a writer');
    assert.match(repair.stderr, new RegExp(`being written by pid ${process.pid}`));
    assert.equal(repair.stderr.trim().split('\n').length, 1);
    await first.close();
    const second = new SqliteJournal({ path: file, identity });
    assert.equal(second.opening.tookOverFrom, undefined, 'a released lock is not a stale one');
    await second.close();
  });

  it('a stale lock from a killed process is taken over; a live one is not', async () => {
    const file = tempFile();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'journal-writer-child.ts'), file],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await until(
        () => out.includes('ready') || child.exitCode !== null,
        'the child to hold the journal',
        60_000,
      );
      assert.ok(out.includes('ready'));
      assert.throws(() => new SqliteJournal({ path: file, identity }), {
        code: 'JOURNAL_LOCKED',
        message: new RegExp(`being written by pid ${child.pid} on ${hostname()}`),
      });
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const taken = new SqliteJournal({ path: file, identity });
    assert.match(taken.opening.tookOverFrom ?? '', new RegExp(`^pid ${child.pid} on `));
    assert.equal(taken.opening.entries, 1, 'what the dead writer made durable is there');
    await taken.close();
  });
});
