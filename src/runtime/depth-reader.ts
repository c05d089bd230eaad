import { basename } from 'node:path';
import type { BookSnapshot, Level, MarketEvent } from '../core/market-data.ts';
import type { DataFormat, ResolveInstrument } from './csv-reader.ts';
import {
  createRowClock,
  createTimeReader,
  fieldAt,
  findColumn,
  headerNames,
  instrumentCache,
  symbolFromFileName,
  timeColumn,
} from './csv-reader.ts';
import { dataError, quoteText } from './line-reader.ts';

const SNAPSHOT = ['is_snapshot', 'snapshot'];
const SIDE = ['side'];
const PRICE = ['price'];
const SIZE = ['qty', 'amount', 'size', 'quantity'];
const FIRST_ID = ['first_update_id'];
const LAST_ID = ['last_update_id', 'update_id'];
const SYMBOL = ['symbol'];

/** Levels per side a book event carries: enough for any taker a strategy sends */
const DEPTH_LEVELS = 50;

/** Whether a CSV header names a long-format depth file (one row per level, snapshots and diffs) */
export function isDepthHeader(names: readonly string[]): boolean {
  return (
    findColumn(names, SNAPSHOT) >= 0 &&
    findColumn(names, SIDE) >= 0 &&
    findColumn(names, PRICE) >= 0 &&
    findColumn(names, SIZE) >= 0
  );
}

/** One side of the book: prices kept sorted best first, sizes by price */
class BookSide {
  private readonly prices: number[] = [];
  private readonly sizes = new Map<number, number>();
  private readonly descending: boolean;

  constructor(descending: boolean) {
    this.descending = descending;
  }

  clear(): void {
    this.prices.length = 0;
    this.sizes.clear();
  }

  /** Sets a level; size 0 removes it */
  set(price: number, size: number): void {
    const known = this.sizes.has(price);
    if (size === 0) {
      if (!known) return;
      this.sizes.delete(price);
      this.prices.splice(this.indexOf(price), 1);
      return;
    }
    if (!known) this.prices.splice(this.indexOf(price), 0, price);
    this.sizes.set(price, size);
  }

  /** Where `price` is, or would go, in best-first order */
  private indexOf(price: number): number {
    let lo = 0;
    let hi = this.prices.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const other = this.prices[mid]!;
      if (this.descending ? other > price : other < price) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  top(count: number): Level[] {
    const levels: Level[] = [];
    for (let i = 0; i < Math.min(count, this.prices.length); i++) {
      const price = this.prices[i]!;
      levels.push([price, this.sizes.get(price)!]);
    }
    return levels;
  }
}

/**
 * Order-book depth in long format (one row per price level, as Binance's depth stream or
 * Tardis's incremental_book_L2 are commonly flattened): rows of one message share their time
 * and update ids; snapshot rows (`is_snapshot` true) start the book afresh. With update ids the
 * book is rebuilt as Binance prescribes: from the snapshot, diffs with `last_update_id` at or
 * below the snapshot's are dropped, the first one applied must span the snapshot's id + 1, and
 * each later one must start where the previous ended (a hole in the ids is refused: the book
 * would be wrong from there on). Each message applied gives one book event with the best
 * DEPTH_LEVELS levels a side; nothing is emitted before the first snapshot.
 * @throws KestrelError INVALID_DATA naming file, line and column
 */
export function createDepthFormat(
  header: string,
  path: string,
  resolveInstrument: ResolveInstrument,
): DataFormat {
  const file = basename(path);
  const names = headerNames(header);
  const column = {
    time: timeColumn(names),
    snapshot: findColumn(names, SNAPSHOT),
    side: findColumn(names, SIDE),
    price: findColumn(names, PRICE),
    size: findColumn(names, SIZE),
    firstId: findColumn(names, FIRST_ID),
    lastId: findColumn(names, LAST_ID),
    symbol: findColumn(names, SYMBOL),
  };
  if (column.time < 0)
    throw dataError(file, 1, undefined, `header ${quoteText(header)} has no time column`);
  const name = (index: number) => names[index] ?? '?';
  const instrumentFor = instrumentCache(file, resolveInstrument);
  const fileSymbol = symbolFromFileName(path);
  const clock = createRowClock(file, name(column.time));
  const timeOf = createTimeReader();
  const bids = new BookSide(true);
  const asks = new BookSide(false);
  /** The message being read: its key (time text, last id, snapshot flag) and rows */
  let messageKey: string | undefined;
  let messageTime = 0;
  let messageSymbol = '';
  let messageSnapshot = false;
  let messageFirstId = Number.NaN;
  let messageLastId = Number.NaN;
  let messageLine = 0;
  const rows: Array<[bid: boolean, price: number, size: number]> = [];
  let synced = false;
  let snapshotId = Number.NaN;
  let lastId = Number.NaN;
  let lastWasSnapshot = false;

  const number = (fields: readonly string[], index: number, line: number): number => {
    const text = fields[index];
    const value = text === undefined || text === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(value))
      throw dataError(file, line, name(index), `${quoteText(text ?? '')} is not a number`);
    return value;
  };

