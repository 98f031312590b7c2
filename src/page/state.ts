/**
 * The page's state, and its one representation in the URL, so a search can be shared and `/?q=react` opens with
 * results. Only what the person chose is in the URL: the index (when not the default), the query, the filter
 * they typed, the sort and the facet values and ranges they picked.
 */
export interface PageState {
  /** Empty: the server's default index. */
  index: string;
  q: string;
  /** The filter expression as typed. */
  filter: string;
  /** Empty: relevance (or the index order when there is no query); `field` or `-field`. */
  sort: string;
  /** Picked values of term facets, per field. */
  terms: Record<string, string[]>;
  /** Picked buckets of range facets, per field, each as `from..to` (either end may be empty). */
  ranges: Record<string, string[]>;
}

export const emptyState = (): PageState => ({
  index: '',
  q: '',
  filter: '',
  sort: '',
  terms: {},
  ranges: {},
});

const TERM_PREFIX = 'f.';
const RANGE_PREFIX = 'r.';

function addTo(map: Record<string, string[]>, field: string, value: string): void {
  const list = (map[field] ??= []);
  if (!list.includes(value)) list.push(value);
}

/** Reads the state from a query string (`location.search`); unknown parameters are ignored. */
export function stateFromQuery(search: string): PageState {
  const state = emptyState();
  for (const [key, value] of new URLSearchParams(search)) {
    if (key === 'index') state.index = value.trim();
    else if (key === 'q') state.q = value;
    else if (key === 'filter') state.filter = value;
    else if (key === 'sort') state.sort = value.trim();
    else if (key.startsWith(TERM_PREFIX) && key.length > TERM_PREFIX.length)
      addTo(state.terms, key.slice(TERM_PREFIX.length), value);
    else if (key.startsWith(RANGE_PREFIX) && key.length > RANGE_PREFIX.length && parseRangeKey(value))
      addTo(state.ranges, key.slice(RANGE_PREFIX.length), value);
  }
  return state;
}

/** The query string (with its `?`, or empty) that stateFromQuery reads back as the same state. */
export function queryFromState(state: PageState): string {
  const params = new URLSearchParams();
  if (state.index) params.append('index', state.index);
  if (state.q) params.append('q', state.q);
  if (state.filter) params.append('filter', state.filter);
  if (state.sort) params.append('sort', state.sort);
  for (const field of Object.keys(state.terms).sort())
    for (const value of state.terms[field]!) params.append(TERM_PREFIX + field, value);
  for (const field of Object.keys(state.ranges).sort())
    for (const value of state.ranges[field]!) params.append(RANGE_PREFIX + field, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** A picked value toggled on or off; a field left with no value is removed. */
export function toggle(
  map: Record<string, string[]>,
  field: string,
  value: string,
): Record<string, string[]> {
  const current = map[field] ?? [];
  const next = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
  const copy = { ...map };
  if (next.length === 0) delete copy[field];
  else copy[field] = next;
  return copy;
}

export interface RangeBounds {
  from?: number;
  to?: number;
}

/** `100..1000`, `..100`, `1000..` to bounds; null when it is not that shape or names neither end. */
export function parseRangeKey(key: string): RangeBounds | null {
  const m = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)?\.\.(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)?$/i.exec(key);
  if (!m || (m[1] === undefined && m[2] === undefined)) return null;
  const bounds: RangeBounds = {};
  if (m[1] !== undefined) bounds.from = Number(m[1]);
  if (m[2] !== undefined) bounds.to = Number(m[2]);
  return bounds;
}

export const rangeKey = (r: RangeBounds): string => `${r.from ?? ''}..${r.to ?? ''}`;
