import type { RiskLimits } from '../src/engine/risk-gate.ts';

/**
 * Risk limits no benchmark reaches: the benchmarks measure the order path itself (the gate's
 * checks still run on every order), not the pace a desk would allow
 */
export const BENCH_RISK_LIMITS: RiskLimits = {
  maxOpenOrders: 1_000_000_000,
  submitsPerSecond: 1e12,
  submitBurst: 1_000_000_000,
  maxQueued: 1_000_000_000,
};

/** One measured figure: what, how much, and how it compares with its baseline */
export interface Figure {
  readonly bench: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** The target, for the table; benchmarks never fail on it */
  readonly target?: string;
  readonly note?: string;
}

/** Runs `run` (returning how many operations it did) several times; reports the median rate */
export function measure(
  run: () => number,
  rounds: number,
): { readonly opsPerSecond: number; readonly nsPerOp: number; readonly samples: number[] } {
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    const ops = run();
    const ns = Number(process.hrtime.bigint() - start);
    rates.push((ops * 1e9) / ns);
  }
  const sorted = [...rates].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return { opsPerSecond: median, nsPerOp: 1e9 / median, samples: rates };
}

export async function measureAsync(
  run: () => Promise<number>,
  rounds: number,
): Promise<{ readonly opsPerSecond: number; readonly nsPerOp: number }> {
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    const ops = await run();
    const ns = Number(process.hrtime.bigint() - start);
    rates.push((ops * 1e9) / ns);
  }
  const sorted = [...rates].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return { opsPerSecond: median, nsPerOp: 1e9 / median };
}

/** Forces a full collection when the process runs with --expose-gc */
export function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
}

export function heapUsed(): number {
  collect();
  return process.memoryUsage().heapUsed;
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** CPU time (user + system) of the process since `since`, ms */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

const napCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Waits until the process's other threads are idle, at most `limitMs`: a forced collection
 * leaves its sweeping (and V8 its finished compile jobs) to helper threads, and the CPU they
 * spend after a round's clock starts is charged to that round, the work of whatever ran before
 * it. The main thread sleeps 2 ms at a time (no CPU of its own) until one nap sees less than a
 * tenth of a millisecond of the process's CPU
 */
export function settleThreads(limitMs = 1000): void {
  const start = performance.now();
  while (performance.now() - start < limitMs) {
    const since = process.cpuUsage();
    Atomics.wait(napCell, 0, 0, 2);
    const used = process.cpuUsage(since);
    if (used.user + used.system < 100) return;
  }
}

/**
 * Runs a measured path and its baseline in alternating rounds, each timed in CPU time (on a busy
 * machine wall time also counts the other processes), and returns the median of each and the
 * median of the per-round ratios: interleaving keeps the ratio honest when the machine's speed
 * drifts during the run. Each side starts after a full collection (with --expose-gc) and once
 * the collector's helper threads have finished with it
 */
export function measurePair(
  run: () => number,
  baseline: () => number,
  rounds: number,
): {
  readonly opsPerCpuSecond: number;
  readonly baselineOpsPerCpuSecond: number;
  readonly ratio: number;
  readonly ratios: readonly number[];
} {
  const rates: number[] = [];
  const baseRates: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // Each side starts on a collected (and swept) heap, so neither pays for the other's garbage
    collect();
    settleThreads();
    let since = process.cpuUsage();
    const baseOps = baseline();
    const baseMs = cpuMsSince(since);
    collect();
    settleThreads();
    since = process.cpuUsage();
    const ops = run();
    const ms = cpuMsSince(since);
    rates.push((ops * 1000) / ms);
    baseRates.push((baseOps * 1000) / baseMs);
    ratios.push(ms / ops / (baseMs / baseOps));
  }
  const median = (values: readonly number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return {
    opsPerCpuSecond: median(rates),
    baselineOpsPerCpuSecond: median(baseRates),
    ratio: median(ratios),
    ratios,
  };
}

/** "range 1.41–1.62 ×": how far the per-round values of a figure moved */
export function spread(values: readonly number[], unit = '×'): string {
  const low = Math.min(...values);
  const high = Math.max(...values);
  return `range ${low.toFixed(2)}–${high.toFixed(2)} ${unit}`;
}
