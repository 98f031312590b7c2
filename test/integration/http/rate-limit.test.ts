// @services redis
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server.js';
import { serviceUrl } from '../../support/services.js';
import { DOCS, INDEX, SCHEMA, testConfig } from '../../support/app.js';
import { tempDir } from '../../support/temp-dir.js';
import { metricValue, redisEnv, send } from '../../support/http-client.js';

const LIMITS = {
  RATE_LIMIT_SEARCH_PER_MINUTE: '5',
  RATE_LIMIT_WRITE_PER_MINUTE: '3',
  RATE_LIMIT_ADMIN_PER_MINUTE: '50',
};

async function serve(dataDir: string, env: Record<string, string>): Promise<RunningServer> {
  const server = await startServer(testConfig(dataDir, { ...LIMITS, ...env }), { handleSignals: false });
  return server;
}

for (const store of ['redis', 'memory'] as const) {
  describe(`rate limits per scope (${store} store)`, { timeout: 60_000 }, () => {
    const dataDir = tempDir('sift-ratelimit-').path;
    let server: RunningServer;
    beforeAll(async () => {
      server = await serve(dataDir, {
        // A namespace of its own: the limit counters in the shared Redis must start at zero for this run.
        CACHE_NAMESPACE: `test-ratelimit-${process.pid}-${Date.now()}`,
        ...(store === 'redis' ? redisEnv(serviceUrl('redis')) : {}),
      });
      await server.service.putIndex(INDEX, SCHEMA);
      await server.service.importDocuments(INDEX, DOCS);
    });
    afterAll(async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('answers limit + 1 with 429 RATE_LIMITED, Retry-After and RateLimit headers, in the error format', async () => {
      const url = `${server.url}/api/indexes/${INDEX}/search?q=dune`;
      const answers = [];
      for (let i = 0; i < 6; i++)
        answers.push(await send(url, { headers: { 'x-forwarded-for': '203.0.113.9' } }));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429]);
      expect(answers[0]!.headers['ratelimit-limit']).toBe('5');
      expect(answers[0]!.headers['ratelimit-remaining']).toBe('4');
      expect(answers[4]!.headers['ratelimit-remaining']).toBe('0');
      const refused = answers[5]!;
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.headers['ratelimit-limit']).toBe('5');
      expect(refused.headers['ratelimit-remaining']).toBe('0');
      expect(Number(refused.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(1);
      expect(refused.headers['content-type']).toMatch(/^application\/json/);
      const body = JSON.parse(refused.body);
      expect(body.error.code).toBe('RATE_LIMITED');
      expect(body.error.message).toMatch(/5 per minute/);
      expect(body.error.details).toMatchObject({ limit: 5, scope: 'search' });
      // Suggest shares the search budget.
      expect((await send(`${server.url}/api/indexes/${INDEX}/suggest?q=du`)).status).toBe(429);
    });

    it('keeps separate budgets per scope, and leaves health and metrics unlimited', async () => {
      const doc = (i: number) =>
        send(`${server.url}/api/indexes/${INDEX}/documents/extra-${i}`, {
          method: 'PUT',
          body: { title: `x${i}` },
        });
      const writes = [];
      for (let i = 0; i < 4; i++) writes.push((await doc(i)).status);
      expect(writes).toEqual([201, 201, 201, 429]);
      expect((await send(`${server.url}/api/indexes/${INDEX}`)).status).toBe(200);
      for (let i = 0; i < 10; i++) expect((await send(`${server.url}/health/live`)).status).toBe(200);
      const metrics = await send(`${server.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metricValue(metrics.body, 'sift_rate_limited_total', { scope: 'write' })).toBeGreaterThanOrEqual(
        1,
      );
    });

    it('ignores X-Forwarded-For from a client that is not a trusted proxy', async () => {
      // The first test spent the search budget of 127.0.0.1; a forged header does not buy a new one.
      const res = await send(`${server.url}/api/search?q=dune`, {
        headers: { 'x-forwarded-for': '198.51.100.7' },
      });
      expect(res.status).toBe(429);
    });
  });
}

describe('rate limits behind a trusted proxy', { timeout: 60_000 }, () => {
  const dataDir = tempDir('sift-ratelimit-proxy-').path;
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve(dataDir, { TRUSTED_PROXIES: '127.0.0.1' });
    await server.service.putIndex(INDEX, SCHEMA);
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts per forwarded client address when the proxy is trusted', async () => {
    const as = (ip: string) =>
      send(`${server.url}/api/indexes/${INDEX}/search?q=x`, { headers: { 'x-forwarded-for': ip } });
    for (let i = 0; i < 5; i++) expect((await as('192.0.2.1')).status).toBe(200);
    expect((await as('192.0.2.1')).status).toBe(429);
    expect((await as('192.0.2.2')).status).toBe(200);
  });
});
