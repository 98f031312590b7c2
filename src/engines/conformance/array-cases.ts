/**
 * Multi-valued fields, engine-neutral: filters match when any element does, facets count a document once per
 * value, sorts take the smallest value ascending and the largest descending, text lists keep phrase boundaries
 * between items. Everything goes through the EngineDriver, on an index of its own.
 */
import { expect } from 'vitest';
import type { FacetResult } from '../../query/types.js';
import { caseIndex } from './case-index.js';
import type { EngineDriver } from './driver.js';
import { digest } from './document-cases.js';

type Check = (title: string, fn: () => Promise<void>, timeoutMs?: number) => void;

export const ARRAY_SCHEMA = {
  id_field: 'id',
  fields: {
    id: { type: 'keyword' },
    title: { type: 'text' },
    tags: { type: 'keyword', array: true, facet: true, sortable: true },
    ratings: { type: 'integer', array: true, facet: true, sortable: true },
    scores: { type: 'float', array: true },
    released: { type: 'date', array: true, sortable: true },
    flags: { type: 'boolean', array: true, facet: true },
    quotes: { type: 'text', array: true },
    price: { type: 'float', sortable: true },
  },
};

export const ARRAY_DOCS: Record<string, unknown>[] = [
  {
    id: 'b1',
    title: 'Guards',
    tags: ['fantasy', 'humor'],
    ratings: [5, 3],
    scores: [0.5, 1.25],
    released: ['2001-01-01', '1999-06-01'],
    flags: [true],
    quotes: ['the quick brown', 'fox jumps high'],
    price: 9.5,
  },
  {
    id: 'b2',
    title: 'Guide',
    tags: ['humor'],
    ratings: [4],
    released: ['2010-01-01'],
    flags: [false, true],
    quotes: ['a brown fox'],
    price: 7,
  },
  {
    // A repeated value counts once: in facets, and in any filter.
    id: 'b3',
    title: 'Rings',
    tags: ['fantasy', 'epic', 'fantasy'],
    ratings: [2, 9],
    released: ['1954-07-29'],
    flags: [false],
    quotes: ['one ring to rule them all'],
  },
  // A single value where the schema says array is a one-element array; an empty array is no value.
  { id: 'b4', title: 'Foundation', tags: 'scifi', ratings: [], scores: 2 },
  { id: 'b5', title: 'Untagged' },
];

const sortedBuckets = (f: FacetResult | undefined) =>
  [...(f?.buckets ?? [])].sort((a, b) => String(a.value).localeCompare(String(b.value)));

