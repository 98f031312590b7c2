import { describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/errors.js';
import { fieldSpec } from '../../test/support/schema.js';
import type { FieldSpec, IndexSchema } from '../schema/types.js';
import { checkFilter } from './filter-check.js';
import { parseFilterExpression } from './filter-expression.js';
import { parseFilterTree } from './filter-tree.js';
import type { Filter, Scalar } from './types.js';

const spec = fieldSpec;

const schema: IndexSchema = {
  id_field: 'name',
  fields: {
    name: spec('keyword', { searchable: true }),
    downloads: spec('integer', { sortable: true }),
    score: spec('float'),
    published: spec('date'),
    deprecated: spec('boolean'),
    summary: spec('text', { searchable: true }),
  },
  ranking: {},
};

const check = (f: Filter, s: IndexSchema = schema) => checkFilter(f, s);
const term = (field: string, value: Scalar): Filter => ({ kind: 'term', field, value });
const checkTerm = (field: string, value: Scalar) => (check(term(field, value)) as { value: Scalar }).value;

const termError = (field: string, value: Scalar) => errorOf(() => check(term(field, value)));

describe('checkFilter: fields', () => {
  it('rejects unknown fields', () => {
    const err = termError('foo', 1);
    expect(err.code).toBe('INVALID_FILTER');
    expect(err.message).toBe('filter: unknown field "foo"');
    expect(err.details).toEqual({ field: 'foo' });
  });

  it.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'])(
    'treats %s as an unknown field',
    (field) => {
      expect(termError(field, 'x').message).toBe(`filter: unknown field "${field}"`);
      expect(errorOf(() => check({ kind: 'exists', field })).message).toBe(
        `filter: unknown field "${field}"`,
      );
    },
  );

  it('rejects fields that are not filterable', () => {
    const err = errorOf(() => check({ kind: 'exists', field: 'summary' }));
    expect(err.message).toBe('filter: field "summary" is not filterable');
    expect(err.details).toEqual({ field: 'summary' });
    const hidden = { ...schema, fields: { ...schema.fields, score: spec('float', { filterable: false }) } };
    expect(errorOf(() => check({ kind: 'range', field: 'score', gt: 1 }, hidden)).message).toBe(
      'filter: field "score" is not filterable',
    );
  });

  it('always allows the id field', () => {
    const idOnly = { ...schema, fields: { ...schema.fields, name: spec('keyword', { filterable: false }) } };
    expect(check(term('name', 'react'), idOnly)).toEqual(term('name', 'react'));
    const undeclared = { ...schema, id_field: 'id' };
    expect(check({ kind: 'terms', field: 'id', values: ['a', 1] }, undeclared)).toEqual({
      kind: 'terms',
      field: 'id',
      values: ['a', '1'],
    });
  });

  it('works with schemas whose fields object has no prototype', () => {
    const fields = Object.assign(Object.create(null) as Record<string, FieldSpec>, schema.fields);
    const bare = { ...schema, fields };
    expect(check(term('downloads', '7'), bare)).toEqual(term('downloads', 7));
    expect(errorOf(() => check(term('constructor', 1), bare)).message).toBe(
      'filter: unknown field "constructor"',
    );
  });

  it('checks exists filters', () => {
    expect(check({ kind: 'exists', field: 'published' })).toEqual({ kind: 'exists', field: 'published' });
    expect(errorOf(() => check({ kind: 'exists', field: 'nope' })).message).toBe(
      'filter: unknown field "nope"',
    );
  });
});

