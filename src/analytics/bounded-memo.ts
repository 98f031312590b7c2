/**
 * A memo of at most `maxEntries` values, for work that repeats (cache hits repeat the same request): two plain
 * Maps, the young one taking new entries and the old one read through. When the young one is full it becomes the
 * old one and the previous old one is dropped whole, so what is still asked for survives (it is copied forward
 * on a read) and what is not goes within two turns. Near-LRU at the cost of a Map lookup: an LRU list would cost
 * more per read than the work this memo saves.
 */
export class BoundedMemo<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly perGeneration: number;

  constructor(maxEntries: number) {
    // Both generations together hold at most maxEntries.
    this.perGeneration = Math.max(1, Math.floor(maxEntries / 2));
  }

  get(key: string): V | undefined {
    const young = this.young.get(key);
    if (young !== undefined) return young;
    const old = this.old.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: string, value: V): void {
    if (this.young.size >= this.perGeneration) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  /** How many entries are held, both generations (a key in both counts twice). */
  get size(): number {
    return this.young.size + this.old.size;
  }
}
