import type { VenueProfile } from '../profile.ts';
import { BINANCE_PROFILE } from './binance.ts';
import { BINANCEUSDM_PROFILE } from './binanceusdm.ts';
import { BYBIT_PROFILE } from './bybit.ts';
import type { CcxtDescription } from './generic.ts';
import { genericProfile } from './generic.ts';
import { HYPERLIQUID_PROFILE } from './hyperliquid.ts';
import { OKX_PROFILE } from './okx.ts';

/** Every exchange Kestrel has a profile for, by ccxt id */
export const PROFILES: ReadonlyMap<string, VenueProfile> = new Map(
  [BINANCE_PROFILE, BINANCEUSDM_PROFILE, BYBIT_PROFILE, HYPERLIQUID_PROFILE, OKX_PROFILE].map(
    (profile) => [profile.id, profile],
  ),
);

/** The profile of an exchange, or the generic stand-in built from ccxt's description of it */
export function profileFor(exchange: CcxtDescription): VenueProfile {
  return PROFILES.get(exchange.id) ?? genericProfile(exchange);
}
