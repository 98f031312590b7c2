/** A cached answer: the serialized body exactly as it was sent (a store may hand it back as bytes). */
export type CachedBody = string | Buffer;

/**
 * Where cached answers live, together with the per-index generation that keys them. A write bumps the
 * generation, so every entry stored under an older one is unreachable from then on: invalidation is one counter
 * increment, never a scan.
 */
export interface CacheStore {
  readonly kind: 'redis' | 'memory';
  /** The index's current generation and, when present, the entry stored for `hash` under that generation. */
  lookup(index: string, hash: string): Promise<{ generation: string; value: CachedBody | undefined }>;
  /**
   * The entry stored for `hash` under the index's current generation, answered synchronously; only stores that
   * can (in process memory) have it. The same entry `lookup` would find.
   */
  lookupNow?(index: string, hash: string): CachedBody | undefined;
  /** Stores `value` for `hash` under `generation`; entries expire after `ttlMs`. */
  put(index: string, generation: string, hash: string, value: string, ttlMs: number): Promise<void>;
  /** Makes every entry of the index unreachable; resolves once other readers will see the new generation. */
  bump(index: string): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by stores when the backing service cannot answer; the caller serves uncached. */
export class CacheUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CacheUnavailableError';
  }
}
