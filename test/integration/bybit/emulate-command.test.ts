import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ccxt from 'ccxt';
import { emulateCommand } from '../../../src/cli/commands/emulate.ts';
import { UsageError } from '../../../src/cli/exit-codes.ts';
import type { Io } from '../../../src/cli/io.ts';
import { until } from '../../helpers/wait.ts';

function captureIo(): Io & { readonly out: string[] } {
  const out: string[] = [];
  return {
    out,
    stdout: (text) => out.push(text),
    stderr: () => {},
    cwd: process.cwd(),
    isTTY: false,
    columns: 80,
  };
}

describe('kestrel emulate bybit', () => {
  it('serves a replayed synthetic market that real ccxt bybit loads and reads, until stopped', async () => {
    const io = captureIo();
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const running = emulateCommand(['bybit', '--port', '0', '--speed', '5'], io, stopped);
    try {
      await until(() => io.out.join('').includes('listening on'), 'the emulator banner');
      const banner = io.out.join('');
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1];
      assert.ok(url !== undefined, banner);
      assert.match(banner, /kestrel run --venue bybit --url/);
      const client = new ccxt.bybit({
        apiKey: 'kestrel-emulator-key',
        secret: 'kestrel-emulator-secret',
      });
      client.urls['api'] = Object.fromEntries(
        Object.entries(client.urls['api'] as Record<string, string>).map(([k, v]) => [
          k,
          typeof v === 'string' ? v.replace(/^https:\/\/[^/]+/, url) : v,
        ]),
      );
      await client.loadMarkets();
      let bid: number | undefined;
      for (let i = 0; i < 400 && bid === undefined; i++) {
        const book = await client.fetchOrderBook('BTC/USDT:USDT');
        bid = book.bids[0]?.[0];
        if (bid === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(bid !== undefined && bid > 0, 'the synthetic market reached the book');
      assert.equal((await client.fetchBalance())['USDT']?.total, 10_000);
    } finally {
      stop();
    }
    assert.equal(await running, 0);
  });

  it('names bybit among the emulators it knows', async () => {
    await assert.rejects(
      emulateCommand(['nasdaq'], captureIo(), Promise.resolve()),
      (error: unknown) =>
        error instanceof UsageError && /binance-usdm, bybit or lighter/.test(error.message),
    );
  });
});
