import type { Scalar, SortClause } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';

/**
 * Sort values between the cluster and Sift's cursors. A document missing a sort field sorts last; the cluster
 * reports that position as a sentinel (the largest long, "Infinity", the largest int for booleans on OpenSearch)
 * which does not survive JSON in JavaScript. Cursors carry null instead, and search_after turns null back into the
 * sentinel the cluster expects for that type and direction.
 */
const LONG_MAX = '9223372036854775807';
const LONG_MIN = '-9223372036854775808';

type Kind = 'score' | 'long' | 'double' | 'boolean' | 'string';

function kindOf(schema: IndexSchema, clause: SortClause): Kind {
  if (clause.field === '_score') return 'score';
  const type = schema.fields[clause.field]?.type;
  if (type === 'integer' || type === 'date') return 'long';
  if (type === 'float') return 'double';
  if (type === 'boolean') return 'boolean';
  return 'string';
}

/** The cluster's sort value of one clause as a cursor value. */
export function fromClusterSortValue(schema: IndexSchema, clause: SortClause, v: unknown): Scalar | null {
  if (v === null || v === undefined) return null;
  switch (kindOf(schema, clause)) {
    case 'score':
      return typeof v === 'number' ? v : null;
    case 'long':
      return typeof v === 'number' && Math.abs(v) < 9.2e18 ? v : null;
    case 'double':
      return typeof v === 'number' && Number.isFinite(v) ? v : null;
    case 'boolean':
      return v === 0 || v === 1 ? v : v === true ? 1 : v === false ? 0 : null;
    case 'string':
      return typeof v === 'string' ? v : null;
  }
}

/** A cursor value back into what search_after needs for that clause. */
export function toClusterSortValue(schema: IndexSchema, clause: SortClause, v: Scalar | null): unknown {
  if (v !== null) return typeof v === 'boolean' ? (v ? 1 : 0) : v;
  const asc = clause.order === 'asc';
  switch (kindOf(schema, clause)) {
    case 'score':
      return asc ? 'Infinity' : '-Infinity';
    case 'long':
    case 'boolean':
      return asc ? LONG_MAX : LONG_MIN;
    case 'double':
      return asc ? 'Infinity' : '-Infinity';
    case 'string':
      return null;
  }
}
