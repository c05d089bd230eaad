import { isClientOrderId } from '../../core/ids.ts';

/**
 * How Kestrel's clientId travels in a venue's client-id field. The clientId never changes; where
 * the venue cannot carry it as it is, the codec gives a deterministic wire id (no salt, no
 * state: the same clientId always gives the same wire id, in every process, after every
 * restart) that the broker registers as the order's correlation key, and that decodes back to
 * the clientId on every answer and push.
 */
export interface WireIdCodec {
  /** What the venue's field accepts, for messages: `1 to 32 letters and digits` */
  readonly format: string;
  /** Whether the venue accepts this wire id */
  accepts(wireId: string): boolean;
  /** The wire id of a clientId; undefined when the field cannot carry it in any encoding */
  encode(clientId: string): string | undefined;
  /** The clientId a wire id stands for; undefined when it is not a clientId nor one of our encodings */
  decode(wireId: string): string | undefined;
}

/** Kestrel's clientIds are 1..36 of these (core/ids.ts) */
const CLIENT_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:/-';
const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A venue whose field takes every clientId as it is (Binance: `[.A-Z:/a-z0-9_-]{1,36}`) */
export function verbatimCodec(format: string, pattern: RegExp): WireIdCodec {
  return {
    format,
    accepts: (wireId) => pattern.test(wireId),
    encode: (clientId) => (pattern.test(clientId) ? clientId : undefined),
    decode: (wireId) => (isClientOrderId(wireId) ? wireId : undefined),
  };
}

export interface AlphabetCodecSpec {
  /** What the field accepts, for messages */
  readonly format: string;
  /** The characters the field takes */
  readonly alphabet: string;
  readonly maxLength: number;
  /** Starts (and escapes within) an escaped wire id; one of the alphabet's characters */
  readonly escape: string;
  /** Starts a packed wire id (base 62 of the whole clientId); one of the alphabet's letters */
  readonly packed?: string;
}

/** What each character outside a venue's alphabet becomes after the escape character */
const ESCAPES: Readonly<Record<string, string>> = {
  '-': 'd',
  _: 'u',
  '.': 'p',
  ':': 'c',
  '/': 's',
};

/** Bijective base-n value of a string (so leading characters are never lost) */
function bijectiveValue(text: string, alphabet: string): bigint {
  const base = BigInt(alphabet.length);
  let value = 0n;
  for (const char of text) value = value * base + BigInt(alphabet.indexOf(char) + 1);
  return value;
}

function fromBijective(value: bigint, alphabet: string): string {
  const base = BigInt(alphabet.length);
  let text = '';
  let rest = value;
  while (rest > 0n) {
    const digit = (rest - 1n) % base;
    text = (alphabet[Number(digit)] ?? '') + text;
    rest = (rest - 1n - digit) / base;
  }
  return text;
}

function toBase(value: bigint, alphabet: string): string {
  const base = BigInt(alphabet.length);
  let text = '';
  let rest = value;
  do {
    text = (alphabet[Number(rest % base)] ?? '') + text;
    rest /= base;
  } while (rest > 0n);
  return text;
}

function fromBase(text: string, alphabet: string): bigint | undefined {
  const base = BigInt(alphabet.length);
  let value = 0n;
  for (const char of text) {
    const digit = alphabet.indexOf(char);
    if (digit < 0) return undefined;
    value = value * base + BigInt(digit);
  }
  return value;
}

/**
 * A venue whose field takes a narrower alphabet or fewer characters (OKX: letters and digits,
 * 32 at most; Bybit: letters, digits, `-` and `_`). A clientId the field takes goes as it is;
 * otherwise it is escaped (the escape character first, then each character the field refuses
 * as escape + a letter: `kab12-7f` → `ZkabZd7f` on OKX), and when that is too long, packed
 * (the packed marker, then the clientId as a base-62 number). Ids that start with either marker
 * are always encoded, so every wire id decodes one way only.
 */
