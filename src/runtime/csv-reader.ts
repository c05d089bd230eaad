import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { KestrelError } from '../core/errors.ts';
import type { Instrument } from '../core/instrument.ts';
import type { MarketDataSource, MarketEvent, Quote, Trade } from '../core/market-data.ts';
import type { Side } from '../core/order.ts';

/** What a data file holds, decided from its header */
export type DataKind = 'trades' | 'quotes';

/** A source that can say how far through it is */
export interface ProgressSource extends MarketDataSource {
  /** Fraction read so far, 0..1 */
  progress(): number;
}

export interface CsvSourceOptions {
  readonly path: string;
  /** Maps the file's symbol (a `symbol` column, else the file name before the first dot) to an instrument */
  readonly resolveInstrument: (symbol: string, file: string) => Instrument;
}

const TIME = ['time', 'timestamp', 'ts', 'datetime', 'date', 'transact_time', 'event_time'];
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

const BATCH = 4096;

/** The error every market-data reader gives for a bad file: file, line and column named */
export function dataError(
  file: string,
  line: number,
  column: string | undefined,
  problem: string,
): KestrelError {
  const where = column === undefined ? `line ${line}` : `line ${line}, column ${column}`;
  return new KestrelError('INVALID_DATA', `${file}: ${where}: ${problem}`, {
    field: column ?? 'line',
    value: line,
  });
}

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
  readonly kind: DataKind;
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

function layoutOf(header: string, file: string): Layout {
  const names = header.split(',').map((n) => n.trim().toLowerCase().replace(/^"|"$/g, ''));
  const find = (candidates: readonly string[]) => names.findIndex((n) => candidates.includes(n));
  const time = find(TIME);
  const bid = find(BID);
  const ask = find(ASK);
  const price = find(PRICE);
  const kind: DataKind | undefined =
    bid >= 0 && ask >= 0 ? 'quotes' : price >= 0 ? 'trades' : undefined;
  if (time < 0 || kind === undefined) {
    throw new KestrelError(
      'INVALID_DATA',
      `${file}: line 1: header ${JSON.stringify(header)} names neither trades (time, price, size, side) nor quotes (time, bid_price, bid_amount, ask_price, ask_amount)`,
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

/**
 * Streams trades or quotes from a CSV or CSV.gz file with a header row, a chunk at a time, never
 * holding the whole file. Columns are found by name (see the lists above); timestamps may be
 * seconds, milliseconds, microseconds, nanoseconds or ISO 8601. Rows must be in time order.
 * Malformed rows fail with the file, line and column.
 * @throws KestrelError INVALID_DATA when the file is missing, unreadable or malformed
 */
export function openCsvSource(options: CsvSourceOptions): ProgressSource {
  const { path } = options;
  const file = basename(path);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw new KestrelError(
      'INVALID_DATA',
      `${path}: cannot read the file (${(error as Error).message})`,
      {
        field: 'path',
        value: path,
        cause: error,
      },
    );
  }
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream: Readable = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (error) => stream.destroy(error));
  const chunks = stream[Symbol.asyncIterator]();
  const fileSymbol = symbolFromFileName(path);
  let layout: Layout | undefined;
  let rest = '';
  let line = 0;
  let lastTime = Number.NEGATIVE_INFINITY;
  let done = false;
  const pending: MarketEvent[] = [];
  const instruments = new Map<string, Instrument>();

  const instrumentFor = (symbol: string): Instrument => {
    let instrument = instruments.get(symbol);
    if (instrument === undefined) {
      instrument = options.resolveInstrument(symbol, file);
      instruments.set(symbol, instrument);
    }
    return instrument;
  };

  const number = (fields: readonly string[], index: number, column: string): number => {
    const text = fields[index];
    const value = text === undefined ? Number.NaN : Number(text);
    if (!Number.isFinite(value)) {
      throw dataError(file, line, column, `${JSON.stringify(text ?? '')} is not a number`);
    }
    return value;
  };

  const readIso = createIsoReader();
  /** Per-row timestamp parsing, decided from the first row: a numeric unit, or ISO */
  let timeOf: ((text: string) => number) | undefined;
  const chooseTimeParser = (sample: string): ((text: string) => number) => {
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

  const parseLine = (text: string): void => {
    line += 1;
    if (layout === undefined) {
      layout = layoutOf(text.replace(/^\uFEFF/, ''), file);
      return;
    }
    if (text.length === 0) return;
    const fields = text.split(',');
    const l = layout;
    const timeText = fields[l.time];
    timeOf ??= chooseTimeParser(timeText ?? '');
    const time = timeText === undefined ? Number.NaN : timeOf(timeText);
    if (!Number.isFinite(time))
      throw dataError(
        file,
        line,
        l.names[l.time],
        `${JSON.stringify(timeText ?? '')} is not a timestamp`,
      );
    if (time < lastTime) {
      throw dataError(
        file,
        line,
        l.names[l.time],
        `time goes backwards (${new Date(time).toISOString()} after ${new Date(lastTime).toISOString()})`,
      );
    }
    lastTime = time;
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
          `${JSON.stringify(fields[l.side] ?? '')} is not a side (buy/sell, 1/-1)`,
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
      pending.push(trade);
    } else {
      const bid = number(fields, l.bid, l.names[l.bid]!);
      const ask = number(fields, l.ask, l.names[l.ask]!);
      const bidSize = l.bidSize >= 0 ? number(fields, l.bidSize, l.names[l.bidSize]!) : 0;
      const askSize = l.askSize >= 0 ? number(fields, l.askSize, l.names[l.askSize]!) : 0;
      if (!(bid > 0) || !(ask > 0))
        throw dataError(file, line, l.names[bid > 0 ? l.ask : l.bid], 'must be positive');
      if (bid > ask) throw dataError(file, line, l.names[l.bid], `bid ${bid} is above ask ${ask}`);
      const quote: Quote = { type: 'quote', instrument, time, bid, bidSize, ask, askSize };
      pending.push(quote);
    }
  };

  const parseChunk = (chunk: string): void => {
    const text = rest + chunk;
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      if (end < 0) break;
      const row =
        text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
      parseLine(row);
      start = end + 1;
    }
    rest = text.slice(start);
  };

  return {
    async next() {
      while (pending.length < BATCH && !done) {
        let result: IteratorResult<Buffer | string>;
        try {
          result = await chunks.next();
        } catch (error) {
          throw new KestrelError(
            'INVALID_DATA',
            `${file}: cannot read the file (${(error as Error).message})`,
            {
              field: 'path',
              value: path,
              cause: error,
            },
          );
        }
        if (result.done) {
          done = true;
          if (rest.length > 0) parseLine(rest.replace(/\r$/, ''));
          rest = '';
          if (layout === undefined)
            throw new KestrelError('INVALID_DATA', `${file}: the file is empty`, {
              field: 'path',
              value: path,
            });
        } else {
          parseChunk(
            typeof result.value === 'string' ? result.value : result.value.toString('utf8'),
          );
        }
      }
      if (pending.length === 0) return undefined;
      return pending.splice(0, pending.length);
    },
    progress: () => (size === 0 ? 1 : Math.min(1, raw.bytesRead / size)),
    async close() {
      stream.destroy();
      raw.destroy();
    },
  };
}
