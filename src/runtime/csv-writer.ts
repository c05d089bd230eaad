import { closeSync, openSync, writeSync } from 'node:fs';
import { formatDecimal } from '../core/numeric.ts';
import type { OrderTransition } from '../core/order.ts';
import { emptyObjectList } from '../core/tagged-fields.ts';

const ZERO = 48;
const COMMA = 44;
const NEWLINE = 10;
const CHUNK = 1 << 16;
/**
 * Bytes a field may write past its end: spelled fields and times are stored four bytes at a time,
 * and the last store of a field runs up to three bytes into what the next one overwrites
 */
const SLACK = 4;
/** The longest value a column's spellings keep (longer ones are copied as they come) */
const MAX_SPELLED = 64;
/** The values a column's spellings keep; past that, the oldest make room */
const SPELLINGS = 8;

/** Bytes 4k to 4k + 3 of a plain ASCII string as little-endian words, the last one padded */
function wordsOf(text: string): Int32Array {
  const words = new Int32Array((text.length + 3) >> 2);
  for (let i = 0; i < text.length; i++) words[i >> 2]! |= text.charCodeAt(i) << (8 * (i & 3));
  return words;
}

/** Whether a field is ASCII without a quote, comma or line break: written as it is */
function isPlain(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 34 || code === 44 || code === 10 || code > 127) return false;
  }
  return true;
}

/**
 * The bytes of the few values a column repeats row after row (a symbol, a side, a status, a
 * reason), kept as words: a value met again is stored four bytes at a time instead of read
 * character by character. Values are found by identity first (they are the same constant
 * strings every row), by content when that fails.
 */
class Spellings {
  private readonly values: string[] = emptyObjectList();
  private readonly words: Int32Array[] = emptyObjectList();
  private next = 0;

  /** The words of a plain value, remembered from now on; undefined for a value to quote or too long */
  find(value: string): Int32Array | undefined {
    const values = this.values;
    for (let k = 0; k < values.length; k++) if (values[k] === value) return this.words[k];
    if (value.length > MAX_SPELLED || !isPlain(value)) return undefined;
    const words = wordsOf(value);
    if (values.length < SPELLINGS) {
      values.push(value);
      this.words.push(words);
    } else {
      values[this.next] = value;
      this.words[this.next] = words;
      this.next = (this.next + 1) % SPELLINGS;
    }
    return words;
  }
}

/** "FROM>TO@" of an audit step, by its two statuses, as words (the few steps an order can take) */
class StepSpellings {
  private readonly from: string[] = emptyObjectList();
  private readonly to: string[] = emptyObjectList();
  private readonly words: Int32Array[] = emptyObjectList();
  private readonly lengths: number[] = [];
  private next = 0;

  /** Index of the step's spelling, made the first time a step is met */
  find(from: string, to: string): number {
    const froms = this.from;
    for (let k = 0; k < froms.length; k++) if (froms[k] === from && this.to[k] === to) return k;
    const text = `${from}>${to}@`;
    const words = wordsOf(text);
    // Statuses are short plain names (OrderStatus): 32 steps are more than the table allows
    if (froms.length < 4 * SPELLINGS) {
      froms.push(from);
      this.to.push(to);
      this.words.push(words);
      this.lengths.push(text.length);
      return froms.length - 1;
    }
    const k = this.next;
    froms[k] = from;
    this.to[k] = to;
    this.words[k] = words;
    this.lengths[k] = text.length;
    this.next = (k + 1) % froms.length;
    return k;
  }

  wordsAt(k: number): Int32Array {
    return this.words[k]!;
  }

  lengthAt(k: number): number {
    return this.lengths[k]!;
  }
}

/**
 * Appends rows to a CSV file through one reused byte buffer, written out synchronously in 64 KiB
 * chunks so memory stays bounded. Fields go into the buffer as they come (times as digits), so
 * a row builds no strings of its own.
 */
export class CsvWriter {
  private readonly fd: number;
  private readonly buffer = Buffer.allocUnsafe(CHUNK * 2);
  /** The buffer seen four or two bytes at a time */
  private readonly view = new DataView(
    this.buffer.buffer,
    this.buffer.byteOffset,
    this.buffer.byteLength,
  );
  private position = 0;
  /** Whether the next field is the row's first (no comma before it) */
  private rowStart = true;
  /** The field being written, counted from the row's start */
  private column = 0;
  /** Per column, the values `spelled` has met there */
  private readonly spellings: Spellings[];
  private readonly steps = new StepSpellings();

