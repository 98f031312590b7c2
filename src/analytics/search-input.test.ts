import { describe, expect, it } from 'vitest';
import { inputMemoKey, INPUT_MEMO_MAX_KEY, SearchInputMemo, searchInputFields } from './search-input.js';

describe('search input memo', () => {
  it('answers what working the input out answers, for every input form', () => {
    const memo = new SearchInputMemo();
    const inputs: unknown[] = [
      'q=%C3%89mile+Zola&filter=genre%20%3D%20%22x%22',
      'q=react&facets=&highlight=',
      { q: '  Dune   MESSIAH ', filter: 'genre = "scifi" AND pages > 100' },
      { q: 'x', filter: { and: [{ term: { genre: 'scifi' } }, { range: { rating: { gte: 4 } } }] } },
      { q: 42 },
      {},
      null,
      undefined,
    ];
    // Twice each: the second answer comes from the memo.
    for (const input of [...inputs, ...inputs])
      expect(memo.fieldsOf(input)).toEqual(searchInputFields(input));
    expect(memo.fieldsOf('q=%C3%89mile+Zola&filter=genre%20%3D%20%22x%22')).toEqual({
      query: 'émile zola',
      filterFields: ['genre'],
    });
  });

  it('never attributes one input fields of another', () => {
    const memo = new SearchInputMemo();
    const pairs: [unknown, unknown][] = [
      // The same characters split differently between q and filter.
      [
        { q: 'a', filter: 'b = 1' },
        { q: 'ab = 1', filter: '' },
      ],
      [
        { q: 'genre', filter: ' = 1' },
        { q: 'genr', filter: 'e = 1' },
      ],
      // A raw query string whose text equals a parsed input's key material.
      ['q=dune', { q: 'q=dune' }],
      ['q=dune', { q: 'dune' }],
      // Encodings that decode differently.
      ['q=a+b', 'q=a%2Bb'],
    ];
    for (const [a, b] of pairs) {
      const first = memo.fieldsOf(a);
      const second = memo.fieldsOf(b);
      expect(first).toEqual(searchInputFields(a));
      expect(second).toEqual(searchInputFields(b));
      expect(memo.fieldsOf(a)).toEqual(first);
    }
    expect(inputMemoKey({ q: 'a', filter: 'b = 1' })).not.toBe(inputMemoKey({ q: 'ab = 1' }));
    expect(inputMemoKey('q=dune')).not.toBe(inputMemoKey({ q: 'q=dune' }));
  });

  it('keeps no key for long inputs or JSON filter trees: those are worked out each time', () => {
    expect(inputMemoKey(`q=${'a'.repeat(INPUT_MEMO_MAX_KEY)}`)).toBeUndefined();
    expect(inputMemoKey({ q: 'x', filter: { term: { genre: 'x' } } })).toBeUndefined();
    expect(inputMemoKey({ q: ['a', 'b'] })).toBeUndefined();
    const memo = new SearchInputMemo();
    const long = `q=${'Long '.repeat(200)}`;
    expect(memo.fieldsOf(long).query).toBe(searchInputFields(long).query);
  });

  it('shares one frozen answer between the searches of one input', () => {
    const memo = new SearchInputMemo();
    const first = memo.fieldsOf('q=dune&filter=genre%20%3D%201');
    expect(memo.fieldsOf('q=dune&filter=genre%20%3D%201')).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.filterFields)).toBe(true);
  });
});
