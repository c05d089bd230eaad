/**
 * Unit conversions at the Lighter boundary. The venue mixes timestamp units between fields and
 * over time (orders in seconds in 2025 captures and milliseconds in 2026; trades in ms;
 * `transaction_time` in µs), so timestamps are normalised by magnitude; fees are millionths of
 * notional (FeeTick = 1 000 000 is 100 %).
 */

const FEE_TICK = 1_000_000;

/** A venue timestamp in seconds, ms, µs or ns, as ms since the epoch */
export function toMilliseconds(value: number): number {
  const magnitude = Math.abs(value);
  if (magnitude === 0) return 0;
  // Below 1e11 it is seconds (1e11 s is the year 5138; 1e11 ms would be 1973)
  if (magnitude < 1e11) return value * 1000;
  if (magnitude < 1e14) return value;
  if (magnitude < 1e17) return Math.floor(value / 1000);
  return Math.floor(value / 1e6);
}

/** A fee in millionths of notional as a fraction: 196 → 0.000196 */
export function feeRate(millionths: number): number {
  return millionths / FEE_TICK;
}

/** Parses a decimal string the schema already checked; "-0.000000" is 0 */
export function decimal(text: string): number {
  return Number(text) || 0;
}
