import cluster from 'node:cluster';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config.js';
import type { Engine } from '../engines/engine.js';
import { WorkerPoolGenerations } from '../cache/worker-generations.js';
import { LocalGenerations, MemoryStore } from '../cache/memory-store.js';
import { cacheNamespace } from '../cache/namespace.js';
import { RedisStore } from '../cache/redis-store.js';
import type { CacheStore } from '../cache/store.js';
import { POOL_WORKER_ENV } from '../metrics/worker-metrics.js';
import { setEngineProbe, siftMetrics, type SiftMetrics } from '../metrics/registry.js';
import { withDeadline } from './deadline.js';

export interface EngineStack {
  /** What the service talks to: the engine with call metrics, the engine deadline and write invalidation. */
  engine: Engine;
  /** Where the HTTP response cache keeps answers; null when CACHE_TTL_SECONDS is 0. */
  store: CacheStore | null;
  close(): Promise<void>;
}

/** Engine methods that change nothing; every other method is treated as a write and bumps the generation. */
const READS = new Set<PropertyKey>([
  'name',
  'open',
  'close',
  'health',
  'listIndexes',
  'getIndex',
  'getSchema',
  'hasIndex',
  'get',
  'search',
  'knn',
  'suggest',
  'exportPage',
]);
/** Reads a client waits on: bounded by ENGINE_TIMEOUT_MS. */
const BOUNDED = new Set<PropertyKey>(['search', 'knn', 'suggest', 'exportPage']);

export interface EngineLayerOptions {
  metrics: Pick<SiftMetrics, 'engineDuration'>;
  /** The engine deadline of searches and suggestions. */
  timeoutMs: number;
  /**
   * Called with the index after every write (also a failed one: it may have stored part of its work), before
   * the write's caller is answered; the cache bumps the index's generation here. Its failure is its own concern.
   */
  invalidate?: (index: string) => Promise<void>;
}

type Method = (...args: unknown[]) => Promise<unknown>;

/**
 * The engine as the service sees it, in one layer: every call is timed into
 * `sift_engine_request_duration_seconds{engine, operation, outcome}`, searches and suggestions are bounded by the
 * deadline, and every method that is not a known read is a write that invalidates its index's cached answers
 * after the engine stored it and before its caller hears back — so a reader that starts after a write was
 * acknowledged can never be given an answer from before it. A Proxy, so methods added to the Engine interface
 * later are measured and treated as writes without changes here; each method's wrapper (and its metric
 * children, so no label hashing per call) is built once, on first use.
 */
export function layeredEngine(engine: Engine, opts: EngineLayerOptions): Engine {
  const wrappers = new Map<PropertyKey, Method>();
  const wrap = (prop: string, fn: Method): Method => {
    const labels = { engine: engine.name, operation: prop };
    const ok = opts.metrics.engineDuration.labels({ ...labels, outcome: 'ok' });
    const failed = opts.metrics.engineDuration.labels({ ...labels, outcome: 'error' });
    const timed = (args: unknown[]): Promise<unknown> => {
      const start = performance.now();
      let call: Promise<unknown>;
      try {
        call = fn.apply(engine, args);
      } catch (err) {
        failed.observe((performance.now() - start) / 1000);
        return Promise.reject(err as Error);
      }
      return call.then(
        (value) => {
          ok.observe((performance.now() - start) / 1000);
          return value;
        },
        (err: unknown) => {
          failed.observe((performance.now() - start) / 1000);
          throw err;
        },
      );
    };
    if (BOUNDED.has(prop)) return (...args) => withDeadline(timed(args), prop, opts.timeoutMs);
    const invalidate = opts.invalidate;
    if (READS.has(prop) || !invalidate) return (...args) => timed(args);
    return async (...args) => {
      try {
        return await timed(args);
      } finally {
        if (typeof args[0] === 'string') await invalidate(args[0]);
      }
    };
  };
  return new Proxy(engine, {
    get(target, prop, receiver) {
      const known = wrappers.get(prop);
      if (known) return known;
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      const wrapped = wrap(prop, value as Method);
      wrappers.set(prop, wrapped);
      return wrapped;
    },
  });
}

/**
 * Picks the cache store: Redis when configured (shared by every process and replica); otherwise, for a process
 * that answers from the cache (`local`), in-process, with generations shared over IPC when this process is one
 * of several pool workers on the same data. A process that does not answer (the CLI, the pool's primary) keeps
 * only the shared store, so its writes invalidate what the servers cached.
 */
function chooseStore(config: Config, redis: Redis | null, local: boolean): CacheStore | null {
  if (config.CACHE_TTL_SECONDS === 0) return null;
  if (redis) return new RedisStore(redis, cacheNamespace(config));
  if (!local) return null;
  const pooled = cluster.isWorker && process.env[POOL_WORKER_ENV] === '1';
  return new MemoryStore(
    config.CACHE_MAX_ENTRIES,
    pooled ? new WorkerPoolGenerations() : new LocalGenerations(),
  );
}

/**
 * Wraps the configured engine with measurement, the engine deadline and write invalidation, and picks the store
 * the HTTP response cache (src/http/plugins/response-cache.ts) answers from. `localStore: false` for a process
 * that answers nothing from the cache (see chooseStore).
 */
export function buildEngineStack(
  config: Config,
  engine: Engine,
  redis: Redis | null,
  opts: { localStore?: boolean } = {},
): EngineStack {
  const metrics = siftMetrics();
  setEngineProbe(engine.name, async () => (await engine.health()).ok);
  const store = chooseStore(config, redis, opts.localStore ?? true);
  const layered = layeredEngine(engine, {
    metrics,
    timeoutMs: config.ENGINE_TIMEOUT_MS,
    ...(store
      ? {
          invalidate: (index: string) =>
            store.bump(index).catch(() => metrics.cacheErrors.inc({ store: store.kind })),
        }
      : {}),
  });
  return { engine: layered, store, close: async () => store?.close() };
}
