/**
 * The account's bounded history of finished orders: the last `capacity` orders whose grace window
 * ended, oldest first. It holds the orders themselves, not an index: the account finds them by
 * clientId in its one map of orders, so an order is put into that map once and taken out once,
 * when it drops out of here. The order is kept in a ring (a circular buffer that doubles when
 * full); an order that leaves early (revived by the venue) leaves a hole that is skipped.
 */
export class OrderHistory<T> {
  /** Orders in the order they arrived from `head`, `length` slots of them (holes included) */
  private ring: Array<T | undefined> = emptyRing(16);
  private head = 0;
  private length = 0;
  private count = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** How many orders it holds */
  get size(): number {
    return this.count;
  }

  /** Adds the newest order; returns the oldest when that takes it past capacity (then dropped) */
  push(item: T): T | undefined {
    if (this.length === this.ring.length) this.grow();
    this.ring[(this.head + this.length) & (this.ring.length - 1)] = item;
    this.length += 1;
    this.count += 1;
    if (this.count <= this.capacity) return undefined;
    for (;;) {
      const oldest = this.ring[this.head];
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) & (this.ring.length - 1);
      this.length -= 1;
      if (oldest !== undefined) {
        this.count -= 1;
        return oldest;
      }
    }
  }

  /** Takes an order out wherever it is (a scan: orders rarely leave early); false if absent */
  remove(item: T): boolean {
    const mask = this.ring.length - 1;
    for (let i = 0; i < this.length; i++) {
      const at = (this.head + i) & mask;
      if (this.ring[at] === item) {
        this.ring[at] = undefined;
        this.count -= 1;
        return true;
      }
    }
    return false;
  }

  /** The orders, oldest first */
  *values(): IterableIterator<T> {
    const mask = this.ring.length - 1;
    for (let i = 0; i < this.length; i++) {
      const item = this.ring[(this.head + i) & mask];
      if (item !== undefined) yield item;
    }
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.values();
  }

  /** Doubles the ring, its slots moved to the front in order */
  private grow(): void {
    const ring = this.ring;
    const grown = emptyRing<T>(ring.length * 2);
    for (let i = 0; i < this.length; i++) grown[i] = ring[(this.head + i) & (ring.length - 1)];
    this.ring = grown;
    this.head = 0;
  }
}

/**
 * `size` empty slots that are a list of objects to V8 from the start: a `new Array(size)` is one
 * of small integers until the first order is stored, and code optimized for the history of one
 * run was thrown away at the next run's first. Not made by emptyObjectList: V8 learns from a list
 * made with holes to make every later list of the same literal with holes
 */
function emptyRing<T>(size: number): Array<T | undefined> {
  const ring: Array<T | undefined> = [undefined];
  ring.length = size;
  return ring;
}
