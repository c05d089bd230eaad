import { apply, createAccountState } from '../core/account.ts';
import type { Balance } from '../core/balance.ts';
import type { Fill } from '../core/fill.ts';
import type { Order } from '../core/order.ts';
import type { Position } from '../core/position.ts';
import type { JournalIdentity, JournalOpening } from '../journal/journal.ts';
import { SqliteJournal } from '../journal/sqlite-journal.ts';

/** Everything a journal says happened, rebuilt by replay, for operators to look at */
export interface JournalView {
  readonly identity: JournalIdentity;
  readonly opening: JournalOpening;
  /** Entries the replay could not apply (after damage, an event whose order's record was lost) */
  readonly refused: number;
  readonly orders: readonly Order[];
  readonly fills: readonly Fill[];
  readonly positions: readonly Position[];
  readonly balances: readonly Balance[];
}

/**
 * Replays a journal read-only, keeping every order (not just a bounded history) and every fill
 * as booked, fees resolved. A damaged journal gives its valid entries; `opening.damage` lists
 * what is missing.
 * @throws KestrelError INVALID_CONFIG when there is no journal; JOURNAL_DAMAGED when it cannot
 *   be read at all
 */
export function readJournal(path: string): JournalView {
  const journal = new SqliteJournal({
    path,
    identity: { exchange: '*', account: '*' },
    readOnly: true,
  });
  try {
    const state = createAccountState({
      exchange: journal.identity.exchange,
      limits: { graceMs: Number.POSITIVE_INFINITY, historySize: Number.MAX_SAFE_INTEGER },
    });
    const fills: Fill[] = [];
    let refused = 0;
    for (const entry of journal.entries()) {
      const result = apply(state, entry.event);
      if (result.outcome === 'applied' && result.fill !== undefined) fills.push(result.fill);
      if (result.outcome === 'refused') refused += 1;
    }
    return {
      identity: journal.identity,
      refused,
      opening: journal.opening,
      orders: [...state.orders.values(), ...state.history.values()].sort(
        (a, b) => a.createdAt - b.createdAt,
      ),
      fills,
      positions: [...state.positions.values()],
      balances: [...state.balances.values()],
    };
  } finally {
    void journal.close();
  }
}
