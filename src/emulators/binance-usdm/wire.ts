import type { Balance } from '../../core/balance.ts';
import type { Liquidity } from '../../core/fill.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { SimOrderSnapshot, SimPosition } from '../../venues/sim/sim-venue.ts';
import type { AlgoOrder } from './algo-orders.ts';

/**
 * Binance USDⓈ-M payloads built from the sim's state: the same fields and types as the venue's
 * (numbers as decimal strings with the market's decimals, ids and times as integers), checked
 * against the captured payloads in ../shared/fixtures/binance.
 */

/** One execution as the emulator keeps it for `userTrades` and the pushes */
export interface TradeRecord {
  readonly id: number;
  readonly orderId: number;
  readonly clientId: string;
  readonly instrument: Instrument;
  readonly side: 'BUY' | 'SELL';
  readonly price: number;
  readonly quantity: number;
  readonly fee: number;
  readonly feeCurrency: string;
  readonly liquidity: Liquidity;
  readonly realizedPnl: number;
  /** BOTH in one-way mode, LONG or SHORT in hedge mode */
  readonly positionSide: PositionSideName;
  readonly time: number;
}

export type PositionSideName = 'BOTH' | 'LONG' | 'SHORT';

/** Binance's `priceMatch` modes: the price taken from the book at placement */
export const PRICE_MATCHES = [
  'NONE',
  'OPPONENT',
  'OPPONENT_5',
  'OPPONENT_10',
  'OPPONENT_20',
  'QUEUE',
  'QUEUE_5',
  'QUEUE_10',
  'QUEUE_20',
] as const;
export type PriceMatch = (typeof PRICE_MATCHES)[number];

/** What Binance shows of an order beyond the sim's state: GTD, priceMatch, why it expired */
export interface OrderMeta {
  /** Set for good-till-date orders (the sim holds them as GTC) */
  readonly goodTillDate?: number;
  readonly priceMatch?: PriceMatch;
  /** The `er` expire reason: 2 IOC remainder, 9 market remainder, 0 otherwise */
  readonly expireReason?: number;
}

/** Binance's execution types on ORDER_TRADE_UPDATE */
export type ExecutionType = 'NEW' | 'TRADE' | 'CANCELED' | 'EXPIRED' | 'AMENDMENT';

export function price(instrument: Instrument, value: number | undefined): string {
  return (value ?? 0).toFixed(instrument.priceDecimals);
}

export function quantity(instrument: Instrument, value: number): string {
  return value.toFixed(instrument.sizeDecimals);
}

export function amount(value: number): string {
  return value.toFixed(8);
}

function averagePrice(order: SimOrderSnapshot): string {
  return order.averagePrice.toFixed(order.instrument.priceDecimals + 4);
}

export function wireTime(time: number): number {
  return Math.floor(time);
}

function timeInForceOf(order: SimOrderSnapshot, meta: OrderMeta | undefined): string {
  return meta?.goodTillDate === undefined ? order.timeInForce : 'GTD';
}

/** The order as REST answers it (POST/GET/DELETE/PUT /fapi/v1/order) */
export function orderJson(order: SimOrderSnapshot, meta?: OrderMeta): Record<string, unknown> {
  const instrument = order.instrument;
  return {
    orderId: Number(order.orderId),
    symbol: instrument.venueSymbol,
    status: order.status,
    clientOrderId: order.clientId,
    price: price(instrument, order.price),
    avgPrice: averagePrice(order),
    origQty: quantity(instrument, order.quantity),
    executedQty: quantity(instrument, order.filled),
    cumQty: quantity(instrument, order.filled),
    cumQuote: amount(order.notional),
    timeInForce: timeInForceOf(order, meta),
    type: order.type,
    reduceOnly: order.positionSide === undefined ? order.reduceOnly : false,
    closePosition: false,
    side: order.side,
    positionSide: order.positionSide ?? 'BOTH',
    stopPrice: price(instrument, order.stopPrice),
    workingType: 'CONTRACT_PRICE',
    priceProtect: false,
    origType: order.type,
    priceMatch: meta?.priceMatch ?? 'NONE',
    selfTradePreventionMode: 'EXPIRE_MAKER',
    goodTillDate: meta?.goodTillDate ?? 0,
    time: wireTime(order.createdAt),
    updateTime: wireTime(order.updatedAt),
  };
}

