import cluster from 'node:cluster';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config.js';
import type { Engine } from '../engines/engine.js';
import { CLUSTER_WORKER_ENV } from '../metrics/cluster-metrics.js';
import { deadlineEngine } from '../metrics/deadline-engine.js';
import { measuredEngine } from '../metrics/measured-engine.js';
import { setEngineProbe, siftMetrics } from '../metrics/registry.js';
import { cachedEngine } from './cached-engine.js';
import { ClusterGenerations } from './cluster-generations.js';
import { LocalGenerations, MemoryStore } from './memory-store.js';
import { cacheNamespace } from './namespace.js';
import { RedisStore } from './redis-store.js';
import type { CacheStore } from './store.js';

export interface EngineStack {
  /** What the service talks to: cache -> deadline -> measurement -> the engine. */
  engine: Engine;
  /** null when CACHE_TTL_SECONDS is 0. */
  store: CacheStore | null;
  close(): Promise<void>;
}

/**
 * Picks the cache store: Redis when configured (shared by every process and replica); otherwise in-process, with
 * generations shared over IPC when this process is one of several cluster workers on the same data.
 */
function chooseStore(config: Config, redis: Redis | null): CacheStore | null {
  if (config.CACHE_TTL_SECONDS === 0) return null;
  if (redis) return new RedisStore(redis, cacheNamespace(config));
  const clustered = cluster.isWorker && process.env[CLUSTER_WORKER_ENV] === '1';
  return new MemoryStore(
    config.CACHE_MAX_ENTRIES,
    clustered ? new ClusterGenerations() : new LocalGenerations(),
  );
}

/** Wraps the configured engine with measurement, the engine deadline and the result cache. */
export function buildEngineStack(config: Config, engine: Engine, redis: Redis | null): EngineStack {
  const metrics = siftMetrics();
  setEngineProbe(engine.name, async () => (await engine.health()).ok);
  const bounded = deadlineEngine(measuredEngine(engine, metrics), config.ENGINE_TIMEOUT_MS);
  const store = chooseStore(config, redis);
  if (!store) return { engine: bounded, store: null, close: async () => undefined };
  const cached = cachedEngine(bounded, {
    store,
    ttlMs: config.CACHE_TTL_SECONDS * 1000,
    onStoreError: () => metrics.cacheErrors.inc({ store: store.kind }),
    onLookup: (operation, result) => metrics.cacheRequests.inc({ operation, result }),
  });
  return { engine: cached, store, close: () => store.close() };
}
