import { formatDecimal } from '../../core/numeric.ts';
import type { OrderStatus } from '../../core/order.ts';
import { ORDER_STATUSES } from '../../core/order.ts';
import type { LatencyStats } from '../../engine/health-monitor.ts';
import type { RunReport } from '../backtest.ts';
import type { DataGap } from '../data-file.ts';

/** Thousands separators, no float noise */
export function grouped(value: number, decimals = 2): string {
  const text = formatDecimal(value, decimals);
  const [whole = '', fraction] = text.split('.');
  const sign = whole.startsWith('-') ? '-' : '';
  const digits = sign === '' ? whole : whole.slice(1);
  const withCommas = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${withCommas}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** Currencies priced like cash, shown with cents; anything else (BTC, ETH...) with 8 decimals */
const CASH_LIKE = new Set([
  'USD',
  'USDT',
  'USDC',
  'BUSD',
  'FDUSD',
  'TUSD',
  'DAI',
  'USDE',
  'PYUSD',
  'USD1',
  'EUR',
  'GBP',
]);

/** How many decimals money in a currency is printed with */
export function currencyDecimals(currency: string): number {
  return CASH_LIKE.has(currency.toUpperCase()) ? 2 : 8;
}

/** Money with the currency's decimals (fixed, so columns line up) and thousands separators */
export function formatMoney(value: number, currency: string): string {
  const text = (Math.abs(value) < 1e15 ? value : 0).toFixed(currencyDecimals(currency));
  const negative = text.startsWith('-') && /[1-9]/.test(text);
  const [whole = '', fraction] = text.replace('-', '').split('.');
  const withCommas = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${withCommas}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** A number with exactly `decimals` decimals, never `-0.00` */
function fixed(value: number, decimals: number): string {
  const text = value.toFixed(decimals);
  return /^-[0.]+$/.test(text) ? text.slice(1) : text;
}

/** A fraction as a percentage with fixed decimals: 0.01234 → +1.23% (signed) ; null → n/a */
export function formatPercent(fraction: number | null, decimals = 2, signed = true): string {
  if (fraction === null || !Number.isFinite(fraction)) return 'n/a';
  const text = fixed(fraction * 100, decimals);
  return `${signed && /^[0-9]/.test(text) && /[1-9]/.test(text) ? '+' : ''}${text}%`;
}

/** A ratio such as Sharpe with two fixed decimals; null → n/a */
export function formatRatio(value: number | null, decimals = 2): string {
  return value === null || !Number.isFinite(value) ? 'n/a' : fixed(value, decimals);
}

/** A sampling period in words: 1 s, 15 s, 1 min, 4 h, 1 d */
export function formatPeriod(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${formatDecimal(ms / 1000, 3)} s`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${formatDecimal(seconds, 1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${Math.round(seconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

function time(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** A latency figure, ms, or `n/a` for an empty series */
export function formatLatency(value: number | null | undefined, decimals = 1): string {
  return value === null || value === undefined ? 'n/a' : formatDecimal(value, decimals);
}

function latency(stats: LatencyStats | undefined): string {
  if (stats === undefined || stats.count === 0) return 'n/a (no samples)';
  return `p50 ${formatLatency(stats.p50)}  p90 ${formatLatency(stats.p90)}  p99 ${formatLatency(stats.p99)}  (n=${grouped(stats.count, 0)}, whole run)`;
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${formatDecimal((100 * part) / whole, 1)}%`;
}

/** Accepted stretches without market data, for people: how many, and each with its length */
export function formatDataGaps(gaps: readonly DataGap[]): string {
  const shown = gaps
    .slice(0, 3)
    .map((g) => `${time(g.from)} → ${time(g.to)} (${formatDuration(g.to - g.from)})`)
    .join('; ');
  const more = gaps.length > 3 ? `; and ${gaps.length - 3} more` : '';
  return `${gaps.length} accepted with --allow-gaps, no market data: ${shown}${more}`;
}

/** The rows of the run summary: label and value, in the order shown */
export function summaryRows(report: RunReport, outDir?: string): Array<[string, string]> {
  const health =
    report.health.exchanges.find((e) => e.exchange === report.venue) ?? report.health.exchanges[0];
  const statuses = (ORDER_STATUSES as readonly OrderStatus[])
    .filter((s) => report.ordersByStatus[s] > 0)
    .map((s) => `${s} ${grouped(report.ordersByStatus[s], 0)}`)
    .join('  ');
  const eventsPerSecond = report.marketEvents / Math.max(report.wallMs / 1000, 1e-9);
  const { metrics, drawdown, trades, buyAndHold } = report.tearsheet;
  const money = (value: number) => `${formatMoney(value, report.currency)} ${report.currency}`;
  const rows: Array<[string, string]> = [
    ...(report.failure === undefined
      ? []
      : [
          ['Status', `FAILED at ${time(report.failure.time)}: ${report.failure.message}`] as [
            string,
            string,
          ],
        ]),
    ['Run', `${report.strategy} on ${report.venue}  ${report.instruments.join(', ')}`],
    [
      'Period',
      `${time(report.start)} → ${time(report.end)} (${formatDuration(report.end - report.start)})`,
    ],
    [
      'Market events',
      `${grouped(report.marketEvents, 0)} in ${formatDuration(report.wallMs)} (${grouped(eventsPerSecond, 0)}/s)`,
    ],
    ['Orders', `${grouped(report.orders, 0)}   ${statuses || 'none'}`],
    [
      'Fills',
      `${grouped(report.fills, 0)}   maker ${percent(report.makerFills, report.fills)}  taker ${percent(report.takerFills, report.fills)}   traded ${grouped(report.tradedNotional)} ${report.currency}`,
    ],
    [
      'Fees',
      Object.entries(report.fees)
        .map(([c, v]) => `${formatMoney(v, c)} ${c}`)
        .join('  ') || '0',
    ],
    [
      'PnL',
      `realized ${formatMoney(report.realizedPnl, report.currency)}  unrealized ${formatMoney(report.unrealizedPnl, report.currency)}  funding ${money(report.funding)}`,
    ],
    [
      'Equity',
      `${formatMoney(report.startEquity, report.currency)} → ${money(report.endEquity)} (${formatPercent(metrics.totalReturn, 3)}; buy & hold ${formatPercent(buyAndHold.totalReturn)})`,
    ],
    [
      'Risk',
      `max drawdown ${formatPercent(-drawdown.maxDrawdown)} (${money(-drawdown.maxDrawdownAmount)})  Sharpe ${formatRatio(metrics.sharpe)}  Sortino ${formatRatio(metrics.sortino)}  Calmar ${formatRatio(metrics.calmar)}`,
    ],
    [
      'Trades',
      trades.trades === 0
        ? `none closed${trades.open > 0 ? ` (${trades.open} open)` : ''}`
        : `${grouped(trades.trades, 0)} round trips  win rate ${formatPercent(trades.winRate, 1, false)}  profit factor ${formatRatio(trades.profitFactor)}  expectancy ${money(trades.expectancy ?? 0)}  exposure ${formatPercent(trades.exposure, 1, false)}`,
    ],
  ];
  if (report.fundingPayments > 0 || report.liquidations.length > 0) {
    const liquidated = report.liquidations
      .map(
        (l) =>
          `${l.symbol} ${l.side} ${formatDecimal(l.quantity, 8)} @ ${formatDecimal(l.price, 8)}`,
      )
      .join(', ');
    rows.push([
      'Funding, liquidation',
      `${grouped(report.fundingPayments, 0)} funding payments (${grouped(report.funding)} ${report.currency})   ${
        report.liquidations.length === 0 ? 'no liquidation' : `liquidated: ${liquidated}`
      }`,
    ]);
  }
  const gaps = report.dataGaps ?? [];
  if (gaps.length > 0) rows.push(['Data gaps', formatDataGaps(gaps)]);
  const open = report.positions.filter((p) => p.quantity !== 0);
  rows.push([
    'Position',
    open.length === 0
      ? 'flat'
      : open
          .map(
            (p) =>
              `${p.instrument.symbol} ${formatDecimal(p.quantity, p.instrument.sizeDecimals)} @ ${formatDecimal(p.averagePrice, p.instrument.priceDecimals + 2)}`,
          )
          .join('  '),
  ]);
  rows.push([
    'Balances',
    report.balances.map((b) => `${b.currency} ${formatMoney(b.total, b.currency)}`).join('  ') ||
      'none',
  ]);
  rows.push(['Submit latency (ms)', latency(health?.submitLatency)]);
  rows.push(['Cancel latency (ms)', latency(health?.cancelLatency)]);
  rows.push([
    'Order flow',
    `${grouped(report.cancelsBeforeAck, 0)} cancels before ack, ${grouped(report.fillsBeforeAck, 0)} fills before ack, ${grouped(report.counters.ignored, 0)} duplicate or late updates absorbed, ${grouped(report.counters.refused, 0)} refused, ${grouped(health?.counts.refusedInputs ?? 0, 0)} venue frames refused`,
  ]);
  if (outDir !== undefined)
    rows.push([
      'Output',
      `${outDir} (report.html, summary.json, orders.csv, fills.csv, trades.csv, equity.csv)`,
    ]);
  return rows;
}

/** The summary as an aligned table for a terminal */
export function formatSummaryTable(report: RunReport, outDir?: string): string {
  const rows = summaryRows(report, outDir);
  const width = Math.max(...rows.map(([label]) => label.length));
  return `${rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}

/** The summary as `key=value` lines for scripts: one fact per line, exact numbers */
export function formatSummaryLines(report: RunReport, outDir?: string): string {
  const health =
    report.health.exchanges.find((e) => e.exchange === report.venue) ?? report.health.exchanges[0];
  const lines: Array<[string, string | number]> = [
    ['status', report.failure === undefined ? 'completed' : 'failed'],
    ...(report.failure === undefined
      ? []
      : [
          ['error', report.failure.message.replace(/\s+/g, ' ')] as [string, string],
          ['failed_at', new Date(report.failure.time).toISOString()] as [string, string],
        ]),
    ['strategy', report.strategy],
    ['venue', report.venue],
    ['instruments', report.instruments.join(',')],
    ['start', new Date(report.start).toISOString()],
    ['end', new Date(report.end).toISOString()],
    ['market_events', report.marketEvents],
    ['wall_ms', Math.round(report.wallMs)],
    ['orders', report.orders],
    ...(ORDER_STATUSES as readonly OrderStatus[]).map((s): [string, number] => [
      `orders_${s.toLowerCase()}`,
      report.ordersByStatus[s],
    ]),
    ['fills', report.fills],
    ['fills_maker', report.makerFills],
    ['fills_taker', report.takerFills],
    ['traded_notional', report.tradedNotional],
    ...Object.entries(report.fees).map(([c, v]): [string, number] => [`fees_${c}`, v]),
    ['realized_pnl', report.realizedPnl],
    ['unrealized_pnl', report.unrealizedPnl],
    ['funding', report.funding],
    ['funding_payments', report.fundingPayments],
    ['liquidations', report.liquidations.length],
    ['equity_start', report.startEquity],
    ['equity_end', report.endEquity],
    ['total_return', report.tearsheet.metrics.totalReturn ?? Number.NaN],
    ['max_drawdown', report.tearsheet.drawdown.maxDrawdown],
    ['sharpe', report.tearsheet.metrics.sharpe ?? Number.NaN],
    ['sortino', report.tearsheet.metrics.sortino ?? Number.NaN],
    ['calmar', report.tearsheet.metrics.calmar ?? Number.NaN],
    ['round_trips', report.tearsheet.trades.trades],
    ['win_rate', report.tearsheet.trades.winRate ?? Number.NaN],
    ['profit_factor', report.tearsheet.trades.profitFactor ?? Number.NaN],
    ...report.positions.map((p): [string, number] => [
      `position_${p.instrument.symbol}`,
      p.quantity,
    ]),
    ...report.balances.map((b): [string, number] => [`balance_${b.currency}`, b.total]),
    ['submit_latency_n', health?.submitLatency.count ?? 0],
    ['submit_latency_p50_ms', formatLatency(health?.submitLatency.p50, 8)],
    ['submit_latency_p90_ms', formatLatency(health?.submitLatency.p90, 8)],
    ['submit_latency_p99_ms', formatLatency(health?.submitLatency.p99, 8)],
    ['cancel_latency_n', health?.cancelLatency.count ?? 0],
    ['cancel_latency_p50_ms', formatLatency(health?.cancelLatency.p50, 8)],
    ['cancel_latency_p90_ms', formatLatency(health?.cancelLatency.p90, 8)],
    ['cancel_latency_p99_ms', formatLatency(health?.cancelLatency.p99, 8)],
    ['cancels_before_ack', report.cancelsBeforeAck],
    ['fills_before_ack', report.fillsBeforeAck],
    ['updates_absorbed', report.counters.ignored],
    ['updates_refused', report.counters.refused],
    ['refused_inputs', health?.counts.refusedInputs ?? 0],
    ['data_gaps', report.dataGaps?.length ?? 0],
    ...(report.dataGaps ?? []).map((g, i): [string, string] => [
      `data_gap_${i + 1}`,
      `${new Date(g.from).toISOString()}/${new Date(g.to).toISOString()}`,
    ]),
  ];
  if (outDir !== undefined) lines.push(['out', outDir]);
  return `${lines.map(([k, v]) => `${k}=${typeof v === 'number' ? formatDecimal(v, 8) : v}`).join('\n')}\n`;
}

/** The report as JSON: everything but the chart data, with the equity curve as [time, equity] */
export function reportJson(report: RunReport): unknown {
  const { charts: _charts, ...rest } = report;
  return {
    ...rest,
    positions: report.positions.map((p) => ({ ...p, instrument: p.instrument.symbol })),
    equityCurve: report.equityCurve.map((p) => [p.time, p.equity]),
  };
}
