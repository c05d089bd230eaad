/**
 * Prices and sizes are plain numbers snapped to a step in integer step units, so a value on a
 * step grid is always the double nearest to its decimal (no `0.30000000000000004`). Money
 * amounts (PnL, fees, balances) are snapped to MONEY_DECIMALS after every accumulation.
 */

const POW10: readonly number[] = Array.from({ length: 19 }, (_, i) => 10 ** i);

/**
 * Decimals every money amount is kept at after each accumulation: what venues report fees and
 * balances in, and few enough that sums stay exact (addition order-independent) up to 9e7
 */
export const MONEY_DECIMALS = 8;

/** How many decimals a step has: 0.001 → 3, 1e-8 → 8, 0.5 → 1, 10 → 0 */
export function stepDecimals(step: number): number {
  const text = String(step);
  const exp = text.indexOf('e-');
  if (exp >= 0) {
    const mantissa = text.slice(0, exp);
    const dot = mantissa.indexOf('.');
    return (dot < 0 ? 0 : mantissa.length - dot - 1) + Number(text.slice(exp + 2));
  }
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

function pow10(decimals: number): number {
  return POW10[decimals] ?? 10 ** decimals;
}

/** Rounds to the nearest multiple of step (ties away from zero) */
export function snap(value: number, step: number, decimals: number): number {
  const scale = pow10(decimals);
  const unit = Math.round(step * scale);
  const steps = Math.round((Math.abs(value) * scale) / unit);
  return (Math.sign(value) * steps * unit) / scale || 0;
}

// Tolerance in step units, so 0.3 / 0.1 = 2.9999999999999996 floors to 3, not 2
const STEP_EPSILON = 1e-9;

/** Rounds toward zero onto the step grid */
export function snapDown(value: number, step: number, decimals: number): number {
  const scale = pow10(decimals);
  const unit = Math.round(step * scale);
  const steps = Math.floor((Math.abs(value) * scale) / unit + STEP_EPSILON);
  return (Math.sign(value) * steps * unit) / scale || 0;
}

/** Rounds away from zero onto the step grid */
export function snapUp(value: number, step: number, decimals: number): number {
  const scale = pow10(decimals);
  const unit = Math.round(step * scale);
  const steps = Math.ceil((Math.abs(value) * scale) / unit - STEP_EPSILON);
  return (Math.sign(value) * steps * unit) / scale || 0;
}

/** Whether value lies on the step grid (within float noise) */
export function isOnStep(value: number, step: number, decimals: number): boolean {
  return snap(value, step, decimals) === value;
}

/** Snaps a money amount (PnL, fee, balance) to MONEY_DECIMALS */
export function money(value: number): number {
  return Math.round(value * 1e8) / 1e8 || 0;
}

/**
 * numerator / denominator, each read as an integer count of its decimals' units, so a ratio that
 * is a short decimal comes out as the double nearest to it (33 / 0.3 is 110, not 110.00000000000001);
 * any other ratio is as close as a double gets. Averages use it: exact, and no float noise.
 */
export function quotient(
  numerator: number,
  numeratorDecimals: number,
  denominator: number,
  denominatorDecimals: number,
): number {
  // Both sides as integers in the numerator's units: one division, one rounding
  const shift = numeratorDecimals - denominatorDecimals;
  const top = Math.round(numerator * pow10(numeratorDecimals));
  const bottom = Math.round(denominator * pow10(denominatorDecimals));
  return shift >= 0 ? top / (bottom * pow10(shift)) : (top * pow10(-shift)) / bottom;
}

/** The number of integer units of `decimals` in value, rounded to nearest (for venues that want integers) */
export function toUnits(value: number, decimals: number): number {
  return Math.round(value * pow10(decimals));
}

/**
 * Prints a number with at most `decimals` decimals and no trailing zeros, and never more
 * significant digits than a double holds, so float noise never reaches a report or a log.
 */
export function formatDecimal(value: number, decimals = MONEY_DECIMALS): string {
  if (!Number.isFinite(value)) return String(value);
  const intDigits = Math.abs(value) >= 1 ? Math.floor(Math.log10(Math.abs(value))) + 1 : 1;
  const places = Math.max(0, Math.min(decimals, 15 - intDigits));
  let text = value.toFixed(places);
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  return text === '-0' ? '0' : text;
}