export function alphabetCodec(spec: AlphabetCodecSpec): WireIdCodec {
  const allowed = new Set(spec.alphabet);
  const markers = new Set([spec.escape, ...(spec.packed === undefined ? [] : [spec.packed])]);
  const fits = (text: string) =>
    text.length >= 1 && text.length <= spec.maxLength && [...text].every((c) => allowed.has(c));
  const unescapes = new Map<string, string>();
  for (const [char, code] of Object.entries(ESCAPES)) unescapes.set(code, char);
  const escapeCode = ESCAPES[spec.escape] ?? 'e';
  unescapes.set(escapeCode, spec.escape);

  const escaped = (clientId: string): string => {
    let body = spec.escape;
    for (const char of clientId) {
      if (char === spec.escape) body += spec.escape + escapeCode;
      else if (allowed.has(char)) body += char;
      else body += spec.escape + (ESCAPES[char] ?? '?');
    }
    return body;
  };
  const encode = (clientId: string): string | undefined => {
    if (!isClientOrderId(clientId)) return undefined;
    if (fits(clientId) && !markers.has(clientId[0] ?? '')) return clientId;
    const escapedId = escaped(clientId);
    if (fits(escapedId)) return escapedId;
    if (spec.packed === undefined) return undefined;
    const packed = spec.packed + toBase(bijectiveValue(clientId, CLIENT_ID_ALPHABET), ALPHANUMERIC);
    return fits(packed) ? packed : undefined;
  };
  const decodeRaw = (wireId: string): string | undefined => {
    const first = wireId[0];
    if (first === spec.escape) {
      let text = '';
      for (let i = 1; i < wireId.length; i++) {
        const char = wireId[i] ?? '';
        if (char !== spec.escape) {
          text += char;
          continue;
        }
        const original = unescapes.get(wireId[i + 1] ?? '');
        if (original === undefined) return undefined;
        text += original;
        i += 1;
      }
      return text;
    }
    if (first !== undefined && first === spec.packed) {
      const value = fromBase(wireId.slice(1), ALPHANUMERIC);
      return value === undefined ? undefined : fromBijective(value, CLIENT_ID_ALPHABET);
    }
    return wireId;
  };
  return {
    format: spec.format,
    accepts: fits,
    encode,
    // Only canonical encodings decode: whatever decodes re-encodes to the same wire id
    decode(wireId) {
      const clientId = decodeRaw(wireId);
      return clientId !== undefined && encode(clientId) === wireId ? clientId : undefined;
    },
  };
}

/** The head and counter of a generated clientId (`<prefix><tag>-<counter in base 36>`) */
const GENERATED = /^([A-Za-z0-9_]{1,10})-(0|[1-9a-z][0-9a-z]*)$/;
const HEAD_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_';
const GENERATED_FORM = 0x4b;
const LITERAL_FORM = 0x4c;
const MAX_COUNTER = (1n << 56n) - 1n;
const MAX_HEAD = (1n << 64n) - 1n;

function parseBase36(text: string): bigint {
  let value = 0n;
  for (const char of text) value = value * 36n + BigInt(Number.parseInt(char, 36));
  return value;
}

function hex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

/**
 * Hyperliquid's `cloid`: `0x` and 32 hex digits, 16 bytes. A generated clientId whose head
 * (prefix and instance tag) is at most 10 characters is packed as byte 0x4b, the counter in 7
 * bytes and the head in 8 (`k7f3q-lz8x2k1a` → `0x4b000...`); any other clientId of at most 15
 * characters is carried literally after byte 0x4c. Longer ones cannot be carried.
 */
export function hyperliquidCloidCodec(): WireIdCodec {
  const accepts = (wireId: string) => /^0x[0-9a-f]{32}$/.test(wireId);
  const encode = (clientId: string): string | undefined => {
    if (!isClientOrderId(clientId)) return undefined;
    const bytes = new Uint8Array(16);
    const generated = GENERATED.exec(clientId);
    if (generated !== null) {
      const [, head = '', counterText = ''] = generated;
      const counter = parseBase36(counterText);
      const headValue = bijectiveValue(head, HEAD_ALPHABET);
      if (counter <= MAX_COUNTER && headValue <= MAX_HEAD) {
        const view = new DataView(bytes.buffer);
        bytes[0] = GENERATED_FORM;
        for (let i = 0; i < 7; i++) bytes[7 - i] = Number((counter >> BigInt(8 * i)) & 0xffn);
        view.setBigUint64(8, headValue);
        return hex(bytes);
      }
    }
    if (clientId.length > 15) return undefined;
    bytes[0] = LITERAL_FORM;
    for (let i = 0; i < clientId.length; i++) bytes[i + 1] = clientId.charCodeAt(i);
    return hex(bytes);
  };
  const decodeRaw = (wireId: string): string | undefined => {
    const bytes = Buffer.from(wireId.slice(2), 'hex');
    if (bytes[0] === GENERATED_FORM) {
      let counter = 0n;
      for (let i = 1; i < 8; i++) counter = (counter << 8n) | BigInt(bytes[i] ?? 0);
      const head = fromBijective(bytes.readBigUInt64BE(8), HEAD_ALPHABET);
      return `${head}-${counter.toString(36)}`;
    }
    if (bytes[0] === LITERAL_FORM) {
      const end = bytes.indexOf(0, 1);
      return bytes.subarray(1, end < 0 ? 16 : end).toString('latin1');
    }
    return undefined;
  };
  return {
    format: '0x and 32 hex digits (a 128-bit cloid)',
    accepts,
    encode,
    decode(wireId) {
      const lower = wireId.toLowerCase();
      if (!accepts(lower)) return undefined;
      const clientId = decodeRaw(lower);
      return clientId !== undefined && encode(clientId) === lower ? clientId : undefined;
    },
  };
}
