import type { Fp5 } from './field.ts';
import { fromBytes5, P, toBytes5 } from './field.ts';
import { hashToFp5 } from './poseidon2.ts';

/**
 * What Lighter signs: the Poseidon2 hash of a transaction's fields, in the order of the
 * official signer's `Hash` (lighter-go `types/txtypes/*.go`), aggregated with the hash of its
 * attributes when it has any, and the hash of an auth token's `deadline:account:apiKey` text.
 * Checked against lighter-python's oracle vectors (test/integration/lighter/signer-conformance).
 */

/** The signed fields of each transaction type, after chain id, type, Nonce and ExpiredAt */
const SIGNED_FIELDS = {
  14: [
    'AccountIndex',
    'ApiKeyIndex',
    'MarketIndex',
    'ClientOrderIndex',
    'BaseAmount',
    'Price',
    'IsAsk',
    'Type',
    'TimeInForce',
    'ReduceOnly',
    'TriggerPrice',
    'OrderExpiry',
  ],
  15: ['AccountIndex', 'ApiKeyIndex', 'MarketIndex', 'Index'],
  16: ['AccountIndex', 'ApiKeyIndex', 'TimeInForce', 'Time'],
  17: [
    'AccountIndex',
    'ApiKeyIndex',
    'MarketIndex',
    'Index',
    'BaseAmount',
    'Price',
    'TriggerPrice',
  ],
} as const satisfies Record<number, readonly string[]>;

export type HashableTxType = keyof typeof SIGNED_FIELDS;

export function isHashableTxType(txType: number): txType is HashableTxType {
  return txType in SIGNED_FIELDS;
}

/** The attribute types and the value each means "absent" with (lighter-go `tx_attributes.go`) */
export const ATTRIBUTE_NIL_VALUES: Readonly<Record<number, number>> = {
  1: 0, // integrator account index
  2: 0, // integrator taker fee
  3: 0, // integrator maker fee
  4: 0, // skip nonce
  5: 255, // cancel-all market index
  6: 0, // self-trade behaviour: expire maker
  7: 0, // self-trade equality: account index
};
const ATTRIBUTES_PER_TX = 4;

/** A field value as a Goldilocks element (negative integers wrap, as Go's uint64 cast does) */
function element(value: number): bigint {
  const big = BigInt(value);
  return ((big % P) + P) % P;
}

/**
 * The hash of a transaction's attributes: up to four (type, value) pairs of the attributes set
 * to other than their nil value, by ascending type, padded with (0, 0); undefined when none is set.
 */
function attributesHash(
  attributes: Readonly<Record<string, number>> | null | undefined,
): Fp5 | undefined {
  if (attributes === null || attributes === undefined) return undefined;
  const set = Object.entries(attributes)
    .map(([type, value]) => [Number(type), value] as const)
    .filter(([type, value]) => value !== (ATTRIBUTE_NIL_VALUES[type] ?? 0))
    .sort(([a], [b]) => a - b);
  if (set.length === 0) return undefined;
  const elements: bigint[] = [];
  for (let i = 0; i < ATTRIBUTES_PER_TX; i++) {
    const [type, value] = set[i] ?? [0, 0];
    elements.push(element(type), element(value));
  }
  return hashToFp5(elements);
}

/** The fields a transaction's hash covers, as its tx_info JSON carries them */
export type TxFields = Readonly<Record<string, unknown>>;

/**
 * The hash of a transaction (40 bytes) as the signer computes it and the venue recomputes it.
 * @throws Error when a signed field is missing or not an integer
 */
export function txHashOf(chainId: number, txType: HashableTxType, fields: TxFields): Buffer {
  const numeric = (name: string): number => {
    const value = fields[name];
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new Error(`${name} is not an integer`);
    }
    return value;
  };
  const elements = [chainId, txType, numeric('Nonce'), numeric('ExpiredAt')].map(element);
  for (const name of SIGNED_FIELDS[txType]) elements.push(element(numeric(name)));
  const hash = hashToFp5(elements);
  const attributes = attributesHash(
    fields['L2TxAttributes'] as Readonly<Record<string, number>> | null | undefined,
  );
  return toBytes5(attributes === undefined ? hash : hashToFp5([...hash, ...attributes]));
}

/** A 40-byte hash as the Fp5 element a signature covers; undefined when it is not canonical */
export function hashElement(hash: Uint8Array): Fp5 | undefined {
  return fromBytes5(hash);
}

/** The message an auth token's signature covers: the hash of `deadline:account:apiKey` */
export function authTokenMessage(
  deadlineSeconds: number,
  accountIndex: number,
  apiKeyIndex: number,
): Fp5 {
  const text = Buffer.from(`${deadlineSeconds}:${accountIndex}:${apiKeyIndex}`, 'utf8');
  const padded = Buffer.alloc(Math.ceil(text.length / 8) * 8);
  text.copy(padded);
  const elements: bigint[] = [];
  for (let i = 0; i < padded.length; i += 8) elements.push(padded.readBigUInt64LE(i));
  return hashToFp5(elements);
}
