import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createMemoryLogger } from '../../src/engine/logger.ts';
import { runBacktest } from '../../src/runtime/backtest.ts';
import { simInstrument } from '../../src/runtime/instruments.ts';
import { renderHtmlReport } from '../../src/runtime/report/html.ts';
import createQuotingStrategy from '../../src/runtime/strategies/quoting.ts';
import { createSyntheticMarket } from '../../src/runtime/synthetic-market.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** Flags that keep headless Chromium off this machine's closed network */
function chromium(args: readonly string[]) {
  return spawnSync(
    CHROMIUM as string,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${mkdtempSync(join(tmpdir(), 'kestrel-chromium-'))}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 300_000 },
  );
}

describe('HTML report in headless Chromium', () => {
  it('renders offline, with its three charts laid out', async (t) => {
    if (CHROMIUM === undefined) {
      t.skip('chromium is not installed (apt-get install chromium); .ci/run installs it');
      return;
    }
    const btc = simInstrument('BTCUSDT');
    const report = await runBacktest({
      strategy: createQuotingStrategy(),
      source: createSyntheticMarket({
        instruments: [btc],
        start: Date.UTC(2026, 0, 1),
        durationMs: 900_000,
        seed: 11,
      }),
      instruments: [btc],
      logger: createMemoryLogger('warn'),
    });
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-html-'));
    const html = renderHtmlReport(report);
    assert.doesNotMatch(html, /https?:\/\//, 'no network resources');
    const page = join(dir, 'report.html');
    writeFileSync(page, html);

    const dom = chromium(['--virtual-time-budget=5000', '--dump-dom', `file://${page}`]);
    assert.equal(dom.status, 0, dom.stderr);
    assert.match(dom.stdout, /data-charts="3"/);
    assert.match(
      dom.stdout,
      /data-charts-drawn="3"/,
      'every chart has a box and marks in the browser',
    );
    assert.match(dom.stdout, /<path d="M[\d.]+,[\d.]+L/, 'the equity curve is drawn');

    const png = join(dir, 'report.png');
    const shot = chromium(['--window-size=1100,1400', `--screenshot=${png}`, `file://${page}`]);
    assert.equal(shot.status, 0, shot.stderr);
    const image = readFileSync(png);
    assert.equal(image.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal(image.readUInt32BE(16), 1100, 'screenshot width');
    assert.ok(image.length > 30_000, `a page with charts, not a blank one (${image.length} bytes)`);
  });
});
