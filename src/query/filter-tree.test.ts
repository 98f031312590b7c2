import { describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/errors.js';
import { fieldSpec } from '../../test/support/schema.js';
import type { IndexSchema } from '../schema/types.js';
import { checkFilter } from './filter-check.js';
import { parseFilterExpression } from './filter-expression.js';
import { MAX_TERMS_VALUES, MAX_TREE_DEPTH, MAX_TREE_NODES, parseFilterTree } from './filter-tree.js';
import type { Filter } from './types.js';

const parse = (input: unknown, path?: string) => parseFilterTree(input, path);
/** Bodies arrive as JSON, and JSON.parse is what makes "__proto__" an ordinary own key. */
const json = (text: string) => parseFilterTree(JSON.parse(text));

const messageOf = (input: unknown) => errorOf(() => parse(input)).message;

const term = (field: string, value: string | number | boolean): Filter => ({ kind: 'term', field, value });

const schema: IndexSchema = {
  id_field: 'scope',
  fields: { scope: fieldSpec('keyword'), downloads: fieldSpec('integer'), deprecated: fieldSpec('boolean') },
  ranking: {},
};

describe('parseFilterTree: valid trees', () => {
  it('parses all as the expression language parses ALL', () => {
    expect(parse({ all: { tags: ['a', 'b', 'a'] } })).toEqual(parseFilterExpression('tags ALL [a, b]'));
    expect(parse({ all: { tags: ['a'] } })).toEqual(term('tags', 'a'));
    expect(messageOf({ all: { tags: [] } })).toContain('filter.all.tags: expected a non-empty array');
    expect(messageOf({ all: { tags: 'a' } })).toContain('filter.all.tags');
  });

  it('parses every node kind', () => {
    expect(parse({ term: { license: 'MIT' } })).toEqual(term('license', 'MIT'));
    expect(parse({ term: { downloads: 5 } })).toEqual(term('downloads', 5));
    expect(parse({ term: { deprecated: false } })).toEqual(term('deprecated', false));
    expect(parse({ terms: { license: ['MIT', 'ISC', 3, true] } })).toEqual({
      kind: 'terms',
      field: 'license',
      values: ['MIT', 'ISC', 3, true],
    });
    expect(parse({ range: { downloads: { gte: 1, lt: 5 } } })).toEqual({
      kind: 'range',
      field: 'downloads',
      gte: 1,
      lt: 5,
    });
    expect(parse({ range: { published: { gt: '2024-01-01', lte: '2024-12-31' } } })).toEqual({
      kind: 'range',
      field: 'published',
      gt: '2024-01-01',
      lte: '2024-12-31',
    });
    expect(parse({ exists: 'homepage' })).toEqual({ kind: 'exists', field: 'homepage' });
    expect(parse({ exists: { field: 'homepage' } })).toEqual({ kind: 'exists', field: 'homepage' });
    expect(parse({ not: { term: { a: 1 } } })).toEqual({ kind: 'not', child: term('a', 1) });
    expect(parse({ and: [{ term: { a: 1 } }, { term: { b: 2 } }] })).toEqual({
      kind: 'and',
      children: [term('a', 1), term('b', 2)],
    });
    expect(parse({ or: [{ term: { a: 1 } }, { term: { b: 2 } }] })).toEqual({
      kind: 'or',
      children: [term('a', 1), term('b', 2)],
    });
  });

  it('produces the same filter as the expression language', () => {
    const tree = json(`{"and": [
      {"term": {"scope": "@aws-sdk"}},
      {"range": {"downloads": {"gte": 1000}}},
      {"not": {"term": {"deprecated": true}}}
    ]}`);
    // The expression keeps 1000 as written ("1000"); the field's type makes both the number 1000.
    const expected = checkFilter(tree, schema);
    expect(expected).toEqual({
      kind: 'and',
      children: [
        term('scope', '@aws-sdk'),
        { kind: 'range', field: 'downloads', gte: 1000 },
        { kind: 'not', child: term('deprecated', true) },
      ],
    });
    for (const expression of [
      'scope = "@aws-sdk" AND downloads >= 1000 AND NOT deprecated = true',
      'scope = "@aws-sdk" AND downloads >= 1e3 AND NOT deprecated = true',
      'scope = "@aws-sdk" AND downloads >= "1000" AND deprecated != true',
    ]) {
      expect(checkFilter(parseFilterExpression(expression), schema)).toEqual(expected);
    }
  });

  it('flattens nested and/or of the same kind and unwraps single children', () => {
    expect(
      parse({ and: [{ term: { a: 1 } }, { and: [{ term: { b: 2 } }, { and: [{ term: { c: 3 } }] }] }] }),
    ).toEqual({ kind: 'and', children: [term('a', 1), term('b', 2), term('c', 3)] });
    expect(parse({ or: [{ term: { a: 1 } }, { and: [{ term: { b: 2 } }, { term: { c: 3 } }] }] })).toEqual({
      kind: 'or',
      children: [term('a', 1), { kind: 'and', children: [term('b', 2), term('c', 3)] }],
    });
    expect(parse({ or: [{ term: { a: 1 } }] })).toEqual(term('a', 1));
  });

  it('accepts objects without a prototype', () => {
    const node = Object.assign(Object.create(null) as object, {
      term: Object.assign(Object.create(null) as object, { a: 1 }),
    });
    expect(parse(node)).toEqual(term('a', 1));
  });

  it('accepts exactly the limits', () => {
    let deep: unknown = { term: { a: 1 } };
    for (let i = 0; i < MAX_TREE_DEPTH; i++) deep = { not: deep };
    expect(() => parse(deep)).not.toThrow();
    const leaves = Array.from({ length: MAX_TREE_NODES - 1 }, (_, i) => ({ term: { a: i } }));
    expect(parse({ or: leaves })).toMatchObject({ kind: 'or' });
    const values = Array.from({ length: MAX_TERMS_VALUES }, (_, i) => i);
    expect(parse({ terms: { a: values } })).toEqual({ kind: 'terms', field: 'a', values });
  });

  it('does not modify its input', () => {
    const input = { and: [{ term: { a: 1 } }, { and: [{ term: { b: 2 } }] }] };
    const copy = structuredClone(input);
    parse(input);
    expect(input).toEqual(copy);
  });
});

describe('parseFilterTree: errors', () => {
  const cases: [name: string, input: unknown, message: string][] = [
    ['null', null, 'filter: expected a filter object such as {"term": {"field": "value"}}, got null'],
    [
      'a string',
      'a = 1',
      'filter: expected a filter object such as {"term": {"field": "value"}}, got string "a = 1"',
    ],
    ['a number', 5, 'filter: expected a filter object such as {"term": {"field": "value"}}, got number 5'],
    ['an array', [], 'filter: expected a filter object such as {"term": {"field": "value"}}, got an array'],
    [
      'a Date',
      new Date(0),
      'filter: expected a filter object such as {"term": {"field": "value"}}, got an object',
    ],
    [
      'a Map',
      new Map(),
      'filter: expected a filter object such as {"term": {"field": "value"}}, got an object',
    ],
    [
      'no key',
      {},
      'filter: expected a filter object such as {"term": {"field": "value"}} with exactly one key, got none',
    ],
    [
      'two keys',
      { term: { a: 1 }, exists: 'b' },
      'filter: expected a filter object such as {"term": {"field": "value"}} with exactly one key, got 2 ("term", "exists")',
    ],
    [
      'an unknown kind',
      { match: { a: 1 } },
      'filter: unknown filter "match"; expected one of and, or, not, term, terms, all, range, exists',
    ],
    ['empty and', { and: [] }, 'filter.and: expected a non-empty array of filters, got an array'],
    [
      'or of an object',
      { or: { term: { a: 1 } } },
      'filter.or: expected a non-empty array of filters, got an object',
    ],
    [
      'a bad child',
      { and: [{ term: { a: 1 } }, 7] },
      'filter.and[1]: expected a filter object such as {"term": {"field": "value"}}, got number 7',
    ],
    [
      'not of an array',
      { not: [{ term: { a: 1 } }] },
      'filter.not: expected a filter object such as {"term": {"field": "value"}}, got an array',
    ],
    ['term of a string', { term: 'a' }, 'filter.term: expected an object {"<field>": value}, got string "a"'],
    [
      'term with two fields',
      { term: { a: 1, b: 2 } },
      'filter.term: expected an object {"<field>": value} with exactly one key, got 2 ("a", "b")',
    ],
    ['term of null', { term: { a: null } }, 'filter.term.a: expected a string, number or boolean, got null'],
    [
      'term of an array',
      { term: { a: [1] } },
      'filter.term.a: expected a string, number or boolean, got an array',
    ],
    [
      'term of an object',
      { term: { a: {} } },
      'filter.term.a: expected a string, number or boolean, got an object',
    ],
    [
      'term of NaN',
      { term: { a: NaN } },
      'filter.term.a: expected a string, number or boolean, got number NaN',
    ],
    [
      'term of Infinity',
      { term: { a: Infinity } },
      'filter.term.a: expected a string, number or boolean, got number Infinity',
    ],
    [
      'a bad field name',
      { term: { 'a b': 1 } },
      'filter.term: invalid field name "a b"; field names are letters, digits, "_" and "."',
    ],
    [
      'an empty field name',
      { term: { '': 1 } },
      'filter.term: invalid field name ""; field names are letters, digits, "_" and "."',
    ],
    [
      'terms of a scalar',
      { terms: { a: 'x' } },
      'filter.terms.a: expected a non-empty array of values, got string "x"',
    ],
    [
      'terms empty',
      { terms: { a: [] } },
      'filter.terms.a: expected a non-empty array of values, got an array',
    ],
    [
      'terms with null',
      { terms: { a: [1, null] } },
      'filter.terms.a[1]: expected a string, number or boolean, got null',
    ],
    [
      'range of a scalar',
      { range: { a: 5 } },
      'filter.range.a: expected an object of bounds (gt, gte, lt, lte), got number 5',
    ],
    [
      'range without bounds',
      { range: { a: {} } },
      'filter.range.a: expected at least one bound (gt, gte, lt, lte)',
    ],
    [
      'range with gt and gte',
      { range: { a: { gt: 1, gte: 2 } } },
      'filter.range.a: gt and gte cannot both be set',
    ],
    [
      'range with lt and lte',
      { range: { a: { lt: 1, lte: 2 } } },
      'filter.range.a: lt and lte cannot both be set',
    ],
    [
      'range bound of null',
      { range: { a: { gt: null } } },
      'filter.range.a.gt: expected a string, number or boolean, got null',
    ],
    [
      'range with two fields',
      { range: { a: { gt: 1 }, b: { lt: 2 } } },
      'filter.range: expected an object {"<field>": {"gte": value, ...}} with exactly one key, got 2 ("a", "b")',
    ],
    [
      'exists of a number',
      { exists: 5 },
      'filter.exists: expected a field name or {"field": "<name>"}, got number 5',
    ],
    [
      'exists of a bad name',
      { exists: 'a b' },
      'filter.exists: invalid field name "a b"; field names are letters, digits, "_" and "."',
    ],
    [
      'exists with another key',
      { exists: { name: 'a' } },
      'filter.exists: expected {"field": "<name>"}, got key "name"',
    ],
    [
      'exists of {field: 1}',
      { exists: { field: 1 } },
      'filter.exists.field: expected a field name, got number 1',
    ],
    [
      'a field name that is not an identifier in the path',
      { and: [{ term: { a: 1 } }, { terms: { 'x-y': [1] } }] },
      'filter.and[1].terms: invalid field name "x-y"; field names are letters, digits, "_" and "."',
    ],
  ];

  it.each(cases)('rejects %s', (_name, input, message) => {
    const err = errorOf(() => parse(input));
    expect(err.code).toBe('INVALID_FILTER');
    expect(err.status).toBe(400);
    expect(err.message).toBe(message);
    expect(err.details?.path).toBe(message.slice(0, message.indexOf(': ')));
  });

  it('names the JSON path of a bad bound', () => {
    const err = errorOf(() => json('{"and": [{"term": {"a": 1}}, {"range": {"downloads": {"gtx": 5}}}]}'));
    expect(err.message).toBe(
      'filter.and[1].range.downloads: unknown bound "gtx"; expected gt, gte, lt or lte',
    );
    expect(err.details).toEqual({ path: 'filter.and[1].range.downloads' });
  });

  it('names deep paths', () => {
    expect(
      messageOf({ or: [{ term: { a: 1 } }, { not: { and: [{ term: { a: 1 } }, { exists: 3 }] } }] }),
    ).toBe('filter.or[1].not.and[1].exists: expected a field name or {"field": "<name>"}, got number 3');
  });

  it('starts paths at the given root', () => {
    const err = errorOf(() => parse({ range: { a: { gtx: 1 } } }, 'body.filter'));
    expect(err.message).toBe('body.filter.range.a: unknown bound "gtx"; expected gt, gte, lt or lte');
  });

  it('clips huge keys in messages', () => {
    const key = 'k'.repeat(10_000);
    const message = messageOf({ [key]: 1 });
    expect(message.length).toBeLessThan(200);
  });

  describe('prototype keys', () => {
    const forbidden: [string, string][] = [
      ['{"__proto__": {"term": {"a": 1}}}', 'filter: key "__proto__" is not allowed'],
      ['{"constructor": {"term": {"a": 1}}}', 'filter: key "constructor" is not allowed'],
      ['{"prototype": {"term": {"a": 1}}}', 'filter: key "prototype" is not allowed'],
      ['{"term": {"__proto__": 1}}', 'filter.term: key "__proto__" is not allowed'],
      ['{"terms": {"constructor": [1]}}', 'filter.terms: key "constructor" is not allowed'],
      ['{"range": {"__proto__": {"gt": 1}}}', 'filter.range: key "__proto__" is not allowed'],
      ['{"range": {"a": {"__proto__": {"polluted": 1}}}}', 'filter.range.a: key "__proto__" is not allowed'],
      ['{"range": {"a": {"gt": 1, "constructor": 1}}}', 'filter.range.a: key "constructor" is not allowed'],
      ['{"exists": {"__proto__": "a"}}', 'filter.exists: key "__proto__" is not allowed'],
      ['{"and": [{"term": {"a": 1}}, {"__proto__": {}}]}', 'filter.and[1]: key "__proto__" is not allowed'],
      ['{"term": {"a": 1}, "__proto__": {"x": 1}}', 'filter: key "__proto__" is not allowed'],
    ];
    it.each(forbidden)('rejects %s', (text, message) => {
      const err = errorOf(() => json(text));
      expect(err.code).toBe('INVALID_FILTER');
      expect(err.message).toBe(message);
    });

    it('never reaches Object.prototype', () => {
      errorOf(() => json('{"range": {"a": {"__proto__": {"polluted": 1}}}}'));
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('ignores inherited keys', () => {
      const inherited = Object.create({ term: { a: 1 } }) as object;
      expect(messageOf({ not: inherited })).toBe(
        'filter.not: expected a filter object such as {"term": {"field": "value"}}, got an object',
      );
    });

    it('accepts toString and hasOwnProperty as field names', () => {
      // Not dangerous here; the schema check rejects them as unknown fields.
      expect(parse({ term: { toString: 1 } })).toEqual(term('toString', 1));
      expect(parse({ exists: 'hasOwnProperty' })).toEqual({ kind: 'exists', field: 'hasOwnProperty' });
    });
  });

  describe('hostile sizes', () => {
    it('limits depth without exhausting the stack', () => {
      let deep: unknown = { term: { a: 1 } };
      for (let i = 0; i < MAX_TREE_DEPTH + 1; i++) deep = { not: deep };
      expect(messageOf(deep)).toBe(`filter${'.not'.repeat(33)}: filters are nested deeper than 32 levels`);
      let huge: unknown = { term: { a: 1 } };
      for (let i = 0; i < 100_000; i++) huge = { and: [huge] };
      expect(errorOf(() => parse(huge)).message).toMatch(/nested deeper than 32 levels$/);
    });

    it('limits the number of nodes', () => {
      const leaves = Array.from({ length: MAX_TREE_NODES }, (_, i) => ({ term: { a: i } }));
      expect(messageOf({ or: leaves })).toBe('filter.or[1023]: the filter has more than 1024 nodes');
      const wide = Array.from({ length: 100_000 }, () => ({ term: { a: 1 } }));
      expect(messageOf({ and: wide })).toMatch(/more than 1024 nodes$/);
    });

    it('limits terms values', () => {
      const values = Array.from({ length: MAX_TERMS_VALUES + 1 }, (_, i) => i);
      expect(messageOf({ terms: { a: values } })).toBe(
        'filter.terms.a: at most 1024 values are allowed, got 1025',
      );
    });
  });

  it('every failure is a SiftError INVALID_FILTER with a path', () => {
    const samples: unknown[] = [
      undefined,
      null,
      true,
      0,
      '',
      'x',
      [],
      [{}],
      {},
      { and: null },
      { and: [null] },
      { or: [{ x: 1 }] },
      { not: null },
      { not: {} },
      { term: {} },
      { term: null },
      { term: { a: undefined } },
      { term: { a: () => 1 } },
      { terms: { a: [{}] } },
      { range: { a: { gt: [] } } },
      { range: { a: null } },
      { exists: null },
      { exists: {} },
      { exists: { field: 'a', extra: 1 } },
      { and: [{ term: { a: 1 } }, { term: { 'bad name': 1 } }] },
      { term: { a: 1n } },
      { term: { a: Symbol('x') } },
    ];
    for (const input of samples) {
      const err = errorOf(() => parse(input));
      expect(err.code).toBe('INVALID_FILTER');
      expect(String(err.details?.path)).toMatch(/^filter/);
      expect(err.message.startsWith(`${String(err.details?.path)}: `)).toBe(true);
    }
  });
});
