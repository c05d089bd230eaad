/**
 * The README's code, as the files under examples/ it shows: each one runs to completion the
 * way the README says to run it (the type check of the project covers them too).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultInstruments } from '../../src/emulators/binance-usdm/defaults.ts';
import { startBinanceUsdmEmulator } from '../../src/emulators/binance-usdm/emulator.ts';
import { createSyntheticMarket } from '../../src/runtime/synthetic-market.ts';
import { KESTREL_BIN, node, ROOT } from '../helpers/cli.ts';

describe('the README examples', () => {
  it('every TypeScript sample in the README is a file under examples/, shown as it is', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const samples = [...readme.matchAll(/(?:<!-- example: (\S+) -->\n)?```ts\n([\s\S]*?)```/g)];
    assert.ok(samples.length >= 3);
    for (const [, file, code] of samples) {
      assert.ok(file !== undefined, `a sample without its file: ${code?.slice(0, 200)}`);
      assert.equal(
        code,
        readFileSync(join(ROOT, file), 'utf8'),
        `README.md shows ${file} as it is`,
      );
    }
  });

  it('examples/library-paper.ts: the library on the paper venue', async () => {
    const result = await node(['--import', 'tsx', 'examples/library-paper.ts']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^a bid for 0\.01 at [\d.]+: OPEN$/m);
    assert.match(result.stdout, /^k\S+ canceled CANCELED$/m);
    assert.match(result.stdout, /^kestrel_canceled_total\{exchange="paper"\} [1-9]/m);
  });

  it('examples/buy-the-first-quote.ts: a strategy, through kestrel run', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kestrel-example-'));
    const result = await node([
      KESTREL_BIN,
      'run',
      'examples/buy-the-first-quote.ts',
      '--param',
      'size=0.01',
      '--to',
      '2026-01-01T00:10:00Z',
      '--out',
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^status=completed$/m);
    assert.match(result.stdout, /^strategy=buy-the-first-quote$/m);
    assert.match(result.stderr, /filled at [\d.]+/, 'its console output, on stderr');
  });

  it('examples/candles.ts: candles and indicators, through kestrel run', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kestrel-example-'));
    const result = await node([
      KESTREL_BIN,
      'run',
      'examples/candles.ts',
      '--to',
      '2026-01-01T06:00:00Z',
      '--out',
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^strategy=candles$/m);
  });

  it('examples/live-rehearsal.ts: the live path against the Binance USDⓈ-M emulator', async () => {
    const instruments = defaultInstruments();
    const emulator = await startBinanceUsdmEmulator({
      instruments,
      feed: createSyntheticMarket({
        instruments,
        start: Date.now(),
        durationMs: 3_600_000,
        seed: 2,
        quoteIntervalMs: 200,
        tradeIntervalMs: 300,
      }),
    });
    try {
      const result = await node(['--import', 'tsx', 'examples/live-rehearsal.ts', emulator.url]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /the journal \S+ holds [1-9]\d* orders and [1-9]\d* fills/);
      assert.equal(emulator.venue.openOrders().length, 0, 'nothing left working at the venue');
    } finally {
      await emulator.close();
    }
  });
});
