/** Values below this each have a bucket of their own */
const SUB = 2048;
/** Buckets per power of two above SUB */
const HALF = 1024;
/** log2(HALF) */
const HALF_BITS = 10;

/**
 * Counts of non-negative integers in log-linear buckets, three significant digits: values below
 * 2048 each have their own count; above, every doubling of the range is split into 1024 equal
 * buckets, so a bucket is never wider than 1/1024 of its values. This is the layout of an HDR
 * histogram with a lowest discernible value of 1 and 3 significant digits, and a percentile is
 * answered as one answers it (the top of the bucket holding the nearest-rank value), so the
 * figures are the same; recording is an index computed with integer operations and one
 * increment, and the counts grow as larger values arrive.
 */
export class LatencyHistogram {
  /** Counts by bucket: below SUB each value its own; then HALF buckets per power of two */
  private counts = new Float64Array(SUB);
  /** Values recorded */
  total = 0;

  /** Records a value (rounded to an integer; negative values count as 0) */
  record(value: number): void {
    const v = value > 0 ? Math.round(value) : 0;
    const index = indexOf(v);
    if (index >= this.counts.length) this.grow(index);
    this.counts[index]! += 1;
    this.total += 1;
  }

  /**
   * The value at a percentile (0 < percentile ≤ 100) by nearest rank: the highest value of the
   * bucket holding it; 0 when nothing was recorded
   */
  valueAt(percentile: number): number {
    if (this.total === 0) return 0;
    // The rank, rounded up, minus one unit in the last place so a product like 0.29 × 100 that
    // lands a hair above an integer does not skip to the next rank
    const exact = (Math.min(percentile, 100) / 100) * this.total;
    const rank = Math.max(Math.ceil(exact - unitInLastPlace(exact)), 1);
    const counts = this.counts;
    let seen = 0;
    for (let index = 0; index < counts.length; index++) {
      seen += counts[index]!;
      if (seen >= rank) return highestOf(index);
    }
    return 0;
  }

  private grow(index: number): void {
    let length = this.counts.length;
    while (length <= index) length += HALF * 4;
    const counts = new Float64Array(length);
    counts.set(this.counts);
    this.counts = counts;
  }
}

/** The bucket of a non-negative integer */
function indexOf(v: number): number {
  if (v < SUB) return v;
  // floor(log2 v), exact with integer operations below 2^31
  const bits = v < 2 ** 31 ? 31 - Math.clz32(v) : Math.floor(Math.log2(v));
  const shift = bits - HALF_BITS;
  const sub = v < 2 ** 31 ? v >>> shift : Math.floor(v / 2 ** shift);
  return shift * HALF + sub;
}

/** The highest value a bucket holds */
function highestOf(index: number): number {
  if (index < SUB) return index;
  const shift = Math.floor(index / HALF) - 1;
  const sub = (index % HALF) + HALF;
  const width = 2 ** shift;
  return sub * width + width - 1;
}

/** The distance from x to the next larger double (x > 0) */
function unitInLastPlace(x: number): number {
  return 2 ** (Math.floor(Math.log2(x)) - 52);
}
