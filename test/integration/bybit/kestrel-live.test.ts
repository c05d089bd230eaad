/**
 * Kestrel's whole live path against the Bybit emulator, as against Binance: the `kestrel`
 * command (smoke, a run with a journal, the journal views), a run killed with SIGKILL and
 * restarted on its journal (startup reconciliation: orders recovered, a fill made while down
 * booked once, a lost cancel sent again, clientIds continuing), and the venue snapshot and
 * status queries the reconciler uses, each compared with the emulator's ledger.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Order } from '../../../src/core/order.ts';
import type { BybitEmulator } from '../../../src/emulators/bybit/index.ts';
import { defaultMarkets, startBybitEmulator } from '../../../src/emulators/bybit/index.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { createMemoryLogger } from '../../../src/engine/logger.ts';
import { readJournal } from '../../../src/runtime/journal-view.ts';
import { runLive } from '../../../src/runtime/live.ts';
import type { Strategy } from '../../../src/runtime/strategy.ts';
import { createSyntheticMarket } from '../../../src/runtime/synthetic-market.ts';
import { createCcxtVenue } from '../../../src/venues/ccxt/index.ts';
import { KESTREL_BIN, node } from '../../helpers/cli.ts';
import { until } from '../../helpers/wait.ts';
import { testConfig } from '../ccxt/harness.ts';
import { bybitClient } from './harness.ts';

const CHILD = fileURLToPath(new URL('./restart-child.ts', import.meta.url));

const config = (url: string) => testConfig(url, { exchange: 'bybit' });

/** Runs the kestrel command without blocking this process (the emulator lives here) */
const kestrel = (args: readonly string[], cwd: string) => node([KESTREL_BIN, ...args], cwd);

