import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { until } from '../../../test/helpers/wait.ts';
import { SimulatedClock } from '../../engine/clock.ts';
import type { BybitEmulator } from './index.ts';
import { hmacHex, startBybitEmulator } from './index.ts';

/**
 * The Bybit emulator on the wire, without ccxt: X-BAPI signatures and recv windows, retCodes
 * and their HTTP status, rate limits, cursors and windows, the private and public streams,
 * faults over HTTP, and rows with the fields of Bybit's captured answers.
 */

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: {
    retCode: number;
    retMsg: string;
    result: Record<string, unknown>;
    retExtInfo: unknown;
    time: number;
  };
}

function client(emulator: BybitEmulator, now: () => number) {
  const call = async (
    method: 'GET' | 'POST',
    path: string,
    params: Record<string, unknown> = {},
    auth: { key?: string; timestamp?: number; recvWindow?: string | null; sign?: string } = {},
  ): Promise<Answer> => {
    const query =
      method === 'GET'
        ? new URLSearchParams(
            Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]),
          ).toString()
        : '';
    const body = method === 'POST' ? JSON.stringify(params) : '';
    const timestamp = String(auth.timestamp ?? Math.floor(now()));
    const key = auth.key ?? emulator.apiKey;
    const recvWindow = auth.recvWindow === undefined ? '5000' : auth.recvWindow;
    const sign =
      auth.sign ??
      hmacHex(
        `${timestamp}${key}${recvWindow ?? ''}${method === 'POST' ? body : query}`,
        emulator.apiSecret,
      );
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'X-BAPI-API-KEY': key,
      'X-BAPI-TIMESTAMP': timestamp,
      'X-BAPI-SIGN': sign,
    };
    if (recvWindow !== null) headers['X-BAPI-RECV-WINDOW'] = recvWindow;
    const response = await fetch(`${emulator.url}${path}${query === '' ? '' : `?${query}`}`, {
      method,
      headers,
      ...(method === 'POST' ? { body } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: JSON.parse(text) };
  };
  return call;
}

const order = (overrides: Record<string, unknown> = {}) => ({
  category: 'linear',
  symbol: 'BTCUSDT',
  side: 'Buy',
  orderType: 'Limit',
  qty: '0.01',
  price: '63000',
  ...overrides,
});

function captured(): Record<string, { httpResponse: unknown }[]> | undefined {
  const path = resolve(
    import.meta.dirname,
    '../../../../shared/fixtures/ccxt-static/response/bybit.json',
  );
  if (!existsSync(path)) return undefined;
  return (
    JSON.parse(readFileSync(path, 'utf8')) as {
      methods: Record<string, { description: string; httpResponse: unknown }[]>;
    }
  ).methods;
}

/** The book the REST and stream tests start from: BTCUSDT 64000 / 64000.1, two levels a side */
function setStartingBook(emulator: BybitEmulator): void {
  emulator.setBook(
    'BTCUSDT',
    [
      [64000, 1],
      [63999.9, 2],
    ],
    [
      [64000.1, 1],
      [64000.2, 2],
    ],
  );
}