export function arrayCases(check: Check, driver: () => EngineDriver, base: string): void {
  const idx = `${base}-arrays`;
  caseIndex(driver, idx, ARRAY_SCHEMA, ARRAY_DOCS);
  const ids = async (input: Parameters<EngineDriver['search']>[1]) =>
    (await driver().search(idx, { sort: 'id', size: 50, ...input })).hits.map((h) => h.id);

  check('arrays: a filter matches when any element does; IN, ALL, NOT and EXISTS on lists', async () => {
    expect(await ids({ filter: 'tags = "humor"' })).toEqual(['b1', 'b2']);
    expect(await ids({ filter: 'tags = "scifi"' })).toEqual(['b4']);
    expect(await ids({ filter: 'tags IN ["epic", "scifi"]' })).toEqual(['b3', 'b4']);
    expect(await ids({ filter: 'tags ALL ["fantasy", "humor"]' })).toEqual(['b1']);
    expect(await ids({ filter: { all: { tags: ['fantasy', 'humor'] } } })).toEqual(['b1']);
    expect(await ids({ filter: { all: { tags: ['fantasy', 'nope'] } } })).toEqual([]);
    // Documents whose list lacks the value, or that have no list, are "not equal".
    expect(await ids({ filter: 'NOT tags = "humor"' })).toEqual(['b3', 'b4', 'b5']);
    expect(await ids({ filter: 'tags NOT IN ["fantasy"]' })).toEqual(['b2', 'b4', 'b5']);
    expect(await ids({ filter: 'ratings EXISTS' })).toEqual(['b1', 'b2', 'b3']);
    expect(await ids({ filter: 'ratings NOT EXISTS' })).toEqual(['b4', 'b5']);
    expect(await ids({ filter: 'flags = false' })).toEqual(['b2', 'b3']);
    expect(await ids({ filter: 'flags = true AND flags = false' })).toEqual(['b2']);
    expect(await ids({ filter: 'scores = 2' })).toEqual(['b4']);
  });

  check(
    'arrays: one range needs one element within both bounds; two ranges may use two elements',
    async () => {
      // b1 holds 5 and 3, b3 9 and 2: no element is 4, yet one is >= 4 and another <= 4.
      expect(await ids({ filter: { range: { ratings: { gte: 4, lte: 4 } } } })).toEqual(['b2']);
      expect(await ids({ filter: 'ratings >= 4 AND ratings <= 4' })).toEqual(['b1', 'b2', 'b3']);
      expect(await ids({ filter: 'ratings > 8' })).toEqual(['b3']);
      expect(await ids({ filter: 'scores >= 1' })).toEqual(['b1', 'b4']);
      expect(await ids({ filter: 'released < "2000-01-01"' })).toEqual(['b1', 'b3']);
      expect(await ids({ filter: { range: { released: { gte: '2000-01-01', lt: '2005-01-01' } } } })).toEqual(
        ['b1'],
      );
    },
  );

  check(
    'arrays: facets count a document once per value, disjunctively, with and without a query',
    async () => {
      const svc = driver();
      const all = await svc.search(idx, { facets: 'tags,flags', size: 0 });
      expect(sortedBuckets(all.facets.tags)).toEqual([
        { value: 'epic', count: 1 },
        { value: 'fantasy', count: 2 },
        { value: 'humor', count: 2 },
        { value: 'scifi', count: 1 },
      ]);
      expect(sortedBuckets(all.facets.flags)).toEqual([
        { value: false, count: 2 },
        { value: true, count: 2 },
      ]);
      // The facet's own condition is dropped for its counts, the others' are kept.
      const picked = await svc.search(idx, { filter: 'tags = "humor"', facets: 'tags,ratings', size: 0 });
      expect(picked.total).toBe(2);
      expect(sortedBuckets(picked.facets.tags)).toEqual(sortedBuckets(all.facets.tags));
      expect(sortedBuckets(picked.facets.ratings)).toEqual([
        { value: 3, count: 1 },
        { value: 4, count: 1 },
        { value: 5, count: 1 },
      ]);
      // A text query counts through the embedded engine's facet table: the same numbers.
      const text = await svc.search(idx, { q: 'brown', facets: 'tags', size: 0 });
      expect(text.total).toBe(2);
      expect(sortedBuckets(text.facets.tags)).toEqual([
        { value: 'fantasy', count: 1 },
        { value: 'humor', count: 2 },
      ]);
      // Ties are ordered by value, so the top of a list is the same everywhere.
      expect(all.facets.tags!.buckets!.map((b) => b.value)).toEqual(['fantasy', 'humor', 'epic', 'scifi']);
    },
  );

  check('arrays: facet value search counts the list values starting with the prefix', async () => {
    const svc = driver();
    const values = async (input: Parameters<EngineDriver['search']>[1], prefix: string) =>
      sortedBuckets(
        (await svc.search(idx, { ...input, size: 0, facets: [{ field: 'tags', prefix }] })).facets.tags,
      );
    expect(await values({}, 'f')).toEqual([{ value: 'fantasy', count: 2 }]);
    expect(await values({}, 'HU')).toEqual([{ value: 'humor', count: 2 }]);
    expect(await values({ filter: 'ratings > 8' }, 'f')).toEqual([{ value: 'fantasy', count: 1 }]);
    expect(await values({ q: 'brown' }, 'h')).toEqual([{ value: 'humor', count: 2 }]);
    expect(await values({}, 'z')).toEqual([]);
    // Within the typo budget (one typo from 5 characters), per list value, with and without a text query.
    expect(await values({}, 'fantsy')).toEqual([{ value: 'fantasy', count: 2 }]);
    expect(await values({}, 'hunor')).toEqual([{ value: 'humor', count: 2 }]);
    expect(await values({ q: 'brown' }, 'hunor')).toEqual([{ value: 'humor', count: 2 }]);
    expect(await values({ filter: 'ratings > 8' }, 'fantsy')).toEqual([{ value: 'fantasy', count: 1 }]);
  });

  check('arrays: range facets count a document once per range, stats take every value', async () => {
    const svc = driver();
    const facets = { ratings: { ranges: [{ to: 4 }, { from: 4 }, { from: 3, to: 6 }], stats: true } };
    const all = (await svc.search(idx, { facets, size: 0 })).facets.ratings!;
    expect(all.ranges!.map((x) => x.count)).toEqual([2, 3, 2]);
    expect(all.stats).toMatchObject({ min: 2, max: 9, sum: 23, count: 5 });
    // b1 (5, 3) and b2 (4), counted from the embedded engine's facet table.
    const text = (await svc.search(idx, { q: 'brown', facets, size: 0 })).facets.ratings!;
    expect(text.ranges!.map((x) => x.count)).toEqual([1, 2, 2]);
    expect(text.stats).toMatchObject({ min: 3, max: 5, sum: 12, count: 3 });
  });

  check('arrays: a list sorts by its smallest value ascending and its largest descending', async () => {
    expect(await ids({ sort: 'ratings,id' })).toEqual(['b3', 'b1', 'b2', 'b4', 'b5']);
    expect(await ids({ sort: '-ratings,id' })).toEqual(['b3', 'b1', 'b2', 'b4', 'b5']);
    expect(await ids({ sort: 'tags,id' })).toEqual(['b3', 'b1', 'b2', 'b4', 'b5']);
    expect(await ids({ sort: '-tags,id' })).toEqual(['b4', 'b1', 'b2', 'b3', 'b5']);
    expect(await ids({ sort: 'released,id' })).toEqual(['b3', 'b1', 'b2', 'b4', 'b5']);
    expect(await ids({ sort: '-released,id' })).toEqual(['b2', 'b1', 'b3', 'b4', 'b5']);
    // Cursors carry the value the list sorted by.
    const svc = driver();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await svc.search(idx, { sort: '-ratings', size: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.hits.map((h) => h.id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor && seen.length < 10);
    expect(seen).toEqual(['b3', 'b1', 'b2', 'b4', 'b5']);
  });

  check('arrays: the items of a text list are searched, and a phrase never spans two items', async () => {
    expect(await ids({ q: 'jumps' })).toEqual(['b1']);
    expect(await ids({ q: 'brown fox' })).toEqual(['b1', 'b2']);
    // b1 holds "the quick brown" and "fox jumps high": the words meet only across two items.
    expect(await ids({ q: '"brown fox"' })).toEqual(['b2']);
    expect(await ids({ q: '"fox jumps"' })).toEqual(['b1']);
    // A highlight marks the word within its item, and shows no trace of how the items are kept apart.
    const svc = driver();
    const marked = (await svc.search(idx, { q: 'jumps', highlight: 'quotes' })).hits[0]!.highlights;
    expect(marked?.quotes?.[0]).toContain('<mark>jumps</mark>');
    expect(marked?.quotes?.[0]).not.toContain('\u2063');
  });

  check('arrays: documents read back, patch and export as written', async () => {
    const svc = driver();
    // Dates are normalised (ISO-8601 UTC); a repeated value is kept in the document as written.
    expect((await svc.getDocument(idx, 'b1')).document).toEqual({
      ...ARRAY_DOCS[0],
      released: ['2001-01-01T00:00:00.000Z', '1999-06-01T00:00:00.000Z'],
    });
    expect((await svc.getDocument(idx, 'b3')).document).toMatchObject({
      tags: ['fantasy', 'epic', 'fantasy'],
      released: ['1954-07-29T00:00:00.000Z'],
    });
    const index = `${idx}-patch`;
    await svc.dropIndex(index).catch(() => undefined);
    await svc.putIndex(index, ARRAY_SCHEMA);
    try {
      expect((await svc.importDocuments(index, ARRAY_DOCS)).failed).toBe(0);
      // A merge patch replaces a list whole (RFC 7396 merges objects only).
      await svc.patchDocument(index, 'b1', { tags: ['poetry'], ratings: null });
      const b1 = (await svc.getDocument(index, 'b1')).document;
      expect(b1.tags).toEqual(['poetry']);
      expect(b1.ratings).toBeUndefined();
      expect(b1.quotes).toEqual(ARRAY_DOCS[0]!.quotes);
      expect((await svc.search(index, { filter: 'tags = "poetry"' })).hits.map((h) => h.id)).toEqual(['b1']);
      expect((await svc.search(index, { filter: 'tags = "humor"' })).hits.map((h) => h.id)).toEqual(['b2']);
      const before = await svc.exportDocuments(index);
      await svc.dropIndex(index);
      await svc.putIndex(index, ARRAY_SCHEMA);
      expect((await svc.importDocuments(index, before)).failed).toBe(0);
      expect(digest(await svc.exportDocuments(index))).toBe(digest(before));
      expect(await svc.exportDocuments(index, { filter: 'tags = "fantasy"' })).toHaveLength(1);
    } finally {
      await svc.dropIndex(index).catch(() => undefined);
    }
  });

  check(
    'arrays: an array where one value is declared, or an element of the wrong type, is refused',
    async () => {
      const svc = driver();
      await expect(svc.putDocument(idx, 'bad', { id: 'bad', price: [1, 2] })).rejects.toMatchObject({
        code: 'INVALID_DOCUMENT',
        message: expect.stringContaining('"price"'),
      });
      await expect(svc.putDocument(idx, 'bad', { id: 'bad', ratings: [1, 'x'] })).rejects.toMatchObject({
        code: 'INVALID_DOCUMENT',
        message: expect.stringContaining('"ratings[1]"'),
      });
      await expect(svc.putDocument(idx, 'bad', { id: 'bad', tags: ['a', null] })).rejects.toMatchObject({
        code: 'INVALID_DOCUMENT',
        message: expect.stringContaining('element 1'),
      });
      await expect(svc.getDocument(idx, 'bad')).rejects.toMatchObject({ code: 'DOCUMENT_NOT_FOUND' });
    },
  );
}
