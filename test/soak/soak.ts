/**
 * The soak: Kestrel trades continuously against a local venue emulator while the emulator
 * injects faults (dropped sockets, refused reconnects, 5xx and lost replies on submits the
 * venue executes anyway, duplicated, reordered and lost pushes) and the Kestrel process is
 * killed with SIGKILL at random moments and restarted on the same journal. At the end a settling
 * run reconciles, and Kestrel's orders, fills, positions and balances must equal the venue's
 * ledger exactly.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Balance } from '../../src/core/balance.ts';
import type { Instrument } from '../../src/core/instrument.ts';
import { money } from '../../src/core/numeric.ts';
import type { OrderRequest } from '../../src/core/order.ts';
import { createRandom } from '../../src/core/random.ts';
import { defaultInstruments } from '../../src/emulators/binance-usdm/defaults.ts';
import { startBinanceUsdmEmulator } from '../../src/emulators/binance-usdm/emulator.ts';
import { defaultMarkets } from '../../src/emulators/bybit/defaults.ts';
import { startBybitEmulator } from '../../src/emulators/bybit/emulator.ts';
import { startLighterEmulator } from '../../src/emulators/lighter/emulator.ts';
import { TX } from '../../src/emulators/lighter/protocol.ts';
import { SqliteJournal } from '../../src/journal/sqlite-journal.ts';
import { readJournal } from '../../src/runtime/journal-view.ts';
import { createSyntheticMarket } from '../../src/runtime/synthetic-market.ts';
import { KESTREL_BIN, ROOT } from '../helpers/cli.ts';
import { SOAK_READY } from './soak-strategy.ts';

const STRATEGY = join(ROOT, 'test', 'soak', 'soak-strategy.ts');

export type SoakVenueName = 'binanceusdm' | 'bybit' | 'lighter';

export interface SoakOptions {
  readonly venue: SoakVenueName;
  /** Go on until the venue has at least this many of our orders (across all runs) */
  readonly orders: number;
  /** Go on until the Kestrel process has been SIGKILLed at least this many times */
  readonly kills: number;
  /** Go on at least this long, ms (the long soak); default 0 */
  readonly minDurationMs?: number;
  /**
   * Fail when nothing moves for this long, ms: no child got ready and no new order reached the
   * venue. Generous, as it is the only wall-clock bound; default 180 000
   */
  readonly stallMs?: number;
  readonly seed?: number;
  /** Print progress lines */
  readonly log?: (line: string) => void;
}

/** A venue order, named the way Kestrel can match it */
export interface LedgerOrder {
  /** Our clientId (Binance, Bybit's orderLinkId) or correlation key (Lighter) */
  readonly key: string;
  readonly venueOrderId: string;
  readonly status: 'OPEN' | 'FILLED' | 'CANCELED' | 'OTHER';
  readonly filled: number;
}

interface LedgerFill {
  readonly tradeId: string;
  readonly key: string | undefined;
  readonly quantity: number;
  readonly price: number;
}

export interface SoakVenue {
  readonly url: string;
  readonly symbol: string;
  orders(): LedgerOrder[];
  fills(): LedgerFill[];
  position(): number;
  balances(): Balance[];
  /** Environment for the Kestrel process */
  readonly env: Readonly<Record<string, string>>;
  /** How long the settling run needs to settle every order left unanswered by a kill */
  readonly settleMs: number;
  /** The venue's balance precision: its wire rounds balances to this */
  readonly balanceStep: number;
  /** Faults this venue can be told, as [operation, body] */
  readonly faults: ReadonlyArray<readonly [string, Record<string, unknown>]>;
  /**
   * The requests placing the order (naming its venue key: the clientId, or Lighter's client order
   * index) that reached the venue, with their answers: an order declared LOST that no such
   * request named was never sent
   */
  placings?(key: string): string[];
  /**
   * The cancel transactions the venue took (queued or executed) naming the order with this key:
   * for an order left PENDING_CANCEL, whether its cancel ever arrived
   */
  cancelsTaken?(key: string): number;
  close(): Promise<void>;
}

type Fault = readonly [string, Record<string, unknown>];

