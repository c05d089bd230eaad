import { formatDecimal } from '../../core/numeric.ts';

/** One line of a chart: points as [x, y] */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** Draw as steps (positions change in jumps) instead of straight segments */
  readonly step?: boolean;
}

/** A point marked on a chart: a fill on the price chart */
export interface Marker {
  readonly x: number;
  readonly y: number;
  readonly color: string;
  /** Up-pointing (a buy) or down-pointing (a sell) triangle */
  readonly shape: 'up' | 'down';
  /** Radius in pixels */
  readonly size: number;
  readonly title: string;
}

/** An OHLC candle at x */
export interface Candle {
  readonly x: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

export interface LineChartOptions {
  readonly title: string;
  readonly series: readonly Series[];
  /** Time axis: ticks at round times; else round numbers */
  readonly timeAxis?: boolean;
  readonly formatX: (x: number) => string;
  readonly formatY: (y: number) => string;
  readonly width?: number;
  readonly height?: number;
  /** Fill the area between the first series and zero (an underwater curve) */
  readonly area?: boolean;
  /** Shaded spans of x, e.g. the deepest drawdown */
  readonly bands?: ReadonlyArray<{
    readonly from: number;
    readonly to: number;
    readonly title: string;
  }>;
  readonly markers?: readonly Marker[];
  readonly candles?: readonly Candle[];
  /** Width of one candle in x units */
  readonly candleWidth?: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIME_STEPS = [
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  4 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  28 * DAY,
  91 * DAY,
  364 * DAY,
];

/** Ticks at round UTC times (whole minutes, hours, days...) covering [min, max], about `count` of them */
export function timeTicks(min: number, max: number, count = 6): { ticks: number[]; step: number } {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) return { ticks: [], step: 0 };
  const step =
    TIME_STEPS.find((s) => (max - min) / s <= count) ?? TIME_STEPS[TIME_STEPS.length - 1]!;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max; t += step) ticks.push(t);
  return { ticks, step };
}

/** A label for a time tick: seconds when the step is under a minute, the date when it is days */
export function formatTimeTick(time: number, step: number): string {
  const iso = new Date(time).toISOString();
  if (step >= DAY) return iso.slice(0, 10);
  if (step < MINUTE) return iso.slice(11, 19);
  const clock = iso.slice(11, 16);
  return time % DAY === 0 ? `${iso.slice(5, 10)} ${clock}` : clock;
}

const PAD = { left: 78, right: 16, top: 30, bottom: 34 };

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Round tick values covering [min, max] */
function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step)
    ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function extent(values: readonly number[]): [number, number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === max) {
    const pad = Math.abs(min) * 0.01 || 1;
    return [min - pad, max + pad];
  }
  return [min, max];
}

