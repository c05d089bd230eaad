/**
 * The short soak, run in CI: for each venue, continuous trading with faults injected and the
 * Kestrel process SIGKILLed several times, then a settling run, then an exact comparison with
 * the venue's ledger. It counts progress, not time: a process is killed only once it is trading
 * and has placed orders, and the soak ends after enough orders and kills, however slow the
 * machine. `npm run soak -- --minutes N` runs it longer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSoakReport, runSoak } from './soak.ts';

for (const venue of ['binanceusdm', 'bybit', 'lighter'] as const) {
  describe(`soak: ${venue}`, () => {
    it('loses no order, books no fill twice, and ends equal to the venue ledger', async () => {
      const report = await runSoak({ venue, orders: 20, kills: 3, seed: 7 });
      process.stdout.write(`${formatSoakReport(report)}\n`);
      assert.ok(report.kills >= 3, `${report.kills} kills`);
      assert.ok(report.faults >= 5, `${report.faults} faults`);
      assert.ok(report.venueOrders >= 20, `${report.venueOrders} venue orders`);
      assert.ok(report.fills >= 1, `${report.fills} fills`);
      assert.equal(report.lost, 0, 'no order at the venue unknown to Kestrel or given up by it');
      assert.equal(report.clientIdChanges, 0);
      assert.deepEqual(report.mismatches, []);
    });
  });
}
