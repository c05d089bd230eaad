import type { MarketType } from '../../../core/instrument.ts';
import type { VenueProfile } from '../profile.ts';
import { CCXT_CREDENTIALS, jsonCode } from '../profile.ts';
import { verbatimCodec } from '../wire-ids.ts';

/** What Kestrel takes from a ccxt exchange's own description when it has no profile for it */
export interface CcxtDescription {
  readonly id: string;
  readonly has: Readonly<Record<string, unknown>>;
  readonly features?: unknown;
}

function featureNumber(features: unknown, path: readonly string[]): number | undefined {
  let value: unknown = features;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'number' && value > 0 ? value : undefined;
}

/**
 * The stand-in for an exchange without a profile: ccxt's generic behaviour, with what ccxt
 * itself says (batch support and size, trade page size, amend), and nothing Kestrel could not
 * check assumed in its favour: ids go as they are, cancels and lookups go by venue id only,
 * only ccxt's error classes are read, positions are net. `unchecked` names each of these.
 */
export function genericProfile(exchange: CcxtDescription): VenueProfile {
  const batchMax =
    exchange.has['createOrders'] === true
      ? (featureNumber(exchange.features, ['swap', 'linear', 'createOrders', 'max']) ??
        featureNumber(exchange.features, ['default', 'createOrders', 'max']) ??
        5)
      : undefined;
  const pageSize =
    featureNumber(exchange.features, ['swap', 'linear', 'fetchMyTrades', 'limit']) ??
    featureNumber(exchange.features, ['spot', 'fetchMyTrades', 'limit']) ??
    featureNumber(exchange.features, ['default', 'fetchMyTrades', 'limit']) ??
    100;
  const contracts: MarketType[] = ['SWAP', 'FUTURE'];
  return {
    id: exchange.id,
    label: `${exchange.id} (no Kestrel profile: ccxt's generic behaviour)`,
    checked: false,
    marketTypes: ['SPOT', 'SWAP', 'FUTURE'],
    clientId: {
      field: 'clientOrderId',
      codec: verbatimCodec('unchecked', /^[A-Za-z0-9._:/-]{1,36}$/),
    },
    clientIdParam: undefined,
    batch: batchMax === undefined ? {} : { SWAP: batchMax, FUTURE: batchMax },
    lookup: 'fetchOrder',
    openOrders: { scope: 'auto', params: {} },
    trades: { order: 'ascending', pageSize, windowMs: undefined },
    timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
    marketOrderSlippage: undefined,
    marketData: {
      quotes: exchange.has['watchBidsAsks'] === true ? 'bidsAsks' : 'orderBookForSymbols',
      trades: 'forSymbols',
      quoteQuery: exchange.has['fetchBidsAsks'] === true ? 'bidsAsks' : 'ticker',
    },
    positions: exchange.has['fetchPositions'] === true ? contracts : [],
    hedge: undefined,
    amend: exchange.has['editOrder'] === true ? { SWAP: 'newId', FUTURE: 'newId' } : {},
    errors: { codeOf: jsonCode('code'), codes: {}, notFound: [] },
    numericIds: false,
    credentials: CCXT_CREDENTIALS,
    options: {},
    unchecked: [
      'the client-id format (our clientIds go as they are)',
      'cancel and lookup by client id (a PENDING order is canceled once its venue id is known)',
      "the venue's error codes (only ccxt's error classes are read)",
      `trade-history paging (assumed oldest first, ${pageSize} a page, no window)`,
      'position mode (one-way assumed)',
    ],
  };
}