describe('kestrel on the Bybit emulator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-bybit-live-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('smokes, runs with a journal and shows it, every fill and the position equal to the venue’s', async () => {
    const markets = defaultMarkets();
    const emulator = await startBybitEmulator({
      markets,
      feed: createSyntheticMarket({
        instruments: markets.map((m) => m.instrument),
        start: Date.now(),
        durationMs: 3600_000,
        seed: 4,
        quoteIntervalMs: 200,
        tradeIntervalMs: 400,
        volatility: 1.5,
      }),
    });
    try {
      const smoke = await kestrel(['smoke', '--venue', 'bybit', '--url', emulator.url], dir);
      assert.equal(smoke.code, 0, smoke.stderr);
      assert.match(smoke.stdout, /^smoke ok on bybit BTC\/USDT:USDT/m);
      assert.deepEqual(
        emulator.orders().map((o) => o.status),
        ['Cancelled'],
        'the smoke order was placed and is gone',
      );
      const run = await kestrel(
        [
          'run',
          '--venue',
          'bybit',
          '--url',
          emulator.url,
          '--duration',
          '6s',
          '--journal',
          'live.journal',
        ],
        dir,
      );
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^venue=bybit$/m);
      const orders = await kestrel(['orders', '--journal', 'live.journal', '--json'], dir);
      assert.equal(orders.code, 0, orders.stderr);
      const listed = JSON.parse(orders.stdout) as { clientId: string; status: string }[];
      assert.equal(listed.length, Number(/^orders=(\d+)$/m.exec(run.stdout)?.[1]));
      const view = readJournal(join(dir, 'live.journal'));
      const ours = new Set<string>(view.orders.map((o) => o.clientId));
      const venueOrders = emulator.orders().filter((o) => ours.has(o.orderLinkId));
      assert.equal(
        venueOrders.length,
        view.orders.length,
        'every journaled order reached the venue under its clientId',
      );
      assert.ok(
        venueOrders.every((o) => !['New', 'PartiallyFilled', 'Untriggered'].includes(o.status)),
        'nothing left open at the venue',
      );
      assert.deepEqual(
        view.fills.map((f) => String(f.tradeId)).sort(),
        emulator
          .executions()
          .filter((e) => ours.has(e.orderLinkId))
          .map((e) => e.execId)
          .sort(),
      );
      const position =
        view.positions.find((p) => p.instrument.venueSymbol === 'BTCUSDT')?.quantity ?? 0;
      assert.equal(position, emulator.position('BTCUSDT'));
      const positions = await kestrel(['positions', '--journal', 'live.journal'], dir);
      assert.match(positions.stdout, /currency\s+total/);
    } finally {
      await emulator.close();
    }
  });

  it('restarts a killed run on its journal: recovers, books the gap fill once, resends the lost cancel, continues the clientIds', async () => {
    const emulator = await startBybitEmulator({ rateLimits: false });
    try {
      emulator.setQuote('BTCUSDT', 64000, 64000.5, 2, 2);
      const journalPath = join(dir, 'restart.journal');
      const ids = await firstLife(emulator, journalPath);
      const byLink = (id: string) => emulator.orders().find((o) => o.orderLinkId === id);
      assert.equal(byLink(ids.cut)?.status, 'New', 'the cut cancel never reached the venue');

      // While nothing runs, the resting buy at 63900 fills
      emulator.setQuote('BTCUSDT', 63850, 63890, 2, 2);
      const gapTrades = emulator
        .executions()
        .filter((e) => e.orderLinkId === ids.gap)
        .map((e) => e.execId);
      assert.ok(gapTrades.length > 0);
      // ...and an order of ours the journal never heard of appears (placed, then the process died)
      const unseen = `${head(ids.resting)}zz9`;
      const other = await bybitClient(emulator);
      try {
        await other.createOrder('BTC/USDT:USDT', 'limit', 'buy', 0.002, 60400, {
          clientOrderId: unseen,
        });
      } finally {
        await other.close();
      }

      const logger = createMemoryLogger();
      const venue = createCcxtVenue(config(emulator.url), { clock: systemClock, logger });
      const seen: Record<string, Order | undefined> = {};
      const heard: string[] = [];
      let next: Order | undefined;
      let cutCanceled = false;
      const strategy: Strategy = {
        name: 'bybit-restart-second-life',
        async onStart(ctx) {
          for (const [name, id] of Object.entries({ ...ids, unseen })) {
            const order = ctx.order(id);
            seen[name] = order === undefined ? undefined : { ...order };
          }
          next = await ctx.trade(ctx.instrument('BTC/USDT:USDT'), 0.002, 60300);
          await until(() => ctx.order(ids.cut)?.status === 'CANCELED', 'the resent cancel').catch(
            () => {},
          );
          cutCanceled = ctx.order(ids.cut)?.status === 'CANCELED';
        },
        onFill(fill) {
          heard.push(String(fill.tradeId));
        },
      };
      await runLive({
        strategy,
        venue,
        symbols: ['BTC/USDT:USDT'],
        clock: systemClock,
        logger,
        journalPath,
        durationMs: 1_500,
        settleMs: 3_000,
        reconcile: { snapshotIntervalMs: 0 },
      });

      assert.equal(seen['resting']?.status, 'OPEN');
      assert.equal(seen['resting']?.origin, 'RECOVERED', 'still open at the venue: recovered');
      assert.equal(seen['unseen']?.origin, 'RECOVERED', 'ours by its clientId head, not EXTERNAL');
      assert.equal(seen['unseen']?.price, 60400);
      assert.equal(seen['gap']?.status, 'FILLED', 'the fill made while down is booked');
      assert.equal(seen['gap']?.filledQuantity, 0.002);
      assert.equal(seen['filled']?.status, 'FILLED');
      assert.equal(seen['canceled']?.status, 'CANCELED');
      assert.ok(cutCanceled, 'the cancel whose answer was lost is sent again');
      assert.equal(byLink(ids.cut)?.status, 'Cancelled');
      assert.deepEqual(heard, gapTrades, 'only the gap fill is new to the second life');
      assert.ok(next !== undefined);
      for (const id of Object.values(ids)) {
        assert.equal(head(next.clientId), head(id));
        assert.ok(counter(next.clientId) > counter(id), `${next.clientId} after ${id}`);
      }
      const view = readJournal(journalPath);
      const booked = view.fills.map((f) => String(f.tradeId)).sort();
      assert.deepEqual(booked, [...new Set(booked)], 'no fill counted twice');
      assert.deepEqual(
        booked,
        emulator
          .executions()
          .map((e) => e.execId)
          .sort(),
      );
      const position = view.positions.find((p) => p.instrument.venueSymbol === 'BTCUSDT');
      assert.equal(position?.quantity, emulator.position('BTCUSDT'));
      const usdt = view.balances.find((b) => b.currency === 'USDT');
      const wallet = emulator.venue.getBalances().find((b) => b.currency === 'USDT');
      assert.equal(usdt?.total, wallet?.total, 'the wallet as the venue has it');
      assert.ok(
        emulator.orders().every((o) => !['New', 'PartiallyFilled'].includes(o.status)),
        'the second life canceled what it left',
      );
    } finally {
      await emulator.close();
    }
  });

  it('answers the reconciler: a snapshot equal to the ledger and status queries for open, filled, canceled and unknown orders', async () => {
    const emulator = await startBybitEmulator({ rateLimits: false });
    emulator.setQuote('BTCUSDT', 64000, 64000.5, 2, 2);
    const logger = createMemoryLogger();
    const venue = createCcxtVenue(config(emulator.url), { clock: systemClock, logger });
    const since = Date.now() - 1000;
    const placed: Order[] = [];
    const statuses: string[] = [];
    let snapshot: Awaited<ReturnType<typeof venue.fetchSnapshot>> | undefined;
    let ledger:
      | {
          open: [string, string, number, number | undefined, string][];
          fills: string[];
          position: number;
          wallet: number | undefined;
        }
      | undefined;
    try {
      const strategy: Strategy = {
        name: 'bybit-reconcile',
        async onStart(ctx) {
          const btc = ctx.instrument('BTC/USDT:USDT');
          placed.push(await ctx.trade(btc, 0.002, 60000));
          placed.push(await ctx.trade(btc, 0.003));
          const canceled = await ctx.trade(btc, 0.002, 60100);
          placed.push(canceled);
          await until(() => ctx.order(canceled.clientId)?.status === 'OPEN', 'the order to cancel');
          await ctx.cancelOrder(canceled);
          await until(
            () =>
              placed.every((o) =>
                ['OPEN', 'FILLED', 'CANCELED'].includes(ctx.order(o.clientId)?.status ?? ''),
              ),
            'the venue verdicts',
          );
          for (const order of placed) {
            const state = await venue.queryOrder(ctx.order(order.clientId) ?? order);
            statuses.push(state?.status ?? 'unknown');
          }
          const first = order0(placed);
          const ghost: Order = {
            ...first,
            clientId: `${head(first.clientId)}zzzz` as Order['clientId'],
            venueOrderId: undefined,
          };
          statuses.push((await venue.queryOrder(ghost))?.status ?? 'unknown');
          snapshot = await venue.fetchSnapshot({ since });
          ledger = {
            open: emulator
              .orders()
              .filter((o) => o.status === 'New')
              .map((o) => [o.orderLinkId, o.orderId, o.qty, o.price, 'OPEN']),
            fills: emulator
              .executions()
              .map((e) => e.execId)
              .sort(),
            position: emulator.position('BTCUSDT'),
            wallet: emulator.venue.getBalances().find((b) => b.currency === 'USDT')?.total,
          };
        },
      };
      await runLive({
        strategy,
        venue,
        symbols: ['BTC/USDT:USDT'],
        clock: systemClock,
        logger,
        durationMs: 500,
        reconcile: { snapshotIntervalMs: 0 },
      });
      assert.deepEqual(statuses, ['OPEN', 'FILLED', 'CANCELED', 'unknown']);
      assert.ok(snapshot !== undefined && ledger !== undefined);
      assert.deepEqual(
        snapshot.openOrders.map((o) => [o.clientId, o.venueOrderId, o.quantity, o.price, o.status]),
        ledger.open,
      );
      assert.deepEqual(snapshot.fills.map((f) => String(f.tradeId)).sort(), ledger.fills);
      assert.deepEqual(
        snapshot.positions.map((p) => [p.instrument.venueSymbol, p.quantity]),
        [['BTCUSDT', ledger.position]],
      );
      assert.equal(snapshot.balances.find((b) => b.currency === 'USDT')?.total, ledger.wallet);
    } finally {
      await emulator.close();
    }
  });
});