/** The ORDER_TRADE_UPDATE push for one change to an order */
export function orderTradeUpdate(
  order: SimOrderSnapshot,
  execution: ExecutionType,
  time: number,
  trade?: TradeRecord,
  meta?: OrderMeta,
): Record<string, unknown> {
  const instrument = order.instrument;
  const at = wireTime(time);
  return {
    e: 'ORDER_TRADE_UPDATE',
    T: at,
    E: at,
    o: {
      s: instrument.venueSymbol,
      c: order.clientId,
      S: order.side,
      o: order.type,
      f: timeInForceOf(order, meta),
      q: quantity(instrument, order.quantity),
      p: price(instrument, order.price),
      ap: averagePrice(order),
      sp: price(instrument, order.stopPrice),
      x: execution,
      X: order.status,
      i: Number(order.orderId),
      l: quantity(instrument, trade?.quantity ?? 0),
      z: quantity(instrument, order.filled),
      L: price(instrument, trade?.price ?? 0),
      N: trade?.feeCurrency ?? instrument.settle,
      n: amount(trade?.fee ?? 0),
      T: at,
      t: trade?.id ?? 0,
      b: '0',
      a: '0',
      m: trade?.liquidity === 'MAKER',
      R: order.positionSide === undefined ? order.reduceOnly : false,
      wt: 'CONTRACT_PRICE',
      ot: order.type,
      ps: order.positionSide ?? 'BOTH',
      cp: false,
      AP: '0',
      cr: '0',
      pP: false,
      si: 0,
      ss: 0,
      rp: amount(trade?.realizedPnl ?? 0),
      V: 'EXPIRE_MAKER',
      pm: meta?.priceMatch ?? 'NONE',
      gtd: meta?.goodTillDate ?? 0,
      er: String(execution === 'EXPIRED' ? (meta?.expireReason ?? 0) : 0),
    },
  };
}

/** The ACCOUNT_UPDATE push after fills: wallet balances and the positions that moved */
export function accountUpdate(
  balances: readonly Balance[],
  positions: readonly SimPosition[],
  reason: string,
  time: number,
): Record<string, unknown> {
  const at = wireTime(time);
  return {
    e: 'ACCOUNT_UPDATE',
    T: at,
    E: at,
    a: {
      m: reason,
      B: balances.map((b) => ({
        a: b.currency,
        wb: amount(b.total),
        cw: amount(b.total),
        bc: '0',
      })),
      P: positions.map((p) => ({
        s: p.instrument.venueSymbol,
        pa: quantity(p.instrument, p.quantity),
        ep: p.averagePrice.toFixed(p.instrument.priceDecimals + 4),
        bep: p.averagePrice.toFixed(p.instrument.priceDecimals + 4),
        cr: amount(p.realizedPnl),
        up: amount(p.unrealizedPnl),
        mt: 'cross',
        iw: '0',
        ps: p.positionSide,
      })),
    },
  };
}

/** One `userTrades` entry */
export function userTradeJson(trade: TradeRecord): Record<string, unknown> {
  const instrument = trade.instrument;
  return {
    buyer: trade.side === 'BUY',
    commission: amount(trade.fee),
    commissionAsset: trade.feeCurrency,
    id: trade.id,
    maker: trade.liquidity === 'MAKER',
    orderId: trade.orderId,
    price: price(instrument, trade.price),
    qty: quantity(instrument, trade.quantity),
    quoteQty: amount(trade.price * trade.quantity),
    realizedPnl: amount(trade.realizedPnl),
    side: trade.side,
    positionSide: trade.positionSide,
    symbol: instrument.venueSymbol,
    time: wireTime(trade.time),
  };
}

function decimalsText(step: number, decimals: number): string {
  return step.toFixed(decimals);
}

