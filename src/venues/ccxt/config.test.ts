import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ccxt from 'ccxt';
import { KestrelError } from '../../core/errors.ts';
import { createRandom } from '../../core/random.ts';
import { createRedactor } from '../../engine/secret.ts';
import { backoffDelay } from './backoff.ts';
import { loadCcxtConfig } from './config.ts';
import { isOrderNotFound, toKestrelError } from './errors.ts';
import { BINANCE_ERRORS } from './profiles/binance-errors.ts';

describe('loadCcxtConfig', () => {
  it('takes credentials from fields, then the file, then exchange-specific, then generic variables', () => {
    const env = {
      KESTREL_CCXT_API_KEY: 'generic-key',
      KESTREL_CCXT_SECRET: 'generic-secret',
      BINANCEUSDM_API_KEY: 'specific-key',
      BINANCEUSDM_SECRET: 'specific-secret',
    };
    assert.equal(loadCcxtConfig({ exchange: 'binanceusdm', env }).apiKey?.reveal(), 'specific-key');
    assert.equal(loadCcxtConfig({ exchange: 'okx', env }).apiKey?.reveal(), 'generic-key');
    assert.equal(
      loadCcxtConfig({ exchange: 'binanceusdm', env, apiKey: 'k', secret: 's' }).secret?.reveal(),
      's',
    );
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-ccxt-'));
    try {
      const file = join(dir, 'ccxt.json');
      writeFileSync(
        file,
        JSON.stringify({
          exchange: 'binanceusdm',
          apiKey: 'file-key',
          secret: 'file-secret',
          url: 'http://127.0.0.1:9',
        }),
      );
      const config = loadCcxtConfig({ file, env });
      assert.equal(config.apiKey?.reveal(), 'file-key');
      assert.equal(config.url, 'http://127.0.0.1:9');
      writeFileSync(
        file,
        JSON.stringify({ exchange: 'binanceusdm', apiKey: 42, secret: 'leak-me-not' }),
      );
      assert.throws(
        () => loadCcxtConfig({ file, env: {} }),
        (error: unknown) =>
          error instanceof KestrelError &&
          error.code === 'INVALID_CONFIG' &&
          !error.message.includes('leak-me-not'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses contradictory or incomplete configs', () => {
    const cases: [string, Parameters<typeof loadCcxtConfig>[0]][] = [
      ['no exchange', { env: {} }],
      ['key without secret', { exchange: 'binanceusdm', apiKey: 'k', env: {} }],
      ['testnet and demo', { exchange: 'binanceusdm', testnet: true, demo: true, env: {} }],
      [
        'testnet and url',
        { exchange: 'binanceusdm', testnet: true, url: 'http://127.0.0.1:1', env: {} },
      ],
    ];
    for (const [name, input] of cases) {
      assert.throws(
        () => loadCcxtConfig(input),
        (e: unknown) => e instanceof KestrelError && e.code === 'INVALID_CONFIG',
        name,
      );
    }
    assert.equal(
      loadCcxtConfig({ exchange: 'binanceusdm', env: { KESTREL_CCXT_TESTNET: '1' } }).testnet,
      true,
    );
  });
});

describe('the ccxt error table', () => {
  const context = { action: 'createOrder', redact: (t: string) => t, errors: BINANCE_ERRORS };
  const cases: [string, unknown, string, string][] = [
    [
      '-2019 through a local URL arrives as a plain ExchangeError',
      new ccxt.ExchangeError('binanceusdm {"code":-2019,"msg":"Margin is insufficient."}'),
      'VENUE_REJECTED',
      'venue',
    ],
    [
      '-1021 is a verdict although ccxt calls it InvalidNonce (a network error)',
      new ccxt.InvalidNonce('binanceusdm {"code":-1021,"msg":"Timestamp..."}'),
      'VENUE_REJECTED',
      'venue',
    ],
    [
      '-1007 says the execution status is unknown',
      new ccxt.ExchangeError('binanceusdm {"code":-1007,"msg":"Timeout..."}'),
      'TIMEOUT',
      'ambiguous',
    ],
    [
      'a 5xx',
      new ccxt.ExchangeNotAvailable('binanceusdm 503 Service Unavailable'),
      'VENUE_UNAVAILABLE',
      'ambiguous',
    ],
    ['a timeout', new ccxt.RequestTimeout('binanceusdm POST timed out'), 'TIMEOUT', 'ambiguous'],
    ['a 429', new ccxt.RateLimitExceeded('binanceusdm 429'), 'RATE_LIMITED', 'venue'],
    ['a 418 ban', new ccxt.DDoSProtection('binanceusdm 418'), 'RATE_LIMITED', 'venue'],
    ['a reset socket', new ccxt.NetworkError('ECONNRESET'), 'NETWORK', 'ambiguous'],
    [
      'bad credentials',
      new ccxt.AuthenticationError('binanceusdm {"code":-2015,"msg":"Invalid API-key"}'),
      'VENUE_REJECTED',
      'venue',
    ],
    [
      'post-only would cross',
      new ccxt.OrderImmediatelyFillable('binanceusdm {"code":-5022,"msg":"..."}'),
      'VENUE_REJECTED',
      'venue',
    ],
    [
      'ccxt refused before sending',
      new ccxt.ArgumentsRequired('symbol required'),
      'INVALID_ARGUMENT',
      'local',
    ],
    ['not supported', new ccxt.NotSupported('no'), 'NOT_SUPPORTED', 'local'],
    ['anything else', new TypeError('boom'), 'UNKNOWN', 'ambiguous'],
  ];
  for (const [name, error, code, kind] of cases) {
    it(name, () => {
      const mapped = toKestrelError(error, context);
      assert.equal(mapped.code, code);
      assert.equal(mapped.kind, kind);
    });
  }

  it('reads Retry-After and recognises unknown orders', () => {
    const limited = toKestrelError(new ccxt.RateLimitExceeded('429'), {
      ...context,
      headers: { 'retry-after': '2' },
    });
    assert.equal(limited.retryAfterMs, 2000);
    assert.equal(isOrderNotFound(new ccxt.OrderNotFound('x'), BINANCE_ERRORS), true);
    assert.equal(
      isOrderNotFound(
        toKestrelError(
          new ccxt.ExchangeError('{"code":-2013,"msg":"Order does not exist."}'),
          context,
        ),
        BINANCE_ERRORS,
      ),
      true,
    );
    assert.equal(
      isOrderNotFound(
        toKestrelError(new ccxt.ExchangeError('{"code":-2019,"msg":"Margin"}'), context),
        BINANCE_ERRORS,
      ),
      false,
    );
  });

  it('scrubs credentials and signatures from messages', () => {
    const redact = createRedactor([{ reveal: () => 'sekrit-value' } as never]);
    assert.equal(
      redact('GET /x?timestamp=1&signature=abcdef0123 key sekrit-value'),
      'GET /x?timestamp=1&signature=[redacted] key [redacted]',
    );
  });
});

describe('reconnect backoff', () => {
  it('grows exponentially to its cap, with jitter that never waits less than half', () => {
    const random = createRandom(3);
    const policy = { baseMs: 100, maxMs: 1_000 };
    const delays = [1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, policy, random));
    const caps = [100, 200, 400, 800, 1000, 1000];
    delays.forEach((delay, i) => {
      assert.ok(delay >= caps[i]! / 2 && delay <= caps[i]!, `attempt ${i + 1}: ${delay}`);
    });
  });
});
