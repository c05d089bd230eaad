import type { IncomingMessage, ServerResponse } from 'node:http';
import { logRequest, readRestRequest, retryAfterHeader, writeJson } from '../http.ts';
import { ACCOUNT_ROUTES } from './account-routes.ts';
import type { BinanceHttpError } from './errors.ts';
import { binanceError, BinanceHttpError as HttpError } from './errors.ts';
import type { Outcome } from './exchange.ts';
import { MARKET_ROUTES } from './market-routes.ts';
import { ORDER_COUNTS, requestWeight } from './request-weight.ts';
import type { RestContext, RouteTable } from './routes.ts';
import { verifyApiKey, verifySignedRequest } from './signature.ts';
import { TRADE_ROUTES } from './trade-routes.ts';

export type { RequestRecord, RestContext } from './routes.ts';

const ROUTES: RouteTable = { ...MARKET_ROUTES, ...TRADE_ROUTES, ...ACCOUNT_ROUTES };

/** The routes the emulator serves, `METHOD /path`, for its README and tests */
export const ROUTE_NAMES: readonly string[] = Object.keys(ROUTES);

function isOutcome(value: unknown): value is Outcome<unknown> {
  return typeof value === 'object' && value !== null && 'pushes' in value && 'body' in value;
}

/**
 * Serves one Binance USDⓈ-M REST request: forced failures and delays from the fault
 * controller, the key/signature/timestamp checks, the route, and the pushes it caused (sent
 * after the answer).
 */
export async function handleRest(
  ctx: RestContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { method, path, rawQuery, body } = await readRestRequest(request);
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQuery)) params[key] = value;
  for (const [key, value] of new URLSearchParams(body)) params[key] = value;
  const { signature: _signature, ...logged } = params;
  const record = (status: number) => {
    logRequest(ctx.requests, { method, path, params: logged, status, time: ctx.clock.now() });
  };

  const delay = ctx.faults.takeDelay(path);
  if (delay?.when === 'before') await ctx.faults.hold(delay.ms);

  const route = ROUTES[`${method} ${path}`];
  if (route === undefined) {
    const error = binanceError('NOT_FOUND', `Path ${path}, Method ${method} is invalid`);
    record(error.status);
    writeJson(response, error.status, error.toBody());
    return;
  }
  const retryInMs = ctx.weights.take(requestWeight(`${method} ${path}`, params), ctx.clock.now());
  if (retryInMs !== undefined) {
    const { weight, intervalMs } = ctx.weights.limit;
    const error = binanceError(
      'TOO_MANY_REQUESTS',
      `Too many requests; current limit of IP(127.0.0.1) is ${weight} requests per ${intervalMs / 1000} seconds. Please use the websocket for live updates to avoid polling the API.`,
    );
    record(error.status);
    writeJson(response, error.status, error.toBody(), {
      'Retry-After': String(Math.ceil(retryInMs / 1000)),
      'X-MBX-USED-WEIGHT-1M': String(ctx.weights.usedWeight),
    });
    return;
  }
  const fault = ctx.faults.takeRequestFault(method, path);
  const faultAnswer = () => {
    const headers = retryAfterHeader(fault?.retryAfterSeconds);
    record(fault?.status ?? 500);
    writeJson(response, fault?.status ?? 500, { code: fault?.code, msg: fault?.msg }, headers);
  };
  if (fault !== undefined && fault.when === 'before') {
    faultAnswer();
    return;
  }

  let status = 200;
  let answer: unknown;
  let pushes: readonly Record<string, unknown>[] = [];
  try {
    const now = ctx.faults.serverTime();
    const apiKey = request.headers['x-mbx-apikey'];
    const key = Array.isArray(apiKey) ? apiKey[0] : apiKey;
    if (route.auth === 'key') verifyApiKey(key, ctx.credentials);
    if (route.auth === 'signed') {
      verifySignedRequest({ payload: rawQuery + body, apiKey: key }, ctx.credentials, now);
    }
    const broken = ctx.orderRate.take(`${method} ${path}`, ctx.clock.now());
    if (broken !== undefined) {
      const per =
        broken.intervalMs % 60_000 === 0
          ? `${broken.intervalMs / 60_000} MINUTE`
          : `${broken.intervalMs / 1000} SECOND`;
      throw binanceError(
        'TOO_MANY_ORDERS',
        `Too many new orders; current limit is ${broken.orders} orders per ${per}.`,
      );
    }
    const result = route.handler(params, ctx, ctx.clock.now());
    if (isOutcome(result)) {
      answer = result.body;
      pushes = result.pushes;
    } else {
      answer = result;
    }
  } catch (error) {
    const failure: BinanceHttpError =
      error instanceof HttpError ? error : binanceError('UNKNOWN', (error as Error).message);
    status = failure.status;
    answer = failure.toBody();
  }
  if (delay?.when === 'after') {
    // The venue acted and pushed; only the answer is late
    ctx.deliver(pushes);
    pushes = [];
    await ctx.faults.hold(delay.ms);
  }
  if (fault !== undefined) faultAnswer();
  else {
    record(status);
    writeJson(response, status, answer, {
      'X-MBX-USED-WEIGHT-1M': String(ctx.weights.usedWeight),
      ...(ORDER_COUNTS[`${method} ${path}`] === undefined ? {} : ctx.orderRate.headers()),
    });
  }
  // Binance mostly pushes after the REST answer: send once the answer is on its way
  if (pushes.length > 0) {
    const later = pushes;
    setImmediate(() => ctx.deliver(later));
  }
}
