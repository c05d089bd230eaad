import type { WireAnswer, WireRequest } from './in-process-venue.ts';
import { field, InProcessVenue } from './in-process-venue.ts';
import { capturedBody } from './static-fixtures.ts';

/**
 * Hyperliquid answered in-process, for the conformance suite: `POST /info` by its `type`,
 * `POST /exchange` by its action's `type`. Order, fill and position rows are the captured
 * answers of ccxt's static tests (`response/hyperliquid.json`) with the fields of the order at
 * hand filled in; the market metadata, the book, the order-action answers and the open-order
 * rows of `frontendOpenOrders` are built from Hyperliquid's documented formats.
 */

const CLOID = /^0x[0-9a-f]{32}$/;
const DECIMAL = /^\d+(\.\d+)?$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** The perpetuals listed: name, size decimals (asset index = position) */
export const HL_UNIVERSE = [
  { name: 'BTC', szDecimals: 5 },
  { name: 'ETH', szDecimals: 4 },
] as const;

export interface HlOrder {
  readonly coin: string;
  oid: number;
  readonly cloid: string | null;
  readonly side: 'B' | 'A';
  limitPx: string;
  origSz: string;
  readonly tif: string;
  readonly reduceOnly: boolean;
  status: 'open' | 'filled' | 'canceled';
  filledSz: string;
  readonly timestamp: number;
  statusTimestamp: number;
}

export interface HlFill {
  readonly coin: string;
  readonly oid: number;
  readonly cloid: string | null;
  readonly side: 'B' | 'A';
  readonly px: string;
  readonly sz: string;
  readonly tid: number;
  readonly time: number;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function significant(text: string): number {
  return text.replace('.', '').replace(/^0+/, '').length;
}

/** Hyperliquid's documented rules for the order, cancel and modify actions Kestrel sends */
export function hyperliquidRules(request: WireRequest): string[] {
  const problems: string[] = [];
  const body = record(request.body);
  if (request.path === '/info') {
    const user = field(body, 'user');
    if (user !== undefined && !ADDRESS.test(user)) problems.push(`user ${user} is not an address`);
    if (field(body, 'type') === 'userFillsByTime' && field(body, 'startTime') === undefined)
      problems.push('userFillsByTime needs a startTime');
    return problems;
  }
  if (request.path !== '/exchange') return problems;
  const signature = record(body['signature']);
  if (
    field(body, 'nonce') === undefined ||
    field(signature, 'r') === undefined ||
    field(signature, 's') === undefined
  )
    problems.push('an action needs a nonce and a signature');
  const action = record(body['action']);
  const orderRules = (order: Record<string, unknown>): string[] => {
    const out: string[] = [];
    const asset = Number(order['a']);
    const market = HL_UNIVERSE[asset];
    if (market === undefined) out.push(`asset ${String(order['a'])} is not listed`);
    if (typeof order['b'] !== 'boolean' || typeof order['r'] !== 'boolean')
      out.push('b and r are booleans');
    const p = field(order, 'p');
    const s = field(order, 's');
    // Prices: at most 5 significant figures and 6 - szDecimals decimals; sizes: szDecimals decimals
    if (p === undefined || !DECIMAL.test(p) || Number(p) <= 0)
      out.push(`p ${p} is not a positive decimal (every order has a price)`);
    else if (market !== undefined) {
      const decimals = p.split('.')[1]?.length ?? 0;
      if (decimals > 6 - market.szDecimals || (significant(p) > 5 && p.includes('.')))
        out.push(`p ${p} breaks the tick rules of ${market.name}`);
    }
    if (s === undefined || !DECIMAL.test(s) || Number(s) <= 0)
      out.push(`s ${s} is not a positive decimal`);
    else if (market !== undefined && (s.split('.')[1]?.length ?? 0) > market.szDecimals)
      out.push(`s ${s} has more than ${market.szDecimals} decimals`);
    const tif = field(record(record(order['t'])['limit']), 'tif');
    if (tif === undefined || !['Gtc', 'Ioc', 'Alo'].includes(tif))
      out.push(`tif ${tif} is not Gtc, Ioc or Alo`);
    const cloid = field(order, 'c');
    if (cloid !== undefined && !CLOID.test(cloid))
      out.push(`cloid ${cloid} is not 0x and 32 hex digits`);
    return out;
  };
  switch (field(action, 'type')) {
    case 'order':
      for (const order of Array.isArray(action['orders']) ? action['orders'] : [])
        problems.push(...orderRules(record(order)));
      if (
        record(action['builder'])['f'] !== undefined &&
        Number(record(action['builder'])['f']) !== 0
      )
        problems.push('an order carries a builder fee nobody approved');
      break;
    case 'cancelByCloid':
      for (const cancel of Array.isArray(action['cancels']) ? action['cancels'] : [])
        if (!CLOID.test(field(cancel, 'cloid') ?? ''))
          problems.push(`cancel cloid ${field(cancel, 'cloid')} is malformed`);
      break;
    case 'cancel':
      for (const cancel of Array.isArray(action['cancels']) ? action['cancels'] : [])
        if (!/^\d+$/.test(field(cancel, 'o') ?? '')) problems.push('cancel o is an order id');
      break;
    case 'batchModify':
      for (const modify of Array.isArray(action['modifies']) ? action['modifies'] : []) {
        const oid = field(modify, 'oid') ?? '';
        if (!/^\d+$/.test(oid) && !CLOID.test(oid))
          problems.push(`modify oid ${oid} is neither an order id nor a cloid`);
        problems.push(...orderRules(record(record(modify)['order'])));
      }
      break;
    default:
      problems.push(`action ${field(action, 'type')} was not asked for by Kestrel`);
  }
  return problems;
}

function ok(type: string, statuses: unknown[]): WireAnswer {
  return { body: { status: 'ok', response: { type, data: { statuses } } } };
}

/** A Hyperliquid perpetuals account: BTC and ETH, orders that rest unless IOC, fills the test adds */
export class HyperliquidVenue {
  readonly wire: InProcessVenue;
  readonly orders: HlOrder[] = [];
  readonly fills: HlFill[] = [];
  /** The error the next order of an `order` action gets instead of resting */
  refuseNext: string | undefined;
  private nextOid = 90_000_000_001;
  private nextTid = 600_000_000_000_001;

