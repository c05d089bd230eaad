/**
 * Orders a previous run ended are known after a restart. A run places orders and cancels them
 * (a clean stop); the next run on the same journal starts later than the account's grace
 * window, so the journal's finished orders have moved to history before the venue's stream
 * repeats their last states (Lighter sends the account's recent orders on subscribe). Each must
 * be recognised as ours and absorbed: no "orderCanceled for unknown order", nothing refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIGHTER_EMULATOR_PRIVATE_KEY } from '../../../src/emulators/lighter/index.ts';
import type { Clock } from '../../../src/engine/clock.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { createMemoryLogger } from '../../../src/engine/logger.ts';
import type { Strategy } from '../../../src/runtime/strategy.ts';
import { loadLighterConfig } from '../../../src/venues/lighter/config.ts';
import { createLighterVenue } from '../../../src/venues/lighter/venue.ts';
import { until } from '../../helpers/wait.ts';
import { runOnJournal, startRestartBed } from './harness.ts';

/** The wall clock moved on by `ms`: a restart that much later, without waiting for it */
function later(ms: number): Clock {
  return { now: () => systemClock.now() + ms, setTimer: systemClock.setTimer };
}

describe('lighter restart after a clean stop', () => {
  it('knows the orders the previous run ended: nothing unknown, nothing refused', async (t) => {
    const { emulator, journalPath } = await startRestartBed(t, 'ended');
    const venueOf = (logger: ReturnType<typeof createMemoryLogger>) =>
      createLighterVenue(
        loadLighterConfig({
          url: emulator.url,
          accountIndex: emulator.accountIndex,
          apiKeyIndex: emulator.apiKeyIndex,
          chainId: emulator.chainId,
          signer: 'fake',
          privateKey: LIGHTER_EMULATOR_PRIVATE_KEY,
          env: {},
          overrides: { reconnectInitialMs: 20, reconnectMaxMs: 200, symbols: ['ETH'] },
        }),
        { clock: systemClock, logger },
      );

    // ---- First run: six orders rest and are canceled, then a clean stop
    const logger1 = createMemoryLogger('debug');
    const abort1 = new AbortController();
    const placed: string[] = [];
    const first: Strategy = {
      name: 'ended-1',
      async onStart(ctx) {
        const eth = ctx.instrument('ETH');
        for (let i = 0; i < 6; i++) placed.push((await ctx.trade(eth, 0.01, 1990 - i)).clientId);
        await ctx.cancelOrders();
        await until(
          () => placed.every((id) => ctx.order(id)?.status === 'CANCELED'),
          'all canceled',
        );
        abort1.abort();
      },
    };
    await runOnJournal({
      strategy: first,
      venue: venueOf(logger1),
      logger: logger1,
      journalPath,
      signal: abort1.signal,
      settleMs: 500,
    });
    assert.equal(emulator.exchange.activeOrders().length, 0);

    // ---- Second run, "five minutes later": the journal's canceled orders are history by now
    const logger2 = createMemoryLogger('debug');
    const abort2 = new AbortController();
    const seen: Array<string | undefined> = [];
    const second: Strategy = {
      name: 'ended-2',
      async onStart(ctx) {
        // Give the stream time to repeat the account's recent orders
        const eth = ctx.instrument('ETH');
        const probe = await ctx.trade(eth, 0.01, 1980);
        await ctx.cancelOrder(probe.clientId);
        await until(() => ctx.order(probe.clientId)?.status === 'CANCELED', 'probe canceled');
        for (const id of placed) seen.push(ctx.order(id)?.status);
        abort2.abort();
      },
    };
    const report = await runOnJournal({
      strategy: second,
      venue: venueOf(logger2),
      clock: later(5 * 60_000),
      logger: logger2,
      journalPath,
      signal: abort2.signal,
      settleMs: 500,
    });
    assert.deepEqual(
      seen,
      placed.map(() => 'CANCELED'),
      'every ended order still known',
    );
    const unknown = logger2.records.filter((r) =>
      /unknown order/.test(`${r.message} ${JSON.stringify(r.fields ?? {})}`),
    );
    assert.deepEqual(
      unknown.map((r) => `${r.message} ${JSON.stringify(r.fields ?? {})}`),
      [],
    );
    assert.equal(report.counters.refused, 0, 'nothing refused');
    const warnings = logger2.records.filter((r) => r.level === 'warn' || r.level === 'error');
    assert.deepEqual(
      warnings.map((r) => r.message),
      [],
    );
  });
});
