/**
 * The behavioural contract every engine keeps. An engine's test file calls `runConformance` with a factory;
 * the suite drives the engine through the EngineDriver (raw requests built by the query and schema layers, as
 * the service builds them) so the whole query model is exercised. An engine that cannot honour a case must list
 * it in `skips` with the reason, never silently.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SiftError } from '../errors.js';
import { EngineDriver } from './conformance/driver.js';
import type { Engine } from './engine.js';
import { FIXTURE_DOCS, FIXTURE_SCHEMA } from './conformance/fixtures.js';
import { documentCases } from './conformance/document-cases.js';
import { filterLimitCases } from './conformance/filter-limit-cases.js';
import { reindexCases } from './conformance/reindex-cases.js';
import { relevanceCases } from './conformance/relevance-cases.js';
import { curationCases } from './conformance/curation-cases.js';
import { byFilterCases } from './conformance/by-filter-cases.js';
import { distinctCases } from './conformance/distinct-cases.js';
import { facetSearchCases } from './conformance/facet-search-cases.js';
import { arrayCases } from './conformance/array-cases.js';
import { objectCases } from './conformance/object-cases.js';
import { multiSearchCases } from './conformance/multi-search-cases.js';

import { vectorCases } from './conformance/vector-cases.js';

export interface ConformanceOptions {
  name: string;
  makeEngine: () => Promise<Engine>;
  /** case title -> reason it does not apply to this engine */
  skips?: Record<string, string>;
}

