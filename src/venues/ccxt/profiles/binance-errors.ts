import type { VenueErrors } from '../profile.ts';
import { jsonCode } from '../profile.ts';

/**
 * Binance's codes that decide the verdict on their own, spot and USDⓈ-M alike. With a local or
 * proxied URL ccxt's market-specific error tables are bypassed (USDⓈ-M -2019 arrives as a plain
 * ExchangeError), so the code in the body is read here. Codes that say "the venue may have
 * acted" are ambiguous; every other code of a 4xx answer is a verdict.
 */
export const BINANCE_ERRORS: VenueErrors = {
  codeOf: jsonCode('code'),
  codes: {
    '-1000': 'UNKNOWN',
    '-1001': 'VENUE_UNAVAILABLE',
    '-1003': 'RATE_LIMITED',
    '-1006': 'UNKNOWN',
    '-1007': 'TIMEOUT',
    '-1008': 'VENUE_UNAVAILABLE',
    '-1015': 'RATE_LIMITED',
    '-1016': 'VENUE_UNAVAILABLE',
    '-1021': 'VENUE_REJECTED',
    '-1022': 'VENUE_REJECTED',
    '-2010': 'VENUE_REJECTED',
    '-2011': 'VENUE_REJECTED',
    '-2013': 'VENUE_REJECTED',
    '-2014': 'VENUE_REJECTED',
    '-2015': 'VENUE_REJECTED',
    '-2019': 'VENUE_REJECTED',
    '-2021': 'VENUE_REJECTED',
    '-2022': 'VENUE_REJECTED',
    '-4061': 'VENUE_REJECTED',
    '-4116': 'VENUE_REJECTED',
    '-4164': 'VENUE_REJECTED',
    '-5022': 'VENUE_REJECTED',
  },
  notFound: ['-2011', '-2013'],
};
