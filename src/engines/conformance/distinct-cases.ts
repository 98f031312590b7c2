/**
 * Distinct (group by a keyword field) behaves the same on every engine: a page of groups ordered by their best
 * hit in the request's sort, each group's best hits, documents without the field as one group, totals counted in
 * groups, facets counted in documents, paging by page (no cursor). Sorted by a field so that every engine's
 * expected list is the same, by eye.
 */
import { expect } from 'vitest';
import { caseIndex } from './case-index.js';
import type { EngineDriver } from './driver.js';

type Check = (title: string, fn: () => Promise<void>) => void;

const SCHEMA = {
  id_field: 'id',
  fields: {
    id: { type: 'keyword' },
    title: { type: 'text', searchable: true },
    publisher: { type: 'keyword', filterable: true },
    lang: { type: 'keyword', filterable: true, facet: true },
    year: { type: 'integer', sortable: true },
  },
};

const DOCS: Record<string, unknown>[] = [
  { id: 'a1', publisher: 'p1', year: 2001, title: 'red fox', lang: 'en' },
  { id: 'a2', publisher: 'p1', year: 2005, title: 'red fox returns', lang: 'en' },
  { id: 'a3', publisher: 'p1', year: 2010, title: 'blue fox', lang: 'fr' },
  { id: 'b1', publisher: 'p2', year: 2003, title: 'red dragon', lang: 'en' },
  { id: 'b2', publisher: 'p2', year: 2008, title: 'red dragon again', lang: 'de' },
  { id: 'c1', publisher: 'p3', year: 2012, title: 'green fox', lang: 'en' },
  // No publisher: together they are one group.
  { id: 'd1', year: 2000, title: 'fox tales', lang: 'en' },
  { id: 'd2', year: 2015, title: 'red fox legend', lang: 'fr' },
  { id: 'e1', publisher: 'p4', year: 1999, title: 'silver moon', lang: 'en' },
  { id: 'e2', publisher: 'p4', year: 2020, title: 'silver sun', lang: 'en' },
];

export function distinctCases(check: Check, svc: () => EngineDriver): void {
  const idx = 'conformance-distinct';
  const search = (input: Parameters<EngineDriver['search']>[1]) => svc().search(idx, input);
  const ids = async (input: Parameters<EngineDriver['search']>[1]) =>
    (await search(input)).hits.map((h) => h.id);

  caseIndex(svc, idx, SCHEMA, DOCS);

  check('distinct: one hit per group, groups ordered by their best hit, totals in groups', async () => {
    const r = await search({ distinct: 'publisher', sort: '-year' });
    expect(r.hits.map((h) => h.id)).toEqual(['e2', 'd2', 'c1', 'a3', 'b2']);
    expect([r.total, r.total_relation]).toEqual([5, 'eq']);
    expect(r.next_cursor).toBeNull();
  });

  check('distinct: distinct_limit hits per group, group after group, in the sort', async () => {
    expect(await ids({ distinct: 'publisher', distinct_limit: 2, sort: '-year' })).toEqual([
      ...['e2', 'e1', 'd2', 'd1', 'c1', 'a3', 'a2', 'b2', 'b1'],
    ]);
    expect(await ids({ distinct: 'publisher', distinct_limit: 3, sort: 'year', size: 2 })).toEqual([
      ...['e1', 'e2', 'd1', 'd2'],
    ]);
  });

  check('distinct: pages count groups', async () => {
    const page = (n: number) => search({ distinct: 'publisher', sort: '-year', size: 2, page: n });
    const pages = await Promise.all([1, 2, 3].map(page));
    expect(pages.map((p) => p.hits.map((h) => h.id))).toEqual([['e2', 'd2'], ['c1', 'a3'], ['b2']]);
    expect(pages.map((p) => p.total)).toEqual([5, 5, 5]);
  });

  check('distinct: with a filter and a text query, groups of what matches', async () => {
    const en = await search({ distinct: 'publisher', sort: '-year', filter: 'lang = "en"' });
    expect(en.hits.map((h) => h.id)).toEqual(['e2', 'c1', 'a2', 'b1', 'd1']);
    expect(en.total).toBe(5);
    const red = await search({ q: 'red', distinct: 'publisher', sort: '-year' });
    expect(red.hits.map((h) => h.id)).toEqual(['d2', 'b2', 'a2']);
    expect(red.total).toBe(3);
  });

  check('distinct: every hit of a group is highlighted', async () => {
    const r = await search({
      q: 'red',
      distinct: 'publisher',
      distinct_limit: 2,
      sort: '-year',
      highlight: 'title',
    });
    expect(r.hits.map((h) => h.id)).toEqual(['d2', 'b2', 'b1', 'a2', 'a1']);
    for (const h of r.hits) expect(h.highlights?.title?.[0], h.id).toContain('<mark>red</mark>');
  });

  check('distinct: facets count documents, not groups', async () => {
    const r = await search({ q: 'red', distinct: 'publisher', sort: '-year', facets: 'lang' });
    expect(r.facets.lang?.buckets).toEqual([
      { value: 'en', count: 3 },
      { value: 'de', count: 1 },
      { value: 'fr', count: 1 },
    ]);
  });

  check('distinct: ranked by relevance, every group once', async () => {
    const r = await search({ q: 'fox', distinct: 'publisher', fields: 'publisher' });
    // Fox titles: p1 (a1, a2, a3), p3 (c1) and the group without a publisher (d1, d2).
    expect(r.total).toBe(3);
    const groups = r.hits.map((h) => h.document.publisher ?? null);
    expect(new Set(groups).size).toBe(3);
    expect([...groups].sort()).toEqual(['p1', 'p3', null].sort());
  });

  check('distinct: refuses a field it cannot group by and a cursor', async () => {
    for (const field of ['title', 'year', 'id', 'nope'])
      await expect(search({ distinct: field })).rejects.toMatchObject({ code: 'INVALID_FIELD' });
    await expect(search({ distinct: 'publisher', distinct_limit: 11 })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    const first = await search({ sort: '-year', size: 2 });
    await expect(
      search({ distinct: 'publisher', sort: '-year', size: 2, cursor: first.next_cursor! }),
    ).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
  });
}
