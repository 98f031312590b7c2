import { describe, expect, it } from 'vitest';
import { isSiftError } from '../../errors.js';
import { COMPARATORS, compare, parseComparator } from './comparator.js';

describe('comparators', () => {
  it('compares each way, at and around the threshold', () => {
    const table: [string, [boolean, boolean, boolean]][] = [
      // value below, equal to, above the threshold 1
      ['<', [true, false, false]],
      ['<=', [true, true, false]],
      ['>', [false, false, true]],
      ['>=', [false, true, true]],
      ['==', [false, true, false]],
      ['!=', [true, false, true]],
    ];
    for (const [op, expected] of table) {
      const c = parseComparator('c', op);
      expect(
        [0.5, 1, 1.5].map((v) => compare(v, c, 1)),
        op,
      ).toEqual(expected);
    }
    expect(table.map(([op]) => op)).toEqual([...COMPARATORS]);
  });

  it('never passes NaN, even with !=', () => {
    for (const c of COMPARATORS) expect(compare(NaN, c, 1), c).toBe(false);
  });

  it('holds infinities against finite thresholds', () => {
    expect(compare(Infinity, '<=', 0.5)).toBe(false);
    expect(compare(Infinity, '>', 0.5)).toBe(true);
  });

  it('refuses an unknown comparator with DEPLOY_INVALID', () => {
    for (const bad of ['=', '=>', 'lt', '']) {
      let err: unknown;
      try {
        parseComparator('step 2 comparator', bad);
      } catch (e) {
        err = e;
      }
      expect(isSiftError(err) && err.code, bad).toBe('DEPLOY_INVALID');
      expect(String(err)).toContain('step 2 comparator');
    }
  });
});
