export * from './latency.ts';
export * from './matching-engine.ts';
export * from './paper-venue.ts';
export * from './sim-broker.ts';
export * from './sim-venue.ts';
