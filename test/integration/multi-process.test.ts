/**
 * Several processes on one account: two live runs (owners ka and kb) trade one Binance USDⓈ-M
 * emulator account through one PostgreSQL journal. Each one's startup and periodic
 * reconciliation sees the other's orders at the venue and leaves them alone (never adopted as
 * EXTERNAL, never declared LOST), and one's stop cancels only its own orders. On Lighter, an API
 * key index claimed by a live owner is refused to another (`kestrel run` exits 2 in one line,
 * writing nothing), and taken over once its owner is gone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { KestrelError } from '../../src/core/errors.ts';
import { defaultInstruments } from '../../src/emulators/binance-usdm/defaults.ts';
import { startBinanceUsdmEmulator } from '../../src/emulators/binance-usdm/emulator.ts';
import { startLighterEmulator } from '../../src/emulators/lighter/emulator.ts';
import { systemClock } from '../../src/engine/clock.ts';
import { createMemoryLogger } from '../../src/engine/logger.ts';
import type { VenueConnection, VenueSnapshot } from '../../src/engine/venue.ts';
import { parseJournalLocation } from '../../src/journal/location.ts';
import { openJournal } from '../../src/journal/open.ts';
import type { RunReport } from '../../src/runtime/backtest.ts';
import { runLive } from '../../src/runtime/live.ts';
import type { Strategy } from '../../src/runtime/strategy.ts';
import { withEnv } from '../helpers/env.ts';
import { openLocalVenue } from '../helpers/local-venue.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import type { RunningServer } from '../helpers/servers.ts';
import { queryPostgres, startPostgres, whyNoPostgres } from '../helpers/servers.ts';
import { until } from '../helpers/wait.ts';

let server: RunningServer | undefined;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

/** Two post-only bids well below the market, once */
function restTwo(offsetTicks: number): Strategy {
  let placed = false;
  return {
    name: 'rest-two',
    onQuote(quote, ctx) {
      if (placed) return;
      placed = true;
      const instrument = quote.instrument;
      const size = ctx.minimumSize(instrument, quote.ask);
      for (const ticks of [offsetTicks, offsetTicks + 50])
        ctx.tradeAsync(instrument, size, quote.bid - ticks * instrument.tickSize, {
          postOnly: true,
        });
    },
  };
}

/** Counts the venue snapshots a run's reconciler takes */
function countSnapshots(venue: VenueConnection): () => number {
  let taken = 0;
  const fetch = venue.fetchSnapshot?.bind(venue);
  if (fetch !== undefined)
    venue.fetchSnapshot = async (options): Promise<VenueSnapshot> => {
      const snapshot = await fetch(options);
      taken += 1;
      return snapshot;
    };
  return () => taken;
}

