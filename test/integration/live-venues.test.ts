/**
 * The bundled strategy, unchanged, through the live path of each real-protocol venue: ccxt
 * against the Binance USDⓈ-M emulator and Lighter (real WASM signing) against the Lighter
 * emulator, both fed by a synthetic market. After each run: nothing left working, and our
 * position and fills equal the venue's own ledger.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Instrument } from '../../src/core/instrument.ts';
import { defaultInstruments } from '../../src/emulators/binance-usdm/defaults.ts';
import { startBinanceUsdmEmulator } from '../../src/emulators/binance-usdm/emulator.ts';
import { startLighterEmulator } from '../../src/emulators/lighter/emulator.ts';
import { systemClock } from '../../src/engine/clock.ts';
import type { Logger } from '../../src/engine/logger.ts';
import { createMemoryLogger } from '../../src/engine/logger.ts';
import type { VenueConnection } from '../../src/engine/venue.ts';
import type { RunReport } from '../../src/runtime/backtest.ts';
import { runLive } from '../../src/runtime/live.ts';
import createQuotingStrategy from '../../src/runtime/strategies/quoting.ts';
import { createSyntheticMarket } from '../../src/runtime/synthetic-market.ts';
import { countingStrategy } from '../helpers/counting-strategy.ts';
import { openLocalVenue } from '../helpers/local-venue.ts';
import { abortWhen } from '../helpers/wait.ts';

/** A lively market: quotes every `quoteMs`, trades every `tradeMs`, high volatility so quotes get filled */
function feed(instruments: readonly Instrument[], quoteMs: number, tradeMs: number) {
  return createSyntheticMarket({
    instruments,
    start: Date.now(),
    durationMs: 3600_000,
    seed: 9,
    quoteIntervalMs: quoteMs,
    tradeIntervalMs: tradeMs,
    volatility: 1.5,
  });
}

function checkAgainstLedger(report: RunReport, venueQuantity: number, venueFills: number): void {
  assert.ok(report.marketEvents > 20, `${report.marketEvents} market events`);
  assert.ok(report.orders >= 4, `${report.orders} orders`);
  const working =
    report.ordersByStatus.PENDING +
    report.ordersByStatus.OPEN +
    report.ordersByStatus.PARTIALLY_FILLED +
    report.ordersByStatus.PENDING_CANCEL;
  assert.equal(working, 0, `nothing left working: ${JSON.stringify(report.ordersByStatus)}`);
  assert.equal(report.ordersByStatus.LOST, 0);
  const ours = report.positions[0]?.quantity ?? 0;
  assert.equal(ours, venueQuantity, 'our position is the venue ledger position');
  assert.equal(report.fills, venueFills, 'every venue execution booked exactly once');
  assert.equal(report.counters.refused, 0);
}

/**
 * The bundled strategy on a venue until it has traded enough to check (orders asked for, market
 * events seen), however slow the machine; the duration only bounds a stall
 */
async function runUntilBusy(venue: VenueConnection, symbol: string, logger: Logger) {
  const quoting = countingStrategy(createQuotingStrategy());
  let events = 0;
  const enough = abortWhen(() => quoting.orders() >= 6 && events > 40);
  return runLive({
    strategy: quoting.strategy,
    venue,
    symbols: [symbol],
    clock: systemClock,
    logger,
    signal: enough.signal,
    durationMs: 180_000,
    onStatus: (status) => {
      events = status.marketEvents;
    },
  }).finally(enough.dispose);
}

describe('the bundled strategy on live venue paths', () => {
  it('runs through ccxt against the Binance USDⓈ-M emulator to completion', async () => {
    const instruments = defaultInstruments();
    // ccxt throttles to Binance's request weights, so the market here moves a little slower
    const emulator = await startBinanceUsdmEmulator({
      instruments,
      feed: feed(instruments, 400, 600),
      speed: 1,
    });
    try {
      const logger = createMemoryLogger('info');
      const venue = await openLocalVenue('binanceusdm', emulator.url, logger);
      const report = await runUntilBusy(venue, 'BTCUSDT', logger);
      const venueQuantity = emulator.venue.getPosition('BTCUSDT')?.quantity ?? 0;
      checkAgainstLedger(report, venueQuantity, emulator.executions().length);
      assert.equal(emulator.venue.openOrders().length, 0, 'the venue has nothing open either');
    } finally {
      await emulator.close();
    }
  });

  it('runs through Lighter with real signing against the Lighter emulator to completion', async () => {
    const probe = await startLighterEmulator({});
    const instruments = probe.venue.listInstruments();
    await probe.close();
    const emulator = await startLighterEmulator({ feed: feed(instruments, 100, 150), speed: 1 });
    try {
      const logger = createMemoryLogger('info');
      const venue = await openLocalVenue('lighter', emulator.url, logger);
      const report = await runUntilBusy(venue, 'ETH', logger);
      const symbol = report.instruments[0] ?? '';
      const venueQuantity = emulator.venue.getPosition(symbol)?.quantity ?? 0;
      const venueFills = emulator.executions().filter((e) => e.symbol === symbol).length;
      checkAgainstLedger(report, venueQuantity, venueFills);
      assert.equal(emulator.venue.openOrders().length, 0, 'the venue has nothing open either');
    } finally {
      await emulator.close();
    }
  });
});
