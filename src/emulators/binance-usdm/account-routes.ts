import { binanceError } from './errors.ts';
import { optionalNumber, required } from './request-params.ts';
import type { Params, RestContext, RouteTable } from './routes.ts';
import { accountJson, amount, leverageBrackets, positionRiskJson, wireTime } from './wire.ts';

/**
 * The account routes of USDⓈ-M (balances, positions, leverage, margin type, position mode,
 * fees), the user data stream's listenKey, and the two wallet (sapi) routes ccxt calls when it
 * loads markets with its default options.
 */

function balances(ctx: RestContext, now: number): Record<string, unknown>[] {
  return ctx.exchange.margins().map(({ balance, unrealizedPnl }) => ({
    accountAlias: 'SgsR',
    asset: balance.currency,
    balance: amount(balance.total),
    crossWalletBalance: amount(balance.total),
    crossUnPnl: amount(unrealizedPnl),
    availableBalance: amount(balance.free),
    maxWithdrawAmount: amount(balance.free),
    marginAvailable: true,
    updateTime: Math.max(1, wireTime(now)),
  }));
}

function positions(ctx: RestContext, params: Params): Record<string, unknown>[] {
  const symbol = params['symbol'];
  if (symbol !== undefined) ctx.exchange.instrument(symbol);
  return ctx.exchange
    .positions()
    .filter((p) => symbol === undefined || p.instrument.venueSymbol === symbol.toUpperCase())
    .map((p) => positionRiskJson(p, ctx.exchange.settings(p.instrument.venueSymbol)));
}

function account(ctx: RestContext, now: number): Record<string, unknown> {
  return accountJson(
    ctx.exchange.margins(),
    ctx.exchange.positions(),
    (symbol) => ctx.exchange.settings(symbol),
    now,
  );
}

/** The coins of the emulated markets, as the wallet's all-coins list shows them */
function coins(ctx: RestContext): Record<string, unknown>[] {
  const assets = new Set<string>();
  for (const instrument of ctx.exchange.instruments) {
    assets.add(instrument.base);
    assets.add(instrument.settle);
  }
  return [...assets].map((coin) => ({
    coin,
    depositAllEnable: true,
    withdrawAllEnable: true,
    name: coin,
    free: '0',
    locked: '0',
    freeze: '0',
    withdrawing: '0',
    ipoing: '0',
    ipoable: '0',
    storage: '0',
    isLegalMoney: false,
    trading: true,
    networkList: [
      {
        network: 'ETH',
        coin,
        withdrawIntegerMultiple: '0.00000001',
        isDefault: true,
        depositEnable: true,
        withdrawEnable: true,
        depositDesc: '',
        withdrawDesc: '',
        specialTips: '',
        name: 'Ethereum (ERC20)',
        resetAddressStatus: false,
        addressRegex: '^(0x)[0-9A-Fa-f]{40}$',
        memoRegex: '',
        withdrawFee: '0.00000000',
        withdrawMin: '0.00000000',
        withdrawMax: '9999999999.99999999',
        minConfirm: 12,
        unLockConfirm: 64,
        sameAddress: false,
        estimatedArrivalTime: 5,
        busy: false,
      },
    ],
  }));
}

function symbols(ctx: RestContext, params: Params): string[] {
  const symbol = params['symbol'];
  return symbol === undefined
    ? ctx.exchange.instruments.map((i) => i.venueSymbol)
    : [ctx.exchange.instrument(symbol).venueSymbol];
}

