/**
 * The PostgreSQL journal through the command line: bad input gives a one-line error naming it
 * and exit 2 or 5 with nothing written; several owners share one journal and `kestrel orders`
 * shows each one's orders by owner; a connection the server drops is taken up again, gapless.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Io } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { createClientIdGenerator } from '../../src/core/ids.ts';
import { AccountProcessor } from '../../src/engine/account-processor.ts';
import { SimulatedClock } from '../../src/engine/clock.ts';
import { silentLogger } from '../../src/engine/logger.ts';
import { TradingManager } from '../../src/engine/trading-manager.ts';
import type { Journal, JournalIdentity } from '../../src/journal/journal.ts';
import { parseJournalLocation } from '../../src/journal/location.ts';
import { openJournal } from '../../src/journal/open.ts';
import { BTC_PERP } from '../helpers/instruments.ts';
import { ScriptedBroker } from '../helpers/scripted-broker.ts';
import type { RunningServer } from '../helpers/servers.ts';
import { freePort, queryPostgres, startPostgres, whyNoPostgres } from '../helpers/servers.ts';
import { until } from '../helpers/wait.ts';

let server: RunningServer | undefined;
let schemas = 0;

before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

function url(schema: string, extra = ''): string {
  return `${server?.url}?schema=${schema}${extra}`;
}

function sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
  return queryPostgres<T>(server?.url, text, params);
}

async function rows(schema: string): Promise<number> {
  const result = await sql<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".entries`);
  return Number(result[0]?.n);
}

async function kestrel(args: readonly string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    cwd: mkdtempSync(join(tmpdir(), 'kestrel-pg-cli-')),
    isTTY: false,
    columns: 100,
  };
  const code = await main(args, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** `kestrel run` on the paper venue with a journal, as far as opening it */
function run(journal: string) {
  return kestrel(['run', '--venue', 'paper', '--duration', '1s', '--quiet', '--journal', journal]);
}

function open(location: string, owner: string, identity: JournalIdentity): Promise<Journal> {
  return openJournal({
    location: parseJournalLocation(location),
    identity,
    owner,
    clientIdTag: owner === 'ka' ? 'aa' : 'bb',
  });
}

const paper: JournalIdentity = { exchange: 'paper', account: 'default' };

