import { parseFilterExpression } from '../query/filter-expression.js';
import { parseFilterTree } from '../query/filter-tree.js';
import type { Filter } from '../query/types.js';

function collect(filter: Filter, into: Set<string>): void {
  switch (filter.kind) {
    case 'and':
    case 'or':
      for (const child of filter.children) collect(child, into);
      return;
    case 'not':
      collect(filter.child, into);
      return;
    default:
      into.add(filter.field);
  }
}

/**
 * The fields a search's filter names (an expression or a JSON tree), sorted: which filters people use, never the
 * values they filter on. A filter that does not parse names nothing (the search it came with was refused anyway).
 */
export function filterFieldsOf(filter: unknown): string[] {
  if (filter === undefined || filter === null || filter === '') return [];
  try {
    const parsed = typeof filter === 'string' ? parseFilterExpression(filter) : parseFilterTree(filter);
    const fields = new Set<string>();
    collect(parsed, fields);
    return [...fields].sort();
  } catch {
    return [];
  }
}
