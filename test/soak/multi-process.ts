/**
 * The two-process soak: several Kestrel processes (owners k0, k1, ...) run the soak strategy on
 * one emulator account and one PostgreSQL journal, each SIGKILLed at random moments and
 * restarted while the emulator injects faults. At the end each one settles, and the journal
 * must equal the venue's ledger: every venue order known to exactly the owner it belongs to,
 * with the venue's status and fill; no order lost or left pending; every fill booked once by its
 * order's owner; no clientId changed; and no order of one process touched by another (no
 * intent, cancel or adoption of a sibling's order in any owner's journal).
 *
 * On Binance USDⓈ-M an order's owner is the head of the clientId the venue carries. On Lighter
 * the venue carries a client order index, whose owner slot names the owner; each process signs
 * with API keys of its own on the one account, two each (k0 keys 3 and 4, k1 keys 5 and 6:
 * nonces belong to a key, and each process spreads its transactions over its two), and the
 * nonce-race fault hits one key at a time.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRandom } from '../../src/core/random.ts';
import type { JournalOwner } from '../../src/journal/journal.ts';
import { parseJournalLocation } from '../../src/journal/location.ts';
import { readPgJournal } from '../../src/journal/pg-journal.ts';
import { loadJournalView } from '../../src/runtime/journal-view.ts';
import { ownerSlotOfIndex } from '../../src/venues/lighter/client-order-index.ts';
import type { SoakReport } from './soak.ts';
import { fault, orderMismatches, Progress, runKestrel, startVenue } from './soak.ts';

/** The venues the soak runs several processes on */
export type MultiSoakVenue = 'binanceusdm' | 'lighter';

/** The first Lighter API key index; process i signs with this + 2i and the one after it */
const FIRST_LIGHTER_KEY = 3;

