import { describe, expect, it } from 'vitest';
import { parseSchema } from '../schema/validate.js';
import { buildSearchRequest } from './request.js';

const schema = parseSchema({
  id_field: 'id',
  fields: {
    id: { type: 'keyword' },
    title: { type: 'text', searchable: true },
    publisher: { type: 'keyword' },
    tags: { type: 'keyword', array: true },
    year: { type: 'integer', sortable: true },
  },
});
const build = (input: Parameters<typeof buildSearchRequest>[0]) => buildSearchRequest(input, schema).request;
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'no error';
};

describe('distinct in a search request', () => {
  it('is absent unless asked for, and takes a limit from a body or a query string', () => {
    expect(build({})).not.toHaveProperty('distinct');
    expect(build({ distinct: 'publisher' }).distinct).toEqual({ field: 'publisher', limit: 1 });
    expect(build({ distinct: 'publisher', distinct_limit: 3 }).distinct).toEqual({
      field: 'publisher',
      limit: 3,
    });
    expect(build({ distinct: 'publisher', distinct_limit: '10' }).distinct?.limit).toBe(10);
  });

  it('refuses what it cannot group by and limits out of range', () => {
    for (const distinct of ['title', 'year', 'id', 'nope', '__proto__'])
      expect(
        codeOf(() => build({ distinct })),
        distinct,
      ).toBe('INVALID_FIELD');
    for (const distinct_limit of [0, 11, 1.5, '01', 'x'])
      expect(
        codeOf(() => build({ distinct: 'publisher', distinct_limit })),
        String(distinct_limit),
      ).toBe('INVALID_REQUEST');
    expect(build({ distinct_limit: 2 })).not.toHaveProperty('distinct');
  });

  it('refuses a list field: a document would belong to several groups', () => {
    expect(codeOf(() => build({ distinct: 'tags' }))).toBe('INVALID_FIELD');
  });
});