  constructor() {
    this.wire = new InProcessVenue('hyperliquid', hyperliquidRules);
    this.wire.on('POST', '/info', (request) => this.info(record(request.body)));
    this.wire.on('POST', '/exchange', (request) =>
      this.exchange(record(record(request.body)['action'])),
    );
  }

  /** An order placed at the venue by someone else (no cloid) */
  placeForeign(coin: string, side: 'B' | 'A', limitPx: string, origSz: string): HlOrder {
    const now = Date.now();
    const order: HlOrder = {
      coin,
      oid: this.nextOid++,
      cloid: null,
      side,
      limitPx,
      origSz,
      tif: 'Gtc',
      reduceOnly: false,
      status: 'open',
      filledSz: '0',
      timestamp: now,
      statusTimestamp: now,
    };
    this.orders.push(order);
    return order;
  }

  byCloid(cloid: string): HlOrder | undefined {
    return this.orders.find((o) => o.cloid === cloid);
  }

  private info(body: Record<string, unknown>): WireAnswer {
    switch (field(body, 'type')) {
      case 'metaAndAssetCtxs':
        // Documented perpetuals metadata and asset contexts
        return {
          body: [
            { universe: HL_UNIVERSE.map((m) => ({ ...m, maxLeverage: 50, marginTableId: 50 })) },
            HL_UNIVERSE.map((m) => ({
              funding: '0.0000125',
              openInterest: '1000',
              prevDayPx: m.name === 'BTC' ? '60000' : '3000',
              dayNtlVlm: '1000000',
              premium: '0.0',
              oraclePx: m.name === 'BTC' ? '60000' : '3000',
              markPx: m.name === 'BTC' ? '60000' : '3000',
              midPx: m.name === 'BTC' ? '60000.5' : '3000.05',
              impactPxs: ['60000', '60001'],
              dayBaseVlm: '100',
            })),
          ],
        };
      case 'spotMeta':
        // Documented spot metadata: the tokens ccxt reads as currencies
        return {
          body: {
            tokens: [
              {
                name: 'USDC',
                szDecimals: 8,
                weiDecimals: 8,
                index: 0,
                tokenId: `0x${'6d'.repeat(16)}`,
                isCanonical: true,
              },
            ],
            universe: [],
          },
        };
      case 'userAbstraction':
        return { body: '"disabled"' };
      case 'clearinghouseState':
        return { body: this.clearinghouse() };
      case 'l2Book':
        // Documented book format: [bids, asks], each level {px, sz, n}
        return {
          body: {
            coin: field(body, 'coin'),
            time: Date.now(),
            levels: [[{ px: '60000', sz: '1.5', n: 3 }], [{ px: '60001', sz: '2', n: 4 }]],
          },
        };
      case 'orderStatus': {
        const oid = field(body, 'oid') ?? '';
        const order = this.orders.find((o) => String(o.oid) === oid || o.cloid === oid);
        if (order === undefined) return { body: { status: 'unknownOid' } };
        const answer = capturedBody<{ order: Record<string, unknown> }>(
          'hyperliquid',
          'fetchOrder',
          'fetch order',
        );
        return { body: { ...answer, order: this.statusRow(order, answer.order) } };
      }
      case 'frontendOpenOrders':
        return { body: this.orders.filter((o) => o.status === 'open').map((o) => this.openRow(o)) };
      case 'userFillsByTime': {
        const start = Number(field(body, 'startTime') ?? 0);
        const end =
          body['endTime'] === undefined ? Number.POSITIVE_INFINITY : Number(field(body, 'endTime'));
        return {
          body: this.fills
            .filter((f) => f.time >= start && f.time <= end)
            .sort((a, b) => a.time - b.time || a.tid - b.tid)
            .slice(0, 2000)
            .map((f) => this.fillRow(f)),
        };
      }
      default:
        return {
          status: 422,
          body: `Failed to deserialize the JSON body: unknown type ${field(body, 'type')}`,
        };
    }
  }

