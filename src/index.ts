export * from './core/index.ts';
export * from './engine/index.ts';
export * from './runtime/index.ts';
export * from './venues/sim/index.ts';
