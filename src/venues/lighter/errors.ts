import { KestrelError } from '../../core/errors.ts';

/**
 * A failure before anything reached the venue (no nonce, no signature, no signer): the order
 * was certainly not placed, so it is a local refusal, never ambiguous.
 */
export function notSent(reason: string, cause?: unknown): KestrelError {
  return new KestrelError('NOT_SENT', `lighter: not sent, ${reason}`, {
    ...(cause === undefined ? {} : { cause }),
  });
}
