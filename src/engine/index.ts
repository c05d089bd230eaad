export * from './account-processor.ts';
export * from './broker.ts';
export * from './clock.ts';
export * from './composite-account-processor.ts';
export * from './health-monitor.ts';
export * from './logger.ts';
export * from './rejection-boundary.ts';
export * from './trading-manager.ts';
