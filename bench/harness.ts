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
