import { isAbsolute, resolve } from 'node:path';
import { describe, KestrelError } from '../core/errors.ts';

/** Where a journal lives: a SQLite file, or a PostgreSQL database shared by several owners */
export type JournalLocation =
  | { readonly kind: 'sqlite'; readonly path: string }
  | {
      readonly kind: 'postgres';
      /** The connection URL without Kestrel's own parameters */
      readonly url: string;
      /** The URL with the password hidden, for messages */
      readonly display: string;
      /** The PostgreSQL schema the journal's tables live in; default `kestrel` */
      readonly schema: string;
      /** The owner named in the URL (`?owner=`), when one is */
      readonly owner: string | undefined;
    };

const POSTGRES = /^postgres(ql)?:\/\//i;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Whether a `--journal` value names a PostgreSQL database */
export function isPostgresUrl(value: string): boolean {
  return POSTGRES.test(value);
}

/** A URL with its password replaced by `***` */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

/**
 * Reads a `--journal` value: a file path (relative to `cwd`) or a `postgres://` URL, whose
 * `schema` and `owner` query parameters are Kestrel's (the rest goes to the server).
 * @throws KestrelError INVALID_CONFIG naming a malformed URL (its password hidden)
 */
export function parseJournalLocation(value: string, cwd: string = process.cwd()): JournalLocation {
  if (!isPostgresUrl(value))
    return { kind: 'sqlite', path: isAbsolute(value) ? value : resolve(cwd, value) };
  const display = redactUrl(value);
  const bad = (problem: string) =>
    new KestrelError('INVALID_CONFIG', `journal URL ${display} is malformed: ${problem}`, {
      field: 'journal',
      value: display,
    });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad('not a URL');
  }
  if (url.hostname === '') throw bad('no host');
  if (url.port !== '' && !/^\d+$/.test(url.port)) throw bad(`port ${describe(url.port)}`);
  if (url.pathname.length <= 1 || url.pathname.slice(1).includes('/'))
    throw bad('it must name one database (postgres://user@host:port/database)');
  const schema = url.searchParams.get('schema') ?? 'kestrel';
  if (!NAME.test(schema)) throw bad(`schema ${describe(schema)} is not a plain name`);
  const owner = url.searchParams.get('owner') ?? undefined;
  if (owner !== undefined && !/^[A-Za-z][A-Za-z0-9_]{0,7}$/.test(owner))
    throw bad(
      `owner ${describe(owner)} must be 1 to 8 letters, digits or _ (it prefixes clientIds)`,
    );
  url.searchParams.delete('schema');
  url.searchParams.delete('owner');
  return { kind: 'postgres', url: url.toString(), display, schema, owner };
}
