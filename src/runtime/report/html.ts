import { formatDecimal } from '../../core/numeric.ts';
import type { OrderStatus } from '../../core/order.ts';
import { ORDER_STATUSES } from '../../core/order.ts';
import type { RunReport } from '../backtest.ts';
import { LATENCY_BINS } from '../recorder.ts';
import { underwater } from './metrics.ts';
import {
  formatDataGaps,
  formatDuration,
  formatMoney,
  formatPercent,
  formatPeriod,
  formatRatio,
  grouped,
  summaryRows,
} from './summary.ts';
import type { Candle, Marker } from './svg.ts';
import { barChart, escapeHtml, lineChart } from './svg.ts';
import type { PriceBucket } from './tearsheet.ts';

const COLORS = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2'];
const BUY = '#059669';
const SELL = '#dc2626';
/** The price chart shows at most this many candles; longer runs merge buckets */
const MAX_CANDLES = 160;
const LAST_TRADES = 25;
const LAST_ORDERS = 20;

function time(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return 'n/a';
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '');
}

const noLabel = (x: number) => formatDecimal(x, 0);

/** How a figure is printed; the browser test reads the same kinds back */
type FigureKind = 'percent' | 'share' | 'ratio' | 'money' | 'count';

/**
 * One headline figure. `data-figure` names its path in summary.json and `data-kind` how it is
 * printed, so a check can compare what the page shows with the JSON.
 */
function figure(
  label: string,
  path: string,
  value: number | null,
  kind: FigureKind,
  currency: string,
  note = '',
  toned: boolean | 'down' = kind === 'percent' || kind === 'ratio' || kind === 'money',
): string {
  const text =
    kind === 'percent' || kind === 'share'
      ? formatPercent(value, 2, kind === 'percent')
      : kind === 'ratio'
        ? formatRatio(value)
        : kind === 'money'
          ? value === null
            ? 'n/a'
            : formatMoney(value, currency)
          : value === null
            ? 'n/a'
            : grouped(value, 0);
  const tone = value === null || !toned ? '' : value > 0 ? ' up' : value < 0 ? ' down' : '';
  return `<div class="figure"><div class="label">${escapeHtml(label)}</div><div class="value${tone}" data-figure="${path}" data-kind="${kind}">${escapeHtml(text)}</div>${note === '' ? '' : `<div class="note">${escapeHtml(note)}</div>`}</div>`;
}

/** The figures a trader reads first */
export function headlineSection(report: RunReport): string {
  const { metrics, drawdown, trades, buyAndHold } = report.tearsheet;
  const c = report.currency;
  const pnl = report.endEquity - report.startEquity;
  const period = formatPeriod(metrics.periodMs);
  return `<section class="figures">
${figure('Total return', 'tearsheet.metrics.totalReturn', metrics.totalReturn, 'percent', c, `${formatMoney(pnl, c)} ${c}`)}
${figure('Buy & hold', 'tearsheet.buyAndHold.totalReturn', buyAndHold.totalReturn, 'percent', c, buyAndHold.symbols.join(', '))}
${figure('Max drawdown', 'tearsheet.drawdown.maxDrawdown', drawdown.maxDrawdown, 'share', c, `${formatMoney(drawdown.maxDrawdownAmount, c)} ${c} below the peak`, drawdown.maxDrawdown > 0 ? 'down' : false)}
${figure('Sharpe', 'tearsheet.metrics.sharpe', metrics.sharpe, 'ratio', c, `annualised from ${period} returns`)}
${figure('Sortino', 'tearsheet.metrics.sortino', metrics.sortino, 'ratio', c)}
${figure('Calmar', 'tearsheet.metrics.calmar', metrics.calmar, 'ratio', c)}
${figure('Round trips', 'tearsheet.trades.trades', trades.trades, 'count', c, trades.open > 0 ? `${trades.open} still open` : '')}
${figure('Win rate', 'tearsheet.trades.winRate', trades.winRate, 'share', c)}
${figure('Profit factor', 'tearsheet.trades.profitFactor', trades.profitFactor, 'ratio', c, 'gross won / gross lost', false)}
${figure('Expectancy', 'tearsheet.trades.expectancy', trades.expectancy, 'money', c, `${c} per trade, after fees`)}
${figure('Exposure', 'tearsheet.trades.exposure', trades.exposure, 'share', c, 'time with a position')}
${figure('Fees', `fees.${c}`, report.fees[c] ?? 0, 'money', c, c, false)}
${figure('Funding', 'funding', report.funding, 'money', c, c)}
${figure('Realized PnL', 'realizedPnl', report.realizedPnl, 'money', c, `${c}, before fees`)}
</section>`;
}