  /** Diff messages read before the first snapshot (Binance's procedure buffers them) */
  const early: Array<{
    readonly firstId: number;
    readonly lastId: number;
    readonly line: number;
    readonly rows: Array<[boolean, number, number]>;
  }> = [];
  let earlyRows = 0;

  /**
   * Applies one diff message after the book is synced; false when it is older than the
   * snapshot (already in it)
   * @throws KestrelError INVALID_DATA when updates between the last one and this are missing
   */
  const applyDiff = (
    firstId: number,
    last: number,
    line: number,
    levels: ReadonlyArray<readonly [boolean, number, number]>,
  ): boolean => {
    if (Number.isFinite(last)) {
      // Older than the snapshot: already in it
      if (last <= snapshotId && lastId === snapshotId) return false;
      const expected = lastId + 1;
      const spans =
        lastId === snapshotId ? firstId <= expected && last >= expected : firstId === expected;
      if (Number.isFinite(lastId) && Number.isFinite(firstId) && !spans) {
        throw dataError(
          file,
          line,
          name(column.firstId),
          `depth updates ${firstId}..${last} do not follow update ${lastId}: updates are missing, so the book cannot be rebuilt from here`,
        );
      }
      lastId = last;
    }
    for (const [bid, price, size] of levels) (bid ? bids : asks).set(price, size);
    return true;
  };

  /** Applies the message read so far and emits the book it leaves */
  const flush = (out: MarketEvent[]): void => {
    if (messageKey === undefined) return;
    messageKey = undefined;
    if (messageSnapshot) {
      // A snapshot after diffs starts the book afresh; consecutive snapshot messages add up
      if (!lastWasSnapshot) {
        bids.clear();
        asks.clear();
      }
      for (const [bid, price, size] of rows) (bid ? bids : asks).set(price, size);
      snapshotId = messageLastId;
      lastId = messageLastId;
      synced = true;
    } else if (!synced) {
      // Kept until the snapshot when ids can tell which are newer; else they cannot be placed
      if (Number.isFinite(messageLastId) && earlyRows + rows.length <= 1_000_000) {
        early.push({
          firstId: messageFirstId,
          lastId: messageLastId,
          line: messageLine,
          rows: rows.slice(),
        });
        earlyRows += rows.length;
      }
      rows.length = 0;
      return;
    } else if (!applyDiff(messageFirstId, messageLastId, messageLine, rows)) {
      rows.length = 0;
      return;
    }
    lastWasSnapshot = messageSnapshot;
    rows.length = 0;
    if (messageSnapshot && early.length > 0) {
      for (const diff of early) applyDiff(diff.firstId, diff.lastId, diff.line, diff.rows);
      early.length = 0;
      lastWasSnapshot = false;
    }
    const book: BookSnapshot = {
      type: 'book',
      instrument: instrumentFor(messageSymbol),
      time: messageTime,
      bids: bids.top(DEPTH_LEVELS),
      asks: asks.top(DEPTH_LEVELS),
    };
    if (book.bids.length > 0 && book.asks.length > 0) out.push(book);
  };

  return {
    kind: 'depth',
    time(text) {
      return text.length === 0 ? undefined : timeOf(fieldAt(text, column.time) ?? '');
    },
    finish(out) {
      flush(out);
      if (!synced)
        throw dataError(
          file,
          messageLine,
          name(column.snapshot),
          'no snapshot rows: the book cannot be rebuilt from diffs alone',
        );
    },
    parse(text, line, out) {
      if (text.length === 0) return;
      const fields = text.split(',');
      const timeText = fields[column.time];
      const snapshotText = (fields[column.snapshot] ?? '').trim().toLowerCase();
      const snapshot = snapshotText === 'true' || snapshotText === '1';
      if (!snapshot && snapshotText !== 'false' && snapshotText !== '0')
        throw dataError(
          file,
          line,
          name(column.snapshot),
          `${quoteText(fields[column.snapshot] ?? '')} is not true or false`,
        );
      const lastText = column.lastId >= 0 ? (fields[column.lastId] ?? '') : '';
      const key = `${timeText}|${lastText}|${snapshot}`;
      if (key !== messageKey) {
        flush(out);
        messageKey = key;
        messageTime = clock(timeText, line);
        messageSnapshot = snapshot;
        messageLine = line;
        messageSymbol =
          column.symbol >= 0 ? (fields[column.symbol] ?? fileSymbol).trim() : fileSymbol;
        messageLastId = column.lastId >= 0 ? number(fields, column.lastId, line) : Number.NaN;
        messageFirstId = column.firstId >= 0 ? number(fields, column.firstId, line) : messageLastId;
      }
      const sideText = (fields[column.side] ?? '').trim().toLowerCase();
      const bid = sideText === 'bid' || sideText === 'buy' || sideText === 'b';
      if (!bid && sideText !== 'ask' && sideText !== 'sell' && sideText !== 'a')
        throw dataError(
          file,
          line,
          name(column.side),
          `${quoteText(fields[column.side] ?? '')} is not a side (bid/ask)`,
        );
      const price = number(fields, column.price, line);
      const size = number(fields, column.size, line);
      if (!(price > 0)) throw dataError(file, line, name(column.price), 'must be positive');
      if (size < 0) throw dataError(file, line, name(column.size), 'must not be negative');
      rows.push([bid, price, size]);
    },
  };
}
