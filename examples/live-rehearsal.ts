/**
 * A live rehearsal: the strategy above through the exact live code path (ccxt, streams, a
 * journal, reconciliation) against the local Binance USDⓈ-M emulator, then what the journal
 * recorded. Point the same code at a testnet (`testnet: true` and your keys) when it behaves.
 *
 * Run: npx kestrel emulate binance-usdm --port 9100      (prints its URL and keys)
 *      node --import tsx examples/live-rehearsal.ts http://127.0.0.1:9100
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCcxtVenue,
  loadCcxtConfig,
  readJournal,
  runLive,
  stderrLogger,
  systemClock,
} from 'kestrel';
import createStrategy from './buy-the-first-quote.ts';

const url = process.argv[2] ?? 'http://127.0.0.1:9100';
const venue = createCcxtVenue(
  loadCcxtConfig({
    exchange: 'binanceusdm',
    url,
    // The emulator's local test keys, as `kestrel emulate` prints them
    apiKey: 'kestrel-emulator-key',
    secret: 'kestrel-emulator-secret',
  }),
  { clock: systemClock, logger: stderrLogger },
);
const journalPath = join(mkdtempSync(join(tmpdir(), 'kestrel-rehearsal-')), 'btc.journal');
// Stops at the strategy's first fill (or after a minute): open orders are canceled, the report written
const firstFill = new AbortController();
const report = await runLive({
  strategy: { ...createStrategy(), onFill: () => firstFill.abort() },
  params: { size: '0.002' },
  venue,
  symbols: ['BTC/USDT:USDT'],
  journalPath,
  signal: firstFill.signal,
  durationMs: 60_000,
  clock: systemClock,
  logger: stderrLogger,
});
console.log(report.ordersByStatus, report.health.exchanges[0]?.submitLatency);
const journal = readJournal(journalPath);
console.log(
  `the journal ${journalPath} holds ${journal.orders.length} orders and ${journal.fills.length} fills`,
);
