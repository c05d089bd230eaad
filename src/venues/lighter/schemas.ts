import { z } from 'zod';

/**
 * Schemas of every Lighter payload Kestrel reads, REST and WebSocket, written from the official
 * OpenAPI spec and checked against frames captured from mainnet. Order and fill enums are
 * strict (an unknown status fails loudly instead of drifting); descriptive fields are lenient
 * (optional, extra keys dropped). Amounts stay decimal strings here and become numbers at the
 * parse boundary, snapped to the market's steps.
 */

/** A decimal as the venue prints it: `"40.0843"`, `"-0.000000"`, `"0"` */
const decimalString = z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal string');
/** A decimal, or the empty string the venue sends for "none" (e.g. liquidation_price) */
const optionalDecimal = z.union([decimalString, z.literal('')]);
/** An integer id the venue sends as a number or a digit string */
const integerLike = z.union([z.number().int(), z.string().regex(/^-?\d+$/)]);

const LIGHTER_ORDER_STATUSES = [
  'in-progress',
  'pending',
  'open',
  'filled',
  'canceled',
  'canceled-post-only',
  'canceled-reduce-only',
  'canceled-position-not-allowed',
  'canceled-margin-not-allowed',
  'canceled-too-much-slippage',
  'canceled-not-enough-liquidity',
  'canceled-self-trade',
  'canceled-expired',
  'canceled-oco',
  'canceled-child',
  'canceled-liquidation',
  'canceled-invalid-balance',
] as const;
export type LighterOrderStatus = (typeof LIGHTER_ORDER_STATUSES)[number];

const LIGHTER_ORDER_TYPES = [
  'limit',
  'market',
  'stop-loss',
  'stop-loss-limit',
  'take-profit',
  'take-profit-limit',
  'twap',
  'twap-sub',
  'liquidation',
] as const;

const LIGHTER_TIMES_IN_FORCE = [
  'good-till-time',
  'immediate-or-cancel',
  'post-only',
  'Unknown',
] as const;

export const orderSchema = z.object({
  order_index: z.number().int(),
  client_order_index: z.number().int(),
  order_id: z.string().regex(/^\d+$/),
  client_order_id: z.string().optional(),
  market_index: z.number().int(),
  owner_account_index: z.number().int(),
  initial_base_amount: decimalString,
  price: decimalString,
  nonce: z.number().int().optional(),
  remaining_base_amount: decimalString,
  is_ask: z.boolean(),
  filled_base_amount: decimalString,
  filled_quote_amount: decimalString,
  type: z.enum(LIGHTER_ORDER_TYPES),
  time_in_force: z.enum(LIGHTER_TIMES_IN_FORCE),
  reduce_only: z.boolean(),
  trigger_price: decimalString.optional(),
  order_expiry: z.number().int().optional(),
  status: z.enum(LIGHTER_ORDER_STATUSES),
  timestamp: z.number().int().optional(),
  created_at: z.number().int().optional(),
  updated_at: z.number().int().optional(),
  transaction_time: z.number().int().optional(),
});
export type LighterOrder = z.infer<typeof orderSchema>;

export const tradeSchema = z.object({
  trade_id: integerLike,
  trade_id_str: z.string().optional(),
  tx_hash: z.string().optional(),
  type: z.string().optional(),
  market_id: z.number().int(),
  size: decimalString,
  price: decimalString,
  usd_amount: decimalString.optional(),
  ask_id: z.number().int(),
  ask_id_str: z.string().optional(),
  bid_id: z.number().int(),
  bid_id_str: z.string().optional(),
  ask_client_id: z.number().int().optional(),
  ask_client_id_str: z.string().optional(),
  bid_client_id: z.number().int().optional(),
  bid_client_id_str: z.string().optional(),
  ask_account_id: z.number().int(),
  bid_account_id: z.number().int(),
  is_maker_ask: z.boolean(),
  block_height: z.number().int().optional(),
  timestamp: z.number().int(),
  /** Millionths of notional (FeeTick 1e6); omitted when zero */
  taker_fee: z.number().int().optional(),
  maker_fee: z.number().int().optional(),
  transaction_time: z.number().int().optional(),
});
export type LighterTrade = z.infer<typeof tradeSchema>;

export const positionSchema = z.object({
  market_id: z.number().int(),
  symbol: z.string().optional(),
  sign: z.union([z.literal(1), z.literal(-1), z.literal(0)]),
  position: decimalString,
  avg_entry_price: decimalString,
  position_value: decimalString.optional(),
  unrealized_pnl: decimalString.optional(),
  realized_pnl: decimalString.optional(),
  liquidation_price: optionalDecimal.optional(),
  total_funding_paid_out: decimalString.optional(),
  allocated_margin: decimalString.optional(),
  margin_mode: z.number().int().optional(),
});
export type LighterPosition = z.infer<typeof positionSchema>;

const statsSchema = z.object({
  collateral: decimalString,
  portfolio_value: decimalString.optional(),
  available_balance: decimalString,
  leverage: decimalString.optional(),
  margin_usage: decimalString.optional(),
  buying_power: decimalString.optional(),
});
export type LighterStats = z.infer<typeof statsSchema>;

const bookLevelSchema = z.object({ price: decimalString, size: decimalString });

const orderBookBodySchema = z.object({
  code: z.number().int().optional(),
  asks: z.array(bookLevelSchema).nullish(),
  bids: z.array(bookLevelSchema).nullish(),
  offset: z.number().int().optional(),
  nonce: z.number().int().optional(),
  begin_nonce: z.number().int().optional(),
  last_updated_at: z.number().int().optional(),
});

// ---- WebSocket ------------------------------------------------------------------------------

