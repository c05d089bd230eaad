import { basename } from 'node:path';
import { KestrelError } from '../core/errors.ts';
import type { Instrument } from '../core/instrument.ts';
import type { MarketDataSource, MarketEvent, Quote, Trade } from '../core/market-data.ts';
import type { Side } from '../core/order.ts';
import { dataError, quoteText } from './line-reader.ts';

/** What a data file holds, decided from its first line */
export type DataKind = 'trades' | 'quotes' | 'depth' | 'books';

/** A source that can say how far through it is */
export interface ProgressSource extends MarketDataSource {
  /** Fraction read so far, 0..1 */
  progress(): number;
}

/** Maps a symbol (a `symbol` column or field, else the file name before the first dot) to an instrument */
export type ResolveInstrument = (symbol: string, file: string) => Instrument;

/**
 * How the lines of one file become market events, chosen from its first line. Each format
 * checks that time never goes backwards and names file, line and column for anything malformed.
 */
export interface DataFormat {
  readonly kind: DataKind;
  /** Parses one line into events (a format may hold rows back until a message is complete) */
  parse(text: string, line: number, out: MarketEvent[]): void;
  /** Hands over what it held back, at the end of the file */
  finish(out: MarketEvent[]): void;
  /** The time of one line, ms, reading nothing else; undefined for a line without an event */
  time(text: string, line: number): number | undefined;
}

/** Receive times first: one clock across the files of a recording (the exchange's may differ per stream) */
const TIME = [
  'local_timestamp_ns',
  'local_timestamp_us',
  'local_timestamp_ms',
  'time',
  'timestamp',
  'ts',
  'datetime',
  'date',
  'transact_time',
  'event_time',
];
const PRICE = ['price', 'p', 'last_price'];
const SIZE = ['size', 'qty', 'quantity', 'amount', 'volume', 'base_qty'];
const SIDE = ['side', 'taker_side', 'aggressor', 'aggressor_side'];
const BUYER_MAKER = ['is_buyer_maker', 'buyer_maker', 'isbuyermaker'];
const TRADE_ID = ['id', 'trade_id', 'tradeid', 'agg_trade_id'];
const BID = ['bid_price', 'bid', 'best_bid', 'bidprice', 'bid_px'];
const ASK = ['ask_price', 'ask', 'best_ask', 'askprice', 'ask_px'];
const BID_SIZE = ['bid_amount', 'bid_size', 'bid_qty', 'bid_volume', 'bidsize', 'bid_sz'];
const ASK_SIZE = ['ask_amount', 'ask_size', 'ask_qty', 'ask_volume', 'asksize', 'ask_sz'];
const SYMBOL = ['symbol', 'instrument', 'market'];

/**
 * Parses a timestamp to epoch milliseconds: integers by magnitude (seconds, milliseconds,
 * microseconds or nanoseconds), anything else as ISO 8601 (UTC when no zone is given).
 */
export function parseTimestamp(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const value = Number(trimmed);
    if (value >= 1e17) return value / 1e6;
    if (value >= 1e14) return value / 1e3;
    if (value >= 1e11) return value;
    return value * 1000;
  }
  let iso = trimmed.includes('T') ? trimmed : trimmed.replace(' ', 'T');
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(iso)) iso += 'Z';
  return Date.parse(iso);
}

const DIGIT_0 = 48;

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - DIGIT_0;
    if (d < 0 || d > 9) return Number.NaN;
    value = value * 10 + d;
  }
  return value;
}

/**
 * Reads `YYYY-MM-DD[ T]HH:MM:SS[.fff…][Z]` (UTC) without the general parser, caching the day:
 * a quotes file repeats the same date on every row. Anything else falls back to parseTimestamp.
 */
function createIsoReader(): (text: string) => number {
  let dayText = '';
  let dayStart = Number.NaN;
  return (text) => {
    if (text.length < 19 || (text.charCodeAt(10) !== 32 && text.charCodeAt(10) !== 84))
      return parseTimestamp(text);
    const tail = text.length > 19 ? text.slice(19) : '';
    if (tail !== '' && !/^(\.\d+)?Z?$/.test(tail)) return parseTimestamp(text);
    if (text.slice(0, 10) !== dayText) {
      dayText = text.slice(0, 10);
      dayStart = Date.UTC(digits(text, 0, 4), digits(text, 5, 2) - 1, digits(text, 8, 2));
    }
    const seconds = digits(text, 11, 2) * 3600 + digits(text, 14, 2) * 60 + digits(text, 17, 2);
    let fraction = 0;
    if (tail.length > 1 && tail.charCodeAt(0) === 46) {
      const end = tail.endsWith('Z') ? tail.length - 1 : tail.length;
      fraction = Number(`0${tail.slice(0, end)}`) * 1000;
    }
    return dayStart + seconds * 1000 + fraction;
  };
}

