import { LRUCache } from 'lru-cache';
import type { CachedBody, CacheStore } from './store.js';

/** Where an in-process store learns and announces generations: a local counter, or the worker pool's (IPC). */
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
 * index, generation and request key. Bodies are kept as bytes: a hit is written to the socket as it is.
 */
export class MemoryStore implements CacheStore {
  readonly kind = 'memory';
  private readonly entries: LRUCache<string, Buffer>;

  constructor(
    maxEntries: number,
    private readonly generations: GenerationSource = new LocalGenerations(),
  ) {
    this.entries = new LRUCache({ max: maxEntries, ttlAutopurge: false });
  }

  async lookup(index: string, hash: string): Promise<{ generation: string; value: CachedBody | undefined }> {
    const generation = this.generations.current(index);
    return { generation, value: this.entries.get(`${index}\u0000${generation}\u0000${hash}`) };
  }

  lookupNow(index: string, hash: string): CachedBody | undefined {
    return this.entries.get(`${index}\u0000${this.generations.current(index)}\u0000${hash}`);
  }

  async put(index: string, generation: string, hash: string, value: string, ttlMs: number): Promise<void> {
    this.entries.set(`${index}\u0000${generation}\u0000${hash}`, Buffer.from(value), { ttl: ttlMs });
  }

  async bump(index: string): Promise<void> {
    await this.generations.bump(index);
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.generations.close?.();
  }
}
