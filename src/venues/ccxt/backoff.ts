import type { Random } from '../../core/random.ts';

export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Growth per attempt; default 2 */
  readonly factor?: number;
}

/**
 * The wait before reconnect attempt `attempt` (1 = the first retry): exponential from baseMs,
 * capped at maxMs, with "equal jitter" (half fixed, half random) so a fleet of clients never
 * reconnects in lockstep and no attempt waits zero.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: Random): number {
  const factor = policy.factor ?? 2;
  const exponential = Math.min(policy.maxMs, policy.baseMs * factor ** Math.max(0, attempt - 1));
  return exponential / 2 + random.next() * (exponential / 2);
}
