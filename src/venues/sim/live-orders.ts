import type { SimOrder } from './matching-engine.ts';

/** Placeholder entries that hold a table's room: a quarter of the room they keep */
const BALLAST = 16;

/**
 * A venue's live orders by clientId, in the order they were placed: a Map that keeps its room.
 * V8 rebuilds a Map's table (a call into the runtime and a new table) when a delete leaves it
 * under a quarter full, and when an insert finds every slot used (deleted entries keep theirs
 * until then), so the few orders of a quoting strategy, all gone and replaced every few seconds,
 * cost a rebuild every second order (about 1 % of a busy backtest's CPU). Sixteen placeholder
 * entries under keys no clientId can be (numbers) keep the table at 64 slots: it is rebuilt once
 * in about 46 orders instead, and never shrinks. Callers never see them.
 */
export class LiveOrders {
  private readonly map = new Map<string | number, SimOrder | undefined>();

  constructor() {
    // Grown to 64 slots, then emptied down to the ballast: a table shrinks only below a quarter
    for (let i = 0; i < 4 * BALLAST; i++) this.map.set(i, undefined);
    for (let i = BALLAST; i < 4 * BALLAST; i++) this.map.delete(i);
  }

  get size(): number {
    return this.map.size - BALLAST;
  }

  get(clientId: string): SimOrder | undefined {
    return this.map.get(clientId);
  }

  has(clientId: string): boolean {
    return this.map.has(clientId);
  }

  set(order: SimOrder): void {
    this.map.set(order.clientId, order);
  }

  delete(clientId: string): void {
    this.map.delete(clientId);
  }

  /** The live orders, in the order they were placed: a list of its own, safe to change them through */
  toArray(): SimOrder[] {
    const orders: SimOrder[] = [];
    for (const order of this.map.values()) if (order !== undefined) orders.push(order);
    return orders;
  }
}
