import { describe, expect, it } from 'vitest';
import { aggregateSearches, SearchAggregator } from './aggregate.js';
import type { SearchInputFields } from './search-input.js';

const T0 = Date.UTC(2026, 0, 1);
const dune: SearchInputFields = { query: 'dune', filterFields: [] };

describe('folding searches into stored rows', () => {
  it('folds identical searches of one second into a row with their count, latencies by value', () => {
    const rows = new SearchAggregator();
    rows.add(T0 + 10, 'books', dune, 3, 0.0124, 'anonymous');
    rows.add(T0 + 990, 'books', dune, 3, 0.0121, 'anonymous');
    rows.add(T0 + 500, 'books', dune, 3, 0.02, 'anonymous');
    expect(rows.batch()).toEqual({
      searches: [
        {
          at: T0,
          index: 'books',
          query: 'dune',
          filterFields: [],
          hits: 3,
          principal: 'anonymous',
          searches: 3,
        },
      ],
      latencies: [
        { at: T0, index: 'books', latencyMs: 0.012, searches: 2 },
        { at: T0, index: 'books', latencyMs: 0.02, searches: 1 },
      ],
    });
  });

  it('keeps apart what a report tells apart: second, index, total, principal, query and filter', () => {
    const rows = new SearchAggregator();
    const base = [T0, 'books', dune, 3, 1, 'anonymous'] as const;
    rows.add(...base);
    rows.add(T0 + 1000, 'books', dune, 3, 1, 'anonymous');
    rows.add(T0, 'authors', dune, 3, 1, 'anonymous');
    rows.add(T0, 'books', dune, 0, 1, 'anonymous');
    rows.add(T0, 'books', dune, 3, 1, 'key:k1');
    rows.add(T0, 'books', { query: 'dune', filterFields: ['genre'] }, 3, 1, 'anonymous');
    rows.add(...base);
    const { searches, latencies } = rows.batch();
    expect(searches.map((r) => r.searches)).toEqual([2, 1, 1, 1, 1, 1]);
    expect(latencies).toEqual([
      { at: T0, index: 'books', latencyMs: 1, searches: 5 },
      { at: T0 + 1000, index: 'books', latencyMs: 1, searches: 1 },
      { at: T0, index: 'authors', latencyMs: 1, searches: 1 },
    ]);
  });

  it('still folds when one query is searched by many principals (past the scanned list)', () => {
    const rows = new SearchAggregator();
    for (let round = 0; round < 3; round++)
      for (let p = 0; p < 40; p++) rows.add(T0 + round, 'books', dune, 3, 1, `jwt:${p}`);
    const { searches } = rows.batch();
    expect(searches).toHaveLength(40);
    expect(searches.every((r) => r.searches === 3)).toBe(true);
  });

  it('folds records given one by one by their content', () => {
    const record = { at: T0, index: 'books', hits: 1, latencyMs: 2, principal: 'anonymous' };
    const batch = aggregateSearches([
      { ...record, query: 'dune', filterFields: ['a', 'b'] },
      { ...record, query: 'dune', filterFields: ['a', 'b'] },
      { ...record, query: 'dune', filterFields: ['a'] },
    ]);
    expect(batch.searches.map((r) => [r.filterFields, r.searches])).toEqual([
      [['a', 'b'], 2],
      [['a'], 1],
    ]);
  });
});
