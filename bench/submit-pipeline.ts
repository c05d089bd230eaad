import type { TrackedOrder } from '../src/core/account.ts';
import type { ClientOrderId } from '../src/core/ids.ts';
import { createClientIdGenerator, venueOrderId } from '../src/core/ids.ts';
import type { Instrument } from '../src/core/instrument.ts';
import type { Order, OrderRequest } from '../src/core/order.ts';
import { AccountProcessor } from '../src/engine/account-processor.ts';
import type { Broker, BrokerCapabilities, VenueSink } from '../src/engine/broker.ts';
import { SimulatedClock } from '../src/engine/clock.ts';
import { HealthMonitor } from '../src/engine/health-monitor.ts';
import { silentLogger } from '../src/engine/logger.ts';
import { TradingManager } from '../src/engine/trading-manager.ts';
import type { Figure } from './harness.ts';
import { BENCH_RISK_LIMITS, measurePair, percentile, spread } from './harness.ts';
import { benchInstruments } from './workload.ts';

/** A venue that acknowledges every order the instant it is sent */
class InstantBroker implements Broker {
  readonly exchange = 'bench';
  readonly capabilities: BrokerCapabilities = {
    batch: true,
    maxBatchSize: 50,
    cancelByClientId: true,
    amend: false,
  };
  private sink: VenueSink | undefined;
  private next = 0;
  connect(sink: VenueSink): void {
    this.sink = sink;
  }
  prepare(_request: OrderRequest): void {}
  sendOrderAsync(request: OrderRequest): void {
    this.sink?.emit({
      type: 'orderAccepted',
      exchange: this.exchange,
      clientId: request.clientId,
      venueOrderId: venueOrderId(String(this.next)),
      // Each acknowledgement at a moment of its own, as a venue's are: orders changing status
      // at one moment share an audit entry, which a clock that never moved would flatter
      time: this.next++,
    });
  }
  async sendOrder(request: OrderRequest): Promise<Order> {
    this.sendOrderAsync(request);
    return this.sink?.order(request.clientId) as TrackedOrder;
  }
  async submitOrders(requests: readonly OrderRequest[]): Promise<readonly Order[]> {
    for (const r of requests) this.sendOrderAsync(r);
    return requests.map((r) => this.sink?.order(r.clientId) as TrackedOrder);
  }
  async cancelOrder(): Promise<void> {}
}

function pipeline() {
  const clock = new SimulatedClock(0);
  const account = new AccountProcessor({ exchange: 'bench', clock, logger: silentLogger });
  const health = new HealthMonitor({ clock });
  const trading = new TradingManager({
    brokers: [new InstantBroker()],
    account,
    clock,
    health,
    logger: silentLogger,
    ids: createClientIdGenerator({ instanceTag: 'bench', counterStart: 0 }),
    risk: BENCH_RISK_LIMITS,
  });
  return { trading, account, health };
}

interface FloorOrder {
  readonly request: object;
  status: string;
  venueOrderId: string | undefined;
}

/**
 * The floor: build the request, index the order it becomes (the request with a status and a
 * venue id), acknowledge it; nothing else. The order keeps its request: an index of statuses
 * alone would let the JIT drop the request it never reads, and no implementation can do that
 */
function floorRound(orders: number, instrument: Instrument): number {
  const book = new Map<string, FloorOrder>();
  const start = performance.now();
  for (let i = 0; i < orders; i++) {
    const clientId = `kbench-${i.toString(36)}` as ClientOrderId;
    const request = {
      clientId,
      instrument,
      side: 'BUY',
      quantity: 0.01,
      orderType: 'LIMIT',
      price: 100,
      timeInForce: 'GTC',
      reduceOnly: false,
      options: {},
    };
    book.set(request.clientId, { request, status: 'PENDING', venueOrderId: undefined });
    const order = book.get(request.clientId)!;
    order.status = 'OPEN';
    order.venueOrderId = String(i);
  }
  return performance.now() - start;
}

/** System time and page faults summed over measured rounds */
class TailUsage {
  private orders = 0;
  private faults = 0;
  private user = 0;
  private system = 0;

  add(since: NodeJS.ResourceUsage, orders: number): void {
    const now = process.resourceUsage();
    this.orders += orders;
    this.faults +=
      now.minorPageFault - since.minorPageFault + now.majorPageFault - since.majorPageFault;
    this.user += now.userCPUTime - since.userCPUTime;
    this.system += now.systemCPUTime - since.systemCPUTime;
  }