  private exchange(action: Record<string, unknown>): WireAnswer {
    const now = Date.now();
    switch (field(action, 'type')) {
      case 'order': {
        const statuses = (Array.isArray(action['orders']) ? action['orders'] : []).map((raw) => {
          const o = record(raw);
          if (this.refuseNext !== undefined) {
            const error = this.refuseNext;
            this.refuseNext = undefined;
            return { error };
          }
          const tif = field(record(record(o['t'])['limit']), 'tif') ?? 'Gtc';
          const order: HlOrder = {
            coin: HL_UNIVERSE[Number(o['a'])]?.name ?? '?',
            oid: this.nextOid++,
            cloid: field(o, 'c') ?? null,
            side: o['b'] === true ? 'B' : 'A',
            limitPx: field(o, 'p') ?? '0',
            origSz: field(o, 's') ?? '0',
            tif,
            reduceOnly: o['r'] === true,
            status: 'open',
            filledSz: '0',
            timestamp: now,
            statusTimestamp: now,
          };
          this.orders.push(order);
          if (tif === 'Ioc') {
            this.fill(order, order.origSz, order.side === 'B' ? '60001' : '60000', now);
            return {
              filled: {
                totalSz: order.origSz,
                avgPx: order.side === 'B' ? '60001' : '60000',
                oid: order.oid,
                cloid: order.cloid,
              },
            };
          }
          return {
            resting: { oid: order.oid, ...(order.cloid === null ? {} : { cloid: order.cloid }) },
          };
        });
        return ok('order', statuses);
      }
      case 'cancelByCloid':
      case 'cancel': {
        const statuses = (Array.isArray(action['cancels']) ? action['cancels'] : []).map((raw) => {
          const key = field(raw, 'cloid') ?? field(raw, 'o');
          const order = this.orders.find((o) => o.cloid === key || String(o.oid) === key);
          if (order === undefined || order.status !== 'open')
            return { error: 'Order was never placed, already canceled, or filled.' };
          order.status = 'canceled';
          order.statusTimestamp = now;
          return 'success';
        });
        return ok('cancel', statuses);
      }
      case 'batchModify': {
        const statuses = (Array.isArray(action['modifies']) ? action['modifies'] : []).map(
          (raw) => {
            const key = field(raw, 'oid');
            const order = this.orders.find((o) => o.cloid === key || String(o.oid) === key);
            if (order === undefined || order.status !== 'open')
              return { error: 'Cannot modify canceled or filled order' };
            const next = record(record(raw)['order']);
            // A modify gives the order a new id
            order.oid = this.nextOid++;
            order.limitPx = field(next, 'p') ?? order.limitPx;
            order.origSz = field(next, 's') ?? order.origSz;
            order.statusTimestamp = now;
            return { resting: { oid: order.oid } };
          },
        );
        return ok('batchModify', statuses);
      }
      default:
        return { body: { status: 'err', response: `unexpected action ${field(action, 'type')}` } };
    }
  }

