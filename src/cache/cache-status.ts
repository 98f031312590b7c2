import { AsyncLocalStorage } from 'node:async_hooks';

export type CacheResult = 'HIT' | 'MISS';

/** What the cache did for the request being handled; the HTTP layer turns it into `X-Cache`. */
export interface CacheStatus {
  result?: CacheResult;
}

const context = new AsyncLocalStorage<CacheStatus>();

/** Runs `fn` with a fresh status that cache lookups made inside it (at any async depth) report to. */
export const withCacheStatus = <T>(status: CacheStatus, fn: () => T): T => context.run(status, fn);

/** Records the outcome on the current request, if any. A request that did two lookups reports MISS if any missed. */
export function reportCache(result: CacheResult): void {
  const status = context.getStore();
  if (!status) return;
  status.result = status.result === 'MISS' ? 'MISS' : result;
}
