import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BTC_PERP, ETH_PERP } from '../../test/helpers/instruments.ts';
import { ScriptedBroker } from '../../test/helpers/scripted-broker.ts';
import type { AccountState } from '../core/account.ts';
import { createClientIdGenerator } from '../core/ids.ts';
import { AccountProcessor } from '../engine/account-processor.ts';
import { SimulatedClock } from '../engine/clock.ts';
import { createMemoryLogger } from '../engine/logger.ts';
import { TradingManager } from '../engine/trading-manager.ts';
import { SqliteJournal } from './sqlite-journal.ts';

const identity = { exchange: 'TEST', account: 'acct-1' };

function path(): string {
  return join(mkdtempSync(join(tmpdir(), 'kestrel-journal-')), 'journal.sqlite');
}

function summary(state: AccountState) {
  return {
    orders: [...state.orders.values()].map((o) => [
      o.clientId,
      o.status,
      o.filledQuantity,
      o.averageFillPrice,
      o.venueOrderId,
      o.transitions.length,
    ]),
    positions: [...state.positions.values()].map((p) => [
      p.instrument.symbol,
      p.quantity,
      p.averagePrice,
      p.realizedPnl,
      p.commissions,
    ]),
    balances: [...state.balances.values()].map((b) => [b.currency, b.total]),
    correlation: [...state.byCorrelationKey.keys()],
    seen: state.seen.size,
  };
}

