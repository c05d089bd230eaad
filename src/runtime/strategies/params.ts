import { invalidField, KestrelError } from '../../core/errors.ts';
import type { Strategy, StrategyContext } from '../strategy.ts';

/**
 * A numeric parameter from `ctx.params`, or `fallback` when absent.
 * @throws KestrelError INVALID_ARGUMENT naming the parameter when it is not a number above `min`
 * (or not an integer when one is asked for)
 */
export function numberParam(
  ctx: StrategyContext,
  name: string,
  fallback: number,
  options: { readonly min?: number; readonly integer?: boolean } = {},
): number {
  const raw = ctx.params[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const min = options.min ?? 0;
  if (raw.trim() === '' || !Number.isFinite(value) || value <= min)
    throw invalidField('INVALID_ARGUMENT', name, raw, `must be a number above ${min}`);
  if (options.integer === true && !Number.isInteger(value))
    throw invalidField('INVALID_ARGUMENT', name, raw, 'must be a whole number');
  return value;
}

/**
 * Refuses parameter names the strategy does not declare (when it declares any): a misspelt
 * `--param` would otherwise run with the default and look like a result.
 * @throws KestrelError INVALID_ARGUMENT naming the unknown parameter and the known ones
 */
export function checkParameterNames(strategy: Strategy, names: Iterable<string>): void {
  const declared = strategy.parameters;
  if (declared === undefined) return;
  for (const name of names) {
    if (!Object.hasOwn(declared, name))
      throw new KestrelError(
        'INVALID_ARGUMENT',
        `unknown parameter ${JSON.stringify(name)}: strategy ${strategy.name ?? '(unnamed)'} takes ${Object.keys(declared).join(', ')}`,
        { field: 'param', value: name },
      );
  }
}
