import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
async function journaled(file: string, broker = new ScriptedBroker({ numericIndexes: true })) {
  const clock = new SimulatedClock(1_700_000_000_000);
  const logger = createMemoryLogger();
  const journal = new SqliteJournal({ path: file, identity });
  const account = await AccountProcessor.open({ exchange: 'TEST', clock, logger, journal });
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
    const first = await journaled(file);
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
    await first.journal.close();

    const again = new SqliteJournal({ path: file, identity });
    assert.deepEqual(again.opening.damage, []);
    const restored = await AccountProcessor.open({
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
    await again.close();
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
    const { trading, journal } = await journaled(file, broker);
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
    await journal.close();
  });

  it('cuts an incomplete last record, keeps it aside, and continues the sequence', async () => {
    const file = path();
    const { trading, journal, account } = await journaled(
      file,
      new ScriptedBroker({ reply: () => 'silent' }),
    );
    for (let i = 0; i < 5; i++) trading.tradeAsync(BTC_PERP, 0.01, 64000 + i);
    await account.durable();
    await journal.close();
    const db = new Database(file);
    db.prepare('UPDATE entries SET body = substr(body, 1, 20) WHERE seq = 5').run();
    db.close();

    const reader = new SqliteJournal({ path: file, identity, readOnly: true });
    assert.deepEqual(
      reader.opening.damage.map((d) => [d.kind, d.from, d.to]),
      [['torn', 5, 5]],
    );
    await reader.close();
    const reopened = new SqliteJournal({ path: file, identity });
    assert.equal(reopened.opening.entries, 4);
    const restored = await AccountProcessor.open({
      exchange: 'TEST',
      clock: new SimulatedClock(0),
      logger: createMemoryLogger(),
      journal: reopened,
    });
    assert.equal(restored.getOrders().length, 4);
    restored.apply({
      type: 'balanceUpdated',
      exchange: 'TEST',
      balances: [{ currency: 'USDT', total: 5, free: 5, locked: 0 }],
      time: 1,
    });
    await reopened.close();
    const aside = readFileSync(`${file}.damaged.jsonl`, 'utf8').trim().split('\n');
    assert.equal(aside.length, 1);
    assert.equal(JSON.parse(aside[0] ?? '{}').seq, 5);
    const last = new SqliteJournal({ path: file, identity });
    assert.equal(last.opening.entries, 5, 'the append took number 5');
    assert.deepEqual(last.opening.damage, []);
    await last.close();
  });

  it('refuses a journal of another account, and a file that is not a journal', async () => {
    const file = path();
    await new SqliteJournal({ path: file, identity }).close();
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
    assert.throws(() => new SqliteJournal({ path: garbage, identity }), {
      code: 'JOURNAL_DAMAGED',
      message: /is not a readable journal \(file is not a database\)/,
    });
  });

  it('gives the same state on every replay of the same journal', async () => {
    const file = path();
    const { trading, journal, broker } = await journaled(file);
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
    await journal.close();
    const replay = async () => {
      const j = new SqliteJournal({ path: file, identity });
      const p = await AccountProcessor.open({
        exchange: 'TEST',
        clock: new SimulatedClock(0),
        logger: createMemoryLogger(),
        journal: j,
      });
      const s = summary(p.state);
      await j.close();
      return s;
    };
    assert.deepEqual(await replay(), await replay());
  });
});