  faultsPerThousand(): number {
    return (this.faults * 1000) / Math.max(1, this.orders);
  }

  systemShare(): string {
    return `${((100 * this.system) / Math.max(1, this.user + this.system)).toFixed(0)} %`;
  }
}

/** Submit pipeline: tradeAsync → prepare → tracked → instant ack → accepted, per order */
export function benchSubmitPipeline(quick: boolean): Figure[] {
  const [instrument] = benchInstruments(1);
  const perRound = 50_000;
  const rounds = quick ? 3 : 8;
  const warm = pipeline();
  for (let i = 0; i < 20_000; i++) warm.trading.tradeAsync(instrument!, 0.01, 100 + (i % 50) / 100);
  // Throughput in CPU time, rounds interleaved with the floor's; no timer calls inside them.
  // Each side's system time and page faults are summed too: the mean per order far above the
  // median is what an order keeps alive (fresh heap pages faulted in, collections, tables that
  // grow), so these say where the tail comes from
  floorRound(20_000, instrument!);
  const tail = { pipeline: new TailUsage(), floor: new TailUsage() };
  const pair = measurePair(
    () => {
      const since = process.resourceUsage();
      const { trading } = pipeline();
      for (let i = 0; i < perRound; i++)
        trading.tradeAsync(instrument!, 0.01, 100 + (i % 50) / 100);
      tail.pipeline.add(since, perRound);
      return perRound;
    },
    () => {
      const since = process.resourceUsage();
      floorRound(perRound, instrument!);
      tail.floor.add(since, perRound);
      return perRound;
    },
    rounds,
  );
  const orders = perRound * rounds;
  // Per-order time, sampled around single orders in separate rounds
  const samples = new Float64Array(perRound * 2);
  let s = 0;
  for (let r = 0; r < 2; r++) {
    const { trading } = pipeline();
    for (let i = 0; i < perRound; i++) {
      const t0 = performance.now();
      trading.tradeAsync(instrument!, 0.01, 100 + (i % 50) / 100);
      samples[s++] = (performance.now() - t0) * 1000;
    }
  }
  const sorted = Array.from(samples).sort((a, b) => a - b);
  let sampledSum = 0;
  for (const sample of samples) sampledSum += sample;
  const check = pipeline();
  const id = check.trading.tradeAsync(instrument!, 0.01, 100);
  const accepted =
    check.account.findOrder(id)?.status === 'OPEN' &&
    check.health.snapshot().exchanges[0]?.counts.accepted === 1;
  return [
    {
      bench: 'submit pipeline',
      metric: 'orders',
      value: orders,
      unit: 'orders',
      note: accepted ? 'each tracked PENDING, acknowledged, OPEN' : 'CHECK FAILED',
    },
    {
      bench: 'submit pipeline',
      metric: 'throughput',
      value: pair.opsPerCpuSecond,
      unit: 'orders/CPU-s',
      target: '≥ 300 000',
    },
    {
      bench: 'submit pipeline',
      metric: 'per order p50',
      value: percentile(sorted, 0.5),
      unit: 'µs',
    },
    {
      bench: 'submit pipeline',
      metric: 'per order p99',
      value: percentile(sorted, 0.99),
      unit: 'µs',
      target: '< 20',
    },
    {
      bench: 'submit pipeline',
      metric: 'per order mean',
      value: sampledSum / samples.length,
      unit: 'µs',
      note: 'the same single orders as p50 and p99',
    },
    {
      bench: 'submit pipeline',
      metric: 'page faults per 1 000 orders',
      value: tail.pipeline.faultsPerThousand(),
      unit: 'faults',
      note: `floor ${tail.floor.faultsPerThousand().toFixed(0)}; system time ${tail.pipeline.systemShare()} of the CPU (floor ${tail.floor.systemShare()})`,
    },
    {
      bench: 'submit pipeline',
      metric: 'floor (build + index + ack)',
      value: pair.baselineOpsPerCpuSecond,
      unit: 'orders/CPU-s',
    },
    {
      bench: 'submit pipeline',
      metric: 'ratio to floor',
      value: pair.ratio,
      unit: '×',
      target: '≤ 4',
      note: `median of ${rounds} interleaved rounds, ${spread(pair.ratios)}`,
    },
  ];
}
