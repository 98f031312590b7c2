import { describe, expect, it } from 'vitest';
import type { IndexSchema } from '../schema/types.js';
import { fieldSpec } from '../../test/support/schema.js';
import { errorOf } from '../../test/support/errors.js';
import { buildSearchRequest, DEFAULT_LIMITS, DEFAULT_TRACK_TOTAL } from './request.js';

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
  it('computes no facets unless they are asked for, so the limits can never refuse a plain search', () => {
    const { request } = buildSearchRequest({}, schema, { ...DEFAULT_LIMITS, maxFacets: 2, maxFacetSize: 5 });
    expect(request.facets).toEqual([]);
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

describe('track_total', () => {
  const track = (v: unknown) => buildSearchRequest({ track_total: v as string }, schema).request.trackTotal;

  it('counts exactly up to 1,000 by default', () => {
    expect(buildSearchRequest({}, schema).request.trackTotal).toBe(DEFAULT_TRACK_TOTAL);
    expect(DEFAULT_TRACK_TOTAL).toBe(1000);
  });

  it('takes true or a positive integer, as a JSON value or a query-string value', () => {
    expect(track(true)).toBe(true);
    expect(track('true')).toBe(true);
    expect(track(50)).toBe(50);
    expect(track('50')).toBe(50);
    expect(track(999_999_999)).toBe(999_999_999);
    expect(track('999999999')).toBe(999_999_999);
  });

  it('refuses anything else with INVALID_REQUEST naming the parameter', () => {
    for (const bad of [
      false,
      'false',
      0,
      '0',
      '007',
      -1,
      1.5,
      '1e3',
      '',
      'yes',
      1_000_000_000,
      '1000000000',
    ]) {
      expect(
        errorOf(() => track(bad)),
        String(bad),
      ).toMatchObject({
        code: 'INVALID_REQUEST',
        details: { field: 'track_total' },
      });
    }
  });
});
