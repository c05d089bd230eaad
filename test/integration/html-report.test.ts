import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Io } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';

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

/** The value at a dotted path of summary.json (`fees.USDT`, `tearsheet.metrics.sharpe`) */
function at(json: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown>)?.[key], json);
}

/** Checks one shown figure against its summary.json value, to the decimals shown */
function assertFigure(path: string, kind: string, shown: string, value: unknown): void {
  if (shown === 'n/a') {
    assert.equal(value, null, `${path} shows n/a but summary.json has ${value}`);
    return;
  }
  assert.equal(typeof value, 'number', `${path} in summary.json`);
  const text = shown.replace(/[,%+]/g, '');
  const number = Number(text);
  assert.ok(Number.isFinite(number), `${path} shows ${JSON.stringify(shown)}`);
  const decimals = text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
  const expected =
    kind === 'percent' || kind === 'share' ? (value as number) * 100 : (value as number);
  assert.ok(
    Math.abs(number - expected) <= 0.5 * 10 ** -decimals + 1e-9,
    `${path}: the page shows ${shown}, summary.json has ${value}`,
  );
}

describe('HTML report in headless Chromium', () => {
  it('renders a default run offline, every chart laid out and every figure equal to summary.json', async (t) => {
    if (CHROMIUM === undefined) {
      t.skip('chromium is not installed (apt-get install chromium); .ci/run installs it');
      return;
    }
    const cwd = mkdtempSync(join(tmpdir(), 'kestrel-html-'));
    const io: Io = { stdout: () => {}, stderr: () => {}, cwd, isTTY: false, columns: 100 };
    assert.equal(
      await main(['run', '--to', '2026-01-01T01:00:00Z', '--seed', '3', '--quiet'], io),
      0,
    );
    const out = join(cwd, 'kestrel-out');
    const page = join(out, 'report.html');
    const html = readFileSync(page, 'utf8');
    assert.doesNotMatch(html, /https?:\/\//, 'no network resources');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      tearsheet: { drawdown: { peakTime: number | null }; trades: { trades: number } };
    };
    assert.ok(summary.tearsheet.trades.trades > 0, 'the default strategy closes round trips');

    const dom = chromium(['--virtual-time-budget=5000', '--dump-dom', `file://${page}`]);
    assert.equal(dom.status, 0, dom.stderr);
    // Equity, drawdown, BTCUSDT price, position, latency
    assert.match(dom.stdout, /data-charts="5"/);
    assert.match(
      dom.stdout,
      /data-charts-drawn="5"/,
      'every chart has a box and marks in the browser',
    );
    assert.match(dom.stdout, /<path d="M[\d.]+,[\d.]+L/, 'the equity curve is drawn');
    assert.match(dom.stdout, /class="candle (up|down)"/, 'the price is drawn as candles');
    assert.match(dom.stdout, /class="marker"/, 'fills are marked on the price chart');

    const figures = [
      ...dom.stdout.matchAll(/data-figure="([^"]+)" data-kind="([^"]+)">([^<]*)</g),
    ].map((m) => ({ path: m[1]!, kind: m[2]!, shown: m[3]! }));
    assert.ok(figures.length >= 14, `headline figures found: ${figures.length}`);
    for (const { path, kind, shown } of figures) assertFigure(path, kind, shown, at(summary, path));
    const peak = summary.tearsheet.drawdown.peakTime;
    if (peak !== null)
      assert.ok(
        dom.stdout.includes(new Date(peak).toISOString().replace('T', ' ').slice(0, 19)),
        'the drawdown dates are shown',
      );

    const png = join(cwd, 'report.png');
    const shot = chromium(['--window-size=1100,1400', `--screenshot=${png}`, `file://${page}`]);
    assert.equal(shot.status, 0, shot.stderr);
    const image = readFileSync(png);
    assert.equal(image.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal(image.readUInt32BE(16), 1100, 'screenshot width');
    assert.ok(image.length > 30_000, `a page with charts, not a blank one (${image.length} bytes)`);
  });
});
