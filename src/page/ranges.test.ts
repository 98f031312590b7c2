import { describe, expect, it } from 'vitest';
import { niceRanges, rangeLabel, shortNumber } from './ranges.js';

/** Every value in [min, max] falls in exactly one bucket (from inclusive, to exclusive). */
function coversOnce(ranges: { from?: number; to?: number }[], values: number[]): boolean {
  return values.every(
    (v) =>
      ranges.filter((r) => (r.from === undefined || v >= r.from) && (r.to === undefined || v < r.to))
        .length === 1,
  );
}

describe('range buckets of a numeric facet', () => {
  it('steps evenly over a narrow spread, with open ends', () => {
    const ranges = niceRanges(183, 482, true);
    expect(ranges).toEqual([{ to: 200 }, { from: 200, to: 300 }, { from: 300, to: 400 }, { from: 400 }]);
    expect(coversOnce(ranges, [183, 199, 200, 399, 400, 482])).toBe(true);
  });

  it('steps by decades over a spread of several orders of magnitude, at most six buckets', () => {
    const ranges = niceRanges(0, 120_000_000, true);
    expect(ranges.length).toBeLessThanOrEqual(6);
    expect(ranges[0]).toEqual({ to: 10 });
    expect(ranges.at(-1)!.from).toBeGreaterThanOrEqual(1e6);
    expect(coversOnce(ranges, [0, 9, 10, 5000, 1e7, 1.2e8])).toBe(true);
  });

  it('keeps decimal steps exact for floats, and gives none for a single value', () => {
    const ranges = niceRanges(3.9, 4.7, false);
    expect(ranges.map((r) => r.from ?? r.to)).toEqual([4, 4, 4.2, 4.4, 4.6]);
    expect(niceRanges(5, 5, true)).toEqual([]);
    expect(niceRanges(Number.NaN, 1, true)).toEqual([]);
  });

  it('labels numbers shortly', () => {
    expect(shortNumber(1200)).toBe('1.2k');
    expect(shortNumber(3_000_000)).toBe('3M');
    expect(rangeLabel({ to: 100 })).toBe('< 100');
    expect(rangeLabel({ from: 1000, to: 1e6 })).toBe('1k – 1M');
    expect(rangeLabel({ from: 1e9 })).toBe('≥ 1B');
  });
});
