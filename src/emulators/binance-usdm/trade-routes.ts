import { BinanceHttpError, binanceError } from './errors.ts';
import {
  optionalNumber,
  parseAlgoOrder,
  parseAlgoRef,
  parseAmendment,
  parseBatch,
  parseIdLists,
  parseNewOrder,
  parseOrderRef,
  required,
} from './request-params.ts';
import type { RouteTable } from './routes.ts';
import { userTradeJson } from './wire.ts';

/** The trading routes of USDⓈ-M: orders, batches, queries, trades, and the Algo Service */

export const TRADE_ROUTES: RouteTable = {
  'POST /fapi/v1/order': {
    auth: 'signed',
    handler: (p, ctx, now) => ctx.exchange.submit(parseNewOrder(p, now), now),
  },
  'GET /fapi/v1/order': {
    auth: 'signed',
    handler: (p, ctx) => ctx.exchange.query(parseOrderRef(p)),
  },
  'DELETE /fapi/v1/order': {
    auth: 'signed',
    handler: (p, ctx, now) => ctx.exchange.cancel(parseOrderRef(p), now),
  },
  'PUT /fapi/v1/order': {
    auth: 'signed',
    handler: (p, ctx, now) => ctx.exchange.amend(parseOrderRef(p), parseAmendment(p), now),
  },
  'POST /fapi/v1/batchOrders': {
    auth: 'signed',
    handler: (p, ctx, now) => {
      const entries = parseBatch(p['batchOrders']);
      const body: unknown[] = [];
      const pushes: Record<string, unknown>[] = [];
      const faults = ctx.faults.takeBatchEntryFaults();
      for (const [i, entry] of entries.entries()) {
        const fault = faults.get(i);
        try {
          if (fault?.when === 'before') throw new BinanceHttpError(500, fault.code, fault.msg);
          const outcome = ctx.exchange.submit(parseNewOrder(entry, now), now);
          body.push(fault === undefined ? outcome.body : { code: fault.code, msg: fault.msg });
          pushes.push(...outcome.pushes);
        } catch (error) {
          if (!(error instanceof BinanceHttpError)) throw error;
          body.push(error.toBody());
        }
      }
      return { body, pushes };
    },
  },
  'DELETE /fapi/v1/batchOrders': {
    auth: 'signed',
    handler: (p, ctx, now) => ctx.exchange.cancelBatch(required(p, 'symbol'), parseIdLists(p), now),
  },
  'GET /fapi/v1/openOrders': {
    auth: 'signed',
    handler: (p, ctx) => ctx.exchange.openOrders(p['symbol']),
  },
  'GET /fapi/v1/openOrder': {
    auth: 'signed',
    handler: (p, ctx) => {
      const order = ctx.exchange.query(parseOrderRef(p));
      if (order['status'] !== 'NEW' && order['status'] !== 'PARTIALLY_FILLED') {
        throw binanceError('NO_SUCH_ORDER');
      }
      return order;
    },
  },
  'DELETE /fapi/v1/allOpenOrders': {
    auth: 'signed',
    handler: (p, ctx, now) => ctx.exchange.cancelAll(required(p, 'symbol'), now),
  },
  'GET /fapi/v1/allOrders': {
    auth: 'signed',
    handler: (p, ctx) =>
      ctx.exchange.ordersOf({
        symbol: required(p, 'symbol'),
        orderId: optionalNumber(p, 'orderId'),
        startTime: optionalNumber(p, 'startTime'),
        endTime: optionalNumber(p, 'endTime'),
        limit: optionalNumber(p, 'limit'),
      }),
  },
  'GET /fapi/v1/userTrades': {
    auth: 'signed',
    handler: (p, ctx) =>
      ctx.exchange
        .userTrades({
          symbol: required(p, 'symbol'),
          orderId: optionalNumber(p, 'orderId'),
          startTime: optionalNumber(p, 'startTime'),
          endTime: optionalNumber(p, 'endTime'),
          fromId: optionalNumber(p, 'fromId'),
          limit: optionalNumber(p, 'limit'),
        })
        .map(userTradeJson),
  },
  'POST /fapi/v1/algoOrder': {
    auth: 'signed',
    handler: (p, ctx, now) => ctx.exchange.placeAlgo(parseAlgoOrder(p, now), now),
  },
  'GET /fapi/v1/algoOrder': {
    auth: 'signed',
    handler: (p, ctx) => ctx.exchange.queryAlgo(parseAlgoRef(p)),
  },
  'DELETE /fapi/v1/algoOrder': {
    auth: 'signed',
    handler: (p, ctx, now) => ctx.exchange.cancelAlgo(parseAlgoRef(p), now),
  },
  'GET /fapi/v1/openAlgoOrders': {
    auth: 'signed',
    handler: (p, ctx) => ctx.exchange.openAlgoOrders(p['symbol']),
  },
  'GET /fapi/v1/allAlgoOrders': {
    auth: 'signed',
    handler: (p, ctx) =>
      ctx.exchange.allAlgoOrders({
        symbol: required(p, 'symbol'),
        startTime: optionalNumber(p, 'startTime'),
        endTime: optionalNumber(p, 'endTime'),
        limit: optionalNumber(p, 'limit'),
      }),
  },
  'DELETE /fapi/v1/algoOpenOrders': {
    auth: 'signed',
    handler: (p, ctx, now) => ctx.exchange.cancelAllAlgo(required(p, 'symbol'), now),
  },
};