/** One `exchangeInfo.symbols[]` entry for a perpetual */
function exchangeInfoSymbol(instrument: Instrument): Record<string, unknown> {
  const tick = decimalsText(instrument.tickSize, instrument.priceDecimals);
  const lot = decimalsText(instrument.lotSize, instrument.sizeDecimals);
  return {
    symbol: instrument.venueSymbol,
    pair: instrument.venueSymbol,
    contractType: 'PERPETUAL',
    deliveryDate: 4133404800000,
    onboardDate: 1569398400000,
    status: 'TRADING',
    maintMarginPercent: '2.5000',
    requiredMarginPercent: '5.0000',
    baseAsset: instrument.base,
    quoteAsset: instrument.quote,
    marginAsset: instrument.settle,
    pricePrecision: instrument.priceDecimals,
    quantityPrecision: instrument.sizeDecimals,
    baseAssetPrecision: 8,
    quotePrecision: 8,
    underlyingType: 'COIN',
    underlyingSubType: [],
    settlePlan: 0,
    triggerProtect: '0.0500',
    liquidationFee: '0.012500',
    marketTakeBound: '0.05',
    maxMoveOrderLimit: 10000,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: tick, maxPrice: '4529764', tickSize: tick },
      {
        filterType: 'LOT_SIZE',
        stepSize: lot,
        maxQty: '1000',
        minQty: decimalsText(instrument.minSize, instrument.sizeDecimals),
      },
      {
        filterType: 'MARKET_LOT_SIZE',
        stepSize: lot,
        maxQty: '120',
        minQty: decimalsText(instrument.minSize, instrument.sizeDecimals),
      },
      { filterType: 'MAX_NUM_ORDERS', limit: 200 },
      { filterType: 'MIN_NOTIONAL', notional: String(instrument.minNotional) },
      {
        filterType: 'PERCENT_PRICE',
        multiplierUp: '1.0500',
        multiplierDown: '0.9500',
        multiplierDecimal: '4',
      },
    ],
    orderTypes: [
      'LIMIT',
      'MARKET',
      'STOP',
      'STOP_MARKET',
      'TAKE_PROFIT',
      'TAKE_PROFIT_MARKET',
      'TRAILING_STOP_MARKET',
    ],
    timeInForce: ['GTC', 'IOC', 'FOK', 'GTX', 'GTD'],
    permissionSets: ['GRID', 'COPY'],
  };
}

/** GET /fapi/v1/exchangeInfo */
export function exchangeInfo(
  instruments: readonly Instrument[],
  time: number,
): Record<string, unknown> {
  const assets = [...new Set(instruments.map((i) => i.settle))];
  return {
    timezone: 'UTC',
    serverTime: wireTime(time),
    futuresType: 'U_MARGINED',
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2400 },
      { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 300 },
    ],
    exchangeFilters: [],
    assets: assets.map((asset) => ({ asset, marginAvailable: true, autoAssetExchange: '-10000' })),
    symbols: instruments.map(exchangeInfoSymbol),
  };
}

/** What the account endpoints need per currency beyond the sim's balance */
export interface MarginView {
  readonly balance: Balance;
  readonly unrealizedPnl: number;
}

function assetJson({ balance, unrealizedPnl }: MarginView, time: number): Record<string, unknown> {
  return {
    asset: balance.currency,
    walletBalance: amount(balance.total),
    unrealizedProfit: amount(unrealizedPnl),
    marginBalance: amount(balance.total + unrealizedPnl),
    maintMargin: amount(balance.locked / 4),
    initialMargin: amount(balance.locked),
    positionInitialMargin: amount(balance.locked),
    openOrderInitialMargin: '0.00000000',
    crossWalletBalance: amount(balance.total),
    crossUnPnl: amount(unrealizedPnl),
    availableBalance: amount(balance.free),
    maxWithdrawAmount: amount(balance.free),
    marginAvailable: true,
    // ccxt skips assets whose updateTime is 0
    updateTime: Math.max(1, wireTime(time)),
  };
}

/** A symbol's settings as the account endpoints show them */
export interface SymbolSettings {
  readonly leverage: number;
  readonly marginType: 'CROSSED' | 'ISOLATED';
}

