/**
 * Facet value search (a facet's `prefix`) behaves the same on every engine: only the values starting with the
 * text are counted (ASCII letters in either case, every other character exactly, LIKE and regex wildcards
 * included), or, from the index's typo sizes, the values whose beginning is within its typos of the prefix (the
 * first character as typed), over the same matches as the search: its text query and filters, disjunctive as
 * every facet.
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
  const buckets = async (input: Parameters<EngineDriver['search']>[1], prefix: string, size?: number) =>
    (
      await svc().search(idx, { ...input, size: 0, facets: [{ field: 'publisher', prefix, size }] })
    ).facets.publisher?.buckets?.map((b) => [b.value, b.count]);
  const penguins = [
    ['Penguin', 2],
    ['penguin-kids', 1],
  ];

  caseIndex(svc, idx, SCHEMA, DOCS);

  check('facet value search: the values starting with a prefix, ASCII letters in either case', async () => {
    expect(await buckets({}, 'pen')).toEqual([
      ['Penguin', 2],
      ['penguin-kids', 1],
    ]);
    // Without typos (8 characters may carry one: "Penguin" is one deletion away).
    expect(await buckets({ typo: false }, 'PENGUIN-')).toEqual([['penguin-kids', 1]]);
    expect(await buckets({}, 'PENGUIN-')).toEqual(penguins);
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

  check(
    'facet value search: one typo from 5 characters, two from 9, the first character as typed',
    async () => {
      // Under 5 characters: the values starting with the prefix only.
      expect(await buckets({}, 'pegu')).toEqual([]);
      expect(await buckets({}, 'peng')).toEqual(penguins);
      // One typo: replaced, missing, extra, or two neighbours swapped.
      for (const prefix of ['pengx', 'pengin', 'pengguin', 'pengiun', 'PENGIUN'])
        expect(await buckets({}, prefix), prefix).toEqual(penguins);
      expect(await buckets({}, 'pearsin')).toEqual([['Pearson', 1]]);
      expect(await buckets({}, 'pengiunx')).toEqual([]); // two typos in 8 characters
      // The first character is never corrected.
      expect(await buckets({}, 'qenguin')).toEqual([]);
      // Two typos from 9 characters; the rest of the value after the matched beginning does not count.
      expect(await buckets({}, 'pengiun-kods')).toEqual([['penguin-kids', 1]]);
      expect(await buckets({}, 'penguinkids')).toEqual([['penguin-kids', 1]]);
      // A typo budget never makes wildcards of %, _ or .: "%" is one character like any other.
      expect(await buckets({}, 'pe%rcemt')).toEqual([['Pe%rcent', 1]]);
      expect(await buckets({}, 'p.e.m')).toEqual([['P.E.N', 1]]);
      // No typo in a prefix with digits.
      expect(await buckets({}, 'p3ngu')).toEqual([]);
    },
  );

  check('facet value search with typos: counts, order and size as every facet', async () => {
    expect(await buckets({ q: 'red' }, 'pengiun')).toEqual([
      ['Penguin', 1],
      ['penguin-kids', 1],
    ]);
    expect(await buckets({ filter: 'lang = "fr"' }, 'pengiun')).toEqual([]);
    expect(await buckets({}, 'pengiun', 1)).toEqual([['Penguin', 2]]);
  });

  check('facet value search: typo=false and the index settings turn the typos off', async () => {
    expect(await buckets({ typo: false }, 'pengiun')).toEqual([]);
    await svc().putSettings(idx, { typo_tolerance: { enabled: true, min_word_size: { one_typo: 4 } } });
    try {
      expect(await buckets({}, 'pegu')).toEqual(penguins);
      await svc().putSettings(idx, { typo_tolerance: { enabled: false } });
      expect(await buckets({}, 'pengiun')).toEqual([]);
    } finally {
      await svc().putSettings(idx, {});
    }
    expect(await buckets({}, 'pengiun')).toEqual(penguins);
  });
}
