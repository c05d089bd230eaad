import { crc32 } from 'node:zlib';
import type { AccountEvent } from '../core/events.ts';
import type { JournalDamage, JournalEntry } from './journal.ts';

/**
 * The checksum of a record. From format 2 on it covers the sequence number too, so a record
 * that turns up under another number fails it; format 1 journals covered the body only.
 */
export function recordChecksum(format: number, seq: number, body: string): number {
  return format >= 2 ? crc32(body, crc32(`${seq}:`)) : crc32(body);
}

/** A stretch of the sequence a repair moved aside: its absence is known, not damage */
export interface AcceptedGap {
  readonly from: number;
  readonly to: number;
}

/** A stored record as read back, before it is trusted */
export interface StoredRecord {
  readonly seq: number;
  readonly body: unknown;
  readonly crc: unknown;
}

/**
 * Checks records read back in sequence order: gapless numbers (less the gaps a repair
 * accepted), matching checksums, bodies that decode. Valid records come out as entries; every
 * other stretch is collected as damage, contiguous stretches of one kind merged into one range.
 */
export class SequenceCheck {
  private expected = 1;
  private readonly found: JournalDamage[] = [];
  private lastSeq = 0;
  private lastValid = true;
  private readonly format: number;
  private readonly decode: (body: string) => AccountEvent;
  private readonly accepted: readonly AcceptedGap[];

  constructor(
    format: number,
    decode: (body: string) => AccountEvent,
    accepted: readonly AcceptedGap[] = [],
  ) {
    this.format = format;
    this.decode = decode;
    this.accepted = accepted;
  }

  /** The entry a record holds, or undefined when it is damaged (the damage is noted) */
  record(row: StoredRecord): JournalEntry | undefined {
    const { seq } = row;
    if (seq < this.expected) {
      // Storage handed back a number out of order: its page is not to be trusted
      this.note('corrupt', seq, seq, `entry ${seq} is out of order (after ${this.expected - 1})`);
      return undefined;
    }
    if (seq > this.expected) this.gap(this.expected, seq - 1, 'missing', 'missing');
    this.expected = seq + 1;
    this.lastSeq = seq;
    this.lastValid = false;
    if (typeof row.body !== 'string' || typeof row.crc !== 'number') {
      this.note('corrupt', seq, seq, 'not a record (wrong column types)');
      return undefined;
    }
    if (recordChecksum(this.format, seq, row.body) !== row.crc) {
      this.note('corrupt', seq, seq, 'fails its checksum');
      return undefined;
    }
    let event: AccountEvent;
    try {
      event = this.decode(row.body);
    } catch (error) {
      this.note('corrupt', seq, seq, `does not decode (${(error as Error).message})`);
      return undefined;
    }
    this.lastValid = true;
    return { seq, event };
  }

  /** Storage could not be read from `from` up to `to` (undefined: to the end) */
  unreadable(from: number, to: number | undefined, reason: string): void {
    if (to !== undefined && to < from) return;
    this.note('unreadable', from, to, `could not be read (${reason})`);
    if (to !== undefined) this.expected = Math.max(this.expected, to + 1);
    else this.expected = Number.POSITIVE_INFINITY;
    this.lastValid = true;
  }

  /**
   * The damage found, in sequence order. A damaged last record with nothing readable after it
   * is a torn tail (a write cut short).
   */
  damage(): JournalDamage[] {
    const last = this.found.at(-1);
    if (
      last !== undefined &&
      !this.lastValid &&
      last.kind === 'corrupt' &&
      last.from === this.lastSeq &&
      last.to === this.lastSeq
    ) {
      return [
        ...this.found.slice(0, -1),
        { kind: 'torn', from: last.from, to: last.to, detail: 'incomplete last record' },
      ];
    }
    return [...this.found];
  }

  /** The highest sequence number seen, valid or not */
  get highest(): number {
    return this.lastSeq;
  }

  private gap(from: number, to: number, kind: 'missing', detail: string): void {
    let start = from;
    for (const gap of this.accepted) {
      if (gap.to < start || gap.from > to) continue;
      if (gap.from > start) this.note(kind, start, gap.from - 1, detail);
      start = Math.max(start, gap.to + 1);
    }
    if (start <= to) this.note(kind, start, to, detail);
  }

  private note(
    kind: JournalDamage['kind'],
    from: number,
    to: number | undefined,
    detail: string,
  ): void {
    const last = this.found.at(-1);
    if (
      last !== undefined &&
      last.kind === kind &&
      last.to !== undefined &&
      last.to + 1 === from &&
      (kind !== 'corrupt' || last.detail === detail)
    ) {
      this.found[this.found.length - 1] = { ...last, to };
      return;
    }
    this.found.push({ kind, from, to, detail });
  }
}

/** `entries 3500–3510 fail their checksum`, one line per damaged stretch */
export function describeDamage(damage: JournalDamage): string {
  const range =
    damage.to === undefined
      ? `entries from ${damage.from} on`
      : damage.from === damage.to
        ? `entry ${damage.from}`
        : `entries ${damage.from}–${damage.to}`;
  const verb = damage.to !== undefined && damage.from === damage.to ? 'is' : 'are';
  switch (damage.kind) {
    case 'missing':
      return `${range} ${verb} missing`;
    case 'corrupt':
      return `${range}: ${damage.detail}`;
    case 'unreadable':
      return `${range} ${damage.detail}`;
    case 'torn':
      return `${range}: ${damage.detail} (a torn write; cut when the journal is next written)`;
  }
}
