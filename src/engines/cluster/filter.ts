import type { Filter } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import { valuePath } from './mapping.js';

export type QueryDsl = Record<string, unknown>;

export const MATCH_ALL: QueryDsl = { match_all: {} };
export const MATCH_NONE: QueryDsl = { match_none: {} };

/** Levels of and/or/not above the deepest leaf, to pick which OR an AND absorbs. */
function depthOf(f: Filter): number {
  switch (f.kind) {
    case 'and':
    case 'or':
      return 1 + Math.max(0, ...f.children.map(depthOf));
    case 'not':
      return 1 + depthOf(f.child);
    default:
      return 0;
  }
}

/** `NOT (a OR b)` is must_not [a, b]: negation of a disjunction costs no level of its own. */
const negated = (f: Filter, schema: IndexSchema): QueryDsl[] =>
  f.kind === 'or' ? f.children.map((c) => filterToDsl(c, schema)) : [filterToDsl(f, schema)];

/**
 * An AND as one bool: its conditions in `filter`, its negations in `must_not`, and its deepest OR as the
 * bool's `should`. Elasticsearch refuses queries nested deeper than indices.query.bool.max_nested_depth (30),
 * so folding the connectives that follow an AND into the same bool keeps the deepest filter the validators
 * accept (32 levels) at about two bool levels per three filter levels.
 */
function andToDsl(children: Filter[], schema: IndexSchema): QueryDsl {
  const ors = children.filter((c) => c.kind === 'or');
  const absorbed = ors.length ? ors.reduce((a, b) => (depthOf(b) > depthOf(a) ? b : a)) : null;
  const filter: QueryDsl[] = [];
  const mustNot: QueryDsl[] = [];
  for (const c of children) {
    if (c === absorbed) continue;
    if (c.kind === 'not') mustNot.push(...negated(c.child, schema));
    else filter.push(filterToDsl(c, schema));
  }
  const bool: Record<string, unknown> = {};
  if (filter.length) bool.filter = filter;
  if (mustNot.length) bool.must_not = mustNot;
  if (absorbed?.kind === 'or') {
    bool.should = absorbed.children.map((c) => filterToDsl(c, schema));
    bool.minimum_should_match = 1;
  }
  return { bool };
}

/**
 * A checked filter as query DSL in filter context. Values are typed already (dates as epoch ms, which the date
 * mapping's epoch_millis format reads). `not` is must_not, so documents without the field count as "not equal",
 * the same as the embedded engine. The filter arrives normalized (src/query/filter-normalize.ts): equalities on
 * one field under an OR are one terms query, which keeps the leaf count within indices.query.bool.max_clause_count.
 */
export function filterToDsl(filter: Filter, schema: IndexSchema): QueryDsl {
  switch (filter.kind) {
    case 'and':
      return filter.children.length ? andToDsl(filter.children, schema) : MATCH_ALL;
    case 'or':
      return filter.children.length
        ? { bool: { should: filter.children.map((c) => filterToDsl(c, schema)), minimum_should_match: 1 } }
        : MATCH_NONE;
    case 'not':
      // NOT NOT x is x: one bool level less.
      if (filter.child.kind === 'not') return filterToDsl(filter.child.child, schema);
      return { bool: { must_not: negated(filter.child, schema) } };
    case 'term':
      return { term: { [valuePath(schema, filter.field)]: filter.value } };
    case 'terms':
      return filter.values.length
        ? { terms: { [valuePath(schema, filter.field)]: filter.values } }
        : MATCH_NONE;
    case 'range': {
      const bounds: Record<string, unknown> = {};
      for (const op of ['gt', 'gte', 'lt', 'lte'] as const)
        if (filter[op] !== undefined) bounds[op] = filter[op];
      const path = valuePath(schema, filter.field);
      return Object.keys(bounds).length ? { range: { [path]: bounds } } : { exists: { field: path } };
    }
    case 'exists':
      return { exists: { field: valuePath(schema, filter.field) } };
  }
}

export const allOf = (parts: QueryDsl[]): QueryDsl =>
  parts.length === 0 ? MATCH_ALL : parts.length === 1 ? parts[0]! : { bool: { filter: parts } };
