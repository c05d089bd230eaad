import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Instrument } from '../../src/core/instrument.ts';
import { defaultInstruments } from '../../src/emulators/binance-usdm/defaults.ts';
import { startBinanceUsdmEmulator } from '../../src/emulators/binance-usdm/emulator.ts';
import { startLighterEmulator } from '../../src/emulators/lighter/emulator.ts';
import { createSyntheticMarket } from '../../src/runtime/synthetic-market.ts';
import { KESTREL_BIN, node } from '../helpers/cli.ts';

/** Runs the kestrel command without blocking this process (the emulator lives here) */
const kestrel = (args: readonly string[], cwd: string) => node([KESTREL_BIN, ...args], cwd);

const market = (instruments: readonly Instrument[]) =>
  createSyntheticMarket({
    instruments,
    start: Date.now(),
    durationMs: 3600_000,
    seed: 4,
    quoteIntervalMs: 200,
    tradeIntervalMs: 400,
  });

describe('kestrel against the local emulators, as a subprocess', () => {
  it('smoke, run with a journal, and the journal views on binanceusdm', async () => {
    const instruments = defaultInstruments();
    const emulator = await startBinanceUsdmEmulator({ instruments, feed: market(instruments) });
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-cli-venue-'));
    try {
      const smoke = await kestrel(['smoke', '--venue', 'binanceusdm', '--url', emulator.url], dir);
      assert.equal(smoke.code, 0, smoke.stderr);
      assert.match(smoke.stdout, /^smoke ok on binanceusdm BTC\/USDT:USDT/m);
      assert.match(
        smoke.stdout,
        /^venue profile: Binance USDⓈ-M futures \(ccxt binanceusdm\), one-way positions$/m,
      );
      assert.match(smoke.stdout, /submit latency [\d.]+ ms/);
      assert.match(smoke.stdout, /cancel latency [\d.]+ ms/);
      assert.equal(emulator.venue.openOrders().length, 0, 'the smoke order is gone');

      const run = await kestrel(
        [
          'run',
          '--venue',
          'binanceusdm',
          '--url',
          emulator.url,
          '--duration',
          '4s',
          '--journal',
          'live.journal',
        ],
        dir,
      );
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^venue=binanceusdm$/m);
      assert.match(
        run.stdout,
        /^ {2}client ids: newClientOrderId \(1 to 36 of letters, digits and \. : \/ _ -\)/m,
      );
      const orders = await kestrel(['orders', '--journal', 'live.journal', '--json'], dir);
      assert.equal(orders.code, 0, orders.stderr);
      const listed = JSON.parse(orders.stdout) as Array<{ clientId: string; status: string }>;
      const ordersLine = /^orders=(\d+)$/m.exec(run.stdout)?.[1];
      assert.equal(listed.length, Number(ordersLine), 'the journal holds every order of the run');
      // The public order and its correlation key: never the account's own bookkeeping fields
      const printed = new Set(listed.flatMap((o) => Object.keys(o)));
      for (const internal of [
        'answered',
        'beforeCancel',
        'cancelDeferred',
        'bookedQuantity',
        'filledNotional',
        'terminalAt',
        'reported',
      ])
        assert.ok(!printed.has(internal), `orders --json prints ${internal}`);
      for (const field of [
        'owner',
        'clientId',
        'venueOrderId',
        'instrument',
        'side',
        'type',
        'status',
        'filledQuantity',
        'averageFillPrice',
        'createdAt',
        'transitions',
      ])
        assert.ok(printed.has(field), `orders --json leaves out ${field}`);
      const positions = await kestrel(['positions', '--journal', 'live.journal'], dir);
      assert.match(positions.stdout, /currency\s+total/);
    } finally {
      await emulator.close();
    }
  });

  it('smoke on lighter with real signing', async () => {
    const probe = await startLighterEmulator({});
    const instruments = probe.venue.listInstruments();
    await probe.close();
    const emulator = await startLighterEmulator({ feed: market(instruments) });
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-cli-venue-'));
    try {
      const smoke = await kestrel(['smoke', '--venue', 'lighter', '--url', emulator.url], dir);
      assert.equal(smoke.code, 0, smoke.stderr);
      assert.match(smoke.stdout, /^smoke ok on lighter /m);
      assert.equal(emulator.venue.openOrders().length, 0);
    } finally {
      await emulator.close();
    }
  });

  it('exits 5 when the venue cannot be reached, and 2 for an unknown venue', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-cli-venue-'));
    const unreachable = await kestrel(
      ['smoke', '--venue', 'binanceusdm', '--url', 'http://127.0.0.1:9', '--timeout', '3000'],
      dir,
    );
    assert.equal(unreachable.code, 5, unreachable.stderr);
    const unknown = await kestrel(['smoke', '--venue', 'Not A Venue!'], dir);
    assert.equal(unknown.code, 2);
  });
});
