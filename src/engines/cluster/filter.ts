import type { Filter } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import { valuePath } from './mapping.js';

export type QueryDsl = Record<string, unknown>;

export const MATCH_ALL: QueryDsl = { match_all: {} };
export const MATCH_NONE: QueryDsl = { match_none: {} };

/**
 * A checked filter as query DSL in filter context. Values are typed already (dates as epoch ms, which the date
 * mapping's epoch_millis format reads). `not` is must_not, so documents without the field count as "not equal",
 * the same as the embedded engine.
 */
export function filterToDsl(filter: Filter, schema: IndexSchema): QueryDsl {
  switch (filter.kind) {
    case 'and':
      return filter.children.length
        ? { bool: { filter: filter.children.map((c) => filterToDsl(c, schema)) } }
        : MATCH_ALL;
    case 'or':
      return filter.children.length
        ? { bool: { should: filter.children.map((c) => filterToDsl(c, schema)), minimum_should_match: 1 } }
        : MATCH_NONE;
    case 'not':
      return { bool: { must_not: [filterToDsl(filter.child, schema)] } };
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
