/**
 * The short two-process soak, run in CI: two Kestrel processes on one emulator account (Binance
 * USDⓈ-M, then Lighter with each process on its own API key index) and one PostgreSQL journal,
 * SIGKILLed and restarted while faults are injected, then settled and compared with the venue's
 * ledger (see multi-process.ts). It counts progress, not time. `npm run soak -- --processes 2
 * --journal postgres://...` (with `--venue lighter` on Lighter) runs it longer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../helpers/servers.ts';
import { startPostgres, whyNoPostgres } from '../helpers/servers.ts';
import { formatMultiSoakReport, runMultiProcessSoak } from './multi-process.ts';

let server: RunningServer | undefined;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

for (const [venue, seed] of [
  ['binanceusdm', 11],
  ['lighter', 12],
] as const)
  describe(`soak: two processes on one ${venue} account`, () => {
    it('loses no order, books no fill twice, touches no sibling order, and ends equal to the venue ledger', async (t) => {
      if (server === undefined) {
        t.skip(whyNoPostgres() ?? 'PostgreSQL did not start');
        return;
      }
      const report = await runMultiProcessSoak({
        venue,
        journal: server.url,
        orders: 20,
        kills: 3,
        faults: 3,
        seed,
      });
      process.stdout.write(`${formatMultiSoakReport(report)}\n`);
      assert.ok(report.kills >= 3, `${report.kills} kills`);
      assert.ok(report.faults >= 3, `${report.faults} faults`);
      assert.ok(report.venueOrders >= 20, `${report.venueOrders} venue orders`);
      // On Lighter each process spread its transactions over both of its API keys (round robin
      // on ties): asked of a process that signed a few at least, since one killed early in each
      // of its lives may have signed one transaction a life, all with its first key
      for (const [owner, keys] of Object.entries(report.transactionsByKey)) {
        const signed = Object.values(keys).reduce((a, b) => a + b, 0);
        if (signed < 2 * Object.keys(keys).length) continue;
        for (const [key, count] of Object.entries(keys))
          assert.ok(count > 0, `${owner} signed nothing with API key ${key} (${signed} in all)`);
      }
      assert.equal(report.lost, 0, 'no order at the venue unknown to its owner or given up by it');
      assert.equal(report.touchedAcross, 0);
      assert.equal(report.clientIdChanges, 0);
      assert.deepEqual(report.mismatches, []);
    });
  });
