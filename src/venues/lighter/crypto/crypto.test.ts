/**
 * The TypeScript Lighter crypto against the official implementation's vectors
 * (../shared/fixtures/lighter/nautilus/signing_*_vectors.json, generated from
 * github.com/elliottech/poseidon_crypto): field arithmetic, the Poseidon2 permutation and
 * sponge, ECgFp5 decoding, addition and multiplication, Schnorr key generation and signatures.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { add, decode, double, encode, multiply, NEUTRAL } from './curve.ts';
import type { Fp5 } from './field.ts';
import {
  add5,
  addF,
  equals5,
  fromBytes5,
  inverse5,
  inverseF,
  mul5,
  mulF,
  neg5,
  P,
  powF,
  sub5,
  subF,
  toBytes5,
} from './field.ts';
import { hashNoPad, hashToFp5, permute } from './poseidon2.ts';
import { privateKeyFromBytes, publicKeyOf, sign, verify } from './schnorr.ts';

const DIRECTORY = new URL('../../../../../shared/fixtures/lighter/nautilus/', import.meta.url);
const present = existsSync(DIRECTORY);
const skip = present ? false : '../shared/fixtures/lighter is absent';

function vectors<T>(file: string): T {
  return (JSON.parse(readFileSync(new URL(file, DIRECTORY), 'utf8')) as { vectors: T }).vectors;
}

/** Field elements from hex: 8 little-endian bytes each */
function elements(hex: string): bigint[] {
  const bytes = Buffer.from(hex, 'hex');
  const out: bigint[] = [];
  for (let i = 0; i < bytes.length; i += 8) out.push(bytes.readBigUInt64LE(i));
  return out;
}

function fp5Of(hex: string): Fp5 {
  const value = fromBytes5(Buffer.from(hex, 'hex'));
  if (value === undefined) throw new Error(`not a canonical Fp5 element: ${hex}`);
  return value;
}

const hexOf5 = (a: Fp5) => toBytes5(a).toString('hex');

function scalar(hex: string): bigint {
  return privateKeyFromBytes(Buffer.from(hex, 'hex'));
}

interface FieldVector {
  readonly a: string;
  readonly b: string;
  readonly e: string;
  readonly add: string;
  readonly sub: string;
  readonly mul: string;
  readonly neg_a: string;
  readonly inv_a: string;
  readonly pow_a_e: string;
}