/** Equity with the buy-and-hold line */
export function equitySection(report: RunReport): string {
  return `<section>${lineChart({
    title: `Equity (${report.currency})`,
    timeAxis: true,
    series: [
      {
        name: 'equity',
        color: COLORS[0]!,
        points: report.equityCurve.map((p) => [p.time, p.equity]),
      },
      {
        name: `buy & hold ${report.tearsheet.buyAndHold.symbols.join('+')}`,
        color: '#9ca3af',
        points: report.charts.buyAndHold,
      },
    ],
    formatX: noLabel,
    formatY: (y) => formatDecimal(y, 2),
  })}</section>`;
}

/** The underwater curve, with the deepest drawdown shaded */
export function drawdownSection(report: RunReport): string {
  const { drawdown } = report.tearsheet;
  const bands =
    drawdown.peakTime === null || drawdown.troughTime === null
      ? []
      : [
          {
            from: drawdown.peakTime,
            to: drawdown.recoveryTime ?? report.end,
            title: `deepest drawdown ${formatPercent(-drawdown.maxDrawdown)}: peak ${time(drawdown.peakTime)}, trough ${time(drawdown.troughTime)}, ${drawdown.recoveryTime === null ? 'not recovered' : `recovered ${time(drawdown.recoveryTime)}`}`,
          },
        ];
  const dates =
    drawdown.peakTime === null
      ? 'no drawdown'
      : `deepest ${formatPercent(-drawdown.maxDrawdown)} from ${time(drawdown.peakTime)} to ${time(drawdown.troughTime)}, ${drawdown.recoveryTime === null ? 'not recovered by the end' : `recovered ${time(drawdown.recoveryTime)}`}; longest under water ${formatDuration(drawdown.longestMs)}`;
  return `<section>${lineChart({
    title: 'Drawdown (%)',
    timeAxis: true,
    area: true,
    bands,
    series: [
      {
        name: 'drawdown',
        color: SELL,
        points: underwater(report.equityCurve).map(([t, d]) => [t, d * 100] as const),
      },
    ],
    formatX: noLabel,
    formatY: (y) => formatDecimal(y, 2),
  })}<p class="caption" data-drawdown-dates>${escapeHtml(dates)}</p></section>`;
}

/** Merges buckets so at most `max` candles remain */
function toCandles(buckets: readonly PriceBucket[], max: number): PriceBucket[] {
  const group = Math.max(1, Math.ceil(buckets.length / max));
  if (group === 1) return [...buckets];
  const merged: PriceBucket[] = [];
  for (let i = 0; i < buckets.length; i += group) {
    const slice = buckets.slice(i, i + group);
    const first = slice[0]!;
    merged.push({
      time: first.time,
      open: first.open,
      high: Math.max(...slice.map((b) => b.high)),
      low: Math.min(...slice.map((b) => b.low)),
      close: slice[slice.length - 1]!.close,
      buyQuantity: slice.reduce((s, b) => s + b.buyQuantity, 0),
      buyNotional: slice.reduce((s, b) => s + b.buyNotional, 0),
      sellQuantity: slice.reduce((s, b) => s + b.sellQuantity, 0),
      sellNotional: slice.reduce((s, b) => s + b.sellNotional, 0),
    });
  }
  return merged;
}

/**
 * Price of each instrument as candles with its fills marked: every fill when there are few,
 * otherwise one mark per candle and side at the fills' average price, sized by quantity
 */
