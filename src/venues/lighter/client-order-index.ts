import { KestrelError } from '../../core/errors.ts';
import type { Clock } from '../../engine/clock.ts';
import { MAX_CLIENT_ORDER_INDEX, MIN_CLIENT_ORDER_INDEX } from './constants.ts';

/**
 * Hands out Lighter client order indexes: the correlation key an order carries on the wire,
 * because Lighter cannot carry our clientId. Deterministic and restart-safe without a journal:
 * each index is at least the clock's millisecond count (2^48 ms is about 8 900 years) and more
 * than the previous one, so a restarted process starts past everything it handed out before
 * (unless it ran ahead of the clock by allocating faster than one per millisecond for its whole
 * life; `restore` covers that once a journal persists `lastAllocated`). Never a salted hash:
 * the same history gives the same indexes, and no two live orders share one.
 */
export interface ClientOrderIndexAllocator {
  /**
   * The next index, strictly above every one handed out before.
   * @throws KestrelError INVALID_CONFIG when the range 1..2^48-1 is exhausted
   */
  next(): number;
  /** The last index handed out (0 before the first), for a journal to persist */
  readonly lastAllocated: number;
  /**
   * Continues after an index persisted by a previous run; never moves backwards.
   * @throws KestrelError INVALID_ARGUMENT for a value outside 0..2^48-1
   */
  restore(lastAllocated: number): void;
  /**
   * Makes every later index carry the owner slot of a process sharing the account with
   * siblings (1..63): the index is `64 × t + slot`, with `t` at least the clock's milliseconds
   * and at least 2^40, so a slotted index is always ≥ 2^46 and above every unslotted one.
   * @throws KestrelError INVALID_ARGUMENT for a slot outside 1..63
   */
  useOwnerSlot(slot: number): void;
}

/** Owner slots fit in the low 6 bits of a slotted index */
const SLOTS = 64;
/** Every slotted index is at least this (2^40 × 64); unslotted ones (ms counts) stay below */
const SLOTTED_FROM = 2 ** 46;

/**
 * The owner slot a client order index carries, when it is a slotted one (see `useOwnerSlot`);
 * undefined for an unslotted index (a process alone on the account, or a manual order)
 */
export function ownerSlotOfIndex(index: number): number | undefined {
  if (!Number.isSafeInteger(index) || index < SLOTTED_FROM || index > MAX_CLIENT_ORDER_INDEX)
    return undefined;
  const slot = index % SLOTS;
  return slot === 0 ? undefined : slot;
}

export interface ClientOrderIndexOptions {
  readonly clock: Clock;
  /** A persisted `lastAllocated` to continue after */
  readonly lastAllocated?: number;
}

/** Creates the allocator; see ClientOrderIndexAllocator */
export function createClientOrderIndexAllocator(
  options: ClientOrderIndexOptions,
): ClientOrderIndexAllocator {
  let last = 0;
  let slot = 0;
  const allocator: ClientOrderIndexAllocator = {
    next() {
      const candidate =
        slot === 0
          ? Math.max(last + 1, Math.floor(options.clock.now()), MIN_CLIENT_ORDER_INDEX)
          : Math.max(Math.floor(last / SLOTS) + 1, Math.floor(options.clock.now()), 2 ** 40) *
              SLOTS +
            slot;
      if (candidate > MAX_CLIENT_ORDER_INDEX) {
        throw new KestrelError(
          'INVALID_CONFIG',
          `lighter client order indexes exhausted: ${candidate} exceeds ${MAX_CLIENT_ORDER_INDEX}`,
        );
      }
      last = candidate;
      return candidate;
    },
    get lastAllocated() {
      return last;
    },
    restore(value: number) {
      if (!Number.isSafeInteger(value) || value < 0 || value > MAX_CLIENT_ORDER_INDEX) {
        throw new KestrelError(
          'INVALID_ARGUMENT',
          `lastAllocated must be an integer in 0..${MAX_CLIENT_ORDER_INDEX} (got ${value})`,
          { field: 'lastAllocated', value },
        );
      }
      last = Math.max(last, value);
    },
    useOwnerSlot(value: number) {
      if (!Number.isInteger(value) || value < 1 || value >= SLOTS)
        throw new KestrelError(
          'INVALID_ARGUMENT',
          `owner slot must be 1..${SLOTS - 1} (got ${value})`,
          {
            field: 'slot',
            value,
          },
        );
      slot = value;
    },
  };
  if (options.lastAllocated !== undefined) allocator.restore(options.lastAllocated);
  return allocator;
}
