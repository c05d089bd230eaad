import type { MarketDataSource, MarketEvent } from '../core/market-data.ts';
import type { ProgressSource } from './csv-reader.ts';

interface Cursor {
  readonly source: MarketDataSource;
  readonly order: number;
  batch: readonly MarketEvent[];
  index: number;
  done: boolean;
}

const BATCH = 4096;

/**
 * Merges sources into one stream in time order (ties keep the sources' order), pulling a batch
 * from a source only when its current one is used up, so memory stays at a batch per source.
 */
export function mergeSources(sources: readonly MarketDataSource[]): ProgressSource {
  if (sources.length === 1) {
    const only = sources[0]!;
    return {
      next: () => only.next(),
      progress: () => progressOf(only),
      close: async () => only.close?.(),
    };
  }
  const cursors: Cursor[] = sources.map((source, order) => ({
    source,
    order,
    batch: [],
    index: 0,
    done: false,
  }));
  let primed = false;

  const refill = async (cursor: Cursor): Promise<void> => {
    while (!cursor.done && cursor.index >= cursor.batch.length) {
      const batch = await cursor.source.next();
      if (batch === undefined) cursor.done = true;
      else {
        cursor.batch = batch;
        cursor.index = 0;
      }
    }
  };

  return {
    async next() {
      if (!primed) {
        await Promise.all(cursors.map(refill));
        primed = true;
      }
      const out: MarketEvent[] = [];
      while (out.length < BATCH) {
        // The head that comes first by (time, source order), and the first head among the others
        let best: Cursor | undefined;
        let other: Cursor | undefined;
        for (const cursor of cursors) {
          if (cursor.done) continue;
          if (best === undefined || before(cursor, best)) {
            other = best;
            best = cursor;
          } else if (other === undefined || before(cursor, other)) {
            other = cursor;
          }
        }
        if (best === undefined) break;
        // Take the best source's events in one run, up to the other head
        const limitTime =
          other === undefined ? Number.POSITIVE_INFINITY : other.batch[other.index]!.time;
        const limitOrder = other?.order ?? Number.POSITIVE_INFINITY;
        while (best.index < best.batch.length && out.length < BATCH) {
          const time = best.batch[best.index]!.time;
          if (time > limitTime || (time === limitTime && best.order > limitOrder)) break;
          out.push(best.batch[best.index]!);
          best.index += 1;
        }
        if (best.index >= best.batch.length) await refill(best);
      }
      return out.length === 0 ? undefined : out;
    },
    progress: () => {
      let sum = 0;
      for (const { source } of cursors) sum += progressOf(source);
      return sum / cursors.length;
    },
    async close() {
      await Promise.all(sources.map((s) => s.close?.()));
    },
  };
}

function before(a: Cursor, b: Cursor): boolean {
  const ta = a.batch[a.index]!.time;
  const tb = b.batch[b.index]!.time;
  return ta < tb || (ta === tb && a.order < b.order);
}

function progressOf(source: MarketDataSource): number {
  const candidate = source as Partial<ProgressSource>;
  return typeof candidate.progress === 'function' ? candidate.progress() : 0;
}
