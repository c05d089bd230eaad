/**
 * Rate limits shared per API key across processes, on a real Redis: two venue connections on
 * one key (two processes, as the venue sees them) query the Binance USDⓈ-M emulator as fast as
 * they can. The emulator holds a request-weight limit between one process's pace (ccxt's bucket
 * for the venue: 20 weight a second) and two processes' (40): alone, each stays under it;
 * together, without Redis, they pass it and get 429s; with Redis they share one bucket and get
 * none. Bad `--redis` input is refused in one line, before anything is written.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { openVenue } from '../../src/cli/venues.ts';
import type { Order } from '../../src/core/order.ts';
import { defaultInstruments } from '../../src/emulators/binance-usdm/defaults.ts';
import type { BinanceUsdmEmulator } from '../../src/emulators/binance-usdm/emulator.ts';
import { startBinanceUsdmEmulator } from '../../src/emulators/binance-usdm/emulator.ts';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET } from '../../src/emulators/credentials.ts';
import { systemClock } from '../../src/engine/clock.ts';
import { createMemoryLogger } from '../../src/engine/logger.ts';
import type { VenueConnection } from '../../src/engine/venue.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import type { RunningServer } from '../helpers/servers.ts';
import { freePort, startRedis, whyNoRedis } from '../helpers/servers.ts';

let redis: RunningServer | undefined;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

/**
 * Each process's bucket: one weight per 200 ms (5 a second; slower than ccxt's default for
 * Binance, 20, so that a busy machine still drives it at full pace). The emulator allows 8 a
 * second: above one process's 5, below two processes' 10.
 */
const RATE_LIMIT_MS = 200;
const LIMIT = { weight: 8, intervalMs: 1_000 };
const DRIVE_MS = 4_000;

/** Both connections query an order (weight 1 each) as fast as they can for DRIVE_MS */
async function drive(emulator: BinanceUsdmEmulator, sharedOn: string | undefined) {
  const config = join(mkdtempSync(join(tmpdir(), 'kestrel-rate-')), 'binanceusdm.json');
  writeFileSync(
    config,
    JSON.stringify({
      apiKey: DEFAULT_API_KEY,
      secret: DEFAULT_API_SECRET,
      rateLimitMs: RATE_LIMIT_MS,
    }),
  );
  const venues: VenueConnection[] = [];
  for (let i = 0; i < 2; i++) {
    const venue = await openVenue({
      venue: 'binanceusdm',
      url: emulator.url,
      config,
      env: {},
      clock: systemClock,
      logger: createMemoryLogger('warn'),
      redis: sharedOn,
    });
    await venue.load();
    venues.push(venue);
  }
  const instrument = venues[0]?.instruments.find((i) => i.symbol === 'BTC/USDT:USDT');
  assert.ok(instrument !== undefined);
  const missing = {
    clientId: 'knone-1',
    venueOrderId: '999999',
    instrument,
    origin: 'FRAMEWORK',
  } as unknown as Order;
  const first = emulator.requests.length;
  const deadline = Date.now() + DRIVE_MS;
  const answered = [0, 0];
  // Several requests in flight per process, so its throttle, not the round trip, sets the pace
  await Promise.all(
    venues.flatMap((venue, i) =>
      Array.from({ length: 8 }, async () => {
        while (Date.now() < deadline) {
          await venue.queryOrder?.(missing).catch(() => {});
          answered[i] = (answered[i] ?? 0) + 1;
        }
      }),
    ),
  );
  await Promise.all(venues.map((v) => v.stop()));
  const requests = emulator.requests.slice(first);
  return {
    requests: requests.length,
    limited: requests.filter((r) => r.status === 429).length,
    answered,
  };
}

describe('rate limits shared across processes', () => {
  it('two processes on one key: 429s without Redis, none with it', async (t) => {
    if (redis === undefined) {
      t.skip(whyNoRedis() ?? 'Redis did not start');
      return;
    }
    const alone = await startBinanceUsdmEmulator({
      instruments: defaultInstruments(),
      requestWeight: LIMIT,
    });
    const together = await startBinanceUsdmEmulator({
      instruments: defaultInstruments(),
      requestWeight: LIMIT,
    });
    try {
      const unshared = await drive(alone, undefined);
      assert.ok(
        unshared.limited > 0,
        `each process spacing its own requests passes the limit together: ${JSON.stringify(unshared)}`,
      );
      const shared = await drive(together, redis.url);
      assert.equal(shared.limited, 0, `no 429 with one bucket: ${JSON.stringify(shared)}`);
      // Both made progress at the shared pace (20 a second between them, with room for a slow box)
      assert.ok(
        shared.answered.every((n) => n >= 5),
        JSON.stringify(shared),
      );
      assert.ok(shared.requests <= (LIMIT.weight * DRIVE_MS) / 1_000 + 10, JSON.stringify(shared));
    } finally {
      await alone.close();
      await together.close();
    }
  });

  it('refuses a malformed or unreachable Redis in one line, before anything is written', async () => {
    const emulator = await startBinanceUsdmEmulator({ instruments: defaultInstruments() });
    try {
      const port = await freePort();
      for (const [url, code, message] of [
        [
          'redis//127.0.0.1',
          2,
          /^kestrel run: --redis must be a Redis URL .*got "redis\/\/127\.0\.0\.1"/,
        ],
        [
          `redis://:secret@127.0.0.1:${port}`,
          5,
          new RegExp(
            `^kestrel run: cannot reach Redis at redis://\\*\\*\\*@127\\.0\\.0\\.1:${port}`,
          ),
        ],
      ] as const) {
        const { io, err } = memoryIo();
        const result = await main(
          [
            'run',
            '--venue',
            'binanceusdm',
            '--url',
            emulator.url,
            '--redis',
            url,
            '--journal',
            'run.journal',
            '--duration',
            '1s',
            '--quiet',
          ],
          io,
        );
        assert.equal(result, code, err());
        assert.match(err(), message);
        assert.doesNotMatch(err(), /secret/);
        assert.equal(err().trim().split('\n').length, 1, `one line: ${err()}`);
        assert.equal(existsSync(join(io.cwd, 'run.journal')), false, 'nothing written');
      }
    } finally {
      await emulator.close();
    }
  });
});
