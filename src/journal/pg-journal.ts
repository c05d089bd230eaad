import { hostname } from 'node:os';
import pg from 'pg';
import { KestrelError } from '../core/errors.ts';
import type { AccountEvent } from '../core/events.ts';
import type { InstrumentSpec } from '../core/instrument.ts';
import { instrumentSpec } from '../core/instrument.ts';
import { EventCodec } from './codec.ts';
import { recordChecksum, SequenceCheck } from './integrity.ts';
import type {
  Journal,
  JournalBacklog,
  JournalDamage,
  JournalEntry,
  JournalHealth,
  JournalIdentity,
  JournalOpening,
  JournalOwner,
} from './journal.ts';
import type { JournalLocation } from './location.ts';
import { damaged } from './sqlite-journal.ts';
import type { PendingRecord } from './write-queue.ts';
import { WriteQueue } from './write-queue.ts';

const FORMAT = 2;
/** Rows read per query when scanning an owner's entries */
const PAGE = 5000;

type PostgresLocation = Extract<JournalLocation, { kind: 'postgres' }>;

/** Owner slots are 1..MAX_OWNER_SLOT (0 is a process alone on its account) */
export const MAX_OWNER_SLOT = 63;

export interface PgJournalOptions {
  readonly location: PostgresLocation;
  /** Whose journal it must be; `{ exchange: '*' }` accepts any (readers) */
  readonly identity: JournalIdentity;
  /** The owner this process writes as, which is also the clientId prefix of its orders */
  readonly owner: string;
  /** The instance tag to claim when the owner is new */
  readonly clientIdTag: string;
  /**
   * Credentials no two live owners may use at once (Lighter's API key index: its nonces are
   * per key), claimed at open; one a live sibling holds refuses the open
   */
  readonly keys?: readonly string[] | undefined;
  /** How long a failing write is retried before the journal is declared failed, ms */
  readonly giveUpAfterMs?: number;
}

/** The SQL names of a journal's tables in its schema */
function tables(schema: string) {
  const q = (name: string) => `"${schema}"."${name}"`;
  return {
    schema: `"${schema}"`,
    meta: q('meta'),
    owners: q('owners'),
    instruments: q('instruments'),
    entries: q('entries'),
    keys: q('keys'),
  };
}

/** A one-line typed error for a server that cannot be used, naming it (password hidden) */
function connectionError(location: PostgresLocation, error: unknown): KestrelError {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  // Wrong credentials or database: the configuration; anything else: the server is not there
  const config = code === '28P01' || code === '28000' || code === '3D000';
  return new KestrelError(
    config ? 'INVALID_CONFIG' : 'NETWORK',
    `journal ${location.display}: cannot connect (${message || String(code)})`,
    { field: 'journal', value: location.display, cause: error },
  );
}

async function connect(location: PostgresLocation): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: location.url,
    connectionTimeoutMillis: 10_000,
    application_name: 'kestrel-journal',
  });
  // A dropped connection surfaces on the next query; never as an unhandled 'error' event
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw connectionError(location, error);
  }
  return client;
}

/** The advisory lock key of an owner: the schema and the owner, hashed by the server */
const LOCK = 'hashtext($1), hashtext($2)';

/**
 * The journal on PostgreSQL, for several processes trading one account. Each process writes as
 * an owner (its clientId prefix, with an instance tag unique in the journal); each owner has its
 * own gapless sequence, written in transactions (`PRIMARY KEY (owner, seq)`), and one writer
 * at a time, held by a session advisory lock that the server drops when the process or its
 * connection dies. The schema holds every owner's entries, so readers see the whole account.
 */
export class PgJournal implements Journal {
  readonly identity: JournalIdentity;
  readonly opening: JournalOpening;
  readonly owner: JournalOwner;
  private readonly location: PostgresLocation;
  private readonly names: ReturnType<typeof tables>;
  private readonly codec: EventCodec;
  private readonly queue: WriteQueue;
  private client: pg.Client | undefined;
  private last: number;
  private unwrittenInstruments: InstrumentSpec[] = [];
  private closed = false;

