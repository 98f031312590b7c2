import { describe, expect, it } from 'vitest';
import { DEFAULT_TYPO_TOLERANCE } from '../schema/settings.js';
import type { IndexSchema } from '../schema/types.js';
import { facetPrefixMatcher, facetPrefixTypos, foldedCodePoints } from './facet-prefix.js';

/** Optimal string alignment distance, the whole table: the reference the matcher's cut-offs must agree with. */
function osa(a: number[], b: number[]): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
        d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** The definition, by brute force: same first character, the rest within k of some beginning of the value's rest. */
function reference(prefix: string, typos: number, value: string): boolean {
  const p = foldedCodePoints(prefix);
  const v = foldedCodePoints(value);
  if (!v.length || v[0] !== p[0]) return false;
  for (let j = 1; j <= v.length; j++) if (osa(p.slice(1), v.slice(1, j)) <= typos) return true;
  return false;
}

describe('facet value search with typos', () => {
  it('agrees with the brute-force definition on random words', () => {
    let seed = 17;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const word = (len: number) => Array.from({ length: len }, () => 'abcAB-é'[rand(7)]).join('');
    let accepted = 0;
    for (let n = 0; n < 4000; n++) {
      const prefix = 'a' + word(1 + rand(9));
      const value = rand(2) ? 'a' + word(rand(12)) : prefix.slice(0, 1 + rand(prefix.length)) + word(rand(5));
      for (const typos of [0, 1, 2]) {
        const got = facetPrefixMatcher(prefix, typos)(value);
        expect(got, `${prefix} ${typos} ${value}`).toBe(reference(prefix, typos, value));
        if (got) accepted++;
      }
    }
    expect(accepted).toBeGreaterThan(1000);
  });

  it('takes its budget from the typo settings and the request', () => {
    const schema = { id_field: 'id', fields: {} } as unknown as IndexSchema;
    expect([3, 4, 5, 8, 9].map((n) => facetPrefixTypos('p'.repeat(n), 'f', schema, true))).toEqual([
      0, 0, 1, 1, 2,
    ]);
    expect(facetPrefixTypos('penguin', 'f', schema, false)).toBe(0);
    expect(facetPrefixTypos('pengu1n', 'f', schema, true)).toBe(0);
    const off = { ...schema, typo_tolerance: { ...DEFAULT_TYPO_TOLERANCE, disable_on_fields: ['f'] } };
    expect(facetPrefixTypos('penguin', 'f', off, true)).toBe(0);
    expect(facetPrefixTypos('penguin', 'g', off, true)).toBe(1);
  });
});
