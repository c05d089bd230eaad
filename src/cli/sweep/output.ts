/**
 * What a sweep leaves behind: `sweep.csv` (one row per run, appended as runs finish, then
 * rewritten ranked by the chosen metric), `sweep.html` (the ranking, and a heat map when two
 * parameters vary) and `runs/<run>/` with each run's report.
 */
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { formatDecimal } from '../../core/numeric.ts';
import { htmlPage } from '../../runtime/report/html.ts';
import { formatPercent, formatRatio } from '../../runtime/report/summary.ts';
import { escapeHtml } from '../../runtime/report/svg.ts';
import type { Axis } from './grid.ts';
import type { RunFigures, SweepResult } from './job.ts';

/** The figures a sweep can rank by; maxDrawdown ranks lowest first, the rest highest first */
export const METRICS = [
  'sharpe',
  'sortino',
  'calmar',
  'totalReturn',
  'netPnl',
  'maxDrawdown',
  'winRate',
  'profitFactor',
] as const;
export type Metric = (typeof METRICS)[number];

const FIGURES: ReadonlyArray<keyof RunFigures> = [
  'totalReturn',
  'sharpe',
  'sortino',
  'calmar',
  'maxDrawdown',
  'netPnl',
  'fees',
  'roundTrips',
  'winRate',
  'profitFactor',
  'orders',
  'fills',
  'marketEvents',
];

/** A finished run as the sweep keeps it: small, whatever the run's size */
export interface SweepRow {
  readonly index: number;
  readonly params: Readonly<Record<string, string>>;
  readonly dirName: string;
  readonly status: 'ok' | 'failed';
  readonly error: string | undefined;
  readonly figures: RunFigures | undefined;
}

function csvField(value: string | number | null | undefined): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'number' ? formatDecimal(value, 8) : value;
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The metric's value of a row, oriented so larger is better; undefined when it has none */
function score(row: SweepRow, metric: Metric): number | undefined {
  const value = row.figures?.[metric];
  if (value === null || value === undefined || !Number.isFinite(value)) return undefined;
  return metric === 'maxDrawdown' ? -value : value;
}

/** Rows best first by the metric; runs without it (failed, or n/a) last, in grid order */
export function rank(rows: readonly SweepRow[], metric: Metric): SweepRow[] {
  return [...rows].sort((a, b) => {
    const sa = score(a, metric);
    const sb = score(b, metric);
    if (sa === undefined || sb === undefined)
      return sa === sb ? a.index - b.index : sa === undefined ? 1 : -1;
    return sb - sa || a.index - b.index;
  });
}

export class SweepOutput {
  readonly dir: string;
  private readonly axes: readonly Axis[];
  private readonly metric: Metric;
  private readonly rows = new Map<number, SweepRow>();
  private readonly fd: number;

  constructor(dir: string, axes: readonly Axis[], metric: Metric) {
    this.dir = dir;
    this.axes = axes;
    this.metric = metric;
    mkdirSync(join(dir, 'runs'), { recursive: true });
    this.fd = openSync(join(dir, 'sweep.csv'), 'w');
    writeSync(this.fd, this.header());
  }

  private header(): string {
    return `${['rank', 'run', ...this.axes.map((a) => a.name), 'status', ...FIGURES, 'report', 'error'].join(',')}\n`;
  }

  private line(row: SweepRow, rank: number | undefined): string {
    return `${[
      rank,
      row.index + 1,
      ...this.axes.map((a) => row.params[a.name]),
      row.status,
      ...FIGURES.map((f) => row.figures?.[f]),
      row.status === 'ok' ? `runs/${row.dirName}/report.html` : '',
      row.error,
    ]
      .map(csvField)
      .join(',')}\n`;
  }

  /** How many distinct runs have a result */
  get count(): number {
    return this.rows.size;
  }

  has(index: number): boolean {
    return this.rows.has(index);
  }

  /**
   * Records a result (a second result for the same run is ignored: nothing counts twice), writes
   * shipped report files into the run's folder, appends its CSV row; returns whether it was new
   */
  add(result: SweepResult): boolean {
    if (this.rows.has(result.index)) return false;
    if (result.files !== undefined) {
      const dir = join(this.dir, 'runs', result.dirName);
      mkdirSync(dir, { recursive: true });
      for (const [name, data] of Object.entries(result.files))
        writeFileSync(join(dir, name), gunzipSync(Buffer.from(data, 'base64')));
    }
    const row: SweepRow = {
      index: result.index,
      params: result.params,
      dirName: result.dirName,
      status: result.status,
      error: result.error,
      figures: result.figures,
    };
    this.rows.set(result.index, row);
    writeSync(this.fd, this.line(row, undefined));
    return true;
  }

  /** The best row so far by the metric */
  best(): SweepRow | undefined {
    return rank([...this.rows.values()], this.metric)[0];
  }

