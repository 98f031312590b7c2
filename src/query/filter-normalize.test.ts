import { describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/errors.js';
import { fieldSpec } from '../../test/support/schema.js';
import type { IndexSchema } from '../schema/types.js';
import { checkFilter } from './filter-check.js';
import { parseFilterExpression, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from './filter-expression.js';
import {
  conditionCount,
  MAX_FILTER_CONDITIONS,
  MAX_SET_VALUES,
  normalizeFilter,
} from './filter-normalize.js';
import { MAX_TREE_NODES, parseFilterTree } from './filter-tree.js';
import type { Filter, Scalar } from './types.js';

const schema: IndexSchema = {
  id_field: 'name',
  fields: { name: fieldSpec('keyword'), n: fieldSpec('integer'), tag: fieldSpec('keyword') },
  ranking: {},
};
const term = (field: string, value: Scalar): Filter => ({ kind: 'term', field, value });

describe('normalizeFilter', () => {
  it('merges equalities on one field inside an OR into one set, where the first one stood', () => {
    const f: Filter = {
      kind: 'or',
      children: [
        term('n', 1),
        { kind: 'exists', field: 'tag' },
        term('n', 2),
        { kind: 'terms', field: 'n', values: [2, 3] },
      ],
    };
    expect(normalizeFilter(f)).toEqual({
      kind: 'or',
      children: [
        { kind: 'terms', field: 'n', values: [1, 2, 3] },
        { kind: 'exists', field: 'tag' },
      ],
    });
  });

  it('does not merge equalities joined by AND, and keeps a lone equality as it is', () => {
    const and: Filter = { kind: 'and', children: [term('tag', 'a'), term('tag', 'b')] };
    expect(normalizeFilter(and)).toEqual(and);
    const or: Filter = { kind: 'or', children: [term('tag', 'a'), term('n', 1)] };
    expect(normalizeFilter(or)).toEqual(or);
  });

  it('splits a merged set into sets of at most MAX_SET_VALUES values', () => {
    const f: Filter = {
      kind: 'or',
      children: Array.from({ length: MAX_SET_VALUES + 1 }, (_, i) => term('n', i)),
    };
    const out = normalizeFilter(f) as Extract<Filter, { kind: 'or' }>;
    expect(out.children.map((c) => (c as { values: Scalar[] }).values.length)).toEqual([MAX_SET_VALUES, 1]);
    expect(conditionCount(out)).toBe(2);
  });

  it('flattens nested AND/OR, drops double negation, and leaves a pinned AND alone', () => {
    const f: Filter = {
      kind: 'and',
      children: [
        { kind: 'and', children: [term('n', 1), term('n', 2)] },
        { kind: 'not', child: { kind: 'not', child: term('tag', 'x') } },
      ],
    };
    expect(normalizeFilter(f)).toEqual({
      kind: 'and',
      children: [term('n', 1), term('n', 2), term('tag', 'x')],
    });
    const pinned: Filter = {
      kind: 'and',
      pinned: true,
      children: [term('n', 1), { kind: 'and', children: [term('n', 2), term('n', 3)] }],
    };
    expect(normalizeFilter(pinned)).toEqual(pinned);
  });
});

describe('checkFilter: the largest legal filters', () => {
  it(`accepts an OR of ${MAX_TREE_NODES - 1} equalities on one field as one condition`, () => {
    const tree = { or: Array.from({ length: MAX_TREE_NODES - 1 }, (_, i) => ({ term: { n: i } })) };
    const out = checkFilter(parseFilterTree(tree), schema);
    expect(out).toEqual({
      kind: 'terms',
      field: 'n',
      values: Array.from({ length: MAX_TREE_NODES - 1 }, (_, i) => i),
    });
  });

  it('accepts the longest equality expression the parser takes', () => {
    let expr = 'n = 0';
    for (let i = 1; expr.length + ` OR n = ${i}`.length <= MAX_FILTER_LENGTH; i++) expr += ` OR n = ${i}`;
    const out = checkFilter(parseFilterExpression(expr), schema);
    expect(out.kind).toBe('terms');
  });

  it('accepts parentheses nested as deep as the parser allows', () => {
    const expr = `${'('.repeat(MAX_FILTER_DEPTH)}tag = "a"${')'.repeat(MAX_FILTER_DEPTH)}`;
    expect(checkFilter(parseFilterExpression(expr), schema)).toEqual(term('tag', 'a'));
  });

  it(`refuses more than ${MAX_FILTER_CONDITIONS} conditions with a clear INVALID_FILTER`, () => {
    const ok = {
      or: Array.from({ length: MAX_FILTER_CONDITIONS }, (_, i) => ({
        range: { n: { gte: i * 2, lt: i * 2 + 1 } },
      })),
    };
    expect(conditionCount(checkFilter(parseFilterTree(ok), schema))).toBe(MAX_FILTER_CONDITIONS);
    const tooMany = { or: [...ok.or, { exists: { field: 'tag' } }] };
    const err = errorOf(() => checkFilter(parseFilterTree(tooMany), schema));
    expect(err.code).toBe('INVALID_FILTER');
    expect(err.message).toContain(
      `${MAX_FILTER_CONDITIONS + 1} conditions; at most ${MAX_FILTER_CONDITIONS}`,
    );
    expect(err.details).toEqual({
      conditions: MAX_FILTER_CONDITIONS + 1,
      max_conditions: MAX_FILTER_CONDITIONS,
    });
  });
});
