/**
 * A backtest's results depend on the data alone, never on how it was cut into batches: the same
 * run with the data handed over in batches of other sizes (so batches begin and end elsewhere,
 * in the files' readers, in their merge and in the replay) gives byte-identical CSVs and the
 * same report but its wall time. A strategy's promise continuations run before the next market
 * event, as they would live, whether or not a batch ended there.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import type { Instrument } from '../../src/core/instrument.ts';
import type { MarketDataSource, MarketEvent } from '../../src/core/market-data.ts';
import { createMemoryLogger } from '../../src/engine/logger.ts';
import { runBacktest } from '../../src/runtime/backtest.ts';
import { openDataFile } from '../../src/runtime/data-file.ts';
import { simInstrument } from '../../src/runtime/instruments.ts';
import { mergeSources } from '../../src/runtime/merge.ts';
import createQuotingStrategy from '../../src/runtime/strategies/quoting.ts';
import type { Strategy } from '../../src/runtime/strategy.ts';
import { createSyntheticMarket } from '../../src/runtime/synthetic-market.ts';

const SHARED_DATA = resolve(import.meta.dirname, '../../../shared/data');

/** The same events as `source`, handed over `size` at a time */
function rebatched(source: MarketDataSource, size: number): MarketDataSource {
  let held: MarketEvent[] = [];
  let done = false;
  return {
    async next() {
      while (held.length < size && !done) {
        const batch = await source.next();
        if (batch === undefined) done = true;
        else held = held.concat(batch);
      }
      if (held.length === 0) return undefined;
      const out = held.slice(0, size);
      held = held.slice(size);
      return out;
    },
    close: async () => source.close?.(),
  };
}

/** Every file a run wrote, by name, and its report but the wall time */
interface RunOutput {
  readonly files: ReadonlyMap<string, Buffer>;
  readonly report: string;
}

async function run(
  strategy: Strategy,
  source: MarketDataSource,
  instruments: readonly Instrument[],
  to?: number,
): Promise<RunOutput> {
  const outDir = mkdtempSync(join(tmpdir(), 'kestrel-batches-'));
  const { wallMs: _wall, ...report } = await runBacktest({
    strategy,
    params: { edgeBps: '1.5' },
    source,
    instruments,
    seed: 7,
    ...(to === undefined ? {} : { to }),
    outDir,
    logger: createMemoryLogger('warn'),
  });
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(outDir).sort()) files.set(name, readFileSync(join(outDir, name)));
  return {
    files,
    report: JSON.stringify(report, (key, value) => (key === 'instrument' ? undefined : value)),
  };
}

function assertSameRun(a: RunOutput, b: RunOutput, label: string): void {
  assert.deepEqual([...b.files.keys()], [...a.files.keys()], `${label}: the same files`);
  for (const [name, content] of a.files)
    assert.ok(content.equals(b.files.get(name)!), `${label}: ${name} is byte-identical`);
  assert.equal(b.report, a.report, `${label}: the same report`);
}

/**
 * Buys and sells at the touch, one order at a time: the next goes out only once the previous
 * one's verdict went through a long chain of continuations (a `then` on the order promise, no
 * async callback the run could see). Where that chain ends decides every later order. Each
 * chain also checks it finished before any market event after its verdict.
 */
function chainedTrader(instrument: Instrument, late: string[]): Strategy {
  let working = false;
  let events = 0;
  let side = 1;
  const settle = async (seen: number, time: number): Promise<void> => {
    for (let hop = 0; hop < 40; hop++) await null;
    if (events !== seen) late.push(`verdict at ${time} ran on after ${events - seen} events`);
    working = false;
  };
  return {
    name: 'chained-trader',
    onQuote(quote, ctx) {
      events += 1;
      if (working) return;
      working = true;
      side = -side;
      ctx
        .trade(instrument, side * 0.001, side > 0 ? quote.ask : quote.bid, { timeInForce: 'IOC' })
        .then(() => settle(events, ctx.time));
    },
    onTrade() {
      events += 1;
    },
    // An async callback whose awaits resolve at once: done before the next event
    async onTimer(_time, ctx) {
      for (let hop = 0; hop < 30; hop++) await null;
      if (ctx.position(instrument).quantity !== 0) await ctx.closePosition(instrument);
    },
  };
}

describe('backtest: batch sizes change nothing', () => {
  it('the quoting strategy on the merged real trades and quotes: the same run with batches of 4096, 509 and 1', async (t) => {
    const trades = join(SHARED_DATA, 'BTCUSDT.trades.csv.gz');
    const quotes = join(SHARED_DATA, 'BTCUSDT.quotes.csv.gz');
    if (!existsSync(trades) || !existsSync(quotes)) {
      t.skip('../shared/data is absent: the real BTCUSDT sample is not available');
      return;
    }
    const btc = simInstrument('BTCUSDT');
    const resolveInstrument = () => btc;
    const merged = (readerBatch: number | undefined, replayBatch: number | undefined) => {
      const open = (path: string) => {
        const file = openDataFile({ path, resolveInstrument });
        return readerBatch === undefined ? file : rebatched(file, readerBatch);
      };
      const source = mergeSources([open(trades), open(quotes)]);
      return replayBatch === undefined ? source : rebatched(source, replayBatch);
    };
    // The first 80 minutes of trades: its trims (an awaited trade in onTimer) ended where a batch
    // did, so the run went otherwise with other batch sizes
    const to = Date.UTC(2024, 9, 28, 17);
    const quoting = (source: MarketDataSource) => run(createQuotingStrategy(), source, [btc], to);
    const base = await quoting(merged(undefined, undefined));
    assert.ok(base.files.get('orders.csv')!.length > 10_000, 'the run traded');
    assertSameRun(base, await quoting(merged(509, 509)), 'batches of 509');
    assertSameRun(base, await quoting(merged(4096, 1)), 'batches of 1');
  });

  it('continuations of order promises and async callbacks on the synthetic market: the same run with its own batches, 7 and 1', async () => {
    const btc = simInstrument('BTCUSDT');
    const market = () =>
      createSyntheticMarket({
        instruments: [btc],
        start: Date.UTC(2026, 0, 1),
        durationMs: 20 * 60_000,
        seed: 5,
      });
    const late: string[] = [];
    const base = await run(chainedTrader(btc, late), market(), [btc]);
    assert.deepEqual(late, [], 'every continuation ran before the next market event');
    assert.ok(base.files.get('fills.csv')!.length > 10_000, 'the run traded');
    for (const size of [7, 1]) {
      assertSameRun(
        base,
        await run(chainedTrader(btc, late), rebatched(market(), size), [btc]),
        `batches of ${size}`,
      );
      assert.deepEqual(
        late,
        [],
        `batches of ${size}: every continuation ran before the next market event`,
      );
    }
  });
});
