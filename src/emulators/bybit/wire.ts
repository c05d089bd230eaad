import type { Instrument } from '../../core/instrument.ts';
import { formatDecimal } from '../../core/numeric.ts';
import type { MarketState } from '../public-market.ts';
import type { BybitMarketSpec } from './defaults.ts';
import type { CoinView, PositionView } from './exchange.ts';
import type { BybitExecution, BybitOrder } from './orders.ts';
import { isOpenStatus } from './orders.ts';

/**
 * Bybit v5 rows built from the emulator's records, with the fields and types of Bybit's
 * docs: prices and sizes as decimal strings with the market's decimals, amounts as decimal
 * strings, times as millisecond strings in REST rows, enums and integers where the docs say
 * integer. The REST rows and the stream rows share one builder per record; the stream adds
 * the fields only the stream has.
 */

export function price(instrument: Instrument, value: number | undefined): string {
  return value === undefined ? '' : value.toFixed(instrument.priceDecimals);
}

export function quantity(instrument: Instrument, value: number): string {
  return value.toFixed(instrument.sizeDecimals);
}

export function amount(value: number): string {
  return formatDecimal(value, 8);
}

export function ms(time: number): string {
  return String(Math.floor(time));
}

function leaves(order: BybitOrder): number {
  if (!isOpenStatus(order.status)) return 0;
  return Math.max(0, order.qty - order.cumExecQty);
}

/** An order as /v5/order/realtime and /v5/order/history list it */
export function orderRow(order: BybitOrder): Record<string, unknown> {
  const instrument = order.instrument;
  const open = leaves(order);
  const conditional = order.triggerDirection !== 0;
  return {
    orderId: order.orderId,
    orderLinkId: order.orderLinkId,
    blockTradeId: '',
    symbol: instrument.venueSymbol,
    price: order.price === undefined ? '0' : price(instrument, order.price),
    qty: quantity(instrument, order.qty),
    side: order.side,
    isLeverage: '',
    positionIdx: order.positionIdx,
    orderStatus: order.status,
    createType: conditional ? 'CreateByStopOrder' : 'CreateByUser',
    cancelType: order.cancelType,
    rejectReason: order.rejectReason,
    avgPrice: order.cumExecQty > 0 ? amount(order.cumExecValue / order.cumExecQty) : '',
    leavesQty: quantity(instrument, open),
    leavesValue: amount(open * (order.price ?? 0)),
    cumExecQty: quantity(instrument, order.cumExecQty),
    cumExecValue: amount(order.cumExecValue),
    cumExecFee: amount(order.cumExecFee),
    timeInForce: order.timeInForce,
    orderType: order.orderType,
    stopOrderType: conditional ? 'Stop' : '',
    orderIv: '',
    marketUnit: '',
    triggerPrice: conditional ? price(instrument, order.triggerPrice) : '',
    takeProfit: '',
    stopLoss: '',
    tpslMode: '',
    ocoTriggerBy: '',
    tpLimitPrice: '',
    slLimitPrice: '',
    tpTriggerBy: '',
    slTriggerBy: '',
    triggerDirection: order.triggerDirection,
    triggerBy: order.triggerBy,
    lastPriceOnCreated: price(instrument, order.lastPriceOnCreated),
    basePrice: '',
    reduceOnly: order.reduceOnly,
    closeOnTrigger: order.closeOnTrigger,
    placeType: '',
    smpType: 'None',
    smpGroup: 0,
    smpOrderId: '',
    createdTime: ms(order.createdTime),
    updatedTime: ms(order.updatedTime),
    cumFeeDetail: order.cumExecFee === 0 ? {} : { [instrument.settle]: amount(order.cumExecFee) },
  };
}

/** An order as the `order` stream pushes it */
export function orderStreamRow(order: BybitOrder): Record<string, unknown> {
  return {
    category: 'linear',
    ...orderRow(order),
    closedPnl: amount(order.closedPnl),
    feeCurrency: '',
    rpiTakerAccess: false,
    rpiMatchedQty: '0',
  };
}

/** An execution as /v5/execution/list lists it */
export function executionRow(execution: BybitExecution): Record<string, unknown> {
  const instrument = execution.instrument;
  return {
    symbol: instrument.venueSymbol,
    orderId: execution.orderId,
    orderLinkId: execution.orderLinkId,
    side: execution.side,
    orderPrice: execution.orderPrice === undefined ? '0' : price(instrument, execution.orderPrice),
    orderQty: quantity(instrument, execution.orderQty),
    leavesQty: quantity(instrument, execution.leavesQty),
    createType: execution.stopOrderType === 'Stop' ? 'CreateByStopOrder' : 'CreateByUser',
    orderType: execution.orderType,
    stopOrderType: execution.stopOrderType,
    execFee: amount(execution.execFee),
    execId: execution.execId,
    execPrice: price(instrument, execution.execPrice),
    execQty: quantity(instrument, execution.execQty),
    execType: 'Trade',
    execValue: amount(execution.execPrice * execution.execQty),
    execTime: ms(execution.execTime),
    feeCurrency: '',
    isMaker: execution.isMaker,
    feeRate: amount(execution.feeRate),
    tradeIv: '',
    markIv: '',
    markPrice: price(instrument, execution.markPrice),
    indexPrice: '',
    underlyingPrice: '',
    blockTradeId: '',
    closedSize: quantity(instrument, execution.closedSize),
    seq: execution.seq,
    marketUnit: '',
    extraFees: '',
  };
}

