import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freshSetupPerTest, settle, until } from './harness.ts';

describe('ccxt account stream resilience against the emulator', () => {
  const start = freshSetupPerTest();

  it('backs off while the venue refuses connections instead of redialing in a loop, then recovers', async () => {
    const { emulator, venue, trading, account, btc, health } = await start({
      overrides: {
        stream: {
          backoffBaseMs: 100,
          backoffMaxMs: 400,
          watchdogMs: 60_000,
          connectTimeoutMs: 2_000,
        },
      },
    });
    const before = emulator.faults.state().refusedUpgrades;
    emulator.faults.refuseConnections(1_500);
    emulator.faults.dropConnections({ stream: 'user' });
    await settle(1_500);
    const dials = emulator.faults.state().refusedUpgrades - before;
    // ccxt alone redials thousands of times in this window; with backoff from 100 ms to 400 ms a handful
    assert.ok(dials >= 1 && dials <= 20, `refused dials: ${dials}`);
    console.log(`refused dials in 1.5 s: ${dials}`);
    await until(() => venue.stats().accountConnected, 'the stream to come back');
    const order = await trading.trade(btc, 0.002, 63000);
    emulator.printTrade('BTCUSDT', 62999.9, 0.002, 'SELL');
    await until(
      () => account.findOrder(order.clientId)?.status === 'FILLED',
      'a fill on the new stream',
    );
    const counts = health.snapshot().exchanges[0]?.counts;
    assert.ok((counts?.reconnects ?? 0) >= 1);
  });

  it('notices an expired listenKey by its silence, resubscribes with a fresh key and resyncs', async () => {
    const { emulator, venue, trading, account, btc } = await start({
      overrides: {
        stream: { backoffBaseMs: 40, backoffMaxMs: 200, watchdogMs: 700, connectTimeoutMs: 2_000 },
      },
    });
    const keysBefore = emulator.requests.filter(
      (r) => r.method === 'POST' && r.path === '/fapi/v1/listenKey',
    ).length;
    const order = await trading.trade(btc, 0.002, 63000);
    assert.equal(emulator.faults.expireListenKeys(), 1);
    // Filled while the expired stream is silent: only the resync after the watchdog can see it
    emulator.printTrade('BTCUSDT', 62999.9, 0.002, 'SELL');
    await until(
      () => account.findOrder(order.clientId)?.status === 'FILLED',
      'the watchdog resync to book the fill',
    );
    const keysAfter = emulator.requests.filter(
      (r) => r.method === 'POST' && r.path === '/fapi/v1/listenKey',
    ).length;
    assert.ok(keysAfter > keysBefore, 'a new listenKey was fetched');
    assert.ok(venue.stats().accountReconnects >= 1);
    await until(() => venue.stats().accountConnected, 'the stream on the new key');
  });

  it('rejects an order refused with a 429 (Binance executed nothing) and honours Retry-After', async () => {
    const { emulator, trading, btc, venue } = await start({
      overrides: { statusCheckDelayMs: 60_000 },
    });
    emulator.faults.rateLimit({ count: 1, retryAfterSeconds: 1 });
    const order = await trading.trade(btc, 0.002, 63000);
    assert.equal(order.status, 'REJECTED');
    assert.match(order.reason ?? '', /-1003: Too many requests/);
    assert.equal(emulator.orders().length, 0, 'nothing at the venue');
    const limitedAt = emulator.requests.at(-1)?.time ?? 0;
    assert.equal(emulator.requests.at(-1)?.status, 429);
    await venue.resync();
    const next = emulator.requests.find((r) => r.time > limitedAt);
    assert.ok(next !== undefined);
    assert.ok(next.time - limitedAt >= 950, `the next request waited ${next.time - limitedAt} ms`);
    assert.equal(venue.stats().rateLimited, 1);
  });
});
