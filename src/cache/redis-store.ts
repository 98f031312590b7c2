import type { Redis } from 'ioredis';
import { CacheUnavailableError, type CachedBody, type CacheStore } from './store.js';

// Reads the generation and the entry stored under it in one round trip: a separate GET of the generation first
// would double every lookup's latency.
const LOOKUP = `local g = redis.call('GET', KEYS[1]) or '0'
return {g, redis.call('GET', ARGV[1] .. g .. ':' .. ARGV[2])}`;

type LookupClient = Redis & {
  // The Buffer form (ioredis defines it beside every custom command): the body goes to the socket undecoded.
  siftCacheLookupBuffer(genKey: string, prefix: string, hash: string): Promise<[Buffer, Buffer | null]>;
};

/**
 * Results and generations in Redis, shared by every worker and replica that points at it: a write acknowledged
 * by any of them is seen by all the next request after. Failures surface as CacheUnavailableError (the caller
 * serves uncached). A bump that failed is retried when the connection is back, so entries cached before the
 * write cannot be served once Redis answers again.
 */
export class RedisStore implements CacheStore {
  readonly kind = 'redis';
  private readonly client: LookupClient;
  private readonly missedBumps = new Set<string>();
  private readonly generationKey = (index: string) => `${this.namespace}cache:gen:${index}`;
  private readonly entryPrefix = (index: string) => `${this.namespace}cache:entry:${index}:`;

  /** `namespace`: prefix of every key (see cacheNamespace), so deployments sharing a Redis stay apart. */
  constructor(
    client: Redis,
    private readonly namespace: string,
  ) {
    client.defineCommand('siftCacheLookup', { numberOfKeys: 1, lua: LOOKUP });
    this.client = client as LookupClient;
    client.on('ready', () => void this.replayBumps());
  }

  private async replayBumps(): Promise<void> {
    for (const index of [...this.missedBumps]) {
      try {
        await this.client.incr(this.generationKey(index));
        this.missedBumps.delete(index);
      } catch {
        return; // still down; the next 'ready' tries again
      }
    }
  }

  async lookup(index: string, hash: string): Promise<{ generation: string; value: CachedBody | undefined }> {
    let reply: [Buffer, Buffer | null];
    try {
      reply = await this.client.siftCacheLookupBuffer(
        this.generationKey(index),
        this.entryPrefix(index),
        hash,
      );
    } catch (err) {
      throw new CacheUnavailableError(`redis lookup failed: ${(err as Error).message}`, { cause: err });
    }
    const generation = reply[0].toString();
    const raw = reply[1];
    // This process lost a bump while Redis was away: until it is replayed, nothing cached is trustworthy.
    if (this.missedBumps.has(index)) return { generation: `${generation}-stale`, value: undefined };
    return { generation, value: raw ?? undefined };
  }

  async put(index: string, generation: string, hash: string, value: string, ttlMs: number): Promise<void> {
    if (generation.endsWith('-stale')) return;
    try {
      await this.client.set(`${this.entryPrefix(index)}${generation}:${hash}`, value, 'PX', ttlMs);
    } catch (err) {
      throw new CacheUnavailableError(`redis store failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async bump(index: string): Promise<void> {
    try {
      await this.client.incr(this.generationKey(index));
    } catch (err) {
      this.missedBumps.add(index);
      throw new CacheUnavailableError(`redis generation bump failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async close(): Promise<void> {
    // The client belongs to whoever created it (it is shared with the rate limiter).
  }
}
