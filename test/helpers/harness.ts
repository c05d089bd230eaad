import { createClientIdGenerator } from '../../src/core/ids.ts';
import type { Instrument } from '../../src/core/instrument.ts';
import { AccountProcessor } from '../../src/engine/account-processor.ts';
import { SimulatedClock } from '../../src/engine/clock.ts';
import { HealthMonitor } from '../../src/engine/health-monitor.ts';
import { createMemoryLogger } from '../../src/engine/logger.ts';
import type { RiskLimits } from '../../src/engine/risk-gate.ts';
import { TradingManager } from '../../src/engine/trading-manager.ts';
import type { ScriptedBrokerOptions } from './scripted-broker.ts';
import { ScriptedBroker } from './scripted-broker.ts';

/** A TradingManager over one scripted venue, on a simulated clock, logging to memory */
export function createHarness(
  options: ScriptedBrokerOptions & {
    readonly verdictTimeoutMs?: number;
    readonly risk?: RiskLimits;
    readonly referencePrice?: (instrument: Instrument) => number | undefined;
  } = {},
) {
  const clock = new SimulatedClock(1_700_000_000_000);
  const logger = createMemoryLogger();
  const broker = new ScriptedBroker(options);
  const account = new AccountProcessor({
    exchange: broker.exchange,
    clock,
    logger,
    balances: [{ currency: 'USDT', total: 10_000, free: 10_000, locked: 0 }],
  });
  const health = new HealthMonitor({ clock });
  const trading = new TradingManager({
    brokers: [broker],
    account,
    clock,
    health,
    logger,
    ids: createClientIdGenerator({ instanceTag: 'test', counterStart: 0 }),
    ...(options.verdictTimeoutMs === undefined
      ? {}
      : { verdictTimeoutMs: options.verdictTimeoutMs }),
    ...(options.risk === undefined ? {} : { risk: options.risk }),
    ...(options.referencePrice === undefined ? {} : { referencePrice: options.referencePrice }),
  });
  return { clock, logger, broker, account, health, trading };
}
