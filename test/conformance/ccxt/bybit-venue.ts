import type { Handler, WireRequest } from './in-process-venue.ts';
import { field, InProcessVenue } from './in-process-venue.ts';
import { capturedBody } from './static-fixtures.ts';

/**
 * Bybit v5 answered in-process, for the conformance suite. Order, execution, position and
 * balance rows are the captured answers of ccxt's static tests (`response/bybit.json`) with the
 * ids, prices and sizes of the order at hand filled in; what no captured answer covers (the
 * instruments list, the account-type queries, the create-batch and amend answers) is built from
 * Bybit's documented v5 formats, and says so where it is built.
 */

const DAY_MS = 86_400_000;
const ORDER_LINK_ID = /^[A-Za-z0-9_-]{1,36}$/;
const DECIMAL = /^\d+(\.\d+)?$/;

export interface BybitOrder {
  readonly category: 'spot' | 'linear';
  readonly symbol: string;
  readonly orderId: string;
  readonly orderLinkId: string;
  readonly side: 'Buy' | 'Sell';
  readonly orderType: 'Limit' | 'Market';
  price: string;
  qty: string;
  readonly timeInForce: string;
  readonly reduceOnly: boolean;
  readonly positionIdx: number;
  orderStatus: 'New' | 'PartiallyFilled' | 'Filled' | 'Cancelled' | 'Rejected';
  cumExecQty: string;
  avgPrice: string;
  readonly createdTime: number;
  updatedTime: number;
}

export interface BybitExecution {
  readonly category: 'spot' | 'linear';
  readonly symbol: string;
  readonly orderId: string;
  readonly orderLinkId: string;
  readonly side: 'Buy' | 'Sell';
  readonly execId: string;
  readonly execPrice: string;
  readonly execQty: string;
  readonly execTime: number;
  readonly isMaker: boolean;
}

/** Bybit's documented answer envelope */
export function ok(result: unknown): { body: unknown } {
  return { body: { retCode: 0, retMsg: 'OK', result, retExtInfo: {}, time: Date.now() } };
}