function parseSide(text: string): Side | undefined {
  const value = text.trim().toLowerCase();
  if (value === 'buy' || value === 'b' || value === '1' || value === 'bid') return 'BUY';
  if (value === 'sell' || value === 's' || value === '-1' || value === 'ask') return 'SELL';
  return undefined;
}

interface Layout {
  readonly kind: 'trades' | 'quotes';
  readonly time: number;
  readonly symbol: number;
  readonly price: number;
  readonly size: number;
  readonly side: number;
  readonly buyerMaker: number;
  readonly id: number;
  readonly bid: number;
  readonly ask: number;
  readonly bidSize: number;
  readonly askSize: number;
  readonly names: readonly string[];
}

/** The column names of a CSV header, lower case, unquoted */
export function headerNames(header: string): string[] {
  return header.split(',').map((n) => n.trim().toLowerCase().replace(/^"|"$/g, ''));
}

/** The first column named by any of the candidates, in the candidates' order of preference */
export function findColumn(names: readonly string[], candidates: readonly string[]): number {
  for (const candidate of candidates) {
    const index = names.indexOf(candidate);
    if (index >= 0) return index;
  }
  return -1;
}

/** The time column of a header, or -1 */
export function timeColumn(names: readonly string[]): number {
  return findColumn(names, TIME);
}

function layoutOf(header: string, file: string): Layout {
  const names = headerNames(header);
  const find = (candidates: readonly string[]) => names.findIndex((n) => candidates.includes(n));
  const time = timeColumn(names);
  const bid = find(BID);
  const ask = find(ASK);
  const price = find(PRICE);
  const kind: DataKind | undefined =
    bid >= 0 && ask >= 0 ? 'quotes' : price >= 0 ? 'trades' : undefined;
  if (time < 0 || kind === undefined) {
    throw new KestrelError(
      'INVALID_DATA',
      `${file}: line 1: header ${quoteText(header)} names neither trades (time, price, size, side), quotes (time, bid_price, bid_amount, ask_price, ask_amount), depth (time, is_snapshot, side, price, qty) nor order books (ccxt JSON lines)`,
      { field: 'header', value: header },
    );
  }
  const layout: Layout = {
    kind,
    time,
    symbol: find(SYMBOL),
    price,
    size: find(SIZE),
    side: find(SIDE),
    buyerMaker: find(BUYER_MAKER),
    id: find(TRADE_ID),
    bid,
    ask,
    bidSize: find(BID_SIZE),
    askSize: find(ASK_SIZE),
    names,
  };
  if (kind === 'trades' && layout.size < 0) {
    throw new KestrelError(
      'INVALID_DATA',
      `${file}: line 1: trades need a size column (${SIZE.join(', ')})`,
      {
        field: 'header',
        value: header,
      },
    );
  }
  if (kind === 'trades' && layout.side < 0 && layout.buyerMaker < 0) {
    throw new KestrelError(
      'INVALID_DATA',
      `${file}: line 1: trades need an aggressor side column (side, or is_buyer_maker)`,
      { field: 'header', value: header },
    );
  }
  return layout;
}

/** The symbol a file names by its name: `BTCUSDT.trades.csv.gz` → `BTCUSDT` */
export function symbolFromFileName(path: string): string {
  return basename(path).split('.')[0] ?? basename(path);
}

/** The text of field `index` of a CSV row, without splitting the rest */
export function fieldAt(text: string, index: number): string | undefined {
  let start = 0;
  for (let i = 0; i < index; i++) {
    const comma = text.indexOf(',', start);
    if (comma < 0) return undefined;
    start = comma + 1;
  }
  const end = text.indexOf(',', start);
  return end < 0 ? text.slice(start) : text.slice(start, end);
}

/**
 * Per-row timestamp parsing, decided from the first row: a numeric unit (by magnitude), or ISO.
 * Returns NaN for text that is no time.
 */
export function createTimeReader(): (text: string) => number {
  const readIso = createIsoReader();
  let timeOf: ((text: string) => number) | undefined;
  const choose = (sample: string): ((text: string) => number) => {
    const trimmed = sample.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) {
      const first = Number(trimmed);
      const divisor = first >= 1e17 ? 1e6 : first >= 1e14 ? 1e3 : 1;
      const multiplier = first >= 1e11 ? 1 : 1000;
      return (text) => {
        const value = (Number(text) / divisor) * multiplier;
        return Number.isFinite(value) && text.length > 0 ? value : parseTimestamp(text);
      };
    }
    return readIso;
  };
  return (text) => {
    timeOf ??= choose(text);
    return timeOf(text);
  };
}

