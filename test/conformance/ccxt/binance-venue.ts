import type { WireAnswer, WireRequest } from './in-process-venue.ts';
import { InProcessVenue } from './in-process-venue.ts';
import { capturedBody } from './static-fixtures.ts';

/**
 * Binance spot (`/api/v3`) or USDⓈ-M futures (`/fapi`) answered in-process, for the conformance
 * suite. Order, trade, position and balance rows are the captured answers of ccxt's static tests
 * (`response/binance.json`) with the fields of the order at hand filled in; the exchange info,
 * the leverage brackets, a futures cancel and the refused batch entry are built from Binance's
 * documented formats.
 */

const CLIENT_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;
const DECIMAL = /^\d+(\.\d+)?$/;
const HOUR_MS = 3_600_000;

export type BinanceMarket = 'spot' | 'usdm';

export interface BinanceOrder {
  readonly symbol: string;
  readonly orderId: number;
  readonly clientOrderId: string;
  readonly side: 'BUY' | 'SELL';
  readonly type: string;
  price: string;
  origQty: string;
  readonly timeInForce: string;
  readonly reduceOnly: boolean;
  readonly positionSide: string;
  status: 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED';
  executedQty: string;
  readonly time: number;
  updateTime: number;
}

export interface BinanceTrade {
  readonly symbol: string;
  readonly id: number;
  readonly orderId: number;
  readonly side: 'BUY' | 'SELL';
  readonly price: string;
  readonly qty: string;
  readonly time: number;
  readonly positionSide: string;
}

/** A Binance error answer as the venue sends it */
export function binanceError(code: number, msg: string, status = 400): WireAnswer {
  return { status, body: { code, msg } };
}

function params(request: WireRequest): Record<string, string> {
  const body =
    typeof request.body === 'object' && request.body !== null
      ? (request.body as Record<string, string>)
      : {};
  return { ...request.query, ...body };
}

