import { describe, expect, it } from 'vitest';
import type { IndexSchema } from '../schema/types.js';
import { fieldSpec } from '../../test/support/schema.js';
import { errorOf } from '../../test/support/errors.js';
import { buildSearchRequest, DEFAULT_LIMITS } from './request.js';

const schema: IndexSchema = {
  id_field: 'id',
  fields: {
    id: fieldSpec('keyword'),
    a: fieldSpec('keyword', { facet: true }),
    b: fieldSpec('keyword', { facet: true }),
    c: fieldSpec('integer', { facet: true }),
  },
  ranking: {},
} as IndexSchema;

describe('facet limits', () => {
  it('cuts the default facets down to the configured limits instead of refusing every search', () => {
    const { request } = buildSearchRequest({}, schema, { ...DEFAULT_LIMITS, maxFacets: 2, maxFacetSize: 5 });
    expect(request.facets.map((f) => f.field)).toEqual(['a', 'b']);
    expect(request.facets.every((f) => f.size <= 5)).toBe(true);
  });

  it('still refuses explicit facets beyond the limits', () => {
    const limits = { ...DEFAULT_LIMITS, maxFacets: 2, maxFacetSize: 5 };
    expect(errorOf(() => buildSearchRequest({ facets: 'a,b,c' }, schema, limits))).toMatchObject({
      code: 'INVALID_FACET',
    });
    expect(
      errorOf(() => buildSearchRequest({ facets: [{ field: 'a', size: 6 }] }, schema, limits)),
    ).toMatchObject({
      code: 'INVALID_FACET',
    });
  });
});
