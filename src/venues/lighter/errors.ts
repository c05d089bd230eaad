import { KestrelError } from '../../core/errors.ts';

/**
 * A failure before anything reached the venue (no nonce, no signature): the order was certainly
 * not placed, so it is a local refusal, never ambiguous. Core has no dedicated code for "not
 * sent"; INVALID_CONFIG (local) is the closest, and the message says what happened.
 */
export function notSent(reason: string, cause?: unknown): KestrelError {
  return new KestrelError('INVALID_CONFIG', `lighter: not sent, ${reason}`, {
    ...(cause === undefined ? {} : { cause }),
  });
}
