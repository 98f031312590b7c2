import { describe, expect, it } from 'vitest';
import { normalizedQuery } from '../../../src/http/plugins/response-cache.js';
import type { RunningServer } from '../../../src/server.js';
import { INDEX } from '../../support/app.js';
import { seededServer } from '../../support/seeded-server.js';
import { metricValue, send } from '../../support/http-client.js';

const engineSearches = async (server: RunningServer) =>
  metricValue((await send(`${server.url}/metrics`)).body, 'sift_engine_request_duration_seconds_count', {
    operation: 'search',
  });

/** The response cache of one real server: hits are answered from the raw request, before the engine. */
describe('response cache', { timeout: 60_000 }, () => {
  const server = seededServer('sift-response-cache-', {
    CACHE_TTL_SECONDS: '600',
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_SEARCH_PER_MINUTE: '40',
  });

  it('answers a hit with the stored bytes, without an engine call, whatever the parameter order', async () => {
    const before = await engineSearches(server);
    const first = await send(`${server.url}/api/indexes/${INDEX}/search?q=dune&size=2&facets=genre`);
    const again = await send(`${server.url}/api/indexes/${INDEX}/search?facets=genre&size=2&q=dune`);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect([first.headers['x-cache'], again.headers['x-cache']]).toEqual(['MISS', 'HIT']);
    expect(again.body).toBe(first.body);
    expect(again.headers['content-type']).toBe('application/json; charset=utf-8');
    // The per-request headers are still those of this request.
    expect(again.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
    expect(again.headers['x-content-type-options']).toBe('nosniff');
    expect(await engineSearches(server)).toBe(before + 1);
    // Any other parameter value is another entry.
    const other = await send(`${server.url}/api/indexes/${INDEX}/search?q=dune&size=3&facets=genre`);
    expect(other.headers['x-cache']).toBe('MISS');
  });

  it('keys POST searches by their body, and GET and POST apart', async () => {
    const url = `${server.url}/api/indexes/${INDEX}/search`;
    const a = await send(url, { method: 'POST', body: { q: 'empire', size: 2 } });
    const b = await send(url, { method: 'POST', body: { q: 'empire', size: 2 } });
    const c = await send(url, { method: 'POST', body: { q: 'empire', size: 1 } });
    expect([a.headers['x-cache'], b.headers['x-cache'], c.headers['x-cache']]).toEqual([
      'MISS',
      'HIT',
      'MISS',
    ]);
    expect(JSON.parse(c.body).hits).toHaveLength(1);
    expect((await send(`${url}?q=empire&size=2`)).headers['x-cache']).toBe('MISS');
  });

  it('never stores an error, and refuses bad input on a cached path', async () => {
    for (let i = 0; i < 2; i++) {
      const bad = await send(`${server.url}/api/indexes/${INDEX}/search?q=dune&size=abc`);
      expect(bad.status).toBe(400);
      expect(bad.headers['x-cache']).toBeUndefined();
    }
    const missing = await send(`${server.url}/api/indexes/nope/search?q=dune`);
    expect(missing.status).toBe(404);
  });

  it('a write is in the next search: the entry it made stale is never served', async () => {
    const search = `${server.url}/api/indexes/${INDEX}/search?q=kite&fields=pages`;
    for (let i = 0; i < 5; i++) {
      await send(search);
      await send(search);
      const put = await send(`${server.url}/api/indexes/${INDEX}/documents/kite`, {
        method: 'PUT',
        body: { title: 'Kite', pages: i },
      });
      expect(put.status).toBeLessThan(300);
      const after = await send(search);
      expect(after.headers['x-cache']).toBe('MISS');
      expect(
        JSON.parse(after.body).hits.map((h: { document: { pages: number } }) => h.document.pages),
      ).toEqual([i]);
    }
  });

  it('counts hits against the rate limit: a hit is refused once the budget is spent', async () => {
    const url = `${server.url}/api/indexes/${INDEX}/search?q=planet`;
    const statuses: number[] = [];
    for (let i = 0; i < 45; i++) statuses.push((await send(url)).status);
    expect(statuses).toContain(429);
    const refused = await send(url);
    expect(refused.status).toBe(429);
    expect(refused.headers['x-cache']).toBeUndefined();
  });
});

describe('normalizedQuery', () => {
  it('orders parameters by name, keeping repeated names in their order', () => {
    expect(normalizedQuery('/api/search')).toBe('');
    expect(normalizedQuery('/api/search?q=a')).toBe('q=a');
    expect(normalizedQuery('/api/search?size=5&q=a&facets=b&facets=a')).toBe('facets=b&facets=a&q=a&size=5');
  });
});
