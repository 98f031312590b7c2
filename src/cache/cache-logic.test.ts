import { describe, expect, it } from 'vitest';
import client from 'prom-client';
import { layeredEngine } from '../service/engine-stack.js';
import { MemoryStore } from './memory-store.js';
import type { Engine } from '../engines/engine.js';
import { SiftError } from '../errors.js';
import { RestartBackoff } from '../workers/backoff.js';

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

const histogram = () =>
  new client.Histogram({
    name: 'test_engine_duration',
    help: 'test',
    labelNames: ['engine', 'operation', 'outcome'],
    registers: [],
  });

describe('layered engine: measurement, deadline and write invalidation in one layer', () => {
  const setup = (delayMs = 0, timeoutMs = 60_000) => {
    const { engine, calls } = countingEngine(delayMs);
    const invalidated: string[] = [];
    const engineDuration = histogram();
    const layered = layeredEngine(engine, {
      metrics: { engineDuration },
      timeoutMs,
      invalidate: async (index) => {
        invalidated.push(index);
        calls.push(`invalidate ${index}`);
      },
    });
    const count = async (operation: string, outcome: string) =>
      (await engineDuration.get()).values.find(
        (v) =>
          v.metricName === 'test_engine_duration_count' &&
          v.labels.operation === operation &&
          v.labels.outcome === outcome,
      )?.value ?? 0;
    return { layered, calls, invalidated, count };
  };

  it('invalidates the index of a write after the engine stored it and before the caller is answered', async () => {
    const { layered, calls } = setup();
    await layered.search('books', { q: 'x' } as never);
    await layered.upsert('books', { id: '1', document: {} });
    calls.push('answered');
    expect(calls).toEqual(['search books', 'upsert books', 'invalidate books', 'answered']);
  });

  it('a failed write still invalidates (it may have stored part of its work) and rethrows', async () => {
    const { layered, invalidated, count } = setup();
    await expect(layered.delete('books', '1')).rejects.toMatchObject({ code: 'INDEX_NOT_FOUND' });
    expect(invalidated).toEqual(['books']);
    expect(await count('delete', 'error')).toBe(1);
  });

  it('times every call by operation and outcome; reads invalidate nothing', async () => {
    const { layered, invalidated, count } = setup();
    await layered.search('books', {} as never);
    await layered.search('books', {} as never);
    await layered.suggest('books', { prefix: 'a', size: 5 });
    expect(await layered.hasIndex('books')).toBe(true);
    expect(layered.name).toBe('fake');
    expect(await count('search', 'ok')).toBe(2);
    expect(await count('suggest', 'ok')).toBe(1);
    expect(await count('hasIndex', 'ok')).toBe(1);
    expect(invalidated).toEqual([]);
    // Each method's wrapper is built once.
    expect(layered.search).toBe(layered.search);
  });

  it('answers 504 ENGINE_TIMEOUT with a retry hint when the engine is too slow', async () => {
    const { layered } = setup(200, 20);
    const err = await layered.search('books', {} as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SiftError);
    expect(err).toMatchObject({
      code: 'ENGINE_TIMEOUT',
      status: 504,
      details: { timeout_ms: 20, retry_after: 1 },
    });
  });

  it('lets a fast answer through untouched', async () => {
    const { layered } = setup(0, 1000);
    expect(await layered.search('books', { q: 1 } as never)).toMatchObject({ index: 'books' });
  });
});

describe('memory store', () => {
  it('keys entries by index and generation; a bump makes the old ones unreachable', async () => {
    const store = new MemoryStore(100);
    const { generation } = await store.lookup('books', 'k');
    await store.put('books', generation, 'k', '{"a":1}', 60_000);
    expect(String((await store.lookup('books', 'k')).value)).toBe('{"a":1}');
    expect((await store.lookup('films', 'k')).value).toBeUndefined();
    await store.bump('books');
    expect((await store.lookup('books', 'k')).value).toBeUndefined();
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
