export type { SimOrderSnapshot } from '../../venues/sim/sim-venue.ts';
export * from '../control-api.ts';
export * from '../faults.ts';
export * from './defaults.ts';
export * from './emulator.ts';
export * from './errors.ts';
export type { RequestRecord } from './rest-api.ts';
export * from './signature.ts';
export type { TradeRecord } from './wire.ts';
