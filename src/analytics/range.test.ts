import { describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/errors.js';
import { reportRange } from './range.js';

const NOW = Date.UTC(2026, 5, 1, 12);

describe('report range', () => {
  it('defaults to the last 24 hours up to now, 20 rows, every index', () => {
    expect(reportRange({}, NOW)).toEqual({ from: NOW - 86_400_000, to: NOW, limit: 20 });
  });

  it('takes a window, or from/to as ISO-8601 or epoch milliseconds', () => {
    expect(reportRange({ window: '30m', index: 'books', limit: 5 }, NOW)).toEqual({
      index: 'books',
      from: NOW - 1_800_000,
      to: NOW,
      limit: 5,
    });
    expect(reportRange({ from: '2026-06-01T00:00:00Z', to: String(NOW) }, NOW)).toMatchObject({
      from: Date.UTC(2026, 5, 1),
      to: NOW,
    });
    expect(reportRange({ window: '2w', to: '2026-06-15T12:00:00.000Z' }, 0).from).toBe(NOW);
  });

  it('starts a window reaching back past 1970 at 0, so its ends stay valid dates', () => {
    const range = reportRange({ window: '999999w' }, NOW);
    expect(range.from).toBe(0);
    expect(new Date(range.from).toISOString()).toBe('1970-01-01T00:00:00.000Z');
    expect(reportRange({ to: '0000-01-01' }, NOW)).toMatchObject({ from: 0, to: -62_167_219_200_000 });
  });

  it('reads zones, prefers from to a window, and leaves a range that ends before it starts empty', () => {
    expect(reportRange({ from: '2026-06-01T14:00+02:00' }, NOW).from).toBe(NOW);
    expect(reportRange({ from: '2026-06-01T12:00:00.5Z' }, NOW + 1000).from).toBe(NOW + 500);
    expect(reportRange({ from: String(NOW - 5), window: '1h' }, NOW).from).toBe(NOW - 5);
    expect(reportRange({ from: String(NOW + 1) }, NOW)).toMatchObject({ from: NOW + 1, to: NOW });
  });

  it('refuses what cannot be a range with INVALID_REQUEST', () => {
    for (const input of [{ from: 'yesterday' }, { to: 'soon' }, { window: '0h' }]) {
      expect(errorOf(() => reportRange(input, NOW)).code, JSON.stringify(input)).toBe('INVALID_REQUEST');
    }
  });
});
