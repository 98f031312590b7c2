import type { Filter } from './types.js';

/** What a caller's searches are limited to beyond its index allowlist: the filter of a scoped key. */
export interface Restriction {
  filter?: Filter;
}

/** ANDs a restriction into a search's own filter as a pinned node, which disjunctive facets never drop. */
export function withRestriction(restriction: Filter, own: Filter | null): Filter {
  return { kind: 'and', children: own ? [restriction, own] : [restriction], pinned: true };
}
