import type { Fp5 } from './field.ts';
import { P } from './field.ts';
import {
  EXTERNAL_ROUND_CONSTANTS,
  INTERNAL_DIAGONAL,
  INTERNAL_ROUND_CONSTANTS,
} from './poseidon2-constants.ts';

/**
 * Poseidon2 over Goldilocks, width 12, rate 8, as Lighter hashes transactions, auth tokens and
 * Schnorr challenges: an external linear layer, 4 full rounds, 22 partial rounds, 4 full rounds;
 * the S-box is x^7. Both of the official implementation's variants (the gnark one behind auth
 * tokens, the plonky2 one behind transactions) compute this same permutation.
 */

const WIDTH = 12;
const RATE = 8;
const HALF_FULL_ROUNDS = 4;

function sbox(x: bigint): bigint {
  const x2 = (x * x) % P;
  const x3 = (x2 * x) % P;
  const x6 = (x3 * x3) % P;
  return (x6 * x) % P;
}

/** The external layer: circ(2, 3, 1, 1) on each block of four, then the block sums added in */
function externalLayer(s: bigint[]): void {
  for (let i = 0; i < WIDTH; i += 4) {
    const a = s[i] ?? 0n;
    const b = s[i + 1] ?? 0n;
    const c = s[i + 2] ?? 0n;
    const d = s[i + 3] ?? 0n;
    const ab = a + b;
    const cd = c + d;
    const all = ab + cd;
    s[i] = all + ab + b;
    s[i + 1] = all + b + 2n * c;
    s[i + 2] = all + cd + d;
    s[i + 3] = all + d + 2n * a;
  }
  for (let k = 0; k < 4; k++) {
    const sum = (s[k] ?? 0n) + (s[k + 4] ?? 0n) + (s[k + 8] ?? 0n);
    for (let j = k; j < WIDTH; j += 4) s[j] = ((s[j] ?? 0n) + sum) % P;
  }
}

function internalLayer(s: bigint[]): void {
  let sum = 0n;
  for (const x of s) sum += x;
  sum %= P;
  for (let i = 0; i < WIDTH; i++) s[i] = ((s[i] ?? 0n) * (INTERNAL_DIAGONAL[i] ?? 0n) + sum) % P;
}

/** The permutation, in place */
export function permute(state: bigint[]): void {
  externalLayer(state);
  for (let round = 0; round < 2 * HALF_FULL_ROUNDS; round++) {
    if (round === HALF_FULL_ROUNDS) {
      for (let r = 0; r < INTERNAL_ROUND_CONSTANTS.length; r++) {
        state[0] = sbox(((state[0] ?? 0n) + (INTERNAL_ROUND_CONSTANTS[r] ?? 0n)) % P);
        internalLayer(state);
      }
    }
    const constants = EXTERNAL_ROUND_CONSTANTS[round] ?? [];
    for (let i = 0; i < WIDTH; i++) state[i] = sbox(((state[i] ?? 0n) + (constants[i] ?? 0n)) % P);
    externalLayer(state);
  }
}

/** The sponge without padding: absorb `input` RATE elements at a time, squeeze `outputs` */
export function hashNoPad(input: readonly bigint[], outputs: number): bigint[] {
  const state: bigint[] = new Array<bigint>(WIDTH).fill(0n);
  for (let i = 0; i < input.length; i += RATE) {
    for (let j = 0; j < RATE && i + j < input.length; j++) state[j] = input[i + j] ?? 0n;
    permute(state);
  }
  const out: bigint[] = [];
  for (;;) {
    for (let i = 0; i < RATE; i++) {
      out.push(state[i] ?? 0n);
      if (out.length === outputs) return out;
    }
    permute(state);
  }
}

/** Five squeezed elements as an Fp5 element: Lighter's message hashes */
export function hashToFp5(input: readonly bigint[]): Fp5 {
  const [c0 = 0n, c1 = 0n, c2 = 0n, c3 = 0n, c4 = 0n] = hashNoPad(input, 5);
  return [c0, c1, c2, c3, c4];
}
