import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { KestrelError } from '../../../src/core/errors.ts';
import { formatLogRecord } from '../../../src/engine/logger.ts';
import { loadCcxtConfig } from '../../../src/venues/ccxt/index.ts';
import { setupCcxt, until } from './harness.ts';

const KEY = 'kst-key-7d1f0c55aa31';
const SECRET = 'kst-secret-9a8b7c66bb42';

describe('credentials never leave the ccxt venue', () => {
  it('keeps the key and secret out of every log line, order reason and error, right or wrong', async () => {
    const texts: string[] = [];
    // A session with the right credentials that goes through failures: a 5xx, a reconnect, a verdict
    const good = await setupCcxt({
      emulator: { apiKey: KEY, apiSecret: SECRET },
      apiKey: KEY,
      secret: SECRET,
    });
    try {
      good.emulator.faults.failRequests({ status: 500, method: 'POST', path: '/fapi/v1/order' });
      const ambiguous = await good.trading.trade(good.btc, 0.002, 63000);
      assert.equal(ambiguous.status, 'PENDING');
      const rejected = await good.trading.trade(good.btc, 50, 63000);
      assert.equal(rejected.status, 'REJECTED');
      texts.push(rejected.reason ?? '');
      good.emulator.faults.dropConnections({ stream: 'user' });
      await until(
        () => good.venue.stats().accountReconnects >= 1 && good.venue.stats().accountConnected,
        'the reconnect',
      );
      texts.push(
        ...good.logger.records.map(formatLogRecord),
        ...good.logger.records.map((r) => JSON.stringify(r.fields)),
      );
    } finally {
      await good.close();
    }

    // A session whose secret (then key) the venue refuses
    for (const wrong of [
      { apiKey: KEY, secret: 'kst-wrong-secret-123456' },
      { apiKey: 'kst-wrong-key-654321', secret: SECRET },
    ]) {
      const bad = await setupCcxt({
        emulator: { apiKey: KEY, apiSecret: SECRET },
        ...wrong,
        start: false,
      });
      try {
        const order = await bad.trading.trade(bad.btc, 0.002, 63000);
        assert.equal(order.status, 'REJECTED');
        assert.match(order.reason ?? '', /^-(1022|2015): /);
        texts.push(order.reason ?? '');
        await assert.rejects(bad.venue.fetchBalances(), (error: unknown) => {
          assert.ok(error instanceof KestrelError);
          assert.equal(error.kind, 'venue');
          texts.push(error.message, String(error.stack), JSON.stringify(error));
          return true;
        });
        texts.push(
          ...bad.logger.records.map(formatLogRecord),
          ...bad.logger.records.map((r) => JSON.stringify(r.fields)),
        );
        for (const secret of [wrong.apiKey, wrong.secret]) {
          for (const text of texts) assert.ok(!text.includes(secret), `leaked in: ${text}`);
        }
      } finally {
        await bad.close();
      }
    }
    assert.ok(texts.length > 10);
    for (const text of texts) {
      assert.ok(!text.includes(KEY), `the key leaked in: ${text}`);
      assert.ok(!text.includes(SECRET), `the secret leaked in: ${text}`);
      assert.ok(!/signature=[0-9a-f]{16,}/.test(text), `a signature leaked in: ${text}`);
    }
  });

  it('prints a config without its credentials', () => {
    const config = loadCcxtConfig({
      exchange: 'binanceusdm',
      env: { BINANCEUSDM_API_KEY: KEY, BINANCEUSDM_SECRET: SECRET },
    });
    assert.equal(config.apiKey?.reveal(), KEY);
    for (const text of [
      JSON.stringify(config),
      inspect(config, { depth: 5 }),
      String(config.secret),
      `${config.apiKey}`,
    ]) {
      assert.ok(!text.includes(KEY) && !text.includes(SECRET), text);
    }
  });
});
