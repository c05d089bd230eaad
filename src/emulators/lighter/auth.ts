import type { FixedBase } from '../../venues/lighter/crypto/curve.ts';
import { authTokenMessage } from '../../venues/lighter/crypto/lighter-hash.ts';
import { verify } from '../../venues/lighter/crypto/schnorr.ts';
import { MAX_AUTH_TOKEN_MS, VenueRefusal } from './protocol.ts';

/** Tokens whose signature already verified, so a token reused for every query costs one check */
const VERIFIED_KEPT = 1_000;

/**
 * Checks auth tokens the way the venue does: `deadline:account:apiKey:signature`, for this
 * account and one of its registered keys, not expired, at most 8 hours ahead, and the 80-byte
 * Schnorr signature over the hash of `deadline:account:apiKey` valid under the registered public
 * key of the API key the token names (tokens are per key).
 */
export class AuthTokenChecker {
  private readonly accountIndex: number;
  private readonly publicKeyOf: (apiKeyIndex: number) => FixedBase | undefined;
  private readonly verified = new Set<string>();

  constructor(accountIndex: number, publicKeyOf: (apiKeyIndex: number) => FixedBase | undefined) {
    this.accountIndex = accountIndex;
    this.publicKeyOf = publicKeyOf;
  }

  /** Forgets the tokens already verified (a key got a new public key: its tokens stop verifying) */
  forget(): void {
    this.verified.clear();
  }

  /**
   * Returns the token's deadline in ms.
   * @throws VenueRefusal AUTH_REQUIRED, AUTH_INVALID (malformed, another account or key, a bad
   *   signature, a deadline too far ahead) or AUTH_EXPIRED
   */
  check(token: string | undefined, now: number): number {
    if (token === undefined || token === '') throw new VenueRefusal('AUTH_REQUIRED');
    const match = /^(\d+):(\d+):(\d+):([0-9a-f]{160})$/.exec(token);
    if (match === null) throw new VenueRefusal('AUTH_INVALID', 'malformed token');
    const deadlineSeconds = Number(match[1]);
    const account = Number(match[2]);
    const apiKey = Number(match[3]);
    if (account !== this.accountIndex) throw new VenueRefusal('AUTH_INVALID', 'account');
    const publicKey = this.publicKeyOf(apiKey);
    if (publicKey === undefined) throw new VenueRefusal('AUTH_INVALID', 'api key');
    if (!this.verified.has(token)) {
      const message = authTokenMessage(deadlineSeconds, account, apiKey);
      if (!verify(publicKey, message, Buffer.from(match[4] ?? '', 'hex'))) {
        throw new VenueRefusal('AUTH_INVALID', 'signature');
      }
      if (this.verified.size >= VERIFIED_KEPT) this.verified.clear();
      this.verified.add(token);
    }
    const deadline = deadlineSeconds * 1000;
    if (deadline <= now) throw new VenueRefusal('AUTH_EXPIRED');
    if (deadline > now + MAX_AUTH_TOKEN_MS + 60_000) {
      throw new VenueRefusal('AUTH_INVALID', 'deadline more than 8 hours ahead');
    }
    return deadline;
  }
}