/**
 * The faults both ccxt emulators (Binance USDⓈ-M, Bybit) are told, with their own create and
 * cancel routes: a dropped user stream, refused reconnects, creates and cancels the venue executes
 * but answers with a 5xx, late answers, and duplicated, reordered and lost pushes; `extra` adds
 * a venue's own
 */
function ccxtEmulatorFaults(
  create: { readonly method: string; readonly path: string },
  cancel: { readonly method: string; readonly path: string },
  extra: readonly Fault[] = [],
): readonly Fault[] {
  return [
    ['drop-connections', { stream: 'user' }],
    ['refuse-connections', { durationMs: 1500, scope: 'ws' }],
    ['fail-requests', { status: 503, count: 2, ...create, when: 'after' }],
    ['fail-requests', { status: 502, count: 1, ...cancel, when: 'after' }],
    ['delay-responses', { ms: 1500, count: 2, when: 'after' }],
    ['duplicate-pushes', { count: 5 }],
    ['reorder-pushes', { count: 4 }],
    ['drop-pushes', { count: 3 }],
    ...extra,
  ];
}

/** The logged order-placing requests (one of `paths`, single or batch) naming `key`, as text */
function placingRequests(
  requests: readonly {
    readonly method: string;
    readonly path: string;
    readonly params: unknown;
    readonly status: number;
    readonly time: number;
  }[],
  paths: readonly string[],
  key: string,
): string[] {
  return requests
    .filter(
      (request) =>
        request.method === 'POST' &&
        paths.includes(request.path) &&
        JSON.stringify(request.params).includes(key),
    )
    .map((request) => `${request.path} at ${request.time}: HTTP ${request.status}`);
}

export interface SoakReport {
  readonly venue: SoakVenueName;
  readonly seconds: number;
  readonly runs: number;
  readonly kills: number;
  readonly faults: number;
  readonly faultsByKind: Readonly<Record<string, number>>;
  readonly recoveries: number;
  readonly orders: number;
  readonly venueOrders: number;
  readonly fills: number;
  /** Orders lost: at the venue, yet unknown to Kestrel or given up by it as LOST (each a mismatch) */
  readonly lost: number;
  /** Orders declared LOST that the venue does not have: LOST is their true verdict */
  readonly declaredLost?: number;
  /** Of those, the ones no placing request ever carried: killed between journal and send */
  readonly neverSent?: number;
  /**
   * The others, with their reason and the placing requests the venue answered (a fault replaced
   * the answer of a request the venue refused), where the emulator logs requests
   */
  readonly sentNotPlaced?: readonly string[];
  /** Orders whose clientId differs from the one their intent was journaled with */
  readonly clientIdChanges: number;
  readonly mismatches: readonly string[];
}

function feed(instruments: readonly Instrument[], seed: number) {
  return createSyntheticMarket({
    instruments,
    start: Date.now(),
    durationMs: 86_400_000,
    seed,
    quoteIntervalMs: 150,
    tradeIntervalMs: 300,
    volatility: 1,
  });
}

