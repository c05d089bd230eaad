import { invalidField } from '../../core/errors.ts';

/** The default funding interval of perpetuals: every 8 hours, at 00:00, 08:00 and 16:00 UTC */
export const FUNDING_INTERVAL_MS = 8 * 3_600_000;

/**
 * When a perpetual's funding settles on the simulated venue, and at what rate (a fraction of the
 * position's value at mark; positive: longs pay shorts). Either one rate every `intervalMs`, at
 * multiples of the interval since the epoch (as venues settle at fixed times of day), or a table
 * of settlement times and their rates (a venue's funding history).
 */
export type FundingSchedule =
  | { readonly type: 'fixed'; readonly rate: number; readonly intervalMs: number }
  | {
      readonly type: 'table';
      readonly times: readonly number[];
      readonly rates: readonly number[];
    };

/**
 * Checks a schedule once, where it is given, so the venue can trust it.
 * @throws KestrelError INVALID_ARGUMENT naming the bad field
 */
export function checkFundingSchedule(symbol: string, schedule: FundingSchedule): FundingSchedule {
  if (schedule.type === 'fixed') {
    if (!Number.isFinite(schedule.rate) || Math.abs(schedule.rate) >= 1)
      throw invalidField(
        'INVALID_ARGUMENT',
        `funding.${symbol}.rate`,
        schedule.rate,
        'must be a fraction of position value between -1 and 1',
      );
    if (!Number.isFinite(schedule.intervalMs) || schedule.intervalMs < 1000)
      throw invalidField(
        'INVALID_ARGUMENT',
        `funding.${symbol}.intervalMs`,
        schedule.intervalMs,
        'must be at least 1000 ms',
      );
    return schedule;
  }
  if (schedule.times.length !== schedule.rates.length)
    throw invalidField(
      'INVALID_ARGUMENT',
      `funding.${symbol}.rates`,
      schedule.rates.length,
      `must have one rate per time (${schedule.times.length} times)`,
    );
  for (let i = 0; i < schedule.times.length; i++) {
    const time = schedule.times[i]!;
    const rate = schedule.rates[i]!;
    if (!Number.isFinite(time) || (i > 0 && time <= schedule.times[i - 1]!))
      throw invalidField(
        'INVALID_ARGUMENT',
        `funding.${symbol}.times[${i}]`,
        time,
        'must be finite and later than the time before it',
      );
    if (!Number.isFinite(rate) || Math.abs(rate) >= 1)
      throw invalidField(
        'INVALID_ARGUMENT',
        `funding.${symbol}.rates[${i}]`,
        rate,
        'must be a fraction of position value between -1 and 1',
      );
  }
  return schedule;
}

/** Walks a schedule forward from a point in time: the next settlement, its rate, then the one after */
export class FundingCursor {
  private readonly schedule: FundingSchedule;
  private index = 0;
  /** The next settlement time; Infinity when the table has no more */
  next = Number.POSITIVE_INFINITY;
  /** The rate of the next settlement */
  rate = 0;

  /** Starts at the first settlement strictly after `after` */
  constructor(schedule: FundingSchedule, after: number) {
    this.schedule = schedule;
    if (schedule.type === 'fixed') {
      this.next = (Math.floor(after / schedule.intervalMs) + 1) * schedule.intervalMs;
      this.rate = schedule.rate;
    } else {
      while (this.index < schedule.times.length && schedule.times[this.index]! <= after)
        this.index += 1;
      this.load();
    }
  }

  /** Moves to the settlement after the current one */
  advance(): void {
    if (this.schedule.type === 'fixed') {
      this.next += this.schedule.intervalMs;
      return;
    }
    this.index += 1;
    this.load();
  }

  private load(): void {
    if (this.schedule.type !== 'table') return;
    this.next = this.schedule.times[this.index] ?? Number.POSITIVE_INFINITY;
    this.rate = this.schedule.rates[this.index] ?? 0;
  }
}