/** GET /fapi/v2/account and /fapi/v3/account */
export function accountJson(
  margins: readonly MarginView[],
  positions: readonly SimPosition[],
  settings: (symbol: string) => SymbolSettings,
  time: number,
): Record<string, unknown> {
  const sum = (f: (m: MarginView) => number) => amount(margins.reduce((s, m) => s + f(m), 0));
  return {
    feeTier: 0,
    canTrade: true,
    canDeposit: true,
    canWithdraw: true,
    updateTime: 0,
    multiAssetsMargin: false,
    tradeGroupId: -1,
    totalInitialMargin: sum((m) => m.balance.locked),
    totalMaintMargin: sum((m) => m.balance.locked / 4),
    totalWalletBalance: sum((m) => m.balance.total),
    totalUnrealizedProfit: sum((m) => m.unrealizedPnl),
    totalMarginBalance: sum((m) => m.balance.total + m.unrealizedPnl),
    totalPositionInitialMargin: sum((m) => m.balance.locked),
    totalOpenOrderInitialMargin: '0.00000000',
    totalCrossWalletBalance: sum((m) => m.balance.total),
    totalCrossUnPnl: sum((m) => m.unrealizedPnl),
    availableBalance: sum((m) => m.balance.free),
    maxWithdrawAmount: sum((m) => m.balance.free),
    assets: margins.map((m) => assetJson(m, time)),
    positions: positions.map((p) => {
      const { leverage, marginType } = settings(p.instrument.venueSymbol);
      const margin = (Math.abs(p.quantity) * p.markPrice) / leverage;
      return {
        symbol: p.instrument.venueSymbol,
        initialMargin: amount(margin),
        maintMargin: amount(margin / 4),
        unrealizedProfit: amount(p.unrealizedPnl),
        positionInitialMargin: amount(margin),
        openOrderInitialMargin: '0',
        leverage: String(leverage),
        isolated: marginType === 'ISOLATED',
        entryPrice: p.averagePrice.toFixed(p.instrument.priceDecimals + 4),
        maxNotional: '250000',
        bidNotional: '0',
        askNotional: '0',
        positionSide: p.positionSide,
        positionAmt: quantity(p.instrument, p.quantity),
        updateTime: wireTime(p.updatedAt),
      };
    }),
  };
}

/** One GET /fapi/v2/positionRisk entry (v3 answers the same fields plus a few) */
export function positionRiskJson(
  p: SimPosition,
  settings: SymbolSettings,
): Record<string, unknown> {
  const instrument = p.instrument;
  const { leverage, marginType } = settings;
  const notional = p.quantity * p.markPrice * instrument.contractSize;
  return {
    symbol: instrument.venueSymbol,
    positionAmt: quantity(instrument, p.quantity),
    entryPrice: p.averagePrice.toFixed(instrument.priceDecimals + 4),
    breakEvenPrice: p.averagePrice.toFixed(instrument.priceDecimals + 4),
    markPrice: p.markPrice.toFixed(instrument.priceDecimals + 4),
    unRealizedProfit: amount(p.unrealizedPnl),
    liquidationPrice: '0',
    leverage: String(leverage),
    maxNotionalValue: '250000',
    marginType: marginType === 'ISOLATED' ? 'isolated' : 'cross',
    isolatedMargin: '0.00000000',
    isAutoAddMargin: 'false',
    positionSide: p.positionSide,
    notional: amount(notional),
    isolatedWallet: '0',
    marginAsset: instrument.settle,
    initialMargin: amount(Math.abs(notional) / leverage),
    maintMargin: amount(Math.abs(notional) / leverage / 4),
    positionInitialMargin: amount(Math.abs(notional) / leverage),
    openOrderInitialMargin: '0',
    adl: 0,
    bidNotional: '0',
    askNotional: '0',
    updateTime: wireTime(p.updatedAt),
  };
}

