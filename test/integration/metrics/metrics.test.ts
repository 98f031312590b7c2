// @services redis
import { describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server.js';
import { serviceUrl } from '../../support/services.js';
import { INDEX } from '../../support/app.js';
import { seededServer } from '../../support/seeded-server.js';
import { metricValue, redisEnv, send } from '../../support/http-client.js';

async function scrape(server: RunningServer): Promise<string> {
  const res = await send(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  return res.body;
}

describe('Prometheus metrics of one process', { timeout: 60_000 }, () => {
  const server = seededServer('sift-metrics-', { CACHE_TTL_SECONDS: '600' });

  it('counts requests by route pattern, method and status, with durations and the in-flight gauge', async () => {
    const before = await scrape(server);
    const route = { route: '/api/indexes/:index/search', method: 'GET', status: '200' };
    for (const q of ['dune', 'empire', 'dune'])
      await send(`${server.url}/api/indexes/${INDEX}/search?q=${q}`);
    expect((await send(`${server.url}/api/indexes/${INDEX}/search?size=abc`)).status).toBe(400);
    expect((await send(`${server.url}/no/such/path-123`)).status).toBe(404);
    const after = await scrape(server);
    const delta = (name: string, labels: Record<string, string>) =>
      metricValue(after, name, labels) - metricValue(before, name, labels);
    expect(delta('http_requests_total', route)).toBe(3);
    expect(delta('http_request_duration_seconds_count', route)).toBe(3);
    expect(delta('http_requests_total', { ...route, status: '400' })).toBe(1);
    expect(delta('http_requests_total', { route: '(unmatched)', status: '404' })).toBe(1);
    // Labels are patterns: no raw path or query ever becomes a series.
    expect(after).not.toMatch(/path-123|q=dune|route="\/api\/indexes\/books/);
    expect(after).toMatch(/^http_requests_in_flight \d+$/m);
    expect(after).toMatch(/^http_request_duration_seconds_bucket\{le="0.005",route=/m);
    // Two distinct searches reached the engine; the repeated one was a cache hit.
    expect(delta('sift_engine_request_duration_seconds_count', { operation: 'search', outcome: 'ok' })).toBe(
      2,
    );
    expect(delta('sift_cache_requests_total', { operation: 'search', result: 'miss' })).toBe(2);
    expect(delta('sift_cache_requests_total', { operation: 'search', result: 'hit' })).toBe(1);
    expect(metricValue(after, 'sift_engine_up', { engine: 'embedded' })).toBe(1);
    // Default process metrics.
    expect(after).toMatch(/^process_cpu_user_seconds_total /m);
    expect(after).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('single-flight: many identical concurrent misses make one engine call', async () => {
    const before = await scrape(server);
    const url = `${server.url}/api/indexes/${INDEX}/search?q=planet&facets=genre,author&sort=-pages`;
    const answers = await Promise.all(Array.from({ length: 25 }, () => send(url)));
    const after = await scrape(server);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const calls =
      metricValue(after, 'sift_engine_request_duration_seconds_count', { operation: 'search' }) -
      metricValue(before, 'sift_engine_request_duration_seconds_count', { operation: 'search' });
    expect(calls).toBe(1);
    expect(answers.filter((a) => a.headers['x-cache'] === 'MISS')).toHaveLength(1);
    expect(new Set(answers.map((a) => JSON.parse(a.body).total)).size).toBe(1);
  });

  it('has no X-Cache on routes the cache does not serve, nor on errors', async () => {
    expect((await send(`${server.url}/api/indexes/${INDEX}`)).headers['x-cache']).toBeUndefined();
    expect((await send(`${server.url}/api/indexes/nope/search`)).headers['x-cache']).toBeUndefined();
  });
});

describe('single-flight with the Redis store', { timeout: 60_000 }, () => {
  const server = seededServer('sift-metrics-redis-', {
    CACHE_TTL_SECONDS: '600',
    RATE_LIMIT_ENABLED: 'false',
    ...redisEnv(serviceUrl('redis')),
  });

  it('N concurrent identical misses -> 1 engine call, then hits from Redis', async () => {
    const before = await scrape(server);
    const url = `${server.url}/api/indexes/${INDEX}/search?q=empire&facets=genre`;
    const answers = await Promise.all(Array.from({ length: 25 }, () => send(url)));
    const again = await send(url);
    const after = await scrape(server);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(
      metricValue(after, 'sift_engine_request_duration_seconds_count', { operation: 'search' }) -
        metricValue(before, 'sift_engine_request_duration_seconds_count', { operation: 'search' }),
    ).toBe(1);
    expect(again.headers['x-cache']).toBe('HIT');
  });
});
