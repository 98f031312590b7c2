import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../../src/server.js';
import { DOCS, INDEX, SCHEMA, testConfig } from '../../../support/app.js';
import { sift } from '../../../support/cli.js';
import { metricValue } from '../../../support/http-client.js';
import { tempDir } from '../../../support/temp-dir.js';
import { apiCaller } from './api-call.js';

/** What a store holds, read behind the API's back: every stored row as text, and the principals. */
export interface StoredRows {
  all(): Promise<string[]>;
  principals(): Promise<string[]>;
}

export interface WorkloadSetup {
  /** Settings over the test defaults (DATABASE_URL for PostgreSQL); called in beforeAll. */
  env(): Promise<Record<string, string>>;
  rows(dataDir: string): StoredRows;
  cleanup?(): Promise<void>;
}

/**
 * A real listening server with analytics on, driven by a scripted workload of known searches (GET and POST,
 * repeated ones answered from the response cache, anonymous and with an API key) and clicks; the reports must
 * give exactly the numbers the script implies. The same script runs on every store.
 */
export function describeWorkload(store: string, setup: WorkloadSetup): void {
  describe(`analytics from a scripted workload (${store})`, () => {
    const dataDir = tempDir('sift-analytics-').path;
    let server: RunningServer;
    let keyId = '';
    let searchKey = '';
    let settings: Record<string, string> = {};
    const cliEnvOf = async () => settings;

    const { call, ok } = apiCaller(() => server.url);
    const get = (path: string, key?: string) => call('GET', path, undefined, key);

    beforeAll(async () => {
      const env = await setup.env();
      settings = env;
      server = await startServer(
        // Without the rate limit, the cache's front door answers repeated anonymous GETs before Fastify.
        testConfig(dataDir, {
          ANALYTICS_FLUSH_MS: '50',
          CACHE_TTL_SECONDS: '60',
          RATE_LIMIT_ENABLED: 'false',
          ...env,
        }),
        { handleSignals: false },
      );
      await server.service.putIndex(INDEX, SCHEMA);
      await server.service.importDocuments(INDEX, DOCS);
      const key = await ok(call('POST', '/api/keys', { name: 'page', scopes: ['search'] }), 201);
      keyId = key.id;
      searchKey = key.key;

      // dune: 4 searches (a GET answered by the service, a repeat answered from the cache by Fastify, one by the
      // cache's front door, a POST with the same query spelled differently, with an API key).
      const frontDoor = async () =>
        metricValue(await (await fetch(`${server.url}/metrics`)).text(), 'sift_cache_front_door_hits_total');
      const frontDoorBefore = await frontDoor();
      const dune = await ok(get('/api/indexes/books/search?q=Dune'));
      expect(dune.total).toBe(2);
      await ok(get('/api/indexes/books/search?q=Dune'));
      await ok(get('/api/indexes/books/search?q=Dune'));
      expect(await frontDoor()).toBe(frontDoorBefore + 1);
      await ok(call('POST', '/api/indexes/books/search', { q: '  DUNE ' }, key.key));
      // emma: 2 searches with a filter; xyzzy: 2 searches of the default index that find nothing (and a third below).
      await ok(get('/api/indexes/books/search?q=Emma&filter=genre%20%3D%20%22classic%22'));
      await ok(call('POST', '/api/search', { q: 'emma', filter: { term: { author: 'Austen' } } }));
      expect((await ok(get('/api/search?q=xyzzy'))).total).toBe(0);
      await ok(get('/api/search?q=xyzzy'));
      // A multi-search records each of its searches as that search on its own: a third xyzzy; the one that
      // fails (an unknown index) is not a search.
      const multi = await ok(
        call('POST', '/api/multi-search', {
          searches: [
            { index: INDEX, q: 'XYZZY' },
            { index: 'no-such-index', q: 'dune' },
          ],
        }),
      );
      expect(multi.results.map((r: { status: number }) => r.status)).toEqual([200, 404]);
      // Refused searches are not searches.
      expect((await get('/api/indexes/books/search?q=dune&filter=nope%20%3D')).status).toBe(400);

      const click = (q: string, id: string, position: number, type = 'click') =>
        ok(call('POST', '/api/events', { type, index: INDEX, q, id, position }, key.key), 202);
      await click('Dune', 'dune', 1);
      await click('dune', 'dune-messiah', 3);
      await click('Dune', 'dune', 1, 'conversion');
      await click('EMMA', 'emma', 2);
      await click('never searched', 'hobbit', 1);

      // The flush runs every 50 ms, off the requests: wait until every search and every joined event is in.
      const deadline = Date.now() + 20_000;
      type Row = { searches: number; clicks: number; conversions: number };
      for (;;) {
        const rows: Row[] = (await ok(get('/api/analytics/clicks?window=1h'))).queries;
        const searches = rows.reduce((sum, q) => sum + q.searches, 0);
        const events = rows.reduce((sum, q) => sum + q.clicks + q.conversions, 0);
        if ((searches >= 9 && events >= 4) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    afterAll(async () => {
      await server?.stop();
      await setup.cleanup?.();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('answers top queries with exact counts', async () => {
      const top = await ok(get('/api/analytics/top-queries?window=1h'));
      expect(top.index).toBeNull();
      expect(Date.parse(top.to) - Date.parse(top.from)).toBe(3_600_000);
      expect(top.queries).toEqual([
        { index: 'books', query: 'dune', searches: 4, no_results: 0 },
        { index: 'books', query: 'xyzzy', searches: 3, no_results: 3 },
        { index: 'books', query: 'emma', searches: 2, no_results: 0 },
      ]);
      const one = await ok(get('/api/analytics/top-queries?window=1h&limit=1&index=books'));
      expect(one.queries).toHaveLength(1);
      expect((await ok(get('/api/analytics/top-queries?window=1h&index=other'))).queries).toEqual([]);
    });

    it('answers the queries that found nothing', async () => {
      const none = await ok(get('/api/analytics/no-results?window=1h'));
      expect(none.queries).toEqual([{ index: 'books', query: 'xyzzy', searches: 3 }]);
    });

    it('answers CTR and the average click position per query', async () => {
      const clicks = await ok(get('/api/analytics/clicks?window=1h'));
      expect(clicks.queries).toEqual([
        {
          index: 'books',
          query: 'dune',
          searches: 4,
          clicks: 2,
          conversions: 1,
          ctr: 0.5,
          avg_click_position: 2,
        },
        {
          index: 'books',
          query: 'xyzzy',
          searches: 3,
          clicks: 0,
          conversions: 0,
          ctr: 0,
          avg_click_position: null,
        },
        {
          index: 'books',
          query: 'emma',
          searches: 2,
          clicks: 1,
          conversions: 0,
          ctr: 0.5,
          avg_click_position: 2,
        },
      ]);
    });

    it('answers latency percentiles per index', async () => {
      const latency = await ok(get('/api/analytics/latency?window=1h'));
      expect(latency.indexes).toHaveLength(1);
      const books = latency.indexes[0];
      expect(books).toMatchObject({ index: 'books', searches: 9 });
      expect(books.p50_ms).toBeGreaterThan(0);
      expect(books.p50_ms).toBeLessThanOrEqual(books.p95_ms);
      expect(books.p95_ms).toBeLessThanOrEqual(books.p99_ms);
    });

    it('stores no client address: searches and events are the key id or "anonymous"', async () => {
      const rows = setup.rows(dataDir);
      expect(new Set(await rows.principals())).toEqual(new Set(['anonymous', `key:${keyId}`]));
      for (const row of await rows.all()) expect(row).not.toMatch(/127\.0\.0\.1|::1|::ffff/);
    });

    it('prints the same reports from `sift analytics`, as JSON and as a table', async () => {
      const env = await cliEnvOf();
      const api = await ok(get('/api/analytics/clicks?window=1h'));
      const json = sift(dataDir, ['analytics', 'clicks', '--window', '1h', '--json'], { env });
      expect(json.code, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout).queries).toEqual(api.queries);
      const table = sift(dataDir, ['analytics', 'top', '--window', '1h', '--index', INDEX], { env });
      expect(table.code, table.stderr).toBe(0);
      const lines = table.stdout.split('\n');
      expect(lines[0]).toMatch(/^the most searched queries, index books, /);
      expect(lines.find((l) => l.includes(' dune '))).toMatch(/ books +│ dune +│ +4 │ +0 │/);
      const bad = sift(dataDir, ['analytics', 'latency', '--window', 'forever'], { env });
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/window/);
    });

    it('reads reports with admin scope only: a search key may post events, not read what everyone searched', async () => {
      const res = await get('/api/analytics/top-queries', searchKey);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    });

    it('answers an empty report for a range that ends before it starts', async () => {
      const empty = await ok(get('/api/analytics/clicks?from=100&to=50'));
      expect(empty.queries).toEqual([]);
    });

    it('refuses bad events and bad report parameters in the error envelope', async () => {
      const good = { type: 'click', index: INDEX, q: 'dune', id: 'dune', position: 1 };
      for (const [body, code] of [
        [{ ...good, type: 'view' }, 'INVALID_REQUEST'],
        [{ ...good, position: 0 }, 'INVALID_REQUEST'],
        [{ ...good, position: 1.5 }, 'INVALID_REQUEST'],
        [{ ...good, index: 'Bad Name' }, 'INVALID_INDEX_NAME'],
        [{ ...good, extra: true }, 'INVALID_REQUEST'],
        [{ type: 'click', index: INDEX, q: 'dune' }, 'INVALID_REQUEST'],
        [[good], 'INVALID_REQUEST'],
      ] as const) {
        const res = await call('POST', '/api/events', body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error.code, JSON.stringify(body)).toBe(code);
      }
      for (const [query, code] of [
        ['window=1y', 'INVALID_REQUEST'],
        ['from=yesterday', 'INVALID_REQUEST'],
        ['limit=0', 'INVALID_REQUEST'],
        ['from=', 'INVALID_REQUEST'],
        ['to=2026-13-01', 'INVALID_REQUEST'],
        ['index=A%20B', 'INVALID_INDEX_NAME'],
        ['x=1', 'INVALID_REQUEST'],
      ]) {
        const res = await get(`/api/analytics/top-queries?${query}`);
        expect(res.status, query).toBe(400);
        expect(res.body.error.code, query).toBe(code);
      }
    });
  });
}
