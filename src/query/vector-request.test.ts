import { describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/errors.js';
import { parseSchema } from '../schema/validate.js';
import { buildSearchRequest, type RawSearchInput } from './request.js';

const schema = parseSchema({
  fields: {
    id: { type: 'keyword' },
    title: { type: 'text' },
    genre: { type: 'keyword', facet: true },
    v: { type: 'vector', dimensions: 3 },
    unit: { type: 'vector', dimensions: 2, similarity: 'dot_product' },
  },
});
const oneVector = parseSchema({
  fields: { id: { type: 'keyword' }, title: { type: 'text' }, v: { type: 'vector', dimensions: 3 } },
});
const build = (input: RawSearchInput, s = schema) => buildSearchRequest(input, s);
const refusal = (input: RawSearchInput, s = schema) => errorOf(() => build(input, s));

describe('a kNN search request', () => {
  it('takes the only vector field, k defaulting to size, no hybrid without q', () => {
    const { request } = build({ vector: [1, 0, 0], size: 7 }, oneVector);
    expect(request.vector).toEqual({ field: 'v', vector: [1, 0, 0], k: 7, hybrid: null });
    expect(request.highlight).toBeNull();
  });

  it('takes the field named and k given', () => {
    expect(build({ vector: [0.6, 0.8], vector_field: 'unit', k: 3 }).request.vector).toMatchObject({
      field: 'unit',
      k: 3,
    });
  });

  it('is a hybrid search with q, with the defaults or the options given', () => {
    expect(build({ q: 'dune', vector: [1, 0, 0] }, oneVector).request.vector!.hybrid).toEqual({
      fusion: 'weighted',
      semanticRatio: 0.5,
      rankConstant: 60,
      candidates: 100,
    });
    const hybrid = { fusion: 'rrf', semantic_ratio: 0.2, rank_constant: 10, candidates: 50 };
    expect(build({ q: 'dune', vector: [1, 0, 0], hybrid }, oneVector).request.vector!.hybrid).toEqual({
      fusion: 'rrf',
      semanticRatio: 0.2,
      rankConstant: 10,
      candidates: 50,
    });
  });

  it('refuses an unknown vector field, a field that is not a vector, or no choice among several: INVALID_FIELD', () => {
    expect(refusal({ vector: [1, 0, 0], vector_field: 'nope' })).toMatchObject({
      code: 'INVALID_FIELD',
      details: { field: 'nope' },
    });
    expect(refusal({ vector: [1, 0, 0], vector_field: 'title' })).toMatchObject({
      code: 'INVALID_FIELD',
      message: expect.stringContaining('not a vector field') as unknown,
    });
    expect(refusal({ vector: [1, 0, 0] })).toMatchObject({
      code: 'INVALID_FIELD',
      message: expect.stringContaining('v, unit') as unknown,
    });
    const noVectors = parseSchema({ fields: { id: { type: 'keyword' }, title: { type: 'text' } } });
    expect(refusal({ vector: [1] }, noVectors)).toMatchObject({ code: 'INVALID_FIELD' });
  });

  it('refuses a query vector of the wrong length or with a non-number: INVALID_REQUEST naming vector', () => {
    for (const vector of [[1, 0], [1, 0, 0, 0], [1, 'x', 0], [1, NaN, 0], [1, 1e39, 0], 'a'])
      expect(refusal({ vector, vector_field: 'v' })).toMatchObject({
        code: 'INVALID_REQUEST',
        status: 400,
        details: { field: 'vector' },
      });
    expect(refusal({ vector: [1, 1], vector_field: 'unit' }).message).toContain('unit-length');
    expect(refusal({ vector: [0, 0, 0], vector_field: 'v' }).message).toContain('zeros');
  });

  it('refuses k out of range, a sort, distinct, and hybrid or k without a vector', () => {
    for (const k of [0, 101, 1.5, '3'])
      expect(refusal({ vector: [1, 0, 0], vector_field: 'v', k })).toMatchObject({
        code: 'INVALID_REQUEST',
        details: { field: 'k' },
      });
    expect(refusal({ vector: [1, 0, 0], vector_field: 'v', sort: 'id' })).toMatchObject({
      code: 'INVALID_SORT',
    });
    expect(refusal({ vector: [1, 0, 0], vector_field: 'v', distinct: 'genre' })).toMatchObject({
      details: { field: 'distinct' },
    });
    expect(refusal({ k: 3 })).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'k' } });
    // q with hybrid and no vector needs an embedder on the field to compute one.
    expect(refusal({ q: 'x', hybrid: {}, vector_field: 'v' })).toMatchObject({
      code: 'INVALID_REQUEST',
      details: { field: 'vector' },
    });
    expect(refusal({ k: 3, hybrid: {} })).toMatchObject({ details: { field: 'k' } });
    expect(refusal({ vector: [1, 0, 0], vector_field: 'v', hybrid: {} })).toMatchObject({
      details: { field: 'hybrid' },
    });
  });

  it('refuses hybrid options out of range, naming them', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ fusion: 'max' }, 'hybrid.fusion'],
      [{ semantic_ratio: 1.5 }, 'hybrid.semantic_ratio'],
      [{ semantic_ratio: -0.1 }, 'hybrid.semantic_ratio'],
      [{ rank_constant: 0 }, 'hybrid.rank_constant'],
      [{ candidates: 1001 }, 'hybrid.candidates'],
    ];
    for (const [hybrid, field] of bad)
      expect(refusal({ q: 'x', vector: [1, 0, 0], vector_field: 'v', hybrid })).toMatchObject({
        code: 'INVALID_REQUEST',
        details: { field },
      });
  });

  it('binds its cursors to the vector: another vector, k or fusion is another query', () => {
    const print = (input: RawSearchInput) => build({ vector_field: 'v', ...input }).fingerprint;
    const base = print({ vector: [1, 0, 0] });
    expect(print({ vector: [1, 0, 0] })).toBe(base);
    expect(print({ vector: [0, 1, 0] })).not.toBe(base);
    expect(print({ vector: [1, 0, 0], k: 20 })).not.toBe(base);
    expect(print({ vector: [1, 0, 0], q: 'x' })).not.toBe(
      print({ vector: [1, 0, 0], q: 'x', hybrid: { fusion: 'rrf' } }),
    );
  });
});

describe('a hybrid search without a vector', () => {
  const embedded = parseSchema({
    fields: {
      id: { type: 'keyword' },
      title: { type: 'text' },
      v: {
        type: 'vector',
        dimensions: 3,
        embedder: { source: 'rest', url: 'http://127.0.0.1:9/', model: 'm', fields: ['title'] },
      },
    },
  });

  it("asks the field's embedder for the vector of q (the service fills it in)", () => {
    const { request } = build({ q: ' dune ', hybrid: { semantic_ratio: 1 }, k: 4 }, embedded);
    expect(request.vector).toMatchObject({ field: 'v', vector: [], embed: 'dune', k: 4 });
    expect(request.vector!.hybrid).toMatchObject({ semanticRatio: 1 });
  });

  it('stays a text search without hybrid, and a kNN search with a vector', () => {
    expect(build({ q: 'dune' }, embedded).request.vector).toBeUndefined();
    expect(build({ q: 'dune', vector: [1, 0, 0] }, embedded).request.vector!.embed).toBeUndefined();
  });
});