export async function startVenue(name: SoakVenueName, seed: number): Promise<SoakVenue> {
  if (name === 'binanceusdm') {
    const instruments = defaultInstruments();
    const emulator = await startBinanceUsdmEmulator({
      instruments,
      feed: feed(instruments, seed),
      seed,
    });
    const venueStatus = (status: string): LedgerOrder['status'] =>
      status === 'NEW' || status === 'PARTIALLY_FILLED'
        ? 'OPEN'
        : status === 'FILLED'
          ? 'FILLED'
          : status === 'CANCELED'
            ? 'CANCELED'
            : 'OTHER';
    return {
      url: emulator.url,
      symbol: 'BTCUSDT',
      orders: () =>
        emulator
          .orders()
          .filter((o) => o.instrument.symbol === 'BTCUSDT')
          .map((o) => ({
            key: o.clientId,
            venueOrderId: o.orderId,
            status: venueStatus(o.status),
            filled: o.filled,
          })),
      fills: () =>
        emulator
          .executions()
          .filter((e) => e.instrument.symbol === 'BTCUSDT')
          .map((e) => ({
            tradeId: String(e.id),
            key: e.clientId,
            quantity: e.quantity,
            price: e.price,
          })),
      position: () => emulator.venue.getPosition('BTCUSDT')?.quantity ?? 0,
      balances: () => emulator.venue.getBalances(),
      env: {},
      // An order whose submit was killed in flight is LOST after five status queries two seconds apart
      settleMs: 20_000,
      balanceStep: 1e-8,
      faults: ccxtEmulatorFaults(
        { method: 'POST', path: '/fapi/v1/order' },
        {
          method: 'DELETE',
          path: '/fapi/v1/order',
        },
      ),
      placings: (key) =>
        placingRequests(emulator.requests, ['/fapi/v1/order', '/fapi/v1/batchOrders'], key),
      close: () => emulator.close(),
    };
  }
  if (name === 'bybit') return startBybit(seed);
  const probe = await startLighterEmulator({});
  const instruments = probe.venue.listInstruments();
  await probe.close();
  const emulator = await startLighterEmulator({ feed: feed(instruments, seed), seed });
  const symbol = instruments[0]?.symbol ?? 'ETH';
  const venueStatus = (status: string): LedgerOrder['status'] =>
    status === 'open' || status === 'pending' || status === 'in-progress'
      ? 'OPEN'
      : status === 'filled'
        ? 'FILLED'
        : status.startsWith('canceled')
          ? 'CANCELED'
          : 'OTHER';
  return {
    url: emulator.url,
    symbol,
    orders: () =>
      emulator
        .orders()
        .filter((o) => o.symbol === symbol && o.correlationKey !== undefined)
        .map((o) => ({
          key: o.correlationKey ?? '',
          venueOrderId: o.venueOrderId,
          status: venueStatus(o.status),
          filled: o.filledQuantity,
        })),
    fills: () =>
      emulator
        .executions()
        .filter((e) => e.symbol === symbol)
        .map((e) => ({
          tradeId: e.tradeId,
          key: e.correlationKey,
          quantity: e.quantity,
          price: e.price,
        })),
    position: () => emulator.venue.getPosition(symbol)?.quantity ?? 0,
    balances: () => emulator.venue.getBalances(),
    // Lighter cannot call an order unknown until its transaction expires: keep that short here
    env: { LIGHTER_TX_TTL_MS: '12000' },
    settleMs: 35_000,
    // USDC balances come over the wire with 6 decimals
    balanceStep: 1e-6,
    faults: [
      ['drop-connections', {}],
      ['refuse-connections', { durationMs: 1500 }],
      ['fail-requests', { path: '/api/v1/sendTx', status: 503, count: 2, when: 'after' }],
      ['delay-responses', { ms: 1500, path: '/api/v1/sendTx', count: 2 }],
      ['duplicate-pushes', { count: 5 }],
      ['reorder-pushes', { count: 4 }],
      ['drop-pushes', { count: 3 }],
      ['nonce-race', { steps: 1 }],
      ['hide-canceled', { ms: 800 }],
    ],
    placings: (key) =>
      emulator.txRequests
        .filter((request) =>
          request.txs.some((tx) => tx.txType === TX.CREATE && String(tx.clientOrderIndex) === key),
        )
        .map(
          (request) =>
            `${request.batch ? 'sendTxBatch' : 'sendTx'} (${request.via}) at ${request.time}: ${request.answer}`,
        ),
    cancelsTaken: (key) =>
      emulator.exchange
        .acceptedTransactions()
        .filter((tx) => tx.txType === TX.CANCEL && String(tx.Index) === key).length,
    close: () => emulator.close(),
  };
}

