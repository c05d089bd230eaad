import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { OrderStatus, OrderTransition } from '../core/order.ts';
import { ORDER_STATUSES } from '../core/order.ts';
import { createRandom } from '../core/random.ts';
import { CsvWriter, csvField } from './csv-writer.ts';

/** What a field reads as, written the plain way: String, toISOString, the CSV quoting rule */
type Field =
  | { readonly kind: 'text' | 'spelled'; readonly value: string | undefined }
  | { readonly kind: 'number'; readonly value: number | undefined }
  | { readonly kind: 'time'; readonly value: number }
  | { readonly kind: 'transitions'; readonly value: readonly OrderTransition[] };

function expected(field: Field): string {
  switch (field.kind) {
    case 'text':
    case 'spelled':
      return csvField(field.value);
    case 'number':
      return csvField(field.value);
    case 'time':
      return Number.isFinite(field.value) ? new Date(Math.floor(field.value)).toISOString() : '';
    case 'transitions':
      return field.value
        .map((t) => `${t.from}>${t.to}@${new Date(Math.floor(t.time)).toISOString()}`)
        .join(' ');
  }
}

/** Each kind of field is the name of the writer's method that writes it */
function write(writer: CsvWriter, field: Field): void {
  (writer[field.kind] as (value: Field['value']) => void).call(writer, field.value);
}

describe('CsvWriter', () => {
  it('writes every kind of field as the plain spelling would, across chunks, with columns that repeat a few values and some that do not', () => {
    const random = createRandom(11);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random.next() * list.length)]!;
    // Twelve values in a column that keeps eight: the oldest make room, some need quoting
    const reasons = [
      'canceled by the client',
      'post only',
      'a, b',
      'say "no"',
      'line\nbreak',
      'prix élevé',
      undefined,
      'x'.repeat(70),
      'r8',
      'r9',
      'r10',
      'r11',
    ];
    const sides = ['BUY', 'SELL'];
    const numbers = [0, -0, 0.002, 63990.2, 1e-7, 123456789012, 2 ** 31 + 0.5, -17.25, undefined];
    const start = Date.UTC(2026, 0, 1, 23, 59);
    const rows: Field[][] = [];
    for (let r = 0; r < 6000; r++) {
      const time = start + random.next() * 3 * 60_000;
      const steps: OrderTransition[] = [];
      for (let s = Math.floor(random.next() * 4); s > 0; s--)
        steps.push({
          from: pick(ORDER_STATUSES) as OrderStatus,
          to: pick(ORDER_STATUSES) as OrderStatus,
          cause: 'test',
          time: time + random.next() * 1000,
        });
      rows.push([
        { kind: 'text', value: `id-${r}` },
        { kind: 'spelled', value: pick(sides) },
        { kind: 'number', value: pick(numbers) },
        { kind: 'spelled', value: pick(reasons) },
        { kind: 'time', value: random.next() < 0.05 ? Number.NaN : time },
        { kind: 'text', value: pick(reasons) },
        { kind: 'transitions', value: steps },
        { kind: 'spelled', value: `unique-${r}` },
      ]);
    }
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-csv-'));
    try {
      const path = join(dir, 'rows.csv');
      const writer = new CsvWriter(path, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
      for (const row of rows) {
        for (const field of row) write(writer, field);
        writer.end();
      }
      writer.close();
      const lines = rows.map((row) => row.map(expected).join(','));
      const want = `a,b,c,d,e,f,g,h\n${lines.join('\n')}\n`;
      const got = readFileSync(path, 'utf8');
      assert.ok(got.length > 3 * 65_536, `several chunks (${got.length} bytes)`);
      assert.equal(got, want);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