describe('lighter crypto against the official vectors', { skip }, () => {
  it('computes in Goldilocks as the official field does', () => {
    const cases = present ? vectors<FieldVector[]>('signing_field_goldilocks_vectors.json') : [];
    assert.ok(cases.length > 50);
    for (const v of cases) {
      const [a = 0n] = elements(v.a);
      const [b = 0n] = elements(v.b);
      const [sum = 0n] = elements(v.add);
      const [difference = 0n] = elements(v.sub);
      const [product = 0n] = elements(v.mul);
      const [negation = 0n] = elements(v.neg_a);
      const [inverse = 0n] = elements(v.inv_a);
      const [power = 0n] = elements(v.pow_a_e);
      assert.equal(addF(a, b), sum);
      assert.equal(subF(a, b), difference);
      assert.equal(mulF(a, b), product);
      assert.equal(subF(0n, a), negation);
      assert.equal(inverseF(a), inverse);
      assert.equal(powF(a, BigInt(v.e)), power, `${v.a}^${v.e}`);
      assert.ok(a < P);
    }
  });

  it('computes in the quintic extension as the official field does', () => {
    const cases = present ? vectors<FieldVector[]>('signing_field_quintic_vectors.json') : [];
    assert.ok(cases.length > 50);
    for (const v of cases) {
      const a = fp5Of(v.a);
      const b = fp5Of(v.b);
      assert.equal(hexOf5(add5(a, b)), v.add);
      assert.equal(hexOf5(sub5(a, b)), v.sub);
      assert.equal(hexOf5(mul5(a, b)), v.mul);
      assert.equal(hexOf5(neg5(a)), v.neg_a);
      assert.equal(hexOf5(inverse5(a)), v.inv_a);
      let power: Fp5 = [1n, 0n, 0n, 0n, 0n];
      for (let e = BigInt(v.e), square = a; e > 0n; e >>= 1n, square = mul5(square, square)) {
        if (e & 1n) power = mul5(power, square);
      }
      assert.equal(hexOf5(power), v.pow_a_e);
    }
  });

  it('permutes and hashes with Poseidon2 as the official hash does', () => {
    const hash = present
      ? vectors<{
          permute: { input: string; output: string }[];
          sponge: { input: string; num_outputs: number; output: string }[];
          hash_to_quintic: { input: string; output: string }[];
          hash_n_to_one: { inputs: string[]; output: string }[];
        }>('signing_hash_poseidon2_vectors.json')
      : undefined;
    assert.ok(hash !== undefined);
    for (const v of hash.permute) {
      const state = elements(v.input);
      permute(state);
      assert.deepEqual(state, elements(v.output));
    }
    for (const v of hash.sponge) {
      assert.deepEqual(hashNoPad(elements(v.input), v.num_outputs), elements(v.output));
    }
    for (const v of hash.hash_to_quintic) {
      assert.equal(hexOf5(hashToFp5(elements(v.input))), v.output);
    }
    for (const v of hash.hash_n_to_one) {
      // Digests of four elements, folded pairwise: H(H(d0 || d1) || d2) ...
      let digest = elements(v.inputs[0] ?? '');
      for (const next of v.inputs.slice(1)) digest = hashNoPad([...digest, ...elements(next)], 4);
      assert.deepEqual(digest, elements(v.output));
    }
  });

  it('decodes, adds, doubles and multiplies ECgFp5 points as the official curve does', () => {
    const curve = present
      ? vectors<{
          decode: { w: string; decodes: boolean; is_neutral: boolean; encoded_back: string }[];
          add: { a_w: string; b_w: string; sum_w: string; a_double_w: string }[];
          scalar_mul: { base_w: string; scalar_le: string; out_w: string }[];
        }>('signing_curve_ecgfp5_vectors.json')
      : undefined;
    assert.ok(curve !== undefined);
    for (const v of curve.decode) {
      const point = decode(fp5Of(v.w));
      assert.equal(point !== undefined, v.decodes, v.w);
      if (point === undefined) continue;
      assert.equal(equals5(point.u, NEUTRAL.u), v.is_neutral);
      assert.equal(hexOf5(encode(point)), v.encoded_back);
    }
    const point = (hex: string) => {
      const p = decode(fp5Of(hex));
      if (p === undefined) throw new Error(`no point encodes to ${hex}`);
      return p;
    };
    for (const v of curve.add) {
      assert.equal(hexOf5(encode(add(point(v.a_w), point(v.b_w)))), v.sum_w);
      assert.equal(hexOf5(encode(double(point(v.a_w)))), v.a_double_w);
    }
    for (const v of curve.scalar_mul) {
      const k = Buffer.from(v.scalar_le, 'hex');
      let value = 0n;
      for (let i = k.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(k[i] ?? 0);
      assert.equal(hexOf5(encode(multiply(point(v.base_w), value))), v.out_w);
    }
  });

  it('derives public keys and signs as the official Schnorr does, and verifies what it signs', () => {
    const schnorr = present
      ? vectors<{
          keygen: { sk: string; pk: string }[];
          sign: { sk: string; hashed_msg: string; k: string; sig: string }[];
        }>('signing_schnorr_vectors.json')
      : undefined;
    assert.ok(schnorr !== undefined);
    for (const v of schnorr.keygen) {
      assert.equal(publicKeyOf(scalar(v.sk)).toString('hex'), v.pk);
    }
    for (const v of schnorr.sign) {
      const sk = scalar(v.sk);
      const message = fp5Of(v.hashed_msg);
      const signature = sign(message, sk, scalar(v.k));
      assert.equal(signature.toString('hex'), v.sig);
      const publicKey = publicKeyOf(sk);
      assert.ok(verify(publicKey, message, signature));
      // A different message, a flipped bit of s, another key: all refused
      assert.equal(verify(publicKey, add5(message, [1n, 0n, 0n, 0n, 0n]), signature), false);
      const flipped = Buffer.from(signature);
      flipped[0] = (flipped[0] ?? 0) ^ 1;
      assert.equal(verify(publicKey, message, flipped), false);
      assert.equal(verify(publicKeyOf(sk + 1n), message, signature), false);
    }
  });
});
