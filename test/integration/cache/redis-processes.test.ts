// @services redis
import { rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceUrl } from '../../support/services.js';
import { DOCS, INDEX, SCHEMA } from '../../support/app.js';
import { killQuietly, spawnServer, type Child } from '../../support/sift-process.js';
import { tempDir } from '../../support/temp-dir.js';
import { sift } from '../../support/cli.js';
import { redisEnv, send } from '../../support/http-client.js';

/**
 * Two real Sift processes on one data directory and one real Redis: a write acknowledged by one must be visible
 * to a search on the other at once, although both cache results.
 */
describe('result cache shared through Redis by two processes', { timeout: 120_000 }, () => {
  const dataDir = tempDir('sift-cache-redis-').path;
  let a: Child | undefined;
  let b: Child | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });

  beforeAll(async () => {
    const env = {
      DATA_DIR: dataDir,
      DEFAULT_INDEX: INDEX,
      LOG_LEVEL: 'warn',
      CACHE_TTL_SECONDS: '600',
      RATE_LIMIT_ENABLED: 'false',
      ...redisEnv(serviceUrl('redis')),
    };
    a = await spawnServer(env);
    b = await spawnServer(env);
    expect((await send(`${a.url}/api/indexes/${INDEX}`, { method: 'PUT', body: SCHEMA })).status).toBe(201);
    const imported = await send(`${a.url}/api/indexes/${INDEX}/documents`, { method: 'POST', body: DOCS });
    expect(imported.status, imported.body).toBe(200);
  });
  afterAll(() => {
    agent.destroy();
    killQuietly(a);
    killQuietly(b);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers MISS then HIT, and a result cached by one process is a HIT on the other', async () => {
    const q = `/api/indexes/${INDEX}/search?q=desert&facets=genre&size=3`;
    const first = await send(`${a!.url}${q}`, { agent });
    expect(first.status).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    const again = await send(`${a!.url}${q}`, { agent });
    expect(again.headers['x-cache']).toBe('HIT');
    const other = await send(`${b!.url}${q}`, { agent });
    expect(other.headers['x-cache']).toBe('HIT');
    const strip = (body: string) => ({ ...JSON.parse(body), took_ms: 0 });
    expect(strip(other.body)).toEqual(strip(first.body));
    // Suggestions are cached the same way.
    const s1 = await send(`${b!.url}/api/indexes/${INDEX}/suggest?q=dun`, { agent });
    const s2 = await send(`${a!.url}/api/indexes/${INDEX}/suggest?q=dun`, { agent });
    expect([s1.headers['x-cache'], s2.headers['x-cache']]).toEqual(['MISS', 'HIT']);
    expect(s2.body).toBe(s1.body);
  });

  it('read-after-write: every write acknowledged by A is in the next search on B', async () => {
    const search = () =>
      send(`${b!.url}/api/indexes/${INDEX}/search?q=zeppelin&fields=id,title,pages`, { agent });
    for (let i = 0; i < 40; i++) {
      // Warm B's cache entry for the query, so a stale answer would be there to serve.
      const before = await search();
      expect(before.status).toBe(200);
      const writer = i % 3 === 2 ? b! : a!;
      const put = await send(`${writer.url}/api/indexes/${INDEX}/documents/airship`, {
        method: 'PUT',
        body: { title: `Zeppelin edition ${i}`, pages: i },
        agent,
      });
      expect(put.status, put.body).toBeLessThan(300);
      const after = JSON.parse((await search()).body) as { hits: { document: { pages: number } }[] };
      expect(after.hits.map((h) => h.document.pages)).toEqual([i]);
    }
    // A delete is a write too.
    expect(
      (await send(`${a!.url}/api/indexes/${INDEX}/documents/airship`, { method: 'DELETE', agent })).status,
    ).toBe(204);
    expect(JSON.parse((await search()).body).total).toBe(0);
  });

  it('a batch import on one process invalidates the other', async () => {
    const q = `${a!.url}/api/indexes/${INDEX}/search?q=balloon&size=0`;
    expect(JSON.parse((await send(q, { agent })).body).total).toBe(0);
    expect(JSON.parse((await send(q, { agent })).body).total).toBe(0);
    const items = Array.from({ length: 25 }, (_, i) => ({ id: `balloon-${i}`, title: `Balloon ${i}` }));
    const res = await send(`${b!.url}/api/indexes/${INDEX}/documents`, {
      method: 'POST',
      body: items,
      agent,
    });
    expect(JSON.parse(res.body).indexed).toBe(25);
    const after = await send(q, { agent });
    expect(after.headers['x-cache']).toBe('MISS');
    expect(JSON.parse(after.body).total).toBe(25);
  });

  it('a `sift import` run beside the servers invalidates what they cached', async () => {
    const q = `${a!.url}/api/indexes/${INDEX}/search?q=dirigible&size=0`;
    expect(JSON.parse((await send(q, { agent })).body).total).toBe(0);
    expect((await send(q, { agent })).headers['x-cache']).toBe('HIT');
    const ndjson = Array.from({ length: 5 }, (_, i) =>
      JSON.stringify({ id: `dirigible-${i}`, title: `Dirigible ${i}` }),
    ).join('\n');
    const run = sift(dataDir, ['import', '-', '--index', INDEX, '--format', 'ndjson'], {
      input: ndjson,
      env: { DEFAULT_INDEX: INDEX, ...redisEnv(serviceUrl('redis')) },
    });
    expect(run.code, run.stderr).toBe(0);
    const after = await send(q, { agent });
    expect(after.headers['x-cache']).toBe('MISS');
    expect(JSON.parse(after.body).total).toBe(5);
  });
});
