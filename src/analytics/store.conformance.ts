import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { aggregateSearches, EMPTY_BATCH } from './aggregate.js';
import { migrations, SQLITE } from './sql.js';
import type { AnalyticsStore } from './store.js';
import type { EventRecord, SearchRecord } from './types.js';

/**
 * The behavioural contract of an AnalyticsStore: every store's test file calls this with a factory that gives a
 * fresh, empty store (a new file, a new database). The reports must agree to the number on every store.
 */
export function runStoreConformance(name: string, open: () => Promise<AnalyticsStore>): void {
  describe(`analytics store conformance: ${name}`, () => {
    let store: AnalyticsStore;
    const T0 = Date.UTC(2026, 0, 1);
    const all = { from: T0, to: T0 + 3_600_000, limit: 100 };

    const search = (over: Partial<SearchRecord>): SearchRecord => ({
      at: T0 + 1000,
      index: 'books',
      query: 'dune',
      filterFields: [],
      hits: 3,
      latencyMs: 5,
      principal: 'anonymous',
      ...over,
    });
    const event = (over: Partial<EventRecord>): EventRecord => ({
      at: T0 + 2000,
      type: 'click',
      index: 'books',
      query: 'dune',
      docId: 'd1',
      position: 1,
      principal: 'anonymous',
      ...over,
    });
    /** Searches given one by one, stored as a flush stores them (folded per second, aggregate.ts). */
    const insert = (searches: SearchRecord[], events: EventRecord[]) =>
      store.insert(aggregateSearches(searches), events);
    const times = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));

    beforeAll(async () => {
      store = await open();
      await store.migrate();
    });
    afterAll(async () => {
      await store?.close();
    });
    beforeEach(async () => {
      await store.deleteBefore(Number.MAX_SAFE_INTEGER);
    });

    it('migrates once: a second run (another worker starting) changes nothing', async () => {
      await store.migrate();
      expect(await store.schemaVersion()).toBe(migrations(SQLITE).at(-1)!.version);
    });

    it('counts top queries, most first, ties by index then query in byte order, limited', async () => {
      await insert(
        [
          ...times(3, () => search({ query: 'dune' })),
          ...times(2, () => search({ query: 'Émile', hits: 0 })),
          ...times(2, () => search({ query: 'Zola' })),
          ...times(2, () => search({ index: 'authors', query: 'zola' })),
          search({ query: 'once' }),
        ],
        [],
      );
      expect(await store.topQueries(all)).toEqual([
        { index: 'books', query: 'dune', searches: 3, no_results: 0 },
        { index: 'authors', query: 'zola', searches: 2, no_results: 0 },
        { index: 'books', query: 'Zola', searches: 2, no_results: 0 },
        { index: 'books', query: 'Émile', searches: 2, no_results: 2 },
        { index: 'books', query: 'once', searches: 1, no_results: 0 },
      ]);
      expect(await store.topQueries({ ...all, limit: 2 })).toHaveLength(2);
      expect((await store.topQueries({ ...all, index: 'authors' })).map((r) => r.query)).toEqual(['zola']);
    });

    it('takes rows with from <= at < to', async () => {
      await insert(
        [
          search({ at: T0 - 1, query: 'before' }),
          search({ at: T0, query: 'first' }),
          search({ at: T0 + 999, query: 'last' }),
          search({ at: T0 + 1000, query: 'after' }),
        ],
        [],
      );
      const rows = await store.topQueries({ from: T0, to: T0 + 1000, limit: 10 });
      expect(rows.map((r) => r.query).sort()).toEqual(['first', 'last']);
    });

    it('lists queries that found nothing', async () => {
      await insert(
        [
          ...times(3, () => search({ query: 'xyzzy', hits: 0 })),
          search({ query: 'dune', hits: 0 }),
          search({ query: 'dune', hits: 4 }),
          search({ query: 'found', hits: 1 }),
        ],
        [],
      );
      expect(await store.noResults(all)).toEqual([
        { index: 'books', query: 'xyzzy', searches: 3 },
        { index: 'books', query: 'dune', searches: 1 },
      ]);
    });

    it('joins clicks and conversions to the searches of the same index and query in the range', async () => {
      await insert(
        [...times(4, () => search({ query: 'dune' })), ...times(2, () => search({ query: 'emma' }))],
        [
          event({ position: 1 }),
          event({ position: 2, docId: 'd2' }),
          event({ position: 4, docId: 'd4' }),
          event({ type: 'conversion', position: 2, docId: 'd2' }),
          // Another index, a query nobody searched, outside the range: none of these count.
          event({ index: 'authors' }),
          event({ query: 'never searched' }),
          event({ at: T0 + 3_600_000 }),
        ],
      );
      expect(await store.clicks(all)).toEqual([
        {
          index: 'books',
          query: 'dune',
          searches: 4,
          clicks: 3,
          conversions: 1,
          ctr: 0.75,
          avg_click_position: 2.33,
        },
        {
          index: 'books',
          query: 'emma',
          searches: 2,
          clicks: 0,
          conversions: 0,
          ctr: 0,
          avg_click_position: null,
        },
      ]);
    });

    it('answers nearest-rank latency percentiles per index', async () => {
      await insert(
        [
          // 1..100 ms in a shuffled order: p50 = 50, p95 = 95, p99 = 99.
          ...times(100, (i) => search({ latencyMs: ((i * 37) % 100) + 1 })),
          search({ index: 'authors', latencyMs: 10.5 }),
          search({ index: 'authors', latencyMs: 20 }),
          search({ index: 'authors', latencyMs: 30.25 }),
        ],
        [],
      );
      expect(await store.latency(all)).toEqual([
        { index: 'authors', searches: 3, p50_ms: 20, p95_ms: 30.25, p99_ms: 30.25 },
        { index: 'books', searches: 100, p50_ms: 50, p95_ms: 95, p99_ms: 99 },
      ]);
      expect(await store.latency({ ...all, index: 'authors' })).toHaveLength(1);
    });

    it('counts the searches a row stands for in every report, and weighs each latency by its count', async () => {
      const row = { index: 'books', filterFields: [], principal: 'anonymous' };
      await store.insert(
        {
          searches: [
            { ...row, at: T0, query: 'dune', hits: 3, searches: 1000 },
            { ...row, at: T0 + 1000, query: 'dune', hits: 0, principal: 'key:a', searches: 5 },
            { ...row, at: T0, query: 'emma', filterFields: ['genre'], hits: 0, searches: 7 },
          ],
          latencies: [
            { at: T0, index: 'books', latencyMs: 0.012, searches: 950 },
            { at: T0, index: 'books', latencyMs: 0.5, searches: 40 },
            { at: T0 + 1000, index: 'books', latencyMs: 30, searches: 22 },
          ],
        },
        [event({}), event({ position: 3 })],
      );
      expect(await store.topQueries(all)).toEqual([
        { index: 'books', query: 'dune', searches: 1005, no_results: 5 },
        { index: 'books', query: 'emma', searches: 7, no_results: 7 },
      ]);
      expect(await store.noResults(all)).toEqual([
        { index: 'books', query: 'emma', searches: 7 },
        { index: 'books', query: 'dune', searches: 5 },
      ]);
      expect((await store.clicks(all))[0]).toEqual({
        index: 'books',
        query: 'dune',
        searches: 1005,
        clicks: 2,
        conversions: 0,
        ctr: 0.002,
        avg_click_position: 2,
      });
      // 1,012 searches: rank 506 is in the first 950, rank 962 in the next 40, rank 1,002 in the last 22.
      expect(await store.latency(all)).toEqual([
        { index: 'books', searches: 1012, p50_ms: 0.012, p95_ms: 0.5, p99_ms: 30 },
      ]);
    });

    it('keeps every row of a batch larger than one insert statement, each with its own values', async () => {
      // 150 searches and 70 events: several full multi-row statements and a rest (see sqlite-rows-insert.ts).
      await insert(
        times(150, (i) => search({ query: `q${i}`, hits: i % 3, latencyMs: i + 1, filterFields: ['f'] })),
        times(70, (i) => event({ query: 'q1', docId: `d${i}`, position: i + 1 })),
      );
      const top = await store.topQueries({ ...all, limit: 500 });
      expect(top).toHaveLength(150);
      expect(top.every((r) => r.searches === 1)).toBe(true);
      expect(
        top
          .filter((r) => r.no_results === 1)
          .map((r) => r.query)
          .sort(),
      ).toEqual(times(50, (i) => `q${i * 3}`).sort());
      expect(await store.latency(all)).toEqual([
        { index: 'books', searches: 150, p50_ms: 75, p95_ms: 143, p99_ms: 149 },
      ]);
      expect((await store.clicks({ ...all, limit: 500 })).find((r) => r.query === 'q1')).toMatchObject({
        searches: 1,
        clicks: 70,
        avg_click_position: 35.5,
      });
    });

    it('deletes rows older than a time and says how many went (retention)', async () => {
      await insert(
        [search({ at: T0 - 10 }), search({ at: T0 + 10 })],
        [event({ at: T0 - 10 }), event({ at: T0 + 10 })],
      );
      expect(await store.deleteBefore(T0)).toBe(2);
      expect(await store.topQueries({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10 })).toEqual([
        { index: 'books', query: 'dune', searches: 1, no_results: 0 },
      ]);
      expect(await store.deleteBefore(T0)).toBe(0);
    });

    describe('popular queries (the suggestion rule)', () => {
      const DAY = 86_400_000;
      const rule = { since: T0, minPrincipals: 3, minAnonymous: 0, limit: 100 };
      const by = (principal: string, over: Partial<SearchRecord> = {}) => search({ principal, ...over });

      it('takes queries with hits searched by enough distinct principals, anonymous callers as one', async () => {
        await insert(
          [
            // dune: three principals (anonymous is one of them), over two flushes below.
            by('key:a', { query: 'dune' }),
            by('jwt:u1', { query: 'dune' }),
            by('anonymous', { query: 'dune' }),
            by('anonymous', { query: 'dune' }),
            // emma: two principals only, however often.
            ...times(20, () => by('key:a', { query: 'emma' })),
            by('key:b', { query: 'emma' }),
            // Found nothing for one of its three principals: that one does not count.
            by('key:a', { query: 'xyzzy' }),
            by('key:b', { query: 'xyzzy' }),
            by('key:c', { query: 'xyzzy', hits: 0 }),
            // Scoped keys never count, whichever parent minted them.
            by('scoped:k1', { query: 'secret' }),
            by('scoped:k2', { query: 'secret' }),
            by('scoped:k3', { query: 'secret' }),
            // A match-all search suggests nothing.
            by('key:a', { query: '' }),
            by('key:b', { query: '' }),
            by('key:c', { query: '' }),
            // Another index counts apart.
            by('key:a', { index: 'authors', query: 'dune' }),
          ],
          [],
        );
        await insert([by('key:c', { query: 'dune', at: T0 + 5000 })], []);
        expect(await store.popularQueries(rule)).toEqual([{ index: 'books', query: 'dune', searches: 5 }]);
        expect(await store.popularQueries({ ...rule, minPrincipals: 2 })).toEqual([
          { index: 'books', query: 'emma', searches: 21 },
          { index: 'books', query: 'dune', searches: 5 },
          { index: 'books', query: 'xyzzy', searches: 2 },
        ]);
        expect(await store.popularQueries({ ...rule, minPrincipals: 2, limit: 1 })).toHaveLength(1);
      });

      it('lets enough anonymous searches make a query popular only when asked to', async () => {
        await insert(
          times(5, () => by('anonymous', { query: 'react' })),
          [],
        );
        expect(await store.popularQueries(rule)).toEqual([]);
        expect(await store.popularQueries({ ...rule, minAnonymous: 6 })).toEqual([]);
        expect(await store.popularQueries({ ...rule, minAnonymous: 5 })).toEqual([
          { index: 'books', query: 'react', searches: 5 },
        ]);
      });

      it('counts the days from `since` on, and retention removes whole days', async () => {
        const principals = ['key:a', 'key:b', 'key:c'];
        await insert(
          [
            ...principals.map((p) => by(p, { query: 'old', at: T0 - DAY + 10 })),
            ...principals.map((p) => by(p, { query: 'new', at: T0 + DAY - 10 })),
          ],
          [],
        );
        expect((await store.popularQueries(rule)).map((q) => q.query)).toEqual(['new']);
        expect((await store.popularQueries({ ...rule, since: T0 - DAY })).map((q) => q.query).sort()).toEqual(
          ['new', 'old'],
        );
        await store.deleteBefore(T0 - 5);
        expect((await store.popularQueries({ ...rule, since: 0 })).map((q) => q.query)).toEqual(['new']);
      });
    });

    it('keeps no client address: the columns are exactly these (a new one must be looked at here)', async () => {
      expect(await store.columns()).toEqual({
        analytics_searches: ['at', 'index_name', 'query', 'filter_fields', 'hits', 'principal', 'searches'],
        analytics_latencies: ['at', 'index_name', 'latency_ms', 'searches'],
        analytics_events: ['at', 'type', 'index_name', 'query', 'doc_id', 'position', 'principal'],
        analytics_query_popularity: ['day', 'index_name', 'query', 'principal', 'searches'],
      });
    });

    it('takes an empty batch and text of any script', async () => {
      await store.insert(EMPTY_BATCH, []);
      await insert([search({ query: '東京 タワー', filterFields: ['city', 'year'] })], []);
      expect((await store.topQueries(all))[0]?.query).toBe('東京 タワー');
    });
  });
}

