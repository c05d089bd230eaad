import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/engine/clock.ts';
import { createMemoryLogger } from '../../src/engine/logger.ts';
import { simInstrument } from '../../src/runtime/instruments.ts';
import { runLive } from '../../src/runtime/live.ts';
import createQuotingStrategy from '../../src/runtime/strategies/quoting.ts';
import { createSyntheticMarket } from '../../src/runtime/synthetic-market.ts';
import { createLatencyModel } from '../../src/venues/sim/latency.ts';
import { createPaperVenue } from '../../src/venues/sim/paper-venue.ts';
import { countingStrategy } from '../helpers/counting-strategy.ts';
import { syntheticBtcPaperVenue } from '../helpers/paper.ts';
import { abortWhen, until } from '../helpers/wait.ts';

describe('live runner on the paper venue', () => {
  it('runs the bundled strategy in wall-clock time and leaves nothing open', async () => {
    const logger = createMemoryLogger('info');
    const venue = syntheticBtcPaperVenue({
      durationMs: 120_000,
      seed: 5,
      logger,
      speed: 60,
      latency: createLatencyModel({ requestMs: 2, replyMs: 2, streamMs: 3, jitter: 0.3 }),
    });
    const statuses: number[] = [];
    const quoting = countingStrategy(createQuotingStrategy());
    // Stops once it has done enough, however slow the machine; the duration only bounds a stall
    const enough = abortWhen(
      () => (statuses.at(-1) ?? 0) > 500 && quoting.orders() > 10 && statuses.length >= 2,
    );
    const report = await runLive({
      strategy: quoting.strategy,
      venue,
      symbols: ['BTC'],
      clock: systemClock,
      logger,
      signal: enough.signal,
      durationMs: 120_000,
      onStatus: (s) => statuses.push(s.marketEvents),
    }).finally(enough.dispose);
    assert.equal(report.venue, 'paper');
    assert.deepEqual(report.instruments, ['BTCUSDT']);
    assert.ok(report.marketEvents > 500, `${report.marketEvents} events`);
    assert.ok(report.orders > 10, `${report.orders} orders`);
    assert.equal(
      report.ordersByStatus.PENDING +
        report.ordersByStatus.OPEN +
        report.ordersByStatus.PENDING_CANCEL,
      0,
      'nothing left working',
    );
    assert.equal(venue.venue.openOrders().length, 0, 'the venue agrees');
    const position = report.positions.find((p) => p.instrument.symbol === 'BTCUSDT')?.quantity ?? 0;
    assert.equal(
      position,
      venue.venue.getPosition('BTCUSDT')?.quantity ?? 0,
      'our position equals the venue ledger',
    );
    const health = report.health.exchanges[0];
    assert.ok((health?.submitLatency.count ?? 0) > 0);
    assert.ok((health?.submitLatency.p50 ?? 0) >= 3, 'real milliseconds on the system clock');
    assert.ok(statuses.length >= 2, 'status reported about once a second');
  });

  it('stops market data and timers reaching the strategy once stop begins, so onStop has the last word', async () => {
    const logger = createMemoryLogger('info');
    const venue = syntheticBtcPaperVenue({ durationMs: 600_000, seed: 6, logger, speed: 60 });
    // Counts the market events the venue delivers, to let the market move while the strategy stops
    let delivered = 0;
    const counted: typeof venue = {
      ...venue,
      start: (handlers) =>
        venue.start({
          ...handlers,
          onMarket: (event) => {
            delivered += 1;
            handlers.onMarket(event);
          },
        }),
    };
    let stopping = false;
    let placed = 0;
    let callsWhileStopping = 0;
    const placedWhileStopping: string[] = [];
    const enough = abortWhen(() => placed >= 3);
    const report = await runLive({
      strategy: {
        name: 'keeps-quoting',
        timerIntervalMs: 20,
        onQuote(quote, ctx) {
          if (stopping) {
            callsWhileStopping += 1;
            placedWhileStopping.push(
              ctx.tradeAsync(quote.instrument, 0.01, quote.bid - 50, { postOnly: true }),
            );
            return;
          }
          if (ctx.orders(quote.instrument).length < 3) {
            ctx.tradeAsync(quote.instrument, 0.01, quote.bid - 50, { postOnly: true });
            placed += 1;
          }
        },
        onTimer() {
          if (stopping) callsWhileStopping += 1;
        },
        async onStop(ctx) {
          stopping = true;
          await ctx.cancelOrders();
          // The market keeps moving while the strategy winds down
          const at = delivered;
          await until(() => delivered >= at + 10, 'ten market events while stopping');
        },
      },
      venue: counted,
      symbols: ['BTC'],
      clock: systemClock,
      logger,
      signal: enough.signal,
      durationMs: 120_000,
    }).finally(enough.dispose);
    assert.ok(report.orders >= 1, `${report.orders} orders`);
    assert.equal(callsWhileStopping, 0, 'no onQuote or onTimer after stop began');
    assert.deepEqual(placedWhileStopping, []);
    assert.equal(venue.venue.openOrders().length, 0, 'nothing left open at the venue');
  });

  it('refuses an instrument the venue does not list, naming what it has', async () => {
    const btc = simInstrument('BTCUSDT');
    const venue = createPaperVenue({
      instruments: [btc],
      balances: [],
      feed: createSyntheticMarket({ instruments: [btc], start: 0, durationMs: 1000, seed: 1 }),
      clock: systemClock,
      logger: createMemoryLogger(),
    });
    await assert.rejects(
      runLive({
        strategy: createQuotingStrategy(),
        venue,
        symbols: ['DOGE'],
        clock: systemClock,
        logger: createMemoryLogger(),
        durationMs: 100,
      }),
      /symbol is not listed on paper \(some that are: BTCUSDT\) \(got "DOGE"\)/,
    );
  });
});
