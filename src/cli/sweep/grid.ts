/**
 * The parameter grid of a sweep: `--param name=1,2,3` (a list) or `--param name=0.01:0.05:0.01`
 * (an inclusive range: start, end, step), expanded into every combination.
 */
import { KestrelError } from '../../core/errors.ts';
import { stepDecimals } from '../../core/numeric.ts';

/** One swept parameter and its values, as strings the strategy reads from ctx.params */
export interface Axis {
  readonly name: string;
  readonly values: readonly string[];
}

/** One combination: its index in the grid and a value per parameter */
export interface Combination {
  readonly index: number;
  readonly params: Readonly<Record<string, string>>;
}

/** The most combinations one sweep may have */
const MAX_COMBINATIONS = 100_000;

const bad = (spec: string, problem: string) =>
  new KestrelError('INVALID_ARGUMENT', `--param ${spec}: ${problem}`, {
    field: 'param',
    value: spec,
  });

function decimalsOf(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/**
 * Reads one `name=values` argument.
 * @throws KestrelError INVALID_ARGUMENT naming the argument: no name, no values, an empty list
 * item, a malformed or empty range
 */
export function parseAxis(spec: string): Axis {
  const eq = spec.indexOf('=');
  const name = eq < 0 ? '' : spec.slice(0, eq).trim();
  if (eq <= 0 || !/^[A-Za-z_][\w.-]*$/.test(name))
    throw bad(spec, 'must be NAME=VALUES, e.g. edgeBps=1,2,3 or size=0.01:0.05:0.01');
  const body = spec.slice(eq + 1).trim();
  if (body === '') throw bad(spec, `no values for ${name}`);
  if (body.includes(':')) {
    const parts = body.split(':').map((p) => p.trim());
    const numbers = parts.map(Number);
    if (
      parts.length !== 3 ||
      parts.some((p) => p === '') ||
      numbers.some((n) => !Number.isFinite(n))
    )
      throw bad(spec, 'a range is START:END:STEP with three numbers, e.g. 0.01:0.05:0.01');
    const [start, end, step] = numbers as [number, number, number];
    if (step <= 0) throw bad(spec, `the step must be above 0 (got ${parts[2]})`);
    if (end < start)
      throw bad(spec, `the range is empty: end ${parts[1]} is below start ${parts[0]}`);
    const decimals = Math.max(decimalsOf(parts[0]!), stepDecimals(step));
    const count = Math.floor((end - start) / step + 1e-9) + 1;
    if (count > MAX_COMBINATIONS)
      throw bad(spec, `the range has ${count} values, more than ${MAX_COMBINATIONS}`);
    const values = Array.from({ length: count }, (_, k) =>
      String(Number((start + k * step).toFixed(decimals))),
    );
    return { name, values };
  }
  const values = body.split(',').map((v) => v.trim());
  if (values.some((v) => v === '')) throw bad(spec, 'a list item is empty');
  return { name, values: [...new Set(values)] };
}

/**
 * Reads every `--param` of a sweep.
 * @throws KestrelError INVALID_ARGUMENT for a bad argument, a parameter given twice, none at all,
 * or more than MAX_COMBINATIONS combinations
 */
export function parseGrid(specs: readonly string[]): Axis[] {
  if (specs.length === 0)
    throw new KestrelError('INVALID_ARGUMENT', 'a sweep needs at least one --param NAME=VALUES', {
      field: 'param',
      value: '',
    });
  const axes = specs.map(parseAxis);
  const seen = new Set<string>();
  for (const axis of axes) {
    if (seen.has(axis.name)) throw bad(axis.name, 'given twice');
    seen.add(axis.name);
  }
  const total = gridSize(axes);
  if (total > MAX_COMBINATIONS)
    throw new KestrelError(
      'INVALID_ARGUMENT',
      `--param: ${total} combinations, more than ${MAX_COMBINATIONS}`,
      { field: 'param', value: total },
    );
  return axes;
}

export function gridSize(axes: readonly Axis[]): number {
  return axes.reduce((n, a) => n * a.values.length, 1);
}

/** The combination at an index: the last parameter varies fastest */
export function combinationAt(axes: readonly Axis[], index: number): Combination {
  const params: Record<string, string> = {};
  let rest = index;
  for (let i = axes.length - 1; i >= 0; i--) {
    const axis = axes[i]!;
    params[axis.name] = axis.values[rest % axis.values.length]!;
    rest = Math.floor(rest / axis.values.length);
  }
  const ordered: Record<string, string> = {};
  for (const axis of axes) ordered[axis.name] = params[axis.name]!;
  return { index, params: ordered };
}

/** Every combination, one at a time (nothing is held for a large grid) */
export function* combinations(axes: readonly Axis[]): Generator<Combination> {
  const total = gridSize(axes);
  for (let i = 0; i < total; i++) yield combinationAt(axes, i);
}

/** A run's folder name: its index and parameters, e.g. `0007-edgeBps=2_size=0.03` */
export function runDirName(combination: Combination): string {
  const params = Object.entries(combination.params)
    .map(([k, v]) => `${k}=${v}`)
    .join('_')
    .replace(/[^\w.=-]/g, '-');
  return `${String(combination.index + 1).padStart(4, '0')}-${params}`.slice(0, 120);
}