/** One search as schema 1 stored it (a row per search, before searches were folded per second). */
export interface SchemaOneSearch {
  at: number;
  query: string;
  hits: number;
  latencyMs: number;
}

/**
 * The upgrade from schema 1: every store's test file gives a store whose database holds these searches at
 * schema 1 (index `books`, no filters, anonymous); after its migrations the reports read them as before.
 */
export function runUpgradeConformance(
  name: string,
  openAtSchemaOne: (searches: SchemaOneSearch[]) => Promise<AnalyticsStore>,
): void {
  describe(`analytics store upgrade (${name})`, () => {
    it('keeps the reports of rows stored one per search before searches were folded (schema 1)', async () => {
      const searches = Array.from({ length: 10 }, (_, k) => ({
        at: 1001 + k,
        query: k < 7 ? 'dune' : 'xyzzy',
        hits: k < 7 ? 2 : 0,
        latencyMs: k + 1,
      }));
      const store = await openAtSchemaOne(searches);
      try {
        await store.migrate();
        const all = { from: 0, to: 10_000, limit: 10 };
        expect(await store.topQueries(all)).toEqual([
          { index: 'books', query: 'dune', searches: 7, no_results: 0 },
          { index: 'books', query: 'xyzzy', searches: 3, no_results: 3 },
        ]);
        expect(await store.latency(all)).toEqual([
          { index: 'books', searches: 10, p50_ms: 5, p95_ms: 10, p99_ms: 10 },
        ]);
        // The popularity table starts from the searches kept: xyzzy found nothing, so only dune counts.
        expect(
          await store.popularQueries({ since: 0, minPrincipals: 1, minAnonymous: 0, limit: 10 }),
        ).toEqual([{ index: 'books', query: 'dune', searches: 7 }]);
      } finally {
        await store.close();
      }
    });
  });
}