/** GET /fapi/v1/leverageBracket: one bracket table per symbol */
export function leverageBrackets(instruments: readonly Instrument[]): Record<string, unknown>[] {
  return instruments.map((instrument) => ({
    symbol: instrument.venueSymbol,
    notionalCoef: 1.0,
    brackets: [
      {
        bracket: 1,
        initialLeverage: 125,
        notionalCap: 50000,
        notionalFloor: 0,
        maintMarginRatio: 0.004,
        cum: 0.0,
      },
      {
        bracket: 2,
        initialLeverage: 100,
        notionalCap: 600000,
        notionalFloor: 50000,
        maintMarginRatio: 0.005,
        cum: 50.0,
      },
      {
        bracket: 3,
        initialLeverage: 20,
        notionalCap: 10000000,
        notionalFloor: 600000,
        maintMarginRatio: 0.025,
        cum: 12050.0,
      },
    ],
  }));
}

/** An algo order as the algoOrder endpoints answer it (the `Query Algo Order` fields) */
export function algoOrderJson(order: AlgoOrder, filled: FilledView): Record<string, unknown> {
  const instrument = order.instrument;
  return {
    algoId: order.algoId,
    clientAlgoId: order.clientAlgoId,
    algoType: 'CONDITIONAL',
    orderType: order.type,
    symbol: instrument.venueSymbol,
    side: order.side,
    positionSide: order.positionSide,
    timeInForce: order.timeInForce,
    quantity: quantity(instrument, order.quantity),
    algoStatus: order.status,
    actualOrderId: order.actualOrderId,
    actualPrice: filled.averagePrice.toFixed(instrument.priceDecimals + 3),
    triggerPrice: price(instrument, order.triggerPrice),
    price: price(instrument, order.price),
    icebergQuantity: null,
    tpTriggerPrice: price(instrument, 0),
    tpPrice: price(instrument, 0),
    slTriggerPrice: price(instrument, 0),
    slPrice: price(instrument, 0),
    tpOrderType: '',
    selfTradePreventionMode: 'EXPIRE_MAKER',
    workingType: order.workingType,
    priceMatch: order.priceMatch,
    closePosition: order.closePosition,
    priceProtect: order.priceProtect,
    reduceOnly: order.reduceOnly,
    ...(order.type === 'TRAILING_STOP_MARKET'
      ? {
          activatePrice: price(instrument, order.activatePrice),
          callbackRate: String(order.callbackRate ?? 0),
        }
      : {}),
    createTime: wireTime(order.createTime),
    updateTime: wireTime(order.updateTime),
    triggerTime: wireTime(order.triggerTime),
    goodTillDate: order.goodTillDate,
  };
}

/** What the matching engine filled of a triggered algo order, for `ap`, `aq` and `actualPrice` */
export interface FilledView {
  readonly quantity: number;
  readonly averagePrice: number;
  /** The type the order took in the matching engine (`act`): MARKET or LIMIT */
  readonly actualType: string;
}

/** The ALGO_UPDATE push for one change to an algo order */
export function algoUpdate(
  order: AlgoOrder,
  filled: FilledView,
  time: number,
): Record<string, unknown> {
  const instrument = order.instrument;
  const at = wireTime(time);
  return {
    e: 'ALGO_UPDATE',
    T: at,
    E: at,
    o: {
      caid: order.clientAlgoId,
      aid: order.algoId,
      at: 'CONDITIONAL',
      o: order.type,
      s: instrument.venueSymbol,
      S: order.side,
      ps: order.positionSide,
      f: order.timeInForce,
      q: quantity(instrument, order.quantity),
      X: order.status,
      ai: order.actualOrderId,
      ap: filled.averagePrice.toFixed(instrument.priceDecimals + 3),
      aq: quantity(instrument, filled.quantity),
      act: filled.actualType,
      tp: price(instrument, order.triggerPrice),
      p: price(instrument, order.price),
      V: 'EXPIRE_MAKER',
      wt: order.workingType,
      pm: order.priceMatch,
      cp: order.closePosition,
      pP: order.priceProtect,
      R: order.reduceOnly,
      tt: wireTime(order.triggerTime),
      gtd: order.goodTillDate,
      rm: order.rejectReason,
    },
  };
}
