import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { EmulatorFaults } from './faults.ts';

/** The prefix of the control API: fault injection and market driving for other processes */
export const CONTROL_PREFIX = '/_kestrel';

/** What the control API drives besides the faults */
export interface ControlTarget {
  readonly faults: EmulatorFaults;
  setQuote(symbol: string, bid: number, ask: number, bidSize?: number, askSize?: number): void;
  printTrade(symbol: string, price: number, size: number, side: 'BUY' | 'SELL'): void;
  /** A liquidation of the market, printed and published (absent on venues that do not model it) */
  liquidate?(symbol: string, side: 'BUY' | 'SELL', price: number, size: number): void;
  state(): unknown;
  /** Every order the venue accepted, as JSON records */
  orders(): unknown;
  /** Every execution the venue made, as JSON records */
  executions(): unknown;
}

const count = z.object({ count: z.number().int().positive() });
const schemas = {
  'drop-connections': z.object({
    stream: z.enum(['user', 'market', 'all']).optional(),
    code: z.number().int().min(1000).max(4999).optional(),
  }),
  'refuse-connections': z.object({
    durationMs: z.number().nonnegative(),
    scope: z.enum(['ws', 'rest', 'all']).optional(),
  }),
  'delay-responses': z.object({
    ms: z.number().nonnegative(),
    count: z.number().int().positive().optional(),
    path: z.string().optional(),
    when: z.enum(['before', 'after']).optional(),
  }),
  'release-responses': z.object({}),
  'fail-requests': z.object({
    status: z.number().int().min(400).max(599),
    code: z.number().int().optional(),
    msg: z.string().optional(),
    count: z.number().int().positive().optional(),
    method: z.string().optional(),
    path: z.string().optional(),
    when: z.enum(['before', 'after']).optional(),
    retryAfterSeconds: z.number().nonnegative().optional(),
  }),
  'fail-batch-entries': z.object({
    entries: z.array(z.number().int().nonnegative()).optional(),
    status: z.number().int().min(400).max(599).optional(),
    code: z.number().int().optional(),
    msg: z.string().optional(),
    when: z.enum(['before', 'after']).optional(),
  }),
  'rate-limit': z.object({
    count: z.number().int().positive().optional(),
    retryAfterSeconds: z.number().nonnegative().optional(),
    status: z.union([z.literal(429), z.literal(418)]).optional(),
  }),
  'drop-pushes': count,
  'duplicate-pushes': count,
  'reorder-pushes': count,
  'delay-pushes': z.object({ ms: z.number().nonnegative() }),
  'expire-listen-keys': z.object({}),
  'clock-offset': z.object({ ms: z.number() }),
  reset: z.object({}),
} as const;

const quoteSchema = z.object({
  symbol: z.string().min(1),
  bid: z.number().positive(),
  ask: z.number().positive(),
  bidSize: z.number().positive().optional(),
  askSize: z.number().positive().optional(),
});
const tradeSchema = z.object({
  symbol: z.string().min(1),
  price: z.number().positive(),
  size: z.number().positive(),
  side: z.enum(['BUY', 'SELL']),
});

type FaultRoute = keyof typeof schemas;

type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** Drops absent fields, so parsed JSON fits exact optional properties */
function defined<T extends object>(value: T): Defined<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Defined<T>;
}

function apply(faults: EmulatorFaults, route: FaultRoute, body: unknown): unknown {
  switch (route) {
    case 'drop-connections': {
      const p = schemas[route].parse(body);
      return {
        dropped: faults.dropConnections({
          ...(p.stream === undefined ? {} : { stream: p.stream }),
          ...(p.code === undefined ? {} : { code: p.code }),
        }),
      };
    }
    case 'refuse-connections': {
      const p = schemas[route].parse(body);
      faults.refuseConnections(p.durationMs, p.scope === undefined ? {} : { scope: p.scope });
      return {};
    }
    case 'delay-responses': {
      const p = schemas[route].parse(body);
      const { ms, ...rest } = p;
      faults.delayResponses(ms, defined(rest));
      return {};
    }
    case 'release-responses':
      return { released: faults.releaseResponses() };
    case 'fail-requests': {
      const p = schemas[route].parse(body);
      faults.failRequests(defined(p));
      return {};
    }
    case 'fail-batch-entries': {
      const p = schemas[route].parse(body);
      faults.failBatchEntries(defined(p));
      return {};
    }
    case 'rate-limit': {
      const p = schemas[route].parse(body);
      faults.rateLimit(defined(p));
      return {};
    }
    case 'drop-pushes':
      faults.dropPushes(schemas[route].parse(body).count);
      return {};
    case 'duplicate-pushes':
      faults.duplicatePushes(schemas[route].parse(body).count);
      return {};
    case 'reorder-pushes':
      faults.reorderPushes(schemas[route].parse(body).count);
      return {};
    case 'delay-pushes':
      faults.delayPushes(schemas[route].parse(body).ms);
      return {};
    case 'expire-listen-keys':
      return { expired: faults.expireListenKeys() };
    case 'clock-offset':
      faults.setClockOffset(schemas[route].parse(body).ms);
      return {};
    case 'reset':
      faults.reset();
      return {};
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(text);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text.length === 0 ? {} : JSON.parse(text);
}

/**
 * Serves the control API under `/_kestrel/`: the fault controller's operations
 * (`POST /_kestrel/faults/<operation>` with a JSON body), market driving
 * (`POST /_kestrel/market/quote`, `/_kestrel/market/trade`, `/_kestrel/market/liquidation`)
 * and the venue's state
 * (`GET /_kestrel/state`, `/_kestrel/orders`, `/_kestrel/executions`, `/_kestrel/faults`).
 * Faults never apply to these routes.
 */
export async function handleControl(
  target: ControlTarget,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname.slice(
    CONTROL_PREFIX.length,
  );
  const method = (request.method ?? 'GET').toUpperCase();
  try {
    if (method === 'GET' && path === '/faults') return send(response, 200, target.faults.state());
    if (method === 'GET' && path === '/state') return send(response, 200, target.state());
    if (method === 'GET' && path === '/orders') return send(response, 200, target.orders());
    if (method === 'GET' && path === '/executions') return send(response, 200, target.executions());
    if (method !== 'POST') return send(response, 405, { error: `${method} not allowed` });
    const body = await readJson(request);
    if (path === '/market/quote') {
      const q = quoteSchema.parse(body);
      target.setQuote(q.symbol, q.bid, q.ask, q.bidSize, q.askSize);
      return send(response, 200, {});
    }
    if (path === '/market/trade') {
      const t = tradeSchema.parse(body);
      target.printTrade(t.symbol, t.price, t.size, t.side);
      return send(response, 200, {});
    }
    if (path === '/market/liquidation' && target.liquidate !== undefined) {
      const t = tradeSchema.parse(body);
      target.liquidate(t.symbol, t.side, t.price, t.size);
      return send(response, 200, {});
    }
    const operation = path.startsWith('/faults/') ? path.slice('/faults/'.length) : '';
    if (!(operation in schemas))
      return send(response, 404, { error: `unknown control route ${path}` });
    return send(response, 200, apply(target.faults, operation as FaultRoute, body));
  } catch (error) {
    const message = error instanceof z.ZodError ? z.prettifyError(error) : (error as Error).message;
    return send(response, 400, { error: message });
  }
}
