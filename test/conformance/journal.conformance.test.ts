/**
 * One conformance suite for every journal backend (SQLite, PostgreSQL): the same cases through
 * the same `Journal` interface, with each backend's own way of failing a write at the storage
 * layer and of altering a stored record. Invariants: a gapless sequence that replays to the
 * same state; an intent is durable before it is sent; a journal refuses another account and a
 * second writer of one owner; a failed write leaves nothing half-written and nothing is sent;
 * a damaged record is reported with its number and the journal is not written.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { AccountState } from '../../src/core/account.ts';
import { KestrelError } from '../../src/core/errors.ts';
import { createClientIdGenerator } from '../../src/core/ids.ts';
import { AccountProcessor } from '../../src/engine/account-processor.ts';
import { SimulatedClock } from '../../src/engine/clock.ts';
import { silentLogger } from '../../src/engine/logger.ts';
import { TradingManager } from '../../src/engine/trading-manager.ts';
import type { Journal, JournalIdentity } from '../../src/journal/journal.ts';
import { parseJournalLocation } from '../../src/journal/location.ts';
import { openJournal } from '../../src/journal/open.ts';
import { BTC_PERP, ETH_PERP } from '../helpers/instruments.ts';
import { ScriptedBroker } from '../helpers/scripted-broker.ts';
import type { RunningServer } from '../helpers/servers.ts';
import { queryPostgres, startPostgres, whyNoPostgres } from '../helpers/servers.ts';
import { until } from '../helpers/wait.ts';

const identity: JournalIdentity = { exchange: 'TEST', account: 'acct-1' };

/** A place for one journal, and the storage-level handles a test needs on it */
interface Place {
  /** What `--journal` takes */
  readonly location: string;
  /** Makes every write fail at the storage layer until the returned function is called */
  blockWrites(): Promise<() => Promise<void>>;
  /** Alters the stored body of one record of an owner */
  tamper(owner: string, seq: number): Promise<void>;
  /** How many stored records of an owner mention a text, asked synchronously (from a venue reply) */
  count(owner: string, text: string): number;
}

interface Backend {
  readonly name: string;
  /** Why it cannot run here, when it cannot */
  readonly skip: () => string | undefined;
  place(): Promise<Place>;
}

let server: RunningServer | undefined;

