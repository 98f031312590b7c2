import { describe, expect, it } from 'vitest';
import { fieldSpec } from '../../test/support/schema.js';
import { parseCurations } from '../schema/curations.js';
import type { IndexSchema } from '../schema/types.js';
import { checkCurationFilters, organicOffset, planCuration, spliceCurated } from './curation.js';
import { checkFilter } from './filter-check.js';
import { parseFilterExpression } from './filter-expression.js';
import { parseTextQuery } from './text-query.js';

const schema: IndexSchema = {
  id_field: 'id',
  fields: {
    id: fieldSpec('keyword'),
    title: fieldSpec('text', { searchable: true }),
    scope: fieldSpec('keyword', { filterable: true }),
    stars: fieldSpec('integer', { filterable: true }),
  },
  ranking: {},
};
const filter = (expr: string) => checkFilter(parseFilterExpression(expr), schema);
const plan = (rules: unknown, q: string, f: string | null = null) =>
  planCuration(parseCurations(rules), parseTextQuery(q), f ? filter(f) : null, schema);

/** Every page of a curated list, paged by offset as the service pages it, concatenated. */
function pageAll(pins: number[], organic: string[], size: number, counted = true): string[] {
  const pinned = pins.map((position) => ({ position, hit: `pin@${position}` }));
  const out: string[] = [];
  for (let start = 0; ; start += size) {
    const from = organicOffset(pins, start);
    const page = spliceCurated(
      pinned,
      organic.slice(from, from + size),
      counted ? organic.length : null,
      start,
      size,
    );
    out.push(...page.hits);
    if (page.hits.length < size) return out;
  }
}

describe('curation rules: which apply', () => {
  const rules = [
    { query: 'React', pin: [{ id: 'react', position: 1 }], hide: ['reakt'] },
    { query: 'ui  kit', match: 'contains', pin: [{ id: 'chakra', position: 2 }] },
    { query: 'react', filter: 'scope = "@types"', pin: [{ id: '@types/react', position: 2 }] },
  ];

  it('matches the whole query (exact) or whole words in it (contains), normalised like the query', () => {
    expect(plan(rules, '  REACT ')).toEqual({ pins: [{ id: 'react', position: 1 }], hide: ['reakt'] });
    expect(plan(rules, 'react hooks')).toBeNull();
    expect(plan(rules, 'best UI kit for vue')?.pins).toEqual([{ id: 'chakra', position: 2 }]);
    // Whole words only: "guide" holds "ui" but is not it.
    expect(plan(rules, 'guide kit')).toBeNull();
    expect(planCuration(parseCurations(rules), null, null, schema)).toBeNull();
  });

  it("applies a rule with a filter only when the request's filter is it or AND-s it", () => {
    const pins = (f: string | null) => plan(rules, 'react', f)?.pins.map((p) => p.id);
    expect(pins(null)).toEqual(['react']);
    expect(pins('scope = "@types"')).toEqual(['react', '@types/react']);
    expect(pins('scope = "@types" AND stars > 10')).toEqual(['react', '@types/react']);
    expect(pins('scope = "@babel"')).toEqual(['react']);
  });

  it('merges the rules that apply: hides win, the first rule keeps a position or an id', () => {
    const merged = plan(
      [
        {
          query: 'x',
          pin: [
            { id: 'a', position: 1 },
            { id: 'b', position: 2 },
          ],
        },
        {
          query: 'x',
          pin: [
            { id: 'c', position: 1 },
            { id: 'a', position: 3 },
            { id: 'd', position: 4 },
          ],
        },
        { query: 'x', hide: ['d'] },
      ],
      'x',
    );
    expect(merged).toEqual({
      pins: [
        { id: 'a', position: 1 },
        { id: 'b', position: 2 },
      ],
      hide: ['d'],
    });
  });

  it('refuses malformed rules with INVALID_CURATION, naming the rule', () => {
    const bad = (rules: unknown) => {
      try {
        checkCurationFilters(parseCurations(rules), schema);
      } catch (err) {
        return [(err as { code: string }).code, (err as Error).message];
      }
      return null;
    };
    expect(bad([{ query: 'x', pin: [{ id: 'a', position: 0 }] }])).toEqual([
      'INVALID_CURATION',
      'curations[0].pin[0].position: must be an integer from 1 to 100',
    ]);
    expect(bad([{ query: ' ', hide: ['a'] }])?.[1]).toMatch(/curations\[0\]\.query: must not be empty/);
    expect(bad([{ query: 'x' }])?.[1]).toMatch(/pins or hides nothing/);
    expect(bad([{ query: 'x', match: 'regex', hide: ['a'] }])?.[1]).toMatch(/match: must be "exact"/);
    expect(bad([{ query: 'x', pin: [{ id: 'a', position: 1 }], hide: ['a'] }])?.[1]).toMatch(
      /both pinned and hidden/,
    );
    expect(
      bad([
        {
          query: 'x',
          pin: [
            { id: 'a', position: 1 },
            { id: 'b', position: 1 },
          ],
        },
      ])?.[1],
    ).toMatch(/position 1 is taken twice/);
    expect(bad([{ query: 'x', hide: ['a'], filter: 'nope = 1' }])?.[0]).toBe('INVALID_CURATION');
    expect(bad([{ query: 'x', hide: ['a'], filter: 'title = ' }])?.[1]).toMatch(/curations\[0\]\.filter/);
    expect(bad({ query: 'x' })?.[1]).toMatch(/must be an array/);
    expect(bad([{ query: 'x', hide: ['a'], boost: 2 }])?.[1]).toMatch(/unknown key "boost"/);
    expect(bad([{ query: 'x', hide: ['a'], filter: 'stars > 3' }])).toBeNull();
  });
});