export interface MultiSoakOptions {
  /** Default binanceusdm */
  readonly venue?: MultiSoakVenue;
  /** How many processes share the account; default 2 */
  readonly processes?: number;
  /** A PostgreSQL URL (its schema and owner parameters are set per process) */
  readonly journal: string;
  /** Go on until the venue has at least this many orders (all processes) */
  readonly orders: number;
  /** Go on until processes have been SIGKILLed at least this many times (all processes) */
  readonly kills: number;
  /** And until at least this many faults were injected; default 0 */
  readonly faults?: number;
  readonly minDurationMs?: number;
  readonly stallMs?: number;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

export interface MultiSoakReport extends Omit<SoakReport, 'venue'> {
  readonly venue: MultiSoakVenue;
  readonly processes: number;
  /** Orders, cancels or adoptions in one owner's journal of an order another owner placed */
  readonly touchedAcross: number;
  /**
   * On Lighter: the transactions the venue took from each API key (its next nonce less the
   * nonce-race faults on it), by owner and key index
   */
  readonly transactionsByKey: Readonly<Record<string, Readonly<Record<number, number>>>>;
}

/** Runs the soak with several processes and returns its figures */
export async function runMultiProcessSoak(options: MultiSoakOptions): Promise<MultiSoakReport> {
  const seed = options.seed ?? 1;
  const random = createRandom(seed);
  const log = options.log ?? (() => {});
  const progress = new Progress(options.stallMs ?? 180_000);
  const processes = options.processes ?? 2;
  const owners = Array.from({ length: processes }, (_, i) => `k${i}`);
  const schema = `soak${seed}${Date.now() % 100_000}`;
  const url = new URL(options.journal);
  url.searchParams.set('schema', schema);
  const journalOf = (owner: string) => {
    const one = new URL(url);
    one.searchParams.set('owner', owner);
    return one.toString();
  };
  const name = options.venue ?? 'binanceusdm';
  const venue = await startVenue(name, seed);
  const lighter = name === 'lighter';
  // On Lighter each process its own API key of the one account, the emulator's well-known keys
  const keysOf = (owner: string) => {
    const first = FIRST_LIGHTER_KEY + 2 * owners.indexOf(owner);
    return [first, first + 1];
  };
  const envOf = (owner: string): Record<string, string> =>
    lighter ? { ...venue.env, LIGHTER_API_KEY_INDEX: keysOf(owner).join(',') } : venue.env;
  if (lighter)
    for (const key of owners.flatMap(keysOf))
      if (key !== FIRST_LIGHTER_KEY) await registerKey(venue.url, key);
  const faultMenu = lighter
    ? [
        ...venue.faults.filter(([operation]) => operation !== 'nonce-race'),
        ...owners
          .flatMap(keysOf)
          .map((key) => ['nonce-race', { steps: 1, apiKeyIndex: key }] as const),
      ]
    : venue.faults;
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-soak-multi-'));
  const args = (owner: string) => [
    '--venue',
    name,
    '--url',
    venue.url,
    '--journal',
    journalOf(owner),
    '--symbol',
    venue.symbol,
    '--out',
    join(dir, owner),
    '--quiet',
    '--param',
    `seed=${seed + owners.indexOf(owner)}`,
  ];
  const started = Date.now();
  let runs = 0;
  let kills = 0;
  let faults = 0;
  const faultsByKind: Record<string, number> = {};
  /** Nonce-race faults by API key: each moved the key's nonce without a transaction */
  const races = new Map<number, number>();
  const placed = () => venue.orders().length;
  const enough = () =>
    kills >= options.kills &&
    faults >= (options.faults ?? 0) &&
    placed() >= options.orders &&
    venue.fills().length > 0 &&
    Date.now() - started >= (options.minDurationMs ?? 0);
  const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 25));
  const start = (owner: string) => {
    runs += 1;
    return { owner, child: runKestrel([...args(owner), '--duration', '1h'], dir, envOf(owner)) };
  };
  const running = owners.map(start);
  try {
    // Each process is killed once it trades and the venue has a few more orders, then restarted
    let nextKillAt = placed() + 2 + random.integer(0, 8);
    let nextFaultAt = placed() + random.integer(1, 4);
    while (!enough()) {
      const state = () =>
        `${running.map((r) => `${r.owner} ${r.child.ready() ? 'ready' : 'starting'}`).join(', ')}; ${placed()} orders at the venue, ${kills} kills`;
      for (const [i, run] of running.entries())
        if (run.child.exited()) {
          const exit = await run.child.done;
          log(`${run.owner} ended on its own (code ${exit.code}): ${exit.stderr.slice(-2000)}`);
          running[i] = start(run.owner);
        }
      if (running.every((r) => r.child.ready()) && placed() >= nextFaultAt) {
        const [operation, body] = faultMenu[random.integer(0, faultMenu.length - 1)] ?? [
          'drop-connections',
          {},
        ];
        await fault(venue.url, operation, body);
        faults += 1;
        faultsByKind[operation] = (faultsByKind[operation] ?? 0) + 1;
        if (operation === 'nonce-race' && typeof body['apiKeyIndex'] === 'number')
          races.set(body['apiKeyIndex'], (races.get(body['apiKeyIndex']) ?? 0) + 1);
        nextFaultAt = placed() + random.integer(1, 4);
      }
      const victim = random.integer(0, processes - 1);
      const run = running[victim];
      // Once the kills asked for are done, none more until the faults are too: faults come only
      // while every process is up, which kills keep rare
      const killsDue = kills < options.kills || faults >= (options.faults ?? 0);
      if (killsDue && run?.child.ready() && placed() >= nextKillAt) {
        run.child.kill();
        await run.child.done;
        kills += 1;
        log(`${state()}: ${run.owner} killed`);
        running[victim] = start(run.owner);
        nextKillAt = placed() + 2 + random.integer(0, 8);
        await fault(venue.url, 'reset', {});
      }
      progress.note(state());
      progress.check(
        () => `${state()}; stderr: ${running.map((r) => r.child.stderr().slice(-1000)).join('\n')}`,
      );
      await pause();
    }
    for (const run of running) {
      run.child.kill();
      await run.child.done;
      kills += 1;
    }
    await fault(venue.url, 'reset', {});
    // Settling: every owner at once (each cancels only its own), then the first again, so every
    // view ends on the venue's last word
    const settle = async (owner: string) => {
      runs += 1;
      const last = runKestrel(
        [...args(owner), '--param', 'mode=settle', '--duration', `${venue.settleMs}ms`],
        dir,
        envOf(owner),
      );
      const exit = await last.done;
      if (exit.code !== 0)
        throw new Error(
          `the settling run of ${owner} failed (code ${exit.code}): ${exit.stderr.slice(-4000)}`,
        );
    };
    await Promise.all(owners.map(settle));
    await settle(owners[0] ?? 'k0');
    const transactionsByKey: Record<string, Record<number, number>> = {};
    if (lighter) {
      const nonces = await keyNonces(venue.url);
      for (const owner of owners)
        transactionsByKey[owner] = Object.fromEntries(
          keysOf(owner).map((key) => [key, (nonces.get(key) ?? 0) - (races.get(key) ?? 0)]),
        );
    }
    return await compare(name, venue, journalOf(owners[0] ?? 'k0'), {
      processes,
      transactionsByKey,
      seconds: (Date.now() - started) / 1000,
      runs,
      kills,
      faults,
      faultsByKind,
    });
  } finally {
    for (const run of running) run.child.kill();
    await venue.close();
  }
}

/** Each Lighter API key's next nonce on the emulator's account */
async function keyNonces(url: string): Promise<Map<number, number>> {
  const response = await fetch(`${url}/_kestrel/api-keys`);
  const body = (await response.json()) as {
    apiKeys: Array<{ apiKeyIndex: number; nonce: number }>;
  };
  return new Map(body.apiKeys.map((key) => [key.apiKeyIndex, key.nonce]));
}

