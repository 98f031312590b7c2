import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { awaitRedis, createRedisClient } from './cache/redis-client.js';
import type { CacheStore } from './cache/store.js';
import type { Config } from './config/config.js';
import { Embedders } from './embedders/embedders.js';
import { createEngine } from './engines/create.js';
import type { Engine } from './engines/engine.js';
import { CursorKeys } from './query/cursor.js';
import { openRecorder } from './analytics/open.js';
import type { AnalyticsRecorder } from './analytics/recorder.js';
import { buildEngineStack } from './service/engine-stack.js';
import { limitsFromConfig } from './service/limits.js';
import { SearchService } from './service/search-service.js';

/**
 * The composition root: the one place that turns a frozen configuration into an engine, the engine stack over
 * it and the SearchService over that. The server, the worker pool's primary and every CLI command build through
 * here, so they cannot drift apart (the limits, the cursor keys, the deadline, write invalidation).
 */
export interface Sift {
  /** The configured engine under the stack, for what must bypass it: API keys never pass the result cache. */
  readonly rawEngine: Engine;
  /** The engine as the service sees it: call metrics, the engine deadline, write invalidation. */
  readonly engine: Engine;
  readonly service: SearchService;
  /** Where the HTTP response cache answers from; null when there is none for this process. */
  readonly store: CacheStore | null;
  /** The shared Redis connection (response cache, rate limits), or null when REDIS_HOST is not set. */
  readonly redis: Redis | null;
  /** Search analytics (ANALYTICS_ENABLED, and only where asked for: a server); null when off. */
  readonly analytics: AnalyticsRecorder | null;
  /** Closes the engine, the store and the Redis connection, after a last analytics flush. */
  close(): Promise<void>;
}

export interface OpenSiftOptions {
  /** Where Redis connection trouble is reported. */
  logger: Logger;
  /**
   * Whether this process answers searches from the response cache (a server): then without Redis it keeps an
   * in-process store. False (the CLI, the pool's primary): only the shared Redis store, to invalidate what the
   * servers cached.
   */
  answersFromCache: boolean;
  /**
   * Whether the embedded engine reads on threads of its own (default): a server's event loop stays free however
   * heavy a search is. A one-shot CLI command reads on its own thread: starting reader threads costs it more than
   * the reads (seconds on a busy machine, when the threads load the engine's code).
   */
  readThreads?: boolean;
  /** Whether this process records search analytics (a server answering searches); default false. */
  analytics?: boolean;
}

/** How long a start waits for Redis before going on without it (it reconnects in the background). */
const REDIS_WAIT_MS = 2000;

/** Opens the configured engine and builds the stack and the service over it; closes the engine if that fails. */
export async function openSift(config: Config, opts: OpenSiftOptions): Promise<Sift> {
  const rawEngine = await createEngine(config, { readThreads: opts.readThreads ?? true });
  await rawEngine.open();
  let redis: Redis | null = null;
  try {
    redis = config.REDIS_HOST ? createRedisClient(config, opts.logger) : null;
    if (redis) await awaitRedis(redis, REDIS_WAIT_MS);
    const stack = buildEngineStack(config, rawEngine, redis, { localStore: opts.answersFromCache });
    // The servers' cursor keys in every process, so a next_cursor from the API pages on in the CLI and back.
    const service = new SearchService(
      stack.engine,
      limitsFromConfig(config),
      CursorKeys.fromConfig(config),
      new Embedders({ deadlineMs: config.EMBEDDER_DEADLINE_MS }),
    );
    const connection = redis;
    const analytics = opts.analytics
      ? await openRecorder(config, (err, what) =>
          opts.logger.warn(
            { err },
            what === 'suggestions'
              ? 'analytics: reloading the popular queries failed; the ones held are still suggested'
              : `analytics ${what} failed; its rows were dropped (counted)`,
          ),
        )
      : null;
    return {
      rawEngine,
      engine: stack.engine,
      service,
      store: stack.store,
      redis: connection,
      analytics,
      async close() {
        try {
          if (analytics) await analytics.close().finally(() => analytics.store.close());
        } catch {
          // A store that is down at shutdown loses the last buffer; the engine must still close.
        }
        try {
          await stack.engine.close();
        } finally {
          await stack.close().catch(() => undefined);
          connection?.disconnect();
        }
      },
    };
  } catch (err) {
    redis?.disconnect();
    await rawEngine.close().catch(() => undefined);
    throw err;
  }
}
