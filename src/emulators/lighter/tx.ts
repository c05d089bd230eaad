import { z } from 'zod';
import type { FixedBase } from '../../venues/lighter/crypto/curve.ts';
import {
  ATTRIBUTE_NIL_VALUES,
  hashElement,
  txHashOf,
} from '../../venues/lighter/crypto/lighter-hash.ts';
import { verify } from '../../venues/lighter/crypto/schnorr.ts';
import {
  MAX_BASE_AMOUNT,
  MAX_CLIENT_ORDER_INDEX,
  MAX_ORDER_EXPIRY_MS,
  MAX_PRICE,
  MIN_ORDER_EXPIRY_MS,
  ORDER_TYPE_LIMIT,
  ORDER_TYPE_MARKET,
  TIF_IOC,
  TX,
  VenueRefusal,
} from './protocol.ts';

const int = z.number().int();
const base = {
  AccountIndex: int,
  ApiKeyIndex: int,
  ExpiredAt: int,
  Nonce: int,
  Sig: z.string(),
  /** Attribute type (a decimal string key) to value; null or absent when there are none */
  L2TxAttributes: z.record(z.string().regex(/^\d+$/), int).nullable().optional(),
};

const createSchema = z.object({
  ...base,
  MarketIndex: int,
  ClientOrderIndex: int,
  BaseAmount: int,
  Price: int,
  IsAsk: int,
  Type: int,
  TimeInForce: int,
  ReduceOnly: int,
  TriggerPrice: int,
  OrderExpiry: int,
});
const cancelSchema = z.object({ ...base, MarketIndex: int, Index: int });
const cancelAllSchema = z.object({ ...base, TimeInForce: int, Time: int });
const modifySchema = z.object({
  ...base,
  MarketIndex: int,
  Index: int,
  BaseAmount: int,
  Price: int,
  TriggerPrice: int,
});

export type CreateTx = z.infer<typeof createSchema> & { readonly txType: 14 };
export type CancelTx = z.infer<typeof cancelSchema> & { readonly txType: 15 };
export type CancelAllTx = z.infer<typeof cancelAllSchema> & { readonly txType: 16 };
export type ModifyTx = z.infer<typeof modifySchema> & { readonly txType: 17 };
export type ParsedTx = CreateTx | CancelTx | CancelAllTx | ModifyTx;

