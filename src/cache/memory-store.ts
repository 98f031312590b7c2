import { LRUCache } from 'lru-cache';
import type { CacheStore } from './store.js';

/** Where an in-process store learns and announces generations: a local counter, or the cluster's (IPC). */
export interface GenerationSource {
  current(index: string): string;
  bump(index: string): Promise<void>;
  close?(): void;
}

/** Generations of one process: correct only when nothing else writes to the engine (one worker, no Redis). */
export class LocalGenerations implements GenerationSource {
  private readonly counters = new Map<string, number>();
  current(index: string): string {
    return String(this.counters.get(index) ?? 0);
  }
  async bump(index: string): Promise<void> {
    this.counters.set(index, (this.counters.get(index) ?? 0) + 1);
  }
}

/**
 * Results kept in this process (an LRU bounded by CACHE_MAX_ENTRIES, entries expire after the TTL), keyed by
 * index, generation and request hash. Values are kept as objects: nothing to parse on a hit.
 */
export class MemoryStore implements CacheStore {
  readonly kind = 'memory';
  private readonly entries: LRUCache<string, { value: unknown }>;

  constructor(
    maxEntries: number,
    private readonly generations: GenerationSource = new LocalGenerations(),
  ) {
    this.entries = new LRUCache({ max: maxEntries, ttlAutopurge: false });
  }

  async lookup(index: string, hash: string): Promise<{ generation: string; value: unknown }> {
    const generation = this.generations.current(index);
    return { generation, value: this.entries.get(`${index}\u0000${generation}\u0000${hash}`)?.value };
  }

  async put(index: string, generation: string, hash: string, value: unknown, ttlMs: number): Promise<void> {
    this.entries.set(`${index}\u0000${generation}\u0000${hash}`, { value }, { ttl: ttlMs });
  }

  async bump(index: string): Promise<void> {
    await this.generations.bump(index);
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.generations.close?.();
  }
}
