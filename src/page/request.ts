import { parseRangeKey, type PageState, type RangeBounds } from './state.js';

/** A field as `GET /api/indexes/{index}/fields` describes it. */
export interface SearchField {
  name: string;
  type: 'text' | 'keyword' | 'integer' | 'float' | 'date' | 'boolean';
  searchable: boolean;
  filterable: boolean;
  facet: boolean;
  sortable: boolean;
  array: boolean;
}

/** Which facets the page shows: value lists for keyword facets, range buckets for numeric ones. */
export interface FacetPlan {
  terms: string[];
  ranges: string[];
}

export function facetPlan(fields: readonly SearchField[]): FacetPlan {
  return {
    terms: fields.filter((f) => f.facet && f.type === 'keyword').map((f) => f.name),
    ranges: fields.filter((f) => f.facet && (f.type === 'integer' || f.type === 'float')).map((f) => f.name),
  };
}

/** The sort choices: relevance, then each sortable field both ways. */
export function sortChoices(fields: readonly SearchField[]): { value: string; label: string }[] {
  const choices = [{ value: '', label: 'Relevance' }];
  for (const f of fields.filter((f) => f.sortable)) {
    choices.push({ value: f.name, label: `${f.name} ↑` }, { value: `-${f.name}`, label: `${f.name} ↓` });
  }
  return choices;
}

/** An example filter for the filter box, made of the index's own fields (none when nothing is filterable). */
export function filterExample(fields: readonly SearchField[]): string {
  const numeric = fields.find((f) => f.filterable && (f.type === 'integer' || f.type === 'float'));
  const keyword = fields.find((f) => f.filterable && f.type === 'keyword' && f.facet);
  const parts = [
    ...(numeric ? [`${numeric.name} >= 100`] : []),
    ...(keyword ? [`NOT ${keyword.name} = "…"`] : []),
  ];
  return parts.length > 0 ? `e.g. ${parts.join(' AND ')}` : '';
}

/**
 * Whether the parentheses of a filter expression balance outside its quoted strings. The page ANDs a typed
 * filter with the facet picks as `(typed) AND ...`; a typed `a = 1) OR (b = 2` would then parse, with another
 * meaning, so an unbalanced filter is sent alone (and the server names its error).
 */
export function parenthesesBalance(expression: string): boolean {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0 && quote === null;
}

/** A value as the filter language writes it (a JSON string is one of its string literals). */
const literal = (value: string): string => JSON.stringify(value);

function rangeCondition(field: string, r: RangeBounds): string {
  const parts: string[] = [];
  if (r.from !== undefined) parts.push(`${field} >= ${r.from}`);
  if (r.to !== undefined) parts.push(`${field} < ${r.to}`);
  return parts.length > 1 ? `(${parts.join(' AND ')})` : parts[0]!;
}

/**
 * The facet picks as filter conditions, one top-level condition per field (values of one field are OR-ed), so the
 * API's disjunctive facets still count every value of a field while it is being picked from.
 */
export function facetConditions(state: Pick<PageState, 'terms' | 'ranges'>): string[] {
  const conditions: string[] = [];
  for (const field of Object.keys(state.terms).sort()) {
    const values = state.terms[field]!;
    if (values.length === 1) conditions.push(`${field} = ${literal(values[0]!)}`);
    else if (values.length > 1) conditions.push(`${field} IN [${values.map(literal).join(', ')}]`);
  }
  for (const field of Object.keys(state.ranges).sort()) {
    const ranges = state.ranges[field]!.map(parseRangeKey).filter((r): r is RangeBounds => r !== null);
    if (ranges.length === 1) conditions.push(rangeCondition(field, ranges[0]!));
    else if (ranges.length > 1)
      conditions.push(`(${ranges.map((r) => rangeCondition(field, r)).join(' OR ')})`);
  }
  return conditions;
}

export interface ComposedFilter {
  /** The expression to send; undefined for none. */
  filter?: string;
  /**
   * The typed filter was wrapped with the facet picks: a syntax error's position is then in the combined text, so
   * the page asks again with the typed filter alone to show the error where it was typed.
   */
  combined: boolean;
}

/** The request's filter: the typed one and the facet picks, ANDed. */
export function composeFilter(state: Pick<PageState, 'filter' | 'terms' | 'ranges'>): ComposedFilter {
  const typed = state.filter.trim();
  const picks = facetConditions(state);
  if (picks.length === 0) return typed ? { filter: state.filter, combined: false } : { combined: false };
  if (!typed) return { filter: picks.join(' AND '), combined: false };
  if (!parenthesesBalance(typed)) return { filter: state.filter, combined: false };
  return { filter: [`(${typed})`, ...picks].join(' AND '), combined: true };
}

/** The facets a request asks for; `ranges` holds the buckets of each numeric facet (from its stats). */
export function facetRequests(
  plan: FacetPlan,
  ranges: Readonly<Record<string, RangeBounds[]>>,
): Record<string, unknown>[] {
  const facets: Record<string, unknown>[] = plan.terms.map((field) => ({ field, size: 10 }));
  for (const field of plan.ranges) {
    const buckets = ranges[field];
    if (buckets && buckets.length > 0) facets.push({ field, ranges: buckets });
  }
  return facets;
}

export const PAGE_SIZE = 10;

/**
 * The POST body of the search the page shows. A next page (`cursor`) repeats q, filter and sort unchanged, as
 * cursors require, and asks for no facets: they were counted with the first page.
 */
export function searchBody(
  state: PageState,
  plan: FacetPlan,
  ranges: Readonly<Record<string, RangeBounds[]>>,
  cursor?: string,
): Record<string, unknown> {
  const body: Record<string, unknown> = { q: state.q };
  const { filter } = composeFilter(state);
  if (filter !== undefined) body.filter = filter;
  if (state.sort) body.sort = state.sort;
  body.size = PAGE_SIZE;
  if (cursor) body.cursor = cursor;
  else {
    const facets = facetRequests(plan, ranges);
    if (facets.length > 0) body.facets = facets;
  }
  return body;
}

/** The path of an index's API: the default index's own routes when the page names none. */
export function searchPath(index: string): string {
  return index ? `/api/indexes/${encodeURIComponent(index)}/search` : '/api/search';
}
