export * from './codec.ts';
export * from './journal.ts';
export * from './sqlite-journal.ts';
