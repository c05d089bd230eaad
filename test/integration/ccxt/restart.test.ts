import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Balance } from '../../../src/core/balance.ts';
import type { Order } from '../../../src/core/order.ts';
import { startBinanceUsdmEmulator } from '../../../src/emulators/binance-usdm/index.ts';
import { startBybitEmulator } from '../../../src/emulators/bybit/index.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { createMemoryLogger } from '../../../src/engine/logger.ts';
import { readJournal } from '../../../src/runtime/journal-view.ts';
import { runLive } from '../../../src/runtime/live.ts';
import type { Strategy } from '../../../src/runtime/strategy.ts';
import { createCcxtVenue, createExchange } from '../../../src/venues/ccxt/index.ts';
import { until } from '../../helpers/wait.ts';
import { testConfig } from './harness.ts';

const child = fileURLToPath(new URL('./restart-child.ts', import.meta.url));

interface FirstLife {
  readonly resting: string;
  readonly gap: string;
  readonly filled: string;
  readonly canceled: string;
  readonly cut: string;
}

/** A venue emulator as this test reads its ledger, in Kestrel's words */
interface LedgerVenue {
  readonly url: string;
  /** The status of our order by its clientId: OPEN, CANCELED, FILLED or the venue's own word */
  status(clientId: string): string | undefined;
  /** The venue's executions: trade id (Kestrel's tradeId) and our clientId */
  executions(): { readonly tradeId: string; readonly clientId: string }[];
  position(): number;
  balances(): Balance[];
  openOrders(): number;
  setQuote(bid: number, ask: number): void;
  close(): Promise<void>;
}

/** Each ccxt venue with an emulator, BTCUSDT quoted 64000 / 64000.5 */
const VENUES: Record<'binanceusdm' | 'bybit', () => Promise<LedgerVenue>> = {
  async binanceusdm() {
    const emulator = await startBinanceUsdmEmulator({});
    const words: Record<string, string> = { NEW: 'OPEN' };
    return {
      url: emulator.url,
      status: (clientId) => {
        const status = emulator.venue.order({ clientId })?.status;
        return status === undefined ? undefined : (words[status] ?? status);
      },
      executions: () =>
        emulator.executions().map((t) => ({ tradeId: String(t.id), clientId: t.clientId ?? '' })),
      position: () => emulator.venue.getPosition('BTCUSDT')?.quantity ?? 0,
      balances: () => emulator.venue.getBalances(),
      openOrders: () => emulator.venue.openOrders().length,
      setQuote: (bid, ask) => emulator.setQuote('BTCUSDT', bid, ask, 2, 2),
      close: () => emulator.close(),
    };
  },
  async bybit() {
    const emulator = await startBybitEmulator({ rateLimits: false });
    const words: Record<string, string> = {
      New: 'OPEN',
      PartiallyFilled: 'PARTIALLY_FILLED',
      Filled: 'FILLED',
      Cancelled: 'CANCELED',
    };
    const open = new Set(['New', 'PartiallyFilled', 'Untriggered']);
    return {
      url: emulator.url,
      status: (clientId) => {
        const status = emulator.orders().find((o) => o.orderLinkId === clientId)?.status;
        return status === undefined ? undefined : (words[status] ?? status);
      },
      executions: () =>
        emulator.executions().map((e) => ({ tradeId: e.execId, clientId: e.orderLinkId })),
      position: () => emulator.position('BTCUSDT'),
      balances: () => emulator.venue.getBalances(),
      openOrders: () => emulator.orders().filter((o) => open.has(o.status)).length,
      setQuote: (bid, ask) => emulator.setQuote('BTCUSDT', bid, ask, 2, 2),
      close: () => emulator.close(),
    };
  },
};

/** Runs the first life in its own process until it reports its orders, then kills it outright */
async function firstLife(url: string, exchange: string, journalPath: string): Promise<FirstLife> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, url, journalPath, exchange], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`first life never got ready: ${err}`)),
        180_000,
      );
      proc.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const newline = out.indexOf('\n');
        if (newline >= 0) {
          clearTimeout(timer);
          resolve(out.slice(0, newline));
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`first life exited (${code}) before it was ready: ${err}`));
      });
    });
    // The journal commits each turn of the event loop: wait until it holds what the line says
    const ids = JSON.parse(line) as FirstLife;
    await until(() => journaled(journalPath, ids), 'the first life on disk');
    return ids;
  } finally {
    proc.kill('SIGKILL');
    await exited;
  }
}

/** Whether the journal holds the first life's orders in the states it reported */
function journaled(journalPath: string, ids: FirstLife): boolean {
  const wanted: Record<keyof FirstLife, string> = {
    resting: 'OPEN',
    gap: 'OPEN',
    filled: 'FILLED',
    canceled: 'CANCELED',
    cut: 'PENDING_CANCEL',
  };
  try {
    const orders = readJournal(journalPath).orders;
    return Object.entries(wanted).every(
      ([name, status]) =>
        orders.find((o) => o.clientId === ids[name as keyof FirstLife])?.status === status,
    );
  } catch {
    return false;
  }
}