describe('curation rules: splicing pins into the ranking', () => {
  const organic = Array.from({ length: 23 }, (_, i) => `o${i}`);

  it('puts pins at their positions and shifts the ranking', () => {
    const page = spliceCurated(
      [
        { position: 1, hit: 'P1' },
        { position: 3, hit: 'P3' },
      ],
      organic,
      organic.length,
      0,
      5,
    );
    expect(page.hits).toEqual(['P1', 'o0', 'P3', 'o1', 'o2']);
    expect(page.organicUsed).toEqual(['o0', 'o1', 'o2']);
  });

  it('pages without a duplicate or a gap, whatever the page size and pin positions', () => {
    for (const pins of [[1], [1, 2, 3], [2, 5, 9, 10], [4, 40], [7, 30, 31, 100], []]) {
      for (const size of [1, 2, 3, 5, 10, 50]) {
        const all = pageAll(pins, organic, size);
        expect(new Set(all).size, `pins ${pins} size ${size}`).toBe(all.length);
        expect(all.length).toBe(organic.length + pins.length);
        expect(all.filter((h) => h.startsWith('o'))).toEqual(organic);
        // A pin the ranking reaches is at its position; the others follow the last result, in order.
        for (const p of pins) {
          const at = all.indexOf(`pin@${p}`);
          if (p <= organic.length + pins.indexOf(p)) expect(at).toBe(p - 1);
          else expect(at).toBeGreaterThanOrEqual(organic.length);
        }
      }
    }
  });

  it('moves a pin past a short ranking right behind it', () => {
    expect(pageAll([2, 50], ['a', 'b'], 10)).toEqual(['a', 'pin@2', 'b', 'pin@50']);
    expect(pageAll([50], [], 10)).toEqual(['pin@50']);
  });

  it('keeps every position when the ranking was not counted exactly', () => {
    const page = spliceCurated([{ position: 3, hit: 'P3' }], organic.slice(0, 5), null, 0, 5);
    expect(page.hits).toEqual(['o0', 'o1', 'P3', 'o2', 'o3']);
  });

  it('starts a later window where the ranking resumes', () => {
    // Page one of size 3 is P1, o0, P3: page two resumes the ranking at o1.
    expect(organicOffset([1, 3], 3)).toBe(1);
    expect(organicOffset([1, 3], 0)).toBe(0);
    expect(organicOffset([5], 3)).toBe(3);
  });
});
