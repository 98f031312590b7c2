import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.js';
import { runStoreConformance } from './store.conformance.js';
import { ANALYTICS_DB_FILE } from './sqlite-store.js';
import { SqliteThreadStore } from './sqlite-thread-store.js';

const dir = tempDir('sift-analytics-thread-');
afterAll(() => dir.remove());

runStoreConformance(
  'sqlite, writes on a writer thread',
  async () => new SqliteThreadStore(join(dir.path, 'conformance', ANALYTICS_DB_FILE)),
);

describe('the SQLite store writing on a thread', () => {
  const record = (at: number) => ({
    at,
    index: 'books',
    query: 'dune',
    filterFields: [],
    hits: 1,
    latencyMs: 1,
    principal: 'anonymous',
  });
  const range = { from: 0, to: 10_000, limit: 10 };

  it('has written everything handed over when close() returns', async () => {
    const file = join(dir.path, 'close', ANALYTICS_DB_FILE);
    const store = new SqliteThreadStore(file);
    await store.migrate();
    const writes = Array.from({ length: 20 }, (_, i) => store.insert([record(i), record(i)], []));
    await store.close();
    await Promise.all(writes);
    const reopened = new SqliteThreadStore(file);
    expect((await reopened.topQueries(range))[0]?.searches).toBe(40);
    await reopened.close();
  });

  it('fails the writes of a thread that died, and writes again on a new thread', async () => {
    const store = new SqliteThreadStore(join(dir.path, 'crash', ANALYTICS_DB_FILE));
    await store.migrate();
    await store.insert([record(1)], []);
    const writer = (store as unknown as { writer: { worker: import('node:worker_threads').Worker } }).writer;
    const pending = store.insert([record(2)], []);
    await writer.worker.terminate();
    await expect(pending).rejects.toThrow(/exited/);
    await store.insert([record(3)], []);
    expect((await store.topQueries(range))[0]?.searches).toBeGreaterThanOrEqual(2);
    await store.close();
  });
});
