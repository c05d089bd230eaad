import { formatDecimal } from '../../core/numeric.ts';
import type { OrderStatus } from '../../core/order.ts';
import { ORDER_STATUSES } from '../../core/order.ts';
import type { RunReport } from '../backtest.ts';
import { LATENCY_BINS } from '../recorder.ts';
import { formatDataGaps, summaryRows } from './summary.ts';
import { barChart, escapeHtml, lineChart } from './svg.ts';

const COLORS = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2'];

function clockLabel(spanMs: number): (t: number) => string {
  return (t) => {
    const iso = new Date(t).toISOString();
    return spanMs > 2 * 86_400_000
      ? iso.slice(5, 10)
      : spanMs > 3_600_000
        ? iso.slice(11, 16)
        : iso.slice(11, 19);
  };
}

/**
 * The run report as one HTML page that opens in a browser with no network: the summary, an
 * equity curve, positions over time and the latency histogram as inline SVG, and the tables.
 * A small inline script records on the page how many charts the browser laid out, so a
 * headless check can tell the charts really render.
 */
export function renderHtmlReport(report: RunReport, outDir?: string): string {
  const span = report.end - report.start;
  const formatX = clockLabel(span);
  const equity = lineChart({
    title: `Equity (${report.currency})`,
    series: [
      {
        name: 'equity',
        color: COLORS[0]!,
        points: report.equityCurve.map((p) => [p.time, p.equity]),
      },
    ],
    formatX,
    formatY: (y) => formatDecimal(y, 2),
  });
  const positions = lineChart({
    title: 'Position over time',
    series: report.instruments.map((symbol, i) => ({
      name: symbol,
      color: COLORS[(i + 1) % COLORS.length]!,
      step: true,
      points: report.equityCurve.map((p) => [p.time, p.positions[symbol] ?? 0] as const),
    })),
    formatX,
    formatY: (y) => formatDecimal(y, 6),
  });
  const used = LATENCY_BINS.map(
    (_, i) => report.submitLatencyHistogram[i]! + report.cancelLatencyHistogram[i]!,
  );
  const firstBin = Math.max(
    0,
    used.findIndex((c) => c > 0),
  );
  const lastBin = Math.max(
    firstBin,
    used.findLastIndex((c) => c > 0),
  );
  const latency = barChart({
    title: 'Latency histogram (ms, log bins)',
    labels: LATENCY_BINS.slice(firstBin, lastBin + 1).map((edge) => formatDecimal(edge, 2)),
    series: [
      {
        name: 'submit → first verdict',
        color: COLORS[0]!,
        values: report.submitLatencyHistogram.slice(firstBin, lastBin + 1),
      },
      {
        name: 'cancel → verdict',
        color: COLORS[1]!,
        values: report.cancelLatencyHistogram.slice(firstBin, lastBin + 1),
      },
    ],
  });
  const summary = summaryRows(report, outDir)
    .map(([label, value]) => `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('');
  const statuses = (ORDER_STATUSES as readonly OrderStatus[])
    .map((s) => `<tr><th>${s}</th><td class="num">${report.ordersByStatus[s]}</td></tr>`)
    .join('');
  const positionRows = report.positions
    .map(
      (p) =>
        `<tr><th>${escapeHtml(p.instrument.symbol)}</th><td class="num">${formatDecimal(p.quantity, p.instrument.sizeDecimals)}</td><td class="num">${formatDecimal(p.averagePrice, p.instrument.priceDecimals + 2)}</td><td class="num">${formatDecimal(p.realizedPnl, 8)}</td><td class="num">${formatDecimal(p.unrealizedPnl, 8)}</td><td class="num">${formatDecimal(p.commissions, 8)}</td></tr>`,
    )
    .join('');
  const balanceRows = report.balances
    .map(
      (b) =>
        `<tr><th>${escapeHtml(b.currency)}</th><td class="num">${formatDecimal(b.total, 8)}</td><td class="num">${formatDecimal(b.free, 8)}</td><td class="num">${formatDecimal(b.locked, 8)}</td></tr>`,
    )
    .join('');
  const health = report.health.exchanges
    .flatMap((h) =>
      Object.entries(h.counts).map(
        ([k, v]) =>
          `<tr><th>${escapeHtml(`${h.exchange} ${k}`)}</th><td class="num">${v}</td></tr>`,
      ),
    )
    .join('');
  const gaps = report.dataGaps ?? [];
  const gapWarning =
    gaps.length === 0
      ? ''
      : `<p class="warn" role="alert">The market data has gaps this run was allowed to cross: ${escapeHtml(formatDataGaps(gaps))}</p>\n`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Kestrel report: ${escapeHtml(report.strategy)} on ${escapeHtml(report.venue)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #111827; margin: 0; background: #f8fafc; }
main { max-width: 1000px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.sub { color: #6b7280; margin: 0 0 16px; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px 16px; margin: 12px 0; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #f1f5f9; vertical-align: top; }
th { font-weight: 600; color: #374151; white-space: nowrap; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
svg.chart text { font-size: 11px; fill: #4b5563; } svg.chart text.title { font-size: 13px; font-weight: 600; fill: #111827; }
svg.chart .grid { stroke: #eef2f7; } svg.chart .axis { stroke: #9ca3af; } svg.chart .placeholder { fill: #f9fafb; stroke: #e5e7eb; }
.warn { background: #fef3c7; border: 1px solid #f59e0b; border-radius: 8px; padding: 8px 16px; margin: 12px 0; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
</style>
</head>
<body>
<main>
<h1>Kestrel run report</h1>
<p class="sub">${escapeHtml(report.strategy)} on ${escapeHtml(report.venue)} · ${escapeHtml(report.instruments.join(', '))} · seed ${report.seed}</p>
${gapWarning}<section><table>${summary}</table></section>
<section>${equity}</section>
<section>${positions}</section>
<section>${latency}</section>
<div class="grid2">
<section><h2>Orders by final status</h2><table>${statuses}</table></section>
<section><h2>Venue health</h2><table>${health}</table></section>
</div>
<section><h2>Positions</h2><table><tr><th>symbol</th><th>quantity</th><th>average price</th><th>realized</th><th>unrealized</th><th>fees</th></tr>${positionRows}</table></section>
<section><h2>Balances</h2><table><tr><th>currency</th><th>total</th><th>free</th><th>locked</th></tr>${balanceRows}</table></section>
</main>
<script>
addEventListener('load', function () {
  var charts = Array.prototype.slice.call(document.querySelectorAll('svg.chart'));
  var drawn = charts.filter(function (svg) {
    var box = svg.getBoundingClientRect();
    var marks = svg.querySelectorAll('path, rect:not(.placeholder)');
    return box.width > 0 && box.height > 0 && marks.length > 0 && marks[0].getBBox().width >= 0;
  });
  document.documentElement.setAttribute('data-charts', String(charts.length));
  document.documentElement.setAttribute('data-charts-drawn', String(drawn.length));
});
</script>
</body>
</html>
`;
}
