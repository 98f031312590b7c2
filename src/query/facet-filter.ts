import type { Filter } from './types.js';

/** Fields a filter node refers to. */
export function filterFields(f: Filter, out = new Set<string>()): Set<string> {
  switch (f.kind) {
    case 'and':
    case 'or':
      f.children.forEach((c) => filterFields(c, out));
      break;
    case 'not':
      filterFields(f.child, out);
      break;
    default:
      out.add(f.field);
  }
  return out;
}

/** The top-level AND-ed parts of a filter. */
export function conjuncts(f: Filter | null): Filter[] {
  if (!f) return [];
  return f.kind === 'and' && !f.pinned ? f.children : [f];
}

/**
 * Disjunctive faceting: a facet's counts ignore the conditions on that facet's own field, so a user who picked
 * `scope = "@types"` still sees how many hits every other scope would give. Only top-level conjuncts that refer
 * to nothing but the facet's field are dropped; a condition mixing fields stays, because removing it would widen
 * the result set in ways the user did not ask for.
 */
export function filterWithoutField(filter: Filter | null, field: string): Filter | null {
  const kept = conjuncts(filter).filter((c) => {
    if (c.kind === 'and' && c.pinned) return true;
    const fields = filterFields(c);
    return !(fields.size === 1 && fields.has(field));
  });
  if (kept.length === 0) return null;
  return kept.length === 1 ? kept[0]! : { kind: 'and', children: kept };
}
