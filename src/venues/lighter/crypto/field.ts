/**
 * The fields Lighter's signatures live in: Goldilocks, p = 2^64 - 2^32 + 1, and its quintic
 * extension Fp5 = Fp[z] / (z^5 - 3). Written from the definitions (and checked against the
 * official implementation's vectors, see crypto.test.ts); elements are canonical bigints.
 */

/** The Goldilocks prime 2^64 - 2^32 + 1 */
export const P = 0xffffffff00000001n;
const TWO_ADICITY = 32n;
/** A primitive 2^32-th root of unity: 7, the multiplicative generator, to the (p - 1) / 2^32 */
const ROOT_OF_UNITY = powF(7n, (P - 1n) >> TWO_ADICITY);

export function addF(a: bigint, b: bigint): bigint {
  const sum = a + b;
  return sum >= P ? sum - P : sum;
}

export function subF(a: bigint, b: bigint): bigint {
  return a >= b ? a - b : a - b + P;
}

export function mulF(a: bigint, b: bigint): bigint {
  return (a * b) % P;
}

export function powF(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let square = base % P;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * square) % P;
    square = (square * square) % P;
  }
  return result;
}

/** 1 / a, or 0 for 0 */
export function inverseF(a: bigint): bigint {
  return a === 0n ? 0n : powF(a, P - 2n);
}

/** A square root of a (Tonelli-Shanks), or undefined when a is not a square */
function sqrtF(a: bigint): bigint | undefined {
  if (a === 0n) return 0n;
  if (powF(a, (P - 1n) >> 1n) !== 1n) return undefined;
  const odd = (P - 1n) >> TWO_ADICITY;
  let z = ROOT_OF_UNITY;
  let w = powF(a, (odd - 1n) >> 1n);
  let x = mulF(a, w);
  let b = mulF(x, w);
  let v = TWO_ADICITY;
  while (b !== 1n) {
    let k = 0n;
    for (let b2k = b; b2k !== 1n; b2k = mulF(b2k, b2k)) k += 1n;
    w = z;
    for (let i = 0n; i < v - k - 1n; i++) w = mulF(w, w);
    z = mulF(w, w);
    b = mulF(b, z);
    x = mulF(x, w);
    v = k;
  }
  return x;
}

/** An element of Fp5: coefficients of 1, z, z^2, z^3, z^4 */
export type Fp5 = readonly [bigint, bigint, bigint, bigint, bigint];

export const FP5_ZERO: Fp5 = [0n, 0n, 0n, 0n, 0n];
export const FP5_ONE: Fp5 = [1n, 0n, 0n, 0n, 0n];
/** z^5 = W */
const W = 3n;
/** A primitive fifth root of unity in Fp: the Frobenius map multiplies coefficient i by its i-th power */
const DTH_ROOT = 1041288259238279555n;
const FROBENIUS_POWERS: readonly (readonly bigint[])[] = [1, 2, 3, 4].map((count) => {
  const root = powF(DTH_ROOT, BigInt(count));
  return [0, 1, 2, 3, 4].map((i) => powF(root, BigInt(i)));
});

export function fp5(c0: bigint, c1 = 0n, c2 = 0n, c3 = 0n, c4 = 0n): Fp5 {
  return [c0 % P, c1 % P, c2 % P, c3 % P, c4 % P];
}

export function isZero5(a: Fp5): boolean {
  return a[0] === 0n && a[1] === 0n && a[2] === 0n && a[3] === 0n && a[4] === 0n;
}

export function equals5(a: Fp5, b: Fp5): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3] && a[4] === b[4];
}

export function add5(a: Fp5, b: Fp5): Fp5 {
  return [addF(a[0], b[0]), addF(a[1], b[1]), addF(a[2], b[2]), addF(a[3], b[3]), addF(a[4], b[4])];
}

export function sub5(a: Fp5, b: Fp5): Fp5 {
  return [subF(a[0], b[0]), subF(a[1], b[1]), subF(a[2], b[2]), subF(a[3], b[3]), subF(a[4], b[4])];
}

export function neg5(a: Fp5): Fp5 {
  return sub5(FP5_ZERO, a);
}

export function double5(a: Fp5): Fp5 {
  return add5(a, a);
}

