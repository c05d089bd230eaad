import type { TrackedOrder } from '../core/account.ts';
import { apply, createAccountState } from '../core/account.ts';
import type { Balance } from '../core/balance.ts';
import type { Fill } from '../core/fill.ts';
import type { Position } from '../core/position.ts';
import type { JournalDamage, JournalEntry, JournalIdentity } from '../journal/journal.ts';
import { parseJournalLocation } from '../journal/location.ts';
import { readPgJournal } from '../journal/pg-journal.ts';
import { SqliteJournal } from '../journal/sqlite-journal.ts';

/** What one owner's entries replay to */
export interface OwnerView {
  /** The owner (clientId prefix) whose orders these are */
  readonly owner: string;
  /** Valid entries replayed */
  readonly entries: number;
  readonly damage: readonly JournalDamage[];
  /** Entries the replay could not apply (after damage, an event whose order's record was lost) */
  readonly refused: number;
  /** Every order, with the venue correlation key it was matched by */
  readonly orders: readonly TrackedOrder[];
  readonly fills: readonly Fill[];
  readonly positions: readonly Position[];
  readonly balances: readonly Balance[];
}

/**
 * Everything a journal says happened, rebuilt by replay, for operators to look at: per owner
 * (one for a SQLite file; every process's on a shared PostgreSQL journal)
 */
export interface JournalView {
  readonly identity: JournalIdentity;
  readonly owners: readonly OwnerView[];
}

/** Replays entries into a view, keeping every order (not just a bounded history) and fill */
function replay(
  owner: string,
  exchange: string,
  entries: Iterable<JournalEntry>,
  damage: readonly JournalDamage[],
): OwnerView {
  const state = createAccountState({
    exchange,
    limits: { graceMs: Number.POSITIVE_INFINITY, historySize: Number.MAX_SAFE_INTEGER },
  });
  const fills: Fill[] = [];
  let refused = 0;
  let count = 0;
  for (const entry of entries) {
    count += 1;
    const result = apply(state, entry.event);
    if (result.outcome === 'applied' && result.fill !== undefined) fills.push(result.fill);
    if (result.outcome === 'refused') refused += 1;
  }
  return {
    owner,
    entries: count,
    damage,
    refused,
    orders: [...state.orders.values()].sort((a, b) => a.createdAt - b.createdAt),
    fills,
    positions: [...state.positions.values()],
    balances: [...state.balances.values()],
  };
}

/**
 * Replays a SQLite journal read-only. A damaged journal gives its valid entries; `damage`
 * lists what is missing.
 * @throws KestrelError INVALID_CONFIG when there is no journal; JOURNAL_DAMAGED when it cannot
 *   be read at all
 */
export function readJournal(path: string): JournalView & OwnerView {
  const journal = new SqliteJournal({
    path,
    identity: { exchange: '*', account: '*' },
    readOnly: true,
  });
  try {
    const view = replay(
      journal.opening.owner,
      journal.identity.exchange,
      journal.entries(),
      journal.opening.damage,
    );
    return { identity: journal.identity, owners: [view], ...view };
  } finally {
    void journal.close();
  }
}

/**
 * Replays a journal named as `--journal` takes it: a SQLite file (relative to `cwd`) or a
 * `postgres://` URL, whose every owner is replayed on its own.
 * @throws KestrelError as `readJournal`; for PostgreSQL INVALID_CONFIG (malformed URL, no
 *   journal there) or NETWORK (server unreachable)
 */
export async function loadJournalView(value: string, cwd: string): Promise<JournalView> {
  const location = parseJournalLocation(value, cwd);
  if (location.kind === 'sqlite') return readJournal(location.path);
  const contents = await readPgJournal(location);
  return {
    identity: contents.identity,
    owners: contents.owners.map((o) =>
      replay(o.owner.owner, contents.identity.exchange, o.entries, o.damage),
    ),
  };
}
