import { formatDecimal } from '../../core/numeric.ts';

/** One line of a chart: points as [x, y] */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** Draw as steps (positions change in jumps) instead of straight segments */
  readonly step?: boolean;
}

export interface LineChartOptions {
  readonly title: string;
  readonly series: readonly Series[];
  readonly formatX: (x: number) => string;
  readonly formatY: (y: number) => string;
  readonly width?: number;
  readonly height?: number;
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
export function niceTicks(min: number, max: number, count = 5): number[] {
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
  if (all.length === 0) return emptyChart(options.title, width, height);
  const [x0, x1] = extent(all.map((p) => p[0]));
  const [y0, y1] = extent(all.map((p) => p[1]));
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * (width - PAD.left - PAD.right);
  const sy = (y: number) =>
    height - PAD.bottom - ((y - y0) / (y1 - y0)) * (height - PAD.top - PAD.bottom);
  const grid = niceTicks(y0, y1)
    .map(
      (t) =>
        `<line x1="${PAD.left}" x2="${width - PAD.right}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" class="grid"/><text x="${PAD.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(options.formatY(t))}</text>`,
    )
    .join('');
  const xTicks = niceTicks(x0, x1, 6)
    .map(
      (t) =>
        `<text x="${sx(t).toFixed(1)}" y="${height - PAD.bottom + 18}" text-anchor="middle">${escapeHtml(options.formatX(t))}</text>`,
    )
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
      return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"><title>${escapeHtml(s.name)}</title></path>`;
    })
    .join('');
  const legend = options.series
    .map(
      (s, i, all) =>
        `<g transform="translate(${width - PAD.right - (all.length - i) * 170},16)"><rect width="12" height="3" y="-4" fill="${s.color}"/><text x="18" y="0">${escapeHtml(s.name)}</text></g>`,
    )
    .join('');
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(options.title)}"><text x="${PAD.left}" y="16" class="title">${escapeHtml(options.title)}</text>${legend}${grid}<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${height - PAD.bottom}" class="axis"/>${xTicks}${paths}</svg>`;
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
