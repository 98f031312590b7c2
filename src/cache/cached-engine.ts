import { createHash } from 'node:crypto';
import type { Engine } from '../engines/engine.js';
import { reportCache } from './cache-status.js';
import { SingleFlight } from './single-flight.js';
import type { CacheStore } from './store.js';

/** Engine methods that change nothing; every other method is treated as a write and bumps the generation. */
const READS = new Set<PropertyKey>([
  'name',
  'open',
  'close',
  'health',
  'listIndexes',
  'getIndex',
  'hasIndex',
  'get',
  'search',
  'suggest',
]);

export interface CachedEngineOptions {
  store: CacheStore;
  ttlMs: number;
  /** A store failure: the request went on uncached. */
  onStoreError(err: unknown): void;
  onLookup?(operation: 'search' | 'suggest', result: 'hit' | 'miss' | 'bypass'): void;
}

/** The cache key of a request: the engine-level request is already normalized (defaults filled, filters parsed). */
export const requestHash = (operation: string, request: unknown): string =>
  createHash('sha256').update(operation).update('\u0000').update(JSON.stringify(request)).digest('base64url');

/**
 * Wraps an engine with the result cache. search and suggest are answered from the store when an entry exists
 * under the index's current generation; concurrent identical misses share one engine call. Every other method
 * (writes, index changes, reindex — including ones added to the interface later) bumps the index's generation
 * after the engine has stored the change and before the caller is answered, so a reader that starts after a
 * write was acknowledged can never be given a result from before it.
 */
export function cachedEngine(engine: Engine, opts: CachedEngineOptions): Engine {
  const { store, ttlMs } = opts;
  const flights = new SingleFlight<unknown>();

  async function read(operation: 'search' | 'suggest', index: string, request: unknown): Promise<unknown> {
    const call = () =>
      (engine[operation] as (i: string, r: unknown) => Promise<unknown>).call(engine, index, request);
    const hash = requestHash(operation, request);
    let generation: string;
    try {
      const found = await store.lookup(index, hash);
      if (found.value !== undefined) {
        opts.onLookup?.(operation, 'hit');
        reportCache('HIT');
        return found.value;
      }
      generation = found.generation;
    } catch (err) {
      opts.onStoreError(err);
      opts.onLookup?.(operation, 'bypass');
      reportCache('MISS');
      return call();
    }
    const { value, shared } = await flights.do(`${index}\u0000${generation}\u0000${hash}`, call, (result) =>
      // The answer does not wait for the store, and a store failure must not fail the request.
      store.put(index, generation, hash, result, ttlMs).catch(opts.onStoreError),
    );
    opts.onLookup?.(operation, shared ? 'hit' : 'miss');
    reportCache(shared ? 'HIT' : 'MISS');
    return value;
  }

  async function write(method: PropertyKey, args: unknown[]): Promise<unknown> {
    const fn = Reflect.get(engine, method) as (...a: unknown[]) => Promise<unknown>;
    try {
      return await fn.apply(engine, args);
    } finally {
      // Also after a failed write: it may have stored part of its work, and one extra miss costs little.
      if (typeof args[0] === 'string') await store.bump(args[0]).catch(opts.onStoreError);
    }
  }

  return new Proxy(engine, {
    get(target, prop, receiver) {
      if (prop === 'search' || prop === 'suggest')
        return (index: string, request: unknown) => read(prop, index, request);
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (READS.has(prop)) return (value as (...a: unknown[]) => unknown).bind(target);
      return (...args: unknown[]) => write(prop, args);
    },
  });
}
