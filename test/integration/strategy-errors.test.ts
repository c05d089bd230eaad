/**
 * Strategy errors stop a backtest at once, name the strategy's file:line and the simulated
 * time, and leave a report of what the run had done: a callback that throws, and an order
 * promise the strategy did not await that is refused (`void ctx.trade(...)`), which must never
 * crash the process. Promises the strategy does handle (await, catch, Promise.all) stay its own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Instrument } from '../../src/core/instrument.ts';
import { createMemoryLogger } from '../../src/engine/logger.ts';
import type { RunReport } from '../../src/runtime/backtest.ts';
import { failedRunReport, runBacktest } from '../../src/runtime/backtest.ts';
import { simInstrument } from '../../src/runtime/instruments.ts';
import type { Strategy, StrategyContext } from '../../src/runtime/strategy.ts';
import { StrategyFailure } from '../../src/runtime/strategy.ts';
import { createSyntheticMarket } from '../../src/runtime/synthetic-market.ts';

const START = Date.UTC(2026, 0, 1);
const THIS_FILE = import.meta.filename;

function backtest(strategy: Strategy, minutes = 10): Promise<RunReport> {
  const btc = simInstrument('BTCUSDT');
  return runBacktest({
    strategy,
    source: createSyntheticMarket({
      instruments: [btc],
      start: START,
      durationMs: minutes * 60_000,
      seed: 3,
    }),
    instruments: [btc],
    logger: createMemoryLogger(),
  });
}

/** A strategy that, at the first quote one minute in, makes one refused call its way */
function refusedOnce(call: (ctx: StrategyContext, btc: Instrument) => unknown | Promise<unknown>) {
  let called = false;
  let after = 0;
  const strategy: Strategy = {
    name: 'refused-once',
    async onQuote(quote, ctx) {
      if (called) {
        after += 1;
        return;
      }
      if (quote.time < START + 60_000) return;
      called = true;
      await call(ctx, quote.instrument);
    },
  };
  return { strategy, eventsAfter: () => after };
}

/** Below the lot: refused locally, before anything is sent */
const TINY = 0.0000001;

async function failure(run: Promise<RunReport>): Promise<StrategyFailure> {
  try {
    await run;
  } catch (error) {
    assert.ok(error instanceof StrategyFailure, String(error));
    return error;
  }
  assert.fail('the run should have failed');
}

describe('strategy errors in a backtest', () => {
  it('an unawaited order promise that is refused stops the run at once, naming file:line and simulated time', async () => {
    const { strategy, eventsAfter } = refusedOnce((ctx, btc) => {
      void ctx.trade(btc, TINY, 60_000);
    });
    const error = await failure(backtest(strategy));
    assert.match(
      error.message,
      /^strategy onQuote failed: ctx\.trade\(\) was not awaited and was refused: quantity 1e-7 rounds to 0/,
    );
    assert.equal(error.location?.startsWith(`${THIS_FILE}:`), true, error.message);
    assert.match(error.message, /simulated time 2026-01-01T00:01:00\.\d{3}Z\)$/);
    assert.equal(eventsAfter(), 0, 'no market event reached the strategy after the refusal');
    const report = failedRunReport(error);
    assert.equal(report?.failure?.message, error.message);
    assert.equal(report?.failure?.callback, 'onQuote');
    assert.ok((report?.marketEvents ?? 0) > 0, 'the report says what the run had done');
  });

  it('a refused promise chained with then but no catch is unawaited too', async () => {
    const { strategy } = refusedOnce((ctx, btc) => {
      void ctx.trade(btc, TINY, 60_000).then(() => undefined);
    });
    const error = await failure(backtest(strategy));
    assert.match(error.message, /ctx\.trade\(\) was not awaited and was refused/);
  });

  it('an unawaited promise handed out after an await, outside the callback itself, is watched too', async () => {
    const { strategy } = refusedOnce(async (ctx, btc) => {
      await Promise.resolve();
      void ctx.trade(btc, TINY, 60_000);
    });
    const error = await failure(backtest(strategy));
    assert.match(error.message, /ctx\.trade\(\) was not awaited and was refused/);
  });

  it('a catch handler that throws stops the run', async () => {
    const { strategy } = refusedOnce((ctx, btc) => {
      void ctx.trade(btc, TINY, 60_000).catch(() => {
        throw new Error('the handler failed');
      });
    });
    const error = await failure(backtest(strategy));
    assert.match(error.message, /the handler failed/);
  });

  it('a catch handler that returns a promise that rejects stops the run; one the strategy awaits stays its own', async () => {
    const { strategy } = refusedOnce((ctx, btc) => {
      void ctx.trade(btc, TINY, 60_000).catch(async () => {
        await Promise.resolve();
        throw new Error('the async handler failed');
      });
    });
    const error = await failure(backtest(strategy));
    assert.match(error.message, /the async handler failed/);
    const caught: string[] = [];
    const handled = refusedOnce(async (ctx, btc) => {
      try {
        await ctx.trade(btc, TINY, 60_000).catch(() => {
          throw new Error('rethrown');
        });
      } catch (error) {
        caught.push(String(error));
      }
    });
    const report = await backtest(handled.strategy, 3);
    assert.equal(report.failure, undefined);
    assert.deepEqual(caught, ['Error: rethrown']);
  });

  it('refusals the strategy handles stay its own: await in try, catch, Promise.all', async () => {
    const caught: string[] = [];
    const { strategy } = refusedOnce(async (ctx, btc) => {
      try {
        await ctx.trade(btc, TINY, 60_000);
      } catch {
        caught.push('await');
      }
      ctx.submitOrders([{ instrument: btc, amount: TINY, price: 60_000 }]).catch(() => {
        caught.push('catch');
      });
      try {
        await Promise.all([ctx.cancelOrder('no-such-order')]);
      } catch {
        caught.push('all');
      }
    });
    const report = await backtest(strategy);
    assert.equal(report.failure, undefined);
    assert.deepEqual(caught.sort(), ['all', 'await', 'catch']);
  });

  it('a callback that throws names the callback, file:line and simulated time, and the report is kept', async () => {
    let placed = false;
    const strategy: Strategy = {
      name: 'thrower',
      onQuote(quote, ctx) {
        if (!placed) {
          placed = true;
          ctx.tradeAsync(quote.instrument, 0.001, quote.bid - 100, { postOnly: true });
        }
        if (quote.time >= START + 120_000) throw new Error('boom two minutes in');
      },
    };
    const error = await failure(backtest(strategy));
    assert.match(error.message, /^strategy onQuote failed: boom two minutes in \(at /);
    assert.match(error.message, /simulated time 2026-01-01T00:02:00\.\d{3}Z\)$/);
    assert.equal(error.location?.startsWith(`${THIS_FILE}:`), true, error.message);
    const report = failedRunReport(error);
    assert.equal(report?.orders, 1, 'the order placed before the failure is in the report');
    assert.ok(
      (report?.failure?.time ?? 0) >= START + 120_000 && (report?.end ?? 0) < START + 180_000,
    );
  });
});
