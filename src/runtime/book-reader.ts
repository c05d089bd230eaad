import { basename } from 'node:path';
import type { BookSnapshot, Level, MarketEvent } from '../core/market-data.ts';
import type { DataFormat, ResolveInstrument } from './csv-reader.ts';
import { instrumentCache, symbolFromFileName } from './csv-reader.ts';
import { dataError, quoteText } from './line-reader.ts';

/** Whether a first line looks like JSON lines */
export function isJsonLine(text: string): boolean {
  return text.trimStart().startsWith('{');
}

/** `BTC/USDT:USDT` → `BTCUSDT`: the venue-neutral name the sim's instruments go by */
function plainSymbol(symbol: string): string {
  return (symbol.split(':')[0] ?? symbol).replace('/', '');
}

const TIMESTAMP = /"timestamp"\s*:\s*(\d+(?:\.\d+)?)/;

/**
 * Order-book snapshots as ccxt prints them, one JSON object a line (`watchOrderBook` /
 * `fetchOrderBook` results): `bids` and `asks` as [price, size] best first, `timestamp` in ms,
 * `symbol` (unified, `BTC/USDT:USDT`; the file name's symbol when absent). Each line is one book
 * event. Levels must be positive and in book order.
 * @throws KestrelError INVALID_DATA naming file and line, quoting at most 200 characters of it
 */
export function createBookFormat(path: string, resolveInstrument: ResolveInstrument): DataFormat {
  const file = basename(path);
  const fileSymbol = symbolFromFileName(path);
  const instrumentFor = instrumentCache(file, resolveInstrument);
  let lastTime = Number.NEGATIVE_INFINITY;

  const levels = (
    raw: unknown,
    side: 'bids' | 'asks',
    line: number,
    text: string,
  ): readonly Level[] => {
    if (!Array.isArray(raw))
      throw dataError(
        file,
        line,
        side,
        `is not a list of [price, size] levels in ${quoteText(text)}`,
      );
    const out: Level[] = [];
    let previous = side === 'bids' ? Number.POSITIVE_INFINITY : 0;
    for (const level of raw as unknown[]) {
      const price = Array.isArray(level) ? level[0] : undefined;
      const size = Array.isArray(level) ? level[1] : undefined;
      if (typeof price !== 'number' || typeof size !== 'number' || !(price > 0) || !(size >= 0))
        throw dataError(
          file,
          line,
          side,
          `${quoteText(JSON.stringify(level) ?? String(level))} is not a [price, size] level`,
        );
      if (side === 'bids' ? price >= previous : price <= previous)
        throw dataError(file, line, side, `level ${price} is out of order (best first)`);
      previous = price;
      if (size > 0) out.push([price, size]);
    }
    return out;
  };

  return {
    kind: 'books',
    time(text) {
      if (text.trim().length === 0) return undefined;
      const match = TIMESTAMP.exec(text);
      return match === null ? Number.NaN : Number(match[1]);
    },
    finish() {},
    parse(text, line, out: MarketEvent[]) {
      if (text.trim().length === 0) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw dataError(
          file,
          line,
          undefined,
          `not JSON (${(error as Error).message}): ${quoteText(text)}`,
        );
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw dataError(file, line, undefined, `not an order book object: ${quoteText(text)}`);
      const record = parsed as Record<string, unknown>;
      // ccxt's timestamp is epoch milliseconds; its datetime the same in ISO 8601
      const stamp = record['timestamp'] ?? record['datetime'];
      const time =
        typeof stamp === 'number'
          ? stamp
          : typeof stamp === 'string'
            ? Date.parse(stamp)
            : Number.NaN;
      if (!Number.isFinite(time))
        throw dataError(file, line, 'timestamp', `${quoteText(String(stamp))} is not a time in ms`);
      if (time < lastTime)
        throw dataError(
          file,
          line,
          'timestamp',
          `time goes backwards (${new Date(time).toISOString()} after ${new Date(lastTime).toISOString()})`,
        );
      lastTime = time;
      const symbol =
        typeof record['symbol'] === 'string' ? plainSymbol(record['symbol']) : fileSymbol;
      const bids = levels(record['bids'], 'bids', line, text);
      const asks = levels(record['asks'], 'asks', line, text);
      const bestBid = bids[0];
      const bestAsk = asks[0];
      if (bestBid !== undefined && bestAsk !== undefined && bestBid[0] >= bestAsk[0])
        throw dataError(
          file,
          line,
          'bids',
          `best bid ${bestBid[0]} is not below best ask ${bestAsk[0]}`,
        );
      const book: BookSnapshot = {
        type: 'book',
        instrument: instrumentFor(symbol),
        time,
        bids,
        asks,
      };
      if (bids.length > 0 && asks.length > 0) out.push(book);
    },
  };
}