/** Every frame: routed on `type`; errors come as `{error:{code,message}}` or `{type:'error',...}` */
export const wsEnvelopeSchema = z.object({
  type: z.string().optional(),
  channel: z.string().optional(),
  error: z.object({ code: z.number().int(), message: z.string().optional() }).optional(),
  code: z.number().int().optional(),
  message: z.string().optional(),
  session_id: z.string().optional(),
});
export type WsEnvelope = z.infer<typeof wsEnvelopeSchema>;

export const wsOrderBookSchema = z.object({
  type: z.enum(['subscribed/order_book', 'update/order_book']),
  channel: z.string(),
  offset: z.number().int(),
  order_book: orderBookBodySchema,
  timestamp: z.number().int().optional(),
});
export type WsOrderBook = z.infer<typeof wsOrderBookSchema>;

export const wsTradeSchema = z.object({
  type: z.enum(['subscribed/trade', 'update/trade']),
  channel: z.string(),
  trades: z.array(tradeSchema).nullish(),
  liquidation_trades: z.array(tradeSchema).nullish(),
  nonce: z.number().int().optional(),
});

/** Orders keyed by market index (string) */
const ordersByMarket = z.record(z.string(), z.array(orderSchema));

export const wsAccountOrdersSchema = z.object({
  type: z.enum([
    'subscribed/account_all_orders',
    'update/account_all_orders',
    'subscribed/account_orders',
    'update/account_orders',
  ]),
  channel: z.string(),
  orders: ordersByMarket.nullish(),
  account: z.number().int().optional(),
  nonce: z.number().int().optional(),
});

/** Account trade lists come keyed by market, or (the async API warns) as a flat list */
const tradesByMarket = z.union([z.record(z.string(), z.array(tradeSchema)), z.array(tradeSchema)]);

export const wsAccountTradesSchema = z.object({
  type: z.enum(['subscribed/account_all_trades', 'update/account_all_trades']),
  channel: z.string(),
  trades: tradesByMarket.nullish(),
  total_volume: z.number().optional(),
});

export const wsAccountPositionsSchema = z.object({
  type: z.enum(['subscribed/account_all_positions', 'update/account_all_positions']),
  channel: z.string(),
  positions: z.record(z.string(), positionSchema).nullish(),
});

export const wsAccountAllSchema = z.object({
  type: z.enum(['subscribed/account_all', 'update/account_all']),
  channel: z.string(),
  account: z.number().int().optional(),
  positions: z.record(z.string(), positionSchema).nullish(),
  trades: tradesByMarket.nullish(),
  funding_histories: z.unknown().optional(),
});

export const wsUserStatsSchema = z.object({
  type: z.enum(['subscribed/user_stats', 'update/user_stats']),
  channel: z.string(),
  stats: statsSchema,
  timestamp: z.number().int().optional(),
});

// ---- REST -----------------------------------------------------------------------------------

export const resultCodeSchema = z.object({
  code: z.number().int(),
  message: z.string().nullish(),
});

export const sendTxResponseSchema = z.object({
  code: z.literal(200),
  message: z.string().nullish(),
  tx_hash: z.string(),
  predicted_execution_time_ms: z.number().optional(),
  volume_quota_remaining: z.number().optional(),
});

export const sendTxBatchResponseSchema = z.object({
  code: z.literal(200),
  message: z.string().nullish(),
  tx_hash: z.array(z.string()),
  predicted_execution_time_ms: z.number().optional(),
  volume_quota_remaining: z.number().optional(),
});

export const nextNonceSchema = z.object({ code: z.literal(200), nonce: z.number().int().min(0) });

/** `GET /api/v1/apikeys`: the account's API keys with their registered public keys */
export const apiKeysResponseSchema = z.object({
  code: z.literal(200),
  api_keys: z
    .array(
      z.object({
        account_index: z.number().int(),
        api_key_index: z.number().int(),
        public_key: z.string(),
        nonce: z.number().int().nullish(),
      }),
    )
    .nullish(),
});

export const ordersResponseSchema = z.object({
  code: z.literal(200),
  message: z.string().nullish(),
  next_cursor: z.string().nullish(),
  orders: z.array(orderSchema).nullish(),
});

export const tradesResponseSchema = z.object({
  code: z.literal(200),
  message: z.string().nullish(),
  next_cursor: z.string().nullish(),
  trades: z.array(tradeSchema).nullish(),
});

const orderBookDetailSchema = z.object({
  symbol: z.string().min(1),
  market_id: z.number().int(),
  market_type: z.string().optional(),
  status: z.string(),
  /** Percent, e.g. "0.0200" = 0.02 % */
  taker_fee: decimalString,
  maker_fee: decimalString,
  min_base_amount: decimalString,
  min_quote_amount: decimalString,
  supported_size_decimals: z.number().int().min(0).max(18),
  supported_price_decimals: z.number().int().min(0).max(18),
  supported_quote_decimals: z.number().int().optional(),
  size_decimals: z.number().int().min(0).max(18),
  price_decimals: z.number().int().min(0).max(18),
  last_trade_price: z.number().optional(),
});
export type LighterMarketDetail = z.infer<typeof orderBookDetailSchema>;

export const orderBookDetailsResponseSchema = z.object({
  code: z.literal(200),
  order_book_details: z.array(orderBookDetailSchema).nullish(),
  spot_order_book_details: z.array(z.unknown()).nullish(),
});

export const accountResponseSchema = z.object({
  code: z.literal(200),
  accounts: z.array(
    z.object({
      index: z.number().int(),
      collateral: decimalString,
      available_balance: decimalString,
      positions: z.array(positionSchema).nullish(),
    }),
  ),
});
