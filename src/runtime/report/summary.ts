import { formatDecimal } from '../../core/numeric.ts';
import type { OrderStatus } from '../../core/order.ts';
import { ORDER_STATUSES } from '../../core/order.ts';
import type { LatencyStats } from '../../engine/health-monitor.ts';
import type { RunReport } from '../backtest.ts';

/** Thousands separators, no float noise */
export function grouped(value: number, decimals = 2): string {
  const text = formatDecimal(value, decimals);
  const [whole = '', fraction] = text.split('.');
  const sign = whole.startsWith('-') ? '-' : '';
  const digits = sign === '' ? whole : whole.slice(1);
  const withCommas = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${withCommas}${fraction === undefined ? '' : `.${fraction}`}`;
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

function latency(stats: LatencyStats | undefined): string {
  if (stats === undefined || stats.count === 0) return 'no samples';
  return `p50 ${formatDecimal(stats.p50, 1)}  p90 ${formatDecimal(stats.p90, 1)}  p99 ${formatDecimal(stats.p99, 1)}  (n=${grouped(stats.count, 0)})`;
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${formatDecimal((100 * part) / whole, 1)}%`;
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
  const change =
    report.startEquity === 0 ? 0 : (report.endEquity - report.startEquity) / report.startEquity;
  const rows: Array<[string, string]> = [
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
        .map(([c, v]) => `${formatDecimal(v, 8)} ${c}`)
        .join('  ') || '0',
    ],
    [
      'PnL',
      `realized ${grouped(report.realizedPnl)}  unrealized ${grouped(report.unrealizedPnl)}  funding ${grouped(report.funding)} ${report.currency}`,
    ],
    [
      'Equity',
      `${grouped(report.startEquity)} → ${grouped(report.endEquity)} ${report.currency} (${change >= 0 ? '+' : ''}${formatDecimal(change * 100, 3)}%)`,
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
    report.balances.map((b) => `${b.currency} ${formatDecimal(b.total, 8)}`).join('  ') || 'none',
  ]);
  rows.push(['Submit latency (ms)', latency(health?.submitLatency)]);
  rows.push(['Cancel latency (ms)', latency(health?.cancelLatency)]);
  rows.push([
    'Order flow',
    `${grouped(report.cancelsBeforeAck, 0)} cancels before ack, ${grouped(report.fillsBeforeAck, 0)} fills before ack, ${grouped(report.counters.ignored, 0)} duplicate or late updates absorbed, ${grouped(report.counters.refused, 0)} refused`,
  ]);
  if (outDir !== undefined)
    rows.push([
      'Output',
      `${outDir} (report.html, orders.csv, fills.csv, equity.csv, summary.json)`,
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
    ...report.positions.map((p): [string, number] => [
      `position_${p.instrument.symbol}`,
      p.quantity,
    ]),
    ...report.balances.map((b): [string, number] => [`balance_${b.currency}`, b.total]),
    ['submit_latency_p50_ms', health?.submitLatency.p50 ?? 0],
    ['submit_latency_p90_ms', health?.submitLatency.p90 ?? 0],
    ['submit_latency_p99_ms', health?.submitLatency.p99 ?? 0],
    ['cancel_latency_p50_ms', health?.cancelLatency.p50 ?? 0],
    ['cancel_latency_p90_ms', health?.cancelLatency.p90 ?? 0],
    ['cancel_latency_p99_ms', health?.cancelLatency.p99 ?? 0],
    ['cancels_before_ack', report.cancelsBeforeAck],
    ['fills_before_ack', report.fillsBeforeAck],
    ['updates_absorbed', report.counters.ignored],
    ['updates_refused', report.counters.refused],
  ];
  if (outDir !== undefined) lines.push(['out', outDir]);
  return `${lines.map(([k, v]) => `${k}=${typeof v === 'number' ? formatDecimal(v, 8) : v}`).join('\n')}\n`;
}

/** The report as JSON: everything but the bulky curves, plus a thinned equity curve */
export function reportJson(report: RunReport): unknown {
  return {
    ...report,
    positions: report.positions.map((p) => ({ ...p, instrument: p.instrument.symbol })),
    equityCurve: report.equityCurve.map((p) => [p.time, p.equity]),
  };
}
