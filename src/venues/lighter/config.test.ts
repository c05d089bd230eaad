import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { KestrelError } from '../../core/errors.ts';
import { LIGHTER_PRESETS, loadLighterConfig } from './config.ts';

const KEY = `0x${'ab12'.repeat(20)}`;

describe('lighter config', () => {
  it('mainnet and testnet presets carry their URLs and chain ids', () => {
    const mainnet = loadLighterConfig({
      network: 'mainnet',
      accountIndex: 1,
      apiKeyIndex: 3,
      privateKey: KEY,
      env: {},
    });
    assert.equal(mainnet.url, 'https://mainnet.zklighter.elliot.ai');
    assert.equal(mainnet.wsUrl, 'wss://mainnet.zklighter.elliot.ai/stream');
    assert.equal(mainnet.chainId, 304);
    assert.equal(mainnet.checkTxHash, true);
    const testnet = loadLighterConfig({
      accountIndex: 1,
      apiKeyIndex: 3,
      privateKey: KEY,
      env: {},
    });
    assert.equal(testnet.network, 'testnet', 'testnet unless told otherwise');
    assert.equal(testnet.chainId, LIGHTER_PRESETS.testnet.chainId);
  });

  it('reads LIGHTER_* environment variables', () => {
    const config = loadLighterConfig({
      env: {
        LIGHTER_NETWORK: 'mainnet',
        LIGHTER_ACCOUNT_INDEX: '225671',
        LIGHTER_API_KEY_INDEX: '4',
        LIGHTER_API_PRIVATE_KEY: KEY,
      },
    });
    assert.equal(config.network, 'mainnet');
    assert.equal(config.accountIndex, 225671);
    assert.equal(config.apiKeyIndex, 4);
    assert.equal(config.privateKey?.reveal(), KEY);
  });

  it('reads a JSON config file, options winning over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-lighter-'));
    try {
      const file = join(dir, 'lighter.json');
      writeFileSync(
        file,
        JSON.stringify({ network: 'mainnet', accountIndex: 7, apiKeyIndex: 5, privateKey: KEY }),
      );
      const config = loadLighterConfig({ configFile: file, apiKeyIndex: 6, env: {} });
      assert.equal(config.accountIndex, 7);
      assert.equal(config.apiKeyIndex, 6);
      assert.equal(config.chainId, 304);
      const viaEnv = loadLighterConfig({ env: { LIGHTER_CONFIG: file } });
      assert.equal(viaEnv.accountIndex, 7);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a custom url (the emulator) derives the stream URL and keeps the tx-hash check', () => {
    const config = loadLighterConfig({
      url: 'http://127.0.0.1:4000/',
      accountIndex: 1,
      apiKeyIndex: 3,
      privateKey: KEY,
      signer: 'fake',
      env: {},
    });
    assert.equal(config.network, 'custom');
    assert.equal(config.url, 'http://127.0.0.1:4000');
    assert.equal(config.wsUrl, 'ws://127.0.0.1:4000/stream');
    assert.equal(config.checkTxHash, true, 'the emulator hashes as the venue does');
    assert.equal(config.signer, 'fake');
  });

  it('reads several API keys: a list of indexes with their private keys in the same order', () => {
    const other = `0x${'cd34'.repeat(20)}`;
    const fromEnv = loadLighterConfig({
      env: {
        LIGHTER_ACCOUNT_INDEX: '7',
        LIGHTER_API_KEY_INDEX: '3, 4',
        LIGHTER_API_PRIVATE_KEY: `${KEY},${other}`,
      },
    });
    assert.deepEqual(
      fromEnv.apiKeys.map((k) => [k.apiKeyIndex, k.privateKey.reveal()]),
      [
        [3, KEY],
        [4, other],
      ],
    );
    assert.equal(fromEnv.apiKeyIndex, 3, 'the first key signs the auth tokens');
    const fromOptions = loadLighterConfig({
      accountIndex: 7,
      apiKeyIndex: [5, 6],
      privateKey: [KEY, other],
      env: {},
    });
    assert.deepEqual(
      fromOptions.apiKeys.map((k) => k.apiKeyIndex),
      [5, 6],
    );
    assert.ok(!JSON.stringify(fromOptions).includes('cd34cd34'), 'no key printed');
  });

  it('refuses a malformed key list, naming the field and value and never a key', () => {
    const refusal = (options: Parameters<typeof loadLighterConfig>[0]) => {
      try {
        loadLighterConfig({ accountIndex: 1, env: {}, ...options });
      } catch (error) {
        assert.ok(error instanceof KestrelError && error.code === 'INVALID_CONFIG');
        assert.ok(!error.message.includes('ab12ab12'), error.message);
        return { field: error.field, value: error.value, message: error.message };
      }
      assert.fail('accepted');
    };
    assert.deepEqual(refusal({ apiKeyIndex: [3, 4, 3], privateKey: [KEY, KEY, KEY] }), {
      field: 'apiKeyIndex',
      value: 3,
      message: 'lighter config: apiKeyIndex lists 3 twice (each key is used once)',
    });
    assert.deepEqual(refusal({ apiKeyIndex: [3, 255], privateKey: [KEY, KEY] }), {
      field: 'apiKeyIndex',
      value: 255,
      message: 'lighter config: apiKeyIndex 255 must be in 0..254',
    });
    assert.deepEqual(
      refusal({ env: { LIGHTER_API_KEY_INDEX: '3,x', LIGHTER_API_PRIVATE_KEY: KEY } }),
      {
        field: 'LIGHTER_API_KEY_INDEX',
        value: 'x',
        message:
          'lighter config: LIGHTER_API_KEY_INDEX must list integers separated by commas, got "x"',
      },
    );
    assert.deepEqual(
      refusal({ env: { LIGHTER_API_KEY_INDEX: '3,4', LIGHTER_API_PRIVATE_KEY: KEY } }),
      {
        field: 'privateKey',
        value: undefined,
        message:
          'lighter config: privateKey lists 1 key for 2 API key indexes (3,4): give one per index, in the same order',
      },
    );
    assert.deepEqual(refusal({ apiKeyIndex: [3, 4], privateKey: [KEY, 'ab12'] }), {
      field: 'privateKey',
      value: undefined,
      message:
        'lighter config: privateKey of API key 4 must be 40 bytes of hex (80 hex digits, optionally 0x-prefixed)',
    });
  });

  it('never prints the private key', () => {
    const config = loadLighterConfig({ accountIndex: 1, apiKeyIndex: 3, privateKey: KEY, env: {} });
    for (const text of [
      JSON.stringify(config),
      inspect(config, { depth: 5 }),
      `${config.privateKey}`,
      String(config.privateKey),
    ]) {
      assert.ok(!text.includes(KEY.slice(2, 20)), text);
    }
    assert.ok(JSON.stringify(config).includes('[redacted]'));
  });

  it('refuses what it cannot use, naming the field and never the key', () => {
    const refused = (options: Parameters<typeof loadLighterConfig>[0], field: string) => {
      assert.throws(
        () => loadLighterConfig({ env: {}, ...options }),
        (error: unknown) =>
          error instanceof KestrelError &&
          error.code === 'INVALID_CONFIG' &&
          error.field === field &&
          !error.message.includes('ab12ab12'),
      );
    };
    refused({ apiKeyIndex: 3, privateKey: KEY }, 'accountIndex');
    refused({ accountIndex: 1, privateKey: KEY }, 'apiKeyIndex');
    refused({ accountIndex: 1, apiKeyIndex: 3 }, 'privateKey');
    refused({ accountIndex: 1, apiKeyIndex: 3, privateKey: `${KEY}ab12` }, 'privateKey');
    refused({ accountIndex: 1, apiKeyIndex: 300, privateKey: KEY }, 'apiKeyIndex');
    refused({ network: 'mainnet', accountIndex: 1, apiKeyIndex: 3, signer: 'fake' }, 'signer');
    refused(
      { url: 'http://127.0.0.1:4000', accountIndex: 1, apiKeyIndex: 3, signer: 'fake' },
      'privateKey',
    );
    refused(
      { env: { LIGHTER_ACCOUNT_INDEX: 'x' }, apiKeyIndex: 3, privateKey: KEY },
      'LIGHTER_ACCOUNT_INDEX',
    );
  });
});
