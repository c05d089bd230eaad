import type { Strategy } from '../../src/runtime/strategy.ts';

/**
 * Wraps a strategy to count what it has done so far (orders asked for, fills), so a live test can
 * stop its run once enough has happened instead of after a fixed time
 */
export function countingStrategy(inner: Strategy): {
  readonly strategy: Strategy;
  readonly orders: () => number;
  readonly fills: () => number;
} {
  let orders = 0;
  let fills = 0;
  const strategy: Strategy = {
    ...inner,
    onOrder(order, change, ctx) {
      if (change === 'requested') orders += 1;
      return inner.onOrder?.call(inner, order, change, ctx);
    },
    onFill(fill, ctx) {
      fills += 1;
      return inner.onFill?.call(inner, fill, ctx);
    },
  };
  return { strategy, orders: () => orders, fills: () => fills };
}