  private constructor(init: {
    location: PostgresLocation;
    client: pg.Client;
    identity: JournalIdentity;
    owner: JournalOwner;
    codec: EventCodec;
    opening: JournalOpening;
    last: number;
    giveUpAfterMs: number | undefined;
  }) {
    this.location = init.location;
    this.names = tables(init.location.schema);
    this.client = init.client;
    this.identity = init.identity;
    this.owner = init.owner;
    this.codec = init.codec;
    this.opening = init.opening;
    this.last = init.last;
    this.queue = new WriteQueue({
      name: `${init.location.display} (owner ${init.owner.owner})`,
      write: (batch) => this.writeBatch(batch),
      giveUpAfterMs: init.giveUpAfterMs,
      written: init.last,
    });
  }

  /**
   * Opens the journal for writing as `owner`: creates it on a fresh database, checks it belongs
   * to the account, takes the owner's lock and checks the owner's records. Nothing is written
   * before all of that holds.
   * @throws KestrelError INVALID_CONFIG (malformed or refused URL, another account's journal);
   *   NETWORK (server unreachable); JOURNAL_LOCKED (the owner is held by a live process, named);
   *   JOURNAL_DAMAGED (the owner's records are damaged, ranges named)
   */
  static async open(options: PgJournalOptions): Promise<PgJournal> {
    const { location } = options;
    const names = tables(location.schema);
    const client = await connect(location);
    try {
      const identity = await ensureSchema(client, location, options.identity);
      const locked = await client.query(`SELECT pg_try_advisory_lock(${LOCK}) AS ok`, [
        location.schema,
        options.owner,
      ]);
      if (locked.rows[0]?.ok !== true) {
        const holder = await client.query(
          `SELECT holder_pid, holder_host, holder_since FROM ${names.owners} WHERE owner = $1`,
          [options.owner],
        );
        const row = holder.rows[0] as
          | { holder_pid: number | null; holder_host: string | null; holder_since: Date | null }
          | undefined;
        const who =
          row?.holder_pid == null
            ? 'another process'
            : `pid ${row.holder_pid} on ${row.holder_host} (since ${row.holder_since?.toISOString()})`;
        throw new KestrelError(
          'JOURNAL_LOCKED',
          `owner ${options.owner} of journal ${location.display} is held by ${who}; each process needs its own owner (?owner=NAME)`,
          { field: 'owner', value: options.owner },
        );
      }
      const codec = new EventCodec();
      const instruments = await client.query(`SELECT spec FROM ${names.instruments}`);
      for (const row of instruments.rows as Array<{ spec: string }>)
        codec.load(JSON.parse(row.spec) as InstrumentSpec);
      const check = new SequenceCheck(FORMAT, (body) => codec.decode(body));
      let entries = 0;
      for await (const row of readRows(client, names.entries, options.owner))
        if (check.record(row) !== undefined) entries += 1;
      // Transactions leave no torn record here: any bad one is damage
      const damage = check.damage();
      if (damage.length > 0)
        throw damaged(`journal ${location.display} (owner ${options.owner})`, damage);
      await client.query('BEGIN');
      const { owner, tookOverFrom } = await claimOwner(client, names, options).catch(
        async (error: unknown) => {
          await client.query('ROLLBACK');
          throw error;
        },
      );
      await claimKeys(client, location, options).catch(async (error: unknown) => {
        await client.query('ROLLBACK');
        throw error;
      });
      await client.query('COMMIT');
      return new PgJournal({
        location,
        client,
        identity,
        owner,
        codec,
        opening: {
          entries,
          damage,
          owner: owner.owner,
          clientIdTag: owner.instanceTag,
          tookOverFrom,
          slot: owner.slot,
        },
        last: check.highest,
        giveUpAfterMs: options.giveUpAfterMs,
      });
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
  }

  append(event: AccountEvent): number {
    if (this.closed)
      throw new KestrelError('INVALID_CONFIG', `journal ${this.location.display} is closed`);
    this.last += 1;
    const body = this.codec.encode(event);
    for (const instrument of this.codec.takeFresh())
      this.unwrittenInstruments.push(instrumentSpec(instrument));
    this.queue.push({ seq: this.last, body, crc: recordChecksum(FORMAT, this.last, body) });
    return this.last;
  }

  /**
   * Writes a batch in one transaction. After a lost connection it reconnects, takes the
   * owner's lock again (refusing if another process took the owner meanwhile) and first looks
   * whether the batch's commit went through before the connection died.
   */
  private async writeBatch(batch: readonly PendingRecord[]): Promise<void> {
    const client = this.client ?? (await this.reconnect());
    const first = batch[0]?.seq ?? 0;
    const instruments = this.unwrittenInstruments;
    try {
      await client.query('BEGIN');
      const present = await client.query(
        `SELECT seq, crc FROM ${this.names.entries} WHERE owner = $1 AND seq >= $2 ORDER BY seq`,
        [this.owner.owner, first],
      );
      if (present.rows.length > 0) {
        // A commit whose answer was lost: it counts only if it holds exactly this batch
        const same =
          present.rows.length === batch.length &&
          (present.rows as Array<{ seq: string; crc: string }>).every(
            (row, i) => Number(row.seq) === batch[i]?.seq && Number(row.crc) === batch[i]?.crc,
          );
        await client.query('ROLLBACK');
        if (same) {
          this.unwrittenInstruments = this.unwrittenInstruments.slice(instruments.length);
          return;
        }
        throw new KestrelError(
          'JOURNAL_LOCKED',
          `owner ${this.owner.owner} of journal ${this.location.display} has entries from ${first} that this process did not write: another writer took the owner`,
        );
      }
      if (instruments.length > 0)
        await client.query(
          `INSERT INTO ${this.names.instruments} (key, spec) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (key) DO NOTHING`,
          [
            instruments.map((s) => `${s.exchange}:${s.symbol}`),
            instruments.map((s) => JSON.stringify(s)),
          ],
        );
      await client.query(
        `INSERT INTO ${this.names.entries} (owner, seq, body, crc) SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::bigint[])`,
        [
          this.owner.owner,
          batch.map((r) => r.seq),
          batch.map((r) => r.body),
          batch.map((r) => r.crc),
        ],
      );
      await client.query('COMMIT');
      this.unwrittenInstruments = this.unwrittenInstruments.slice(instruments.length);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        // The connection is gone: the next attempt opens a new one
        this.dropClient();
      });
      if ((error as { code?: unknown }).code === undefined || isConnectionError(error))
        this.dropClient();
      throw error;
    }
  }

  private dropClient(): void {
    const client = this.client;
    this.client = undefined;
    void client?.end().catch(() => {});
  }

  private async reconnect(): Promise<pg.Client> {
    const client = await connect(this.location);
    const locked = await client.query(`SELECT pg_try_advisory_lock(${LOCK}) AS ok`, [
      this.location.schema,
      this.owner.owner,
    ]);
    if (locked.rows[0]?.ok !== true) {
      await client.end().catch(() => {});
      throw new KestrelError(
        'JOURNAL_LOCKED',
        `owner ${this.owner.owner} of journal ${this.location.display} was taken by another process while the connection was down`,
      );
    }
    await client.query(
      `UPDATE ${this.names.owners} SET holder_pid = $2, holder_host = $3, holder_since = now() WHERE owner = $1`,
      [this.owner.owner, process.pid, hostname()],
    );
    this.client = client;
    return client;
  }

  durable(): Promise<void> {
    return this.queue.durable();
  }

  get health(): JournalHealth {
    return this.queue.health;
  }

  backlog(): JournalBacklog {
    return this.queue.backlog();
  }

  onHealth(listener: (health: JournalHealth) => void): () => void {
    return this.queue.onHealth(listener);
  }

  /** The owner's valid entries, in order, read page by page */
  async *entries(): AsyncIterable<JournalEntry> {
    const client = this.client ?? (await this.reconnect());
    const check = new SequenceCheck(FORMAT, (body) => this.codec.decode(body));
    for await (const row of readRows(client, this.names.entries, this.owner.owner)) {
      if (row.seq > this.last) return;
      const entry = check.record(row);
      if (entry !== undefined) yield entry;
    }
  }

  /**
   * Every owner of the journal as it stands now (siblings that started since included); on
   * its own connection, so it never waits behind or disturbs the writer's.
   * @throws KestrelError NETWORK when the server cannot be reached
   */
  async owners(): Promise<JournalOwner[]> {
    const client = await connect(this.location);
    try {
      return await queryOwners(client, this.names);
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** Writes what is queued, releases the owner and disconnects */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.queue.close();
    } finally {
      const client = this.client;
      this.client = undefined;
      if (client !== undefined) {
        await client
          .query(
            `UPDATE ${this.names.owners} SET holder_pid = NULL, holder_host = NULL, holder_since = NULL WHERE owner = $1 AND holder_pid = $2`,
            [this.owner.owner, process.pid],
          )
          .catch(() => {});
        await client.end().catch(() => {});
      }
    }
  }
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    typeof code !== 'string' ||
    code.startsWith('08') ||
    code === '57P01' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE'
  );
}

