/**
 * Nested objects, engine-neutral: dotted schema paths in filters, facets, sorts, text search and the `fields`
 * projection; arrays of objects flattened; merge patches that merge objects. Everything goes through the
 * EngineDriver, on an index of its own.
 */
import { expect } from 'vitest';
import { caseIndex } from './case-index.js';
import type { EngineDriver } from './driver.js';
import { digest } from './document-cases.js';

type Check = (title: string, fn: () => Promise<void>, timeoutMs?: number) => void;

export const OBJECT_SCHEMA = {
  id_field: 'id',
  fields: {
    id: { type: 'keyword' },
    title: { type: 'text' },
    'author.name': { type: 'keyword', facet: true, sortable: true },
    'author.born': { type: 'integer', sortable: true },
    'author.bio': { type: 'text' },
    'authors.name': { type: 'keyword', array: true, facet: true },
    'authors.role': { type: 'keyword', array: true },
    'meta.published': { type: 'date', sortable: true },
    'meta.flags.hidden': { type: 'boolean' },
  },
};

export const OBJECT_DOCS: Record<string, unknown>[] = [
  {
    id: 'o1',
    title: 'Guards',
    author: { name: 'Pratchett', born: 1948, bio: 'wrote the discworld novels' },
    authors: [
      { name: 'Pratchett', role: 'writer' },
      { name: 'Kidby', role: 'illustrator' },
    ],
    meta: { published: '1989-01-01T00:00:00.000Z', flags: { hidden: false } },
  },
  {
    id: 'o2',
    title: 'Guide',
    author: { name: 'Adams', born: 1952, bio: 'wrote the guide' },
    authors: [{ name: 'Adams', role: 'writer' }],
    meta: { published: '1979-10-12T00:00:00.000Z' },
  },
  {
    id: 'o3',
    title: 'Rings',
    author: { name: 'Tolkien', born: 1892 },
    authors: [
      { name: 'Tolkien', role: 'illustrator' },
      { name: 'Kidby', role: 'writer' },
    ],
    meta: { flags: { hidden: true } },
  },
  { id: 'o4', title: 'Untitled' },
];

