/**
 * A live run's metrics, as a scraper sees them: `kestrel run --metrics-port` semantics through
 * runLive against the Binance USDⓈ-M emulator (real ccxt, real sockets). The strategy places two
 * resting orders and one that fills, then waits; the test scrapes /metrics and /health while
 * the run is live, parses the text with an independent Prometheus parser, and checks the
 * figures against the account and against the run's own report once it has stopped.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { defaultInstruments } from '../../src/emulators/binance-usdm/defaults.ts';
import { startBinanceUsdmEmulator } from '../../src/emulators/binance-usdm/emulator.ts';
import { systemClock } from '../../src/engine/clock.ts';
import { createMemoryLogger } from '../../src/engine/logger.ts';
import { runLive } from '../../src/runtime/live.ts';
import type { HealthReport } from '../../src/runtime/metrics-server.ts';
import type { Strategy } from '../../src/runtime/strategy.ts';
import { openLocalVenue } from '../helpers/local-venue.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { parsePrometheus, sampleOf } from '../helpers/prometheus.ts';
import { freePort } from '../helpers/servers.ts';
import { sleep, until } from '../helpers/wait.ts';

/** Two post-only bids well below the market and one buy that takes the ask, once */
function placeThree(): Strategy {
  let placed = false;
  return {
    name: 'place-three',
    onQuote(quote, ctx) {
      if (placed) return;
      placed = true;
      const instrument = quote.instrument;
      const size = ctx.minimumSize(instrument, quote.ask);
      for (const ticks of [200, 300])
        ctx.tradeAsync(instrument, size, quote.bid - ticks * instrument.tickSize, {
          postOnly: true,
        });
      ctx.tradeAsync(instrument, size, quote.ask, { timeInForce: 'IOC' });
    },
  };
}

/** How ccxt names the emulator's BTCUSDT perpetual */
const SYMBOL = 'BTC/USDT:USDT';