/** Registers a Lighter API key (its well-known local key pair) on the emulator's account */
async function registerKey(url: string, apiKeyIndex: number): Promise<void> {
  const response = await fetch(`${url}/_kestrel/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiKeyIndex }),
  });
  if (!response.ok)
    throw new Error(
      `API key ${apiKeyIndex} refused: HTTP ${response.status} ${await response.text()}`,
    );
}

/**
 * Whose a venue order's key is: on Binance the owner whose clientId head it starts with, on
 * Lighter the owner whose slot its client order index carries
 */
function ownerFinder(
  name: MultiSoakVenue,
  owners: readonly JournalOwner[],
): (key: string | undefined) => string | undefined {
  if (name === 'lighter') {
    const bySlot = new Map(owners.map((o) => [o.slot, o.owner]));
    return (key) => {
      const slot = key === undefined ? undefined : ownerSlotOfIndex(Number(key));
      return slot === undefined ? undefined : bySlot.get(slot);
    };
  }
  const heads = owners.map((o) => [o.owner, `${o.clientIdPrefix}${o.instanceTag}-`] as const);
  return (key) =>
    key === undefined ? undefined : heads.find(([, head]) => key.startsWith(head))?.[0];
}

async function compare(
  name: MultiSoakVenue,
  venue: Awaited<ReturnType<typeof startVenue>>,
  journal: string,
  figures: Pick<
    MultiSoakReport,
    'processes' | 'seconds' | 'runs' | 'kills' | 'faults' | 'faultsByKind' | 'transactionsByKey'
  >,
): Promise<MultiSoakReport> {
  const view = await loadJournalView(journal, process.cwd());
  const contents = await readPgJournal(
    parseJournalLocation(journal) as Parameters<typeof readPgJournal>[0],
  );
  const mismatches: string[] = [];
  const heads = new Map(
    contents.owners.map((o) => [o.owner.owner, `${o.owner.clientIdPrefix}${o.owner.instanceTag}-`]),
  );
  const ownerOf = ownerFinder(
    'binanceusdm',
    contents.owners.map((o) => o.owner),
  );
  const ownerOfKey = ownerFinder(
    name,
    contents.owners.map((o) => o.owner),
  );
  /** The key the venue knows an order by: its clientId, or on Lighter its client order index */
  const venueKey = (order: { clientId: string }): string | undefined =>
    name === 'lighter'
      ? (order as { correlationKey?: string | undefined }).correlationKey
      : order.clientId;
  const onSymbol = (instrument: { venueSymbol: string; symbol: string }) =>
    instrument.venueSymbol === venue.symbol || instrument.symbol === venue.symbol;

  // Every venue order is known to its owner, with the venue's status and fill
  const ledger = venue.orders();
  let orders = 0;
  let lost = 0;
  let neverSent = 0;
  let declaredLost = 0;
  let fills = 0;
  for (const order of ledger) {
    const owner = ownerOfKey(order.key);
    const known = view.owners
      .find((o) => o.owner === owner)
      ?.orders.find((o) => venueKey(o) === order.key);
    // Lost: an order at the venue that its owner does not know, or gave up on
    if (owner === undefined || known === undefined) {
      lost += 1;
      mismatches.push(`venue order ${order.venueOrderId} (${order.key}) is unknown to its owner`);
      continue;
    }
    if (known.status === 'LOST') lost += 1;
    mismatches.push(...orderMismatches(order, known));
  }
  const atVenue = new Set(ledger.map((o) => o.key));
  const isAtVenue = (order: { clientId: string }) => {
    const key = venueKey(order);
    return key !== undefined && atVenue.has(key);
  };
  const venueFills = venue.fills();
  let touchedAcross = 0;
  for (const owner of view.owners) {
    const head = heads.get(owner.owner) ?? '';
    for (const order of owner.orders.filter((o) => onSymbol(o.instrument))) {
      orders += 1;
      if (!order.clientId.startsWith(head)) {
        // An adoption: of a sibling's order, it is a touch across processes
        const adopted = ledger.find((l) => l.venueOrderId === order.venueOrderId);
        const other = adopted === undefined ? undefined : ownerOfKey(adopted.key);
        if (other !== undefined) {
          touchedAcross += 1;
          mismatches.push(`${owner.owner} adopted ${adopted?.key}, an order of ${other}`);
        }
        continue;
      }
      if (order.status === 'LOST') {
        // LOST and absent from the venue is the true verdict (never sent, or refused with its
        // answer lost to a fault); LOST and at the venue is a lost order (counted above)
        const key = venueKey(order);
        if (isAtVenue(order))
          mismatches.push(`order ${order.clientId} declared LOST but the venue has it`);
        else if (key !== undefined && venue.placings?.(key).length === 0) neverSent += 1;
        else declaredLost += 1;
      }
      if (order.status === 'PENDING' || order.status === 'PENDING_CANCEL')
        mismatches.push(`order ${order.clientId} still ${order.status} after settling`);
      if ((order.status === 'OPEN' || order.status === 'PARTIALLY_FILLED') && !isAtVenue(order))
        mismatches.push(
          `order ${order.clientId}: ${owner.owner} ${order.status}, the venue does not list it`,
        );
    }
    // Each venue fill of the owner's orders, booked once by the owner
    const booked = new Map<string, number>();
    for (const fill of owner.fills)
      if (fill.clientId?.startsWith(head))
        booked.set(fill.tradeId, (booked.get(fill.tradeId) ?? 0) + 1);
    for (const fill of venueFills.filter((f) => ownerOfKey(f.key) === owner.owner)) {
      fills += 1;
      const times = booked.get(fill.tradeId) ?? 0;
      if (times !== 1)
        mismatches.push(`${owner.owner}: venue fill ${fill.tradeId} booked ${times} times`);
      booked.delete(fill.tradeId);
    }
    for (const tradeId of booked.keys())
      mismatches.push(`${owner.owner}: fill ${tradeId} the venue never made for it`);
  }
  // Intents and cancels: each owner's only for its own clientIds, each intent an order
  let clientIdChanges = 0;
  for (const owner of contents.owners) {
    const head = `${owner.owner.clientIdPrefix}${owner.owner.instanceTag}-`;
    const orders = view.owners.find((o) => o.owner === owner.owner.owner)?.orders ?? [];
    for (const { event } of owner.entries) {
      if (event.type === 'orderRequested' && event.origin === undefined) {
        if (!event.request.clientId.startsWith(head)) {
          touchedAcross += 1;
          mismatches.push(`${owner.owner.owner} placed ${event.request.clientId}, not its own id`);
        }
        const order = orders.find((o) => o.clientId === event.request.clientId);
        if (
          order === undefined ||
          order.side !== event.request.side ||
          order.quantity !== event.request.quantity
        ) {
          clientIdChanges += 1;
          mismatches.push(`intent ${event.request.clientId} has no matching order`);
        }
      }
      if (event.type === 'cancelRequested' && ownerOf(event.clientId) !== owner.owner.owner) {
        const other = ownerOf(event.clientId);
        if (other !== undefined) {
          touchedAcross += 1;
          mismatches.push(`${owner.owner.owner} canceled ${event.clientId}, an order of ${other}`);
        }
      }
    }
  }
  // The account's position and balances: every owner's view ends on the venue's
  const last = view.owners.find((o) => o.owner === 'k0');
  const position = last?.positions.find((p) => onSymbol(p.instrument))?.quantity ?? 0;
  if (position !== venue.position())
    mismatches.push(`position ${position} in k0's view, ${venue.position()} at the venue`);
  for (const balance of venue.balances()) {
    const mine = last?.balances.find((b) => b.currency === balance.currency);
    if (mine === undefined || Math.abs(mine.total - balance.total) > venue.balanceStep)
      mismatches.push(
        `balance ${balance.currency}: ${mine?.total} here, ${balance.total} at the venue`,
      );
  }
  return {
    venue: name,
    ...figures,
    recoveries: figures.runs - figures.processes,
    orders,
    venueOrders: ledger.length,
    fills,
    lost,
    declaredLost: neverSent + declaredLost,
    neverSent,
    clientIdChanges,
    touchedAcross,
    mismatches,
  };
}

/** The figures as lines, for the test output and `npm run soak -- --processes 2` */
export function formatMultiSoakReport(report: MultiSoakReport): string {
  return [
    `soak ${report.venue}, ${report.processes} processes on one account and one PostgreSQL journal: ${report.seconds.toFixed(0)} s, ${report.runs} runs, ${report.kills} SIGKILLs, ${report.recoveries} recoveries`,
    `  faults injected ${report.faults}: ${Object.entries(report.faultsByKind)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  orders ${report.orders} (venue has ${report.venueOrders}), fills ${report.fills}, lost ${report.lost}, declared LOST ${report.declaredLost ?? 0} (the venue does not have them; never sent ${report.neverSent ?? 'n/a'}), clientId changes ${report.clientIdChanges}, touched across processes ${report.touchedAcross}`,
    ...Object.entries(report.transactionsByKey).map(
      ([owner, keys]) =>
        `  ${owner}: transactions by API key ${Object.entries(keys)
          .map(([key, count]) => `${key}: ${count}`)
          .join(', ')}`,
    ),
    `  mismatches ${report.mismatches.length}${report.mismatches.length === 0 ? '' : `:\n    ${report.mismatches.slice(0, 30).join('\n    ')}`}`,
  ].join('\n');
}
