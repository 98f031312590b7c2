import { describe, expect, it } from 'vitest';
import {
  composeFilter,
  facetPlan,
  filterExample,
  parenthesesBalance,
  searchBody,
  searchPath,
  sortChoices,
  type SearchField,
} from './request.js';
import { emptyState } from './state.js';

const field = (name: string, type: SearchField['type'], opts: Partial<SearchField> = {}): SearchField => ({
  name,
  type,
  searchable: false,
  filterable: true,
  facet: false,
  sortable: false,
  array: false,
  ...opts,
});

const FIELDS = [
  field('title', 'text', { searchable: true }),
  field('genre', 'keyword', { facet: true }),
  field('pages', 'integer', { facet: true, sortable: true }),
  field('published', 'date', { facet: true, sortable: true }),
];

describe('the search request the page sends', () => {
  it('offers keyword facets as value lists and numeric ones as ranges; sorts both ways', () => {
    expect(facetPlan(FIELDS)).toEqual({ terms: ['genre'], ranges: ['pages'] });
    expect(sortChoices(FIELDS).map((c) => c.value)).toEqual([
      '',
      'pages',
      '-pages',
      'published',
      '-published',
    ]);
  });

  it('turns facet picks into one condition per field, values of a field OR-ed, strings quoted', () => {
    const state = {
      ...emptyState(),
      terms: { genre: ['scifi', 'say "hi"\\'], author: ['Le Guin'] },
      ranges: { pages: ['..100', '300..400'], rating: ['4..'] },
    };
    expect(composeFilter(state)).toEqual({
      filter:
        'author = "Le Guin" AND genre IN ["scifi", "say \\"hi\\"\\\\"] AND ' +
        '(pages < 100 OR (pages >= 300 AND pages < 400)) AND rating >= 4',
      combined: false,
    });
  });

  it('sends a typed filter as typed when it is alone, and wraps it when facets are picked', () => {
    expect(composeFilter({ ...emptyState(), filter: ' pages > 1 ' })).toEqual({
      filter: ' pages > 1 ',
      combined: false,
    });
    expect(composeFilter({ ...emptyState(), filter: 'a = 1 OR b = 2', terms: { genre: ['x'] } })).toEqual({
      filter: '(a = 1 OR b = 2) AND genre = "x"',
      combined: true,
    });
    expect(composeFilter(emptyState())).toEqual({ combined: false });
  });

  it('never lets a typed filter escape its parentheses: an unbalanced one is sent alone', () => {
    const state = { ...emptyState(), filter: 'a = 1) OR (b = 2', terms: { genre: ['x'] } };
    expect(composeFilter(state)).toEqual({ filter: 'a = 1) OR (b = 2', combined: false });
    expect(parenthesesBalance('(a = ")") AND (b = \'(\')')).toBe(true);
    expect(parenthesesBalance('a = "\\")" AND (b = 1)')).toBe(true);
    expect(parenthesesBalance('(a = 1')).toBe(false);
    expect(parenthesesBalance('a = 1)(')).toBe(false);
    expect(parenthesesBalance('a = "open')).toBe(false);
  });

  it('asks for facets on the first page only, and repeats q, filter and sort with the cursor', () => {
    const state = { ...emptyState(), q: 'dune', sort: '-pages', terms: { genre: ['scifi'] } };
    const plan = facetPlan(FIELDS);
    const ranges = { pages: [{ to: 100 }, { from: 100 }] };
    expect(searchBody(state, plan, ranges)).toEqual({
      q: 'dune',
      filter: 'genre = "scifi"',
      sort: '-pages',
      size: 10,
      facets: [
        { field: 'genre', size: 10 },
        { field: 'pages', ranges: [{ to: 100 }, { from: 100 }] },
      ],
    });
    expect(searchBody(state, plan, ranges, 'CURSOR')).toEqual({
      q: 'dune',
      filter: 'genre = "scifi"',
      sort: '-pages',
      size: 10,
      cursor: 'CURSOR',
    });
    // A numeric facet whose spread is unknown (an empty index) is left out rather than asked with no ranges.
    expect(searchBody(emptyState(), plan, {}).facets).toEqual([{ field: 'genre', size: 10 }]);
  });

  it("gives the filter box an example made of the index's own fields", () => {
    expect(filterExample(FIELDS)).toBe('e.g. pages >= 100 AND NOT genre = "…"');
    expect(filterExample([field('title', 'text', { filterable: false })])).toBe('');
  });

  it("uses the default index's routes when the page names no index", () => {
    expect(searchPath('')).toBe('/api/search');
    expect(searchPath('books')).toBe('/api/indexes/books/search');
  });
});