describe('checkFilter: integer fields', () => {
  it('accepts integers and numeric strings', () => {
    expect(checkTerm('downloads', 1000)).toBe(1000);
    expect(checkTerm('downloads', '1000')).toBe(1000);
    expect(checkTerm('downloads', '-5')).toBe(-5);
    expect(checkTerm('downloads', '+5')).toBe(5);
    expect(checkTerm('downloads', '1e3')).toBe(1000);
    expect(checkTerm('downloads', 2 ** 53 - 1)).toBe(2 ** 53 - 1);
    expect(checkTerm('downloads', -(2 ** 53 - 1))).toBe(-(2 ** 53 - 1));
  });

  it.each<[Scalar, string]>([
    ['abc', 'filter: field "downloads" expects a number, got "abc"'],
    ['', 'filter: field "downloads" expects a number, got ""'],
    [' 5', 'filter: field "downloads" expects a number, got " 5"'],
    ['0x10', 'filter: field "downloads" expects a number, got "0x10"'],
    ['Infinity', 'filter: field "downloads" expects a number, got "Infinity"'],
    ['1e999', 'filter: field "downloads" expects a number, got "1e999"'],
    [true, 'filter: field "downloads" expects a number, got true'],
    [Number.NaN, 'filter: field "downloads" expects a number, got NaN'],
    [1.5, 'filter: field "downloads" expects an integer, got 1.5'],
    ['2.5', 'filter: field "downloads" expects an integer, got "2.5"'],
    [
      2 ** 53,
      'filter: field "downloads" expects an integer between -9007199254740991 and 9007199254740991, got 9007199254740992',
    ],
    [
      '1e20',
      'filter: field "downloads" expects an integer between -9007199254740991 and 9007199254740991, got "1e20"',
    ],
  ])('rejects %j', (value, message) => {
    const err = termError('downloads', value);
    expect(err.code).toBe('INVALID_FILTER');
    expect(err.message).toBe(message);
    expect(err.details).toEqual({ field: 'downloads' });
  });
});

describe('checkFilter: float fields', () => {
  it('accepts finite numbers and numeric strings', () => {
    expect(checkTerm('score', 1.5)).toBe(1.5);
    expect(checkTerm('score', '0.25')).toBe(0.25);
    expect(checkTerm('score', '-1e-3')).toBe(-0.001);
    expect(checkTerm('score', 3)).toBe(3);
  });

  it('rejects everything else', () => {
    expect(termError('score', 'high').message).toBe('filter: field "score" expects a number, got "high"');
    expect(termError('score', false).message).toBe('filter: field "score" expects a number, got false');
    expect(termError('score', Infinity).message).toBe('filter: field "score" expects a number, got Infinity');
  });
});

describe('checkFilter: boolean fields', () => {
  it('accepts booleans and their names', () => {
    expect(checkTerm('deprecated', true)).toBe(true);
    expect(checkTerm('deprecated', false)).toBe(false);
    expect(checkTerm('deprecated', 'true')).toBe(true);
    expect(checkTerm('deprecated', 'false')).toBe(false);
    expect(checkTerm('deprecated', 'TRUE')).toBe(true);
  });

  it.each<Scalar>(['yes', 1, 0, '1', ''])('rejects %j', (value) => {
    expect(termError('deprecated', value).message).toBe(
      `filter: field "deprecated" expects true or false, got ${JSON.stringify(value)}`,
    );
  });

  it('rejects range filters', () => {
    const err = errorOf(() => check({ kind: 'range', field: 'deprecated', gte: false }));
    expect(err.message).toBe(
      'filter: field "deprecated" is boolean; a range filter needs a number, date or keyword field',
    );
    expect(err.details).toEqual({ field: 'deprecated' });
  });
});

describe('checkFilter: keyword fields', () => {
  it('converts every scalar to a string', () => {
    expect(checkTerm('name', 'react')).toBe('react');
    expect(checkTerm('name', 123)).toBe('123');
    expect(checkTerm('name', 1.5)).toBe('1.5');
    expect(checkTerm('name', true)).toBe('true');
    expect(checkTerm('name', '')).toBe('');
  });

  it('allows ranges, compared as strings', () => {
    expect(check({ kind: 'range', field: 'name', gte: 'a', lt: 5 })).toEqual({
      kind: 'range',
      field: 'name',
      gte: 'a',
      lt: '5',
    });
  });
});

