import { z } from 'zod';
import type { Reply, RestContext } from './rest-api.ts';
import { ok } from './rest-api.ts';

/**
 * The emulator's control API under `/_kestrel/`, shaped like the Binance emulator's: fault
 * operations as `POST /_kestrel/faults/<operation>` with a JSON body, `GET /_kestrel/faults`,
 * `POST /_kestrel/faults/reset` (or `DELETE /_kestrel/faults`), market driving
 * (`POST /_kestrel/market/quote`, `/_kestrel/market/trade`), the account's API keys
 * (`GET /_kestrel/api-keys`, `POST /_kestrel/api-keys` registers one) and `GET /_kestrel/state`. Faults
 * never apply to these routes. Bodies are validated; a bad one answers HTTP 400.
 */
const count = z.object({ count: z.number().int().positive().optional() });
const schemas = {
  'drop-connections': z.object({}),
  'refuse-connections': z.object({
    count: z.number().int().positive().optional(),
    durationMs: z.number().nonnegative().optional(),
  }),
  'fail-requests': z.object({
    path: z.string().optional(),
    status: z.number().int().min(400).max(599).optional(),
    code: z.number().int().optional(),
    message: z.string().optional(),
    msg: z.string().optional(),
    count: z.number().int().positive().optional(),
    /** `after`: the request is applied and only the reply fails (a lost reply) */
    when: z.enum(['before', 'after']).optional(),
  }),
  'rate-limit': count,
  'delay-responses': z.object({
    ms: z.number().nonnegative(),
    path: z.string().optional(),
    count: z.number().int().positive().optional(),
  }),
  'drop-pushes': count,
  'duplicate-pushes': count,
  'reorder-pushes': count,
  'break-book-continuity': count,
  'nonce-race': z.object({
    steps: z.number().int().positive().optional(),
    apiKeyIndex: z.number().int().min(0).max(254).optional(),
  }),
  'hide-canceled': z.object({ ms: z.number().nonnegative() }),
  'hold-execution': z.object({}),
  'release-execution': z.object({}),
  'expire-auth-tokens': z.object({}),
  reset: z.object({}),
} as const;

type Operation = keyof typeof schemas;

const quoteSchema = z.object({
  symbol: z.string().optional(),
  market: z.union([z.string(), z.number()]).optional(),
  bid: z.number().positive(),
  ask: z.number().positive(),
  bidSize: z.number().positive().optional(),
  askSize: z.number().positive().optional(),
});

const apiKeySchema = z.object({
  apiKeyIndex: z.number().int().min(0).max(254),
  /** 40 bytes, 0x-hex; default the index's well-known local key */
  publicKey: z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{80}$/, 'must be 40 bytes of hex')
    .optional(),
  nonce: z.number().int().nonnegative().optional(),
});

const tradeSchema = z.object({
  symbol: z.string().optional(),
  market: z.union([z.string(), z.number()]).optional(),
  price: z.number().positive(),
  size: z.number().positive(),
  side: z.enum(['BUY', 'SELL']).optional(),
});