export function priceSections(report: RunReport): string {
  return report.instruments
    .map((symbol) => {
      const buckets = report.charts.prices[symbol] ?? [];
      const candles = toCandles(buckets, MAX_CANDLES);
      const width =
        candles.length > 1 ? candles[1]!.time - candles[0]!.time : report.samplePeriodMs;
      const markers: Marker[] = [];
      const raw = report.charts.fills?.filter((f) => f.symbol === symbol);
      if (raw !== undefined) {
        for (const f of raw)
          markers.push({
            x: f.time,
            y: f.price,
            color: f.side === 'BUY' ? BUY : SELL,
            shape: f.side === 'BUY' ? 'up' : 'down',
            size: 4,
            title: `${f.side} ${formatDecimal(f.quantity, 8)} @ ${formatDecimal(f.price, 8)} ${time(f.time)}`,
          });
      } else {
        const most = Math.max(...candles.map((c) => Math.max(c.buyQuantity, c.sellQuantity)), 0);
        for (const c of candles) {
          for (const side of ['BUY', 'SELL'] as const) {
            const quantity = side === 'BUY' ? c.buyQuantity : c.sellQuantity;
            if (quantity <= 0) continue;
            const notional = side === 'BUY' ? c.buyNotional : c.sellNotional;
            markers.push({
              x: c.time + width / 2,
              y: notional / quantity,
              color: side === 'BUY' ? BUY : SELL,
              shape: side === 'BUY' ? 'up' : 'down',
              size: 2.5 + 4 * Math.sqrt(quantity / most),
              title: `${side === 'BUY' ? 'bought' : 'sold'} ${formatDecimal(quantity, 8)} at ${formatDecimal(notional / quantity, 8)} on average, ${time(c.time)}`,
            });
          }
        }
      }
      const chart = lineChart({
        title: `${symbol} price, ${raw === undefined ? 'fills per candle (size by quantity)' : 'every fill'}: ▲ buy ▼ sell`,
        timeAxis: true,
        series: [],
        candles: candles.map(
          (c): Candle => ({
            x: c.time + width / 2,
            open: c.open,
            high: c.high,
            low: c.low,
            close: c.close,
          }),
        ),
        candleWidth: width,
        markers,
        height: 320,
        formatX: noLabel,
        formatY: (y) => formatDecimal(y, 2),
      });
      return `<section>${chart}</section>`;
    })
    .join('\n');
}

export function positionSection(report: RunReport): string {
  return `<section>${lineChart({
    title: 'Position over time',
    timeAxis: true,
    series: report.instruments.map((symbol, i) => ({
      name: symbol,
      color: COLORS[(i + 1) % COLORS.length]!,
      step: true,
      points: report.equityCurve.map((p) => [p.time, p.positions[symbol] ?? 0] as const),
    })),
    formatX: noLabel,
    formatY: (y) => formatDecimal(y, 6),
  })}</section>`;
}

export function latencySection(report: RunReport): string {
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
  return `<section>${barChart({
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
  })}</section>`;
}

