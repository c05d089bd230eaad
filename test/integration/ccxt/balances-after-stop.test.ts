/**
 * After a clean stop the journal holds the venue's own figures: what `kestrel positions
 * --journal` shows (total, free, locked) equals what the venue reports right after, margin held
 * by a position left open included. Real ccxt against the Binance USDⓈ-M emulator, a real
 * SQLite journal.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { money } from '../../../src/core/numeric.ts';
import { startBinanceUsdmEmulator } from '../../../src/emulators/binance-usdm/index.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { createMemoryLogger } from '../../../src/engine/logger.ts';
import { readJournal } from '../../../src/runtime/journal-view.ts';
import { runLive } from '../../../src/runtime/live.ts';
import type { Strategy } from '../../../src/runtime/strategy.ts';
import { createCcxtVenue } from '../../../src/venues/ccxt/index.ts';
import { testConfig, until } from './harness.ts';

describe('balances after a clean stop (ccxt, Binance USDⓈ-M emulator)', () => {
  it('the journal ends on the venue’s balances: total, free and locked', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-balances-'));
    const journalPath = join(dir, 'run.db');
    const emulator = await startBinanceUsdmEmulator({});
    t.after(async () => {
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    });
    emulator.setQuote('BTCUSDT', 64000, 64000.5, 2, 2);
    const logger = createMemoryLogger();
    const abort = new AbortController();
    const strategy: Strategy = {
      name: 'hold',
      async onStart(ctx) {
        const btc = ctx.instrument('BTCUSDT');
        // A position that stays (margin held at the venue) and orders that rest until the stop
        const bought = await ctx.trade(btc, 0.004);
        await until(() => ctx.order(bought.clientId)?.status === 'FILLED', 'bought');
        await ctx.trade(btc, 0.01, 60_000);
        await ctx.trade(btc, -0.002, 66_000);
        abort.abort();
      },
    };
    await runLive({
      strategy,
      venue: createCcxtVenue(testConfig(emulator.url), { clock: systemClock, logger }),
      symbols: ['BTCUSDT'],
      clock: systemClock,
      logger,
      journalPath,
      signal: abort.signal,
      settleMs: 5_000,
    });
    assert.equal(emulator.venue.openOrders().length, 0, 'the stop canceled the resting orders');

    const after = createCcxtVenue(testConfig(emulator.url), { clock: systemClock, logger });
    await after.load();
    const venue = await after.fetchBalances();
    await after.stop();
    const journal = readJournal(journalPath);
    const usdt = (
      list: readonly { currency: string; total: number; free: number; locked: number }[],
    ) => {
      const b = list.find((x) => x.currency === 'USDT');
      assert.ok(b !== undefined);
      return { total: money(b.total), free: money(b.free), locked: money(b.locked) };
    };
    assert.ok(usdt(venue).locked > 0, 'the venue holds margin for the position');
    assert.deepEqual(usdt(journal.balances), usdt(venue));
    const position = journal.positions.find((p) => p.instrument.venueSymbol === 'BTCUSDT');
    assert.equal(position?.quantity, 0.004);
  });
});