function bad(message: string): Reply {
  return { status: 400, body: { code: 400, message } };
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T | string {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  return `${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim();
}

function operate(context: RestContext, operation: Operation, body: unknown): Reply {
  const { faults } = context;
  const done = (extra: Record<string, unknown> = {}) => ok({ faults: faults.snapshot(), ...extra });
  const parsed = parse(schemas[operation] as z.ZodType<Record<string, unknown>>, body);
  if (typeof parsed === 'string') return bad(parsed);
  const n = (name: string, fallback: number): number => {
    const value = parsed[name];
    return typeof value === 'number' ? value : fallback;
  };
  switch (operation) {
    case 'drop-connections':
      return done({ dropped: faults.dropConnections() });
    case 'refuse-connections':
      if (typeof parsed['durationMs'] === 'number')
        faults.refuseConnectionsFor(parsed['durationMs']);
      else faults.refuseConnections(n('count', 1));
      return done();
    case 'fail-requests': {
      const spec = parsed as z.infer<(typeof schemas)['fail-requests']>;
      const message = spec.message ?? spec.msg;
      faults.failRequests({
        ...(spec.path === undefined ? {} : { path: spec.path }),
        status: spec.status ?? 500,
        ...(spec.code === undefined ? {} : { code: spec.code }),
        ...(message === undefined ? {} : { message }),
        count: spec.count ?? 1,
        afterApply: spec.when === 'after',
      });
      return done();
    }
    case 'rate-limit':
      faults.failRequests({
        status: 429,
        code: 23000,
        message: 'Too Many Requests!',
        count: n('count', 1),
      });
      return done();
    case 'delay-responses': {
      const path = parsed['path'];
      faults.delayRequests({
        ...(typeof path === 'string' ? { path } : {}),
        ms: n('ms', 0),
        count: n('count', 1),
      });
      return done();
    }
    case 'drop-pushes':
      faults.dropPushes(n('count', 1));
      return done();
    case 'duplicate-pushes':
      faults.duplicatePushes(n('count', 1));
      return done();
    case 'reorder-pushes':
      faults.reorderPushes(n('count', 1));
      return done();
    case 'break-book-continuity':
      faults.breakBookContinuity(n('count', 1));
      return done();
    case 'nonce-race': {
      const key = parsed['apiKeyIndex'];
      faults.nonceRace(n('steps', 1), typeof key === 'number' ? key : undefined);
      return done();
    }
    case 'hide-canceled':
      faults.hideCanceled(n('ms', 0));
      return done();
    case 'hold-execution':
      faults.holdExecution();
      return done();
    case 'release-execution':
      faults.releaseExecution();
      return done();
    case 'expire-auth-tokens':
      return done({ expired: faults.expireAuthTokens() });
    case 'reset':
      faults.clear();
      return done();
  }
}

/** Routes one control request; `/_kestrel` paths only */
export function controlRoute(
  context: RestContext,
  method: string,
  path: string,
  body: unknown,
): Reply {
  if (method === 'GET' && path === '/_kestrel/faults')
    return ok({ faults: context.faults.snapshot() });
  if (method === 'DELETE' && path === '/_kestrel/faults') return operate(context, 'reset', {});
  if (method === 'GET' && path === '/_kestrel/state') return ok({ state: context.state() });
  if (method === 'POST' && path.startsWith('/_kestrel/faults/')) {
    const operation = path.slice('/_kestrel/faults/'.length);
    if (!(operation in schemas))
      return { status: 404, body: { code: 404, message: `no fault ${operation}` } };
    return operate(context, operation as Operation, body);
  }
  if (method === 'GET' && path === '/_kestrel/api-keys')
    return ok({ apiKeys: context.exchange.apiKeys() });
  if (method === 'POST' && path === '/_kestrel/api-keys') {
    const spec = parse(apiKeySchema, body);
    if (typeof spec === 'string') return bad(spec);
    try {
      const key = context.registerApiKey({
        apiKeyIndex: spec.apiKeyIndex,
        ...(spec.publicKey === undefined ? {} : { publicKey: spec.publicKey }),
        ...(spec.nonce === undefined ? {} : { nonce: spec.nonce }),
      });
      return ok({ apiKey: key });
    } catch (error) {
      return bad((error as Error).message);
    }
  }
  if (method === 'POST' && path === '/_kestrel/market/quote') {
    const quote = parse(quoteSchema, body);
    if (typeof quote === 'string') return bad(quote);
    const market = quote.symbol ?? quote.market;
    if (market === undefined) return bad('symbol (or market) is required');
    context.setQuote(String(market), quote.bid, quote.ask, quote.bidSize, quote.askSize);
    return ok({});
  }
  if (method === 'POST' && path === '/_kestrel/market/trade') {
    const trade = parse(tradeSchema, body);
    if (typeof trade === 'string') return bad(trade);
    const market = trade.symbol ?? trade.market;
    if (market === undefined) return bad('symbol (or market) is required');
    context.printTrade(String(market), trade.price, trade.size, trade.side ?? 'BUY');
    return ok({});
  }
  return { status: 404, body: { code: 404, message: `no route ${method} ${path}` } };
}
