import { describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/errors.js';
import { checkDocument } from './document.js';
import { assertCompatible, parseSchema } from './validate.js';

const base = { id: { type: 'keyword' }, body: { type: 'text' } };
const parse = (vec: Record<string, unknown>) => parseSchema({ fields: { ...base, embedding: vec } });
const messageOf = (vec: Record<string, unknown>) => errorOf(() => parse(vec)).message;

describe('a vector field in a schema', () => {
  it('fills in cosine, an approximate index, and neither returned nor searchable', () => {
    expect(parse({ type: 'vector', dimensions: 3 }).fields.embedding).toEqual({
      type: 'vector',
      searchable: false,
      boost: 1,
      filterable: false,
      facet: false,
      sortable: false,
      returned: false,
      required: false,
      dimensions: 3,
      similarity: 'cosine',
      index: true,
    });
  });

  it('keeps the options given, and reads back as a schema that parses to itself', () => {
    const schema = parse({
      type: 'vector',
      dimensions: 384,
      similarity: 'euclidean',
      index: false,
      returned: true,
    });
    expect(schema.fields.embedding).toMatchObject({ similarity: 'euclidean', index: false, returned: true });
    expect(parseSchema(JSON.parse(JSON.stringify(schema)))).toEqual(schema);
  });

  it('refuses missing or out-of-range dimensions and unknown similarities', () => {
    for (const dimensions of [undefined, 0, -1, 1.5, 4097, '3'])
      expect(messageOf({ type: 'vector', dimensions })).toContain('"dimensions", an integer from 1 to 4096');
    expect(messageOf({ type: 'vector', dimensions: 3, similarity: 'l2' })).toContain(
      'cosine, dot_product, euclidean',
    );
  });

  it('refuses what a vector cannot be: searched, filtered, faceted, sorted, a list, inside an object', () => {
    for (const key of ['searchable', 'filterable', 'facet', 'sortable'])
      expect(messageOf({ type: 'vector', dimensions: 3, [key]: true })).toContain(`cannot be ${key}`);
    expect(messageOf({ type: 'vector', dimensions: 3, array: true })).toContain('cannot be an array');
    expect(
      errorOf(() => parseSchema({ fields: { ...base, 'a.v': { type: 'vector', dimensions: 3 } } })).message,
    ).toContain('must be a top-level field');
  });

  it('refuses vector options on other fields', () => {
    expect(
      errorOf(() => parseSchema({ fields: { ...base, n: { type: 'float', dimensions: 3 } } })).message,
    ).toContain('option "dimensions" is for vector fields only');
  });

  it('cannot change its dimensions, similarity or index without a reindex', () => {
    const current = parse({ type: 'vector', dimensions: 3 });
    for (const change of [{ dimensions: 4 }, { similarity: 'euclidean' }, { index: false }])
      expect(
        errorOf(() => assertCompatible(current, parse({ type: 'vector', dimensions: 3, ...change }))),
      ).toMatchObject({ code: 'SCHEMA_MISMATCH', details: { field: 'embedding' } });
    expect(() =>
      assertCompatible(current, parse({ type: 'vector', dimensions: 3, returned: true })),
    ).not.toThrow();
  });
});

describe('a vector in a document', () => {
  const schemaOf = (similarity: string) =>
    parseSchema({ fields: { ...base, v: { type: 'vector', dimensions: 3, similarity } } });
  const check = (v: unknown, similarity = 'cosine') =>
    checkDocument(schemaOf(similarity), { id: 'a', v }).document.v;
  const refusal = (v: unknown, similarity = 'cosine') => errorOf(() => check(v, similarity));

  it('is kept as written when it has the declared length of finite numbers', () => {
    expect(check([0.5, -1, 2e-3])).toEqual([0.5, -1, 2e-3]);
    expect(check([0.6, 0.8, 0], 'dot_product')).toEqual([0.6, 0.8, 0]);
    expect(check([0, 0, 0], 'euclidean')).toEqual([0, 0, 0]);
  });

  it('is refused with INVALID_DOCUMENT naming the field for a wrong length, a non-number or a non-finite number', () => {
    const cases: [unknown, string][] = [
      [[1, 2], 'expects 3 numbers, got 2'],
      [[1, 2, 3, 4], 'expects 3 numbers, got 4'],
      [[1, '2', 3], 'element 1 must be a finite number'],
      [[1, null, 3], 'element 1 must be a finite number'],
      [[1, [2], 3], 'element 1 must be a finite number'],
      ['1,2,3', 'expects an array of 3 numbers, got string'],
      [{ 0: 1 }, 'expects an array of 3 numbers, got object'],
    ];
    for (const [v, message] of cases)
      expect(refusal(v)).toMatchObject({
        code: 'INVALID_DOCUMENT',
        status: 400,
        message: expect.stringContaining(message) as unknown,
        details: { field: 'v' },
      });
    // NaN and Infinity cannot come through JSON, but can through a library caller.
    for (const x of [NaN, Infinity, -Infinity, 1e39, -1e300])
      expect(refusal([1, x, 3])).toMatchObject({ code: 'INVALID_DOCUMENT', details: { field: 'v' } });
  });

  it('must have unit length for dot_product (within 1e-3), and must not be all zeros for cosine', () => {
    expect(check([0.6, 0.8, 0.0005], 'dot_product')).toHaveLength(3);
    expect(refusal([0.6, 0.8, 0.1], 'dot_product').message).toContain('unit-length');
    expect(refusal([1, 1, 0], 'dot_product')).toMatchObject({ details: { field: 'v' } });
    expect(refusal([0, 0, 0]).message).toContain('vector of zeros');
  });
});