async function startBybit(seed: number): Promise<SoakVenue> {
  const markets = defaultMarkets();
  const emulator = await startBybitEmulator({
    markets,
    feed: feed(
      markets.map((m) => m.instrument),
      seed,
    ),
    seed,
  });
  const venueStatus = (status: string): LedgerOrder['status'] =>
    status === 'New' || status === 'PartiallyFilled' || status === 'Untriggered'
      ? 'OPEN'
      : status === 'Filled'
        ? 'FILLED'
        : status === 'Cancelled' || status === 'Deactivated'
          ? 'CANCELED'
          : 'OTHER';
  return {
    url: emulator.url,
    symbol: 'BTCUSDT',
    orders: () =>
      emulator
        .orders()
        .filter((o) => o.instrument.venueSymbol === 'BTCUSDT')
        .map((o) => ({
          key: o.orderLinkId,
          venueOrderId: o.orderId,
          status: venueStatus(o.status),
          filled: o.cumExecQty,
        })),
    fills: () =>
      emulator
        .executions()
        .filter((e) => e.instrument.venueSymbol === 'BTCUSDT')
        .map((e) => ({
          tradeId: e.execId,
          key: e.orderLinkId,
          quantity: e.execQty,
          price: e.execPrice,
        })),
    position: () => emulator.position('BTCUSDT'),
    balances: () => emulator.venue.getBalances(),
    env: {},
    // An order whose submit was killed in flight is LOST after the ccxt venue's status queries
    settleMs: 20_000,
    balanceStep: 1e-8,
    faults: ccxtEmulatorFaults(
      { method: 'POST', path: '/v5/order/create' },
      { method: 'POST', path: '/v5/order/cancel' },
      [
        ['drop-connections', { stream: 'market' }],
        ['rate-limit', { count: 1 }],
      ],
    ),
    placings: (key) =>
      placingRequests(emulator.requests, ['/v5/order/create', '/v5/order/create-batch'], key),
    close: () => emulator.close(),
  };
}

interface Child {
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Whether the strategy has started (after the startup reconciliation) and said so */
  readonly ready: () => boolean;
  /** Whether the process has ended */
  readonly exited: () => boolean;
  /** The last of what it wrote on stderr */
  readonly stderr: () => string;
  kill(): void;
}

export function runKestrel(
  args: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string>>,
): Child {
  const child = spawn(process.execPath, [KESTREL_BIN, 'run', STRATEGY, ...args], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  let ready = false;
  let exited = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
    if (!ready && stderr.includes(SOAK_READY)) ready = true;
  });
  return {
    done: new Promise((done) =>
      child.on('close', (code, signal) => {
        exited = true;
        done({ code, signal, stderr });
      }),
    ),
    ready: () => ready,
    exited: () => exited,
    stderr: () => stderr,
    kill: () => child.kill('SIGKILL'),
  };
}

