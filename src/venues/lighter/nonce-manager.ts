import { classify, KestrelError } from '../../core/errors.ts';
import type { Logger } from '../../engine/logger.ts';
import { LIGHTER_ERROR } from './constants.ts';
import { notSent } from './errors.ts';

export interface NonceManagerOptions {
  readonly accountIndex: number;
  readonly apiKeyIndex: number;
  /** Asks the venue for the next nonce of this (account, API key): `GET /api/v1/nextNonce` */
  readonly fetchNext: () => Promise<number>;
  readonly logger?: Logger;
}

/** Whether an error is the venue's "invalid nonce" verdict */
export function isInvalidNonce(error: unknown): boolean {
  return error instanceof KestrelError && error.venueCode === String(LIGHTER_ERROR.INVALID_NONCE);
}

/**
 * The nonce sequence of one (account, API key). Lighter accepts exactly the next nonce of a key,
 * so transactions on one key must reach the venue in nonce order: every send runs under this
 * key's lock (FIFO), from taking its nonces to the venue's reply. Increments are optimistic
 * (taken before the send); a definite refusal rolls them back (nothing was consumed); an
 * ambiguous failure keeps them (the transaction may have landed); an invalid-nonce verdict
 * resyncs from `nextNonce` and the send is retried once with fresh nonces, which is safe
 * because the venue refused the transaction outright.
 */
export class NonceManager {
  readonly accountIndex: number;
  readonly apiKeyIndex: number;
  private readonly fetchNext: () => Promise<number>;
  private readonly logger: Logger | undefined;
  private nextNonce: number | undefined;
  private tail: Promise<void> = Promise.resolve();
  private resyncs = 0;

  constructor(options: NonceManagerOptions) {
    this.accountIndex = options.accountIndex;
    this.apiKeyIndex = options.apiKeyIndex;
    this.fetchNext = options.fetchNext;
    this.logger = options.logger;
  }

  /** The nonce the next transaction will take, once known */
  get next(): number | undefined {
    return this.nextNonce;
  }

  /** How many times the sequence was refetched after the venue refused a nonce */
  get resyncCount(): number {
    return this.resyncs;
  }

  /** Forgets the sequence; the next send fetches it from the venue */
  invalidate(): void {
    this.nextNonce = undefined;
  }

  /**
   * Reserves `count` consecutive nonces and runs `send(first)` with them under the key's lock.
   * @throws whatever `send` throws, after the rollback / resync rules above
   */
  async withNonces<T>(count: number, send: (first: number) => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await this.attempt(count, send, true);
    } finally {
      release();
    }
  }

  private async fetch(): Promise<number> {
    try {
      const next = await this.fetchNext();
      if (!Number.isSafeInteger(next) || next < 0) throw new Error(`nextNonce answered ${next}`);
      return next;
    } catch (error) {
      throw notSent(`the next nonce could not be fetched: ${(error as Error).message}`, error);
    }
  }

  private async attempt<T>(
    count: number,
    send: (first: number) => Promise<T>,
    mayRetry: boolean,
  ): Promise<T> {
    this.nextNonce ??= await this.fetch();
    const first = this.nextNonce;
    this.nextNonce = first + count;
    try {
      return await send(first);
    } catch (error) {
      if (isInvalidNonce(error)) {
        this.resyncs += 1;
        this.nextNonce = undefined;
        this.nextNonce = await this.fetch();
        this.logger?.warn('lighter nonce refused; resynced from nextNonce', {
          accountIndex: this.accountIndex,
          apiKeyIndex: this.apiKeyIndex,
          refused: first,
          next: this.nextNonce,
        });
        if (mayRetry) return this.attempt(count, send, false);
        throw error;
      }
      if (classify(error) !== 'ambiguous') this.nextNonce = first;
      throw error;
    }
  }
}
