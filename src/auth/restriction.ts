import type { Filter } from '../query/types.js';
import type { Principal } from './principal.js';

/** What a principal's searches are limited to beyond its index allowlist: the filter of a scoped key. */
export interface Restriction {
  filter?: Filter;
}

export const restrictionOf = (principal: Principal | undefined): Restriction | undefined =>
  principal?.filter ? { filter: principal.filter } : undefined;

/** ANDs a restriction into a search's own filter as a pinned node, which disjunctive facets never drop. */
export function withRestriction(restriction: Filter, own: Filter | null): Filter {
  return { kind: 'and', children: own ? [restriction, own] : [restriction], pinned: true };
}