export function objectCases(check: Check, driver: () => EngineDriver, base: string): void {
  const idx = `${base}-objects`;
  caseIndex(driver, idx, OBJECT_SCHEMA, OBJECT_DOCS);
  const ids = async (input: Parameters<EngineDriver['search']>[1]) =>
    (await driver().search(idx, { sort: 'id', size: 50, ...input })).hits.map((h) => h.id);

  check('objects: dotted paths filter, at any depth, in both filter forms', async () => {
    expect(await ids({ filter: 'author.name = "Adams"' })).toEqual(['o2']);
    expect(await ids({ filter: { term: { 'author.name': 'Tolkien' } } })).toEqual(['o3']);
    expect(await ids({ filter: 'author.born < 1950' })).toEqual(['o1', 'o3']);
    expect(await ids({ filter: 'meta.flags.hidden = true' })).toEqual(['o3']);
    expect(await ids({ filter: 'NOT meta.flags.hidden = true' })).toEqual(['o1', 'o2', 'o4']);
    expect(await ids({ filter: 'meta.published EXISTS' })).toEqual(['o1', 'o2']);
    expect(await ids({ filter: 'meta.published >= "1980-01-01"' })).toEqual(['o1']);
    expect(await ids({ filter: 'authors.name = "Kidby"' })).toEqual(['o1', 'o3']);
  });

  check(
    'objects: an array of objects is flattened, so two conditions may hold on different elements',
    async () => {
      // o1 has Kidby as its illustrator; o3 has Kidby (a writer) and an illustrator (Tolkien): both match.
      expect(await ids({ filter: 'authors.name = "Kidby" AND authors.role = "illustrator"' })).toEqual([
        'o1',
        'o3',
      ]);
      expect(await ids({ filter: 'authors.name = "Adams" AND authors.role = "illustrator"' })).toEqual([]);
    },
  );

  check(
    'objects: each condition on a path of an array of objects looks at every element on its own',
    async () => {
      const both = async (expression: string, tree: unknown) => {
        const got = await ids({ filter: expression });
        expect(await ids({ filter: tree as Record<string, unknown> }), expression).toEqual(got);
        return got;
      };
      // Tolkien is o3's illustrator and Kidby its writer: "Tolkien" and "writer" are held by different elements.
      expect(
        await both('authors.name = "Tolkien" AND authors.role = "writer"', {
          and: [{ term: { 'authors.name': 'Tolkien' } }, { term: { 'authors.role': 'writer' } }],
        }),
      ).toEqual(['o3']);
      // NOT: no element holds it (o1 and o3 both have a writer); documents without the array match.
      expect(
        await both('authors.name = "Kidby" AND NOT authors.role = "writer"', {
          and: [{ term: { 'authors.name': 'Kidby' } }, { not: { term: { 'authors.role': 'writer' } } }],
        }),
      ).toEqual([]);
      expect(
        await both('NOT (authors.name = "Kidby" AND authors.role = "illustrator")', {
          not: { and: [{ term: { 'authors.name': 'Kidby' } }, { term: { 'authors.role': 'illustrator' } }] },
        }),
      ).toEqual(['o2', 'o4']);
      // ALL: every value is held by some element, not necessarily one.
      expect(
        await both('authors.role ALL ["writer", "illustrator"]', {
          all: { 'authors.role': ['writer', 'illustrator'] },
        }),
      ).toEqual(['o1', 'o3']);
      expect(
        await both('authors.name IN ["Adams", "Tolkien"] AND authors.role = "illustrator"', {
          and: [
            { terms: { 'authors.name': ['Adams', 'Tolkien'] } },
            { term: { 'authors.role': 'illustrator' } },
          ],
        }),
      ).toEqual(['o3']);
      expect(await both('authors.role EXISTS', { exists: 'authors.role' })).toEqual(['o1', 'o2', 'o3']);
    },
  );

  check('objects: facets and sorts on paths', async () => {
    const svc = driver();
    const res = await svc.search(idx, { facets: 'author.name,authors.name', size: 0 });
    expect(res.facets['authors.name']!.buckets).toEqual([
      { value: 'Kidby', count: 2 },
      { value: 'Adams', count: 1 },
      { value: 'Pratchett', count: 1 },
      { value: 'Tolkien', count: 1 },
    ]);
    expect(res.facets['author.name']!.buckets).toHaveLength(3);
    const picked = await svc.search(idx, {
      filter: 'author.name = "Adams"',
      facets: 'author.name,authors.name',
      size: 0,
    });
    expect(picked.facets['author.name']!.buckets).toHaveLength(3);
    expect(picked.facets['authors.name']!.buckets).toEqual([{ value: 'Adams', count: 1 }]);
    expect(await ids({ sort: 'author.born' })).toEqual(['o3', 'o1', 'o2', 'o4']);
    expect(await ids({ sort: '-meta.published' })).toEqual(['o1', 'o2', 'o3', 'o4']);
    expect(await ids({ sort: '-author.name' })).toEqual(['o3', 'o1', 'o2', 'o4']);
  });

  check('objects: nested text is searched, and fields returns the nested shape', async () => {
    expect(await ids({ q: 'discworld' })).toEqual(['o1']);
    expect(await ids({ q: 'guide', search_fields: 'author.bio' })).toEqual(['o2']);
    const svc = driver();
    const one = await svc.search(idx, {
      filter: 'author.name = "Pratchett"',
      fields: 'author.name,meta.flags.hidden,authors.role',
    });
    expect(one.hits[0]!.document).toEqual({
      author: { name: 'Pratchett' },
      meta: { flags: { hidden: false } },
      authors: [{ role: 'writer' }, { role: 'illustrator' }],
    });
    expect((await svc.getDocument(idx, 'o1')).document).toEqual(OBJECT_DOCS[0]);
  });

  check(
    'objects: a merge patch merges nested objects and replaces arrays; export round-trips',
    async () => {
      const svc = driver();
      const index = `${idx}-patch`;
      await svc.dropIndex(index).catch(() => undefined);
      await svc.putIndex(index, OBJECT_SCHEMA);
      try {
        expect((await svc.importDocuments(index, OBJECT_DOCS)).failed).toBe(0);
        await svc.patchDocument(index, 'o2', { author: { born: 1953, bio: null }, authors: [{ name: 'Z' }] });
        expect((await svc.getDocument(index, 'o2')).document).toEqual({
          ...OBJECT_DOCS[1],
          author: { name: 'Adams', born: 1953 },
          authors: [{ name: 'Z' }],
        });
        const byBorn = await svc.search(index, { filter: 'author.born = 1953 AND authors.name = "Z"' });
        expect(byBorn.hits.map((h) => h.id)).toEqual(['o2']);
        expect((await svc.search(index, { q: 'guide', search_fields: 'author.bio' })).hits).toEqual([]);
        await expect(svc.patchDocument(index, 'o2', { author: { age: 3 } })).rejects.toMatchObject({
          code: 'INVALID_DOCUMENT',
          message: expect.stringContaining('"author.age"'),
        });
        const before = await svc.exportDocuments(index);
        await svc.dropIndex(index);
        await svc.putIndex(index, OBJECT_SCHEMA);
        expect((await svc.importDocuments(index, before)).failed).toBe(0);
        expect(digest(await svc.exportDocuments(index))).toBe(digest(before));
        // A reindex carries the nested documents over (the clusters copy them from their stored source).
        const wider = {
          ...OBJECT_SCHEMA,
          fields: { ...OBJECT_SCHEMA.fields, 'meta.pages': { type: 'integer' } },
        };
        await svc.reindex(index, wider);
        expect(digest(await svc.exportDocuments(index))).toBe(digest(before));
        expect(
          (await svc.search(index, { filter: 'author.name = "Tolkien"' })).hits.map((h) => h.id),
        ).toEqual(['o3']);
        const lists = await svc.search(index, { filter: 'authors.name = "Z"', facets: 'authors.name' });
        expect(lists.hits.map((h) => h.id)).toEqual(['o2']);
        expect(lists.facets['authors.name']!.buckets).toHaveLength(4);
      } finally {
        await svc.dropIndex(index).catch(() => undefined);
      }
    },
    120_000,
  );
}
