import type { WsEnvelope } from './schemas.ts';
import { wsEnvelopeSchema } from './schemas.ts';

/**
 * How a WebSocket frame is routed. Lighter names channels with `/` when subscribing and `:` in
 * every reply (`order_book:0`, `account_all_orders:225671`, `account_orders:0:1234`), so frames
 * are routed on their `type` and the ids parsed out of the channel, never on exact strings.
 */
export type FrameKind =
  | 'connected'
  | 'ping'
  | 'pong'
  | 'error'
  | 'order_book'
  | 'trade'
  | 'account_orders'
  | 'account_trades'
  | 'account_positions'
  | 'account_all'
  | 'user_stats'
  | 'sendtx'
  | 'unsubscribed'
  | 'other';

export interface RoutedFrame {
  readonly kind: FrameKind;
  readonly envelope: WsEnvelope;
  /** Whether a channel frame is a snapshot (`subscribed/…`) rather than a delta (`update/…`) */
  readonly snapshot: boolean;
  /** The channel's name and ids: `order_book:0` → { name: 'order_book', ids: ['0'] } */
  readonly channel: { readonly name: string; readonly ids: readonly string[] } | undefined;
}

const CHANNEL_KINDS: Readonly<Record<string, FrameKind>> = {
  order_book: 'order_book',
  trade: 'trade',
  account_all_orders: 'account_orders',
  account_orders: 'account_orders',
  account_all_trades: 'account_trades',
  account_all_positions: 'account_positions',
  account_all: 'account_all',
  user_stats: 'user_stats',
};

/** Splits `name:id:id` (or `name/id/id`) into its name and ids */
export function parseChannel(channel: string): { name: string; ids: string[] } {
  const [name = '', ...ids] = channel.split(/[:/]/);
  return { name, ids };
}

/**
 * Routes one decoded frame; undefined when it is not a JSON object at all (the venue sends
 * empty frames now and then, which are ignored).
 */
export function routeFrame(payload: unknown): RoutedFrame | undefined {
  const parsed = wsEnvelopeSchema.safeParse(payload);
  if (!parsed.success) return undefined;
  const envelope = parsed.data;
  const type = envelope.type;
  const channel = envelope.channel === undefined ? undefined : parseChannel(envelope.channel);
  const frame = (kind: FrameKind, snapshot = false): RoutedFrame => ({
    kind,
    envelope,
    snapshot,
    channel,
  });
  if (envelope.error !== undefined || type === 'error') return frame('error');
  switch (type) {
    case 'connected':
      return frame('connected');
    case 'ping':
      return frame('ping');
    case 'pong':
      return frame('pong');
    case 'unsubscribed':
      return frame('unsubscribed');
    case 'jsonapi/sendtx':
    case 'jsonapi/sendtxbatch':
      return frame('sendtx');
    case undefined:
      return frame('other');
    default:
      break;
  }
  const slash = type.indexOf('/');
  if (slash < 0) return frame('other');
  const phase = type.slice(0, slash);
  const name = type.slice(slash + 1);
  const kind = CHANNEL_KINDS[name];
  if (kind === undefined || (phase !== 'subscribed' && phase !== 'update')) return frame('other');
  return frame(kind, phase === 'subscribed');
}
