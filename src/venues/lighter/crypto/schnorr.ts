import { createHmac } from 'node:crypto';
import { decode, encode, FixedBase, multiplyAdd, multiplyGenerator, ORDER } from './curve.ts';
import type { Fp5 } from './field.ts';
import { fromBytes5, toBytes5 } from './field.ts';
import { hashToFp5 } from './poseidon2.ts';

/**
 * Schnorr signatures over ECgFp5 as Lighter signs transactions and auth tokens: a 40-byte
 * private scalar, the public key the encoded point sk G, and an 80-byte signature s || e
 * (little-endian scalars) with r = k G, e = H(encode(r) || m), s = k - e sk, where m is the
 * message already hashed to Fp5 and H is Poseidon2 to Fp5 read as an integer modulo the order.
 */

function scalarFromBytes(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] ?? 0);
  return value;
}

function scalarToBytes(value: bigint): Buffer {
  const out = Buffer.alloc(40);
  let rest = value;
  for (let i = 0; i < 40; i++) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/** The challenge e = H(encode(r) || m) as a scalar */
function challenge(r: Fp5, message: Fp5): bigint {
  const e = hashToFp5([...r, ...message]);
  let value = 0n;
  for (let i = 4; i >= 0; i--) value = (value << 64n) | (e[i] ?? 0n);
  return value % ORDER;
}

/** A private key from its 40 little-endian bytes (reduced modulo the order, as the signer does) */
export function privateKeyFromBytes(bytes: Uint8Array): bigint {
  return scalarFromBytes(bytes) % ORDER;
}

/** The public key of a private key: the 40-byte encoding of sk G */
export function publicKeyOf(privateKey: bigint): Buffer {
  return toBytes5(encode(multiplyGenerator(privateKey)));
}

/**
 * Signs a message hash with a nonce derived from the key and the message (HMAC-SHA512), so the
 * same key and message always give the same signature; `nonce` overrides it (test vectors).
 */
export function sign(message: Fp5, privateKey: bigint, nonce?: bigint): Buffer {
  const k =
    nonce ??
    scalarFromBytes(
      createHmac('sha512', scalarToBytes(privateKey)).update(toBytes5(message)).digest(),
    ) % ORDER;
  const e = challenge(encode(multiplyGenerator(k)), message);
  const s = (((k - e * privateKey) % ORDER) + ORDER) % ORDER;
  return Buffer.concat([scalarToBytes(s), scalarToBytes(e)]);
}

/**
 * A public key ready for verifying many signatures (its multiples tabled), or undefined when the
 * 40 bytes encode no curve point
 */
export function verifierOf(publicKey: Uint8Array): FixedBase | undefined {
  const w = fromBytes5(publicKey);
  const point = w === undefined ? undefined : decode(w);
  return point === undefined ? undefined : new FixedBase(point);
}

/**
 * Whether `signature` (80 bytes, s || e) signs `message` under a public key (40 bytes, or a
 * `verifierOf` it): both scalars canonical, the key a curve point, and
 * e = H(encode(s G + e pk) || m).
 */
export function verify(
  publicKey: Uint8Array | FixedBase,
  message: Fp5,
  signature: Uint8Array,
): boolean {
  if (signature.length !== 80) return false;
  const s = scalarFromBytes(signature.subarray(0, 40));
  const e = scalarFromBytes(signature.subarray(40, 80));
  if (s >= ORDER || e >= ORDER) return false;
  const key = publicKey instanceof FixedBase ? publicKey : verifierOf(publicKey);
  if (key === undefined) return false;
  return challenge(encode(multiplyAdd(s, key, e)), message) === e;
}
