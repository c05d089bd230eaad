import { invalidField } from './errors.ts';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Our id for an order: chosen once, never changed, the primary key everywhere */
export type ClientOrderId = Brand<string, 'ClientOrderId'>;
/** The venue's id for an order; a secondary index that may change on cancel-replace */
export type VenueOrderId = Brand<string, 'VenueOrderId'>;
/** The venue's id for one execution; fills are deduplicated on it */
export type TradeId = Brand<string, 'TradeId'>;

// The common denominator of venues' client order id rules (Binance: [.A-Z:/a-z0-9_-]{1,36})
const CLIENT_ID_PATTERN = /^[A-Za-z0-9._:/-]{1,36}$/;

/**
 * Brands a client order id after checking it is 1..36 characters of `[A-Za-z0-9._:/-]`.
 * @throws KestrelError INVALID_CLIENT_ID naming the value
 */
export function clientOrderId(raw: string): ClientOrderId {
  if (typeof raw !== 'string' || !CLIENT_ID_PATTERN.test(raw)) {
    throw invalidField(
      'INVALID_CLIENT_ID',
      'clientId',
      raw,
      'must be 1 to 36 characters of letters, digits and . _ : / -',
    );
  }
  return raw as ClientOrderId;
}

/** Whether a string is a valid client order id */
export function isClientOrderId(raw: unknown): raw is ClientOrderId {
  return typeof raw === 'string' && CLIENT_ID_PATTERN.test(raw);
}

/**
 * Brands a venue order id: any non-empty string (numbers are converted by the caller).
 * @throws KestrelError INVALID_ARGUMENT for an empty id
 */
export function venueOrderId(raw: string): VenueOrderId {
  if (typeof raw !== 'string' || raw.length === 0) {
    throw invalidField('INVALID_ARGUMENT', 'venueOrderId', raw, 'must be a non-empty string');
  }
  return raw as VenueOrderId;
}

/**
 * Brands a venue trade id: any non-empty string.
 * @throws KestrelError INVALID_ARGUMENT for an empty id
 */
export function tradeId(raw: string): TradeId {
  if (typeof raw !== 'string' || raw.length === 0) {
    throw invalidField('INVALID_ARGUMENT', 'tradeId', raw, 'must be a non-empty string');
  }
  return raw as TradeId;
}

/** The namespace of orders adopted from the venue; reserved, no caller may use it */
export const EXTERNAL_PREFIX = 'ext:';

/** The clientId given to an order the venue has that we never asked for */
export function externalClientId(venueId: VenueOrderId): ClientOrderId {
  return `${EXTERNAL_PREFIX}${venueId}` as ClientOrderId;
}

export interface ClientIdGenerator {
  /** Returns a new id, unique for this generator's prefix and instance tag */
  next(): ClientOrderId;
  /** The last counter value handed out, for persisting and restoring */
  readonly counter: number;
  readonly prefix: string;
  /**
   * Whether `next` may still return this id. Optional: without it, a user of the generator
   * cannot rule out that an id someone else chose is one it will hand out later
   */
  wouldIssue?(clientId: string): boolean;
}

export interface ClientIdGeneratorOptions {
  /** Marks the owner; default `k` */
  readonly prefix?: string;
  /** Distinguishes processes sharing an account: 1..8 characters of [a-z0-9] */
  readonly instanceTag: string;
  /** The counter value before the first id; pass a restored or time-derived value to survive restarts */
  readonly counterStart: number;
}

/**
 * Creates the generator of framework client ids: `<prefix><instanceTag>-<counter in base 36>`,
 * for example `k7f3q-lz8x2k1a`. Unique across processes by the instance tag and across restarts
 * by a counter that starts past any value used before (restored, or derived from the clock).
 * @throws KestrelError INVALID_ARGUMENT for a bad prefix, tag or start
 */
export function createClientIdGenerator(options: ClientIdGeneratorOptions): ClientIdGenerator {
  const prefix = options.prefix ?? 'k';
  if (!/^[A-Za-z][A-Za-z0-9_]{0,7}$/.test(prefix)) {
    throw invalidField('INVALID_ARGUMENT', 'prefix', prefix, 'must be 1 to 8 letters, digits or _');
  }
  if (!/^[a-z0-9]{1,8}$/.test(options.instanceTag)) {
    throw invalidField(
      'INVALID_ARGUMENT',
      'instanceTag',
      options.instanceTag,
      'must be 1 to 8 of [a-z0-9]',
    );
  }
  if (!Number.isSafeInteger(options.counterStart) || options.counterStart < 0) {
    throw invalidField(
      'INVALID_ARGUMENT',
      'counterStart',
      options.counterStart,
      'must be a non-negative safe integer',
    );
  }
  return new FrameworkClientIds(prefix, `${prefix}${options.instanceTag}-`, options.counterStart);
}

/**
 * The framework's generator, a class: one made per run whose methods were closures would be new
 * functions to V8 in every run, and code optimized to call the first run's thrown away at the next
 */
class FrameworkClientIds implements ClientIdGenerator {
  readonly prefix: string;
  private readonly head: string;
  private current: number;
  /** The current counter in base 36, the suffix of the id last handed out */
  private text: string;

  constructor(prefix: string, head: string, counterStart: number) {
    this.prefix = prefix;
    this.head = head;
    this.current = counterStart;
    this.text = counterStart.toString(36);
  }

  get counter(): number {
    return this.current;
  }

  next(): ClientOrderId {
    this.current += 1;
    this.text = this.current.toString(36);
    return `${this.head}${this.text}` as ClientOrderId;
  }

  // This shape with a counter past the current one: more base-36 digits (no leading zero), or
  // as many and later in their order
  wouldIssue(clientId: string): boolean {
    const head = this.head;
    const text = this.text;
    const start = head.length;
    const width = clientId.length - start;
    if (width < text.length || !clientId.startsWith(head)) return false;
    for (let i = start; i < clientId.length; i++) {
      const c = clientId.charCodeAt(i);
      if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 122))) return false;
    }
    if (width > text.length) return clientId.charCodeAt(start) !== 48;
    for (let i = 0; i < width; i++) {
      const difference = clientId.charCodeAt(start + i) - text.charCodeAt(i);
      if (difference !== 0) return difference > 0;
    }
    return false;
  }
}

/**
 * Recognizes the ids a generator with this prefix makes: with an instance tag, exactly that
 * instance's (`<prefix><tag>-<counter>`); without, any instance's with the prefix
 */
export function clientIdsOf(prefix: string, instanceTag?: string): (clientId: string) => boolean {
  const shape = new RegExp(`^${prefix}${instanceTag ?? '[a-z0-9]{1,8}'}-[0-9a-z]+$`);
  return (clientId) => shape.test(clientId);
}