export function runConformance({ name, makeEngine, skips = {} }: ConformanceOptions): void {
  describe(`engine conformance: ${name}`, () => {
    let engine: Engine;
    let svc: EngineDriver;
    const idx = 'conformance';
    // A case that moves thousands of documents through a cluster gets its own time limit: on a machine busy with
    // other test files a cluster's reindex takes far longer than the default allows.
    const check = (title: string, fn: () => Promise<void>, timeoutMs?: number) =>
      skips[title] ? it.skip(`${title} (skipped: ${skips[title]})`, fn) : it(title, fn, timeoutMs);
    const ids = async (input: Parameters<EngineDriver['search']>[1]) =>
      (await svc.search(idx, input)).hits.map((h) => h.id);

    beforeAll(async () => {
      engine = await makeEngine();
      await engine.open();
      svc = new EngineDriver(engine);
      await engine.dropIndex(idx);
      await svc.putIndex(idx, FIXTURE_SCHEMA);
      const res = await svc.importDocuments(idx, FIXTURE_DOCS);
      expect(res.failed).toBe(0);
    });
    afterAll(async () => {
      await engine?.dropIndex(idx);
      await engine?.close();
    });

    check('lists and describes the index', async () => {
      const info = await svc.getIndex(idx);
      expect(info.documents).toBe(FIXTURE_DOCS.length);
      expect(info.schema.id_field).toBe('name');
      expect((await svc.listIndexes()).map((i) => i.name)).toContain(idx);
    });

    check('reads the schema alone, the one getIndex describes, and null for a missing index', async () => {
      // The service's once-a-second schema check on the search path uses it; every engine here implements it.
      expect(engine.getSchema, 'getSchema').toBeDefined();
      expect(await engine.getSchema!(idx)).toEqual((await engine.getIndex(idx))?.schema);
      expect(await engine.getSchema!('conformance-missing')).toBeNull();
    });

    check('finds a package by its exact name first, with popularity breaking text ties', async () => {
      expect((await ids({ q: 'react' }))[0]).toBe('react');
      expect((await ids({ q: 'lodash' }))[0]).toBe('lodash');
      expect((await ids({ q: '@types/node' }))[0]).toBe('@types/node');
    });

    check('finds scoped and hyphenated names by their parts', async () => {
      expect(await ids({ q: 'types node', size: 50 })).toContain('@types/node');
      expect(await ids({ q: 'dom', size: 50 })).toEqual(
        expect.arrayContaining(['react-dom', '@types/react-dom']),
      );
      expect((await ids({ q: 'react-dom' }))[0]).toBe('react-dom');
    });

    check('treats operator words and punctuation as plain search text', async () => {
      for (const q of [
        'c++',
        'AND',
        'NOT',
        'OR',
        'lodash.merge',
        '"unterminated',
        '*',
        '(',
        'NEAR(a b)',
        'a:b',
        '^x',
      ]) {
        await expect(svc.search(idx, { q })).resolves.toBeDefined();
      }
      expect((await ids({ q: 'lodash.merge' }))[0]).toBe('lodash.merge');
    });

    check('matches phrases in order only', async () => {
      const inOrder = await ids({ q: '"utility library"', size: 50 });
      expect(inOrder).toContain('lodash');
      const reversed = await ids({ q: '"library utility"', size: 50 });
      expect(reversed).not.toContain('lodash');
    });

    check('excludes terms with a leading minus', async () => {
      const all = await ids({ q: 'react', size: 50 });
      const without = await ids({ q: 'react -dom', size: 50 });
      expect(all).toContain('react-dom');
      expect(without).not.toContain('react-dom');
      expect(without).toContain('react');
    });

    check('matches the last term as a prefix', async () => {
      expect(await ids({ q: 'expre', size: 50 })).toContain('express');
      // A completed word followed by a space is not a prefix any more.
      expect(await ids({ q: 'expre ', size: 50 })).not.toContain('express');
    });

    check('filters with the expression language and the JSON tree alike', async () => {
      const expr = await ids({ filter: 'scope = "@types" AND downloads >= 1000000', sort: 'name', size: 50 });
      const tree = await ids({
        filter: { and: [{ term: { scope: '@types' } }, { range: { downloads: { gte: 1000000 } } }] },
        sort: 'name',
        size: 50,
      });
      expect(expr).toEqual(tree);
      expect(expr).toEqual(['@types/node', '@types/react', '@types/react-dom']);
      expect(await ids({ filter: 'deprecated = true', sort: 'name', size: 50 })).toEqual([
        'left-pad',
        'request',
      ]);
      const notDeprecated = await ids({ filter: 'NOT deprecated = true', size: 50 });
      expect(notDeprecated).not.toContain('request');
      expect(notDeprecated).toContain('react'); // documents without the field count as "not true"
      expect(await ids({ filter: 'license IN ["ISC", "BSD-3-Clause"]', sort: 'name', size: 50 })).toEqual([
        'left-pad',
        'request',
        'semver',
      ]);
      expect(await ids({ filter: 'published < "2012-01-01"', sort: 'name', size: 50 })).toEqual([
        'express',
        'request',
        'semver',
      ]);
      expect(
        await ids({
          filter: 'published >= "2016-05-17T10:00:00Z" AND published < "2017-01-01"',
          sort: 'name',
          size: 50,
        }),
      ).toEqual(['@types/node']);
      expect(await ids({ filter: 'scope EXISTS', size: 50 })).toHaveLength(4);
    });

    check('counts facets disjunctively', async () => {
      const res = await svc.search(idx, { filter: 'scope = "@types"', facets: 'scope,license', size: 0 });
      expect(res.total).toBe(3);
      const scopes = Object.fromEntries(res.facets.scope!.buckets!.map((b) => [b.value, b.count]));
      // The scope facet ignores the scope filter; the license facet respects it.
      expect(scopes).toEqual({ '@types': 3, '@babel': 1 });
      expect(res.facets.license!.buckets!.reduce((n, b) => n + b.count, 0)).toBe(3);
    });

    check('counts the total exactly up to the bound and as a lower bound past it', async () => {
      const all = FIXTURE_DOCS.length;
      const total = async (input: Parameters<EngineDriver['search']>[1]) => {
        const res = await svc.search(idx, input);
        return [res.total, res.total_relation];
      };
      expect(await total({})).toEqual([all, 'eq']);
      expect(await total({ track_total: true })).toEqual([all, 'eq']);
      expect(await total({ track_total: 3 })).toEqual([3, 'gte']);
      expect(await total({ track_total: 3, size: 0 })).toEqual([3, 'gte']);
      expect(await total({ track_total: '3', size: 2, page: 2 })).toEqual([3, 'gte']);
      expect(await total({ track_total: all })).toEqual([all, 'eq']);
      expect(await total({ track_total: all - 1, size: 50 })).toEqual([all - 1, 'gte']);
      // The same for a text query, at the bound and either side of it.
      expect(await total({ q: 'zebra', track_total: 4 })).toEqual([4, 'eq']);
      expect(await total({ q: 'zebra', track_total: 3 })).toEqual([3, 'gte']);
      expect(await total({ q: 'zebra', track_total: 3, size: 1 })).toEqual([3, 'gte']);
      expect(await total({ q: 'zebra', track_total: 5, size: 1, page: 3 })).toEqual([4, 'eq']);
      expect(await total({ filter: 'scope = "@types"', track_total: 2, size: 1 })).toEqual([2, 'gte']);
      // A cursor page counts the same way as the first page.
      const first = await svc.search(idx, { q: 'zebra', size: 1, track_total: 2 });
      expect(await total({ q: 'zebra', size: 1, track_total: 2, cursor: first.next_cursor! })).toEqual([
        2,
        'gte',
      ]);
      await expect(svc.search(idx, { track_total: 0 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    });

    check('computes facets only when they are asked for', async () => {
      expect((await svc.search(idx, { q: 'react' })).facets).toEqual({});
      expect(Object.keys((await svc.search(idx, { q: 'react', facets: 'scope' })).facets)).toEqual(['scope']);
    });

    check('answers a query that matches nothing with empty facets, whatever filters they drop', async () => {
      const res = await svc.search(idx, {
        q: 'nothingmatchesthis',
        filter: 'scope = "@types"',
        facets: [
          { field: 'scope' },
          { field: 'downloads', ranges: [{ key: 'small', to: 1000 }], stats: true },
        ],
      });
      expect(res.hits).toEqual([]);
      expect([res.total, res.total_relation]).toEqual([0, 'eq']);
      expect(res.facets).toEqual({
        scope: { buckets: [] },
        downloads: {
          ranges: [{ key: 'small', to: 1000, count: 0 }],
          stats: { min: null, max: null, avg: null, sum: null, count: 0 },
        },
      });
    });

    check('orders ranked hits by text relevance, then popularity, on every engine', async () => {
      // Same words, popularity decides: 150M > 70M > 60M downloads.
      const defs = await svc.search(idx, { q: 'typescript definitions' });
      expect(defs.hits.map((h) => h.id)).toEqual(['@types/node', '@types/react', '@types/react-dom']);
      // "dom" in the name and the summary beats "dom" in the summary only; then the more popular of the two.
      const dom = await svc.search(idx, { q: 'dom' });
      expect(dom.hits.map((h) => h.id)).toEqual(['react-dom', '@types/react-dom', 'preact']);
      for (const res of [defs, dom]) {
        const scores = res.hits.map((h) => h.score!);
        expect(scores).toEqual([...scores].sort((a, b) => b - a));
        expect(new Set(scores).size).toBe(scores.length);
      }
    });

    check('computes range buckets and stats', async () => {
      const res = await svc.search(idx, {
        size: 0,
        facets: [
          {
            field: 'downloads',
            ranges: [
              { key: 'small', to: 1_000_000 },
              { key: 'big', from: 1_000_000 },
            ],
            stats: true,
          },
        ],
      });
      const d = res.facets.downloads!;
      expect(d.ranges!.map((r) => r.count).reduce((a, b) => a + b, 0)).toBe(FIXTURE_DOCS.length);
      const counts = FIXTURE_DOCS.map((x) => x.downloads as number);
      expect(d.stats!.min).toBe(Math.min(...counts));
      expect(d.stats!.max).toBe(Math.max(...counts));
      expect(d.stats!.count).toBe(FIXTURE_DOCS.length);
    });

    check('sorts by several fields with id as the last tie-break', async () => {
      const got = await ids({ sort: '-license,name', size: 50 });
      const expected = [...FIXTURE_DOCS]
        .sort((a, b) => {
          const la = (a.license as string | undefined) ?? null;
          const lb = (b.license as string | undefined) ?? null;
          if (la !== lb) {
            if (la === null) return 1;
            if (lb === null) return -1;
            return la < lb ? 1 : -1;
          }
          return (a.name as string) < (b.name as string) ? -1 : 1;
        })
        .map((d) => d.name);
      expect(got).toEqual(expected);
    });

    check('pages with page and size within the window', async () => {
      const all = await ids({ sort: 'name', size: 50 });
      const p2 = await ids({ sort: 'name', size: 3, page: 2 });
      expect(p2).toEqual(all.slice(3, 6));
      await expect(svc.search(idx, { size: 100, page: 101 })).rejects.toMatchObject({
        code: 'WINDOW_TOO_LARGE',
      });
    });

    for (const sort of [undefined, 'name', '-downloads', 'license', '-license,-downloads']) {
      check(`pages through every hit with a cursor (sort ${sort ?? 'relevance'})`, async () => {
        const q = sort === undefined ? 'react' : undefined;
        const full = await ids({ q, sort, size: 50 });
        const seen: string[] = [];
        let cursor: string | undefined;
        for (let i = 0; i < 50; i++) {
          const res = await svc.search(idx, { q, sort, size: 2, cursor });
          seen.push(...res.hits.map((h) => h.id));
          if (!res.next_cursor) break;
          cursor = res.next_cursor;
        }
        expect(seen).toEqual(full);
      });
    }

    check('breaks relevance ties by id, across pages and cursors', async () => {
      expect(await ids({ q: 'zebra' })).toEqual(['tie-a', 'tie-b', 'tie-c', 'tie-d']);
      expect(await ids({ q: 'zebra', size: 1, page: 2 })).toEqual(['tie-b']);
      expect(await ids({ q: 'zebra', size: 2, page: 2 })).toEqual(['tie-c', 'tie-d']);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const res = await svc.search(idx, { q: 'zebra', size: 1, cursor });
        seen.push(...res.hits.map((h) => h.id));
        expect(res.total).toBe(4);
        cursor = res.next_cursor ?? undefined;
      } while (cursor && seen.length < 10);
      expect(seen).toEqual(['tie-a', 'tie-b', 'tie-c', 'tie-d']);
    });

    check('refuses a cursor from another query', async () => {
      const first = await svc.search(idx, { q: 'react', size: 1 });
      await expect(svc.search(idx, { q: 'lodash', cursor: first.next_cursor! })).rejects.toMatchObject({
        code: 'INVALID_CURSOR',
      });
    });

    check('highlights matches, escaping the document text', async () => {
      const res = await svc.search(idx, { q: 'javascript', highlight: 'summary' });
      const hit = res.hits.find((h) => h.id === 'xss-demo');
      expect(hit?.highlights?.summary?.[0]).toContain('<mark>JavaScript</mark>');
      expect(hit?.highlights?.summary?.[0]).toContain('&lt;script&gt;');
      const custom = await svc.search(idx, {
        q: 'javascript',
        highlight: { fields: ['summary'], pre_tag: '[', post_tag: ']' },
      });
      expect(custom.hits[0]?.highlights?.summary?.[0]).toMatch(/\[javascript\]/i);
    });

    check('returns only the requested fields', async () => {
      const res = await svc.search(idx, { q: 'react', fields: 'name,downloads', size: 1 });
      expect(Object.keys(res.hits[0]!.document).sort()).toEqual(['downloads', 'name']);
    });

    check('suggests completions, popular and prefix-first', async () => {
      const s = await svc.suggest(idx, 'rea', 5);
      expect(s.suggestions[0]).toEqual({ text: 'react', id: 'react' });
      expect(s.suggestions.map((x) => x.id)).toContain('react-dom');
    });

    check('upserts, reads and deletes single documents', async () => {
      const created = await svc.putDocument(idx, 'zzz-new', {
        name: 'zzz-new',
        summary: 'brand new quasar package',
        downloads: 5,
      });
      expect(created.created).toBe(true);
      expect(
        (await svc.putDocument(idx, 'zzz-new', { summary: 'updated quasar package', downloads: 6 })).created,
      ).toBe(false);
      expect((await svc.getDocument(idx, 'zzz-new')).document).toMatchObject({
        name: 'zzz-new',
        downloads: 6,
      });
      expect(await ids({ q: 'quasar' })).toEqual(['zzz-new']);
      expect(await ids({ q: 'brand' })).toEqual([]);
      await svc.deleteDocument(idx, 'zzz-new');
      await expect(svc.getDocument(idx, 'zzz-new')).rejects.toMatchObject({ code: 'DOCUMENT_NOT_FOUND' });
      expect(await ids({ q: 'quasar' })).toEqual([]);
    });

    check('stores the good items of a partly bad batch and reports the bad ones', async () => {
      const res = await svc.importDocuments(idx, [
        { name: 'batch-ok-1', downloads: 1 },
        { name: 'batch-bad', downloads: 'many' },
        new SiftError('INVALID_JSON', 'line 3: not JSON'),
        { downloads: 3 },
        { name: 'batch-ok-2', unknown_field: 1 },
        { name: 'batch-ok-3' },
      ]);
      expect(res.indexed).toBe(2);
      expect(res.items.filter((i) => i.error).map((i) => [i.index, i.error!.code])).toEqual([
        [1, 'INVALID_DOCUMENT'],
        [2, 'INVALID_JSON'],
        [3, 'INVALID_DOCUMENT'],
        [4, 'INVALID_DOCUMENT'],
      ]);
      expect((await svc.getDocument(idx, 'batch-ok-3')).id).toBe('batch-ok-3');
      for (const id of ['batch-ok-1', 'batch-ok-3']) await svc.deleteDocument(idx, id);
    });

    check('bumps the generation on every acknowledged write', async () => {
      const before = (await svc.getIndex(idx)).generation;
      await svc.putDocument(idx, 'gen-probe', { name: 'gen-probe' });
      await svc.deleteDocument(idx, 'gen-probe');
      expect((await svc.getIndex(idx)).generation).toBeGreaterThanOrEqual(before + 2);
    });

    check('applies a compatible schema change and refuses a type change', async () => {
      const extended = structuredClone(FIXTURE_SCHEMA) as { fields: Record<string, unknown> };
      extended.fields.homepage = { type: 'keyword', filterable: true };
      expect((await svc.putIndex(idx, extended)).created).toBe(false);
      await svc.putDocument(idx, 'with-homepage', { name: 'with-homepage', homepage: 'https://x.test' });
      expect(await ids({ filter: 'homepage = "https://x.test"' })).toEqual(['with-homepage']);
      await svc.deleteDocument(idx, 'with-homepage');
      const changed = structuredClone(FIXTURE_SCHEMA) as { fields: Record<string, { type: string }> };
      changed.fields.license!.type = 'integer';
      await expect(svc.putIndex(idx, changed)).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' });
    });

    filterLimitCases(check, () => svc);

    reindexCases(check, () => svc);

    relevanceCases(check, () => svc);

    documentCases(check, () => svc, idx);
    byFilterCases(check, () => svc, idx);
    curationCases(check, () => svc);
    distinctCases(check, () => svc);
    facetSearchCases(check, () => svc);
    arrayCases(check, () => svc, idx);
    objectCases(check, () => svc, idx);
    multiSearchCases(check, () => svc, idx);

    vectorCases(
      check,
      () => svc,
      (title) => title in skips,
    );

    check('reports a missing index as INDEX_NOT_FOUND', async () => {
      await expect(svc.search('no-such-index', { q: 'x' })).rejects.toMatchObject({
        code: 'INDEX_NOT_FOUND',
      });
    });
  });
}
