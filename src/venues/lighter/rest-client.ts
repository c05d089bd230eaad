import type { z } from 'zod';
import { KestrelError } from '../../core/errors.ts';
import type { Clock } from '../../engine/clock.ts';
import type { Logger } from '../../engine/logger.ts';
import { ALL_MARKETS, LIGHTER_ERROR } from './constants.ts';
import { parseWith } from './parsers.ts';
import type { LighterMarketDetail, LighterOrder, LighterTrade } from './schemas.ts';
import {
  accountResponseSchema,
  apiKeysResponseSchema,
  nextNonceSchema,
  orderBookDetailsResponseSchema,
  ordersResponseSchema,
  resultCodeSchema,
  sendTxBatchResponseSchema,
  sendTxResponseSchema,
  tradesResponseSchema,
} from './schemas.ts';

export interface LighterRestOptions {
  readonly baseUrl: string;
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly logger?: Logger;
}

type Query = Readonly<Record<string, string | number | undefined>>;

/**
 * Maps a venue error reply to the rejection boundary. An HTTP 400 with a `{code, message}` body
 * is the venue's verdict (nothing was done); so is a rate-limit refusal, HTTP 429 or 23000 "Too
 * Many Requests!", which the venue answers before queuing anything (RATE_LIMITED). A 5xx, a
 * timeout or a reset says nothing about whether the venue acted, so it is ambiguous.
 */
function lighterError(status: number, body: unknown, what: string): KestrelError {
  const parsed = resultCodeSchema.safeParse(body);
  const code = parsed.success ? parsed.data.code : undefined;
  const message = parsed.success ? (parsed.data.message ?? '') : '';
  const text = `lighter ${what}: HTTP ${status}${code === undefined ? '' : ` code ${code}`}${message === '' ? '' : ` ${message}`}`;
  const venueCode = code === undefined ? undefined : String(code);
  const details = venueCode === undefined ? {} : { venueCode };
  if (status === 429 || code === LIGHTER_ERROR.TOO_MANY_REQUESTS)
    return new KestrelError('RATE_LIMITED', text, { ...details, retryAfterMs: 1_000 });
  if (status >= 500) return new KestrelError('VENUE_UNAVAILABLE', text, details);
  if (status >= 400 && code !== undefined) return new KestrelError('VENUE_REJECTED', text, details);
  return new KestrelError('UNKNOWN', text, details);
}

/** The `auth=` query value hidden, for logs */
function redact(url: string): string {
  return url.replace(/(auth(?:orization)?=)[^&]+/g, '$1[redacted]');
}

/**
 * Lighter's REST API: every reply validated by its schema, every failure a KestrelError of the
 * right kind. Amounts stay as the venue printed them; callers parse at their boundary.
 */
export class LighterRestClient {
  private readonly baseUrl: string;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly logger: Logger | undefined;

  constructor(options: LighterRestOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.clock = options.clock;
    this.timeoutMs = options.timeoutMs;
    this.logger = options.logger;
  }

