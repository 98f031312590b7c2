import { describe, expect, it } from 'vitest';
import {
  formatMs,
  formatPosition,
  formatRate,
  latencyGroups,
  queryFromState,
  queryLabel,
  rangeText,
  reportPath,
  searchBars,
  stateFromQuery,
} from './reports.js';

describe('the page state in its URL', () => {
  it('reads the window and index, falling back to 24h for anything else', () => {
    expect(stateFromQuery('?window=7d&index=books')).toEqual({ window: '7d', index: 'books' });
    expect(stateFromQuery('')).toEqual({ window: '24h', index: '' });
    expect(stateFromQuery('?window=1y')).toEqual({ window: '24h', index: '' });
  });

  it('writes only what differs from the default, and reads back what it wrote', () => {
    expect(queryFromState({ window: '24h', index: '' })).toBe('');
    const state = { window: '30d', index: 'books' } as const;
    expect(queryFromState(state)).toBe('?window=30d&index=books');
    expect(stateFromQuery(queryFromState(state))).toEqual(state);
  });
});

describe('reportPath', () => {
  it('asks for the window, the rows and the index when one is chosen', () => {
    expect(reportPath('top-queries', { window: '7d', index: '' })).toBe(
      '/api/analytics/top-queries?window=7d&limit=10',
    );
    expect(reportPath('latency', { window: '24h', index: 'books' }, 5)).toBe(
      '/api/analytics/latency?window=24h&limit=5&index=books',
    );
  });
});

describe('shaping the answers', () => {
  it('names queries with their index only when every index is shown, and spells out the empty one', () => {
    expect(queryLabel({ index: 'books', query: 'dune' }, { window: '24h', index: '' })).toBe('books: dune');
    expect(queryLabel({ index: 'books', query: 'dune' }, { window: '24h', index: 'books' })).toBe('dune');
    expect(queryLabel({ index: 'books', query: '' }, { window: '24h', index: 'books' })).toBe(
      '(empty query)',
    );
  });

  it('turns query rows into bars of their searches, in the API order', () => {
    const rows = [
      { index: 'books', query: 'dune', searches: 4 },
      { index: 'books', query: 'emma', searches: 2 },
    ];
    expect(searchBars(rows, { window: '24h', index: 'books' })).toEqual([
      { label: 'dune', value: 4 },
      { label: 'emma', value: 2 },
    ]);
  });

  it('groups latency by index as p50, p95, p99', () => {
    expect(latencyGroups([{ index: 'books', searches: 3, p50_ms: 1.5, p95_ms: 4, p99_ms: 9.25 }])).toEqual([
      { label: 'books', values: [1.5, 4, 9.25] },
    ]);
  });

  it('writes rates, positions, times and the range for people', () => {
    expect(formatRate(0.5)).toBe('50.0%');
    expect(formatRate(1 / 3)).toBe('33.3%');
    expect(formatPosition(2)).toBe('2');
    expect(formatPosition(1.666666)).toBe('1.67');
    expect(formatPosition(null)).toBe('–');
    expect(formatMs(12.345)).toBe('12.3 ms');
    expect(rangeText({ from: '2026-12-05T18:00:00.000Z', to: '2026-12-06T18:00:00.000Z', index: null })).toBe(
      '2026-12-05 18:00 – 2026-12-06 18:00 UTC',
    );
  });
});
