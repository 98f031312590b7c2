import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';

/**
 * The Redis connection the cache and the rate limiter share. Built to fail fast rather than queue: no offline
 * queue (a command while disconnected fails at once), no per-command retries, a short command timeout; the
 * connection itself reconnects forever with a capped backoff. The callers serve without Redis meanwhile.
 */
export function createRedisClient(config: Config, logger: Logger): Redis {
  const client = new Redis({
    host: config.REDIS_HOST,
    port: config.REDIS_PORT,
    db: config.REDIS_DB,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: Math.max(1000, config.REDIS_COMMAND_TIMEOUT_MS * 4),
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
    connectionName: 'sift',
  });
  // One line when Redis goes away and one when it is back, not one per failed command or reconnect attempt.
  let down = false;
  client.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.warn(
      { err: err.message, redis: `${config.REDIS_HOST}:${config.REDIS_PORT}` },
      'redis unavailable: serving uncached and rate limiting without redis until it is back',
    );
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ redis: `${config.REDIS_HOST}:${config.REDIS_PORT}` }, 'redis reconnected');
  });
  return client;
}

/**
 * Waits (at most `timeoutMs`) for the first connection, so a normal start counts and caches from the first
 * request; a Redis that is down does not hold the start up — the server runs without it until it is back.
 */
export async function awaitRedis(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return true;
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    const onReady = () => done(true);
    function done(ok: boolean) {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ok);
    }
    client.on('ready', onReady);
  });
}
