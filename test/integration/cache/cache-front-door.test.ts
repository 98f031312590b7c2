import { describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server.js';
import { INDEX } from '../../support/app.js';
import { seededServer } from '../../support/seeded-server.js';
import { metricValue, send, type Answer } from '../../support/http-client.js';

const metric = async (server: RunningServer, name: string, labels: Record<string, string> = {}) =>
  metricValue((await send(`${server.url}/metrics`)).body, name, labels);
const frontDoorHits = (server: RunningServer) => metric(server, 'sift_cache_front_door_hits_total');

/** The headers a client sees, without those that differ between any two responses. */
const stable = (a: Answer) =>
  Object.fromEntries(
    Object.entries(a.headers).filter(([name]) => name !== 'date' && name !== 'x-request-id'),
  );

/**
 * The front door of the response cache: repeated anonymous GET searches answered from the raw request, before
 * Fastify, exactly as the full path answers them.
 */
describe('response cache front door', { timeout: 60_000 }, () => {
  const server = seededServer('sift-front-door-', { CACHE_TTL_SECONDS: '600', RATE_LIMIT_ENABLED: 'false' });

  it('answers a repeated hit itself, with the bytes, headers and metrics of the full path', async () => {
    const url = `${server.url}/api/indexes/${INDEX}/search?q=dune&size=2`;
    const before = {
      front: await frontDoorHits(server),
      hits: await metric(server, 'sift_cache_requests_total', { operation: 'search', result: 'hit' }),
      requests: await metric(server, 'http_requests_total', {
        route: '/api/indexes/:index/search',
        method: 'GET',
        status: '200',
      }),
    };
    const miss = await send(url);
    const full = await send(url);
    const front = await send(url);
    expect([miss.headers['x-cache'], full.headers['x-cache'], front.headers['x-cache']]).toEqual([
      'MISS',
      'HIT',
      'HIT',
    ]);
    expect(front.body).toBe(miss.body);
    expect(stable(front)).toEqual(stable(full));
    expect(front.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(front.headers['x-request-id']).not.toBe(full.headers['x-request-id']);
    expect(await frontDoorHits(server)).toBe(before.front + 1);
    expect(await metric(server, 'sift_cache_requests_total', { operation: 'search', result: 'hit' })).toBe(
      before.hits + 2,
    );
    expect(
      await metric(server, 'http_requests_total', {
        route: '/api/indexes/:index/search',
        method: 'GET',
        status: '200',
      }),
    ).toBe(before.requests + 3);
  });

  it('serves the default index route, suggestions and encoded queries, keeping a sane request id', async () => {
    for (const path of [
      '/api/search?q=robot',
      `/api/indexes/${INDEX}/suggest?q=fo`,
      `/api/search?q=${encodeURIComponent('dune messiah')}&size=1`,
      `/api/search?q=caf%C3%A9`,
    ]) {
      await send(`${server.url}${path}`);
      await send(`${server.url}${path}`);
      const before = await frontDoorHits(server);
      const again = await send(`${server.url}${path}`, { headers: { 'x-request-id': 'trace-42' } });
      expect(again.headers['x-cache']).toBe('HIT');
      expect(again.headers['x-request-id']).toBe('trace-42');
      expect(await frontDoorHits(server)).toBe(before + 1);
    }
  });

  it('leaves to the full path what it could not answer the same way', async () => {
    const url = `${server.url}/api/indexes/${INDEX}/search?q=emma`;
    await send(url);
    await send(url);
    const before = await frontDoorHits(server);
    // A credential: the full path authenticates it (here: refuses it).
    expect((await send(url, { headers: { 'x-api-key': 'not-a-key' } })).status).toBe(401);
    // An Origin: CORS headers depend on it.
    const cors = await send(url, { headers: { origin: 'http://localhost:3000' } });
    expect([cors.headers['x-cache'], cors.headers['access-control-allow-origin']]).toEqual([
      'HIT',
      'http://localhost:3000',
    ]);
    // Encoded control characters and percent-encoding that is not UTF-8 are refused by the full path, hit or not.
    for (const bad of ['q=%00', 'q=%ff', 'q=a%']) {
      const url = `${server.url}/api/indexes/${INDEX}/search?${bad}`;
      for (let i = 0; i < 3; i++) expect((await send(url)).status).toBe(400);
    }
    // A path the router decodes is its own.
    await send(`${server.url}/api/indexes/bo%6Fks/search?q=emma`);
    expect((await send(`${server.url}/api/indexes/bo%6Fks/search?q=emma`)).headers['x-cache']).toBe('HIT');
    // An unknown index or route is the router's.
    expect((await send(`${server.url}/api/indexes/nope/search?q=emma`)).status).toBe(404);
    expect((await send(`${server.url}/api/indexes/${INDEX}/search/?q=emma`)).status).toBe(404);
    expect(await frontDoorHits(server)).toBe(before);
  });

  it('never serves an entry a write made stale', async () => {
    const search = `${server.url}/api/indexes/${INDEX}/search?q=kite&fields=pages`;
    for (let i = 0; i < 4; i++) {
      await send(search);
      await send(search);
      expect((await send(search)).headers['x-cache']).toBe('HIT');
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
});

describe('response cache front door with the rate limit on', { timeout: 60_000 }, () => {
  const server = seededServer('sift-front-door-limited-', {
    CACHE_TTL_SECONDS: '600',
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_SEARCH_PER_MINUTE: '5',
  });

  it('leaves every hit to the full path, which counts it against the limit', async () => {
    const before = await frontDoorHits(server);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await send(`${server.url}/api/search?q=dune`)).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect(await frontDoorHits(server)).toBe(before);
  });
});