export const ACCOUNT_ROUTES: RouteTable = {
  'GET /fapi/v2/account': { auth: 'signed', handler: (_p, ctx, now) => account(ctx, now) },
  'GET /fapi/v3/account': { auth: 'signed', handler: (_p, ctx, now) => account(ctx, now) },
  'GET /fapi/v2/balance': { auth: 'signed', handler: (_p, ctx, now) => balances(ctx, now) },
  'GET /fapi/v3/balance': { auth: 'signed', handler: (_p, ctx, now) => balances(ctx, now) },
  'GET /fapi/v2/positionRisk': { auth: 'signed', handler: (p, ctx) => positions(ctx, p) },
  'GET /fapi/v3/positionRisk': { auth: 'signed', handler: (p, ctx) => positions(ctx, p) },
  'GET /fapi/v1/leverageBracket': {
    auth: 'signed',
    handler: (p, ctx) => {
      const symbol = p['symbol'];
      const instruments =
        symbol === undefined ? ctx.exchange.instruments : [ctx.exchange.instrument(symbol)];
      const brackets = leverageBrackets(instruments);
      return symbol === undefined ? brackets : brackets[0];
    },
  },
  'POST /fapi/v1/leverage': {
    auth: 'signed',
    handler: (p, ctx) => {
      const leverage = optionalNumber(p, 'leverage');
      if (leverage === undefined) required(p, 'leverage');
      return ctx.exchange.setLeverage(required(p, 'symbol'), leverage ?? 0);
    },
  },
  'POST /fapi/v1/marginType': {
    auth: 'signed',
    handler: (p, ctx) => {
      const marginType = required(p, 'marginType').toUpperCase();
      if (marginType !== 'ISOLATED' && marginType !== 'CROSSED') {
        throw binanceError(
          'INVALID_PARAMETER',
          "Data sent for parameter 'marginType' is not valid.",
        );
      }
      return ctx.exchange.setMarginType(required(p, 'symbol'), marginType);
    },
  },
  'GET /fapi/v1/positionSide/dual': {
    auth: 'signed',
    handler: (_p, ctx) => ({ dualSidePosition: ctx.exchange.dualSidePosition }),
  },
  'POST /fapi/v1/positionSide/dual': {
    auth: 'signed',
    handler: (p, ctx) => {
      const dual = required(p, 'dualSidePosition').toLowerCase();
      if (dual !== 'true' && dual !== 'false') {
        throw binanceError(
          'INVALID_PARAMETER',
          "Data sent for parameter 'dualSidePosition' is not valid.",
        );
      }
      return ctx.exchange.setDualSidePosition(dual === 'true');
    },
  },
  'GET /fapi/v1/symbolConfig': {
    auth: 'signed',
    handler: (p, ctx) =>
      symbols(ctx, p).map((symbol) => {
        const { leverage, marginType } = ctx.exchange.settings(symbol);
        return {
          symbol,
          marginType,
          isAutoAddMargin: 'false',
          leverage,
          maxNotionalValue: '250000',
        };
      }),
  },
  'GET /fapi/v1/accountConfig': {
    auth: 'signed',
    handler: (_p, ctx) => ({
      feeTier: 0,
      canTrade: true,
      canDeposit: true,
      canWithdraw: true,
      dualSidePosition: ctx.exchange.dualSidePosition,
      updateTime: 0,
      multiAssetsMargin: false,
      tradeGroupId: -1,
    }),
  },
  'GET /fapi/v1/multiAssetsMargin': {
    auth: 'signed',
    handler: () => ({ multiAssetsMargin: false }),
  },
  'GET /fapi/v1/commissionRate': {
    auth: 'signed',
    handler: (p, ctx) => {
      const instrument = ctx.exchange.instrument(required(p, 'symbol'));
      return {
        symbol: instrument.venueSymbol,
        makerCommissionRate: String(instrument.makerFee),
        takerCommissionRate: String(instrument.takerFee),
      };
    },
  },
  'POST /fapi/v1/listenKey': {
    auth: 'key',
    handler: (_p, ctx) => ({ listenKey: ctx.users.createKey() }),
  },
  'PUT /fapi/v1/listenKey': {
    auth: 'key',
    handler: (p, ctx) => {
      // ccxt's keepalive sends the key it holds; Binance also accepts a bare PUT for the account's
      if (!ctx.users.keepAlive(p['listenKey'] ?? ctx.users.currentKey)) {
        throw binanceError('INVALID_LISTEN_KEY');
      }
      return {};
    },
  },
  'DELETE /fapi/v1/listenKey': {
    auth: 'key',
    handler: (p, ctx) => {
      ctx.users.deleteKey(p['listenKey'] ?? ctx.users.currentKey);
      return {};
    },
  },
  'GET /sapi/v1/capital/config/getall': { auth: 'signed', handler: (_p, ctx) => coins(ctx) },
  // The spot cross-margin pairs: none, the emulator lists no spot market
  'GET /sapi/v1/margin/allPairs': { auth: 'signed', handler: () => [] },
};