/** A line (or step) chart as a self-contained SVG element */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 900;
  const height = options.height ?? 280;
  const all = options.series.flatMap((s) => s.points);
  const candles = options.candles ?? [];
  if (all.length === 0 && candles.length === 0) return emptyChart(options.title, width, height);
  const half = (options.candleWidth ?? 0) / 2;
  const [x0, x1] = extent([
    ...all.map((p) => p[0]),
    ...candles.flatMap((c) => [c.x - half, c.x + half]),
  ]);
  const [y0, y1] = extent([
    ...all.map((p) => p[1]),
    ...candles.flatMap((c) => [c.low, c.high]),
    ...(options.markers ?? []).map((m) => m.y),
    ...(options.area === true ? [0] : []),
  ]);
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * (width - PAD.left - PAD.right);
  const sy = (y: number) =>
    height - PAD.bottom - ((y - y0) / (y1 - y0)) * (height - PAD.top - PAD.bottom);
  const grid = niceTicks(y0, y1)
    .map(
      (t) =>
        `<line x1="${PAD.left}" x2="${width - PAD.right}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" class="grid"/><text x="${PAD.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(options.formatY(t))}</text>`,
    )
    .join('');
  const time = options.timeAxis === true ? timeTicks(x0, x1, 7) : undefined;
  const xTicks = (time?.ticks ?? niceTicks(x0, x1, 6))
    .map(
      (t) =>
        `<line x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${height - PAD.bottom}" y2="${height - PAD.bottom + 4}" class="axis"/><text x="${sx(t).toFixed(1)}" y="${height - PAD.bottom + 18}" text-anchor="middle">${escapeHtml(time === undefined ? options.formatX(t) : formatTimeTick(t, time.step))}</text>`,
    )
    .join('');
  const bands = (options.bands ?? [])
    .map(
      (b) =>
        `<rect class="band" x="${sx(b.from).toFixed(1)}" y="${PAD.top}" width="${Math.max(1, sx(b.to) - sx(b.from)).toFixed(1)}" height="${height - PAD.top - PAD.bottom}"><title>${escapeHtml(b.title)}</title></rect>`,
    )
    .join('');
  const candleMarks = candles
    .map((c) => {
      const up = c.close >= c.open;
      const top = sy(Math.max(c.open, c.close));
      const body = Math.max(1, Math.abs(sy(c.open) - sy(c.close)));
      const w = Math.max(1, sx(c.x + half) - sx(c.x - half)) * 0.7;
      return `<g class="${up ? 'candle up' : 'candle down'}"><line x1="${sx(c.x).toFixed(1)}" x2="${sx(c.x).toFixed(1)}" y1="${sy(c.high).toFixed(1)}" y2="${sy(c.low).toFixed(1)}"/><rect x="${(sx(c.x) - w / 2).toFixed(1)}" y="${top.toFixed(1)}" width="${w.toFixed(1)}" height="${body.toFixed(1)}"/></g>`;
    })
    .join('');
  const markers = (options.markers ?? [])
    .map((m) => {
      const x = sx(m.x);
      const y = sy(m.y);
      const r = m.size;
      const d =
        m.shape === 'up'
          ? `M${x.toFixed(1)},${(y - r).toFixed(1)}l${r.toFixed(1)},${(1.7 * r).toFixed(1)}h${(-2 * r).toFixed(1)}z`
          : `M${x.toFixed(1)},${(y + r).toFixed(1)}l${r.toFixed(1)},${(-1.7 * r).toFixed(1)}h${(-2 * r).toFixed(1)}z`;
      return `<path class="marker" d="${d}" fill="${m.color}"><title>${escapeHtml(m.title)}</title></path>`;
    })
    .join('');
  const paths = options.series
    .filter((s) => s.points.length > 0)
    .map((s) => {
      let d = '';
      for (const [x, y] of s.points) {
        const px = sx(x).toFixed(1);
        const py = sy(y).toFixed(1);
        if (d === '') d = `M${px},${py}`;
        else if (s.step === true) d += `H${px}V${py}`;
        else d += `L${px},${py}`;
      }
      const area =
        options.area === true && s === options.series[0] && s.points.length > 0
          ? `<path d="${d}V${sy(0).toFixed(1)}H${sx(s.points[0]![0]).toFixed(1)}z" fill="${s.color}" fill-opacity="0.18" stroke="none"/>`
          : '';
      return `${area}<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"><title>${escapeHtml(s.name)}</title></path>`;
    })
    .join('');
  const legend = options.series
    .map(
      (s, i, all) =>
        `<g transform="translate(${width - PAD.right - (all.length - i) * 170},16)"><rect width="12" height="3" y="-4" fill="${s.color}"/><text x="18" y="0">${escapeHtml(s.name)}</text></g>`,
    )
    .join('');
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(options.title)}"><text x="${PAD.left}" y="16" class="title">${escapeHtml(options.title)}</text>${legend}${grid}<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${height - PAD.bottom}" class="axis"/>${bands}${xTicks}${candleMarks}${paths}${markers}</svg>`;
}

export interface BarChartOptions {
  readonly title: string;
  readonly labels: readonly string[];
  readonly series: ReadonlyArray<{
    readonly name: string;
    readonly color: string;
    readonly values: readonly number[];
  }>;
  readonly width?: number;
  readonly height?: number;
}

/** Grouped bars (one group per label), e.g. a latency histogram */
export function barChart(options: BarChartOptions): string {
  const width = options.width ?? 900;
  const height = options.height ?? 260;
  const max = Math.max(0, ...options.series.flatMap((s) => s.values));
  if (max === 0) return emptyChart(options.title, width, height);
  const slots = options.labels.length;
  const slot = (width - PAD.left - PAD.right) / slots;
  const bar = Math.max(1, (slot * 0.8) / options.series.length);
  const sy = (v: number) => ((height - PAD.top - PAD.bottom) * v) / max;
  const rects = options.series
    .map((s, k) =>
      s.values
        .map((v, i) => {
          if (v === 0) return '';
          const h = sy(v);
          const x = PAD.left + i * slot + slot * 0.1 + k * bar;
          return `<rect x="${x.toFixed(1)}" y="${(height - PAD.bottom - h).toFixed(1)}" width="${bar.toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"><title>${escapeHtml(`${s.name} ${options.labels[i]} ms: ${v}`)}</title></rect>`;
        })
        .join(''),
    )
    .join('');
  const every = Math.max(1, Math.ceil(slots / 12));
  const labels = options.labels
    .map((label, i) =>
      i % every === 0
        ? `<text x="${(PAD.left + i * slot + slot / 2).toFixed(1)}" y="${height - PAD.bottom + 18}" text-anchor="middle">${escapeHtml(label)}</text>`
        : '',
    )
    .join('');
  const grid = niceTicks(0, max, 4)
    .map(
      (t) =>
        `<line x1="${PAD.left}" x2="${width - PAD.right}" y1="${(height - PAD.bottom - sy(t)).toFixed(1)}" y2="${(height - PAD.bottom - sy(t)).toFixed(1)}" class="grid"/><text x="${PAD.left - 6}" y="${(height - PAD.bottom - sy(t) + 4).toFixed(1)}" text-anchor="end">${formatDecimal(t, 0)}</text>`,
    )
    .join('');
  const legend = options.series
    .map(
      (s, i, all) =>
        `<g transform="translate(${width - PAD.right - (all.length - i) * 170},16)"><rect width="12" height="8" y="-8" fill="${s.color}"/><text x="18" y="0">${escapeHtml(s.name)}</text></g>`,
    )
    .join('');
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(options.title)}"><text x="${PAD.left}" y="16" class="title">${escapeHtml(options.title)}</text>${legend}${grid}${rects}${labels}</svg>`;
}

function emptyChart(title: string, width: number, height: number): string {
  return `<svg class="chart empty" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(title)}"><text x="${PAD.left}" y="16" class="title">${escapeHtml(title)}</text><rect x="${PAD.left}" y="${PAD.top}" width="${width - PAD.left - PAD.right}" height="${height - PAD.top - PAD.bottom}" class="placeholder"/><text x="${width / 2}" y="${height / 2}" text-anchor="middle">no data</text></svg>`;
}
