import type { Clock } from '../../engine/clock.ts';
import { MAX_AUTH_TOKEN_TTL_MS } from './constants.ts';
import type { LighterSigner } from './signer.ts';

export interface AuthTokenOptions {
  readonly signer: LighterSigner;
  readonly clock: Clock;
  /** How long each token is valid, ms; at most 8 hours */
  readonly ttlMs: number;
  /** A token is replaced once it has less than this left, ms; default a tenth of the TTL */
  readonly refreshBeforeMs?: number;
}

/**
 * The account's auth token for private channels and REST queries, signed locally, cached and
 * replaced before it expires: callers always get a token with at least `refreshBeforeMs` left.
 * Concurrent callers share one signing.
 */
export class AuthTokens {
  private readonly signer: LighterSigner;
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly refreshBeforeMs: number;
  private current: { readonly token: string; readonly deadlineMs: number } | undefined;
  private creating: Promise<string> | undefined;
  private created = 0;

  constructor(options: AuthTokenOptions) {
    this.signer = options.signer;
    this.clock = options.clock;
    this.ttlMs = Math.min(options.ttlMs, MAX_AUTH_TOKEN_TTL_MS);
    this.refreshBeforeMs = options.refreshBeforeMs ?? Math.floor(this.ttlMs / 10);
  }

  /** When the current token expires (ms), if there is one */
  get deadlineMs(): number | undefined {
    return this.current?.deadlineMs;
  }

  /** How many tokens were signed so far */
  get createdCount(): number {
    return this.created;
  }

  /** When the current token should be replaced (ms) */
  get refreshAtMs(): number | undefined {
    return this.current === undefined ? undefined : this.current.deadlineMs - this.refreshBeforeMs;
  }

  /** Forgets the token (the venue said it expired); the next call signs a new one */
  invalidate(): void {
    this.current = undefined;
  }

  /**
   * A token with time left, signed now if needed.
   * @throws KestrelError when the signer fails
   */
  async token(): Promise<string> {
    const now = this.clock.now();
    if (this.current !== undefined && now < this.current.deadlineMs - this.refreshBeforeMs) {
      return this.current.token;
    }
    if (this.creating !== undefined) return this.creating;
    const deadlineSeconds = Math.floor((now + this.ttlMs) / 1000);
    this.creating = this.signer
      .createAuthToken(deadlineSeconds)
      .then((token) => {
        this.current = { token, deadlineMs: deadlineSeconds * 1000 };
        this.created += 1;
        return token;
      })
      .finally(() => {
        this.creating = undefined;
      });
    return this.creating;
  }
}
