import type { WireAnswer, WireRequest } from './in-process-venue.ts';
import { field, InProcessVenue } from './in-process-venue.ts';
import { capturedBody } from './static-fixtures.ts';

/**
 * OKX v5 answered in-process, for the conformance suite. Order, fill, position and balance rows
 * are the captured answers of ccxt's static tests (`response/okx.json`) with the fields of the
 * order at hand filled in; the instruments, the currencies, the cancel and amend
 * acknowledgements and the error answers are built from OKX's documented v5 formats.
 */

const CL_ORD_ID = /^[A-Za-z0-9]{1,32}$/;
const DECIMAL = /^\d+(\.\d+)?$/;

export interface OkxOrder {
  readonly instId: string;
  readonly instType: 'SPOT' | 'SWAP';
  readonly ordId: string;
  readonly clOrdId: string;
  readonly side: 'buy' | 'sell';
  readonly ordType: string;
  px: string;
  sz: string;
  readonly posSide: string;
  readonly reduceOnly: boolean;
  state: 'live' | 'partially_filled' | 'filled' | 'canceled';
  accFillSz: string;
  readonly cTime: number;
  uTime: number;
}

export interface OkxFill {
  readonly instId: string;
  readonly instType: 'SPOT' | 'SWAP';
  readonly ordId: string;
  readonly clOrdId: string;
  readonly side: 'buy' | 'sell';
  readonly posSide: string;
  readonly fillPx: string;
  readonly fillSz: string;
  readonly tradeId: string;
  readonly billId: string;
  readonly ts: number;
}

/** OKX's documented answer envelope */
export function okxOk(data: unknown[]): WireAnswer {
  return { body: { code: '0', msg: '', data } };
}