function order0(orders: readonly Order[]): Order {
  const first = orders[0];
  if (first === undefined) throw new Error('no order placed');
  return first;
}

const counter = (clientId: string) =>
  Number.parseInt(clientId.slice(clientId.lastIndexOf('-') + 1), 36);
const head = (clientId: string) => clientId.slice(0, clientId.lastIndexOf('-') + 1);

interface FirstLife {
  readonly resting: string;
  readonly gap: string;
  readonly filled: string;
  readonly canceled: string;
  readonly cut: string;
}

/** Runs the first life in its own process until it reports its orders, then kills it outright */
async function firstLife(emulator: BybitEmulator, journalPath: string): Promise<FirstLife> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, emulator.url, journalPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let exitCode: number | null | undefined;
  proc.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<void>((done) =>
    proc.once('exit', (code) => {
      exitCode = code;
      done();
    }),
  );
  try {
    await until(
      () => out.includes('\n') || exitCode !== undefined,
      'the first life to report its orders',
      120_000,
    );
    if (!out.includes('\n'))
      throw new Error(`first life exited (${exitCode}) before it was ready: ${err}`);
    const ids = JSON.parse(out.slice(0, out.indexOf('\n'))) as FirstLife;
    // Killed only once the journal holds the last of them (it commits each turn of the event loop)
    await until(() => {
      try {
        const view = readJournal(journalPath);
        return view.orders.find((o) => o.clientId === ids.cut)?.status === 'PENDING_CANCEL';
      } catch {
        return false;
      }
    }, 'the first life’s journal');
    return ids;
  } finally {
    proc.kill('SIGKILL');
    await exited;
  }
}
