import { createHash } from 'node:crypto';
import { z } from 'zod';
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
  L2TxAttributes: z.unknown().optional(),
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
 * Reads a `tx_info` as the venue does: JSON with the signer's PascalCase fields, an 80-byte
 * base64 signature (the emulator cannot verify Lighter's Schnorr signatures, so it checks the
 * shape and accepts what the official signer, or Kestrel's fake signer, produces).
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

/**
 * The hash the emulator answers with: 40 bytes of SHA-256 over the chain id, the type and the
 * signed JSON without its signature (the same stand-in Kestrel's fake signer computes; a real
 * Poseidon2 hash would need the Goldilocks field, which the emulator does not implement).
 */
export function emulatorTxHash(chainId: number, txType: number, txInfo: string): string {
  const { Sig: _sig, ...unsigned } = JSON.parse(txInfo) as Record<string, unknown>;
  const text = JSON.stringify(unsigned);
  const chunks: Buffer[] = [];
  for (let round = 0; chunks.length * 32 < 40; round++) {
    chunks.push(createHash('sha256').update(`${round}|${chainId}|${txType}|${text}`).digest());
  }
  return Buffer.concat(chunks).subarray(0, 40).toString('hex');
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
