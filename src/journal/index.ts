export * from './codec.ts';
export { describeDamage } from './integrity.ts';
export * from './journal.ts';
export * from './location.ts';
export * from './open.ts';
export * from './pg-journal.ts';
export * from './sqlite-journal.ts';
export * from './sqlite-repair.ts';
