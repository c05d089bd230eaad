import { createClientIdGenerator } from '../src/core/ids.ts';
import { lighterEmulatorKey, startLighterEmulator } from '../src/emulators/lighter/emulator.ts';
import { AccountProcessor } from '../src/engine/account-processor.ts';
import { systemClock } from '../src/engine/clock.ts';
import { silentLogger } from '../src/engine/logger.ts';
import { TradingManager } from '../src/engine/trading-manager.ts';
import { loadLighterConfig } from '../src/venues/lighter/config.ts';
import { createLighterVenue } from '../src/venues/lighter/venue.ts';
import type { Figure } from './harness.ts';
import { BENCH_RISK_LIMITS } from './harness.ts';

/** The venue's reply to each sendTx comes this late, as from a venue a few ms of network away */
const REPLY_MS = 100;

async function waitFor(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`lighter keys bench: no ${what} in 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Orders a second from submit to every order OPEN, one process signing with `keys` */
async function ordersPerSecond(keys: readonly number[], orders: number): Promise<number> {
  const emulator = await startLighterEmulator({
    apiKeys: keys.filter((k) => k !== 3).map((apiKeyIndex) => ({ apiKeyIndex })),
  });
  const venue = createLighterVenue(
    loadLighterConfig({
      url: emulator.url,
      accountIndex: emulator.accountIndex,
      chainId: emulator.chainId,
      apiKeyIndex: [...keys],
      privateKey: keys.map((k) => lighterEmulatorKey(k).privateKey),
      env: {},
      overrides: { symbols: ['ETH'] },
    }),
    { clock: systemClock, logger: silentLogger },
  );
  try {
    await venue.load();
    const account = new AccountProcessor({
      exchange: venue.exchange,
      clock: systemClock,
      logger: silentLogger,
    });
    const trading = new TradingManager({
      brokers: [venue.broker],
      account,
      clock: systemClock,
      logger: silentLogger,
      ids: createClientIdGenerator({ instanceTag: 'bk', counterStart: 0 }),
      risk: BENCH_RISK_LIMITS,
    });
    await venue.start({ instruments: venue.instruments, onMarket: () => {} });
    emulator.setQuote('ETH', 2000, 2001, { bid: 5, ask: 5 });
    const eth = venue.instruments[0];
    if (eth === undefined) throw new Error('lighter keys bench: no ETH market');
    emulator.faults.delayRequests({ path: '/api/v1/sendTx', ms: REPLY_MS, count: 1_000_000 });
    const started = performance.now();
    const ids = Array.from({ length: orders }, (_, i) =>
      trading.tradeAsync(eth, 0.01, 1900 - (i % 400) * 0.25, { postOnly: true }),
    );
    await waitFor(() => ids.every((id) => account.findOrder(id)?.status === 'OPEN'), 'accepts');
    return (orders * 1000) / (performance.now() - started);
  } finally {
    await venue.stop();
    await emulator.close();
  }
}

/**
 * Lighter transaction throughput by API keys: one process submits post-only creates as fast as
 * it can while each sendTx reply takes 100 ms, signing with 1, 2 and 4 keys (the real WASM
 * signer, one worker for all keys). Each key sends one transaction at a time (its nonce lock),
 * so one key is bound by the reply time; more keys send in parallel. Rounds interleave the key
 * counts; the median of each is reported beside one key's. The emulator runs in the same
 * process and checks every signature in TypeScript: with much shorter replies its CPU, not the
 * keys, bounds the rate on a small machine.
 */
export async function benchLighterKeys(quick: boolean): Promise<Figure[]> {
  const orders = quick ? 30 : 80;
  const rounds = quick ? 1 : 3;
  const counts = [[3], [3, 4], [3, 4, 5, 6]] as const;
  const rates = new Map<number, number[]>(counts.map((keys) => [keys.length, []]));
  for (let round = 0; round < rounds; round++)
    for (const keys of counts) rates.get(keys.length)?.push(await ordersPerSecond(keys, orders));
  const median = (values: readonly number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const one = median(rates.get(1) ?? []);
  return counts.map((keys) => {
    const rate = median(rates.get(keys.length) ?? []);
    return {
      bench: 'lighter keys',
      metric: `creates accepted, ${keys.length} API key${keys.length === 1 ? '' : 's'}`,
      value: rate,
      unit: 'orders/s',
      note: `${(rate / one).toFixed(2)}× one key; ${orders} orders, sendTx replies ${REPLY_MS} ms, median of ${rounds}`,
    };
  });
}