describe('live metrics', () => {
  it('serves /metrics and /health during a live run, matching the account and the report', async () => {
    const emulator = await startBinanceUsdmEmulator({ instruments: defaultInstruments() });
    emulator.setQuote('BTCUSDT', 64000, 64000.5, 5, 5);
    const abort = new AbortController();
    const logger = createMemoryLogger('info');
    const port = await freePort();
    try {
      const venue = await openLocalVenue('binanceusdm', emulator.url, logger);
      let served: string | undefined;
      const running = runLive({
        strategy: placeThree(),
        venue,
        symbols: ['BTCUSDT'],
        clock: systemClock,
        logger,
        signal: abort.signal,
        settleMs: 5_000,
        metrics: { port },
        onMetrics: (url) => {
          served = url;
        },
        clientIdPrefix: 'mx',
      });
      running.catch(() => {});
      await until(() => served !== undefined, 'the metrics server');
      assert.equal(served, `http://127.0.0.1:${port}`, '127.0.0.1 by default');
      const scrape = async () => {
        const response = await fetch(`${served}/metrics`);
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
        return parsePrometheus(await response.text());
      };
      // Scraped while the run is live, once the three orders have their verdicts
      let metrics = await scrape();
      let health = (await (await fetch(`${served}/health`)).json()) as HealthReport;
      assert.equal(health.status, 'starting', 'starting until the startup reconciliation is done');
      const settled = () =>
        health.status === 'ok' &&
        sampleOf(metrics, 'kestrel_accepted_total', { exchange: 'binanceusdm' }) === 3 &&
        (sampleOf(metrics, 'kestrel_position', { symbol: SYMBOL }) ?? 0) !== 0;
      // Bounded generously (a busy machine is slow, not stuck); the message says what was missing
      const deadline = Date.now() + 180_000;
      for (let scrapes = 1; !settled(); scrapes++) {
        assert.ok(
          Date.now() < deadline,
          `three verdicts and a position in the scrape: accepted ${sampleOf(metrics, 'kestrel_accepted_total', { exchange: 'binanceusdm' })}, position ${sampleOf(metrics, 'kestrel_position', { symbol: SYMBOL })}, health ${JSON.stringify(health)}`,
        );
        // The bid ticks, so the strategy gets a quote once its stream is subscribed; the ask
        // stays, so the buy at the ask it saw always fills (a ticking ask left it unfilled
        // whenever it moved up before the order arrived, and the position never came)
        emulator.setQuote('BTCUSDT', 64000 - (scrapes % 2) / 10, 64000.5, 5, 5);
        await sleep(10);
        metrics = await scrape();
        health = (await (await fetch(`${served}/health`)).json()) as HealthReport;
      }
      assert.equal(health.owner, 'mx');
      assert.deepEqual(
        health.streams.map((s) => [s.exchange, s.connected]),
        [['binanceusdm', true]],
      );
      const open = metrics.get('kestrel_open_orders')?.samples ?? [];
      assert.equal(
        open.reduce((sum, s) => sum + s.value, 0),
        2,
        'two orders rest',
      );
      assert.ok(open.every((s) => s.labels['owner'] === 'mx'));
      const submitted = sampleOf(metrics, 'kestrel_submitted_total', { exchange: 'binanceusdm' });
      const latency = metrics.get('kestrel_submit_latency_ms')?.samples[0];
      const position = sampleOf(metrics, 'kestrel_position', { symbol: SYMBOL });
      const usdt = sampleOf(metrics, 'kestrel_balance', { currency: 'USDT', part: 'total' });
      assert.ok(
        (sampleOf(metrics, 'process_resident_memory_bytes') ?? 0) > 0,
        "node's own figures",
      );

      abort.abort();
      const report = await running;
      const counts = report.health.exchanges.find((h) => h.exchange === 'binanceusdm');
      assert.equal(submitted, 3);
      assert.equal(counts?.counts.submitted, submitted, 'submits: scrape = report');
      assert.equal(counts?.counts.accepted, 3);
      assert.equal(latency?.count, counts?.submitLatency.count, 'latency samples: scrape = report');
      assert.equal(latency?.quantiles?.['0.5'], counts?.submitLatency.p50);
      assert.equal(report.positions[0]?.quantity, position, 'position: scrape = report');
      assert.equal(position, emulator.venue.getPosition('BTCUSDT')?.quantity, 'and = the venue');
      assert.equal(
        report.balances.find((b) => b.currency === 'USDT')?.total,
        usdt,
        'balance: scrape = report (the cancels at stop moved no money)',
      );
      await assert.rejects(fetch(`${served}/metrics`), 'the server closes with the run');
    } finally {
      abort.abort();
      await emulator.close();
    }
  });

  it('refuses an address it cannot listen on, in one line, before touching the venue', async () => {
    const emulator = await startBinanceUsdmEmulator({ instruments: defaultInstruments() });
    const blocker = await import('node:net').then(
      (net) =>
        new Promise<import('node:net').Server>((resolve) => {
          const server = net.createServer();
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    );
    try {
      const address = blocker.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const logger = createMemoryLogger('info');
      const venue = await openLocalVenue('binanceusdm', emulator.url, logger);
      await assert.rejects(
        runLive({
          strategy: placeThree(),
          venue,
          clock: systemClock,
          logger,
          durationMs: 1000,
          metrics: { port },
        }),
        { code: 'INVALID_CONFIG', message: `metrics: 127.0.0.1:${port} is in use` },
      );
      assert.equal(emulator.orders().length, 0, 'nothing sent');
    } finally {
      blocker.close();
      await emulator.close();
    }
  });

  it('refuses a bad --metrics-port or --metrics-host, naming it, exit 2', async () => {
    for (const [args, message] of [
      [
        ['--venue', 'paper', '--metrics-port', 'http'],
        /--metrics-port must be a port number 0\.\.65535, got "http"/,
      ],
      [['--venue', 'paper', '--metrics-port', '70000'], /--metrics-port must be a port number/],
      [['--metrics-port', '9464'], /--metrics-port serves a live or paper run: it needs --venue/],
      [['--venue', 'paper', '--metrics-host', '0.0.0.0'], /--metrics-host needs --metrics-port/],
    ] as const) {
      const { io, err } = memoryIo();
      const code = await main(['run', ...args, '--duration', '1s', '--quiet'], io);
      assert.equal(code, 2, err());
      // The refusal is the first line (what follows is help)
      assert.match(err().split('\n')[0] ?? '', message);
    }
  });
});