const counter = (clientId: string) =>
  Number.parseInt(clientId.slice(clientId.lastIndexOf('-') + 1), 36);
const head = (clientId: string) => clientId.slice(0, clientId.lastIndexOf('-') + 1);

for (const exchange of ['binanceusdm', 'bybit'] as const) {
  describe(`ccxt venue across a restart with a journal: ${exchange}`, () => {
    const dir = mkdtempSync(join(tmpdir(), `kestrel-ccxt-restart-${exchange}-`));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const config = (url: string) => testConfig(url, { exchange });

    it('knows the killed run orders (RECOVERED when still open), books the gap fill once, resends the lost cancel, continues the clientIds', async () => {
      const emulator = await VENUES[exchange]();
      try {
        emulator.setQuote(64000, 64000.5);
        const journalPath = join(dir, 'journal.sqlite');
        const ids = await firstLife(emulator.url, exchange, journalPath);
        assert.equal(emulator.status(ids.cut), 'OPEN', 'the cut cancel never reached the venue');

        // While nothing runs, the resting buy at 63900 fills
        emulator.setQuote(63850, 63890);
        const gapTrades = emulator
          .executions()
          .filter((t) => t.clientId === ids.gap)
          .map((t) => t.tradeId);
        assert.ok(gapTrades.length > 0);
        // ...and an order of ours the journal never heard of appears (placed, then the process died)
        const unseen = `${head(ids.resting)}zz9`;
        const other = createExchange(config(emulator.url), systemClock, 'private');
        try {
          await other.exchange.loadMarkets();
          await other.exchange.createOrder('BTC/USDT:USDT', 'limit', 'buy', 0.002, 60400, {
            clientOrderId: unseen,
          });
        } finally {
          await other.shutdown();
        }

        const logger = createMemoryLogger();
        const venue = createCcxtVenue(config(emulator.url), { clock: systemClock, logger });
        const seen: Record<string, Order | undefined> = {};
        const heard: string[] = [];
        let next: Order | undefined;
        let cutCanceled = false;
        const strategy: Strategy = {
          name: 'restart-second-life',
          async onStart(ctx) {
            // Copies: the records change as the run goes on
            for (const [name, id] of Object.entries(ids)) {
              const order = ctx.order(id);
              seen[name] = order === undefined ? undefined : { ...order };
            }
            const found = ctx.order(unseen);
            seen['unseen'] = found === undefined ? undefined : { ...found };
            const btc = ctx.instrument('BTC/USDT:USDT');
            next = await ctx.trade(btc, 0.002, 60300);
            await until(() => ctx.order(ids.cut)?.status === 'CANCELED', 'the cut cancel resent');
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
          // A bound, not a wait: the settling ends as soon as nothing is open
          settleMs: 60_000,
          reconcile: { snapshotIntervalMs: 0 },
        });

        assert.equal(seen['resting']?.status, 'OPEN');
        assert.equal(seen['resting']?.origin, 'RECOVERED', 'still open at the venue: recovered');
        assert.equal(
          seen['unseen']?.origin,
          'RECOVERED',
          'ours by its clientId head, not EXTERNAL',
        );
        assert.equal(seen['unseen']?.price, 60400);
        assert.equal(seen['gap']?.status, 'FILLED', 'the fill made while down is booked');
        assert.equal(seen['gap']?.filledQuantity, 0.002);
        assert.equal(seen['filled']?.status, 'FILLED');
        assert.equal(seen['canceled']?.status, 'CANCELED');
        assert.ok(cutCanceled, 'the cancel whose answer was lost is sent again');
        assert.equal(emulator.status(ids.cut), 'CANCELED');
        assert.deepEqual(heard, gapTrades, 'only the gap fill is new to the second life');

        // clientIds continue one sequence past every id of the first life
        assert.ok(next !== undefined);
        for (const id of Object.values(ids)) {
          assert.equal(head(next.clientId), head(id));
          assert.ok(counter(next.clientId) > counter(id), `${next.clientId} after ${id}`);
        }

        // Both lives in one journal: every execution of the venue booked exactly once
        const view = readJournal(journalPath);
        const booked = view.fills.map((f) => String(f.tradeId)).sort();
        assert.deepEqual(booked, [...new Set(booked)], 'no fill counted twice');
        assert.deepEqual(
          booked,
          emulator
            .executions()
            .map((t) => t.tradeId)
            .sort(),
        );
        const position = view.positions.find((p) => p.instrument.venueSymbol === 'BTCUSDT');
        assert.equal(position?.quantity, emulator.position());
        const usdt = view.balances.find((b) => b.currency === 'USDT');
        const wallet = emulator.balances().find((b) => b.currency === 'USDT');
        assert.equal(usdt?.total, wallet?.total, 'the wallet as the venue has it');
        assert.equal(view.identity.account, venue.account);
        assert.match(venue.account ?? '', /^key-[0-9a-f]{16}$/);
        assert.equal(emulator.openOrders(), 0, 'the second life canceled what it left');
      } finally {
        await emulator.close();
      }
    });
  });
}
