/**
 * A small, fast, seeded pseudo-random source (sfc32), so simulations and synthetic markets are
 * reproducible from a seed. Pure: the same seed gives the same sequence everywhere.
 */
export interface Random {
  /** Uniform in [0, 1) */
  next(): number;
  /** Standard normal */
  normal(): number;
  /** Exponential with the given mean */
  exponential(mean: number): number;
  /** Log-normal with the given median and log-space sigma */
  logNormal(median: number, sigma: number): number;
  /** Integer in [min, max] */
  integer(min: number, max: number): number;
}

/** A seeded source that can also hand out its normals in bulk */
export interface SeededRandom extends Random {
  /**
   * Writes the next `count` standard normals into `into` from `at`: the very numbers `normal()`
   * would give one by one, from the same draws, but with no heap number per draw (a double
   * returned from a call the optimizer did not inline is boxed; one written into a typed array
   * is not)
   */
  normals(into: Float64Array, at: number, count: number): void;
}

/**
 * sfc32 with its four 32-bit words and the pending normal in typed arrays: a word held in a
 * closure's variable or an object's field is a heap number once it leaves the small-integer
 * range, boxed anew on every draw; in a typed array it is written in place
 */
class Sfc32 implements SeededRandom {
  private readonly words = new Int32Array(4);
  /** The last Box-Muller pair: the cosine normal handed out first, then the sine one */
  private readonly pair = new Float64Array(2);
  /** Which of `pair` the next normal is (2: none left, a new pair is drawn) */
  private pairIndex = 2;

  constructor(seed: number) {
    const words = this.words;
    words[0] = 0x9e3779b9 ^ seed;
    words[1] = 0x243f6a88 ^ Math.imul(seed, 0x85ebca6b);
    words[2] = 0xb7e15162 ^ Math.imul(seed, 0xc2b2ae35);
    words[3] = 1;
    for (let i = 0; i < 15; i++) this.next();
  }

  next(): number {
    const words = this.words;
    const a = words[0]!;
    const b = words[1]!;
    const c = words[2]!;
    const d = words[3]!;
    const t = (((a + b) | 0) + d) | 0;
    words[3] = (d + 1) | 0;
    words[0] = b ^ (b >>> 9);
    words[1] = (c + (c << 3)) | 0;
    words[2] = (((c << 21) | (c >>> 11)) + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /**
   * Kept small enough for the optimizer to inline into its callers: a double returned from a call
   * that is not inlined is boxed in a new heap number, one per draw. The trigonometry lives in
   * `drawPair`, which returns nothing
   */
  normal(): number {
    if (this.pairIndex === 2) {
      this.drawPair();
      this.pairIndex = 0;
    }
    return this.pair[this.pairIndex++]!;
  }

  normals(into: Float64Array, at: number, count: number): void {
    const pair = this.pair;
    for (let i = at; i < at + count; i++) {
      if (this.pairIndex === 2) {
        this.drawPair();
        this.pairIndex = 0;
      }
      into[i] = pair[this.pairIndex++]!;
    }
  }

  /** Box-Muller: two independent standard normals from two uniform draws */
  private drawPair(): void {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.pair[0] = radius * Math.cos(2 * Math.PI * v);
    this.pair[1] = radius * Math.sin(2 * Math.PI * v);
  }

  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  integer(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
}

/** Creates a seeded random source; any integer seed is fine */
export function createRandom(seed: number): SeededRandom {
  return new Sfc32(seed);
}
