import { describe, expect, it } from 'vitest';
import { cachedEngine } from '../../src/cache/cached-engine.js';
import { withCacheStatus, type CacheStatus } from '../../src/cache/cache-status.js';
import { MemoryStore } from '../../src/cache/memory-store.js';
import { SingleFlight } from '../../src/cache/single-flight.js';
import { CacheUnavailableError, type CacheStore } from '../../src/cache/store.js';
import type { Engine } from '../../src/engines/engine.js';
import { deadlineEngine } from '../../src/metrics/deadline-engine.js';
import { SiftError } from '../../src/errors.js';
import { RestartBackoff } from '../../src/workers/backoff.js';

/** A fake engine for the logic of the decorators: counts calls, answers after `delayMs`. */
function countingEngine(delayMs = 0) {
  const calls: string[] = [];
  let version = 0;
  const engine = {
    name: 'fake',
    async search(index: string, request: unknown) {
      calls.push(`search ${index}`);
      await new Promise((r) => setTimeout(r, delayMs));
      return { index, request, version };
    },
    async suggest(index: string) {
      calls.push(`suggest ${index}`);
      return [{ text: `v${version}`, id: '1' }];
    },
    async upsert(index: string) {
      calls.push(`upsert ${index}`);
      version++;
      return { created: true };
    },
    async delete() {
      throw new SiftError('INDEX_NOT_FOUND', 'gone');
    },
    async hasIndex() {
      return true;
    },
  };
  return { engine: engine as unknown as Engine, calls };
}

const withStatus = async <T>(fn: () => Promise<T>): Promise<[T, CacheStatus]> => {
  const status: CacheStatus = {};
  const value = await withCacheStatus(status, fn);
  return [value, status];
};

describe('cached engine', () => {
  const setup = (store: CacheStore = new MemoryStore(100), delayMs = 0) => {
    const { engine, calls } = countingEngine(delayMs);
    const errors: unknown[] = [];
    const cached = cachedEngine(engine, { store, ttlMs: 60_000, onStoreError: (e) => errors.push(e) });
    return { cached, calls, errors };
  };

  it('answers a repeated request from the cache and reports MISS then HIT', async () => {
    const { cached, calls } = setup();
    const [a, s1] = await withStatus(() => cached.search('books', { q: 'dune', size: 10 } as never));
    const [b, s2] = await withStatus(() => cached.search('books', { q: 'dune', size: 10 } as never));
    expect(b).toEqual(a);
    expect([s1.result, s2.result]).toEqual(['MISS', 'HIT']);
    expect(calls).toEqual(['search books']);
    // Another request, another index: their own entries.
    await cached.search('books', { q: 'dune', size: 20 } as never);
    await cached.search('films', { q: 'dune', size: 10 } as never);
    expect(calls).toHaveLength(3);
  });

  it('a write bumps the generation of its index before it resolves', async () => {
    const { cached, calls } = setup();
    await cached.search('books', { q: 'x' } as never);
    await cached.search('films', { q: 'x' } as never);
    await cached.upsert('books', { id: '1', document: {} });
    const after = (await cached.search('books', { q: 'x' } as never)) as unknown as { version: number };
    expect(after.version).toBe(1);
    await cached.search('films', { q: 'x' } as never);
    expect(calls.filter((c) => c === 'search films')).toHaveLength(1);
    expect((await cached.suggest('books', { prefix: 'a', size: 5 })).at(0)?.text).toBe('v1');
  });

  it('a failed write still bumps (it may have stored part of its work) and rethrows', async () => {
    const { cached, calls } = setup();
    await cached.search('books', { q: 'x' } as never);
    await expect(cached.delete('books', '1')).rejects.toMatchObject({ code: 'INDEX_NOT_FOUND' });
    await cached.search('books', { q: 'x' } as never);
    expect(calls.filter((c) => c === 'search books')).toHaveLength(2);
  });

  it('makes one engine call for many identical concurrent misses', async () => {
    const { cached, calls } = setup(new MemoryStore(100), 30);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => withStatus(() => cached.search('books', { q: 'same' } as never))),
    );
    expect(calls).toEqual(['search books']);
    expect(results.filter(([, s]) => s.result === 'MISS')).toHaveLength(1);
  });

  it('serves uncached, never failing, when the store fails', async () => {
    const broken: CacheStore = {
      kind: 'redis',
      lookup: async () => {
        throw new CacheUnavailableError('down');
      },
      put: async () => {
        throw new CacheUnavailableError('down');
      },
      bump: async () => {
        throw new CacheUnavailableError('down');
      },
      close: async () => undefined,
    };
    const { cached, calls, errors } = setup(broken);
    await cached.search('books', { q: 'x' } as never);
    await cached.search('books', { q: 'x' } as never);
    await cached.upsert('books', { id: '1', document: {} });
    expect(calls).toEqual(['search books', 'search books', 'upsert books']);
    expect(errors).toHaveLength(3);
  });

  it('passes reads that are not cached straight through', async () => {
    const { cached } = setup();
    expect(await cached.hasIndex('books')).toBe(true);
    expect(cached.name).toBe('fake');
  });
});

describe('single flight', () => {
  it('keeps a key joinable while the linger step runs, then forgets it', async () => {
    const flights = new SingleFlight<number>();
    let release!: () => void;
    const linger = new Promise<void>((r) => (release = r));
    const first = await flights.do(
      'k',
      async () => 1,
      () => linger,
    );
    expect(first).toEqual({ value: 1, shared: false });
    expect(await flights.do('k', async () => 2)).toEqual({ value: 1, shared: true });
    release();
    await linger;
    await new Promise((r) => setImmediate(r));
    expect(flights.size).toBe(0);
    expect(await flights.do('k', async () => 3)).toEqual({ value: 3, shared: false });
  });

  it('shares a failure with the joiners and forgets it', async () => {
    const flights = new SingleFlight<number>();
    const boom = () => Promise.reject(new Error('boom'));
    await expect(Promise.all([flights.do('k', boom), flights.do('k', boom)])).rejects.toThrow('boom');
    await new Promise((r) => setImmediate(r));
    expect(flights.size).toBe(0);
  });
});

describe('engine deadline', () => {
  it('answers 503 ENGINE_TIMEOUT with a retry hint when the engine is too slow', async () => {
    const { engine } = countingEngine(200);
    const bounded = deadlineEngine(engine, 20);
    const err = await bounded.search('books', {} as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SiftError);
    expect(err).toMatchObject({
      code: 'ENGINE_TIMEOUT',
      status: 503,
      details: { timeout_ms: 20, retry_after: 1 },
    });
  });

  it('lets a fast answer through untouched', async () => {
    const { engine } = countingEngine(0);
    expect(await deadlineEngine(engine, 1000).search('books', { q: 1 } as never)).toMatchObject({
      index: 'books',
    });
  });
});

describe('restart backoff', () => {
  it('restarts at once after a healthy run, then doubles while workers keep dying young, capped', () => {
    const b = new RestartBackoff(100, 1000, 30_000);
    expect([b.next(60_000), b.next(10), b.next(10), b.next(10), b.next(10), b.next(10), b.next(10)]).toEqual([
      0, 100, 200, 400, 800, 1000, 1000,
    ]);
    expect(b.next(45_000)).toBe(0);
  });
});
