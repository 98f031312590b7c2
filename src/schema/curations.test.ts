import { describe, expect, it } from 'vitest';
import { parseCurations } from './curations.js';
import { parseSchema } from './validate.js';

describe('curation rules in a schema', () => {
  it('stores queries normalised and pins sorted by position, and reads back unchanged', () => {
    const rules = parseCurations([
      {
        query: '  React   HOOKS ',
        pin: [
          { id: 'b', position: 3 },
          { id: 'a', position: 1 },
        ],
        hide: ['c', 'c'],
      },
    ]);
    expect(rules).toEqual([
      {
        query: 'react hooks',
        match: 'exact',
        pin: [
          { id: 'a', position: 1 },
          { id: 'b', position: 3 },
        ],
        hide: ['c'],
      },
    ]);
    expect(parseCurations(rules)).toEqual(rules);
  });

  it('is part of the index schema, refused there with INVALID_CURATION too', () => {
    const fields = { id: { type: 'keyword' }, title: { type: 'text', searchable: true } };
    expect(parseSchema({ fields, curations: [{ query: 'x', hide: ['a'] }] }).curations).toHaveLength(1);
    expect(() => parseSchema({ fields, curations: [{ query: 'x', pin: [{ id: 'a' }] }] })).toThrow(
      expect.objectContaining({ code: 'INVALID_CURATION' }),
    );
  });
});
