import { describe, expect, it } from 'vitest';
import { fieldSpec } from '../../../test/support/schema.js';
import { checkFilter } from '../../query/filter-check.js';
import { MAX_TREE_DEPTH, MAX_TREE_NODES, parseFilterTree } from '../../query/filter-tree.js';
import type { IndexSchema } from '../../schema/types.js';
import { filterToDsl, type QueryDsl } from './filter.js';

const schema: IndexSchema = {
  id_field: 'name',
  fields: { name: fieldSpec('keyword'), n: fieldSpec('integer'), tag: fieldSpec('keyword') },
  ranking: {},
};

/** Query objects on the deepest path, the way Elasticsearch counts against indices.query.bool.max_nested_depth. */
function nesting(q: QueryDsl): number {
  const bool = q.bool as Record<string, QueryDsl[]> | undefined;
  if (!bool) return 1;
  const inner = ['filter', 'must', 'must_not', 'should'].flatMap((k) => bool[k] ?? []);
  return 1 + Math.max(0, ...inner.map(nesting));
}

/** Leaf queries, the way the clusters count against indices.query.bool.max_clause_count. */
function leaves(q: QueryDsl): number {
  const bool = q.bool as Record<string, QueryDsl[]> | undefined;
  if (!bool) return 1;
  return ['filter', 'must', 'must_not', 'should']
    .flatMap((k) => bool[k] ?? [])
    .reduce((n, c) => n + leaves(c), 0);
}

/**
 * The search body wraps the filter in function_score and the outer bool (2 levels); Elasticsearch refuses more
 * than 30, so a filter may use 28.
 */
const FILTER_NESTING_BUDGET = 28;

type Kind = 'and' | 'or' | 'not';
/** A chain of connectives MAX_TREE_DEPTH deep (as deep as the JSON validator accepts), each with a leaf beside it. */
function chain(kinds: Kind[]): unknown {
  let node: unknown = { term: { tag: 'deepest' } };
  for (let i = kinds.length - 1; i >= 0; i--) {
    const kind = kinds[i]!;
    node = kind === 'not' ? { not: node } : { [kind]: [node, { range: { n: { gte: i } } }] };
  }
  return node;
}

const dslOf = (tree: unknown) => filterToDsl(checkFilter(parseFilterTree(tree), schema), schema);

describe('filterToDsl: the deepest and widest legal filters fit the clusters', () => {
  it(`keeps every ${MAX_TREE_DEPTH}-level chain of and/or/not within ${FILTER_NESTING_BUDGET} nested queries`, () => {
    const patterns: Kind[][] = [];
    const kinds: Kind[] = ['and', 'or', 'not'];
    // Every periodic pattern up to period 4, then seeded pseudo-random chains.
    const grow = (prefix: Kind[]) => {
      if (prefix.length)
        patterns.push(Array.from({ length: MAX_TREE_DEPTH }, (_, i) => prefix[i % prefix.length]!));
      if (prefix.length < 4) for (const k of kinds) grow([...prefix, k]);
    };
    grow([]);
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let r = 0; r < 2000; r++)
      patterns.push(Array.from({ length: MAX_TREE_DEPTH }, () => kinds[next() % 3]!));
    let worst = 0;
    for (const p of patterns) worst = Math.max(worst, nesting(dslOf(chain(p))));
    expect(worst).toBeLessThanOrEqual(FILTER_NESTING_BUDGET);
  });

  it('writes an OR of equalities on one field as one terms query', () => {
    const tree = { or: Array.from({ length: MAX_TREE_NODES - 1 }, (_, i) => ({ term: { n: i } })) };
    const dsl = dslOf(tree);
    expect(leaves(dsl)).toBe(1);
    expect((dsl.terms as Record<string, unknown[]>).n).toHaveLength(MAX_TREE_NODES - 1);
  });

  it('folds negations into the enclosing bool', () => {
    expect(
      dslOf({
        and: [{ term: { tag: 'a' } }, { not: { or: [{ term: { n: 1 } }, { exists: { field: 'name' } }] } }],
      }),
    ).toEqual({
      bool: {
        filter: [{ term: { tag: 'a' } }],
        must_not: [{ term: { n: 1 } }, { exists: { field: 'name' } }],
      },
    });
    expect(dslOf({ not: { not: { term: { tag: 'a' } } } })).toEqual({ term: { tag: 'a' } });
    expect(
      dslOf({ and: [{ term: { tag: 'a' } }, { or: [{ term: { n: 1 } }, { term: { tag: 'b' } }] }] }),
    ).toEqual({
      bool: {
        filter: [{ term: { tag: 'a' } }],
        should: [{ term: { n: 1 } }, { term: { tag: 'b' } }],
        minimum_should_match: 1,
      },
    });
  });
});
