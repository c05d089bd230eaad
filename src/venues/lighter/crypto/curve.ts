import type { Fp5 } from './field.ts';
import {
  add5,
  canonicalSqrt5,
  div5,
  double5,
  FP5_ONE,
  FP5_ZERO,
  fp5,
  inverse5,
  isZero5,
  legendre5,
  mul5,
  square5,
  sub5,
} from './field.ts';

/**
 * ECgFp5 (T. Pornin, "EcGFp5: a Specialized Elliptic Curve", 2022), the prime-order curve
 * y^2 = x (x^2 + a x + b) over Fp5 with a = 2, b = 263 z, that Lighter's API keys live on.
 * Points are kept in the paper's fractional (x, u) = (x, x / y) coordinates, X/Z and U/T, where
 * the complete addition formulas hold; a point is encoded as the single Fp5 element w = y / x.
 */

/** The order of the group, a 319-bit prime */
export const ORDER =
  1067993516717146951041484916571792702745057740581727230159139685185762082554198619328292418486241n;

export interface CurvePoint {
  readonly x: Fp5;
  readonly z: Fp5;
  readonly u: Fp5;
  readonly t: Fp5;
}

const A = fp5(2n);
const B = fp5(0n, 263n);
const B2 = fp5(0n, 2n * 263n);
const B4 = fp5(0n, 4n * 263n);
const FOUR = fp5(4n);
const TWO = fp5(2n);

/** The neutral element N = (0, 0), the curve's point of order two */
export const NEUTRAL: CurvePoint = { x: FP5_ZERO, z: FP5_ONE, u: FP5_ZERO, t: FP5_ONE };

const GENERATOR: CurvePoint = {
  x: [
    12883135586176881569n,
    4356519642755055268n,
    5248930565894896907n,
    2165973894480315022n,
    2448410071095648785n,
  ],
  z: FP5_ONE,
  u: FP5_ONE,
  t: fp5(4n),
};

/** The encoding w = y / x = t / u (0 for the neutral element) */
export function encode(p: CurvePoint): Fp5 {
  return mul5(p.t, inverse5(p.u));
}

/**
 * The point an encoding stands for, or undefined when no point encodes to w. From
 * w = y / x the curve equation gives x^2 - (w^2 - a) x + b = 0; of its two roots the one that is
 * not a square is the point's x.
 */
export function decode(w: Fp5): CurvePoint | undefined {
  const e = sub5(square5(w), A);
  const delta = sub5(square5(e), B4);
  const r = canonicalSqrt5(delta);
  if (r === undefined) return isZero5(w) ? NEUTRAL : undefined;
  const x1 = div5(add5(e, r), TWO);
  const x2 = div5(sub5(e, r), TWO);
  const x = legendre5(x1) === 1n ? x2 : x1;
  return { x, z: FP5_ONE, u: FP5_ONE, t: w };
}

/** P + Q under the curve's group law (complete: no special cases) */
export function add(p: CurvePoint, q: CurvePoint): CurvePoint {
  const t1 = mul5(p.x, q.x);
  const t2 = mul5(p.z, q.z);
  const t3 = mul5(p.u, q.u);
  const t4 = mul5(p.t, q.t);
  const t5 = sub5(mul5(add5(p.x, p.z), add5(q.x, q.z)), add5(t1, t2));
  const t6 = sub5(mul5(add5(p.u, p.t), add5(q.u, q.t)), add5(t3, t4));
  const t7 = add5(t1, mul5(t2, B));
  const t8 = mul5(t4, t7);
  const t9 = mul5(t3, add5(mul5(t5, B2), double5(t7)));
  const t10 = mul5(add5(t4, double5(t3)), add5(t5, t7));
  return {
    x: mul5(sub5(t10, t8), B),
    z: sub5(t8, t9),
    u: mul5(t6, sub5(mul5(t2, B), t1)),
    t: add5(t8, t9),
  };
}

/** 2P */
export function double(p: CurvePoint): CurvePoint {
  const t1 = mul5(p.z, p.t);
  const t2 = mul5(t1, p.t);
  const x1 = square5(t2);
  const z1 = mul5(t1, p.u);
  const t3 = square5(p.u);
  const w1 = sub5(t2, mul5(t3, double5(add5(p.x, p.z))));
  const t4 = square5(z1);
  const z = square5(w1);
  return {
    x: mul5(t4, B4),
    z,
    u: sub5(square5(add5(w1, z1)), add5(t4, z)),
    t: sub5(double5(x1), add5(mul5(t4, FOUR), z)),
  };
}

/** k P, by a fixed 4-bit window over the scalar's bits (k reduced modulo the order) */
export function multiply(p: CurvePoint, k: bigint): CurvePoint {
  const scalar = ((k % ORDER) + ORDER) % ORDER;
  const table: CurvePoint[] = [NEUTRAL, p];
  for (let i = 2; i < 16; i++) table.push(add(table[i - 1] ?? NEUTRAL, p));
  let result = NEUTRAL;
  for (let shift = 316n; shift >= 0n; shift -= 4n) {
    result = double(double(double(double(result))));
    const digit = Number((scalar >> shift) & 15n);
    if (digit !== 0) result = add(result, table[digit] ?? NEUTRAL);
  }
  return result;
}

const WINDOWS = 80;

/**
 * Multiples of one point for every 4-bit window of a scalar, d 16^i P for d in 1..15: building
 * it costs about as much as four multiplications, after which a multiplication is 80 additions
 * and no doublings. Worth it for points used again and again (the generator, a venue's
 * registered API keys).
 */
export class FixedBase {
  private readonly table: CurvePoint[][] = [];

  constructor(point: CurvePoint) {
    let base = point;
    for (let i = 0; i < WINDOWS; i++) {
      const row: CurvePoint[] = [NEUTRAL, base];
      for (let d = 2; d < 16; d++) row.push(add(row[d - 1] ?? NEUTRAL, base));
      this.table.push(row);
      base = double(row[8] ?? NEUTRAL);
    }
  }

  /** k P */
  multiply(k: bigint, start: CurvePoint = NEUTRAL): CurvePoint {
    const scalar = ((k % ORDER) + ORDER) % ORDER;
    let result = start;
    for (let i = 0; i < WINDOWS; i++) {
      const digit = Number((scalar >> BigInt(4 * i)) & 15n);
      if (digit !== 0) result = add(result, this.table[i]?.[digit] ?? NEUTRAL);
    }
    return result;
  }
}

let generatorTable: FixedBase | undefined;

/** k G, from a table of the generator's multiples built on first use */
export function multiplyGenerator(k: bigint): CurvePoint {
  generatorTable ??= new FixedBase(GENERATOR);
  return generatorTable.multiply(k);
}

/** a G + b Q, both from tables */
export function multiplyAdd(a: bigint, q: FixedBase, b: bigint): CurvePoint {
  generatorTable ??= new FixedBase(GENERATOR);
  return q.multiply(b, generatorTable.multiply(a));
}
