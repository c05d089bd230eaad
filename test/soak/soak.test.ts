/**
 * The short soak, run in CI: for each venue, about half a minute of continuous trading with
 * faults injected and the Kestrel process SIGKILLed several times, then a settling run, then an
 * exact comparison with the venue's ledger. `npm run soak -- --minutes N` runs it longer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSoakReport, runSoak } from './soak.ts';

for (const venue of ['binanceusdm', 'bybit', 'lighter'] as const) {
  describe(`soak: ${venue}`, () => {
    it('loses no order, books no fill twice, and ends equal to the venue ledger', async () => {
      const report = await runSoak({ venue, durationMs: 25_000, seed: 7 });
      process.stdout.write(`${formatSoakReport(report)}\n`);
      assert.ok(report.kills >= 2, `${report.kills} kills`);
      assert.ok(report.faults >= 5, `${report.faults} faults`);
      assert.ok(report.orders >= 10, `${report.orders} orders`);
      assert.ok(report.fills >= 1, `${report.fills} fills`);
      assert.deepEqual(report.mismatches, []);
    });
  });
}
