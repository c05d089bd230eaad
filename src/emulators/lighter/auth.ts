import { MAX_AUTH_TOKEN_MS, VenueRefusal } from './protocol.ts';

/**
 * Checks an auth token the way the venue does: `deadline:account:apiKey:signature` with an
 * 80-byte hex signature, for this account and key, not expired and at most 8 hours ahead. The
 * signature itself cannot be verified (no ECgFp5 verifier in the emulator); its shape is.
 * Returns the deadline in ms.
 * @throws VenueRefusal AUTH_REQUIRED, AUTH_INVALID or AUTH_EXPIRED
 */
export function checkAuthToken(
  token: string | undefined,
  accountIndex: number,
  apiKeyIndex: number,
  now: number,
): number {
  if (token === undefined || token === '') throw new VenueRefusal('AUTH_REQUIRED');
  const match = /^(\d+):(\d+):(\d+):([0-9a-f]{160})$/.exec(token);
  if (match === null) throw new VenueRefusal('AUTH_INVALID', 'malformed token');
  const deadline = Number(match[1]) * 1000;
  if (Number(match[2]) !== accountIndex) throw new VenueRefusal('AUTH_INVALID', 'account');
  if (Number(match[3]) !== apiKeyIndex) throw new VenueRefusal('AUTH_INVALID', 'api key');
  if (deadline <= now) throw new VenueRefusal('AUTH_EXPIRED');
  if (deadline > now + MAX_AUTH_TOKEN_MS + 60_000) {
    throw new VenueRefusal('AUTH_INVALID', 'deadline more than 8 hours ahead');
  }
  return deadline;
}