function parse<T>(schema: z.ZodType<T>, info: unknown): T {
  const result = schema.safeParse(info);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new VenueRefusal(
      'INVALID_TX_INFO',
      `${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  return result.data;
}

/**
 * Reads a `tx_info` as the venue does: JSON with the signer's PascalCase fields and an 80-byte
 * base64 signature (checked against the key by `verifyTx`).
 * @throws VenueRefusal UNSUPPORTED_TX_TYPE or INVALID_TX_INFO
 */
export function parseTx(txType: number, txInfo: string): ParsedTx {
  let info: unknown;
  try {
    info = JSON.parse(txInfo);
  } catch {
    throw new VenueRefusal('INVALID_TX_INFO', 'not JSON');
  }
  let tx: ParsedTx;
  switch (txType) {
    case TX.CREATE:
      tx = { ...parse(createSchema, info), txType };
      break;
    case TX.CANCEL:
      tx = { ...parse(cancelSchema, info), txType };
      break;
    case TX.CANCEL_ALL:
      tx = { ...parse(cancelAllSchema, info), txType };
      break;
    case TX.MODIFY:
      tx = { ...parse(modifySchema, info), txType };
      break;
    default:
      throw new VenueRefusal('UNSUPPORTED_TX_TYPE', String(txType));
  }
  if (Buffer.from(tx.Sig, 'base64').length !== 80) {
    throw new VenueRefusal('INVALID_TX_INFO', 'invalid signature');
  }
  return tx;
}

/** Attribute types (lighter-go `tx_attributes.go`) and the range of each value */
const ATTRIBUTE_RANGES: Readonly<Record<number, readonly [number, number]>> = {
  1: [0, 281_474_976_710_654], // integrator account index
  2: [0, 1_000_000], // integrator taker fee
  3: [0, 1_000_000], // integrator maker fee
  4: [1, 1], // skip nonce
  5: [0, 255], // cancel-all market index
  6: [0, 3], // self-trade behaviour
  7: [0, 1], // self-trade equality
};
const ATTRIBUTES_PER_TX = 4;

/**
 * The attributes of a transaction as the venue checks them: known types, values in range, at
 * most four. Integrator fees need an approved integrator (the emulated account has none) and
 * skip-nonce transactions are not emulated, so both are refused; a cancel-all may name one
 * market (type 5), any other transaction may not.
 * @throws VenueRefusal INVALID_TX_INFO or INTEGRATOR_NOT_APPROVED
 */
function checkAttributes(tx: ParsedTx): void {
  const attributes = tx.L2TxAttributes ?? {};
  const entries = Object.entries(attributes).map(([type, value]) => [Number(type), value] as const);
  if (entries.length > ATTRIBUTES_PER_TX)
    throw new VenueRefusal('INVALID_TX_INFO', 'too many attributes');
  for (const [type, value] of entries) {
    const range = ATTRIBUTE_RANGES[type];
    if (range === undefined) throw new VenueRefusal('INVALID_TX_INFO', `attribute type ${type}`);
    if (value < range[0] || value > range[1])
      throw new VenueRefusal('INVALID_TX_INFO', `attribute ${type} out of range`);
  }
  const set = (type: number): boolean => {
    const value = attributes[String(type)];
    return value !== undefined && value !== (ATTRIBUTE_NIL_VALUES[type] ?? 0);
  };
  if (set(1)) throw new VenueRefusal('INTEGRATOR_NOT_APPROVED');
  if (set(2) || set(3))
    throw new VenueRefusal('INVALID_TX_INFO', 'integrator fees without an integrator');
  if (set(4)) throw new VenueRefusal('INVALID_TX_INFO', 'skip-nonce transactions are not emulated');
  if (set(5) && tx.txType !== TX.CANCEL_ALL)
    throw new VenueRefusal(
      'INVALID_TX_INFO',
      'a market index attribute on a transaction other than cancel-all',
    );
}

/**
 * What the venue's API servers check of a signature: the attributes, then the transaction's
 * Poseidon2 hash recomputed from its signed fields (chain id, type, nonce, expiry, the type's
 * fields, the attributes), and the Schnorr signature over that hash under the API key's
 * registered public key. A field changed after signing, another chain or another key all fail
 * the signature. Returns the hash, which the venue answers with.
 * @throws VenueRefusal INVALID_SIGNATURE, INVALID_TX_INFO or INTEGRATOR_NOT_APPROVED
 */
export function verifyTx(tx: ParsedTx, chainId: number, publicKey: FixedBase): string {
  checkAttributes(tx);
  const hash = txHashOf(chainId, tx.txType, tx);
  const message = hashElement(hash);
  if (message === undefined || !verify(publicKey, message, Buffer.from(tx.Sig, 'base64'))) {
    throw new VenueRefusal('INVALID_SIGNATURE');
  }
  return hash.toString('hex');
}

/**
 * The stateless checks of a create-order transaction (lighter-go `create_order.go` Validate).
 * @throws VenueRefusal naming the offending field
 */
export function validateCreate(tx: CreateTx, now: number): void {
  const coi = tx.ClientOrderIndex;
  if (coi < 0 || coi > MAX_CLIENT_ORDER_INDEX) throw new VenueRefusal('INVALID_CLIENT_ORDER_INDEX');
  const minBase = tx.ReduceOnly === 1 ? 0 : 1;
  if (tx.BaseAmount < minBase || tx.BaseAmount > MAX_BASE_AMOUNT)
    throw new VenueRefusal('INVALID_BASE_AMOUNT');
  if (tx.Price < 1 || tx.Price > MAX_PRICE) throw new VenueRefusal('INVALID_PRICE');
  if (tx.IsAsk !== 0 && tx.IsAsk !== 1) throw new VenueRefusal('INVALID_IS_ASK');
  if (tx.ReduceOnly !== 0 && tx.ReduceOnly !== 1)
    throw new VenueRefusal('INVALID_TX_INFO', 'ReduceOnly');
  if (tx.Type !== ORDER_TYPE_LIMIT && tx.Type !== ORDER_TYPE_MARKET) {
    throw new VenueRefusal('INVALID_ORDER_TYPE', 'the emulator takes limit and market orders');
  }
  if (tx.TimeInForce < 0 || tx.TimeInForce > 2) throw new VenueRefusal('INVALID_TIME_IN_FORCE');
  if (tx.TriggerPrice !== 0) throw new VenueRefusal('INVALID_TRIGGER_PRICE');
  if (tx.Type === ORDER_TYPE_MARKET) {
    if (tx.TimeInForce !== TIF_IOC) throw new VenueRefusal('INVALID_TIME_IN_FORCE');
    if (tx.OrderExpiry !== 0) throw new VenueRefusal('INVALID_EXPIRY');
    return;
  }
  if (tx.TimeInForce === TIF_IOC) {
    if (tx.OrderExpiry !== 0) throw new VenueRefusal('INVALID_EXPIRY');
    return;
  }
  const ahead = tx.OrderExpiry - now;
  if (ahead < MIN_ORDER_EXPIRY_MS - 60_000 || ahead > MAX_ORDER_EXPIRY_MS) {
    throw new VenueRefusal('INVALID_EXPIRY', `OrderExpiry ${tx.OrderExpiry}`);
  }
}