/** Products reduced once per coefficient: the wide sums stay exact as bigints */
export function mul5(a: Fp5, b: Fp5): Fp5 {
  const [a0, a1, a2, a3, a4] = a;
  const [b0, b1, b2, b3, b4] = b;
  return [
    (a0 * b0 + W * (a1 * b4 + a2 * b3 + a3 * b2 + a4 * b1)) % P,
    (a0 * b1 + a1 * b0 + W * (a2 * b4 + a3 * b3 + a4 * b2)) % P,
    (a0 * b2 + a1 * b1 + a2 * b0 + W * (a3 * b4 + a4 * b3)) % P,
    (a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0 + W * (a4 * b4)) % P,
    (a0 * b4 + a1 * b3 + a2 * b2 + a3 * b1 + a4 * b0) % P,
  ];
}

export function square5(a: Fp5): Fp5 {
  return mul5(a, a);
}

function scale5(a: Fp5, k: bigint): Fp5 {
  return [mulF(a[0], k), mulF(a[1], k), mulF(a[2], k), mulF(a[3], k), mulF(a[4], k)];
}

/** x^(p^count): the Frobenius map applied `count` times */
function frobenius(x: Fp5, count: number): Fp5 {
  const powers = FROBENIUS_POWERS[(count % 5) - 1];
  if (powers === undefined) return x;
  return [
    x[0],
    mulF(x[1], powers[1] ?? 1n),
    mulF(x[2], powers[2] ?? 1n),
    mulF(x[3], powers[3] ?? 1n),
    mulF(x[4], powers[4] ?? 1n),
  ];
}

/** The norm x^(1 + p + p^2 + p^3 + p^4), an element of Fp, with the product f = x^(p + ... + p^4) */
function norm(x: Fp5): { readonly norm: bigint; readonly conjugates: Fp5 } {
  const d = frobenius(x, 1);
  const e = mul5(d, frobenius(d, 1));
  const f = mul5(e, frobenius(e, 2));
  const n = (x[0] * f[0] + W * (x[1] * f[4] + x[2] * f[3] + x[3] * f[2] + x[4] * f[1])) % P;
  return { norm: n, conjugates: f };
}

/** 1 / a, or 0 for 0 */
export function inverse5(a: Fp5): Fp5 {
  if (isZero5(a)) return FP5_ZERO;
  const { norm: n, conjugates } = norm(a);
  return scale5(conjugates, inverseF(n));
}

export function div5(a: Fp5, b: Fp5): Fp5 {
  return mul5(a, inverse5(b));
}

function powerOfTwo5(x: Fp5, power: number): Fp5 {
  let result = x;
  for (let i = 0; i < power; i++) result = square5(result);
  return result;
}

/** Whether a is a square (1), not one (p - 1) or zero (0): the norm's Legendre symbol */
export function legendre5(a: Fp5): bigint {
  return powF(norm(a).norm, (P - 1n) >> 1n);
}

/** A square root of x, or undefined when x is not a square */
function sqrt5(x: Fp5): Fp5 | undefined {
  const v = powerOfTwo5(x, 31);
  const d = mul5(mul5(x, powerOfTwo5(v, 32)), inverse5(v));
  const e = frobenius(mul5(d, frobenius(d, 2)), 1);
  const f = square5(e);
  const g = (x[0] * f[0] + W * (x[1] * f[4] + x[2] * f[3] + x[3] * f[2] + x[4] * f[1])) % P;
  const s = sqrtF(g);
  if (s === undefined) return undefined;
  return scale5(inverse5(e), s);
}

/**
 * The square root the official implementation calls canonical: of the two roots, the one whose
 * first coefficient is odd (its `Sgn0` is "the first coefficient is even"; negate when it is)
 */
export function canonicalSqrt5(x: Fp5): Fp5 | undefined {
  const root = sqrt5(x);
  if (root === undefined) return undefined;
  return (root[0] & 1n) === 0n ? neg5(root) : root;
}

/** 40 bytes, five 8-byte little-endian coefficients */
export function toBytes5(a: Fp5): Buffer {
  const out = Buffer.alloc(40);
  for (let i = 0; i < 5; i++) out.writeBigUInt64LE(a[i] ?? 0n, i * 8);
  return out;
}

/** Reads 40 little-endian bytes; undefined when a coefficient is not below p */
export function fromBytes5(bytes: Uint8Array): Fp5 | undefined {
  if (bytes.length !== 40) return undefined;
  const buffer = Buffer.from(bytes);
  const limbs: bigint[] = [];
  for (let i = 0; i < 5; i++) {
    const limb = buffer.readBigUInt64LE(i * 8);
    if (limb >= P) return undefined;
    limbs.push(limb);
  }
  return limbs as unknown as Fp5;
}
