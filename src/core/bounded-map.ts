/**
 * A map that keeps at most `capacity` entries, dropping the oldest inserted first. The insertion
 * order is kept in a ring of keys (a circular buffer that doubles when full) rather than by
 * iterating the Map, whose deleted slots would make "find the oldest" slower the longer it runs;
 * the ring never moves or splices its keys.
 */
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, V>();
  /** Keys in insertion order from `head`, `count` of them; its length is a power of two */
  private ring: Array<K | undefined> = new Array(16);
  private head = 0;
  private count = 0;
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
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = key;
    this.count += 1;
    while (this.entries.size > this.capacity && this.count > 0) {
      const oldest = this.ring[this.head] as K;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) & (this.ring.length - 1);
      this.count -= 1;
      if (this.onEvict === undefined) this.entries.delete(oldest);
      else {
        const evicted = this.entries.get(oldest);
        if (this.entries.delete(oldest)) this.onEvict(oldest, evicted as V);
      }
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

  /** Doubles the ring, its keys moved to the front in order */
  private grow(): void {
    const ring = this.ring;
    const grown: Array<K | undefined> = new Array(ring.length * 2);
    for (let i = 0; i < this.count; i++) grown[i] = ring[(this.head + i) & (ring.length - 1)];
    this.ring = grown;
    this.head = 0;
  }
}