describe('several processes on one account', () => {
  it("never adopts, declares lost or cancels a sibling's orders", async (t) => {
    if (server === undefined) {
      t.skip(whyNoPostgres() ?? 'PostgreSQL did not start');
      return;
    }
    const emulator = await startBinanceUsdmEmulator({ instruments: defaultInstruments() });
    emulator.setQuote('BTCUSDT', 64000, 64000.5, 5, 5);
    const journal = (owner: string) => `${server?.url}?schema=siblings&owner=${owner}`;
    const runs: Array<{
      readonly owner: string;
      readonly abort: AbortController;
      readonly logger: ReturnType<typeof createMemoryLogger>;
      readonly snapshots: () => number;
      readonly done: Promise<RunReport>;
    }> = [];
    const start = async (owner: string, offsetTicks: number) => {
      const logger = createMemoryLogger('info');
      const venue = await openLocalVenue('binanceusdm', emulator.url, logger);
      const abort = new AbortController();
      const run = {
        owner,
        abort,
        logger,
        snapshots: countSnapshots(venue),
        done: runLive({
          strategy: restTwo(offsetTicks),
          venue,
          symbols: ['BTCUSDT'],
          clock: systemClock,
          logger,
          signal: abort.signal,
          settleMs: 10_000,
          journalPath: journal(owner),
          reconcile: { snapshotIntervalMs: 300 },
        }),
      };
      run.done.catch(() => {});
      runs.push(run);
      return run;
    };
    const live = (prefix: string) =>
      emulator.orders().filter((o) => o.clientId.startsWith(prefix) && o.status === 'NEW');
    const tick = (n: number) => emulator.setQuote('BTCUSDT', 64000, 64000.5 + (n % 2) / 10, 5, 5);
    try {
      const a = await start('ka', 200);
      await until(() => {
        tick(a.snapshots());
        return live('ka').length === 2;
      }, "ka's two orders rest");
      // kb starts with ka's orders at the venue: its startup reconciliation sees them
      const b = await start('kb', 400);
      await until(() => {
        tick(b.snapshots());
        return live('kb').length === 2;
      }, "kb's two orders rest");
      // Both reconcile periodically with the sibling's orders listed by the venue
      const seen = { ka: a.snapshots(), kb: b.snapshots() };
      await until(
        () => a.snapshots() >= seen.ka + 3 && b.snapshots() >= seen.kb + 3,
        'three more snapshots each',
      );
      assert.equal(live('ka').length + live('kb').length, 4);

      // ka stops: it cancels its own two orders and nothing of kb's
      a.abort.abort();
      const reportA = await a.done;
      assert.equal(live('ka').length, 0, "ka's orders canceled at its stop");
      assert.equal(live('kb').length, 2, "kb's orders untouched by ka's stop");
      b.abort.abort();
      const reportB = await b.done;
      assert.equal(live('kb').length, 0);
      for (const run of [a, b]) {
        const messages = run.logger.records.map((r) => `${r.message} ${JSON.stringify(r.fields)}`);
        assert.deepEqual(
          messages.filter((m) =>
            /ext:|EXTERNAL|LOST|another client id|"(adopted|lost)":[1-9]/.test(m),
          ),
          [],
          `${run.owner} adopted or lost nothing`,
        );
      }
      for (const report of [reportA, reportB]) {
        assert.equal(report.orders, 2, 'each report counts its own two orders');
        assert.equal(report.ordersByStatus.CANCELED, 2);
        assert.equal(report.ordersByStatus.LOST, 0);
      }
      // The shared journal holds each owner's own orders, and no one else's
      const { io, out, err } = memoryIo();
      assert.equal(await main(['orders', '--journal', journal('ka'), '--json'], io), 0, err());
      const shown = JSON.parse(out()) as Array<{ owner: string; clientId: string }>;
      assert.equal(shown.length, 4);
      for (const order of shown)
        assert.ok(order.clientId.startsWith(order.owner), `${order.owner}: ${order.clientId}`);
    } finally {
      for (const run of runs) run.abort.abort();
      await Promise.allSettled(runs.map((r) => r.done));
      await emulator.close();
    }
  });

  it('refuses a Lighter API key a live sibling holds, and takes it over once that one is gone', async (t) => {
    if (server === undefined) {
      t.skip(whyNoPostgres() ?? 'PostgreSQL did not start');
      return;
    }
    const location = (owner: string) =>
      parseJournalLocation(`${server?.url}?schema=lighterkeys&owner=${owner}`);
    const identity = { exchange: 'lighter', account: '7' };
    const key = 'lighter API key index 3';
    const open = (owner: string, keys: string[]) =>
      openJournal({ location: location(owner), identity, owner, clientIdTag: owner, keys });
    const first = await open('ka', [key]);
    assert.equal(first.opening.slot, 1);
    const refused = await open('kb', [key]).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(refused instanceof KestrelError);
    assert.equal(refused.code, 'JOURNAL_LOCKED');
    assert.match(
      refused.message,
      /^lighter API key index 3 is used by owner ka of journal .*each process needs its own$/,
    );
    const other = await open('kb', ['lighter API key index 4']);
    assert.equal(other.opening.slot, 2, 'its own key: accepted, its own slot');
    assert.deepEqual(
      (await other.owners?.())?.map((o) => [o.owner, o.slot]),
      [
        ['ka', 1],
        ['kb', 2],
      ],
    );
    await other.close();
    await first.close();
    // ka is gone: its key may be used by another owner
    const taken = await open('kc', [key]);
    assert.equal(taken.opening.slot, 3);
    await taken.close();
  });

  it('refuses at start a second process signing with a Lighter API key a live one holds', async (t) => {
    if (server === undefined) {
      t.skip(whyNoPostgres() ?? 'PostgreSQL did not start');
      return;
    }
    const emulator = await startLighterEmulator({
      apiKeys: [{ apiKeyIndex: 4 }, { apiKeyIndex: 5 }],
    });
    const journal = (owner: string) => `${server?.url}?schema=lighterrun&owner=${owner}`;
    const logger = createMemoryLogger('info');
    const abort = new AbortController();
    // The first process signs with keys 3 and 4 (the emulator's well-known local keys)
    const running = runLive({
      strategy: { name: 'idle' },
      venue: await openLocalVenue('lighter', emulator.url, logger, {
        LIGHTER_API_KEY_INDEX: '3,4',
      }),
      clock: systemClock,
      logger,
      signal: abort.signal,
      journalPath: journal('ka'),
    });
    running.catch(() => {});
    try {
      await until(
        () => logger.records.some((r) => r.message === 'live run started'),
        'the first process trading',
      );
      // The second asks for keys 4 and 5: key 4 is the first's
      const { io, err } = memoryIo();
      const code = await withEnv('LIGHTER_API_KEY_INDEX', '4,5', () =>
        main(
          [
            'run',
            '--venue',
            'lighter',
            '--url',
            emulator.url,
            '--journal',
            journal('kb'),
            '--duration',
            '1s',
            '--quiet',
          ],
          io,
        ),
      );
      assert.equal(code, 2, err());
      assert.match(
        err(),
        /^kestrel run: lighter API key index 4 is used by owner ka of journal .*\(pid \d+ on .*\); each process needs its own\n$/,
      );
      const owners = await sql(journal('ka'), `SELECT owner FROM lighterrun.owners`);
      assert.deepEqual(owners, [{ owner: 'ka' }], 'the refused owner wrote nothing');
      assert.deepEqual(
        await sql(journal('ka'), `SELECT key, owner FROM lighterrun.keys ORDER BY key`),
        [
          { key: 'lighter API key index 3', owner: 'ka' },
          { key: 'lighter API key index 4', owner: 'ka' },
        ],
        'each of its keys claimed by the first; key 5 not claimed by the refused one',
      );
    } finally {
      abort.abort();
      await running.catch(() => {});
      await emulator.close();
    }
  });
});

function sql(url: string, text: string): Promise<unknown[]> {
  return queryPostgres(url.split('?')[0], text);
}