describe('checkFilter: date fields', () => {
  it.each<[Scalar, number]>([
    ['2024-01-01', Date.UTC(2024, 0, 1)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['2024-01-01T12:30:00Z', Date.UTC(2024, 0, 1, 12, 30)],
    ['2024-01-01t12:30:00z', Date.UTC(2024, 0, 1, 12, 30)],
    ['2024-01-01 12:30:00Z', Date.UTC(2024, 0, 1, 12, 30)],
    ['2024-01-01T12:30', Date.UTC(2024, 0, 1, 12, 30)],
    ['2024-01-01T12:30:15', Date.UTC(2024, 0, 1, 12, 30, 15)],
    ['2024-01-01T12:30:15.5Z', Date.UTC(2024, 0, 1, 12, 30, 15, 500)],
    ['2024-01-01T12:30:15,123Z', Date.UTC(2024, 0, 1, 12, 30, 15, 123)],
    ['2024-01-01T12:30:15.123456789Z', Date.UTC(2024, 0, 1, 12, 30, 15, 123)],
    ['2024-01-01T12:30:00+02:00', Date.UTC(2024, 0, 1, 10, 30)],
    ['2024-01-01T12:30:00-05:30', Date.UTC(2024, 0, 1, 18, 0)],
    ['2024-01-01T12:30:00+0200', Date.UTC(2024, 0, 1, 10, 30)],
    ['2024-01-01T00:00:00+01:00', Date.UTC(2023, 11, 31, 23, 0)],
    ['1969-12-31T23:59:59.999Z', -1],
    ['0099-06-01', Date.parse('0099-06-01T00:00:00Z')],
    [1700000000000, 1700000000000],
    ['1700000000000', 1700000000000],
    [0, 0],
    [-86400000, -86400000],
  ])('converts %j to epoch ms', (value, ms) => {
    expect(checkTerm('published', value)).toBe(ms);
  });

  it('does not depend on the host time zone', () => {
    // A zone-less date-time is UTC by definition here; Date.parse would read it in local time.
    expect(checkTerm('published', '2024-06-01T00:00:00')).toBe(Date.UTC(2024, 5, 1));
  });

  it.each<Scalar>([
    'yesterday',
    '2024-13-01',
    '2024-00-10',
    '2023-02-29',
    '2024-04-31',
    '2024-01-00',
    '2024-1-1',
    '24-01-01',
    '2024-01-01T24:00:00Z',
    '2024-01-01T12:60:00Z',
    '2024-01-01T12:30:60Z',
    '2024-01-01T12:30:00+25:00',
    '2024-01-01T12:30:00+02:61',
    '2024-01-01Z',
    '2024-01-01T12',
    '2024-01-01T12:30:00 Z',
    'Mon, 01 Jan 2024 00:00:00 GMT',
    '',
    1.5,
    9e15,
    true,
  ])('rejects %j', (value) => {
    const err = termError('published', value);
    expect(err.code).toBe('INVALID_FILTER');
    expect(err.message).toBe(
      `filter: field "published" expects an ISO-8601 date (2024-01-31 or 2024-01-31T12:00:00Z) or epoch milliseconds, got ${JSON.stringify(value)}`,
    );
  });

  it('converts range bounds', () => {
    expect(
      check({ kind: 'range', field: 'published', gte: '2024-01-01', lt: '2025-01-01T00:00:00Z' }),
    ).toEqual({
      kind: 'range',
      field: 'published',
      gte: Date.UTC(2024, 0, 1),
      lt: Date.UTC(2025, 0, 1),
    });
  });
});

describe('checkFilter: structure', () => {
  it('converts terms values and drops duplicates after conversion', () => {
    expect(check({ kind: 'terms', field: 'downloads', values: [1, '1', 2, '2.0'] })).toEqual({
      kind: 'terms',
      field: 'downloads',
      values: [1, 2],
    });
    expect(check({ kind: 'terms', field: 'name', values: ['1', 1, true, 'true', 'x'] })).toEqual({
      kind: 'terms',
      field: 'name',
      values: ['1', 'true', 'x'],
    });
  });

  it('reports the first bad terms value', () => {
    expect(errorOf(() => check({ kind: 'terms', field: 'downloads', values: [1, 'x', 'y'] })).message).toBe(
      'filter: field "downloads" expects a number, got "x"',
    );
  });

  it('converts every bound of a range and adds none', () => {
    const out = check({ kind: 'range', field: 'downloads', gt: '10', lte: 20 });
    expect(out).toEqual({ kind: 'range', field: 'downloads', gt: 10, lte: 20 });
    expect(Object.keys(out).sort()).toEqual(['field', 'gt', 'kind', 'lte']);
    expect(errorOf(() => check({ kind: 'range', field: 'downloads', lt: 'many' })).message).toBe(
      'filter: field "downloads" expects a number, got "many"',
    );
  });

  it('checks nested and/or/not and returns a new tree', () => {
    const input: Filter = {
      kind: 'or',
      children: [
        {
          kind: 'and',
          children: [term('downloads', '5'), { kind: 'not', child: term('deprecated', 'true') }],
        },
        { kind: 'exists', field: 'published' },
      ],
    };
    const before = structuredClone(input);
    const out = check(input);
    expect(out).toEqual({
      kind: 'or',
      children: [
        { kind: 'and', children: [term('downloads', 5), { kind: 'not', child: term('deprecated', true) }] },
        { kind: 'exists', field: 'published' },
      ],
    });
    expect(input).toEqual(before);
    expect(out).not.toBe(input);
  });

  it('finds bad fields deep inside the tree', () => {
    const input: Filter = {
      kind: 'and',
      children: [
        term('downloads', 1),
        { kind: 'not', child: { kind: 'or', children: [term('summary', 'x')] } },
      ],
    };
    expect(errorOf(() => check(input)).message).toBe('filter: field "summary" is not filterable');
  });
});

describe('checkFilter: with the parsers', () => {
  it('checks a parsed expression', () => {
    const f = parseFilterExpression(
      'name = react AND downloads >= "1000" AND NOT deprecated = true AND published >= 2024-01-01',
    );
    expect(check(f)).toEqual({
      kind: 'and',
      children: [
        term('name', 'react'),
        { kind: 'range', field: 'downloads', gte: 1000 },
        { kind: 'not', child: term('deprecated', true) },
        { kind: 'range', field: 'published', gte: Date.UTC(2024, 0, 1) },
      ],
    });
  });

  it('checks a parsed tree', () => {
    const f = parseFilterTree(
      JSON.parse('{"and": [{"terms": {"name": [1, "a"]}}, {"range": {"score": {"gt": "0.5"}}}]}'),
    );
    expect(check(f)).toEqual({
      kind: 'and',
      children: [
        { kind: 'terms', field: 'name', values: ['1', 'a'] },
        { kind: 'range', field: 'score', gt: 0.5 },
      ],
    });
  });

  it('lets the field type decide what a number in an expression means', () => {
    const withKeywords: IndexSchema = {
      ...schema,
      fields: { ...schema.fields, version: spec('keyword'), zip: spec('keyword') },
    };
    const checkExpr = (expression: string) => check(parseFilterExpression(expression), withKeywords);
    // Keyword fields keep the text as typed: "1.0" is not "1", and a leading zero is significant.
    expect(checkExpr('version = 1.0')).toEqual(term('version', '1.0'));
    expect(checkExpr('zip = 01234')).toEqual(term('zip', '01234'));
    expect(checkExpr('zip IN [01234, 1e3]')).toEqual({
      kind: 'terms',
      field: 'zip',
      values: ['01234', '1e3'],
    });
    // Numeric fields read the number.
    expect(checkExpr('downloads >= 1e3')).toEqual({ kind: 'range', field: 'downloads', gte: 1000 });
    expect(checkExpr('downloads IN [1000, 1e3, 01000]')).toEqual({
      kind: 'terms',
      field: 'downloads',
      values: [1000],
    });
    expect(checkExpr('score > .5')).toEqual({ kind: 'range', field: 'score', gt: 0.5 });
    expect(checkExpr('score = -2.5E-2')).toEqual(term('score', -0.025));
    expect(checkExpr('published >= 0')).toEqual({ kind: 'range', field: 'published', gte: 0 });
    expect(errorOf(() => checkExpr('downloads = 1.5')).message).toBe(
      'filter: field "downloads" expects an integer, got "1.5"',
    );
    expect(errorOf(() => checkExpr('deprecated = 1')).message).toBe(
      'filter: field "deprecated" expects true or false, got "1"',
    );
  });

  it('rejects a prototype field name from an expression', () => {
    expect(errorOf(() => check(parseFilterExpression('__proto__ = 1'))).message).toBe(
      'filter: unknown field "__proto__"',
    );
  });
});
