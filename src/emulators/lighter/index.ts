export * from './emulator.ts';
export * from './exchange.ts';
export * from './faults.ts';
export * from './markets.ts';
export * from './protocol.ts';