describe('bybit emulator: REST v5 on the wire', () => {
  let emulator: BybitEmulator;
  let call: ReturnType<typeof client>;
  const clock = new SimulatedClock(1_750_000_000_000);

  before(async () => {
    emulator = await startBybitEmulator({ clock, rateLimits: false });
    call = client(emulator, () => clock.now());
    setStartingBook(emulator);
  });
  after(() => emulator.close());

  it('checks the key, the recv window and the signature as Bybit describes them', async () => {
    const path = '/v5/account/wallet-balance';
    const params = { accountType: 'UNIFIED' };
    const now = clock.now();
    assert.equal((await call('GET', path, params)).json.retCode, 0);
    // [server_time - recv_window, server_time + 1000): both edges
    assert.equal((await call('GET', path, params, { timestamp: now - 5000 })).json.retCode, 0);
    assert.equal((await call('GET', path, params, { timestamp: now + 999 })).json.retCode, 0);
    const late = await call('GET', path, params, { timestamp: now - 5001 });
    assert.equal(late.status, 200);
    assert.equal(late.json.retCode, 10002);
    assert.equal((await call('GET', path, params, { timestamp: now + 1000 })).json.retCode, 10002);
    assert.equal(
      (await call('GET', path, params, { timestamp: now - 9000, recvWindow: '10000' })).json
        .retCode,
      0,
    );
    // No X-BAPI-RECV-WINDOW: 5 000 ms, and the signed text has none
    assert.equal((await call('GET', path, params, { recvWindow: null })).json.retCode, 0);
    assert.equal((await call('GET', path, params, { key: 'someone-else' })).json.retCode, 10003);
    assert.equal((await call('GET', path, params, { sign: 'f'.repeat(64) })).json.retCode, 10004);
    const missing = await fetch(`${emulator.url}${path}?accountType=UNIFIED`);
    assert.equal(((await missing.json()) as { retCode: number }).retCode, 10001);
    // The signature covers the body exactly as sent
    const body = JSON.stringify(order({ orderLinkId: 'sig-1' }));
    const timestamp = String(Math.floor(clock.now()));
    const sign = hmacHex(
      `${timestamp}${emulator.apiKey}5000${body.replace('63000', '63000.0')}`,
      emulator.apiSecret,
    );
    const tampered = await fetch(`${emulator.url}/v5/order/create`, {
      method: 'POST',
      headers: {
        'X-BAPI-API-KEY': emulator.apiKey,
        'X-BAPI-TIMESTAMP': timestamp,
        'X-BAPI-RECV-WINDOW': '5000',
        'X-BAPI-SIGN': sign,
      },
      body,
    });
    assert.equal(((await tampered.json()) as { retCode: number }).retCode, 10004);
    assert.equal(emulator.orders().length, 0, 'a refused request changes nothing');
    const unknown = await call('GET', '/v5/order/nothing');
    assert.deepEqual([unknown.status, unknown.json.retCode], [404, 10017]);
  });

  it('answers order verdicts with Bybit retCodes and accepts-then-cancels what Bybit cancels', async () => {
    const created = await call('POST', '/v5/order/create', order({ orderLinkId: 'life-1' }));
    assert.equal(created.json.retCode, 0);
    const orderId = created.json.result['orderId'] as string;
    assert.match(orderId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(created.json.result['orderLinkId'], 'life-1');
    const codes = async (params: Record<string, unknown>, path = '/v5/order/create') =>
      (await call('POST', path, params)).json.retCode;
    assert.equal(await codes(order({ orderLinkId: 'life-1' })), 110072, 'orderLinkId used before');
    assert.equal(await codes(order({ orderLinkId: 'has/slash' })), 10001);
    assert.equal(await codes(order({ orderLinkId: 'x'.repeat(37) })), 10001);
    assert.equal(await codes(order({ qty: '0.0015' })), 10001, 'off the qty step');
    assert.equal(await codes(order({ price: '63000.05' })), 10001, 'off the tick');
    assert.equal(
      await codes(order({ qty: '0.001', price: '1000' })),
      110094,
      'below 5 USDT notional',
    );
    assert.equal(await codes(order({ qty: '1000' })), 110007, 'more than the account can margin');
    assert.equal(
      await codes(order({ side: 'Sell', reduceOnly: true })),
      110017,
      'nothing to reduce',
    );
    assert.equal(await codes(order({ positionIdx: 1 })), 10001, 'hedge index on a one-way symbol');
    assert.equal(await codes(order({ symbol: 'DOGEUSDT' })), 10001);
    assert.equal(await codes(order({ category: 'spot' })), 10001, 'no spot markets are listed');
    const ref = { category: 'linear', symbol: 'BTCUSDT' };
    assert.equal(
      await codes({ ...ref, orderId, price: '63000' }, '/v5/order/amend'),
      10001,
      'nothing changes',
    );
    assert.equal(await codes({ ...ref, orderId: 'nope' }, '/v5/order/cancel'), 110001);
    assert.equal(
      await codes({ ...ref, orderLinkId: 'life-1', price: '63100' }, '/v5/order/amend'),
      0,
    );

    // What Bybit accepts and then cancels: answered with an id, pushed Cancelled with its reason
    const crossing = await call(
      'POST',
      '/v5/order/create',
      order({ price: '64500', timeInForce: 'PostOnly', orderLinkId: 'po-1' }),
    );
    assert.equal(crossing.json.retCode, 0);
    const unfillable = await call(
      'POST',
      '/v5/order/create',
      order({ price: '64000.1', qty: '1.2', timeInForce: 'FOK', orderLinkId: 'fok-1' }),
    );
    assert.equal(unfillable.json.retCode, 0);
    const ioc = await call(
      'POST',
      '/v5/order/create',
      order({ price: '64000.1', qty: '1.5', timeInForce: 'IOC', orderLinkId: 'ioc-1' }),
    );
    assert.equal(ioc.json.retCode, 0);
    const byLink = new Map(emulator.orders().map((o) => [o.orderLinkId, o]));
    assert.deepEqual(
      ['po-1', 'fok-1', 'ioc-1'].map((id) => [
        byLink.get(id)?.status,
        byLink.get(id)?.rejectReason,
        byLink.get(id)?.cumExecQty,
      ]),
      [
        ['Cancelled', 'EC_PostOnlyWillTakeLiquidity', 0],
        ['Cancelled', 'EC_CancelForNoFullFill', 0],
        ['Cancelled', 'EC_NoError', 1],
      ],
    );
    const realtime = await call('GET', '/v5/order/realtime', {
      category: 'linear',
      symbol: 'BTCUSDT',
      orderLinkId: 'ioc-1',
    });
    const row = (realtime.json.result['list'] as Record<string, unknown>[])[0];
    assert.equal(row?.['orderStatus'], 'Cancelled');
    assert.equal(row?.['cumExecQty'], '1.000');
    assert.equal(row?.['avgPrice'], '64000.1');
    assert.equal(
      await codes({ ...ref, orderLinkId: 'ioc-1' }, '/v5/order/cancel'),
      110001,
      'closed',
    );
    assert.equal(
      await codes({ ...ref, orderLinkId: 'life-1', qty: '0.01' }, '/v5/order/amend'),
      10001,
      'unchanged again',
    );
    const cancelAll = await call('POST', '/v5/order/cancel-all', ref);
    assert.deepEqual(cancelAll.json.result, {
      list: [{ orderId, orderLinkId: 'life-1' }],
      success: '1',
    });
    const listed = async (openOnly: number) =>
      (
        (await call('GET', '/v5/order/realtime', { ...ref, openOnly })).json.result['list'] as {
          orderLinkId: string;
          orderStatus: string;
        }[]
      ).map((o) => [o.orderLinkId, o.orderStatus]);
    assert.deepEqual(await listed(0), []);
    // Newest created first, as Bybit sorts them
    assert.deepEqual(await listed(1), [
      ['ioc-1', 'Cancelled'],
      ['fok-1', 'Cancelled'],
      ['po-1', 'Cancelled'],
      ['life-1', 'Cancelled'],
    ]);
    assert.equal(
      (await call('POST', '/v5/order/cancel-all', { category: 'linear' })).json.retCode,
      10001,
    );
  });

  it('pages executions newest first by cursor, within 7-day windows', async () => {
    for (let i = 0; i < 5; i++) {
      clock.advanceTo(clock.now() + 1000);
      assert.equal(
        (
          await call(
            'POST',
            '/v5/order/create',
            order({ orderType: 'Market', qty: '0.001', side: i % 2 === 0 ? 'Sell' : 'Buy' }),
          )
        ).json.retCode,
        0,
      );
    }
    const all = emulator
      .executions()
      .map((e) => e.execId)
      .reverse();
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const answer = await call('GET', '/v5/execution/list', {
        category: 'linear',
        symbol: 'BTCUSDT',
        limit: 2,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const row of answer.json.result['list'] as { execId: string }[]) seen.push(row.execId);
      cursor = answer.json.result['nextPageCursor'] as string;
      if (cursor === '') break;
    }
    assert.deepEqual(seen, all);
    assert.equal(
      (await call('GET', '/v5/execution/list', { category: 'linear', limit: 101 })).json.retCode,
      10001,
    );
    const start = clock.now() - 3_600_000;
    assert.equal(
      (
        await call('GET', '/v5/execution/list', {
          category: 'linear',
          startTime: start,
          endTime: start + 8 * 86_400_000,
        })
      ).json.retCode,
      10001,
    );
    const future = await call('GET', '/v5/execution/list', {
      category: 'linear',
      startTime: clock.now() + 1,
    });
    assert.deepEqual(future.json.result['list'], []);
  });

  it('holds conditional orders Untriggered until the market reaches them, and deactivates them on cancel', async () => {
    const conditional = (overrides: Record<string, unknown>) =>
      call(
        'POST',
        '/v5/order/create',
        order({ orderType: 'Market', qty: '0.001', triggerDirection: 1, ...overrides }),
      );
    assert.equal(
      (await conditional({ triggerPrice: '63000' })).json.retCode,
      110092,
      'already above',
    );
    assert.equal(
      (await conditional({ triggerPrice: '66000', triggerDirection: 2 })).json.retCode,
      10001,
    );
    assert.equal(
      (await conditional({ triggerPrice: '66000', orderLinkId: 'stop-1' })).json.retCode,
      0,
    );
    assert.equal(
      (await conditional({ triggerPrice: '67000', orderLinkId: 'stop-2' })).json.retCode,
      0,
    );
    const status = (id: string) => emulator.orders().find((o) => o.orderLinkId === id)?.status;
    assert.deepEqual([status('stop-1'), status('stop-2')], ['Untriggered', 'Untriggered']);
    const pushed = emulator.pushes.length;
    emulator.setBook('BTCUSDT', [[66000, 1]], [[66000.1, 1]]);
    emulator.printTrade('BTCUSDT', 66000.1, 0.1, 'BUY');
    assert.equal(status('stop-1'), 'Filled');
    const statuses = emulator.pushes
      .slice(pushed)
      .filter((p) => p['topic'] === 'order')
      .flatMap((p) =>
        rows(p)
          .filter((r) => r['orderLinkId'] === 'stop-1')
          .map((r) => r['orderStatus']),
      );
    assert.deepEqual(statuses.slice(0, 1), ['Triggered']);
    assert.equal(statuses.at(-1), 'Filled');
    await call('POST', '/v5/order/cancel', {
      category: 'linear',
      symbol: 'BTCUSDT',
      orderLinkId: 'stop-2',
    });
    assert.equal(status('stop-2'), 'Deactivated');
    setStartingBook(emulator);
  });

  it('keeps position mode and leverage rules', async () => {
    const mode = (params: Record<string, unknown>) =>
      call('POST', '/v5/position/switch-mode', { category: 'linear', ...params });
    assert.equal(
      (await mode({ symbol: 'BTCUSDT', mode: 3 })).json.retCode,
      110024,
      'BTCUSDT has a position',
    );
    assert.equal((await mode({ symbol: 'ETHUSDT', mode: 0 })).json.retCode, 110025);
    assert.equal((await mode({ symbol: 'ETHUSDT', mode: 3 })).json.retCode, 0);
    const positions = await call('GET', '/v5/position/list', {
      category: 'linear',
      symbol: 'ETHUSDT',
    });
    assert.deepEqual(
      (positions.json.result['list'] as { positionIdx: number }[]).map((p) => p.positionIdx),
      [1, 2],
    );
    assert.equal(
      (await call('GET', '/v5/position/list', { category: 'linear' })).json.retCode,
      10001,
    );
    const leverage = (buy: string, sell = buy) =>
      call('POST', '/v5/position/set-leverage', {
        category: 'linear',
        symbol: 'BTCUSDT',
        buyLeverage: buy,
        sellLeverage: sell,
      });
    assert.equal((await leverage('10')).json.retCode, 110043, 'already 10');
    assert.equal((await leverage('101')).json.retCode, 10001);
    assert.equal((await leverage('5', '6')).json.retCode, 10001);
    assert.equal((await leverage('25')).json.retCode, 0);
    const btc = await call('GET', '/v5/position/list', { category: 'linear', symbol: 'BTCUSDT' });
    assert.equal((btc.json.result['list'] as { leverage: string }[])[0]?.leverage, '25');
    assert.equal((await mode({ symbol: 'ETHUSDT', mode: 0 })).json.retCode, 0);
  });

  it('lists rows with every field of Bybit’s captured linear answers', async (t) => {
    const methods = captured();
    if (methods === undefined) {
      t.skip('../shared/fixtures/ccxt-static is absent');
      return;
    }
    const sample = (method: string, description: string) =>
      (
        methods[method] as {
          description?: string;
          httpResponse: { result: { list?: Record<string, unknown>[] } };
        }[]
      ).find((c) => c.description === description)?.httpResponse.result;
    const keysOf = (row: unknown) =>
      Object.keys(row as object).filter((k) => k !== 'nextPageCursor');
    const ours = async (path: string, params: Record<string, unknown>) =>
      ((await call('GET', path, params)).json.result['list'] as Record<string, unknown>[])[0];
    const checks: [
      string,
      Record<string, unknown> | undefined,
      Record<string, unknown> | undefined,
    ][] = [
      [
        'order',
        sample('fetchClosedOrder', 'swap closed order')?.list?.[0],
        await ours('/v5/order/history', { category: 'linear', symbol: 'BTCUSDT' }),
      ],
      [
        'execution',
        sample('fetchMyTrades', 'swap trades without symbol')?.list?.[0],
        await ours('/v5/execution/list', { category: 'linear', symbol: 'BTCUSDT' }),
      ],
      [
        'position',
        sample('fetchPositions', 'Fetch linear position')?.list?.[0],
        await ours('/v5/position/list', { category: 'linear', symbol: 'BTCUSDT' }),
      ],
      [
        'ticker',
        sample('fetchTicker', 'swap ticker')?.list?.[0],
        await ours('/v5/market/tickers', { category: 'linear', symbol: 'BTCUSDT' }),
      ],
    ];
    for (const [name, theirs, mine] of checks) {
      assert.ok(theirs !== undefined && mine !== undefined, name);
      const missing = keysOf(theirs).filter((k) => !(k in mine));
      assert.deepEqual(missing, [], `${name} row lacks ${missing.join(', ')}`);
    }
    const book = (
      await call('GET', '/v5/market/orderbook', { category: 'linear', symbol: 'BTCUSDT', limit: 2 })
    ).json.result;
    assert.deepEqual(
      Object.keys(sample('fetchOrderBook', 'swap orderbook') ?? {}).filter((k) => !(k in book)),
      [],
    );
    assert.deepEqual(book['b'], [
      ['64000.0', '1.000'],
      ['63999.9', '2.000'],
    ]);
  });
});

describe('bybit emulator: rate limits and faults over HTTP', () => {
  it('answers the 11th create in a second with 10006 and fails the part of a batch past the limit', async () => {
    const clock = new SimulatedClock(1_750_000_000_000);
    const emulator = await startBybitEmulator({ clock });
    try {
      const call = client(emulator, () => clock.now());
      emulator.setQuote('BTCUSDT', 64000, 64000.1);
      const codes: number[] = [];
      let last: Answer | undefined;
      for (let i = 0; i < 11; i++) {
        last = await call('POST', '/v5/order/create', order({ orderLinkId: `rl-${i}` }));
        codes.push(last.json.retCode);
      }
      assert.deepEqual(codes, [...Array(10).fill(0), 10006]);
      assert.equal(last?.headers.get('x-bapi-limit'), '10');
      assert.equal(last?.headers.get('x-bapi-limit-status'), '0');
      assert.equal(Number(last?.headers.get('x-bapi-limit-reset-timestamp')), clock.now() + 1000);
      assert.equal(emulator.orders().length, 10, 'the limited request placed nothing');
      // The batch endpoint has its own window, consumed per order: 12 orders, 10 fit
      const request = Array.from({ length: 12 }, (_, i) => ({
        symbol: 'BTCUSDT',
        side: 'Buy',
        orderType: 'Limit',
        qty: '0.001',
        price: '60000',
        orderLinkId: `batch-${i}`,
      }));
      const batch = await call('POST', '/v5/order/create-batch', { category: 'linear', request });
      assert.equal(batch.json.retCode, 0);
      const outcomes = (batch.json.retExtInfo as { list: { code: number }[] }).list.map(
        (e) => e.code,
      );
      assert.deepEqual(outcomes, [...Array(10).fill(0), 10006, 10006]);
      clock.advanceTo(clock.now() + 1000);
      assert.equal(
        (await call('POST', '/v5/order/create', order({ orderLinkId: 'rl-next' }))).json.retCode,
        0,
      );
    } finally {
      await emulator.close();
    }
  });

  it('serves the shared fault API: a 5xx page after the venue acted, held answers, dropped sockets', async () => {
    const emulator = await startBybitEmulator({ rateLimits: false });
    try {
      const call = client(emulator, () => Date.now());
      emulator.setQuote('BTCUSDT', 64000, 64000.1);
      const control = (operation: string, body: Record<string, unknown>) =>
        fetch(`${emulator.url}/_kestrel/faults/${operation}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      assert.equal(
        (await control('fail-requests', { status: 503, path: '/v5/order/create', when: 'after' }))
          .status,
        200,
      );
      const failed = await fetch(`${emulator.url}/v5/order/create`, { method: 'POST', body: '{}' });
      assert.equal(failed.status, 503);
      assert.match(failed.headers.get('content-type') ?? '', /text\/html/);
      await control('fail-requests', { status: 503, path: '/v5/order/create', when: 'after' });
      const lost = await fetch(`${emulator.url}/v5/order/create`, {
        method: 'POST',
        body: JSON.stringify(order({ orderLinkId: 'lost-1' })),
        headers: (() => {
          const body = JSON.stringify(order({ orderLinkId: 'lost-1' }));
          const timestamp = String(Date.now());
          return {
            'X-BAPI-API-KEY': emulator.apiKey,
            'X-BAPI-TIMESTAMP': timestamp,
            'X-BAPI-RECV-WINDOW': '5000',
            'X-BAPI-SIGN': hmacHex(`${timestamp}${emulator.apiKey}5000${body}`, emulator.apiSecret),
          };
        })(),
      });
      assert.equal(lost.status, 503);
      assert.equal(
        emulator.orders().at(-1)?.orderLinkId,
        'lost-1',
        'placed although the answer was lost',
      );
      await control('rate-limit', { count: 1 });
      const limited = await call('GET', '/v5/account/wallet-balance', { accountType: 'UNIFIED' });
      assert.deepEqual([limited.status, limited.json.retCode], [429, 10006]);
      const state = (await (await fetch(`${emulator.url}/_kestrel/faults`)).json()) as {
        requestFaults: number;
      };
      assert.equal(state.requestFaults, 0);
      const orders = (await (await fetch(`${emulator.url}/_kestrel/orders`)).json()) as {
        orderLinkId: string;
      }[];
      assert.deepEqual(
        orders.map((o) => o.orderLinkId),
        ['lost-1'],
      );
      assert.equal((await control('no-such-thing', {})).status, 404);
    } finally {
      await emulator.close();
    }
  });
});

/** The data rows of a pushed message */
function rows(message: Record<string, unknown> | undefined): Record<string, unknown>[] {
  return (message?.['data'] ?? []) as Record<string, unknown>[];
}

function open(url: string): Promise<{ socket: WebSocket; messages: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const messages: Record<string, unknown>[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    socket.once('open', () => resolve({ socket, messages }));
    socket.once('error', reject);
  });
}

describe('bybit emulator: streams', () => {
  let emulator: BybitEmulator;
  before(async () => {
    emulator = await startBybitEmulator({ rateLimits: false });
    setStartingBook(emulator);
  });
  after(() => emulator.close());

  it('authenticates the private stream, answers ping, and pushes order, execution, position and wallet', async () => {
    const { socket, messages } = await open(`${emulator.wsUrl}/v5/private`);
    try {
      socket.send(JSON.stringify({ op: 'subscribe', args: ['order'], req_id: 'early' }));
      await until(() => messages.length >= 1, 'the refused subscribe');
      assert.deepEqual([messages[0]?.['success'], messages[0]?.['op']], [false, 'subscribe']);
      const expired = String(Date.now() - 1);
      socket.send(
        JSON.stringify({
          op: 'auth',
          args: [emulator.apiKey, expired, hmacHex(`GET/realtime${expired}`, emulator.apiSecret)],
        }),
      );
      const expires = Date.now() + 10_000;
      socket.send(JSON.stringify({ op: 'auth', args: [emulator.apiKey, expires, 'bad'] }));
      socket.send(
        JSON.stringify({
          op: 'auth',
          args: [emulator.apiKey, expires, hmacHex(`GET/realtime${expires}`, emulator.apiSecret)],
        }),
      );
      socket.send(
        JSON.stringify({
          op: 'subscribe',
          args: ['order', 'execution.linear', 'position', 'wallet'],
        }),
      );
      socket.send(JSON.stringify({ op: 'ping', req_id: 'p1' }));
      await until(() => messages.length >= 6, 'the auth, subscribe and ping answers');
      assert.deepEqual(
        messages.slice(1, 6).map((m) => [m['op'], m['success'], m['ret_msg']]),
        [
          ['auth', false, 'Params Error'],
          ['auth', false, 'Request not authorized'],
          ['auth', true, ''],
          ['subscribe', true, ''],
          ['pong', undefined, undefined],
        ],
      );
      assert.equal(messages[5]?.['req_id'], 'p1');
      assert.equal((messages[5]?.['args'] as string[])?.length, 1);
      const call = client(emulator, () => Date.now());
      assert.equal(
        (
          await call(
            'POST',
            '/v5/order/create',
            order({ orderType: 'Market', qty: '0.5', orderLinkId: 'ws-1' }),
          )
        ).json.retCode,
        0,
      );
      await until(() => messages.some((m) => m['topic'] === 'wallet'), 'the wallet push');
      const topics = messages.slice(6).map((m) => m['topic']);
      assert.deepEqual(topics, ['order', 'execution.linear', 'position', 'wallet']);
      const orderRow = rows(messages[6])[0];
      assert.deepEqual(
        [orderRow?.['orderLinkId'], orderRow?.['orderStatus'], orderRow?.['category']],
        ['ws-1', 'Filled', 'linear'],
      );
      const execution = rows(messages[7])[0];
      assert.deepEqual(
        [execution?.['execQty'], execution?.['execPrice'], execution?.['isMaker']],
        ['0.500', '64000.1', false],
      );
      const position = rows(messages[8])[0];
      assert.deepEqual(
        [position?.['size'], position?.['side'], position?.['entryPrice']],
        ['0.500', 'Buy', '64000.1'],
      );
    } finally {
      socket.close();
    }
  });

  it('serves orderbook snapshots then deltas that rebuild the book, tickers, trades and pong', async () => {
    const { socket, messages } = await open(`${emulator.wsUrl}/v5/public/linear`);
    try {
      socket.send(
        JSON.stringify({ op: 'subscribe', args: ['orderbook.51.BTCUSDT'], req_id: 'bad' }),
      );
      socket.send(
        JSON.stringify({
          op: 'subscribe',
          args: ['orderbook.50.BTCUSDT', 'tickers.BTCUSDT', 'publicTrade.BTCUSDT'],
          req_id: 's',
        }),
      );
      socket.send(JSON.stringify({ op: 'ping' }));
      await until(() => messages.length >= 5, 'the subscribe answers and snapshots');
      assert.deepEqual([messages[0]?.['success'], messages[1]?.['success']], [false, true]);
      const book = new Map<string, Map<string, string>>([
        ['b', new Map()],
        ['a', new Map()],
      ]);
      const apply = (message: Record<string, unknown>) => {
        const data = message['data'] as Record<string, string[][]>;
        if (message['type'] === 'snapshot') for (const side of book.values()) side.clear();
        for (const key of ['b', 'a']) {
          for (const [p, s] of data[key] ?? []) {
            if (s === '0.000') book.get(key)?.delete(p ?? '');
            else book.get(key)?.set(p ?? '', s ?? '');
          }
        }
      };
      const bookMessages = () => messages.filter((m) => m['topic'] === 'orderbook.50.BTCUSDT');
      assert.equal(bookMessages()[0]?.['type'], 'snapshot');
      emulator.setBook(
        'BTCUSDT',
        [
          [64000, 3],
          [63999.8, 1],
        ],
        [
          [64000.2, 2],
          [64000.3, 4],
        ],
      );
      emulator.printTrade('BTCUSDT', 64000.2, 0.2, 'BUY');
      await until(
        () =>
          bookMessages().length >= 2 && messages.some((m) => m['topic'] === 'publicTrade.BTCUSDT'),
        'the book delta and the trade',
      );
      for (const message of bookMessages()) apply(message);
      assert.deepEqual(Object.fromEntries(book.get('b') ?? []), {
        '64000.0': '3.000',
        '63999.8': '1.000',
      });
      assert.deepEqual(Object.fromEntries(book.get('a') ?? []), {
        '64000.2': '2.000',
        '64000.3': '4.000',
      });
      assert.equal(bookMessages()[1]?.['type'], 'delta');
      const trade = rows(messages.find((m) => m['topic'] === 'publicTrade.BTCUSDT'))[0];
      assert.deepEqual([trade?.['p'], trade?.['v'], trade?.['S']], ['64000.2', '0.200', 'Buy']);
      const tickers = messages.filter((m) => m['topic'] === 'tickers.BTCUSDT');
      assert.equal(tickers[0]?.['type'], 'snapshot');
      assert.ok(tickers.slice(1).every((m) => m['type'] === 'delta'));
      const pong = messages.find((m) => m['ret_msg'] === 'pong');
      assert.deepEqual([pong?.['op'], pong?.['success']], ['ping', true]);
    } finally {
      socket.close();
    }
  });
});

describe('bybit emulator: idle connections', () => {
  it('cuts a connection with neither ping nor data for its max_active_time, on a 30 s scan', async () => {
    const clock = new SimulatedClock(1_750_000_000_000);
    const emulator = await startBybitEmulator({ clock });
    try {
      const refused = await new Promise<number>((done) => {
        const socket = new WebSocket(`${emulator.wsUrl}/v5/private?max_active_time=5s`);
        socket.on('unexpected-response', (_request, response) => done(response.statusCode ?? 0));
        socket.on('error', () => {});
      });
      assert.equal(refused, 400, 'below the 30 s Bybit allows');
      const privateOne = await open(`${emulator.wsUrl}/v5/private?max_active_time=30s`);
      const publicOne = await open(`${emulator.wsUrl}/v5/public/linear`);
      const closed = new Set<string>();
      privateOne.socket.on('close', () => closed.add('private'));
      publicOne.socket.on('close', () => closed.add('public'));
      clock.advanceTo(clock.now() + 20_000);
      privateOne.socket.send(JSON.stringify({ op: 'ping' }));
      await until(() => privateOne.messages.length === 1, 'the pong');
      clock.advanceTo(clock.now() + 10_000);
      assert.equal(closed.size, 0, 'pinged 10 s ago: alive');
      clock.advanceTo(clock.now() + 30_000);
      await until(() => closed.has('private'), 'the idle private connection cut');
      assert.ok(!closed.has('public'), 'the public one has 10 minutes');
      clock.advanceTo(clock.now() + 600_000);
      await until(() => closed.has('public'), 'the idle public connection cut');
    } finally {
      await emulator.close();
    }
  });
});
