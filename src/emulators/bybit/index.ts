export * from './defaults.ts';
export * from './emulator.ts';
export * from './errors.ts';
export type { BybitExecution, BybitOrder, BybitOrderStatus } from './orders.ts';
export type { RequestRecord } from './rest-api.ts';
export { hmacHex } from './signature.ts';