/** An execution as the `execution` stream pushes it */
export function executionStreamRow(execution: BybitExecution): Record<string, unknown> {
  return {
    category: 'linear',
    ...executionRow(execution),
    isLeverage: '0',
    execPnl: amount(execution.execPnl),
  };
}

function positionFields(p: PositionView): Record<string, unknown> {
  const instrument = p.instrument;
  const size = Math.abs(p.quantity);
  const value = size * p.averagePrice * instrument.contractSize;
  const margin = (size * p.markPrice * instrument.contractSize) / p.leverage;
  const maintenance = size * p.markPrice * instrument.contractSize * 0.005;
  return {
    positionIdx: p.positionIdx,
    riskId: 1,
    riskLimitValue: '2000000',
    symbol: instrument.venueSymbol,
    side: p.quantity > 0 ? 'Buy' : p.quantity < 0 ? 'Sell' : '',
    size: quantity(instrument, size),
    positionValue: amount(value),
    autoAddMargin: 0,
    positionStatus: 'Normal',
    leverage: formatDecimal(p.leverage, 2),
    breakEvenPrice: size === 0 ? '0' : amount(p.averagePrice),
    markPrice: price(instrument, p.markPrice),
    liqPrice: '',
    positionIM: amount(margin),
    positionIMByMp: amount(margin),
    positionMM: amount(maintenance),
    positionMMByMp: amount(maintenance),
    takeProfit: '0',
    stopLoss: '0',
    trailingStop: '0',
    sessionAvgPrice: '',
    delta: '',
    gamma: '',
    vega: '',
    theta: '',
    unrealisedPnl: amount(p.unrealizedPnl),
    curRealisedPnl: amount(p.curRealisedPnl),
    cumRealisedPnl: amount(p.cumRealisedPnl),
    adlRankIndicator: size === 0 ? 0 : 2,
    createdTime: ms(p.createdTime),
    updatedTime: ms(p.updatedTime),
    seq: p.seq,
    isReduceOnly: false,
    mmrSysUpdatedTime: '',
    leverageSysUpdatedTime: '',
    tpslMode: 'Full',
    bustPrice: '',
    positionBalance: amount(margin),
    tradeMode: 0,
  };
}

/** A position as /v5/position/list lists it */
export function positionRow(p: PositionView): Record<string, unknown> {
  return {
    ...positionFields(p),
    avgPrice: p.quantity === 0 ? '0' : amount(p.averagePrice),
    openTime: 0,
  };
}

/** A position as the `position` stream pushes it */
export function positionStreamRow(p: PositionView): Record<string, unknown> {
  return {
    category: 'linear',
    ...positionFields(p),
    entryPrice: p.quantity === 0 ? '0' : amount(p.averagePrice),
    openTime: 0,
  };
}

/** The unified account as /v5/account/wallet-balance and the `wallet` stream show it (USDT = 1 USD) */
export function walletRow(coins: readonly CoinView[]): Record<string, unknown> {
  const sum = (pick: (c: CoinView) => number) => coins.reduce((total, c) => total + pick(c), 0);
  const wallet = sum((c) => c.walletBalance);
  const upl = sum((c) => c.unrealisedPnl);
  const initial = sum((c) => c.totalPositionIM + c.totalOrderIM);
  const maintenance = sum((c) => c.totalPositionMM);
  const margin = wallet + upl;
  return {
    accountType: 'UNIFIED',
    accountIMRate: margin > 0 ? formatDecimal(initial / margin, 4) : '0',
    accountIMRateByMp: margin > 0 ? formatDecimal(initial / margin, 4) : '0',
    accountMMRate: margin > 0 ? formatDecimal(maintenance / margin, 4) : '0',
    accountMMRateByMp: margin > 0 ? formatDecimal(maintenance / margin, 4) : '0',
    totalEquity: amount(margin),
    totalWalletBalance: amount(wallet),
    totalMarginBalance: amount(margin),
    totalAvailableBalance: amount(margin - initial),
    totalPerpUPL: amount(upl),
    totalInitialMargin: amount(initial),
    totalInitialMarginByMp: amount(initial),
    totalMaintenanceMargin: amount(maintenance),
    totalMaintenanceMarginByMp: amount(maintenance),
    accountLTV: '0',
    coin: coins.map((c) => ({
      coin: c.coin,
      equity: amount(c.walletBalance + c.unrealisedPnl),
      usdValue: amount(c.walletBalance + c.unrealisedPnl),
      walletBalance: amount(c.walletBalance),
      locked: '0',
      spotHedgingQty: '0',
      borrowAmount: '0',
      accruedInterest: '0',
      totalOrderIM: amount(c.totalOrderIM),
      totalPositionIM: amount(c.totalPositionIM),
      totalPositionMM: amount(c.totalPositionMM),
      unrealisedPnl: amount(c.unrealisedPnl),
      cumRealisedPnl: amount(c.cumRealisedPnl),
      bonus: '0',
      marginCollateral: true,
      collateralSwitch: true,
      colRes: '0',
      spotBorrow: '0',
      availableToWithdraw: '',
      availableToBorrow: '',
    })),
  };
}