/** An OKX order refused, as the venue answers it: code 1 and the order's sCode */
export function okxRefused(sCode: string, sMsg: string, clOrdId = ''): WireAnswer {
  return {
    body: {
      code: '1',
      msg: 'All operations failed',
      data: [{ clOrdId, ordId: '', sCode, sMsg, tag: '', ts: String(Date.now()) }],
    },
  };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** OKX's documented request rules for the endpoints Kestrel uses */
export function okxRules(hedge: () => boolean): (request: WireRequest) => string[] {
  const orderRules = (order: Record<string, unknown>): string[] => {
    const problems: string[] = [];
    const instId = field(order, 'instId') ?? '';
    const swap = instId.endsWith('-SWAP');
    const tdMode = field(order, 'tdMode');
    if (swap ? tdMode !== 'cross' && tdMode !== 'isolated' : tdMode !== 'cash')
      problems.push(`tdMode ${tdMode} does not fit ${instId}`);
    const side = field(order, 'side');
    if (side !== 'buy' && side !== 'sell') problems.push(`side ${side} is not buy or sell`);
    const ordType = field(order, 'ordType') ?? '';
    if (!['market', 'limit', 'post_only', 'fok', 'ioc'].includes(ordType))
      problems.push(`ordType ${ordType} is not market, limit, post_only, fok or ioc`);
    const sz = field(order, 'sz');
    if (sz === undefined || !DECIMAL.test(sz) || Number(sz) <= 0)
      problems.push(`sz ${sz} is not a positive decimal`);
    if (
      ordType !== 'market' &&
      (field(order, 'px') === undefined || !DECIMAL.test(field(order, 'px') ?? ''))
    )
      problems.push(`a ${ordType} order needs px`);
    const clOrdId = field(order, 'clOrdId');
    if (clOrdId !== undefined && !CL_ORD_ID.test(clOrdId))
      problems.push(`clOrdId ${JSON.stringify(clOrdId)} is not 1 to 32 letters and digits`);
    const posSide = field(order, 'posSide');
    if (!swap && (posSide !== undefined || order['reduceOnly'] !== undefined))
      problems.push('posSide and reduceOnly are not for spot cash orders');
    if (swap && hedge()) {
      if (posSide !== 'long' && posSide !== 'short')
        problems.push(`long/short mode needs posSide long or short (51000), got ${posSide}`);
      if (order['reduceOnly'] !== undefined) problems.push('reduceOnly is for net mode only');
    }
    if (swap && !hedge() && posSide !== undefined && posSide !== 'net')
      problems.push(`net mode takes posSide net only, got ${posSide}`);
    return problems;
  };
  return (request) => {
    const problems: string[] = [];
    const path = request.path;
    if (/^\/api\/v5\/(trade|account|asset)\//.test(path)) {
      for (const header of [
        'ok-access-key',
        'ok-access-sign',
        'ok-access-timestamp',
        'ok-access-passphrase',
      ])
        if (request.headers[header] === undefined) problems.push(`missing header ${header}`);
    }
    const limit = request.query['limit'];
    switch (path) {
      case '/api/v5/trade/order':
        if (request.method === 'POST') problems.push(...orderRules(record(request.body)));
        else if (request.query['ordId'] === undefined && request.query['clOrdId'] === undefined)
          problems.push('ordId or clOrdId is required');
        break;
      case '/api/v5/trade/batch-orders': {
        const entries = Array.isArray(request.body) ? request.body : [];
        if (entries.length < 1 || entries.length > 20)
          problems.push(`a batch takes 1 to 20 orders, got ${entries.length}`);
        for (const entry of entries) problems.push(...orderRules(record(entry)));
        break;
      }
      case '/api/v5/trade/cancel-order':
      case '/api/v5/trade/amend-order':
        if (field(request.body, 'instId') === undefined) problems.push('instId is required');
        if (
          field(request.body, 'ordId') === undefined &&
          field(request.body, 'clOrdId') === undefined
        )
          problems.push('ordId or clOrdId is required');
        break;
      case '/api/v5/trade/fills-history':
        if (request.query['instType'] === undefined) problems.push('instType is required');
        if (limit !== undefined && Number(limit) > 100)
          problems.push(`limit ${limit} is above 100`);
        break;
      case '/api/v5/trade/orders-pending':
        if (limit !== undefined && Number(limit) > 100)
          problems.push(`limit ${limit} is above 100`);
        break;
    }
    return problems;
  };
}

/**
 * An OKX account: BTC-USDT spot and the BTC-USDT-SWAP perpetual (0.01 BTC a contract), orders
 * that rest until told otherwise, fills the test adds, positions per posSide.
 */
export class OkxVenue {
  readonly wire: InProcessVenue;
  readonly orders = new Map<string, OkxOrder>();
  readonly fills: OkxFill[] = [];
  hedgeMode = false;
  refuseInBatch: (clOrdId: string) => { sCode: string; sMsg: string } | undefined = () => undefined;
  private nextId = 700_000_000_000_000_001n;
  private nextBill = 900_000_000_000_000_001n;

  constructor() {
    this.wire = new InProcessVenue(
      'okx',
      okxRules(() => this.hedgeMode),
    );
    // Documented currencies format (ccxt reads it at load when it has keys)
    this.wire.on('GET', '/api/v5/asset/currencies', () =>
      okxOk(
        ['BTC', 'USDT'].map((ccy) => ({
          ccy,
          chain: `${ccy}-${ccy}`,
          name: ccy,
          canDep: true,
          canWd: true,
          canInternal: true,
          minWd: '0.001',
          maxFee: '0.1',
          minFee: '0.01',
          mainNet: true,
        })),
      ),
    );
    // Documented instruments format: BTC-USDT spot, BTC-USDT-SWAP (0.01 BTC a contract)
    this.wire.on('GET', '/api/v5/public/instruments', (request) =>
      okxOk(
        request.query['instType'] === 'SPOT'
          ? [
              {
                instType: 'SPOT',
                instId: 'BTC-USDT',
                uly: '',
                baseCcy: 'BTC',
                quoteCcy: 'USDT',
                settleCcy: '',
                ctValCcy: '',
                ctVal: '',
                ctMult: '',
                lever: '10',
                lotSz: '0.00000001',
                minSz: '0.00001',
                tickSz: '0.1',
                state: 'live',
                listTime: '1606468572000',
                maxLmtSz: '9999999999',
                maxMktSz: '1000000',
              },
            ]
          : [
              {
                instType: 'SWAP',
                instId: 'BTC-USDT-SWAP',
                uly: 'BTC-USDT',
                instFamily: 'BTC-USDT',
                baseCcy: '',
                quoteCcy: '',
                settleCcy: 'USDT',
                ctValCcy: 'BTC',
                ctVal: '0.01',
                ctMult: '1',
                ctType: 'linear',
                lever: '100',
                lotSz: '0.01',
                minSz: '0.01',
                tickSz: '0.1',
                state: 'live',
                listTime: '1573557408000',
                maxLmtSz: '100000000',
                maxMktSz: '6000',
              },
            ],
      ),
    );
    // Documented ticker format: OKX has no bids/asks call, so a quote comes from here
    this.wire.on('GET', '/api/v5/market/ticker', (request) =>
      okxOk([
        {
          instType: request.query['instId']?.endsWith('-SWAP') ? 'SWAP' : 'SPOT',
          instId: request.query['instId'],
          last: '60000.5',
          lastSz: '1',
          askPx: '60001',
          askSz: '12',
          bidPx: '60000',
          bidSz: '9',
          open24h: '59000',
          high24h: '61000',
          low24h: '58000',
          volCcy24h: '1000',
          vol24h: '100000',
          ts: String(Date.now()),
          sodUtc0: '59500',
          sodUtc8: '59600',
        },
      ]),
    );
    this.wire.on('GET', '/api/v5/account/balance', () => ({
      body: capturedBody('okx', 'fetchBalance', 'spot balance'),
    }));
    this.wire.on('GET', '/api/v5/account/positions', () => okxOk(this.positionRows()));
    const create = (request: WireRequest): WireAnswer => {
      const entries =
        request.method === 'POST' && Array.isArray(request.body) ? request.body : [request.body];
      const data = entries.map((entry) => {
        const order = record(entry);
        const refusal = this.refuseInBatch(field(order, 'clOrdId') ?? '');
        if (refusal !== undefined)
          return {
            clOrdId: field(order, 'clOrdId') ?? '',
            ordId: '',
            ...refusal,
            tag: '',
            ts: String(Date.now()),
          };
        const placed = this.place(order);
        // The captured create answer's row, with this order's ids
        const row =
          capturedBody<{ data: Record<string, unknown>[] }>(
            'okx',
            'createOrder',
            'type2 & type3 together',
          ).data[0] ?? {};
        return {
          ...row,
          clOrdId: placed.clOrdId,
          ordId: placed.ordId,
          tag: '',
          ts: String(placed.cTime),
        };
      });
      const failed = data.filter((d) => (d as Record<string, unknown>)['sCode'] !== '0').length;
      const code = failed === 0 ? '0' : failed === data.length ? '1' : '2';
      return { body: { code, msg: code === '0' ? '' : 'operation failed', data } };
    };
    this.wire.on('POST', '/api/v5/trade/batch-orders', create);
    this.wire.on('POST', '/api/v5/trade/order', create);
    this.wire.on('POST', '/api/v5/trade/cancel-order', (request) => {
      const order = this.find(record(request.body));
      if (order === undefined || !this.isOpen(order))
        return okxRefused(
          '51400',
          'Order cancellation failed as the order has been filled, canceled or does not exist',
        );
      order.state = 'canceled';
      order.uTime = Date.now();
      // Documented cancel answer: the ids and sCode only
      return okxOk([{ clOrdId: order.clOrdId, ordId: order.ordId, sCode: '0', sMsg: '' }]);
    });
    this.wire.on('POST', '/api/v5/trade/amend-order', (request) => {
      const body = record(request.body);
      const order = this.find(body);
      if (order === undefined || !this.isOpen(order))
        return okxRefused('51603', 'Order does not exist');
      order.px = field(body, 'newPx') ?? order.px;
      order.sz = field(body, 'newSz') ?? order.sz;
      order.uTime = Date.now();
      // Documented amend answer: the ids and sCode only
      return okxOk([
        { clOrdId: order.clOrdId, ordId: order.ordId, reqId: '', sCode: '0', sMsg: '' },
      ]);
    });
    this.wire.on('GET', '/api/v5/trade/order', (request) => {
      const order = this.find(request.query);
      return order === undefined
        ? okxRefused('51603', 'Order does not exist')
        : okxOk([this.orderRow(order)]);
    });
    this.wire.on('GET', '/api/v5/trade/orders-pending', (request) =>
      okxOk(
        [...this.orders.values()]
          .filter(
            (o) =>
              this.isOpen(o) &&
              (request.query['instId'] === undefined || o.instId === request.query['instId']),
          )
          .map((o) => this.orderRow(o)),
      ),
    );
    this.wire.on('GET', '/api/v5/trade/fills-history', (request) => {
      const q = request.query;
      const rows = this.fills
        .filter(
          (f) =>
            f.instType === q['instType'] &&
            (q['instId'] === undefined || f.instId === q['instId']) &&
            (q['begin'] === undefined || f.ts >= Number(q['begin'])) &&
            (q['end'] === undefined || f.ts <= Number(q['end'])) &&
            (q['after'] === undefined || BigInt(f.billId) < BigInt(q['after'])) &&
            (q['ordId'] === undefined || f.ordId === q['ordId']),
        )
        .sort((a, b) => (BigInt(b.billId) > BigInt(a.billId) ? 1 : -1))
        .slice(0, Number(q['limit'] ?? 100))
        .map((f) => this.fillRow(f));
      return okxOk(rows);
    });
  }

  private isOpen(order: OkxOrder): boolean {
    return order.state === 'live' || order.state === 'partially_filled';
  }

  private find(query: Readonly<Record<string, unknown>>): OkxOrder | undefined {
    const id = field(query, 'ordId');
    const cl = field(query, 'clOrdId');
    for (const order of this.orders.values())
      if ((id !== undefined && order.ordId === id) || (cl !== undefined && order.clOrdId === cl))
        return order;
    return undefined;
  }

  /** An order placed at the venue by someone else (no clOrdId) */
  placeForeign(body: Record<string, unknown>): OkxOrder {
    return this.place(body);
  }

  byClOrdId(clOrdId: string): OkxOrder | undefined {
    return this.find({ clOrdId });
  }

  private place(body: Record<string, unknown>): OkxOrder {
    const now = Date.now();
    const instId = field(body, 'instId') ?? '';
    const order: OkxOrder = {
      instId,
      instType: instId.endsWith('-SWAP') ? 'SWAP' : 'SPOT',
      ordId: String(this.nextId++),
      clOrdId: field(body, 'clOrdId') ?? '',
      side: field(body, 'side') as 'buy' | 'sell',
      ordType: field(body, 'ordType') ?? 'limit',
      px: field(body, 'px') ?? '',
      sz: field(body, 'sz') ?? '0',
      posSide: field(body, 'posSide') ?? 'net',
      reduceOnly: body['reduceOnly'] === true || body['reduceOnly'] === 'true',
      state: 'live',
      accFillSz: '0',
      cTime: now,
      uTime: now,
    };
    this.orders.set(order.ordId, order);
    return order;
  }

  /** A fill of an order (what the stream would have pushed) */
  fill(order: OkxOrder, fillSz: string, fillPx: string, ts: number): void {
    this.fills.push({
      instId: order.instId,
      instType: order.instType,
      ordId: order.ordId,
      clOrdId: order.clOrdId,
      side: order.side,
      posSide: order.posSide,
      fillPx,
      fillSz,
      tradeId: String(this.nextBill),
      billId: String(this.nextBill++),
      ts,
    });
    const filled = Math.round((Number(order.accFillSz) + Number(fillSz)) * 1e9) / 1e9;
    order.accFillSz = String(filled);
    order.state = filled >= Number(order.sz) ? 'filled' : 'partially_filled';
    order.uTime = ts;
  }

  /** The captured order row (open or closed) with this order's fields */
  private orderRow(order: OkxOrder): Record<string, unknown> {
    const row =
      capturedBody<{ data: Record<string, unknown>[] }>(
        'okx',
        this.isOpen(order) ? 'fetchOpenOrders' : 'fetchClosedOrders',
        this.isOpen(order)
          ? 'fetch swap limit open order with take profit and stop loss'
          : 'Swap closed orders',
      ).data[0] ?? {};
    return {
      ...row,
      instId: order.instId,
      instType: order.instType,
      ordId: order.ordId,
      clOrdId: order.clOrdId,
      tag: '',
      side: order.side,
      ordType: order.ordType,
      px: order.px,
      sz: order.sz,
      posSide: order.posSide,
      reduceOnly: String(order.reduceOnly),
      tdMode: order.instType === 'SWAP' ? 'cross' : 'cash',
      state: order.state,
      accFillSz: order.accFillSz,
      fillSz: order.accFillSz,
      avgPx: Number(order.accFillSz) > 0 ? '60000' : '',
      cTime: String(order.cTime),
      uTime: String(order.uTime),
      attachAlgoOrds: [],
    };
  }

  /** The captured fill row with this fill's fields */
  private fillRow(fill: OkxFill): Record<string, unknown> {
    const row =
      capturedBody<{ data: Record<string, unknown>[] }>('okx', 'fetchMyTrades', 'Fetch spot trade')
        .data[0] ?? {};
    return {
      ...row,
      instId: fill.instId,
      instType: fill.instType,
      ordId: fill.ordId,
      clOrdId: fill.clOrdId,
      tag: '',
      side: fill.side,
      posSide: fill.posSide,
      fillPx: fill.fillPx,
      fillSz: fill.fillSz,
      fee: (-Number(fill.fillPx) * Number(fill.fillSz) * 0.0002).toFixed(8),
      feeCcy: 'USDT',
      tradeId: fill.tradeId,
      billId: fill.billId,
      fillTime: String(fill.ts),
      ts: String(fill.ts),
    };
  }

  /** The captured position row per posSide, from the swap fills */
  private positionRows(): Record<string, unknown>[] {
    const template =
      capturedBody<{ data: Record<string, unknown>[] }>(
        'okx',
        'fetchPositions',
        'linear swap position',
      ).data[0] ?? {};
    const legs = new Map<string, { pos: number; notional: number }>();
    for (const fill of this.fills) {
      if (fill.instType !== 'SWAP') continue;
      const leg = legs.get(fill.posSide) ?? { pos: 0, notional: 0 };
      const signed = (fill.side === 'buy' ? 1 : -1) * Number(fill.fillSz);
      const opening =
        fill.posSide === 'net'
          ? leg.pos === 0 || Math.sign(signed) === Math.sign(leg.pos)
          : fill.posSide === 'long'
            ? signed > 0
            : signed < 0;
      if (opening) leg.notional += Math.abs(signed) * Number(fill.fillPx);
      else leg.notional *= 1 - Math.abs(signed) / Math.abs(leg.pos);
      leg.pos = Math.round((leg.pos + signed) * 1e9) / 1e9;
      legs.set(fill.posSide, leg);
    }
    return [...legs]
      .filter(([, leg]) => leg.pos !== 0)
      .map(([posSide, leg]) => ({
        ...template,
        instId: 'BTC-USDT-SWAP',
        posSide,
        // OKX reports a short leg of long/short mode as a positive size; net mode signs it
        pos: String(posSide === 'net' ? leg.pos : Math.abs(leg.pos)),
        availPos: String(Math.abs(leg.pos)),
        avgPx: String(leg.notional / Math.abs(leg.pos)),
      }));
  }
}