/** Binance's documented request rules for the endpoints Kestrel uses */
export function binanceRules(
  market: BinanceMarket,
  hedge: () => boolean,
): (request: WireRequest) => string[] {
  const orderRules = (p: Record<string, string | undefined>): string[] => {
    const problems: string[] = [];
    const type = p['type'];
    const types = market === 'spot' ? ['LIMIT', 'MARKET', 'LIMIT_MAKER'] : ['LIMIT', 'MARKET'];
    if (p['side'] !== 'BUY' && p['side'] !== 'SELL')
      problems.push(`side ${p['side']} is not BUY or SELL`);
    if (type === undefined || !types.includes(type))
      problems.push(`type ${type} is not one of ${types.join(', ')}`);
    const quantity = p['quantity'];
    if (quantity === undefined || !DECIMAL.test(quantity) || Number(quantity) <= 0)
      problems.push(`quantity ${quantity} is not a positive decimal`);
    const limited = type === 'LIMIT' || type === 'LIMIT_MAKER';
    // A LIMIT order names its price, or (futures) a priceMatch rule instead of one
    if (
      limited &&
      p['priceMatch'] === undefined &&
      (p['price'] === undefined || !DECIMAL.test(p['price']))
    )
      problems.push(`a ${type} order needs a price`);
    const tifs = market === 'spot' ? ['GTC', 'IOC', 'FOK'] : ['GTC', 'IOC', 'FOK', 'GTX'];
    if (type === 'LIMIT' && (p['timeInForce'] === undefined || !tifs.includes(p['timeInForce'])))
      problems.push(
        `a LIMIT order needs timeInForce in ${tifs.join(', ')}, got ${p['timeInForce']}`,
      );
    if (type !== 'LIMIT' && p['timeInForce'] !== undefined)
      problems.push(`timeInForce is not sent with a ${type} order`);
    const id = p['newClientOrderId'];
    if (id !== undefined && !CLIENT_ID.test(id))
      problems.push(`newClientOrderId ${JSON.stringify(id)} breaks ^[.A-Z:/a-z0-9_-]{1,36}$`);
    if (market === 'spot') {
      if (p['reduceOnly'] !== undefined || p['positionSide'] !== undefined)
        problems.push('reduceOnly and positionSide do not exist on spot');
    } else if (hedge()) {
      if (p['positionSide'] !== 'LONG' && p['positionSide'] !== 'SHORT')
        problems.push(
          `hedge mode needs positionSide LONG or SHORT (-4061), got ${p['positionSide']}`,
        );
      if (p['reduceOnly'] !== undefined)
        problems.push("-1106 Parameter 'reduceOnly' sent when not required (hedge mode)");
    } else if (p['positionSide'] !== undefined && p['positionSide'] !== 'BOTH') {
      problems.push(`one-way mode takes positionSide BOTH only (-4061), got ${p['positionSide']}`);
    }
    return problems;
  };
  return (request) => {
    const problems: string[] = [];
    const p = params(request);
    const signed = !request.path.endsWith('/exchangeInfo');
    if (signed) {
      if (request.headers['x-mbx-apikey'] === undefined)
        problems.push('missing header X-MBX-APIKEY');
      if (p['signature'] === undefined || p['timestamp'] === undefined)
        problems.push('a signed endpoint needs timestamp and signature');
    }
    const path = request.path.replace(/^\/(api\/v3|fapi\/v\d)/, '');
    const window = market === 'spot' ? 24 * HOUR_MS : 7 * 24 * HOUR_MS;
    if (path === '/order' && request.method === 'POST') problems.push(...orderRules(p));
    if (path === '/order' && request.method === 'PUT') {
      if (p['orderId'] === undefined && p['origClientOrderId'] === undefined)
        problems.push('orderId or origClientOrderId is required');
    }
    if (path === '/batchOrders' && request.method === 'POST') {
      const entries = JSON.parse(p['batchOrders'] ?? '[]') as Record<string, string>[];
      if (entries.length < 1 || entries.length > 5)
        problems.push(`batchOrders takes 1 to 5 orders, got ${entries.length}`);
      for (const entry of entries) problems.push(...orderRules(entry));
    }
    if (path === '/order' && (request.method === 'DELETE' || request.method === 'GET')) {
      if (p['orderId'] === undefined && p['origClientOrderId'] === undefined)
        problems.push('orderId or origClientOrderId is required');
    }
    if (path === '/myTrades' || path === '/userTrades') {
      if (p['limit'] !== undefined && Number(p['limit']) > 1000)
        problems.push(`limit ${p['limit']} is above 1000`);
      if (p['startTime'] !== undefined && p['endTime'] !== undefined) {
        if (Number(p['endTime']) - Number(p['startTime']) > window)
          problems.push(`startTime and endTime are more than ${window / HOUR_MS} hours apart`);
      }
    }
    if (market === 'spot' && /positionRisk|leverageBracket|\/fapi\//.test(request.path))
      problems.push('a spot account never asks the futures API');
    return problems;
  };
}

/**
 * A Binance account on one market: BTCUSDT (spot, or the USDⓈ-M perpetual), orders that rest
 * until told otherwise (market orders fill at once), trades the test adds.
 */
export class BinanceVenue {
  readonly wire: InProcessVenue;
  readonly market: BinanceMarket;
  readonly orders = new Map<number, BinanceOrder>();
  readonly trades: BinanceTrade[] = [];
  hedgeMode = false;
  /** Refuses an entry of a batch by its client id (the documented per-entry error) */
  refuseInBatch: (clientOrderId: string) => { code: number; msg: string } | undefined = () =>
    undefined;
  private nextId = 8_000_000_001;
  private nextTradeId = 500_000_001;

  constructor(market: BinanceMarket) {
    this.market = market;
    this.wire = new InProcessVenue(
      `binance ${market}`,
      binanceRules(market, () => this.hedgeMode),
    );
    const api = market === 'spot' ? '/api/v3' : '/fapi/v1';
    this.wire.on('GET', `${api}/exchangeInfo`, () => ({ body: this.exchangeInfo() }));
    if (market === 'spot') {
      this.wire.on('GET', '/api/v3/account', () => ({
        body: capturedBody('binance', 'fetchBalance', 'Spot balance'),
      }));
      this.wire.on('GET', '/api/v3/myTrades', (r) => ({ body: this.tradeRows(params(r)) }));
    } else {
      this.wire.on('GET', '/fapi/v3/account', () => ({
        body: capturedBody('binance', 'fetchBalance', 'Linear swap balance'),
      }));
      this.wire.on('GET', '/fapi/v1/userTrades', (r) => ({ body: this.tradeRows(params(r)) }));
      this.wire.on('GET', '/fapi/v3/positionRisk', () => ({ body: this.positionRows() }));
      // Documented leverage-bracket format (ccxt reads it before positions)
      this.wire.on('GET', '/fapi/v1/leverageBracket', () => ({
        body: [
          {
            symbol: 'BTCUSDT',
            brackets: [
              {
                bracket: 1,
                initialLeverage: 125,
                notionalCap: 50000,
                notionalFloor: 0,
                maintMarginRatio: 0.004,
                cum: 0,
              },
            ],
          },
        ],
      }));
      // Stops waiting in the Algo Service, which Kestrel lists with the open orders: none here
      this.wire.on('GET', '/fapi/v1/openAlgoOrders', () => ({ body: [] }));
      this.wire.on('POST', '/fapi/v1/batchOrders', (r) => {
        const entries = JSON.parse(params(r)['batchOrders'] ?? '[]') as Record<string, string>[];
        return {
          body: entries.map((entry) => {
            const refusal = this.refuseInBatch(entry['newClientOrderId'] ?? '');
            return refusal ?? this.orderRow(this.place(entry));
          }),
        };
      });
      this.wire.on('PUT', '/fapi/v1/order', (r) => {
        const p = params(r);
        const order = this.find(p);
        if (order === undefined || !this.isOpen(order))
          return binanceError(-2013, 'Order does not exist.');
        order.price = p['price'] ?? order.price;
        order.origQty = p['quantity'] ?? order.origQty;
        order.updateTime = Date.now();
        return { body: this.orderRow(order) };
      });
    }
    this.wire.on('POST', `${api}/order`, (r) => ({ body: this.orderRow(this.place(params(r))) }));
    this.wire.on('DELETE', `${api}/order`, (r) => {
      const order = this.find(params(r));
      if (order === undefined || !this.isOpen(order))
        return binanceError(-2011, 'Unknown order sent.');
      order.status = 'CANCELED';
      order.updateTime = Date.now();
      return { body: this.cancelAnswer(order) };
    });
    this.wire.on('GET', `${api}/order`, (r) => {
      const order = this.find(params(r));
      return order === undefined
        ? binanceError(-2013, 'Order does not exist.')
        : { body: this.orderRow(order) };
    });
    this.wire.on('GET', `${api}/openOrders`, (r) => {
      const symbol = params(r)['symbol'];
      return {
        body: [...this.orders.values()]
          .filter((o) => this.isOpen(o) && (symbol === undefined || o.symbol === symbol))
          .map((o) => this.orderRow(o)),
      };
    });
  }

  private isOpen(order: BinanceOrder): boolean {
    return order.status === 'NEW' || order.status === 'PARTIALLY_FILLED';
  }

  private find(p: Record<string, string>): BinanceOrder | undefined {
    const id = p['orderId'];
    const clientId = p['origClientOrderId'];
    for (const order of this.orders.values())
      if (
        (id !== undefined && String(order.orderId) === id) ||
        (clientId !== undefined && order.clientOrderId === clientId)
      )
        return order;
    return undefined;
  }

  /** An order placed at the venue by someone else (the app's own client id) */
  placeForeign(p: Record<string, string>): BinanceOrder {
    return this.place(p);
  }

  /** An order by its client id */
  byClientId(clientOrderId: string): BinanceOrder | undefined {
    return this.find({ origClientOrderId: clientOrderId });
  }

  /** Built from Binance's documented exchangeInfo format: BTCUSDT with its filters */
  private exchangeInfo(): Record<string, unknown> {
    const market = this.market;
    const filters = [
      { filterType: 'PRICE_FILTER', minPrice: '0.01', maxPrice: '1000000', tickSize: '0.10' },
      { filterType: 'LOT_SIZE', minQty: '0.001', maxQty: '1000', stepSize: '0.001' },
      { filterType: 'MARKET_LOT_SIZE', minQty: '0.001', maxQty: '120', stepSize: '0.001' },
      market === 'spot'
        ? {
            filterType: 'NOTIONAL',
            minNotional: '5',
            applyMinToMarket: true,
            maxNotional: '9000000',
            applyMaxToMarket: false,
            avgPriceMins: 5,
          }
        : { filterType: 'MIN_NOTIONAL', notional: '5' },
    ];
    const symbol =
      market === 'spot'
        ? {
            symbol: 'BTCUSDT',
            status: 'TRADING',
            baseAsset: 'BTC',
            baseAssetPrecision: 8,
            quoteAsset: 'USDT',
            quotePrecision: 8,
            quoteAssetPrecision: 8,
            orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET'],
            isSpotTradingAllowed: true,
            isMarginTradingAllowed: false,
            permissionSets: [['SPOT']],
            filters,
          }
        : {
            symbol: 'BTCUSDT',
            pair: 'BTCUSDT',
            contractType: 'PERPETUAL',
            status: 'TRADING',
            baseAsset: 'BTC',
            quoteAsset: 'USDT',
            marginAsset: 'USDT',
            pricePrecision: 2,
            quantityPrecision: 3,
            baseAssetPrecision: 8,
            quotePrecision: 8,
            underlyingType: 'COIN',
            orderTypes: ['LIMIT', 'MARKET'],
            timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
            filters,
          };
    return {
      timezone: 'UTC',
      serverTime: Date.now(),
      rateLimits: [],
      exchangeFilters: [],
      symbols: [symbol],
    };
  }

  private place(p: Record<string, string>): BinanceOrder {
    const now = Date.now();
    const order: BinanceOrder = {
      symbol: p['symbol'] ?? '',
      orderId: this.nextId++,
      clientOrderId: p['newClientOrderId'] ?? `web_${this.nextId}`,
      side: p['side'] as 'BUY' | 'SELL',
      type: p['type'] ?? 'LIMIT',
      price: p['price'] ?? '0',
      origQty: p['quantity'] ?? '0',
      timeInForce: p['timeInForce'] ?? (p['type'] === 'MARKET' ? 'IOC' : 'GTC'),
      reduceOnly: p['reduceOnly'] === 'true',
      positionSide: p['positionSide'] ?? 'BOTH',
      status: 'NEW',
      executedQty: '0',
      time: now,
      updateTime: now,
    };
    this.orders.set(order.orderId, order);
    if (order.type === 'MARKET') this.fill(order, order.origQty, '60000', now);
    return order;
  }

  /** A fill of an order (what the stream would have pushed) */
  fill(order: BinanceOrder, qty: string, price: string, time: number): void {
    this.trades.push({
      symbol: order.symbol,
      id: this.nextTradeId++,
      orderId: order.orderId,
      side: order.side,
      price,
      qty,
      time,
      positionSide: order.positionSide,
    });
    const filled = Math.round((Number(order.executedQty) + Number(qty)) * 1e9) / 1e9;
    order.executedQty = String(filled);
    order.status = filled >= Number(order.origQty) ? 'FILLED' : 'PARTIALLY_FILLED';
    order.updateTime = time;
  }

  /** The captured order row of the market with this order's fields */
  private orderRow(order: BinanceOrder): Record<string, unknown> {
    const row =
      this.market === 'spot'
        ? capturedBody<Record<string, unknown>>(
            'binance',
            'createOrder',
            'spot +selfTradePrevention +iceberg',
          )
        : (capturedBody<Record<string, unknown>[]>(
            'binance',
            'createOrders',
            'create swap orders',
          )[0] ?? {});
    delete row['icebergQty'];
    return {
      ...row,
      symbol: order.symbol,
      orderId: this.market === 'spot' ? String(order.orderId) : order.orderId,
      clientOrderId: order.clientOrderId,
      side: order.side,
      type: order.type,
      origType: order.type,
      price: order.price,
      origQty: order.origQty,
      executedQty: order.executedQty,
      cumQty: order.executedQty,
      status: order.status,
      timeInForce: order.timeInForce,
      reduceOnly: order.reduceOnly,
      positionSide: order.positionSide,
      transactTime: String(order.updateTime),
      time: String(order.time),
      updateTime: this.market === 'spot' ? String(order.updateTime) : order.updateTime,
    };
  }

  /**
   * A cancel answer: on spot, Binance's documented DELETE /api/v3/order answer, whose
   * `clientOrderId` is the cancel request's own id (ours is `origClientOrderId`); on futures the
   * order row
   */
  private cancelAnswer(order: BinanceOrder): Record<string, unknown> {
    if (this.market === 'usdm') return this.orderRow(order);
    return {
      symbol: order.symbol,
      origClientOrderId: order.clientOrderId,
      orderId: order.orderId,
      orderListId: -1,
      clientOrderId: 'cancelRequest123',
      transactTime: order.updateTime,
      price: order.price,
      origQty: order.origQty,
      executedQty: order.executedQty,
      cummulativeQuoteQty: '0.00000000',
      status: 'CANCELED',
      timeInForce: order.timeInForce,
      type: order.type,
      side: order.side,
      selfTradePreventionMode: 'NONE',
    };
  }

  /** Our trades from startTime, oldest first, at most `limit` (the captured trade row per fill) */
  private tradeRows(p: Record<string, string>): Record<string, unknown>[] {
    const template =
      this.market === 'spot'
        ? (capturedBody<Record<string, unknown>[]>(
            'binance',
            'fetchMyTrades',
            'Spot private trade',
          )[0] ?? {})
        : (capturedBody<Record<string, unknown>[]>(
            'binance',
            'fetchMyTrades',
            'Swap private trade',
          )[0] ?? {});
    const start = Number(p['startTime'] ?? 0);
    const end = p['endTime'] === undefined ? Number.POSITIVE_INFINITY : Number(p['endTime']);
    return this.trades
      .filter(
        (t) =>
          t.symbol === p['symbol'] &&
          t.time >= start &&
          t.time <= end &&
          (p['orderId'] === undefined || String(t.orderId) === p['orderId']),
      )
      .sort((a, b) => a.time - b.time || a.id - b.id)
      .slice(0, Number(p['limit'] ?? 500))
      .map((t) => {
        const quote = Number(t.price) * Number(t.qty);
        const buyer = t.side === 'BUY';
        return {
          ...template,
          symbol: t.symbol,
          id: this.market === 'spot' ? String(t.id) : String(t.id),
          orderId: String(t.orderId),
          price: t.price,
          qty: t.qty,
          quoteQty: String(quote),
          commission: (quote * 0.0004).toFixed(8),
          commissionAsset: 'USDT',
          time: String(t.time),
          ...(this.market === 'spot'
            ? { isBuyer: buyer, isMaker: false }
            : { side: t.side, buyer, maker: false, positionSide: t.positionSide }),
        };
      });
  }

  /** The captured position row per position side, from the trades */
  private positionRows(): Record<string, unknown>[] {
    const template =
      capturedBody<Record<string, unknown>[]>(
        'binance',
        'fetchPositions',
        'Fetch linear positions without symbols',
      )[0] ?? {};
    const legs = new Map<string, { amount: number; notional: number }>();
    for (const trade of this.trades) {
      const leg = legs.get(trade.positionSide) ?? { amount: 0, notional: 0 };
      const signed = (trade.side === 'BUY' ? 1 : -1) * Number(trade.qty);
      const opening = leg.amount === 0 || Math.sign(signed) === Math.sign(leg.amount);
      if (opening) leg.notional += Math.abs(signed) * Number(trade.price);
      else leg.notional *= 1 - Math.abs(signed) / Math.abs(leg.amount);
      leg.amount = Math.round((leg.amount + signed) * 1e9) / 1e9;
      legs.set(trade.positionSide, leg);
    }
    return [...legs]
      .filter(([, leg]) => leg.amount !== 0)
      .map(([side, leg]) => ({
        ...template,
        positionSide: side,
        positionAmt: String(leg.amount),
        entryPrice: String(leg.notional / Math.abs(leg.amount)),
        notional: String(leg.amount * 60_000),
      }));
  }
}