function hasPsql(): boolean {
  try {
    execFileSync('psql', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
let schemas = 0;

const backends: Backend[] = [
  {
    name: 'sqlite',
    skip: () => undefined,
    async place() {
      const file = join(mkdtempSync(join(tmpdir(), 'kestrel-conf-')), 'journal.sqlite');
      const raw = <T>(use: (db: Database.Database) => T): T => {
        const db = new Database(file);
        try {
          return use(db);
        } finally {
          db.close();
        }
      };
      return {
        location: file,
        async blockWrites() {
          const blocker = new Database(file);
          blocker.exec('BEGIN IMMEDIATE');
          return async () => {
            blocker.exec('ROLLBACK');
            blocker.close();
          };
        },
        async tamper(_owner, seq) {
          raw((db) => db.prepare("UPDATE entries SET body = body || ' ' WHERE seq = ?").run(seq));
        },
        count(_owner, text) {
          return raw(
            (db) =>
              (
                db
                  .prepare('SELECT count(*) AS n FROM entries WHERE body LIKE ?')
                  .get(`%${text}%`) as {
                  n: number;
                }
              ).n,
          );
        },
      };
    },
  },
  {
    name: 'postgres',
    skip: () =>
      server === undefined
        ? (whyNoPostgres() ?? 'PostgreSQL did not start')
        : hasPsql()
          ? undefined
          : 'psql is not installed (it comes with postgresql)',
    async place() {
      const schema = `conformance_${process.pid}_${++schemas}`;
      const url = `${server?.url}?schema=${schema}`;
      const sql = <T>(text: string, params: unknown[] = []): Promise<T[]> =>
        queryPostgres<T>(server?.url, text, params);
      return {
        location: url,
        async blockWrites() {
          // The database itself refuses every new record (NOT VALID: old rows are not checked)
          await sql(
            `ALTER TABLE "${schema}".entries ADD CONSTRAINT blocked CHECK (seq < 0) NOT VALID`,
          );
          return async () => {
            await sql(`ALTER TABLE "${schema}".entries DROP CONSTRAINT blocked`);
          };
        },
        async tamper(owner, seq) {
          await sql(
            `UPDATE "${schema}".entries SET body = body || ' ' WHERE owner = $1 AND seq = $2`,
            [owner, seq],
          );
        },
        count(owner, text) {
          // psql answers synchronously, so the count is the one at the moment of asking
          const out = execFileSync(
            'psql',
            [
              '-tA',
              server?.url ?? '',
              '-c',
              `SELECT count(*) FROM "${schema}".entries WHERE owner = '${owner}' AND body LIKE '%${text}%'`,
            ],
            { encoding: 'utf8' },
          );
          return Number(out.trim());
        },
      };
    },
  },
];

function open(location: string, owner = 'k', who: JournalIdentity = identity): Promise<Journal> {
  return openJournal({
    location: parseJournalLocation(location),
    identity: who,
    owner,
    clientIdTag: 'cf',
    giveUpAfterMs: 60_000,
  });
}

async function trader(journal: Journal, broker = new ScriptedBroker({ numericIndexes: true })) {
  const clock = new SimulatedClock(1_700_000_000_000);
  const account = await AccountProcessor.open({
    exchange: 'TEST',
    clock,
    logger: silentLogger,
    journal,
  });
  const trading = new TradingManager({
    brokers: [broker],
    account,
    clock,
    logger: silentLogger,
    ids: createClientIdGenerator({ instanceTag: 'cf', counterStart: 0 }),
  });
  return { account, trading, broker };
}

function summary(state: AccountState) {
  return {
    orders: [...state.orders.values()].map((o) => [
      o.clientId,
      o.status,
      o.filledQuantity,
      o.venueOrderId,
    ]),
    positions: [...state.positions.values()].map((p) => [p.instrument.symbol, p.quantity]),
    balances: [...state.balances.values()].map((b) => [b.currency, b.total]),
  };
}

async function seqs(journal: Journal): Promise<number[]> {
  const out: number[] = [];
  for await (const entry of journal.entries()) out.push(entry.seq);
  return out;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

for (const backend of backends) {
  describe(`journal conformance: ${backend.name}`, () => {
    const maybe = (name: string, fn: () => Promise<void>) =>
      it(name, async (t) => {
        const why = backend.skip();
        if (why !== undefined) {
          t.skip(why);
          return;
        }
        await fn();
      });

    maybe('a gapless sequence that replays to the same state', async () => {
      const place = await backend.place();
      const journal = await open(place.location);
      const { account, trading, broker } = await trader(journal);
      account.apply({
        type: 'balanceUpdated',
        exchange: 'TEST',
        balances: [{ currency: 'USDT', total: 1000, free: 1000, locked: 0 }],
        time: 0,
      });
      const a = trading.tradeAsync(BTC_PERP, 0.02, 64000);
      const b = trading.tradeAsync(ETH_PERP, -1, 3000);
      await tick();
      broker.emitAccepted(a);
      broker.emitFill(a, 0.01, 64000, 'MAKER', 'fill-1');
      broker.emitAccepted(b);
      await trading.cancelOrder(b);
      broker.emitCanceled(b);
      await account.durable();
      const before = summary(account.state);
      await journal.close();

      const again = await open(place.location);
      const restored = await AccountProcessor.open({
        exchange: 'TEST',
        clock: new SimulatedClock(0),
        logger: silentLogger,
        journal: again,
      });
      assert.deepEqual(summary(restored.state), before);
      const numbers = await seqs(again);
      assert.deepEqual(
        numbers,
        Array.from({ length: numbers.length }, (_, i) => i + 1),
      );
      assert.deepEqual(again.opening.damage, []);
      assert.equal(again.opening.clientIdTag, 'cf', 'the owner keeps its instance tag');
      await again.close();
    });

    maybe('an intent is durable before it is sent', async () => {
      const place = await backend.place();
      const seen: number[] = [];
      const broker = new ScriptedBroker({
        reply: (request) => {
          seen.push(place.count('k', request.clientId));
          return 'accept';
        },
      });
      const journal = await open(place.location);
      const { trading } = await trader(journal, broker);
      await trading.trade(BTC_PERP, 0.01, 64000);
      await trading.submitOrders([
        { instrument: BTC_PERP, amount: 0.01, price: 63000 },
        { instrument: BTC_PERP, amount: 0.01, price: 63001 },
      ]);
      assert.deepEqual(seen, [1, 1, 1]);
      await journal.close();
    });

    maybe('a journal of another account is refused, and nothing is written', async () => {
      const place = await backend.place();
      const journal = await open(place.location);
      journal.append({
        type: 'balanceUpdated',
        exchange: 'TEST',
        balances: [{ currency: 'USDT', total: 1, free: 1, locked: 0 }],
        time: 0,
      });
      await journal.close();
      await assert.rejects(open(place.location, 'k', { exchange: 'TEST', account: 'other' }), {
        code: 'INVALID_CONFIG',
        message: /is the journal of TEST account acct-1, not of TEST account other/,
      });
      const again = await open(place.location);
      assert.equal(again.opening.entries, 1);
      await again.close();
    });

    maybe('one writer per owner: a second is refused, naming the holder', async () => {
      const place = await backend.place();
      const first = await open(place.location);
      await assert.rejects(open(place.location), (error: unknown) => {
        assert.ok(error instanceof KestrelError);
        assert.equal(error.code, 'JOURNAL_LOCKED');
        assert.match(error.message, new RegExp(`pid ${process.pid} on `));
        return true;
      });
      await first.close();
      const second = await open(place.location);
      await second.close();
    });

    maybe('a failed write leaves nothing half-written and the orders are not sent', async () => {
      const place = await backend.place();
      const journal = await open(place.location);
      const { trading, broker, account } = await trader(journal);
      await trading.trade(BTC_PERP, 0.01, 64000);
      const unblock = await place.blockWrites();
      const orders = await trading.submitOrders([
        { instrument: BTC_PERP, amount: 0.01, price: 63000 },
        { instrument: BTC_PERP, amount: 0.01, price: 62000 },
      ]);
      assert.deepEqual(
        orders.map((o) => o.status),
        ['REJECTED', 'REJECTED'],
      );
      assert.equal(
        broker.wire.filter((m) => m.op !== 'cancel').length,
        1,
        'only the first went out',
      );
      for (const order of orders)
        assert.equal(place.count('k', order.clientId), 0, 'not even one of the batch');
      assert.throws(() => trading.tradeAsync(BTC_PERP, 0.01, 61000), { code: 'JOURNAL_FAILED' });
      await unblock();
      await until(() => account.journalHealth.state === 'ok', 'the retry', 30_000);
      await journal.close();
      const again = await open(place.location);
      const numbers = await seqs(again);
      assert.deepEqual(
        numbers,
        Array.from({ length: numbers.length }, (_, i) => i + 1),
      );
      const restored = await AccountProcessor.open({
        exchange: 'TEST',
        clock: new SimulatedClock(0),
        logger: silentLogger,
        journal: again,
      });
      for (const order of orders)
        assert.equal(restored.findOrder(order.clientId)?.status, 'REJECTED');
      await again.close();
    });

    maybe(
      'a damaged record is reported with its number and the journal is not written',
      async () => {
        const place = await backend.place();
        const journal = await open(place.location);
        for (let i = 1; i <= 5; i++)
          journal.append({
            type: 'balanceUpdated',
            exchange: 'TEST',
            balances: [{ currency: 'USDT', total: i, free: i, locked: 0 }],
            time: i,
          });
        await journal.close();
        await place.tamper('k', 3);
        await assert.rejects(open(place.location), {
          code: 'JOURNAL_DAMAGED',
          message: /entry 3: fails its checksum/,
        });
      },
    );
  });
}
