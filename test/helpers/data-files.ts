import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { MarketDataSource, MarketEvent } from '../../src/core/market-data.ts';

/** Writes data files into a fresh temp folder (gzipped when the name ends in .gz); returns a writer */
export function dataFolder(prefix: string): (name: string, text: string) => string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return (name, text) => {
    const path = join(dir, name);
    writeFileSync(path, name.endsWith('.gz') ? gzipSync(text) : text);
    return path;
  };
}

/** Every event a source gives, in order */
export async function drain(source: MarketDataSource): Promise<MarketEvent[]> {
  const all: MarketEvent[] = [];
  for (let batch = await source.next(); batch !== undefined; batch = await source.next())
    all.push(...batch);
  return all;
}
