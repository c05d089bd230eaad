/**
 * The soak's comparison with the venue's ledger flags an order open on one side only: open at
 * the venue but not in Kestrel, and open in Kestrel but unknown to the venue; and a soak that
 * traded too little fails.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createClientIdGenerator } from '../../src/core/ids.ts';
import { AccountProcessor } from '../../src/engine/account-processor.ts';
import { SimulatedClock } from '../../src/engine/clock.ts';
import { createMemoryLogger } from '../../src/engine/logger.ts';
import { TradingManager } from '../../src/engine/trading-manager.ts';
import { SqliteJournal } from '../../src/journal/sqlite-journal.ts';
import { BTC_PERP } from '../helpers/instruments.ts';
import { ScriptedBroker } from '../helpers/scripted-broker.ts';
import { compare, tooLittleActivity } from './soak.ts';

describe('soak comparison', () => {
  it('flags orders open on one side only', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kestrel-soak-')), 'journal.sqlite');
    const clock = new SimulatedClock(1_700_000_000_000);
    const journal = new SqliteJournal({ path: file, identity: { exchange: 'TEST', account: 'a' } });
    const account = await AccountProcessor.open({
      exchange: 'TEST',
      clock,
      logger: createMemoryLogger(),
      journal,
    });
    const broker = new ScriptedBroker({ reply: () => 'silent' });
    const trading = new TradingManager({
      brokers: [broker],
      account,
      clock,
      logger: createMemoryLogger(),
      ids: createClientIdGenerator({ instanceTag: 'soak', counterStart: 0 }),
    });
    const both = trading.tradeAsync(BTC_PERP, 0.01, 60000);
    const oursOnly = trading.tradeAsync(BTC_PERP, 0.01, 60001);
    const canceledHere = trading.tradeAsync(BTC_PERP, 0.01, 60002);
    await account.durable();
    for (const id of [both, oursOnly, canceledHere]) broker.emitAccepted(id);
    broker.emitCanceled(canceledHere);
    await account.durable();
    await journal.close();

    const open = (key: string, venueOrderId: string) =>
      ({ key, venueOrderId, status: 'OPEN', filled: 0 }) as const;
    const report = compare(
      'binanceusdm',
      {
        symbol: 'BTCUSDT',
        orders: () => [open(both, 'v1'), open(canceledHere, 'v3'), open('stranger', 'v4')],
        fills: () => [],
        position: () => 0,
        balances: () => [],
        balanceStep: 1e-8,
      },
      file,
      { seconds: 1, runs: 1, kills: 0, faults: 0, faultsByKind: {} },
    );
    assert.deepEqual(report.mismatches, [
      `order ${canceledHere}: Kestrel CANCELED, venue OPEN`,
      'venue order v4 (stranger) is unknown to Kestrel',
      `order ${oursOnly}: Kestrel OPEN, the venue does not list it`,
    ]);
  });

  it('fails a soak below the minimum of orders and fills', () => {
    const minimum = { orders: 20, fills: 1 };
    assert.equal(
      tooLittleActivity({ venueOrders: 0, fills: 0 }, minimum),
      'too little activity: 0 venue orders and 0 fills, below the minimum of 20 and 1',
    );
    assert.match(tooLittleActivity({ venueOrders: 25, fills: 0 }, minimum) ?? '', /0 fills/);
    assert.equal(tooLittleActivity({ venueOrders: 20, fills: 1 }, minimum), undefined);
  });
});
