/**
 * A map that keeps at most `capacity` entries, dropping the oldest inserted first. The order is
 * kept in a ring of keys rather than by iterating the Map, whose deleted slots would make
 * "find the oldest" slower the longer it runs.
 */
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, V>();
  private readonly order: K[] = [];
  private head = 0;
  readonly capacity: number;
  private readonly onEvict: ((key: K, value: V) => void) | undefined;

  /** `onEvict` hears of each entry dropped to stay within capacity (not of deletes) */
  constructor(capacity: number, onEvict?: (key: K, value: V) => void) {
    this.capacity = capacity;
    this.onEvict = onEvict;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  set(key: K, value: V): void {
    const size = this.entries.size;
    this.entries.set(key, value);
    if (this.entries.size === size) return;
    this.order.push(key);
    while (this.entries.size > this.capacity && this.head < this.order.length) {
      const oldest = this.order[this.head]!;
      this.head += 1;
      if (this.onEvict === undefined) this.entries.delete(oldest);
      else {
        const evicted = this.entries.get(oldest);
        if (this.entries.delete(oldest)) this.onEvict(oldest, evicted as V);
      }
    }
    if (this.head > 4096 && this.head * 2 > this.order.length) {
      // Moved down in place: a splice would return the dropped keys as a new array
      this.order.copyWithin(0, this.head);
      this.order.length -= this.head;
      this.head = 0;
    }
  }

  delete(key: K): boolean {
    // The key stays in the ring; evicting it later is a no-op
    return this.entries.delete(key);
  }

  values(): IterableIterator<V> {
    return this.entries.values();
  }

  keys(): IterableIterator<K> {
    return this.entries.keys();
  }
}