/** A linear perpetual as /v5/market/instruments-info lists it */
export function instrumentRow(market: BybitMarketSpec, index: number): Record<string, unknown> {
  const instrument = market.instrument;
  return {
    symbol: instrument.venueSymbol,
    symbolId: index + 1,
    contractType: 'LinearPerpetual',
    status: 'Trading',
    baseCoin: instrument.base,
    quoteCoin: instrument.quote,
    symbolType: '',
    launchTime: ms(market.launchTime),
    deliveryTime: '0',
    deliveryFeeRate: '',
    priceScale: String(instrument.priceDecimals),
    leverageFilter: {
      minLeverage: '1',
      maxLeverage: market.maxLeverage.toFixed(2),
      leverageStep: '0.01',
    },
    priceFilter: {
      minPrice: price(instrument, market.minPrice),
      maxPrice: price(instrument, market.maxPrice),
      tickSize: price(instrument, instrument.tickSize),
    },
    lotSizeFilter: {
      maxOrderQty: quantity(instrument, market.maxOrderQty),
      minOrderQty: quantity(instrument, instrument.minSize),
      qtyStep: quantity(instrument, instrument.lotSize),
      postOnlyMaxOrderQty: quantity(instrument, market.maxOrderQty),
      maxMktOrderQty: quantity(instrument, market.maxMarketOrderQty),
      minNotionalValue: formatDecimal(instrument.minNotional),
    },
    unifiedMarginTrade: true,
    fundingInterval: 480,
    settleCoin: instrument.settle,
    copyTrading: 'both',
    upperFundingRate: '0.00375',
    lowerFundingRate: '-0.00375',
    isPreListing: false,
    preListingInfo: null,
    riskParameters: { priceLimitRatioX: '0.01', priceLimitRatioY: '0.02' },
  };
}

/** A linear ticker as /v5/market/tickers lists it and the `tickers` stream snapshots it */
export function tickerRow(state: MarketState, mark: number | undefined): Record<string, unknown> {
  const instrument = state.instrument;
  const trades = state.trades;
  const last = trades.at(-1)?.price ?? mark ?? 0;
  const first = trades[0]?.price ?? last;
  const prices = trades.map((t) => t.price);
  const volume = trades.reduce((s, t) => s + t.quantity, 0);
  const turnover = trades.reduce((s, t) => s + t.quantity * t.price, 0);
  const bid = state.bids[0];
  const ask = state.asks[0];
  const markPrice = mark ?? last;
  return {
    symbol: instrument.venueSymbol,
    tickDirection: tickDirection(state),
    lastPrice: price(instrument, last),
    indexPrice: price(instrument, markPrice),
    markPrice: price(instrument, markPrice),
    prevPrice24h: price(instrument, first),
    price24hPcnt: first > 0 ? formatDecimal((last - first) / first, 6) : '0',
    highPrice24h: price(instrument, prices.length > 0 ? Math.max(...prices) : last),
    lowPrice24h: price(instrument, prices.length > 0 ? Math.min(...prices) : last),
    prevPrice1h: price(instrument, first),
    openInterest: '0',
    openInterestValue: '0',
    turnover24h: amount(turnover),
    volume24h: quantity(instrument, volume),
    fundingRate: '0.0001',
    nextFundingTime: '0',
    fundingIntervalHour: '8',
    fundingCap: '0.005',
    predictedDeliveryPrice: '',
    basisRate: '',
    deliveryFeeRate: '',
    deliveryTime: '0',
    basis: '',
    ask1Size: quantity(instrument, ask?.[1] ?? 0),
    bid1Price: price(instrument, bid?.[0] ?? 0),
    ask1Price: price(instrument, ask?.[0] ?? 0),
    bid1Size: quantity(instrument, bid?.[1] ?? 0),
    preOpenPrice: '',
    preQty: '',
    curPreListingPhase: '',
  };
}

/** Bybit's tick direction of the last print against the one before it */
export function tickDirection(state: MarketState): string {
  const trades = state.trades;
  const last = trades.at(-1)?.price;
  if (last === undefined) return 'ZeroPlusTick';
  for (let i = trades.length - 2; i >= 0; i--) {
    const before = trades[i]?.price;
    if (before === undefined || before === last) continue;
    const up = last > before;
    return i === trades.length - 2
      ? up
        ? 'PlusTick'
        : 'MinusTick'
      : up
        ? 'ZeroPlusTick'
        : 'ZeroMinusTick';
  }
  return 'ZeroPlusTick';
}

/** Book levels as Bybit sends them: [price, size] strings, best first */
export function levelRows(
  instrument: Instrument,
  levels: readonly (readonly [number, number])[],
): string[][] {
  return levels.map(([p, s]) => [price(instrument, p), quantity(instrument, s)]);
}
