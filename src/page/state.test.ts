import { describe, expect, it } from 'vitest';
import { emptyState, parseRangeKey, queryFromState, rangeKey, stateFromQuery, toggle } from './state.js';

describe('page state in the URL', () => {
  it('round-trips every part, facet picks included, with multi-values and characters that need escaping', () => {
    const state = {
      index: 'books',
      q: 'the "lord" & rings',
      filter: 'pages >= 300 AND author = "Le Guin"',
      sort: '-pages',
      terms: { genre: ['scifi', 'fantasy'], author: ['Le Guin', 'a&b=c'] },
      ranges: { pages: ['..100', '300..400'] },
    };
    const query = queryFromState(state);
    expect(stateFromQuery(query)).toEqual(state);
    expect(query).toContain('f.genre=scifi&f.genre=fantasy');
  });

  it('writes nothing for the empty state and only what was chosen otherwise', () => {
    expect(queryFromState(emptyState())).toBe('');
    expect(queryFromState({ ...emptyState(), q: 'react' })).toBe('?q=react');
  });

  it('reads /?q=react as a query on the default index, ignoring unknown and malformed parameters', () => {
    expect(stateFromQuery('?q=react&utm_source=x&r.pages=abc&r.pages=..&f.=x')).toEqual({
      ...emptyState(),
      q: 'react',
    });
  });

  it('keeps each picked value once', () => {
    expect(stateFromQuery('?f.genre=a&f.genre=a').terms).toEqual({ genre: ['a'] });
  });

  it('toggles a pick on and off, dropping a field left with none', () => {
    const on = toggle({}, 'genre', 'scifi');
    expect(on).toEqual({ genre: ['scifi'] });
    expect(toggle(on, 'genre', 'fantasy')).toEqual({ genre: ['scifi', 'fantasy'] });
    expect(toggle(on, 'genre', 'scifi')).toEqual({});
  });

  it('reads and writes range keys with open ends', () => {
    expect(parseRangeKey('100..1000')).toEqual({ from: 100, to: 1000 });
    expect(parseRangeKey('..0.5')).toEqual({ to: 0.5 });
    expect(parseRangeKey('-3..')).toEqual({ from: -3 });
    expect(parseRangeKey('1e6..')).toEqual({ from: 1e6 });
    for (const bad of ['..', '1-2', 'a..b', '1..2..3', '']) expect(parseRangeKey(bad)).toBeNull();
    expect(rangeKey({ from: 1, to: 2 })).toBe('1..2');
    expect(rangeKey({ to: 2 })).toBe('..2');
  });
});