/** An owner's rows in sequence order, fetched a page at a time */
async function* readRows(
  client: pg.Client,
  entries: string,
  owner: string,
): AsyncGenerator<{ seq: number; body: unknown; crc: unknown }> {
  let after = 0;
  for (;;) {
    const page = await client.query(
      `SELECT seq, body, crc FROM ${entries} WHERE owner = $1 AND seq > $2 ORDER BY seq LIMIT ${PAGE}`,
      [owner, after],
    );
    for (const row of page.rows as Array<{ seq: string; body: string; crc: string }>) {
      after = Number(row.seq);
      yield { seq: after, body: row.body, crc: Number(row.crc) };
    }
    if (page.rows.length < PAGE) return;
  }
}

/**
 * Creates the journal's tables on a fresh database, or checks an existing journal belongs to
 * the account; one process at a time (a transaction-scoped advisory lock)
 */
async function ensureSchema(
  client: pg.Client,
  location: PostgresLocation,
  wanted: JournalIdentity,
): Promise<JournalIdentity> {
  const names = tables(location.schema);
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('kestrel-journal'), hashtext($1))`, [
      location.schema,
    ]);
    const exists = await client.query(
      `SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'meta'`,
      [location.schema],
    );
    if (exists.rows.length > 0) {
      const meta = new Map(
        (
          (await client.query(`SELECT key, value FROM ${names.meta}`)).rows as Array<{
            key: string;
            value: string;
          }>
        ).map((r) => [r.key, r.value]),
      );
      const exchange = meta.get('exchange') ?? '';
      const account = meta.get('account') ?? '';
      if (wanted.exchange !== '*' && (exchange !== wanted.exchange || account !== wanted.account)) {
        await client.query('ROLLBACK');
        throw new KestrelError(
          'INVALID_CONFIG',
          `journal ${location.display} is the journal of ${exchange} account ${account}, not of ${wanted.exchange} account ${wanted.account}`,
          { field: 'journal', value: location.display },
        );
      }
      // Journals from before owners had slots and claimed keys get them (writers only: readers
      // change nothing); their owners get a slot when claimed
      if (wanted.exchange !== '*') await client.query(sharingSchema(names));
      await client.query('COMMIT');
      return { exchange, account };
    }
    if (wanted.exchange === '*') {
      await client.query('ROLLBACK');
      throw new KestrelError('INVALID_CONFIG', `there is no journal at ${location.display}`, {
        field: 'journal',
        value: location.display,
      });
    }
    await client.query(`
      CREATE SCHEMA IF NOT EXISTS ${names.schema};
      CREATE TABLE ${names.meta} (key text PRIMARY KEY, value text NOT NULL);
      CREATE TABLE ${names.owners} (
        owner text PRIMARY KEY,
        client_id_prefix text NOT NULL,
        instance_tag text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        holder_pid integer,
        holder_host text,
        holder_since timestamptz
      );
      CREATE TABLE ${names.instruments} (key text PRIMARY KEY, spec text NOT NULL);
      ${sharingSchema(names)};
      CREATE TABLE ${names.entries} (
        owner text NOT NULL REFERENCES ${names.owners} (owner),
        seq bigint NOT NULL CHECK (seq > 0),
        body text NOT NULL,
        crc bigint NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (owner, seq)
      );
    `);
    await client.query(
      `INSERT INTO ${names.meta} (key, value) VALUES ('format', $1), ('exchange', $2), ('account', $3), ('created', $4)`,
      [String(FORMAT), wanted.exchange, wanted.account, new Date().toISOString()],
    );
    await client.query('COMMIT');
    return wanted;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** What owners sharing an account need beyond a journal's first format: slots and claimed keys */
function sharingSchema(names: ReturnType<typeof tables>): string {
  return `ALTER TABLE ${names.owners} ADD COLUMN IF NOT EXISTS slot smallint UNIQUE CHECK (slot BETWEEN 1 AND ${MAX_OWNER_SLOT});
    CREATE TABLE IF NOT EXISTS ${names.keys} (key text PRIMARY KEY, owner text NOT NULL REFERENCES ${names.owners} (owner))`;
}

/**
 * Claims the credentials the owner must not share with a live sibling (in the open's
 * transaction, so a refusal writes nothing). A key whose owner's lock is free belonged to a
 * process that is gone: it is taken over.
 * @throws KestrelError JOURNAL_LOCKED naming the key and the live owner holding it
 */
async function claimKeys(
  client: pg.Client,
  location: PostgresLocation,
  options: PgJournalOptions,
): Promise<void> {
  const keys = options.keys ?? [];
  if (keys.length === 0) return;
  const names = tables(location.schema);
  await client.query(
    `INSERT INTO ${names.keys} (key, owner) SELECT unnest($1::text[]), $2 ON CONFLICT (key) DO NOTHING`,
    [keys, options.owner],
  );
  const held = await client.query(
    `SELECT k.key, k.owner, o.holder_pid, o.holder_host FROM ${names.keys} k JOIN ${names.owners} o USING (owner)
     WHERE k.key = ANY($1) AND k.owner <> $2 ORDER BY k.key FOR UPDATE OF k`,
    [keys, options.owner],
  );
  for (const row of held.rows as Array<{
    key: string;
    owner: string;
    holder_pid: number | null;
    holder_host: string | null;
  }>) {
    const free = await client.query(`SELECT pg_try_advisory_lock(${LOCK}) AS ok`, [
      location.schema,
      row.owner,
    ]);
    if (free.rows[0]?.ok === true) {
      await client.query(`SELECT pg_advisory_unlock(${LOCK})`, [location.schema, row.owner]);
      await client.query(`UPDATE ${names.keys} SET owner = $2 WHERE key = $1`, [
        row.key,
        options.owner,
      ]);
      continue;
    }
    throw new KestrelError(
      'JOURNAL_LOCKED',
      `${row.key} is used by owner ${row.owner} of journal ${location.display} (pid ${row.holder_pid} on ${row.holder_host}); each process needs its own`,
      { field: 'key', value: row.key },
    );
  }
}

/** The lowest slot no owner holds, as SQL (NULL when all are taken) */
function freeSlot(names: ReturnType<typeof tables>): string {
  return `(SELECT min(s) FROM generate_series(1, ${MAX_OWNER_SLOT}) s WHERE s NOT IN (SELECT slot FROM ${names.owners} WHERE slot IS NOT NULL))`;
}

function noFreeSlot(options: PgJournalOptions): KestrelError {
  return new KestrelError(
    'INVALID_CONFIG',
    `journal ${options.location.display} has ${MAX_OWNER_SLOT} owners already; owner ${options.owner} cannot be added`,
    { field: 'owner', value: options.owner },
  );
}

/**
 * Records this process as the owner's holder; a new owner gets its instance tag and slot here.
 * Both are unique in the journal, and so is the head of its clientIds (prefix and tag), so no
 * two owners' ids can ever be taken for one another.
 */
async function claimOwner(
  client: pg.Client,
  names: ReturnType<typeof tables>,
  options: PgJournalOptions,
): Promise<{ owner: JournalOwner; tookOverFrom: string | undefined }> {
  const holder = `pid ${process.pid} on ${hostname()}`;
  const known = await client.query(
    `SELECT instance_tag, slot, holder_pid, holder_host, holder_since FROM ${names.owners} WHERE owner = $1`,
    [options.owner],
  );
  const row = known.rows[0] as
    | {
        instance_tag: string;
        slot: number | null;
        holder_pid: number | null;
        holder_host: string | null;
        holder_since: Date | null;
      }
    | undefined;
  if (row !== undefined) {
    const updated = await client.query(
      `UPDATE ${names.owners} SET holder_pid = $2, holder_host = $3, holder_since = now(),
         slot = coalesce(slot, ${freeSlot(names)}) WHERE owner = $1 RETURNING slot`,
      [options.owner, process.pid, hostname()],
    );
    const slot = (updated.rows[0] as { slot: number | null } | undefined)?.slot;
    if (slot == null) throw noFreeSlot(options);
    return {
      owner: {
        owner: options.owner,
        clientIdPrefix: options.owner,
        instanceTag: row.instance_tag,
        slot,
        holder,
      },
      // The lock was free although a holder is named: that process died holding it
      tookOverFrom:
        row.holder_pid === null
          ? undefined
          : `pid ${row.holder_pid} on ${row.holder_host} (since ${row.holder_since?.toISOString()})`,
    };
  }
  // A new owner: its instance tag (and the head of its ids) must be unique in the journal
  let tag = options.clientIdTag;
  for (let attempt = 0; ; attempt++) {
    const inserted = await client.query(
      `INSERT INTO ${names.owners} (owner, client_id_prefix, instance_tag, slot, holder_pid, holder_host, holder_since)
       SELECT $1, $1, $2, ${freeSlot(names)}, $3, $4, now()
       WHERE NOT EXISTS (SELECT 1 FROM ${names.owners} WHERE client_id_prefix || instance_tag = $1 || $2)
       ON CONFLICT DO NOTHING RETURNING slot`,
      [options.owner, tag, process.pid, hostname()],
    );
    const slot = (inserted.rows[0] as { slot: number | null } | undefined)?.slot;
    if (inserted.rowCount === 1) {
      if (slot == null) throw noFreeSlot(options);
      return {
        owner: {
          owner: options.owner,
          clientIdPrefix: options.owner,
          instanceTag: tag,
          slot,
          holder,
        },
        tookOverFrom: undefined,
      };
    }
    if (attempt > 20) throw new KestrelError('INVALID_CONFIG', 'no free instance tag found');
    tag = `${tag.slice(0, 6)}${attempt.toString(36)}`;
  }
}

/** The owners recorded in a journal */
async function queryOwners(
  client: pg.Client,
  names: ReturnType<typeof tables>,
): Promise<JournalOwner[]> {
  const rows = await client.query(
    // Every column: a journal from before slots has no slot column until a writer opens it
    `SELECT * FROM ${names.owners} ORDER BY owner`,
  );
  return (
    rows.rows as Array<{
      owner: string;
      client_id_prefix: string;
      instance_tag: string;
      slot?: number | null;
      holder_pid: number | null;
      holder_host: string | null;
    }>
  ).map((r) => ({
    owner: r.owner,
    clientIdPrefix: r.client_id_prefix,
    instanceTag: r.instance_tag,
    slot: r.slot ?? 0,
    holder: r.holder_pid === null ? undefined : `pid ${r.holder_pid} on ${r.holder_host}`,
  }));
}

/** What a reader gets from a shared journal: each owner's valid entries and damage */
export interface PgJournalContents {
  readonly identity: JournalIdentity;
  readonly owners: ReadonlyArray<{
    readonly owner: JournalOwner;
    readonly entries: readonly JournalEntry[];
    readonly damage: readonly JournalDamage[];
  }>;
}

/**
 * Reads every owner's entries of a shared journal, without writing or locking anything.
 * @throws KestrelError as `PgJournal.open`, and INVALID_CONFIG when there is no journal there
 */
export async function readPgJournal(location: PostgresLocation): Promise<PgJournalContents> {
  const client = await connect(location);
  try {
    const identity = await ensureSchema(client, location, { exchange: '*', account: '*' });
    const names = tables(location.schema);
    const codec = new EventCodec();
    for (const row of (await client.query(`SELECT spec FROM ${names.instruments}`)).rows as Array<{
      spec: string;
    }>)
      codec.load(JSON.parse(row.spec) as InstrumentSpec);
    const owners = await queryOwners(client, names);
    const result = [];
    for (const owner of owners) {
      const check = new SequenceCheck(FORMAT, (body) => codec.decode(body));
      const entries: JournalEntry[] = [];
      for await (const row of readRows(client, names.entries, owner.owner)) {
        const entry = check.record(row);
        if (entry !== undefined) entries.push(entry);
      }
      result.push({ owner, entries, damage: check.damage() });
    }
    return { identity, owners: result };
  } finally {
    await client.end().catch(() => {});
  }
}
