import type { Filter, Scalar } from './types.js';

/**
 * Brings a checked filter into the smallest equivalent shape before any engine sees it, and counts what engines
 * must evaluate. The validators bound the *input* (1,024 nodes, 32 levels); engines are bound by what they
 * execute: Elasticsearch and OpenSearch count every leaf query of a search against
 * `indices.query.bool.max_clause_count` (1,024 by default on OpenSearch, where a range or set on a number or date
 * is two leaves), and SQLite refuses expressions nested 1,000 deep. So:
 *
 * - equalities on one field inside an OR become one set (`a = 1 OR a = 2` is `a IN [1, 2]`), so a list of a
 *   thousand ids is one condition on every engine, not a thousand;
 * - nested AND in AND and OR in OR are one list, and `NOT NOT x` is `x`;
 * - what remains may hold at most MAX_FILTER_CONDITIONS conditions, which every engine runs together with the
 *   largest text query the default limits allow.
 */

/** Most conditions (term, set, range, exists) a checked filter may hold. */
export const MAX_FILTER_CONDITIONS = 256;
/**
 * Values in one set condition. A merged set is split into sets of this size: the clusters refuse a terms query
 * above index.max_terms_count (65,536), and each split set counts as one more condition.
 */
export const MAX_SET_VALUES = 1024;

type Equality = Extract<Filter, { kind: 'term' | 'terms' }>;

const isPinned = (f: Filter): boolean => f.kind === 'and' && f.pinned === true;
const isEquality = (f: Filter): f is Equality => f.kind === 'term' || f.kind === 'terms';
const valuesOf = (f: Equality): Scalar[] => (f.kind === 'term' ? [f.value] : f.values);

function chunked(field: string, values: Scalar[]): Filter[] {
  const out: Filter[] = [];
  for (let i = 0; i < values.length; i += MAX_SET_VALUES)
    out.push({ kind: 'terms', field, values: values.slice(i, i + MAX_SET_VALUES) });
  return out;
}

/** OR children: equalities on one field merged into sets, in the position of the field's first equality. */
function mergeEqualities(children: Filter[]): Filter[] {
  const byField = new Map<string, Equality[]>();
  for (const c of children) {
    if (!isEquality(c)) continue;
    const list = byField.get(c.field);
    if (list) list.push(c);
    else byField.set(c.field, [c]);
  }
  const out: Filter[] = [];
  for (const c of children) {
    if (!isEquality(c)) {
      out.push(c);
      continue;
    }
    const group = byField.get(c.field)!;
    if (group.length === 1) out.push(c);
    else if (group[0] === c) out.push(...chunked(c.field, [...new Set(group.flatMap(valuesOf))]));
  }
  return out;
}

export function normalizeFilter(filter: Filter): Filter {
  switch (filter.kind) {
    case 'and':
    case 'or': {
      const kind = filter.kind;
      // A pinned AND (a restriction the client cannot lift) keeps its own identity: never merged either way.
      const flat = (c: Filter) => c.kind === kind && !isPinned(c) && !isPinned(filter);
      let children = filter.children
        .map(normalizeFilter)
        .flatMap((c) => (flat(c) ? (c as typeof filter).children : [c]));
      if (kind === 'or') children = mergeEqualities(children);
      if (children.length === 1) return children[0]!;
      return filter.kind === 'and' && filter.pinned
        ? { kind: 'and', children, pinned: true }
        : { kind, children };
    }
    case 'not': {
      const child = normalizeFilter(filter.child);
      return child.kind === 'not' ? child.child : { kind: 'not', child };
    }
    default:
      return filter;
  }
}

/** Conditions an engine evaluates: every leaf, a set once per MAX_SET_VALUES values. */
export function conditionCount(filter: Filter): number {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return filter.children.reduce((n, c) => n + conditionCount(c), 0);
    case 'not':
      return conditionCount(filter.child);
    case 'terms':
      return Math.max(1, Math.ceil(filter.values.length / MAX_SET_VALUES));
    default:
      return 1;
  }
}
