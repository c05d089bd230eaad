/**
 * The Lighter emulator as a venue, spoken to over raw HTTP and WebSocket on 127.0.0.1: the
 * transaction checks (account, key, nonce, client order index, amounts, expiry), the venue's
 * error codes, both form encodings, the stream protocol (connected, auth, `:` channels,
 * snapshots then updates, ping/pong, error frames), the fault API over HTTP, and frames shaped
 * like the ones captured from mainnet.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MarketEvent } from '../../../src/core/market-data.ts';
import {
  DEFAULT_LIGHTER_MARKETS,
  LIGHTER_EMULATOR_ACCOUNT_INDEX,
  LIGHTER_EMULATOR_API_KEY_INDEX,
  LIGHTER_EMULATOR_CHAIN_ID,
  LIGHTER_EMULATOR_PRIVATE_KEY,
  startLighterEmulator,
  toEmulatorMarket,
} from '../../../src/emulators/lighter/index.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { createFakeSigner } from '../../../src/venues/lighter/fake-signer.ts';
import { parseWith } from '../../../src/venues/lighter/parsers.ts';
import {
  orderBookDetailsResponseSchema,
  ordersResponseSchema,
  wsAccountTradesSchema,
  wsOrderBookSchema,
} from '../../../src/venues/lighter/schemas.ts';
import type { LighterSigner } from '../../../src/venues/lighter/signer.ts';
import { connect, fake, get, limit, post, sendTx, withEmulator } from './emulator-client.ts';
import { emulatorWasmSigner, until } from './harness.ts';
import { hasSharedFixtures, readShared, SKIP_MESSAGE } from './shared-fixtures.ts';

let wasm: LighterSigner;
before(async () => {
  wasm = await emulatorWasmSigner();
});

after(async () => {
  await wasm.close();
});

describe('lighter emulator: transactions', () => {
  it('accepts a create signed by the real WASM signer and answers with its hash', async () => {
    await withEmulator(async (emulator) => {
      const tx = await wasm.signCreateOrder(limit(), { nonce: 0 });
      const reply = await sendTx(emulator, tx.txType, tx.txInfo);
      assert.equal(reply.status, 200);
      assert.equal(reply.body['code'], 200);
      assert.equal(reply.body['tx_hash'], tx.txHash, 'the hash recomputed from the signed fields');
      assert.equal(typeof reply.body['predicted_execution_time_ms'], 'number');
      assert.equal(typeof reply.body['volume_quota_remaining'], 'number');
      await until(() => emulator.venue.openOrders().length === 1, 'the order resting');
      const nonce = await get(
        emulator,
        `/api/v1/nextNonce?account_index=${emulator.accountIndex}&api_key_index=${emulator.apiKeyIndex}`,
      );
      assert.deepEqual(nonce.body, { code: 200, nonce: 1 });
    });
  });

  it('refuses with the venue codes: nonce, client order index, amounts, account, signature, expiry', async () => {
    // Field rules are checked before the signature (the signer's own Validate); state after it
    await withEmulator(async (emulator) => {
      const refuse = async (txInfo: string, code: number, txType = 14) => {
        const reply = await sendTx(emulator, txType, txInfo);
        assert.equal(reply.status, 400, txInfo);
        assert.equal(reply.body['code'], code, String(reply.body['message']));
      };
      await refuse((await fake.signCreateOrder(limit(), { nonce: 5 })).txInfo, 21104);
      const edit = async (change: Record<string, unknown>, nonce = 0) => {
        const info = JSON.parse((await fake.signCreateOrder(limit(), { nonce })).txInfo) as Record<
          string,
          unknown
        >;
        return JSON.stringify({ ...info, ...change });
      };
      await refuse(await edit({ ClientOrderIndex: 2 ** 48 }), 21727);
      await refuse(await edit({ Price: 0 }), 21702);
      await refuse(await edit({ Type: 1 }), 21705);
      await refuse(await edit({ OrderExpiry: Date.now() + 60_000 }), 21711);
      await refuse(await edit({ AccountIndex: 5 }), 21501);
      await refuse(await edit({ Sig: 'AAAA' }), 21501);
      await refuse('not json', 21501);
      await refuse(await edit({}), 21505, 99);
      // A signed field changed afterwards: the recomputed hash is not what was signed
      await refuse(await edit({ BaseAmount: 101 }), 21120);
      await refuse(await edit({ IsAsk: 1 }), 21120);
      const signedBy = (options: { privateKey?: string; chainId?: number }) =>
        createFakeSigner({
          privateKey: options.privateKey ?? LIGHTER_EMULATOR_PRIVATE_KEY,
          accountIndex: LIGHTER_EMULATOR_ACCOUNT_INDEX,
          apiKeyIndex: LIGHTER_EMULATOR_API_KEY_INDEX,
          chainId: options.chainId ?? LIGHTER_EMULATOR_CHAIN_ID,
          clock: systemClock,
        });
      const stranger = signedBy({ privateKey: `0x${'5a'.repeat(40)}` });
      await refuse((await stranger.signCreateOrder(limit(), { nonce: 0 })).txInfo, 21120);
      const mainnet = signedBy({ chainId: 304 });
      await refuse((await mainnet.signCreateOrder(limit(), { nonce: 0 })).txInfo, 21120);
      // Refusals of state, on transactions signed as they are
      await refuse(
        (await fake.signCreateOrder(limit({ baseAmount: 10 }), { nonce: 0 })).txInfo,
        21706,
      );
      await refuse(
        (await fake.signCreateOrder(limit({ marketIndex: 77 }), { nonce: 0 })).txInfo,
        21602,
      );
      await refuse(
        (await fake.signCreateOrder(limit(), { nonce: 0, expiredAt: Date.now() - 1 })).txInfo,
        21501,
      );
      assert.equal(
        emulator.exchange.nextNonce(emulator.apiKeyIndex),
        0,
        'no refusal consumed a nonce',
      );

      const accepted = await sendTx(
        emulator,
        14,
        (await fake.signCreateOrder(limit(), { nonce: 0 })).txInfo,
      );
      assert.equal(accepted.status, 200);
      await refuse((await fake.signCreateOrder(limit(), { nonce: 1 })).txInfo, 21728);
      await refuse(
        (await fake.signCancelOrder({ marketIndex: 0, index: 999 }, { nonce: 1 })).txInfo,
        21715,
        15,
      );
      const cancel = await fake.signCancelOrder({ marketIndex: 0, index: 1001 }, { nonce: 1 });
      assert.equal(
        (await sendTx(emulator, 15, cancel.txInfo)).status,
        200,
        'cancel by client order index',
      );
      await until(() => emulator.venue.openOrders().length === 0, 'the cancel');
    });
  });

  it('takes sendTxBatch with JSON-string form fields, atomically', async () => {
    await withEmulator(async (emulator) => {
      const a = await fake.signCreateOrder(limit({ clientOrderIndex: 1 }), { nonce: 0 });
      const b = await fake.signCreateOrder(limit({ clientOrderIndex: 2 }), { nonce: 1 });
      const bad = await fake.signCreateOrder(limit({ clientOrderIndex: 2 }), { nonce: 2 });
      const refused = await post(emulator, '/api/v1/sendTxBatch', {
        tx_types: JSON.stringify([14, 14, 14]),
        tx_infos: JSON.stringify([a.txInfo, b.txInfo, bad.txInfo]),
      });
      assert.equal(refused.body['code'], 21728, 'duplicate index within the batch');
      assert.equal(emulator.exchange.nextNonce(emulator.apiKeyIndex), 0, 'nothing of it queued');
      const ok = await post(emulator, '/api/v1/sendTxBatch', {
        tx_types: JSON.stringify([14, 14]),
        tx_infos: JSON.stringify([a.txInfo, b.txInfo]),
      });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body['tx_hash'], [a.txHash, b.txHash], 'fake-signed hashes round-trip');
      await until(() => emulator.venue.openOrders().length === 2, 'both orders');
    });
  });

  it('logs every transaction request with its client order indexes and answer: taken, refused, failed before it ran, over REST and the stream', async () => {
    await withEmulator(async (emulator) => {
      const first = await fake.signCreateOrder(limit({ clientOrderIndex: 11 }), { nonce: 0 });
      assert.equal((await sendTx(emulator, 14, first.txInfo)).status, 200);
      // Refused by the venue: the nonce is behind
      const stale = await fake.signCreateOrder(limit({ clientOrderIndex: 12 }), { nonce: 0 });
      assert.equal((await sendTx(emulator, 14, stale.txInfo)).body['code'], 21104);
      // Failed before it ran: sent, but the venue never saw it
      emulator.faults.failRequests({ path: '/api/v1/sendTx', status: 503 });
      const failed = await fake.signCreateOrder(limit({ clientOrderIndex: 13 }), { nonce: 1 });
      assert.equal((await sendTx(emulator, 14, failed.txInfo)).status, 503);
      const client = await connect(emulator);
      try {
        await client.next((f) => f['type'] === 'connected', 'connected');
        const a = await fake.signCreateOrder(limit({ clientOrderIndex: 14 }), { nonce: 1 });
        const b = await fake.signCreateOrder(limit({ clientOrderIndex: 15 }), { nonce: 2 });
        client.send({
          type: 'jsonapi/sendtxbatch',
          data: {
            id: 'b1',
            tx_types: JSON.stringify([14, 14]),
            tx_infos: JSON.stringify([a.txInfo, b.txInfo]),
          },
        });
        await client.next((f) => f['id'] === 'b1', 'the batch answer');
      } finally {
        client.close();
      }
      assert.deepEqual(
        emulator.txRequests.map(({ via, batch, txs, answer }) => ({ via, batch, txs, answer })),
        [
          { via: 'rest', batch: false, txs: [{ txType: 14, clientOrderIndex: 11 }], answer: 200 },
          { via: 'rest', batch: false, txs: [{ txType: 14, clientOrderIndex: 12 }], answer: 21104 },
          { via: 'rest', batch: false, txs: [{ txType: 14, clientOrderIndex: 13 }], answer: 503 },
          {
            via: 'ws',
            batch: true,
            txs: [
              { txType: 14, clientOrderIndex: 14 },
              { txType: 14, clientOrderIndex: 15 },
            ],
            answer: 200,
          },
        ],
      );
      assert.equal(
        emulator.venue.openOrders().length + emulator.exchange.activeOrders().length > 0,
        true,
      );
    });
  });

  it('reads multipart form bodies as the OpenAPI spec declares them', async () => {
    await withEmulator(async (emulator) => {
      const tx = await fake.signCreateOrder(limit(), { nonce: 0 });
      const body = new FormData();
      body.set('tx_type', '14');
      body.set('tx_info', tx.txInfo);
      const response = await fetch(`${emulator.url}/api/v1/sendTx`, { method: 'POST', body });
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { tx_hash: string }).tx_hash, tx.txHash);
    });
  });

  it('serves market metadata and order lists that parse with the client schemas; auth is required and verified', async () => {
    await withEmulator(async (emulator) => {
      const details = parseWith(
        orderBookDetailsResponseSchema,
        (await get(emulator, '/api/v1/orderBookDetails')).body,
        'details',
      );
      assert.deepEqual(
        details.order_book_details?.map((d) => [
          d.symbol,
          d.market_id,
          d.size_decimals,
          d.price_decimals,
        ]),
        [
          ['ETH', 0, 4, 2],
          ['BTC', 1, 5, 1],
        ],
      );
      const account = emulator.accountIndex;
      const denied = await get(emulator, `/api/v1/accountActiveOrders?account_index=${account}`);
      assert.equal(denied.status, 400);
      assert.equal(denied.body['code'], 20001);
      const auth = await fake.createAuthToken(Math.floor(Date.now() / 1000) + 600);
      await sendTx(emulator, 14, (await fake.signCreateOrder(limit(), { nonce: 0 })).txInfo);
      await until(() => emulator.venue.openOrders().length === 1, 'the order');
      const active = parseWith(
        ordersResponseSchema,
        (await get(emulator, `/api/v1/accountActiveOrders?account_index=${account}&auth=${auth}`))
          .body,
        'active',
      );
      assert.equal(active.orders?.[0]?.client_order_index, 1001);
      const expired = await fake.createAuthToken(Math.floor(Date.now() / 1000) - 1);
      const late = await get(
        emulator,
        `/api/v1/accountActiveOrders?account_index=${account}&auth=${expired}`,
      );
      assert.equal(late.body['code'], 20013);
      // Tokens the account's key did not sign: another key, a signature for another deadline,
      // another account, and the WASM signer's own token (the same key) as the control
      const deadline = Math.floor(Date.now() / 1000) + 600;
      const strangerToken = await createFakeSigner({
        privateKey: `0x${'5a'.repeat(40)}`,
        accountIndex: account,
        apiKeyIndex: emulator.apiKeyIndex,
        chainId: emulator.chainId,
        clock: systemClock,
      }).createAuthToken(deadline);
      const [, , , signature] = auth.split(':');
      const refusedTokens = [
        strangerToken,
        `${deadline + 60}:${account}:${emulator.apiKeyIndex}:${signature}`,
        `${deadline}:${account + 1}:${emulator.apiKeyIndex}:${signature}`,
      ];
      for (const token of refusedTokens) {
        const reply = await get(
          emulator,
          `/api/v1/accountActiveOrders?account_index=${account}&auth=${token}`,
        );
        assert.equal(reply.status, 400, token);
        assert.equal(reply.body['code'], 20012, token);
      }
      const wasmToken = await wasm.createAuthToken(deadline);
      const byWasm = await get(
        emulator,
        `/api/v1/accountActiveOrders?account_index=${account}&auth=${wasmToken}`,
      );
      assert.equal(byWasm.status, 200, 'a token of the official signer verifies');
      const missingLimit = await get(
        emulator,
        `/api/v1/accountInactiveOrders?account_index=${account}&auth=${auth}`,
      );
      assert.equal(missingLimit.status, 400, 'limit is required');
    });
  });
});

describe('lighter emulator: stream', () => {
  it('connected, auth on account channels, `:` channels, snapshot then updates, ping/pong', async () => {
    await withEmulator(async (emulator) => {
      const client = await connect(emulator);
      try {
        await client.next((f) => f['type'] === 'connected', 'connected');
        client.send({ type: 'ping' });
        await client.next((f) => f['type'] === 'pong', 'pong');
        const channel = `account_all_orders/${emulator.accountIndex}`;
        client.send({ type: 'subscribe', channel });
        const missing = await client.next((f) => f['error'] !== undefined, 'the auth error');
        assert.deepEqual(missing['error'], {
          code: 20001,
          message: `auth field is required: account_all_orders:${emulator.accountIndex}`,
        });
        const auth = await fake.createAuthToken(Math.floor(Date.now() / 1000) + 600);
        client.send({ type: 'subscribe', channel, auth });
        client.send({
          type: 'subscribe',
          channel: `account_all_trades/${emulator.accountIndex}`,
          auth,
        });
        client.send({ type: 'subscribe', channel: 'order_book/0' });
        const snapshot = await client.next(
          (f) => f['type'] === 'subscribed/account_all_orders',
          'snapshot',
        );
        assert.equal(snapshot['channel'], `account_all_orders:${emulator.accountIndex}`);
        assert.deepEqual(snapshot['orders'], {});
        const book = await client.next((f) => f['type'] === 'subscribed/order_book', 'book');
        assert.equal(
          parseWith(wsOrderBookSchema, book, 'book').order_book.asks?.[0]?.price,
          '2001.00',
        );
        client.send({ type: 'subscribe', channel, auth });
        const again = await client.next((f) => f['code'] === 30003, 'already subscribed');
        assert.equal(again['type'], 'error');

        await sendTx(
          emulator,
          14,
          (await fake.signCreateOrder(limit({ price: 200100 }), { nonce: 0 })).txInfo,
        );
        const update = await client.next(
          (f) => f['type'] === 'update/account_all_orders',
          'order update',
        );
        const orders = (update['orders'] as Record<string, Record<string, unknown>[]>)['0'];
        assert.equal(orders?.[0]?.['status'], 'filled');
        const trades = await client.next(
          (f) => f['type'] === 'update/account_all_trades',
          'trades',
        );
        const parsed = parseWith(wsAccountTradesSchema, trades, 'trades');
        const trade = Array.isArray(parsed.trades) ? undefined : parsed.trades?.['0']?.[0];
        assert.equal(trade?.bid_client_id, 1001);
        assert.equal(trade?.taker_fee, 196);
        emulator.setQuote('ETH', 2000.5, 2001.5);
        const delta = await client.next((f) => f['type'] === 'update/order_book', 'a book update');
        const body = delta['order_book'] as { begin_nonce: number; nonce: number; offset: number };
        assert.equal(
          body.begin_nonce,
          (book['order_book'] as { nonce: number }).nonce,
          'continuous',
        );
        assert.ok(body.offset > (book['offset'] as number));
      } finally {
        client.close();
      }
    });
  });

  it('ends an account subscription whose token expires with the venue error frame', async () => {
    await withEmulator(async (emulator) => {
      const client = await connect(emulator);
      try {
        // Valid for two to three seconds (whole seconds): long enough to subscribe on a busy machine
        const auth = await fake.createAuthToken(Math.floor(Date.now() / 1000) + 3);
        client.send({ type: 'subscribe', channel: `user_stats/${emulator.accountIndex}`, auth });
        await client.next((f) => f['type'] === 'subscribed/user_stats', 'stats snapshot');
        const expired = await client.next((f) => f['error'] !== undefined, 'the expiry');
        assert.match(
          String((expired['error'] as { message: string }).message),
          /^invalid auth: expired token: user_stats:100001$/,
        );
        assert.equal((expired['error'] as { code: number }).code, 20013);
      } finally {
        client.close();
      }
    });
  });

  it('serves the fault API over HTTP', async () => {
    await withEmulator(async (emulator) => {
      const armed = await post(emulator, '/_kestrel/faults/fail-requests', {});
      assert.equal(armed.status, 200);
      const armJson = await fetch(`${emulator.url}/_kestrel/faults/fail-requests`, {
        method: 'POST',
        body: JSON.stringify({ path: '/api/v1/nextNonce', status: 503, count: 1 }),
      });
      assert.equal(armJson.status, 200);
      await fetch(`${emulator.url}/_kestrel/faults`, { method: 'DELETE' });
      await fetch(`${emulator.url}/_kestrel/faults/fail-requests`, {
        method: 'POST',
        body: JSON.stringify({ path: '/api/v1/nextNonce', status: 503 }),
      });
      const nonce = `/api/v1/nextNonce?account_index=${emulator.accountIndex}&api_key_index=${emulator.apiKeyIndex}`;
      assert.equal((await get(emulator, nonce)).status, 503);
      assert.equal((await get(emulator, nonce)).status, 200, 'counted down');
      await fetch(`${emulator.url}/_kestrel/faults/refuse-connections`, {
        method: 'POST',
        body: JSON.stringify({ count: 1 }),
      });
      await assert.rejects(connect(emulator), /503/);
      const client = await connect(emulator);
      client.close();
      const faults = await get(emulator, '/_kestrel/faults');
      assert.equal((faults.body['faults'] as { refuseConnections: number }).refuseConnections, 0);
      await fetch(`${emulator.url}/_kestrel/faults/rate-limit`, { method: 'POST', body: '{}' });
      const limited = await get(emulator, nonce);
      assert.deepEqual([limited.status, limited.body['code']], [429, 23000]);
      await fetch(`${emulator.url}/_kestrel/faults/rate-limit`, {
        method: 'POST',
        body: '{"count":3}',
      });
      await fetch(`${emulator.url}/_kestrel/faults/reset`, { method: 'POST', body: '{}' });
      assert.equal((await get(emulator, nonce)).status, 200, 'reset calls every fault off');
      const invalid = await fetch(`${emulator.url}/_kestrel/faults/hide-canceled`, {
        method: 'POST',
        body: '{}',
      });
      assert.equal(invalid.status, 400, 'bodies are validated');
      const state = await get(emulator, '/_kestrel/state');
      assert.equal(
        (state.body['state'] as { accountIndex: number }).accountIndex,
        emulator.accountIndex,
      );
      await fetch(`${emulator.url}/_kestrel/market/quote`, {
        method: 'POST',
        body: JSON.stringify({ symbol: 'BTC', bid: 64000, ask: 64001.5 }),
      });
      assert.equal(emulator.venue.engine('BTC')?.ask, 64001.5);
    });
  });

  it('replays a market data feed into the book and the tape', async () => {
    const eth = toEmulatorMarket(DEFAULT_LIGHTER_MARKETS[0] ?? assert.fail()).instrument;
    const batches: MarketEvent[][] = [
      [
        {
          type: 'quote',
          instrument: { ...eth, symbol: 'ETHUSDT', base: 'ETH' },
          time: 1_000,
          bid: 2100,
          bidSize: 1,
          ask: 2100.5,
          askSize: 2,
        },
        {
          type: 'trade',
          instrument: { ...eth, symbol: 'ETHUSDT', base: 'ETH' },
          time: 1_020,
          price: 2100.5,
          size: 0.3,
          side: 'BUY',
        },
      ],
    ];
    const emulator = await startLighterEmulator({
      feed: { next: async () => batches.shift() },
      speed: 100,
    });
    try {
      await until(() => emulator.venue.engine('ETH')?.bid === 2100, 'the replayed quote');
      await until(
        () => emulator.exchange.recentPublicTrades(0, 5).length === 1,
        'the replayed print',
      );
      assert.equal(emulator.exchange.recentPublicTrades(0, 5)[0]?.['price'], '2100.50');
    } finally {
      await emulator.close();
    }
  });
});

describe('lighter emulator frames look like the captured ones', {
  skip: hasSharedFixtures ? false : SKIP_MESSAGE,
}, () => {
  const keysOf = (value: unknown) => Object.keys(value as object).sort();

  it('orders, trades, positions and user stats carry the captured field sets', async () => {
    await withEmulator(async (emulator) => {
      const client = await connect(emulator);
      try {
        const auth = await fake.createAuthToken(Math.floor(Date.now() / 1000) + 600);
        for (const channel of [
          'account_all_orders',
          'account_all_trades',
          'account_all_positions',
          'user_stats',
        ]) {
          client.send({ type: 'subscribe', channel: `${channel}/${emulator.accountIndex}`, auth });
        }
        await client.next((f) => f['type'] === 'subscribed/user_stats', 'subscriptions');
        await sendTx(
          emulator,
          14,
          (await fake.signCreateOrder(limit({ price: 200100 }), { nonce: 0 })).txInfo,
        );
        const orders = await client.next(
          (f) => f['type'] === 'update/account_all_orders',
          'orders',
        );
        const trades = await client.next(
          (f) => f['type'] === 'update/account_all_trades',
          'trades',
        );
        const positions = await client.next(
          (f) => f['type'] === 'update/account_all_positions',
          'positions',
        );
        const stats = await client.next((f) => f['type'] === 'update/user_stats', 'stats');

        const capturedOrder = (
          readShared('nautilus/ws_account_orders_update.json') as {
            orders: Record<string, unknown[]>;
          }
        ).orders['0']?.[0];
        const order = (orders['orders'] as Record<string, unknown[]>)['0']?.[0];
        assert.deepEqual(keysOf(order), keysOf(capturedOrder));
        const capturedTrade = (
          readShared('nautilus/ws_account_all_trades_update.json') as {
            trades: Record<string, unknown[]>;
          }
        ).trades['0']?.[0];
        const trade = (trades['trades'] as Record<string, unknown[]>)['0']?.[0];
        const tradeKeys = keysOf(trade).filter((k) => k !== 'usd_amount');
        assert.deepEqual(
          tradeKeys.filter((k) => !keysOf(capturedTrade).includes(k)),
          [],
          'no field the venue does not send',
        );
        assert.equal((trade as { maker_fee?: number }).maker_fee, 28);
        const capturedPosition = (
          readShared('nautilus/ws_account_all_positions_update.json') as {
            positions: Record<string, unknown>;
          }
        ).positions['0'];
        const position = (positions['positions'] as Record<string, unknown>)['0'] as {
          sign: number;
          position: string;
        };
        assert.deepEqual(keysOf(position), keysOf(capturedPosition));
        assert.deepEqual([position.sign, position.position], [1, '0.0100']);
        const capturedStats = (
          readShared('nautilus/ws_user_stats_update.json') as { stats: unknown }
        ).stats;
        assert.deepEqual(keysOf(stats['stats']), keysOf(capturedStats));
        assert.deepEqual(
          keysOf(stats).filter((k) => k !== 'timestamp'),
          ['channel', 'stats', 'type'],
        );
      } finally {
        client.close();
      }
    });
  });
});