/** A Bybit error answer: HTTP 200 with a retCode, as the venue sends it */
export function bybitError(retCode: number, retMsg: string): { body: unknown } {
  return { body: { retCode, retMsg, result: {}, retExtInfo: {}, time: Date.now() } };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** Bybit's documented request rules for the endpoints Kestrel uses */
export function bybitRules(hedge: () => boolean): (request: WireRequest) => string[] {
  const orderRules = (order: Record<string, unknown>, category: string | undefined): string[] => {
    const problems: string[] = [];
    const side = field(order, 'side');
    const type = field(order, 'orderType');
    if (side !== 'Buy' && side !== 'Sell') problems.push(`side ${side} is not Buy or Sell`);
    if (type !== 'Limit' && type !== 'Market')
      problems.push(`orderType ${type} is not Limit or Market`);
    const qty = field(order, 'qty');
    if (qty === undefined || !DECIMAL.test(qty) || Number(qty) <= 0)
      problems.push(`qty ${qty} is not a positive decimal string`);
    const price = field(order, 'price');
    if (type === 'Limit' && (price === undefined || !DECIMAL.test(price)))
      problems.push(`a Limit order needs a decimal price, got ${price}`);
    const link = field(order, 'orderLinkId');
    if (link !== undefined && !ORDER_LINK_ID.test(link))
      problems.push(`orderLinkId ${JSON.stringify(link)} is not 1-36 of letters, digits, - and _`);
    const tif = field(order, 'timeInForce');
    if (tif !== undefined && !['GTC', 'IOC', 'FOK', 'PostOnly'].includes(tif))
      problems.push(`timeInForce ${tif} is not GTC, IOC, FOK or PostOnly`);
    const idx = field(order, 'positionIdx');
    if (category === 'spot' && (idx !== undefined || order['reduceOnly'] !== undefined))
      problems.push('positionIdx and reduceOnly are for linear only');
    if (category === 'linear') {
      if (hedge() && idx !== '1' && idx !== '2')
        problems.push(
          `hedge mode needs positionIdx 1 or 2 (10001 position idx not match position mode), got ${idx}`,
        );
      if (!hedge() && idx !== undefined && idx !== '0')
        problems.push(`one-way mode takes positionIdx 0 only, got ${idx}`);
    }
    return problems;
  };
  return (request) => {
    const problems: string[] = [];
    const path = request.path;
    const isPrivate = /^\/v5\/(order|execution|position|account|user)\//.test(path);
    if (isPrivate) {
      for (const header of ['x-bapi-api-key', 'x-bapi-sign', 'x-bapi-timestamp'])
        if (request.headers[header] === undefined) problems.push(`missing header ${header}`);
    }
    const body = record(request.body);
    const category = request.method === 'GET' ? request.query['category'] : field(body, 'category');
    if (isPrivate && !path.startsWith('/v5/user/') && !path.startsWith('/v5/account/')) {
      if (category !== 'spot' && category !== 'linear')
        problems.push(`category ${category} is not spot or linear`);
    }
    const limit = request.query['limit'];
    switch (path) {
      case '/v5/order/create':
        problems.push(...orderRules(body, category));
        break;
      case '/v5/order/create-batch': {
        const entries = Array.isArray(body['request']) ? body['request'] : [];
        if (entries.length < 1 || entries.length > 10)
          problems.push(`a batch takes 1 to 10 orders (spot and linear), got ${entries.length}`);
        for (const entry of entries) problems.push(...orderRules(record(entry), category));
        break;
      }
      case '/v5/order/cancel':
      case '/v5/order/amend':
        if (field(body, 'symbol') === undefined) problems.push('symbol is required');
        if (field(body, 'orderId') === undefined && field(body, 'orderLinkId') === undefined)
          problems.push('orderId or orderLinkId is required');
        break;
      case '/v5/order/realtime':
      case '/v5/order/history':
        if (limit !== undefined && (Number(limit) < 1 || Number(limit) > 50))
          problems.push(`limit ${limit} is outside 1..50`);
        break;
      case '/v5/execution/list': {
        if (limit !== undefined && (Number(limit) < 1 || Number(limit) > 100))
          problems.push(`limit ${limit} is outside 1..100`);
        const start = request.query['startTime'];
        const end = request.query['endTime'];
        if (start !== undefined && end !== undefined && Number(end) - Number(start) > 7 * DAY_MS)
          problems.push('startTime and endTime are more than 7 days apart');
        break;
      }
      case '/v5/position/list':
        if (request.query['symbol'] === undefined && request.query['settleCoin'] === undefined)
          problems.push('linear positions need a symbol or a settleCoin');
        break;
    }
    return problems;
  };
}

/** One page of a newest-first list, paged by an index cursor */
function page<T>(rows: readonly T[], query: Readonly<Record<string, string>>, fallback: number) {
  const limit = Number(query['limit'] ?? fallback);
  const from = Number(query['cursor'] ?? 0);
  const list = rows.slice(from, from + limit);
  const next = from + limit < rows.length ? String(from + limit) : '';
  return { list, nextPageCursor: next };
}

/**
 * A Bybit v5 account on one venue: BTCUSDT spot and the BTCUSDT linear perpetual, orders that
 * rest until told otherwise, executions the test adds, positions per positionIdx.
 */
export class BybitVenue {
  readonly wire: InProcessVenue;
  readonly orders = new Map<string, BybitOrder>();
  readonly executions: BybitExecution[] = [];
  hedgeMode = false;
  /** Refuses an order of a batch by its link id (the documented per-entry answer) */
  refuseInBatch: (orderLinkId: string) => { code: number; msg: string } | undefined = () =>
    undefined;
  private nextId = 1;

  constructor() {
    this.wire = new InProcessVenue(
      'bybit',
      bybitRules(() => this.hedgeMode),
    );
    // Built from the documented instruments-info format (no captured answer in the fixtures)
    this.wire.on('GET', '/v5/market/instruments-info', (request) =>
      ok(
        request.query['status'] === 'PreLaunch'
          ? { category: request.query['category'], list: [], nextPageCursor: '' }
          : request.query['category'] === 'spot'
            ? {
                category: 'spot',
                list: [
                  {
                    symbol: 'BTCUSDT',
                    baseCoin: 'BTC',
                    quoteCoin: 'USDT',
                    innovation: '0',
                    status: 'Trading',
                    marginTrading: 'both',
                    lotSizeFilter: {
                      basePrecision: '0.000001',
                      quotePrecision: '0.00000001',
                      minOrderQty: '0.000048',
                      maxOrderQty: '71.73956243',
                      minOrderAmt: '1',
                      maxOrderAmt: '2000000',
                    },
                    priceFilter: { tickSize: '0.01' },
                  },
                ],
              }
            : {
                category: 'linear',
                list: [
                  {
                    symbol: 'BTCUSDT',
                    contractType: 'LinearPerpetual',
                    status: 'Trading',
                    baseCoin: 'BTC',
                    quoteCoin: 'USDT',
                    settleCoin: 'USDT',
                    launchTime: '1585526400000',
                    deliveryTime: '0',
                    priceScale: '2',
                    leverageFilter: {
                      minLeverage: '1',
                      maxLeverage: '100.00',
                      leverageStep: '0.01',
                    },
                    priceFilter: { minPrice: '0.10', maxPrice: '1999999.80', tickSize: '0.10' },
                    lotSizeFilter: {
                      maxOrderQty: '1190.000',
                      minOrderQty: '0.001',
                      qtyStep: '0.001',
                      postOnlyMaxOrderQty: '1190.000',
                      minNotionalValue: '5',
                    },
                    fundingInterval: 480,
                  },
                ],
                nextPageCursor: '',
              },
      ),
    );
    // The coin list ccxt reads at load with credentials: the documented format, two coins
    this.wire.on('GET', '/v5/asset/coin/query-info', () =>
      ok({
        rows: ['BTC', 'USDT'].map((coin) => ({
          name: coin,
          coin,
          remainAmount: '1000000',
          chains: [],
        })),
      }),
    );
    // Account-type queries ccxt makes before the first private call: documented formats
    this.wire.on('GET', '/v5/user/query-api', () =>
      ok({ id: '1', readOnly: 0, unified: 0, uta: 1, isMaster: true, permissions: {} }),
    );
    this.wire.on('GET', '/v5/account/info', () =>
      ok({ unifiedMarginStatus: 5, marginMode: 'REGULAR_MARGIN', updatedTime: '0' }),
    );
    this.wire.on('GET', '/v5/account/wallet-balance', () => ({
      body: capturedBody('bybit', 'fetchBalance', 'balance after availableToWithdraw update'),
    }));
    this.wire.on('POST', '/v5/order/create', (request) => {
      const order = this.place(record(request.body), record(request.body)['category'] as never);
      // The captured create answer, with this order's ids
      const answer = capturedBody<{ result: Record<string, unknown> }>(
        'bybit',
        'createOrder',
        'create spot order',
      );
      answer.result = { orderId: order.orderId, orderLinkId: order.orderLinkId };
      return { body: answer };
    });
    this.wire.on('POST', '/v5/order/create-batch', (request) => {
      const body = record(request.body);
      const category = body['category'] as 'spot' | 'linear';
      const list: Record<string, unknown>[] = [];
      const codes: { code: number; msg: string }[] = [];
      for (const entry of Array.isArray(body['request']) ? body['request'] : []) {
        const refusal = this.refuseInBatch(field(entry, 'orderLinkId') ?? '');
        if (refusal !== undefined) {
          list.push({
            category,
            symbol: field(entry, 'symbol'),
            orderId: '',
            orderLinkId: '',
            createAt: '',
          });
          codes.push(refusal);
          continue;
        }
        const order = this.place(record(entry), category);
        list.push({
          category,
          symbol: order.symbol,
          orderId: order.orderId,
          orderLinkId: order.orderLinkId,
          createAt: String(order.createdTime),
        });
        codes.push({ code: 0, msg: 'OK' });
      }
      // Documented batch answer: one result list and one retExtInfo list, in request order
      return {
        body: {
          retCode: 0,
          retMsg: 'OK',
          result: { list },
          retExtInfo: { list: codes },
          time: Date.now(),
        },
      };
    });
    this.wire.on('POST', '/v5/order/cancel', (request) => {
      const order = this.find(record(request.body));
      if (order === undefined || !this.isOpen(order))
        return bybitError(110001, 'Order does not exist.');
      order.orderStatus = 'Cancelled';
      order.updatedTime = Date.now();
      return ok({ orderId: order.orderId, orderLinkId: order.orderLinkId });
    });
    this.wire.on('POST', '/v5/order/amend', (request) => {
      const body = record(request.body);
      const order = this.find(body);
      if (order === undefined || !this.isOpen(order))
        return bybitError(110001, 'Order does not exist.');
      order.price = field(body, 'price') ?? order.price;
      order.qty = field(body, 'qty') ?? order.qty;
      order.updatedTime = Date.now();
      // Documented amend answer: the ids only
      return ok({ orderId: order.orderId, orderLinkId: order.orderLinkId });
    });
    this.wire.on('GET', '/v5/order/realtime', (request) =>
      ok({
        category: request.query['category'],
        ...page(this.listed(request.query, true), request.query, 20),
      }),
    );
    this.wire.on('GET', '/v5/order/history', (request) =>
      ok({
        category: request.query['category'],
        ...page(this.listed(request.query, false), request.query, 20),
      }),
    );
    this.wire.on('GET', '/v5/execution/list', (request) => {
      const q = request.query;
      const rows = this.executions
        .filter(
          (e) =>
            e.category === q['category'] &&
            (q['symbol'] === undefined || e.symbol === q['symbol']) &&
            (q['startTime'] === undefined || e.execTime >= Number(q['startTime'])) &&
            (q['endTime'] === undefined || e.execTime <= Number(q['endTime'])) &&
            (q['orderId'] === undefined || e.orderId === q['orderId']),
        )
        .sort((a, b) => b.execTime - a.execTime)
        .map((e) => this.executionRow(e));
      return ok({ category: q['category'], ...page(rows, q, 50) });
    });
    this.wire.on('GET', '/v5/position/list', (request) =>
      ok({
        category: 'linear',
        list: this.positionRows(request.query['symbol']),
        nextPageCursor: '',
      }),
    );
  }

  private isOpen(order: BybitOrder): boolean {
    return order.orderStatus === 'New' || order.orderStatus === 'PartiallyFilled';
  }

  private find(body: Record<string, unknown>): BybitOrder | undefined {
    const id = field(body, 'orderId');
    const link = field(body, 'orderLinkId');
    for (const order of this.orders.values())
      if (
        (id !== undefined && order.orderId === id) ||
        (link !== undefined && order.orderLinkId === link)
      )
        return order;
    return undefined;
  }

  /** An order placed at the venue by someone else (no link id of ours) */
  placeForeign(body: Record<string, unknown>, category: 'spot' | 'linear'): BybitOrder {
    return this.place(body, category);
  }

  /** An order by its link id (our wire id) */
  byLinkId(orderLinkId: string): BybitOrder | undefined {
    return this.find({ orderLinkId });
  }

  private place(body: Record<string, unknown>, category: 'spot' | 'linear'): BybitOrder {
    const now = Date.now();
    const order: BybitOrder = {
      category,
      symbol: field(body, 'symbol') ?? '',
      orderId: `${category === 'spot' ? '1700000000' : 'c0ffee00-0000-4000-8000-'}${String(this.nextId++).padStart(12, '0')}`,
      orderLinkId: field(body, 'orderLinkId') ?? '',
      side: field(body, 'side') as 'Buy' | 'Sell',
      orderType: field(body, 'orderType') as 'Limit' | 'Market',
      price: field(body, 'price') ?? '0',
      qty: field(body, 'qty') ?? '0',
      timeInForce:
        field(body, 'timeInForce') ?? (field(body, 'orderType') === 'Market' ? 'IOC' : 'GTC'),
      reduceOnly: body['reduceOnly'] === true,
      positionIdx: Number(field(body, 'positionIdx') ?? 0),
      orderStatus: 'New',
      cumExecQty: '0',
      avgPrice: '0',
      createdTime: now,
      updatedTime: now,
    };
    this.orders.set(order.orderId, order);
    return order;
  }

  private listed(
    query: Readonly<Record<string, string>>,
    open: boolean,
  ): Record<string, unknown>[] {
    return [...this.orders.values()]
      .filter(
        (o) =>
          o.category === query['category'] &&
          this.isOpen(o) === open &&
          (query['symbol'] === undefined || o.symbol === query['symbol']) &&
          (query['orderId'] === undefined || o.orderId === query['orderId']) &&
          (query['orderLinkId'] === undefined || o.orderLinkId === query['orderLinkId']),
      )
      .sort((a, b) => b.createdTime - a.createdTime)
      .map((o) => this.orderRow(o));
  }

  /** The captured open-order row with this order's fields */
  private orderRow(order: BybitOrder): Record<string, unknown> {
    const answer = capturedBody<{ result: { list: Record<string, unknown>[] } }>(
      'bybit',
      'fetchOpenOrder',
      'spot open order',
    );
    const row = answer.result.list[0] ?? {};
    const leaves = Math.max(0, Number(order.qty) - Number(order.cumExecQty));
    const next: Record<string, unknown> = {
      ...row,
      symbol: order.symbol,
      orderId: order.orderId,
      orderLinkId: order.orderLinkId,
      side: order.side,
      orderType: order.orderType,
      price: order.price,
      qty: order.qty,
      timeInForce: order.timeInForce,
      reduceOnly: order.reduceOnly,
      positionIdx: String(order.positionIdx),
      orderStatus: order.orderStatus,
      cumExecQty: order.cumExecQty,
      leavesQty: String(leaves),
      avgPrice: order.avgPrice,
      createdTime: String(order.createdTime),
      updatedTime: String(order.updatedTime),
    };
    delete next['nextPageCursor'];
    return next;
  }

  /** The captured linear execution row with this execution's fields */
  private executionRow(execution: BybitExecution): Record<string, unknown> {
    const answer = capturedBody<{ result: { list: Record<string, unknown>[] } }>(
      'bybit',
      'fetchMyTrades',
      'swap trades without symbol',
    );
    const row = { ...(answer.result.list[0] ?? {}) };
    delete row['nextPageCursor'];
    const value = Number(execution.execPrice) * Number(execution.execQty);
    return {
      ...row,
      symbol: execution.symbol,
      orderId: execution.orderId,
      orderLinkId: execution.orderLinkId,
      side: execution.side,
      execId: execution.execId,
      execPrice: execution.execPrice,
      execQty: execution.execQty,
      execValue: String(value),
      execFee: (value * 0.00055).toFixed(8),
      execTime: String(execution.execTime),
      isMaker: execution.isMaker,
    };
  }

  /** The captured linear position row per leg, from this account's fills */
  private positionRows(symbol: string | undefined): Record<string, unknown>[] {
    const answer = capturedBody<{ result: { list: Record<string, unknown>[] } }>(
      'bybit',
      'fetchPositions',
      'Fetch linear position',
    );
    const template = { ...(answer.result.list[0] ?? {}) };
    delete template['nextPageCursor'];
    const legs = new Map<string, { size: number; notional: number; idx: number; symbol: string }>();
    for (const execution of this.executions) {
      if (execution.category !== 'linear' || (symbol !== undefined && execution.symbol !== symbol))
        continue;
      const order = this.orders.get(execution.orderId);
      const idx = order?.positionIdx ?? 0;
      const key = `${execution.symbol}:${idx}`;
      const leg = legs.get(key) ?? { size: 0, notional: 0, idx, symbol: execution.symbol };
      const signed = (execution.side === 'Buy' ? 1 : -1) * Number(execution.execQty);
      const opening =
        idx === 0
          ? Math.sign(signed) === Math.sign(leg.size) || leg.size === 0
          : idx === 1
            ? signed > 0
            : signed < 0;
      if (opening) leg.notional += Math.abs(signed) * Number(execution.execPrice);
      else leg.notional -= (Math.abs(signed) / Math.abs(leg.size)) * leg.notional;
      leg.size = Math.round((leg.size + signed) * 1e9) / 1e9;
      legs.set(key, leg);
    }
    return [...legs.values()]
      .filter((leg) => leg.size !== 0)
      .map((leg) => ({
        ...template,
        symbol: leg.symbol,
        positionIdx: String(leg.idx),
        side: leg.size > 0 ? 'Buy' : 'Sell',
        size: String(Math.abs(leg.size)),
        avgPrice: String(leg.notional / Math.abs(leg.size)),
      }));
  }

  /** Adds an execution of an order (the fill the stream would have pushed) */
  fill(order: BybitOrder, qty: string, price: string, execTime: number, execId: string): void {
    this.executions.push({
      category: order.category,
      symbol: order.symbol,
      orderId: order.orderId,
      orderLinkId: order.orderLinkId,
      side: order.side,
      execId,
      execPrice: price,
      execQty: qty,
      execTime,
      isMaker: true,
    });
    const filled = Number(order.cumExecQty) + Number(qty);
    const notional =
      Number(order.avgPrice) * Number(order.cumExecQty) + Number(price) * Number(qty);
    order.cumExecQty = String(Math.round(filled * 1e9) / 1e9);
    order.avgPrice = String(notional / filled);
    order.orderStatus = filled >= Number(order.qty) - 1e-12 ? 'Filled' : 'PartiallyFilled';
    order.updatedTime = execTime;
  }

  /** Answers the next request to a path with a handler (a fault) */
  next(method: string, path: string, handler: Handler): void {
    this.wire.next(method, path, handler);
  }
}