  /** Rewrites sweep.csv ranked (atomically) and writes sweep.html; returns the ranked rows */
  finish(title: string): SweepRow[] {
    closeSync(this.fd);
    const ranked = rank([...this.rows.values()], this.metric);
    const temp = join(this.dir, 'sweep.csv.tmp');
    writeFileSync(
      temp,
      this.header() +
        ranked
          .map((row, i) =>
            this.line(row, score(row, this.metric) === undefined ? undefined : i + 1),
          )
          .join(''),
    );
    renameSync(temp, join(this.dir, 'sweep.csv'));
    writeFileSync(join(this.dir, 'sweep.html'), this.html(title, ranked));
    return ranked;
  }

  private html(title: string, ranked: readonly SweepRow[]): string {
    const metric = this.metric;
    const failed = ranked.filter((r) => r.status === 'failed').length;
    const varying = this.axes.filter((a) => a.values.length > 1);
    const heat = varying.length === 2 ? heatMap(varying[0]!, varying[1]!, ranked, metric) : '';
    const rows = ranked
      .map((row, i) => {
        const f = row.figures;
        const cells = [
          score(row, metric) === undefined ? '' : String(i + 1),
          ...this.axes.map((a) => escapeHtml(row.params[a.name] ?? '')),
          f === undefined ? '' : formatPercent(f.totalReturn),
          f === undefined ? '' : formatRatio(f.sharpe),
          f === undefined ? '' : formatRatio(f.sortino),
          f === undefined ? '' : formatRatio(f.calmar),
          f === undefined ? '' : formatPercent(f.maxDrawdown, 2, false),
          f === undefined ? '' : formatDecimal(f.netPnl, 2),
          f === undefined ? '' : String(f.roundTrips),
          f === undefined ? '' : formatPercent(f.winRate, 1, false),
          f === undefined ? '' : String(f.fills),
        ];
        const link =
          row.status === 'ok'
            ? `<a href="runs/${escapeHtml(row.dirName)}/report.html">report</a>`
            : `<span class="down">${escapeHtml(row.error ?? 'failed')}</span>`;
        return `<tr>${cells.map((c, k) => `<td class="${k === 0 || k > this.axes.length ? 'num' : ''}">${c}</td>`).join('')}<td>${link}</td></tr>`;
      })
      .join('');
    const head = [
      '#',
      ...this.axes.map((a) => escapeHtml(a.name)),
      'return',
      'Sharpe',
      'Sortino',
      'Calmar',
      'max drawdown',
      'net PnL',
      'round trips',
      'win rate',
      'fills',
      '',
    ]
      .map((h) => `<th>${h}</th>`)
      .join('');
    return htmlPage(
      title,
      `${ranked.length} runs ranked by ${metric}${failed > 0 ? `, ${failed} failed` : ''}`,
      `${heat}<section><table>${head}${rows}</table></section>`,
    );
  }

  /** Closes sweep.csv without ranking (a sweep that stopped early leaves what finished) */
  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

/** Two parameters as a grid of cells coloured by the metric (green best, red worst) */
function heatMap(x: Axis, y: Axis, rows: readonly SweepRow[], metric: Metric): string {
  const cell = new Map<string, SweepRow>();
  for (const row of rows) cell.set(`${row.params[x.name]}\u0000${row.params[y.name]}`, row);
  const scores = rows.map((r) => score(r, metric)).filter((s): s is number => s !== undefined);
  const lo = Math.min(...scores);
  const hi = Math.max(...scores);
  const colour = (s: number | undefined) => {
    if (s === undefined) return '#f3f4f6';
    const t = hi === lo ? 0.5 : (s - lo) / (hi - lo);
    return `hsl(${Math.round(t * 120)}, 70%, ${Math.round(88 - 20 * Math.abs(t - 0.5))}%)`;
  };
  const show = (row: SweepRow | undefined) => {
    const v = row?.figures?.[metric];
    if (row === undefined) return '';
    if (row.status === 'failed') return 'failed';
    if (v === null || v === undefined) return 'n/a';
    return metric === 'totalReturn' || metric === 'maxDrawdown' || metric === 'winRate'
      ? formatPercent(v, 2, metric === 'totalReturn')
      : formatDecimal(v, 2);
  };
  const header = x.values.map((v) => `<th class="num">${escapeHtml(v)}</th>`).join('');
  const body = y.values
    .map((yv) => {
      const cells = x.values
        .map((xv) => {
          const row = cell.get(`${xv}\u0000${yv}`);
          const link = row?.status === 'ok' ? `runs/${row.dirName}/report.html` : undefined;
          const text = escapeHtml(show(row));
          return `<td class="num heat" style="background:${colour(row === undefined ? undefined : score(row, metric))}">${link === undefined ? text : `<a href="${escapeHtml(link)}">${text}</a>`}</td>`;
        })
        .join('');
      return `<tr><th>${escapeHtml(yv)}</th>${cells}</tr>`;
    })
    .join('');
  return `<section><h2 data-heatmap>${escapeHtml(metric)} by ${escapeHtml(x.name)} (across) and ${escapeHtml(y.name)} (down)</h2><table class="heatmap"><tr><th>${escapeHtml(y.name)} \\ ${escapeHtml(x.name)}</th>${header}</tr>${body}</table></section>`;
}