export async function fault(
  url: string,
  operation: string,
  body: Record<string, unknown>,
): Promise<void> {
  const response = await fetch(`${url}/_kestrel/faults/${operation}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`fault ${operation} refused: HTTP ${response.status} ${await response.text()}`);
}

/**
 * Counts progress, not time: notes when anything moves (a child got ready, an order reached the
 * venue) and fails only when nothing has moved for `stallMs`
 */
export class Progress {
  private readonly stallMs: number;
  private last = Date.now();
  private mark = '';

  constructor(stallMs: number) {
    this.stallMs = stallMs;
  }

  /** Records the current state; anything different from last time is progress */
  note(state: string): void {
    if (state !== this.mark) {
      this.mark = state;
      this.last = Date.now();
    }
  }

  /** @throws Error when nothing moved for the stall window */
  check(what: () => string): void {
    if (Date.now() - this.last > this.stallMs)
      throw new Error(`soak: no progress for ${this.stallMs / 1000} s: ${what()}`);
  }
}

/** Runs the soak and returns its figures; `mismatches` lists every way Kestrel and the venue disagree */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const seed = options.seed ?? 1;
  const random = createRandom(seed);
  const log = options.log ?? (() => {});
  const progress = new Progress(options.stallMs ?? 180_000);
  const venue = await startVenue(options.venue, seed);
  const dir = mkdtempSync(join(tmpdir(), `kestrel-soak-${options.venue}-`));
  const journal = join(dir, 'soak.journal');
  const common = [
    '--venue',
    options.venue,
    '--url',
    venue.url,
    '--journal',
    journal,
    '--symbol',
    venue.symbol,
    '--out',
    join(dir, 'out'),
    '--quiet',
    '--param',
    `seed=${seed}`,
  ];
  const started = Date.now();
  const minDurationMs = options.minDurationMs ?? 0;
  let runs = 0;
  let kills = 0;
  let faults = 0;
  const faultsByKind: Record<string, number> = {};
  const placed = () => venue.orders().length;
  const enough = () =>
    kills >= options.kills &&
    placed() >= options.orders &&
    venue.fills().length > 0 &&
    Date.now() - started >= minDurationMs;
  const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 25));
  try {
    while (!enough()) {
      runs += 1;
      const child = runKestrel([...common, '--duration', '1h'], dir, venue.env);
      const before = placed();
      // Killed once it is trading and has placed a random number of orders; faults in between
      const target = 2 + random.integer(0, 8);
      const faultsAt = Array.from({ length: 2 + random.integer(0, 2) }, () =>
        random.integer(0, target - 1),
      ).sort((x, y) => x - y);
      const state = () =>
        `run ${runs}: ${child.ready() ? 'ready' : 'starting'}, ${placed() - before} of ${target} orders placed (${placed()} in all)`;
      while (!child.exited() && !(child.ready() && placed() - before >= target)) {
        while (child.ready() && faultsAt.length > 0 && placed() - before >= faultsAt[0]!) {
          faultsAt.shift();
          const [operation, body] = venue.faults[random.integer(0, venue.faults.length - 1)] ?? [
            'drop-connections',
            {},
          ];
          await fault(venue.url, operation, body);
          faults += 1;
          faultsByKind[operation] = (faultsByKind[operation] ?? 0) + 1;
        }
        progress.note(state());
        progress.check(() => `${state()}; its stderr: ${child.stderr().slice(-2000)}`);
        await pause();
      }
      if (child.exited()) {
        const exit = await child.done;
        log(`run ${runs} ended on its own (code ${exit.code}): ${exit.stderr.slice(-2000)}`);
      } else {
        child.kill();
        kills += 1;
        await child.done;
        log(`${state()}: killed (${faults} faults so far)`);
      }
      await fault(venue.url, 'reset', {});
    }
    // The settling run: startup reconciliation, cancel everything, then a clean stop. An order a
    // kill left unanswered needs a few status queries (or its transaction's expiry) before its
    // verdict; a busy machine may need another settling run for that, as long as each one settles more
    let unsettled = Number.POSITIVE_INFINITY;
    for (;;) {
      runs += 1;
      const last = runKestrel(
        [...common, '--param', 'mode=settle', '--duration', `${venue.settleMs}ms`],
        dir,
        venue.env,
      );
      const exit = await last.done;
      if (exit.code !== 0)
        throw new Error(`the settling run failed (code ${exit.code}): ${exit.stderr.slice(-4000)}`);
      const left = readJournal(journal).orders.filter(
        (o) => o.status === 'PENDING' || o.status === 'PENDING_CANCEL',
      ).length;
      if (left === 0 || left >= unsettled) break;
      log(`settling run ${runs}: ${left} orders still without a verdict, settling again`);
      unsettled = left;
    }
    return compare(options.venue, venue, journal, {
      seconds: (Date.now() - started) / 1000,
      runs,
      kills,
      faults,
      faultsByKind,
    });
  } finally {
    await venue.close();
  }
}

/**
 * Why a soak traded too little to prove anything: fewer orders at the venue or fills than the
 * minimum; undefined when it did enough
 */
export function tooLittleActivity(
  report: Pick<SoakReport, 'venueOrders' | 'fills'>,
  minimum: { readonly orders: number; readonly fills: number },
): string | undefined {
  if (report.venueOrders >= minimum.orders && report.fills >= minimum.fills) return undefined;
  return `too little activity: ${report.venueOrders} venue orders and ${report.fills} fills, below the minimum of ${minimum.orders} and ${minimum.fills}`;
}

/** Compares the journal with the venue's ledger; `mismatches` lists every difference */
export function compare(
  name: SoakVenueName,
  venue: Pick<
    SoakVenue,
    | 'symbol'
    | 'orders'
    | 'fills'
    | 'position'
    | 'balances'
    | 'balanceStep'
    | 'placings'
    | 'cancelsTaken'
  >,
  journal: string,
  figures: Pick<SoakReport, 'seconds' | 'runs' | 'kills' | 'faults' | 'faultsByKind'>,
): SoakReport {
  const view = readJournal(journal);
  const mismatches: string[] = [];
  const keyOf = (o: { clientId: string; correlationKey?: string | undefined }) =>
    name === 'lighter' ? o.correlationKey : o.clientId;
  const ours = view.orders.filter(
    (o) => o.instrument.venueSymbol === venue.symbol || o.instrument.symbol === venue.symbol,
  );
  const byKey = new Map<string, (typeof ours)[number]>();
  for (const order of ours) {
    const key = keyOf(order as { clientId: string; correlationKey?: string });
    if (key !== undefined) byKey.set(key, order);
  }
  const ledgerOrders = venue.orders();
  // Lost: an order at the venue that Kestrel does not know, or gave up on
  let lost = 0;
  for (const order of ledgerOrders) {
    const known = byKey.get(order.key);
    if (known === undefined) {
      lost += 1;
      mismatches.push(`venue order ${order.venueOrderId} (${order.key}) is unknown to Kestrel`);
      continue;
    }
    if (known.status === 'LOST') lost += 1;
    mismatches.push(...orderMismatches(order, known));
  }
  const atVenue = new Map(ledgerOrders.map((o) => [o.key, o.status]));
  const declaredLost: string[] = [];
  let neverSent = 0;
  for (const order of ours) {
    const key = keyOf(order as { clientId: string; correlationKey?: string });
    // Open here, unknown there (the loop over the venue's orders caught every other difference)
    if (
      (order.status === 'OPEN' || order.status === 'PARTIALLY_FILLED') &&
      (key === undefined || !atVenue.has(key))
    )
      mismatches.push(
        `order ${order.clientId}: Kestrel ${order.status}, the venue does not list it`,
      );
    // LOST and absent from the venue: the true verdict. Either no request ever carried it (killed
    // between journal and send) or the venue refused it and a fault ate the answer
    if (order.status === 'LOST' && (key === undefined || !atVenue.has(key))) {
      const placings = key === undefined ? undefined : venue.placings?.(key);
      if (placings !== undefined && placings.length === 0) neverSent += 1;
      else
        declaredLost.push(
          `${order.clientId}: ${order.reason ?? 'no reason'}${placings === undefined ? '' : ` (sent: ${placings.join('; ')})`}`,
        );
    }
    if (order.status === 'PENDING' || order.status === 'PENDING_CANCEL') {
      const taken =
        order.status === 'PENDING_CANCEL' && key !== undefined
          ? venue.cancelsTaken?.(key)
          : undefined;
      mismatches.push(
        `order ${order.clientId} still ${order.status} after settling${taken === undefined ? '' : ` (cancel transactions the venue took for it: ${taken})`}`,
      );
    }
  }
  let clientIdChanges = 0;
  const intents = journaledIntents(journal);
  for (const order of view.orders) {
    if (order.origin === 'EXTERNAL') continue;
    const intent = intents.get(order.clientId);
    if (
      intent === undefined ||
      intent.side !== order.side ||
      intent.quantity !== order.quantity ||
      intent.instrument.symbol !== order.instrument.symbol
    ) {
      clientIdChanges += 1;
      mismatches.push(`order ${order.clientId} does not match the intent journaled under its id`);
    }
  }
  for (const clientId of intents.keys())
    if (!view.orders.some((o) => o.clientId === clientId)) {
      clientIdChanges += 1;
      mismatches.push(`intent ${clientId} has no order under that clientId`);
    }
  const ledgerFills = venue.fills();
  const ourFills = view.fills.filter(
    (f) => f.instrument.venueSymbol === venue.symbol || f.instrument.symbol === venue.symbol,
  );
  const seen = new Set<string>();
  for (const fill of ourFills) {
    if (seen.has(fill.tradeId)) mismatches.push(`fill ${fill.tradeId} booked twice`);
    seen.add(fill.tradeId);
  }
  const venueIds = new Set(ledgerFills.map((f) => f.tradeId));
  for (const fill of ledgerFills)
    if (!seen.has(fill.tradeId)) mismatches.push(`venue fill ${fill.tradeId} missing from Kestrel`);
  for (const fill of ourFills)
    if (!venueIds.has(fill.tradeId))
      mismatches.push(`Kestrel fill ${fill.tradeId} the venue never made`);
  for (const fill of ourFills) {
    const order = ours.find((o) => o.clientId === fill.clientId);
    const ledger = ledgerFills.find((f) => f.tradeId === fill.tradeId);
    if (
      order !== undefined &&
      ledger?.key !== undefined &&
      keyOf(order as { clientId: string; correlationKey?: string }) !== ledger.key
    ) {
      mismatches.push(
        `fill ${fill.tradeId}: Kestrel says order ${fill.clientId}, the venue ${ledger.key}`,
      );
    }
  }
  const position =
    view.positions.find(
      (p) => p.instrument.venueSymbol === venue.symbol || p.instrument.symbol === venue.symbol,
    )?.quantity ?? 0;
  if (position !== venue.position())
    mismatches.push(`position ${position} here, ${venue.position()} at the venue`);
  for (const balance of venue.balances()) {
    const mine = view.balances.find((b) => b.currency === balance.currency);
    if (mine === undefined || Math.abs(money(mine.total - balance.total)) > venue.balanceStep)
      mismatches.push(
        `balance ${balance.currency}: ${mine?.total} here, ${balance.total} at the venue`,
      );
  }
  return {
    venue: name,
    ...figures,
    recoveries: figures.runs - 1,
    orders: ours.length,
    venueOrders: ledgerOrders.length,
    fills: ourFills.length,
    lost,
    declaredLost: neverSent + declaredLost.length,
    neverSent,
    sentNotPlaced: declaredLost,
    clientIdChanges,
    mismatches,
  };
}

/** How Kestrel's order differs from the venue's: its status, its fill */
export function orderMismatches(
  order: LedgerOrder,
  known: { readonly clientId: string; readonly status: string; readonly filledQuantity: number },
): string[] {
  const wanted =
    order.status === 'OPEN'
      ? ['OPEN', 'PARTIALLY_FILLED']
      : order.status === 'FILLED'
        ? ['FILLED']
        : order.status === 'CANCELED'
          ? ['CANCELED', 'REJECTED', 'EXPIRED']
          : ['CANCELED', 'REJECTED', 'EXPIRED', 'FILLED'];
  const found: string[] = [];
  if (!wanted.includes(known.status))
    found.push(`order ${known.clientId}: Kestrel ${known.status}, venue ${order.status}`);
  if (known.filledQuantity !== order.filled)
    found.push(
      `order ${known.clientId}: filled ${known.filledQuantity} here, ${order.filled} at the venue`,
    );
  return found;
}

/** Every intent in the journal, by the clientId it was recorded with before it was sent */
function journaledIntents(path: string): Map<string, OrderRequest> {
  const journal = new SqliteJournal({
    path,
    identity: { exchange: '*', account: '*' },
    readOnly: true,
  });
  try {
    const intents = new Map<string, OrderRequest>();
    for (const { event } of journal.entries())
      if (event.type === 'orderRequested' && event.origin === undefined)
        intents.set(event.request.clientId, event.request);
    return intents;
  } finally {
    void journal.close();
  }
}

/** The figures as lines, for the test output and `npm run soak` */
export function formatSoakReport(report: SoakReport): string {
  return [
    `soak ${report.venue}: ${report.seconds.toFixed(0)} s, ${report.runs} runs, ${report.kills} SIGKILLs, ${report.recoveries} recoveries`,
    `  faults injected ${report.faults}: ${Object.entries(report.faultsByKind)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  orders ${report.orders} (venue has ${report.venueOrders}), fills ${report.fills}, lost ${report.lost}, clientId changes ${report.clientIdChanges}`,
    `  declared LOST ${report.declaredLost ?? 0} (the venue does not have them): ${report.neverSent ?? 'n/a'} never sent (killed between journal and send)${(report.sentNotPlaced ?? []).map((line) => `\n    ${line}`).join('')}`,
    `  mismatches ${report.mismatches.length}${report.mismatches.length === 0 ? '' : `:\n    ${report.mismatches.slice(0, 30).join('\n    ')}`}`,
  ].join('\n');
}
