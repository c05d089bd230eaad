/**
 * The risk gate on the runs' path: a backtest's strategy meets the limits it was given (the
 * price band centred on the market data's reference price), and `kestrel run --risk FILE`
 * refuses a bad limit in one line (exit 2) and applies a good one.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { KestrelError } from '../../src/core/errors.ts';
import type { Order } from '../../src/core/order.ts';
import { createMemoryLogger } from '../../src/engine/logger.ts';
import type { RiskLimits } from '../../src/engine/risk-gate.ts';
import { runBacktest } from '../../src/runtime/backtest.ts';
import { simInstrument } from '../../src/runtime/instruments.ts';
import type { Strategy } from '../../src/runtime/strategy.ts';
import { createSyntheticMarket } from '../../src/runtime/synthetic-market.ts';
import { memoryIo } from '../helpers/memory-io.ts';

const START = Date.UTC(2026, 0, 1);

/** At the first quote: tries each order once, recording what the gate said */
async function tryOrders(risk: RiskLimits, amounts: ReadonlyArray<readonly [number, number]>) {
  const outcomes: Array<KestrelError | Order> = [];
  let done = false;
  const strategy: Strategy = {
    name: 'risk-probe',
    async onQuote(quote, ctx) {
      if (done) return;
      done = true;
      for (const [amount, priceFactor] of amounts) {
        try {
          outcomes.push(await ctx.trade(quote.instrument, amount, quote.bid * priceFactor));
        } catch (error) {
          if (!(error instanceof KestrelError)) throw error;
          outcomes.push(error);
        }
      }
    },
  };
  const btc = simInstrument('BTCUSDT');
  await runBacktest({
    strategy,
    source: createSyntheticMarket({
      instruments: [btc],
      start: START,
      durationMs: 60_000,
      seed: 3,
    }),
    instruments: [btc],
    logger: createMemoryLogger(),
    risk,
  });
  return outcomes;
}

describe('risk gate in runs', () => {
  it('holds a backtest to its limits, the band around the market data', async () => {
    const outcomes = await tryOrders({ maxQuantity: 0.01, priceBand: 0.02 }, [
      [0.05, 0.99],
      [0.01, 0.97],
      [0.01, 0.99],
    ]);
    const [big, far, fine] = outcomes;
    assert.ok(big instanceof KestrelError && big.limit === 'maxQuantity', String(big));
    assert.ok(far instanceof KestrelError && far.limit === 'priceBand', String(far));
    assert.ok(!(fine instanceof KestrelError), String(fine));
    assert.equal(fine?.status, 'OPEN');
  });

  it('kestrel run --risk refuses a bad limit in one line and applies a good one', async () => {
    const bad = memoryIo('kestrel-risk-');
    writeFileSync(join(bad.cwd, 'risk.json'), JSON.stringify({ maxQty: 1 }));
    assert.equal(await main(['run', '--risk', 'risk.json', '--quiet'], bad.io), 2);
    assert.match(bad.err(), /^kestrel run: --risk risk\.json: risk\.maxQty is not a risk limit/);
    assert.equal(bad.err().trimEnd().split('\n').length, 1, bad.err());

    // A size no quote can meet: the bundled quoting strategy's orders are all refused
    const good = memoryIo('kestrel-risk-');
    writeFileSync(join(good.cwd, 'risk.json'), JSON.stringify({ maxQuantity: 0.0000001 }));
    const code = await main(
      ['run', '--risk', 'risk.json', '--to', '2026-01-01T00:01:00Z'],
      good.io,
    );
    assert.equal(code, 0, good.err());
    assert.match(
      good.err(),
      /quote batch failed error=order 0: risk limit maxQuantity: quantity 0\.002 exceeds the maximum 0\.0000001 of BTCUSDT/,
    );
    assert.match(good.out(), /^orders=0$/m);
    assert.match(good.out(), /^refused_inputs=0$/m, 'the summary counts refused venue frames');
  });
});