  constructor(path: string, header: readonly string[]) {
    this.fd = openSync(path, 'w');
    this.spellings = header.map(() => new Spellings());
    for (const name of header) this.text(name);
    this.end();
  }

  private separate(room: number): void {
    if (this.position + room + SLACK + 1 > this.buffer.length) this.flush();
    this.column += 1;
    if (this.rowStart) this.rowStart = false;
    else this.buffer[this.position++] = COMMA;
  }

  /** A string field, quoted when it holds a quote, a comma or a line break; empty when undefined */
  text(value: string | undefined): this {
    // The usual field (ASCII, nothing to quote) is checked as it is copied, in one pass
    if (value !== undefined && this.position + value.length + SLACK + 2 <= this.buffer.length) {
      const position = this.position;
      const rowStart = this.rowStart;
      this.separate(value.length);
      if (this.putPlain(value)) return this;
      this.position = position;
      this.rowStart = rowStart;
      this.column -= 1;
    }
    const field = value === undefined ? '' : csvField(value);
    const room = field.length * 3;
    if (room + SLACK + 1 > this.buffer.length) {
      // Longer than the buffer: straight to the file
      this.separate(0);
      this.flush();
      writeSync(this.fd, field);
      return this;
    }
    this.separate(room);
    this.put(field);
    return this;
  }

  /**
   * A string field of a column that repeats a few values (a symbol, a side, a status, a
   * reason): written as `text` writes it, from the bytes kept for the value after its first row
   */
  spelled(value: string | undefined): this {
    const spellings = this.spellings[this.column];
    const words = value === undefined ? undefined : spellings?.find(value);
    if (words === undefined) return this.text(value);
    const length = (value as string).length;
    this.separate(length);
    this.position = putWords(this.view, this.position, words, length);
    return this;
  }

