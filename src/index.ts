export * from './core/index.ts';
export * from './engine/index.ts';
export * from './journal/index.ts';
export * from './runtime/index.ts';
export * from './venues/ccxt/index.ts';
export * from './venues/lighter/index.ts';
export * from './venues/sim/index.ts';