/** A TradingManager over a scripted venue whose account journals to `file` */
function journaled(file: string, broker = new ScriptedBroker({ numericIndexes: true })) {
  const clock = new SimulatedClock(1_700_000_000_000);
  const logger = createMemoryLogger();
  const journal = new SqliteJournal({ path: file, identity });
  const account = new AccountProcessor({ exchange: 'TEST', clock, logger, journal });
  const trading = new TradingManager({
    brokers: [broker],
    account,
    clock,
    logger,
    ids: createClientIdGenerator({ instanceTag: 'jr', counterStart: 0 }),
  });
  return { clock, journal, account, trading, broker };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SqliteJournal', () => {
  it('rebuilds orders, positions, balances, correlation keys and dedup memory by replay', async () => {
    const file = path();
    const first = journaled(file);
    first.account.apply({
      type: 'balanceUpdated',
      exchange: 'TEST',
      balances: [{ currency: 'USDT', total: 1000, free: 1000, locked: 0 }],
      time: 0,
    });
    const a = first.trading.tradeAsync(BTC_PERP, 0.02, 64000);
    const b = first.trading.tradeAsync(ETH_PERP, -1, 3000);
    await tick();
    first.broker.emitAccepted(a);
    first.broker.emitFill(a, 0.01, 64000, 'MAKER', 'fill-1');
    first.broker.emitAccepted(b);
    await first.trading.cancelOrder(b);
    first.broker.emitCanceled(b);
    await tick();
    const before = summary(first.account.state);
    first.journal.close();

    const again = new SqliteJournal({ path: file, identity });
    assert.equal(again.opening.droppedTail, 0);
    const restored = new AccountProcessor({
      exchange: 'TEST',
      clock: new SimulatedClock(0),
      logger: createMemoryLogger(),
      journal: again,
    });
    assert.deepEqual(summary(restored.state), before);
    assert.equal(restored.findOrder(a)?.correlationKey, '1');
    // The same fill delivered again after the restart books nothing
    restored.apply({
      type: 'orderFilled',
      exchange: 'TEST',
      correlationKey: '1',
      fill: {
        tradeId: 'fill-1' as never,
        instrument: BTC_PERP,
        side: 'BUY',
        quantity: 0.01,
        price: 64000,
        liquidity: 'MAKER',
        time: 1,
      },
      time: 1,
    });
    assert.equal(restored.getPosition(BTC_PERP).quantity, 0.01);
    again.close();
  });

  it('never sends an intent before the journal holds it', async () => {
    const file = path();
    const reader = () => new Database(file, { readonly: true });
    const seenAtSend: number[] = [];
    const broker = new ScriptedBroker({
      reply: (request) => {
        const db = reader();
        const rows = db
          .prepare('SELECT count(*) AS n FROM entries WHERE body LIKE ?')
          .get(`%${request.clientId}%`) as { n: number };
        db.close();
        seenAtSend.push(rows.n);
        return 'accept';
      },
    });
    const { trading, journal } = journaled(file, broker);
    trading.tradeAsync(BTC_PERP, 0.01, 64000);
    assert.equal(broker.wire.length, 0, 'not sent in the same synchronous stretch');
    await trading.trade(BTC_PERP, 0.01, 64000);
    await trading.submitOrders([
      { instrument: BTC_PERP, amount: 0.01, price: 63000 },
      { instrument: BTC_PERP, amount: 0.01, price: 63001 },
    ]);
    assert.deepEqual(
      seenAtSend,
      [1, 1, 1, 1],
      'each request was in the journal when the venue got it',
    );
    journal.close();
  });

  it('finds a corrupt tail, reports it and keeps the valid prefix', async () => {
    const file = path();
    const { trading, journal, account } = journaled(
      file,
      new ScriptedBroker({ reply: () => 'silent' }),
    );
    for (let i = 0; i < 5; i++) trading.tradeAsync(BTC_PERP, 0.01, 64000 + i);
    await account.durable();
    journal.close();
    const db = new Database(file);
    db.prepare('UPDATE entries SET body = substr(body, 1, 20) WHERE seq = 4').run();
    db.close();

    const reopened = new SqliteJournal({ path: file, identity });
    assert.equal(reopened.opening.entries, 3);
    assert.equal(reopened.opening.droppedTail, 2);
    assert.match(reopened.opening.problem ?? '', /entry 4 fails its checksum/);
    const restored = new AccountProcessor({
      exchange: 'TEST',
      clock: new SimulatedClock(0),
      logger: createMemoryLogger(),
      journal: reopened,
    });
    assert.equal(restored.getOrders().length, 3);
    // Appends continue the sequence after the valid prefix
    restored.apply({
      type: 'balanceUpdated',
      exchange: 'TEST',
      balances: [{ currency: 'USDT', total: 5, free: 5, locked: 0 }],
      time: 1,
    });
    reopened.close();
    const last = new SqliteJournal({ path: file, identity });
    assert.equal(last.opening.entries, 4);
    assert.equal(last.opening.droppedTail, 0);
    last.close();
  });

  it('finds a gap where a write was torn', async () => {
    const file = path();
    const { trading, journal, account } = journaled(
      file,
      new ScriptedBroker({ reply: () => 'silent' }),
    );
    for (let i = 0; i < 4; i++) trading.tradeAsync(BTC_PERP, 0.01, 64000 + i);
    await account.durable();
    journal.close();
    const db = new Database(file);
    db.prepare('DELETE FROM entries WHERE seq = 2').run();
    db.close();
    const reopened = new SqliteJournal({ path: file, identity });
    assert.equal(reopened.opening.entries, 1);
    assert.match(reopened.opening.problem ?? '', /entry 2 is missing \(next is 3\)/);
    reopened.close();
  });

  it('refuses a journal of another account, and a file that is not a journal', () => {
    const file = path();
    new SqliteJournal({ path: file, identity }).close();
    assert.throws(
      () =>
        new SqliteJournal({ path: file, identity: { exchange: 'TEST', account: 'someone-else' } }),
      {
        code: 'INVALID_CONFIG',
        message: /is the journal of TEST account acct-1, not of TEST account someone-else/,
      },
    );
    const garbage = path();
    writeFileSync(
      garbage,
      'this is not a database, just text that happens to be long enough to matter'.repeat(50),
    );
    assert.throws(() => new SqliteJournal({ path: garbage, identity }), { code: 'INVALID_DATA' });
  });

  it('rejects orders locally, unsent, when the journal cannot write', async () => {
    const file = path();
    const { trading, journal, broker, account } = journaled(file);
    journal.close();
    const order = await trading.trade(BTC_PERP, 0.01, 64000);
    assert.equal(order.status, 'REJECTED');
    assert.match(order.reason ?? '', /^JOURNAL_FAILED: not sent/);
    assert.equal(broker.wire.length, 0);
    assert.equal(account.getOrders().length, 0);
  });

  it('gives the same state on every replay of the same journal', async () => {
    const file = path();
    const { trading, journal, broker } = journaled(file);
    const ids = Array.from({ length: 30 }, (_, i) =>
      trading.tradeAsync(i % 2 ? BTC_PERP : ETH_PERP, i % 3 ? 0.01 : -0.01, i % 2 ? 64000 : 3000),
    );
    await tick();
    ids.forEach((id, i) => {
      broker.emitAccepted(id);
      if (i % 3 === 0) broker.emitFill(id, 0.01, i % 2 ? 64000 : 3000);
      if (i % 4 === 0) broker.emitCanceled(id);
    });
    await tick();
    journal.close();
    const replay = () => {
      const j = new SqliteJournal({ path: file, identity });
      const p = new AccountProcessor({
        exchange: 'TEST',
        clock: new SimulatedClock(0),
        logger: createMemoryLogger(),
        journal: j,
      });
      const s = summary(p.state);
      j.close();
      return s;
    };
    assert.deepEqual(replay(), replay());
  });
});