/** Round-trip statistics and the last trades */
export function tradesSection(report: RunReport): string {
  const { trades, lastTrades } = report.tearsheet;
  const c = report.currency;
  const m = (v: number | null) => (v === null ? 'n/a' : formatMoney(v, c));
  const stats: Array<[string, string]> = [
    [
      'Closed round trips',
      `${grouped(trades.trades, 0)} (${trades.wins} won, ${trades.losses} lost)`,
    ],
    ['Gross profit / loss', `${m(trades.grossProfit)} / ${m(trades.grossLoss)} ${c}`],
    ['Average win / loss', `${m(trades.averageWin)} / ${m(trades.averageLoss)} ${c}`],
    ['Largest win / loss', `${m(trades.largestWin)} / ${m(trades.largestLoss)} ${c}`],
    [
      'Average duration',
      trades.averageDurationMs === null ? 'n/a' : formatDuration(trades.averageDurationMs),
    ],
  ];
  const rows = lastTrades
    .slice(-LAST_TRADES)
    .reverse()
    .map(
      (t) =>
        `<tr><td>${escapeHtml(t.symbol)}</td><td>${t.direction}</td><td>${time(t.entryTime)}</td><td>${time(t.exitTime)}</td><td class="num">${formatDecimal(t.entryPrice, 4)}</td><td class="num">${formatDecimal(t.exitPrice, 4)}</td><td class="num">${formatDecimal(t.quantity, 8)}</td><td class="num">${formatMoney(t.pnl, c)}</td><td class="num">${formatMoney(t.fees, c)}</td><td class="num ${t.netPnl >= 0 ? 'up' : 'down'}">${formatMoney(t.netPnl, c)}</td><td class="num">${formatDuration(t.durationMs)}</td></tr>`,
    )
    .join('');
  return `<section><h2>Round-trip trades</h2><table class="kv">${stats.map(([k, v]) => `<tr><th>${k}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
<h3>Last ${Math.min(LAST_TRADES, lastTrades.length)} trades (all in trades.csv)</h3>
<table><tr><th>symbol</th><th>side</th><th>entry</th><th>exit</th><th class="num">entry price</th><th class="num">exit price</th><th class="num">quantity</th><th class="num">PnL</th><th class="num">fees</th><th class="num">net</th><th class="num">duration</th></tr>${rows || '<tr><td colspan="11">no closed trade</td></tr>'}</table></section>`;
}

/** The last orders with their status transitions */
export function ordersSection(report: RunReport): string {
  const orders = report.tearsheet.lastOrders.slice(-LAST_ORDERS).reverse();
  const rows = orders
    .map((o) => {
      const audit = o.transitions
        .map((t) => `${t.from}→${t.to} ${time(t.time).slice(11)} (${t.cause})`)
        .join(', ');
      return `<tr><td class="mono">${escapeHtml(o.clientId)}</td><td>${o.side} ${o.type} ${o.timeInForce}</td><td class="num">${formatDecimal(o.quantity, 8)}</td><td class="num">${o.price === null ? 'market' : formatDecimal(o.price, 8)}</td><td>${o.status}</td><td class="num">${formatDecimal(o.filledQuantity, 8)}</td><td class="audit">${escapeHtml(audit)}${o.reason === null ? '' : `<br>${escapeHtml(o.reason)}`}</td></tr>`;
    })
    .join('');
  return `<section><h2>Last ${orders.length} orders (all in orders.csv)</h2><table><tr><th>clientId</th><th>order</th><th class="num">quantity</th><th class="num">price</th><th>status</th><th class="num">filled</th><th>transitions</th></tr>${rows || '<tr><td colspan="7">no orders</td></tr>'}</table></section>`;
}

export function tablesSection(report: RunReport): string {
  const statuses = (ORDER_STATUSES as readonly OrderStatus[])
    .map((s) => `<tr><th>${s}</th><td class="num">${report.ordersByStatus[s]}</td></tr>`)
    .join('');
  const c = report.currency;
  const positionRows = report.positions
    .map(
      (p) =>
        `<tr><th>${escapeHtml(p.instrument.symbol)}</th><td class="num">${formatDecimal(p.quantity, p.instrument.sizeDecimals)}</td><td class="num">${formatDecimal(p.averagePrice, p.instrument.priceDecimals + 2)}</td><td class="num">${formatMoney(p.realizedPnl, c)}</td><td class="num">${formatMoney(p.unrealizedPnl, c)}</td><td class="num">${formatMoney(p.commissions, c)}</td><td class="num">${formatMoney(p.funding, c)}</td></tr>`,
    )
    .join('');
  const balanceRows = report.balances
    .map(
      (b) =>
        `<tr><th>${escapeHtml(b.currency)}</th><td class="num">${formatMoney(b.total, b.currency)}</td><td class="num">${formatMoney(b.free, b.currency)}</td><td class="num">${formatMoney(b.locked, b.currency)}</td></tr>`,
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
  return `<div class="grid2">
<section><h2>Orders by final status</h2><table>${statuses}</table></section>
<section><h2>Venue health</h2><table>${health}</table></section>
</div>
<section><h2>Positions</h2><table><tr><th>symbol</th><th class="num">quantity</th><th class="num">average price</th><th class="num">realized</th><th class="num">unrealized</th><th class="num">fees</th><th class="num">funding</th></tr>${positionRows}</table></section>
<section><h2>Balances</h2><table><tr><th>currency</th><th class="num">total</th><th class="num">free</th><th class="num">locked</th></tr>${balanceRows}</table></section>`;
}

const STYLE = `.warn { background: #fef3c7; border: 1px solid #f59e0b; border-radius: 8px; padding: 8px 16px; margin: 12px 0; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #111827; margin: 0; background: #f8fafc; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 4px 0 8px; } h3 { font-size: 14px; margin: 14px 0 6px; }
.sub { color: #6b7280; margin: 0 0 16px; } .caption { color: #4b5563; margin: 4px 0 0 78px; font-size: 13px; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px 16px; margin: 12px 0; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #f1f5f9; vertical-align: top; }
th { font-weight: 600; color: #374151; white-space: nowrap; } .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.mono { font-family: ui-monospace, monospace; font-size: 12px; } td.audit { font-size: 12px; color: #4b5563; }
.figures { display: grid; grid-template-columns: repeat(7, 1fr); gap: 8px 12px; }
.figure .label { color: #6b7280; font-size: 12px; } .figure .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.figure .note { color: #9ca3af; font-size: 11px; } .up { color: #047857; } .down { color: #b91c1c; }
svg.chart text { font-size: 11px; fill: #4b5563; } svg.chart text.title { font-size: 13px; font-weight: 600; fill: #111827; }
svg.chart .grid { stroke: #eef2f7; } svg.chart .axis { stroke: #9ca3af; } svg.chart .placeholder { fill: #f9fafb; stroke: #e5e7eb; }
svg.chart .band { fill: #fee2e2; opacity: 0.6; } svg.chart .candle line { stroke-width: 1; }
svg.chart .candle.up line { stroke: #059669; } svg.chart .candle.up rect { fill: #a7f3d0; stroke: #059669; }
svg.chart .candle.down line { stroke: #dc2626; } svg.chart .candle.down rect { fill: #fecaca; stroke: #dc2626; }
svg.chart .marker { stroke: #fff; stroke-width: 0.6; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
table.heatmap { width: auto; } td.heat { min-width: 72px; }`;

/** Records on the page how many charts the browser laid out, so a headless check can tell they render */
const CHART_CHECK = `addEventListener('load', function () {
  var charts = Array.prototype.slice.call(document.querySelectorAll('svg.chart'));
  var drawn = charts.filter(function (svg) {
    var box = svg.getBoundingClientRect();
    var marks = svg.querySelectorAll('path, rect:not(.placeholder):not(.band)');
    return box.width > 0 && box.height > 0 && marks.length > 0 && marks[0].getBBox().width >= 0;
  });
  document.documentElement.setAttribute('data-charts', String(charts.length));
  document.documentElement.setAttribute('data-charts-drawn', String(drawn.length));
});`;

/** The page around the sections */
export function htmlPage(title: string, subtitle: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
${STYLE}
</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p class="sub">${escapeHtml(subtitle)}</p>
${body}
</main>
<script>
${CHART_CHECK}
</script>
</body>
</html>
`;
}

/** A marked warning when the run crossed stretches without market data (--allow-gaps) */
function gapWarning(report: RunReport): string {
  const gaps = report.dataGaps ?? [];
  if (gaps.length === 0) return '';
  return `<p class="warn" role="alert">The market data has gaps this run was allowed to cross: ${escapeHtml(formatDataGaps(gaps))}</p>`;
}

/**
 * The run report as one HTML page that opens in a browser with no network: the headline figures
 * (return, drawdown, Sharpe, Sortino, Calmar, trade statistics), the summary, equity against buy
 * and hold, the underwater curve, price candles with the fills marked, positions, round trips,
 * the last orders with their audit, latency and the tables, as inline SVG and HTML.
 */
export function renderHtmlReport(report: RunReport, outDir?: string): string {
  const summary = summaryRows(report, outDir)
    .map(([label, value]) => `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('');
  return htmlPage(
    `Kestrel run report${report.failure === undefined ? '' : ' (FAILED)'}: ${report.strategy} on ${report.venue}`,
    `${report.instruments.join(', ')} · ${time(report.start)} → ${time(report.end)} UTC · seed ${report.seed}`,
    [
      gapWarning(report),
      headlineSection(report),
      `<section><table class="kv">${summary}</table></section>`,
      equitySection(report),
      drawdownSection(report),
      priceSections(report),
      positionSection(report),
      tradesSection(report),
      ordersSection(report),
      latencySection(report),
      tablesSection(report),
    ].join('\n'),
  );
}
