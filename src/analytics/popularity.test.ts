import { describe, expect, it } from 'vitest';
import { popularityRows } from './popularity.js';
import type { SearchRow } from './types.js';

const T0 = Date.UTC(2026, 0, 1);
const row = (over: Partial<SearchRow>): SearchRow => ({
  at: T0,
  index: 'books',
  query: 'dune',
  filterFields: [],
  hits: 1,
  principal: 'key:a',
  searches: 1,
  ...over,
});

describe('popularity rows of a flush', () => {
  it('sums the searches that count per day, index, query and principal, in key order', () => {
    expect(
      popularityRows([
        row({ query: 'emma', searches: 2 }),
        row({ searches: 3, filterFields: ['genre'] }),
        row({ at: T0 + 5000, searches: 4 }),
        row({ at: T0 + 86_400_000 }),
        row({ principal: 'anonymous' }),
      ]),
    ).toEqual([
      { day: T0, index: 'books', query: 'dune', principal: 'anonymous', searches: 1 },
      { day: T0, index: 'books', query: 'dune', principal: 'key:a', searches: 7 },
      { day: T0 + 86_400_000, index: 'books', query: 'dune', principal: 'key:a', searches: 1 },
      { day: T0, index: 'books', query: 'emma', principal: 'key:a', searches: 2 },
    ]);
  });

  it('leaves out searches that found nothing, match-all searches and scoped keys', () => {
    expect(popularityRows([row({ hits: 0 }), row({ query: '' }), row({ principal: 'scoped:k1' })])).toEqual(
      [],
    );
  });
});
