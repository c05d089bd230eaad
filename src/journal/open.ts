import { KestrelError } from '../core/errors.ts';
import type { Journal, JournalIdentity } from './journal.ts';
import type { JournalLocation } from './location.ts';
import { PgJournal } from './pg-journal.ts';
import { SqliteJournal } from './sqlite-journal.ts';

export interface OpenJournalOptions {
  readonly location: JournalLocation;
  readonly identity: JournalIdentity;
  /** The owner (clientId prefix) this process writes as */
  readonly owner: string;
  /** The instance tag to record when the owner has none yet */
  readonly clientIdTag: string;
  readonly giveUpAfterMs?: number | undefined;
  /**
   * Credentials no two live processes on the account may share (the venue's
   * `exclusiveKeys`): claimed in a journal several processes share, refused when a live
   * sibling holds one
   */
  readonly keys?: readonly string[] | undefined;
}

/**
 * Opens a journal for writing, on SQLite or PostgreSQL, behind the one `Journal` interface.
 * @throws KestrelError as `SqliteJournal` and `PgJournal.open`; INVALID_CONFIG when the URL
 *   names another owner than the process's clientId prefix
 */
export async function openJournal(options: OpenJournalOptions): Promise<Journal> {
  const { location } = options;
  if (location.kind === 'sqlite')
    return new SqliteJournal({
      path: location.path,
      identity: options.identity,
      owner: options.owner,
      clientIdTag: options.clientIdTag,
      ...(options.giveUpAfterMs === undefined ? {} : { giveUpAfterMs: options.giveUpAfterMs }),
    });
  if (location.owner !== undefined && location.owner !== options.owner)
    throw new KestrelError(
      'INVALID_CONFIG',
      `journal ${location.display} names owner ${location.owner}, but the clientId prefix is ${options.owner}`,
      { field: 'owner', value: location.owner },
    );
  return PgJournal.open({
    location,
    identity: options.identity,
    owner: options.owner,
    clientIdTag: options.clientIdTag,
    keys: options.keys,
    ...(options.giveUpAfterMs === undefined ? {} : { giveUpAfterMs: options.giveUpAfterMs }),
  });
}