  /** A fill of an order (what the stream would have pushed) */
  fill(order: HlOrder, sz: string, px: string, time: number): void {
    this.fills.push({
      coin: order.coin,
      oid: order.oid,
      cloid: order.cloid,
      side: order.side,
      px,
      sz,
      tid: this.nextTid++,
      time,
    });
    const filled = Math.round((Number(order.filledSz) + Number(sz)) * 1e9) / 1e9;
    order.filledSz = String(filled);
    if (filled >= Number(order.origSz)) order.status = 'filled';
    order.statusTimestamp = time;
  }

  /** The captured orderStatus order with this order's fields */
  private statusRow(order: HlOrder, template: Record<string, unknown>): Record<string, unknown> {
    const inner = record(template['order']);
    return {
      ...template,
      order: {
        ...inner,
        coin: order.coin,
        oid: order.oid,
        cloid: order.cloid,
        side: order.side,
        limitPx: order.limitPx,
        origSz: order.origSz,
        sz: String(Math.round((Number(order.origSz) - Number(order.filledSz)) * 1e9) / 1e9),
        tif: order.tif,
        reduceOnly: order.reduceOnly,
        timestamp: order.timestamp,
      },
      status: order.status,
      statusTimestamp: order.statusTimestamp,
    };
  }

  /** frontendOpenOrders row: the captured openOrders row plus its documented extra fields */
  private openRow(order: HlOrder): Record<string, unknown> {
    const template =
      capturedBody<Record<string, unknown>[]>('hyperliquid', 'fetchOpenOrders', 'open orders')[0] ??
      {};
    return {
      ...template,
      coin: order.coin,
      oid: order.oid,
      side: order.side,
      limitPx: order.limitPx,
      origSz: order.origSz,
      sz: String(Math.round((Number(order.origSz) - Number(order.filledSz)) * 1e9) / 1e9),
      timestamp: order.timestamp,
      cloid: order.cloid,
      orderType: 'Limit',
      tif: order.tif,
      reduceOnly: order.reduceOnly,
      isTrigger: false,
      triggerPx: '0.0',
      triggerCondition: 'N/A',
      isPositionTpsl: false,
      children: [],
    };
  }

  private fillRow(fill: HlFill): Record<string, unknown> {
    const template =
      capturedBody<Record<string, unknown>[]>('hyperliquid', 'fetchMyTrades', 'user trades')[0] ??
      {};
    return {
      ...template,
      coin: fill.coin,
      oid: fill.oid,
      cloid: fill.cloid,
      side: fill.side,
      px: fill.px,
      sz: fill.sz,
      tid: fill.tid,
      time: fill.time,
      fee: (Number(fill.px) * Number(fill.sz) * 0.00035).toFixed(6),
      dir: fill.side === 'B' ? 'Open Long' : 'Open Short',
    };
  }

  /** The captured clearinghouse state with this account's net positions */
  private clearinghouse(): Record<string, unknown> {
    const state = capturedBody<{ assetPositions: Record<string, unknown>[] }>(
      'hyperliquid',
      'fetchPositions',
      'fetch positions',
    );
    const template = record(state.assetPositions[0]);
    const net = new Map<string, { szi: number; notional: number }>();
    for (const f of this.fills) {
      const leg = net.get(f.coin) ?? { szi: 0, notional: 0 };
      const signed = (f.side === 'B' ? 1 : -1) * Number(f.sz);
      if (leg.szi === 0 || Math.sign(signed) === Math.sign(leg.szi))
        leg.notional += Math.abs(signed) * Number(f.px);
      else leg.notional *= 1 - Math.abs(signed) / Math.abs(leg.szi);
      leg.szi = Math.round((leg.szi + signed) * 1e9) / 1e9;
      net.set(f.coin, leg);
    }
    return {
      ...state,
      assetPositions: [...net]
        .filter(([, leg]) => leg.szi !== 0)
        .map(([coin, leg]) => ({
          ...template,
          position: {
            ...record(template['position']),
            coin,
            szi: String(leg.szi),
            entryPx: String(leg.notional / Math.abs(leg.szi)),
          },
        })),
    };
  }
}
