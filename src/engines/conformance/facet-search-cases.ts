/**
 * Facet value search (a facet's `prefix`) behaves the same on every engine: only the values starting with the
 * text are counted (ASCII letters in either case, every other character exactly, LIKE and regex wildcards
 * included), over the same matches as the search: its text query and filters, disjunctive as every facet.
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
    publisher: { type: 'keyword', filterable: true, facet: true },
    lang: { type: 'keyword', filterable: true, facet: true },
    year: { type: 'integer', facet: true },
  },
};

const DOCS: Record<string, unknown>[] = [
  { id: 'p1', publisher: 'Penguin', lang: 'en', title: 'red book', year: 2001 },
  { id: 'p2', publisher: 'Penguin', lang: 'en', title: 'blue book', year: 2002 },
  { id: 'p3', publisher: 'Pearson', lang: 'fr', title: 'red book', year: 2003 },
  { id: 'p4', publisher: 'penguin-kids', lang: 'en', title: 'red story', year: 2004 },
  { id: 'p5', publisher: 'Packt', lang: 'en', title: 'red code', year: 2005 },
  { id: 'p6', publisher: 'Pe%rcent', lang: 'de', title: 'green', year: 2006 },
  { id: 'p7', publisher: 'PeXrcent', lang: 'de', title: 'green', year: 2007 },
  { id: 'p8', publisher: 'P.E.N', lang: 'de', title: 'green', year: 2008 },
];

export function facetSearchCases(check: Check, svc: () => EngineDriver): void {
  const idx = 'conformance-facet-search';
  const buckets = async (input: Parameters<EngineDriver['search']>[1], prefix: string) =>
    (
      await svc().search(idx, { ...input, size: 0, facets: [{ field: 'publisher', prefix }] })
    ).facets.publisher?.buckets?.map((b) => [b.value, b.count]);

  caseIndex(svc, idx, SCHEMA, DOCS);

  check('facet value search: the values starting with a prefix, ASCII letters in either case', async () => {
    expect(await buckets({}, 'pen')).toEqual([
      ['Penguin', 2],
      ['penguin-kids', 1],
    ]);
    expect(await buckets({}, 'PENGUIN-')).toEqual([['penguin-kids', 1]]);
    expect(await buckets({}, 'x')).toEqual([]);
  });

  check('facet value search: counts honour the text query and the filters, disjunctively', async () => {
    expect(await buckets({ q: 'red' }, 'pe')).toEqual([
      ['Pearson', 1],
      ['Penguin', 1],
      ['penguin-kids', 1],
    ]);
    expect(await buckets({ filter: 'lang = "en"' }, 'pe')).toEqual([
      ['Penguin', 2],
      ['penguin-kids', 1],
    ]);
    // The facet's own field is not filtered for its counts, as for every facet.
    expect(await buckets({ filter: 'publisher = "Packt" AND lang = "de"' }, 'pe')).toEqual([
      ['Pe%rcent', 1],
      ['PeXrcent', 1],
    ]);
  });

  check(
    'facet value search: wildcards of SQL LIKE and regular expressions are plain characters',
    async () => {
      expect(await buckets({}, 'pe%')).toEqual([['Pe%rcent', 1]]);
      expect(await buckets({}, 'pe_')).toEqual([]);
      expect(await buckets({}, 'p.')).toEqual([['P.E.N', 1]]);
      expect(await buckets({}, 'p.*')).toEqual([]);
    },
  );

  check('facet value search: refuses a prefix on a facet without values to search', async () => {
    for (const facet of [
      { field: 'year', prefix: '20' },
      { field: 'year', prefix: '2', ranges: [{ from: 0 }] },
      { field: 'publisher', prefix: '' },
    ])
      await expect(svc().search(idx, { facets: [facet] })).rejects.toMatchObject({ code: 'INVALID_FACET' });
  });
}
