import type { Filter, Scalar } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import { column, isList, listTable } from './ddl.js';

export interface SqlFragment {
  sql: string;
  params: unknown[];
}

const bind = (v: Scalar): unknown => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

/**
 * Sets longer than this are bound as one JSON array read with json_each, so a filter's values never approach
 * SQLite's bound-parameter limit (32,766) however many sets it holds.
 */
const INLINE_SET_VALUES = 32;

/**
 * Joins operands as a balanced tree of parenthesised pairs. SQLite parses `a OR b OR c ...` into a left-deep
 * tree and refuses one deeper than 1,000 ("Expression tree is too large"); balanced, a thousand operands nest
 * ten deep.
 */
function balanced(parts: string[], op: 'AND' | 'OR'): string {
  if (parts.length === 1) return parts[0]!;
  const mid = Math.ceil(parts.length / 2);
  return `(${balanced(parts.slice(0, mid), op)} ${op} ${balanced(parts.slice(mid), op)})`;
}

/**
 * Translates a checked filter into a WHERE fragment on the documents table (alias `d`). Negation is written as
 * `IS NOT 1` rather than `NOT`, so documents missing the field count as "not equal", the way Elasticsearch's
 * must_not behaves; SQL's three-valued NOT would silently drop them.
 */
export function filterToSql(filter: Filter, schema: IndexSchema, tid: number): SqlFragment {
  const params: unknown[] = [];
  // On a list field a condition holds when one element satisfies all of it (a range's both bounds included),
  // as the clusters match a multi-valued field: the values are looked up in the version's list table through its
  // (field, value) index. IN gives 0 or 1, never NULL, which negation relies on.
  const leaf = (field: string, condition: (value: string) => string): string =>
    isList(schema, field)
      ? `d.rowid IN (SELECT rowid FROM ${listTable(tid)} WHERE f = '${field}' AND ${condition('v')})`
      : condition(`d.${column(schema, field)}`);
  const walk = (f: Filter): string => {
    switch (f.kind) {
      case 'and':
        return f.children.length ? balanced(f.children.map(walk), 'AND') : '1';
      case 'or':
        return f.children.length ? balanced(f.children.map(walk), 'OR') : '0';
      case 'not':
        return `((${walk(f.child)}) IS NOT 1)`;
      case 'term':
        params.push(bind(f.value));
        return leaf(f.field, (v) => `${v} = ?`);
      case 'terms':
        if (f.values.length === 0) return '0';
        if (f.values.length > INLINE_SET_VALUES) {
          params.push(JSON.stringify(f.values.map(bind)));
          return leaf(f.field, (v) => `${v} IN (SELECT value FROM json_each(?))`);
        }
        for (const v of f.values) params.push(bind(v));
        return leaf(f.field, (v) => `${v} IN (${f.values.map(() => '?').join(', ')})`);
      case 'range':
        return leaf(f.field, (v) => rangeSql(v, f));
      case 'exists':
        return `d.${column(schema, f.field)} IS NOT NULL`;
    }
  };
  const rangeSql = (col: string, f: Extract<Filter, { kind: 'range' }>): string => {
    const parts: string[] = [];
    for (const [op, sql] of [
      ['gt', '>'],
      ['gte', '>='],
      ['lt', '<'],
      ['lte', '<='],
    ] as const) {
      const v = f[op];
      if (v !== undefined) {
        parts.push(`${col} ${sql} ?`);
        params.push(bind(v));
      }
    }
    return parts.length ? `(${parts.join(' AND ')})` : `${col} IS NOT NULL`;
  };
  return { sql: walk(filter), params };
}
