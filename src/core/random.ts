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

/** Creates a seeded random source; any integer seed is fine */
export function createRandom(seed: number): Random {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ Math.imul(seed, 0x85ebca6b);
  let c = 0xb7e15162 ^ Math.imul(seed, 0xc2b2ae35);
  let d = 1;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next();
  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    let u = 0;
    while (u === 0) u = next();
    const v = next();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  };
  return {
    next,
    normal,
    exponential: (mean) => -Math.log(1 - next()) * mean,
    logNormal: (median, sigma) => median * Math.exp(sigma * normal()),
    integer: (min, max) => min + Math.floor(next() * (max - min + 1)),
  };
}