  /**
   * Copies a string into the buffer: byte by byte while it is ASCII (short fields cost less so
   * than a call into Buffer#write), else as UTF-8. The caller made room for 3 bytes a character.
   */
  private put(text: string): void {
    const buffer = this.buffer;
    const start = this.position;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 127) {
        this.position = start + buffer.write(text, start, 'utf8');
        return;
      }
      buffer[start + i] = code;
    }
    this.position = start + text.length;
  }

  /**
   * Copies a field that is ASCII and holds no quote, comma or line break; false (the position
   * unmoved) for any other, which goes through csvField
   */
  private putPlain(text: string): boolean {
    const buffer = this.buffer;
    const start = this.position;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === 34 || code === 44 || code === 10 || code > 127) return false;
      buffer[start + i] = code;
    }
    this.position = start + text.length;
    return true;
  }

  /** A number field (exact: values are snapped to their step); empty when undefined */
  number(value: number | undefined): this {
    // Room for the longest a number is written (String of a double is at most 25 characters)
    this.separate(32);
    if (value === undefined) return this;
    const end = writeNumber(this.buffer, this.position, value);
    if (end >= 0) this.position = end;
    else this.put(csvField(value));
    return this;
  }

  /** A time field in ISO 8601 with milliseconds, as isoTime writes it; empty when not finite */
  time(time: number): this {
    this.separate(24);
    this.position = writeIsoTime(this.view, this.position, time);
    return this;
  }

  /** An order's path as "PENDING>OPEN@<time> OPEN>CANCELED@<time>" (statuses are plain ASCII) */
  transitions(path: readonly OrderTransition[]): this {
    this.separate(0);
    const view = this.view;
    const steps = this.steps;
    for (let i = 0; i < path.length; i++) {
      const t = path[i]!;
      // Room for one more step (statuses are short); a flush mid-row is fine
      if (this.position + 80 > this.buffer.length) this.flush();
      let position = this.position;
      if (i > 0) view.setUint8(position++, 32); // space
      const k = steps.find(t.from, t.to);
      position = putWords(view, position, steps.wordsAt(k), steps.lengthAt(k));
      this.position = writeIsoTime(view, position, t.time);
    }
    return this;
  }

  /** Ends the row */
  end(): void {
    if (this.position + 1 > this.buffer.length) this.flush();
    this.buffer[this.position++] = NEWLINE;
    this.rowStart = true;
    this.column = 0;
    if (this.position > CHUNK) this.flush();
  }

  flush(): void {
    if (this.position === 0) return;
    writeSync(this.fd, this.buffer, 0, this.position);
    this.position = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Stores `length` bytes kept as words at `at` (up to three bytes past them too), returning the end */
function putWords(view: DataView, at: number, words: Int32Array, length: number): number {
  for (let k = 0; k < words.length; k++) view.setInt32(at + 4 * k, words[k]!, true);
  return at + length;
}

export function csvField(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') {
    // Values are snapped to their step, so the shortest form is exact; tiny ones avoid exponents
    return Number.isInteger(value) || Math.abs(value) >= 1e-6
      ? String(value)
      : formatDecimal(value, 10);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return value.includes('"') || value.includes(',') || value.includes('\n')
    ? `"${value.replace(/"/g, '""')}"`
    : value;
}

/** 10^d for the decimals a number is written with directly */
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
/** Below this, an integer of digits has at most 15 and is held exactly */
const MAX_DIGITS = 1e15;
/** Below this, digits are counted and written in small-integer arithmetic */
const INT32_DIGITS = 2 ** 30;

/**
 * Writes a number into `buffer` at `at` as String(value) would, digit by digit (no string per
 * field), returning where it ended; -1, with nothing written, for a number it leaves to String
 * (more than 9 decimals or 15 digits, under 1e-6, not finite). A report's numbers are snapped to
 * their step: for those, the fewest decimals d whose rounding N = round(|value| × 10^d) gives
 * back the value (N / 10^d, correctly rounded as parsing "N / 10^d" is) name the shortest decimal
 * that reads as the value, which is what String writes: no two decimals of at most 15 digits read
 * as the same double.
 */
export function writeNumber(buffer: Uint8Array, at: number, value: number): number {
  // -0 is written "0", as String writes it
  if (value === 0) {
    buffer[at] = ZERO;
    return at + 1;
  }
  const magnitude = Math.abs(value);
  if (!(magnitude < MAX_DIGITS)) return -1;
  let decimals = 0;
  let digits = magnitude;
  if (!Number.isInteger(magnitude)) {
    if (magnitude < 1e-6) return -1;
    for (decimals = 1; ; decimals++) {
      if (decimals === POW10.length) return -1;
      const scale = POW10[decimals]!;
      digits = Math.round(magnitude * scale);
      if (digits >= MAX_DIGITS) return -1;
      if (digits / scale === magnitude) break;
    }
  }
  let position = at;
  if (value < 0) buffer[position++] = 45; // -
  if (digits < INT32_DIGITS)
    return writeDigits(buffer, position, digits | 0, decimals, decimals + 1);
  // More digits than small-integer arithmetic holds (below 10^15): the leading ones as an integer
  // (below 10^6), then the last nine zero-padded, every decimal among them (at most nine)
  const high = Math.floor(digits / 1e9);
  let end = writeDigits(buffer, position, high | 0, 0, 1);
  if (decimals === 9) buffer[end++] = 46; // .
  return writeDigits(buffer, end, (digits - high * 1e9) | 0, decimals === 9 ? 0 : decimals, 9);
}

/**
 * Writes `digits` / 10^decimals with at least `width` digits (zero-padded in front; `width` above
 * `decimals`), in 32-bit integer arithmetic: `digits` is below 2^30. Kept in small integers on
 * purpose: a loop that may meet a double works in doubles (its optimized code left the
 * small-integer range: 'not a Smi' deopts), and writeNumber splits larger digits in two for it
 */
function writeDigits(
  buffer: Uint8Array,
  at: number,
  digits: number,
  decimals: number,
  minWidth: number,
): number {
  let count = 1;
  for (let rest = digits; rest >= 10; rest = (rest / 10) | 0) count += 1;
  const width = Math.max(count, minWidth);
  const end = at + width + (decimals > 0 ? 1 : 0);
  let write = end - 1;
  let rest = digits;
  for (let i = 0; i < width; i++) {
    if (i === decimals && decimals > 0) buffer[write--] = 46; // .
    const next = (rest / 10) | 0;
    buffer[write--] = ZERO + (rest - next * 10);
    rest = next;
  }
  return end;
}

const DAY_MS = 86_400_000;
let isoDay = Number.NaN;
/** "2026-01-01T" (the first 11 characters of the day's ISO string) as words, its last one padded */
let isoDate: Int32Array = new Int32Array(3);

/** Two digits of 00 to 99 and the byte after them (":" or "."), as a little-endian word */
function digitPairs(after: number): Int32Array {
  const words = new Int32Array(100);
  for (let n = 0; n < 100; n++)
    words[n] = (ZERO + Math.floor(n / 10)) | ((ZERO + (n % 10)) << 8) | (after << 16);
  return words;
}
const PAIR_COLON = digitPairs(58);
const PAIR_DOT = digitPairs(46);
/** Milliseconds 000 to 999 and the Z after them, as a little-endian word */
const MILLIS_Z = new Int32Array(1000);
for (let n = 0; n < 1000; n++)
  MILLIS_Z[n] =
    (ZERO + Math.floor(n / 100)) |
    ((ZERO + (Math.floor(n / 10) % 10)) << 8) |
    ((ZERO + (n % 10)) << 16) |
    (90 << 24);

/**
 * Writes a time as Date#toISOString does (with milliseconds) into the buffer `view` sees at
 * `at`, returning where it ended (each word's spare byte is overwritten by the next). Only the date part
 * goes through Date (cached per day, as times come in order); the time of day is integer
 * arithmetic and table words, so rows mixing times from different seconds (an order's creation,
 * its transitions, a fill) cost no Date and no string each.
 */
function writeIsoTime(view: DataView, at: number, time: number): number {
  if (!Number.isFinite(time)) return at;
  // Whole milliseconds, exact below 2^53: the day and the time of day need no rounding
  const whole = Math.floor(time);
  const day = Math.floor(whole / DAY_MS);
  if (day !== isoDay) {
    isoDay = day;
    isoDate = wordsOf(new Date(day * DAY_MS).toISOString().slice(0, 11));
  }
  view.setInt32(at, isoDate[0]!, true);
  view.setInt32(at + 4, isoDate[1]!, true);
  view.setInt32(at + 8, isoDate[2]!, true);
  // HH:MM:SS.mmmZ over the date's padding byte
  const ofDay = (whole - day * DAY_MS) | 0;
  const seconds = (ofDay / 1000) | 0;
  const minutes = (seconds / 60) | 0;
  const hour = (minutes / 60) | 0;
  view.setInt32(at + 11, PAIR_COLON[hour]!, true);
  view.setInt32(at + 14, PAIR_COLON[minutes - hour * 60]!, true);
  view.setInt32(at + 17, PAIR_DOT[seconds - minutes * 60]!, true);
  view.setInt32(at + 20, MILLIS_Z[ofDay - seconds * 1000]!, true);
  return at + 24;
}

const isoScratch = Buffer.alloc(32);
const isoScratchView = new DataView(isoScratch.buffer, isoScratch.byteOffset, isoScratch.length);

/**
 * The kinds of numbers a report writes sooner or later, each path of `writeNumber` once: zero,
 * integers, fractions, negatives (the first short position, the first losing trade), digits past
 * 2^30 (an equity to eight decimals, nine decimals), and the ones left to String
 */
const NUMBER_KINDS = [
  0, 7, 0.5, 64_000.1, 0.003, -2, -0.75, 10_000.12345678, -3.123456789, -2.5e9, 1e-7, 1e16,
];

// Every path of the number and time writers taken a few times as the module loads. V8 records what
// code does only from about a function's eighth call on, and a path first taken after the writers
// were optimized has no type feedback: the writers, and every function they were inlined into (the
// recorder's sample and settle, the CSV's number, time and transitions), were thrown away there and
// compiled again ('Insufficient type feedback for unary operation' at the first negative number,
// '... for binary operation' at the first midnight of a run's data or drain, where the date is
// worked out again: --trace-deopt), in the first run and again in the process's next one. The
// buffer is a scratch one; nothing is written anywhere
for (let round = 0; round < 3; round++) {
  for (const value of NUMBER_KINDS) writeNumber(isoScratch, 0, value);
  for (let day = 0; day < 4; day++) writeIsoTime(isoScratchView, 0, day * DAY_MS + 3_723_456);
}
isoDay = Number.NaN;

/** ISO 8601 with milliseconds, exactly as Date#toISOString writes it; '' when not finite */
export function isoTime(time: number): string {
  return isoScratch.toString('latin1', 0, writeIsoTime(isoScratchView, 0, time));
}