  private async request(
    method: 'GET' | 'POST',
    path: string,
    query: Query,
    body: URLSearchParams | undefined,
    what: string,
  ): Promise<{ readonly status: number; readonly json: unknown }> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) params.set(key, String(value));
    }
    const search = params.toString();
    const url = `${this.baseUrl}${path}${search === '' ? '' : `?${search}`}`;
    const controller = new AbortController();
    const timer = this.clock.setTimer(this.timeoutMs, () => controller.abort());
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        signal: controller.signal,
        ...(body === undefined
          ? {}
          : { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      });
    } catch (error) {
      timer.cancel();
      const timedOut = controller.signal.aborted;
      this.logger?.debug('lighter request failed', { url: redact(url), error });
      throw new KestrelError(
        timedOut ? 'TIMEOUT' : 'NETWORK',
        `lighter ${what}: ${timedOut ? `no reply within ${this.timeoutMs} ms` : (error as Error).message}`,
        { cause: error },
      );
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new KestrelError(
        'NETWORK',
        `lighter ${what}: reply cut off: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    } finally {
      timer.cancel();
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.status < 200 || response.status >= 300) {
      throw lighterError(response.status, json, what);
    }
    return { status: response.status, json };
  }

  private async get<T>(path: string, query: Query, schema: z.ZodType<T>, what: string): Promise<T> {
    const { json } = await this.request('GET', path, query, undefined, what);
    const code = resultCodeSchema.safeParse(json);
    if (code.success && code.data.code !== 200) throw lighterError(400, json, what);
    return parseWith(schema, json, what);
  }

  /** Active perpetual markets with their decimals, minimums and fees */
  async orderBookDetails(): Promise<LighterMarketDetail[]> {
    const body = await this.get(
      '/api/v1/orderBookDetails',
      { market_id: ALL_MARKETS },
      orderBookDetailsResponseSchema,
      'orderBookDetails',
    );
    return body.order_book_details ?? [];
  }

  /** The next nonce the venue expects from an (account, API key) */
  async nextNonce(accountIndex: number, apiKeyIndex: number): Promise<number> {
    const body = await this.get(
      '/api/v1/nextNonce',
      { account_index: accountIndex, api_key_index: apiKeyIndex },
      nextNonceSchema,
      'nextNonce',
    );
    return body.nonce;
  }

  /** The account's API keys (index and registered public key, 0x-hex as the venue writes it) */
  async apiKeys(
    accountIndex: number,
  ): Promise<Array<{ readonly apiKeyIndex: number; readonly publicKey: string }>> {
    const body = await this.get(
      '/api/v1/apikeys',
      { account_index: accountIndex, api_key_index: 255 },
      apiKeysResponseSchema,
      'apikeys',
    );
    return (body.api_keys ?? [])
      .filter((key) => key.account_index === accountIndex)
      .map((key) => ({ apiKeyIndex: key.api_key_index, publicKey: key.public_key }));
  }

  async account(accountIndex: number) {
    const body = await this.get(
      '/api/v1/account',
      { by: 'index', value: accountIndex },
      accountResponseSchema,
      'account',
    );
    const account = body.accounts.find((a) => a.index === accountIndex);
    if (account === undefined) {
      throw new KestrelError('INVALID_DATA', `lighter account: ${accountIndex} not in the reply`);
    }
    return account;
  }

  async activeOrders(accountIndex: number, auth: string): Promise<LighterOrder[]> {
    const body = await this.get(
      '/api/v1/accountActiveOrders',
      { account_index: accountIndex, market_id: ALL_MARKETS, auth },
      ordersResponseSchema,
      'accountActiveOrders',
    );
    return body.orders ?? [];
  }

  /** Terminal orders, newest first, one page */
  async inactiveOrders(
    accountIndex: number,
    auth: string,
    limit: number,
    cursor?: string,
  ): Promise<{ readonly orders: LighterOrder[]; readonly nextCursor: string | undefined }> {
    const body = await this.get(
      '/api/v1/accountInactiveOrders',
      { account_index: accountIndex, market_id: ALL_MARKETS, limit, cursor, auth },
      ordersResponseSchema,
      'accountInactiveOrders',
    );
    return { orders: body.orders ?? [], nextCursor: body.next_cursor || undefined };
  }

  /** Orders (live or done) by client order index */
  async ordersByClientIndex(
    accountIndex: number,
    indexes: readonly number[],
    auth: string,
  ): Promise<LighterOrder[]> {
    const body = await this.get(
      '/api/v1/accountOrders',
      { account_index: accountIndex, client_order_indexes: indexes.join(','), auth },
      ordersResponseSchema,
      'accountOrders',
    );
    return body.orders ?? [];
  }

  /** The account's trades, newest first, one page */
  async trades(
    accountIndex: number,
    auth: string,
    limit: number,
    cursor?: string,
  ): Promise<{ readonly trades: LighterTrade[]; readonly nextCursor: string | undefined }> {
    const body = await this.get(
      '/api/v1/trades',
      { account_index: accountIndex, sort_by: 'timestamp', sort_dir: 'desc', limit, cursor, auth },
      tradesResponseSchema,
      'trades',
    );
    return { trades: body.trades ?? [], nextCursor: body.next_cursor || undefined };
  }

  /**
   * Sends one signed transaction. HTTP 200 means the venue queued it (whatever the body says;
   * a body that fails its schema only loses the hash).
   * @throws KestrelError VENUE_REJECTED with the venue code, or an ambiguous failure
   */
  async sendTx(txType: number, txInfo: string): Promise<{ readonly txHash: string | undefined }> {
    const { json } = await this.request(
      'POST',
      '/api/v1/sendTx',
      {},
      new URLSearchParams({ tx_type: String(txType), tx_info: txInfo, price_protection: 'true' }),
      'sendTx',
    );
    const code = resultCodeSchema.safeParse(json);
    if (code.success && code.data.code !== 200) throw lighterError(400, json, 'sendTx');
    const parsed = sendTxResponseSchema.safeParse(json);
    if (!parsed.success)
      this.logger?.warn('lighter sendTx: accepted with an unexpected reply body');
    return { txHash: parsed.success ? parsed.data.tx_hash : undefined };
  }

  /**
   * Sends signed transactions in one call (`tx_types`, `tx_infos` as JSON strings). HTTP 200
   * means all were queued; the venue gives no per-transaction verdict.
   * @throws KestrelError VENUE_REJECTED with the venue code, or an ambiguous failure
   */
  async sendTxBatch(
    txTypes: readonly number[],
    txInfos: readonly string[],
  ): Promise<{ readonly txHashes: readonly string[] }> {
    const { json } = await this.request(
      'POST',
      '/api/v1/sendTxBatch',
      {},
      new URLSearchParams({ tx_types: JSON.stringify(txTypes), tx_infos: JSON.stringify(txInfos) }),
      'sendTxBatch',
    );
    const code = resultCodeSchema.safeParse(json);
    if (code.success && code.data.code !== 200) throw lighterError(400, json, 'sendTxBatch');
    const parsed = sendTxBatchResponseSchema.safeParse(json);
    if (!parsed.success)
      this.logger?.warn('lighter sendTxBatch: accepted with an unexpected reply body');
    return { txHashes: parsed.success ? parsed.data.tx_hash : [] };
  }
}