describe('PostgreSQL journal', () => {
  const maybe = (name: string, fn: () => Promise<void>) =>
    it(name, async (t) => {
      if (server === undefined) {
        t.skip(whyNoPostgres() ?? 'PostgreSQL did not start');
        return;
      }
      await fn();
    });

  maybe('bad input: one line naming it, exit 2 or 5, nothing written', async () => {
    const malformed = await run('postgres://postgres:secret@127.0.0.1:99999999/db');
    assert.equal(malformed.code, 2, malformed.stderr);
    assert.match(
      malformed.stderr,
      /^kestrel run: journal URL postgres:\/\/postgres:\*\*\*@.* is malformed/,
    );
    assert.doesNotMatch(malformed.stderr, /secret/);
    const noDatabase = await run('postgres://127.0.0.1:5432');
    assert.equal(noDatabase.code, 2);
    assert.match(noDatabase.stderr, /must name one database/);

    const port = await freePort();
    const unreachable = await run(`postgres://postgres:secret@127.0.0.1:${port}/postgres`);
    assert.equal(unreachable.code, 5, unreachable.stderr);
    assert.match(
      unreachable.stderr,
      new RegExp(`127\\.0\\.0\\.1:${port}/postgres: cannot connect`),
    );
    assert.doesNotMatch(unreachable.stderr, /secret/);

    const other = `s${++schemas}`;
    const theirs = await open(url(other), 'k', { exchange: 'paper', account: 'someone-else' });
    await theirs.close();
    const refused = await run(url(other));
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /is the journal of paper account someone-else, not of paper account default/,
    );
    assert.equal(await rows(other), 0, 'nothing written');

    const shared = `s${++schemas}`;
    const holder = await open(url(shared), 'k', paper);
    const duplicate = await run(url(shared));
    assert.equal(duplicate.code, 2, duplicate.stderr);
    assert.match(
      duplicate.stderr,
      new RegExp(`owner k of journal .* is held by pid ${process.pid} on `),
    );
    assert.equal(await rows(shared), 0, 'nothing written');
    await holder.close();

    for (const result of [malformed, noDatabase, unreachable, refused, duplicate])
      assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
  });

  maybe('several owners on one journal: each its own sequence, orders shown by owner', async () => {
    const schema = `s${++schemas}`;
    const placed: Record<string, string[]> = {};
    const account = { exchange: BTC_PERP.exchange, account: 'acct' };
    const journals = [
      await open(url(schema), 'ka', account),
      await open(url(schema), 'kb', account),
    ];
    for (const journal of journals) {
      const clock = new SimulatedClock(1_700_000_000_000);
      const processor = await AccountProcessor.open({
        exchange: BTC_PERP.exchange,
        clock,
        logger: silentLogger,
        journal,
      });
      const owner = journal.opening.owner;
      const trading = new TradingManager({
        brokers: [new ScriptedBroker()],
        account: processor,
        clock,
        logger: silentLogger,
        ids: createClientIdGenerator({
          prefix: owner,
          instanceTag: journal.opening.clientIdTag ?? 'x',
          counterStart: 0,
        }),
      });
      placed[owner] = [
        (await trading.trade(BTC_PERP, 0.01, 64000)).clientId,
        (await trading.trade(BTC_PERP, -0.01, 65000)).clientId,
      ];
    }
    await Promise.all(journals.map((j) => j.close()));
    const orders = await kestrel(['orders', '--journal', url(schema), '--json']);
    assert.equal(orders.code, 0, orders.stderr);
    const shown = JSON.parse(orders.stdout) as Array<{ owner: string; clientId: string }>;
    assert.deepEqual(
      shown.map((o) => [o.owner, o.clientId]).sort(),
      Object.entries(placed)
        .flatMap(([owner, ids]) => ids.map((id) => [owner, id]))
        .sort(),
    );
    const table = await kestrel(['orders', '--journal', url(schema)]);
    assert.match(table.stdout, /^owner\s+created\s+clientId/);
    assert.match(table.stdout, /\nka\s+\S+\s+kaaa-1/);
    assert.match(table.stdout, /\nkb\s+\S+\s+kbbb-1/);
    const owners = await sql<{ owner: string; instance_tag: string }>(
      `SELECT owner, instance_tag FROM "${schema}".owners ORDER BY owner`,
    );
    assert.deepEqual(
      owners.map((o) => [o.owner, o.instance_tag]),
      [
        ['ka', 'aa'],
        ['kb', 'bb'],
      ],
    );
  });

  maybe('a connection the server drops: the write is retried on a new one, gapless', async () => {
    const schema = `s${++schemas}`;
    const journal = await open(url(schema), 'ka', paper);
    const balance = (total: number) =>
      ({
        type: 'balanceUpdated',
        exchange: 'paper',
        balances: [{ currency: 'USDT', total, free: total, locked: 0 }],
        time: total,
      }) as const;
    journal.append(balance(1));
    await journal.durable();
    await sql(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'kestrel-journal'",
    );
    journal.append(balance(2));
    await journal.durable().catch(() => {});
    journal.append(balance(3));
    await until(
      () => journal.health.state === 'ok' && journal.opening !== undefined,
      'the retry',
      30_000,
    );
    await journal.durable();
    await journal.close();
    const seqs = await sql<{ seq: string }>(
      `SELECT seq FROM "${schema}".entries WHERE owner = 'ka' ORDER BY seq`,
    );
    assert.deepEqual(
      seqs.map((r) => Number(r.seq)),
      [1, 2, 3],
    );
  });
});
