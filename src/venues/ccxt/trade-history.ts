import type { TradePaging } from './profile.ts';

/** One page of the venue's trade history: the raw entries ccxt returned */
export type FetchTrades = (
  since: number,
  limit: number,
  params: Record<string, unknown>,
) => Promise<readonly unknown[]>;

export interface TradeHistoryOptions {
  readonly paging: TradePaging;
  /** The earliest execution wanted, ms */
  readonly since: number;
  /** The engine's now, ms: windows are laid up to it */
  readonly now: number;
  /** Stops after this many rows (a runaway venue cannot loop us forever) */
  readonly maxRows: number;
  readonly fetch: FetchTrades;
}

function field(entry: unknown, name: string): unknown {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const info = (entry as { info?: unknown }).info;
  if (typeof info !== 'object' || info === null) return undefined;
  return (info as Record<string, unknown>)[name];
}

function timestampOf(entry: unknown): number | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const value = (entry as { timestamp?: unknown }).timestamp;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A cursor value as the venue gave it; empty means "no more" */
function cursorOf(entry: unknown, name: string): string | undefined {
  const value = field(entry, name);
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isEarlier(entry: unknown, cursor: string, than: unknown, thanCursor: string): boolean {
  const time = timestampOf(entry) ?? Number.POSITIVE_INFINITY;
  const other = timestampOf(than) ?? Number.POSITIVE_INFINITY;
  if (time !== other) return time < other;
  return cursor.length !== thanCursor.length
    ? cursor.length < thanCursor.length
    : cursor < thanCursor;
}

/**
 * Reads our executions from `since` to now the way the venue pages them, yielding each page of
 * raw entries until the venue has nothing more: a page shorter than the page size, no cursor,
 * or a cursor that does not move. Where one query covers at most `windowMs`, the span is read
 * window by window (each window closed with `until`, the last one open-ended so a venue clock a
 * little ahead of ours loses nothing). Pages overlap at their edges; the account books each
 * trade id once.
 * @throws whatever `fetch` throws
 */
export async function* tradeHistory(options: TradeHistoryOptions): AsyncGenerator<unknown[]> {
  const { paging, now, fetch } = options;
  const { pageSize, windowMs } = paging;
  let rows = 0;
  let start = Math.floor(options.since);
  for (;;) {
    const windowEnd =
      windowMs === undefined || start + windowMs > now ? undefined : start + windowMs - 1;
    const bounds: Record<string, unknown> = windowEnd === undefined ? {} : { until: windowEnd };
    let since = start;
    let cursor: string | undefined;
    for (;;) {
      const params =
        cursor === undefined || paging.order === 'ascending'
          ? { ...bounds }
          : { ...bounds, [paging.cursorParam]: cursor };
      const page = [...(await fetch(since, pageSize, params))];
      rows += page.length;
      yield page;
      if (page.length < pageSize || rows >= options.maxRows) break;
      if (paging.order === 'ascending') {
        const last = Math.max(...page.map((entry) => timestampOf(entry) ?? Number.NaN));
        if (!Number.isFinite(last)) break;
        // A full page within one millisecond cannot be paged by time: step past it
        since = last > since ? last : since + 1;
        continue;
      }
      let next: string | undefined;
      let oldest: unknown;
      if (paging.order === 'cursor') {
        for (const entry of page) next ??= cursorOf(entry, paging.cursorField);
      } else {
        // The oldest row names the next page: earliest time, then the smallest cursor (bill ids grow)
        for (const entry of page) {
          const value = cursorOf(entry, paging.cursorField);
          if (value === undefined) continue;
          if (next === undefined || isEarlier(entry, value, oldest, next)) {
            next = value;
            oldest = entry;
          }
        }
      }
      if (next === undefined || next === cursor) break;
      cursor = next;
    }
    if (windowEnd === undefined || rows >= options.maxRows) return;
    start = windowEnd + 1;
  }
}