/**
 * Reads a row's time from its column, refusing one that is no time or goes backwards.
 * @throws KestrelError INVALID_DATA naming file, line and column
 */
export function createRowClock(
  file: string,
  column: string,
): (text: string | undefined, line: number) => number {
  const timeOf = createTimeReader();
  let lastTime = Number.NEGATIVE_INFINITY;
  return (text, line) => {
    const time = text === undefined ? Number.NaN : timeOf(text);
    if (!Number.isFinite(time))
      throw dataError(file, line, column, `${quoteText(text ?? '')} is not a timestamp`);
    if (time < lastTime) {
      throw dataError(
        file,
        line,
        column,
        `time goes backwards (${new Date(time).toISOString()} after ${new Date(lastTime).toISOString()})`,
      );
    }
    lastTime = time;
    return time;
  };
}

/** Caches the instrument of each symbol a file names */
export function instrumentCache(
  file: string,
  resolveInstrument: ResolveInstrument,
): (symbol: string) => Instrument {
  const instruments = new Map<string, Instrument>();
  return (symbol) => {
    let instrument = instruments.get(symbol);
    if (instrument === undefined) {
      instrument = resolveInstrument(symbol, file);
      instruments.set(symbol, instrument);
    }
    return instrument;
  };
}

/**
 * Trades or quotes from a CSV file with a header row. Columns are found by name (see the lists
 * above); timestamps may be seconds, milliseconds, microseconds, nanoseconds or ISO 8601. Rows
 * must be in time order.
 * @throws KestrelError INVALID_DATA for a header that names neither trades nor quotes
 */
export function createCsvFormat(
  header: string,
  path: string,
  resolveInstrument: ResolveInstrument,
): DataFormat {
  const file = basename(path);
  const l = layoutOf(header, file);
  const fileSymbol = symbolFromFileName(path);
  const instrumentFor = instrumentCache(file, resolveInstrument);
  const clock = createRowClock(file, l.names[l.time]!);
  const timeOf = createTimeReader();
  let line = 0;

  const number = (fields: readonly string[], index: number, column: string): number => {
    const text = fields[index];
    const value = text === undefined ? Number.NaN : Number(text);
    if (!Number.isFinite(value)) {
      throw dataError(file, line, column, `${quoteText(text ?? '')} is not a number`);
    }
    return value;
  };

  return {
    kind: l.kind,
    time(text) {
      return text.length === 0 ? undefined : timeOf(fieldAt(text, l.time) ?? '');
    },
    finish() {},
    parse(text, at, out) {
      line = at;
      if (text.length === 0) return;
      const fields = text.split(',');
      const time = clock(fields[l.time], line);
      const instrument = instrumentFor(
        l.symbol >= 0 ? (fields[l.symbol] ?? fileSymbol).trim() : fileSymbol,
      );
      if (l.kind === 'trades') {
        const price = number(fields, l.price, l.names[l.price]!);
        const size = number(fields, l.size, l.names[l.size]!);
        let side: Side | undefined;
        if (l.side >= 0) side = parseSide(fields[l.side] ?? '');
        else side = (fields[l.buyerMaker] ?? '').trim().toLowerCase() === 'true' ? 'SELL' : 'BUY';
        if (side === undefined) {
          throw dataError(
            file,
            line,
            l.names[l.side],
            `${quoteText(fields[l.side] ?? '')} is not a side (buy/sell, 1/-1)`,
          );
        }
        if (!(price > 0) || !(size > 0))
          throw dataError(file, line, l.names[price > 0 ? l.size : l.price], 'must be positive');
        const trade: Trade = {
          type: 'trade',
          instrument,
          time,
          price,
          size,
          side,
          id: l.id >= 0 ? fields[l.id] : undefined,
        };
        out.push(trade);
      } else {
        const bid = number(fields, l.bid, l.names[l.bid]!);
        const ask = number(fields, l.ask, l.names[l.ask]!);
        const bidSize = l.bidSize >= 0 ? number(fields, l.bidSize, l.names[l.bidSize]!) : 0;
        const askSize = l.askSize >= 0 ? number(fields, l.askSize, l.names[l.askSize]!) : 0;
        if (!(bid > 0) || !(ask > 0))
          throw dataError(file, line, l.names[bid > 0 ? l.ask : l.bid], 'must be positive');
        if (bid > ask)
          throw dataError(file, line, l.names[l.bid], `bid ${bid} is above ask ${ask}`);
        const quote: Quote = { type: 'quote', instrument, time, bid, bidSize, ask, askSize };
        out.push(quote);
      }
    },
  };
}
