import { SiftError } from '../errors.js';
import { isNumericType, isTextual, type IndexSchema } from '../schema/types.js';
import { decodeCursorAt, queryFingerprint, type CursorKeys } from './cursor.js';
import { checkFilter } from './filter-check.js';
import { parseFilterExpression } from './filter-expression.js';
import { parseFilterTree } from './filter-tree.js';
import { applyRelevance } from './relevance.js';
import { checkTextBreadth } from './text-breadth.js';
import { parseSearchFields, type RawSearchFields } from './search-fields.js';
import { parseTextQuery } from './text-query.js';
import { parseDistinct } from './distinct.js';
import { facetPrefixTypos } from './facet-prefix.js';

import { parseVectorQuery, type RawVectorInput } from './vector-request.js';
import type { FacetRequest, HighlightRequest, SearchAfter, SearchRequest, SortClause } from './types.js';

export interface QueryLimits {
  maxPageSize: number;
  maxResultWindow: number;
  maxQueryLength: number;
  maxQueryTerms: number;
  maxFacets: number;
  maxFacetSize: number;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxPageSize: 100,
  maxResultWindow: 10_000,
  maxQueryLength: 512,
  maxQueryTerms: 32,
  maxFacets: 16,
  maxFacetSize: 100,
};

/** Where a search runs, for its cursors: they are signed with these keys and bound to this index. */
export interface CursorContext {
  index: string;
  keys: CursorKeys;
}

/**
 * A search as it arrives: GET query parameters (all strings) or a POST body (structured). The vector part
 * (`vector`, `k`, `vector_field`, `hybrid`) comes in POST bodies only.
 */
export interface RawSearchInput extends RawVectorInput {
  q?: string;
  filter?: string | Record<string, unknown>;
  facets?: string | (string | RawFacet)[] | Record<string, Omit<RawFacet, 'field'>>;
  sort?: string | string[];
  size?: number;
  page?: number;
  cursor?: string;
  highlight?: string | string[] | { fields?: string[]; pre_tag?: string; post_tag?: string };
  highlight_pre_tag?: string;
  highlight_post_tag?: string;
  fields?: string | string[];
  /** `true` (exact), or the count up to which the total is exact (GET: the same as a string). */
  track_total?: string | boolean | number;
  /** Typo tolerance for this request (on by default where the index allows it); GET: `true` or `false`. */
  typo?: string | boolean;
  /** Searchable fields to search and their weights: `name^3,summary` (POST: also a list or {"name": 3}). */
  search_fields?: RawSearchFields;
  /** Group hits by this keyword field: one hit (or `distinct_limit`) per value. */
  distinct?: string;
  /** Hits per group, 1 (default) to MAX_DISTINCT_LIMIT; GET: a number as a string. */
  distinct_limit?: number | string;
}
interface RawFacet {
  field: string;
  size?: number;
  prefix?: string;
  ranges?: { key?: string; from?: number; to?: number }[];
  stats?: boolean;
}

const csv = (v: string | string[] | undefined): string[] | undefined =>
  v === undefined ? undefined : (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean);

const fieldError = (code: 'INVALID_SORT' | 'INVALID_FACET' | 'INVALID_FIELD', msg: string, field: string) =>
  new SiftError(code, msg, { field });

function parseSort(raw: RawSearchInput['sort'], schema: IndexSchema): SortClause[] {
  const items = csv(raw) ?? [];
  if (items.length > 8) throw new SiftError('INVALID_SORT', 'sort: at most 8 fields');
  const seen = new Set<string>();
  const out: SortClause[] = [];
  for (const item of items) {
    const desc = item.startsWith('-');
    const field = desc ? item.slice(1) : item.startsWith('+') ? item.slice(1) : item;
    if (seen.has(field)) throw fieldError('INVALID_SORT', `sort: field "${field}" appears twice`, field);
    seen.add(field);
    if (field === '_score') {
      out.push({ field, order: desc ? 'asc' : 'desc' });
      continue;
    }
    const spec = schema.fields[field];
    if (!spec || !Object.hasOwn(schema.fields, field))
      throw fieldError('INVALID_SORT', `sort: unknown field "${field}"`, field);
    if (!spec.sortable && field !== schema.id_field)
      throw fieldError('INVALID_SORT', `sort: field "${field}" is not sortable`, field);
    out.push({ field, order: desc ? 'desc' : 'asc' });
  }
  // Relevance first by default; engines always add the id as the final tie-break.
  return out.length ? out : [{ field: '_score', order: 'desc' }];
}

function parseFacets(
  raw: RawSearchInput['facets'],
  schema: IndexSchema,
  limits: QueryLimits,
  typos: boolean,
): FacetRequest[] {
  let list: RawFacet[];
  if (raw === undefined) {
    // Facets cost a count over every match, and a search box mostly shows hits: they are computed only when
    // asked for.
    list = [];
  } else if (typeof raw === 'string') {
    list = (csv(raw) ?? []).map((field) => ({ field }));
  } else if (Array.isArray(raw)) {
    list = raw.map((f) => (typeof f === 'string' ? { field: f } : f));
  } else {
    list = Object.keys(raw).map((field) => ({ ...raw[field], field }));
  }
  if (list.length > limits.maxFacets)
    throw new SiftError('INVALID_FACET', `facets: at most ${limits.maxFacets} facets per request`);
  const seen = new Set<string>();
  return list.map((f) => {
    const spec = Object.hasOwn(schema.fields, f.field) ? schema.fields[f.field] : undefined;
    if (!spec) throw fieldError('INVALID_FACET', `facets: unknown field "${f.field}"`, f.field);
    if (!spec.facet)
      throw fieldError('INVALID_FACET', `facets: field "${f.field}" is not declared as a facet`, f.field);
    if (seen.has(f.field))
      throw fieldError('INVALID_FACET', `facets: field "${f.field}" appears twice`, f.field);
    seen.add(f.field);
    const size = f.size ?? 10;
    if (!Number.isInteger(size) || size < 1 || size > limits.maxFacetSize) {
      throw fieldError(
        'INVALID_FACET',
        `facets: size for "${f.field}" must be 1-${limits.maxFacetSize}`,
        f.field,
      );
    }
    const out: FacetRequest = { field: f.field, size };
    if (f.ranges !== undefined || f.stats !== undefined) {
      if (!isNumericType(spec.type))
        throw fieldError(
          'INVALID_FACET',
          `facets: ranges and stats need a numeric or date field, "${f.field}" is ${spec.type}`,
          f.field,
        );
    }
    if (f.ranges) {
      if (f.ranges.length === 0 || f.ranges.length > 32)
        throw fieldError('INVALID_FACET', `facets: "${f.field}" needs 1-32 ranges`, f.field);
      out.ranges = f.ranges.map((r, i) => {
        if (r.from === undefined && r.to === undefined)
          throw fieldError('INVALID_FACET', `facets: range ${i} of "${f.field}" needs from or to`, f.field);
        if (r.from !== undefined && r.to !== undefined && r.from > r.to)
          throw fieldError('INVALID_FACET', `facets: range ${i} of "${f.field}" has from > to`, f.field);
        return {
          key: r.key ?? `${r.from ?? '*'}-${r.to ?? '*'}`,
          ...(r.from !== undefined ? { from: r.from } : {}),
          ...(r.to !== undefined ? { to: r.to } : {}),
        };
      });
    }
    if (f.stats) out.stats = true;
    if (f.prefix !== undefined) {
      out.prefix = checkFacetPrefix(f, spec.type);
      const budget = facetPrefixTypos(out.prefix, f.field, schema, typos);
      if (budget) out.typos = budget;
    }
    return out;
  });
}

/** Longest facet value prefix: a search box's worth of text. */
export const MAX_FACET_PREFIX = 100;

function checkFacetPrefix(f: RawFacet, type: string): string {
  const prefix = f.prefix!;
  if (type !== 'keyword' || f.ranges !== undefined || f.stats)
    throw fieldError(
      'INVALID_FACET',
      `facets: a prefix searches the values of a keyword facet's buckets, "${f.field}" is ${type !== 'keyword' ? `a ${type} field` : 'asked for ranges or stats'}`,
      f.field,
    );
  if (
    typeof prefix !== 'string' ||
    prefix.length < 1 ||
    prefix.length > MAX_FACET_PREFIX ||
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f]/.test(prefix)
  )
    throw fieldError(
      'INVALID_FACET',
      `facets: the prefix of "${f.field}" must be 1-${MAX_FACET_PREFIX} characters without control characters`,
      f.field,
    );
  return prefix;
}

function parseHighlight(
  input: RawSearchInput,
  schema: IndexSchema,
  hasText: boolean,
): HighlightRequest | null {
  const raw = input.highlight;
  let fields: string[] | undefined;
  let pre = input.highlight_pre_tag;
  let post = input.highlight_post_tag;
  if (raw !== undefined && typeof raw === 'object' && !Array.isArray(raw)) {
    fields = raw.fields;
    pre = raw.pre_tag ?? pre;
    post = raw.post_tag ?? post;
  } else {
    fields = csv(raw as string | string[] | undefined);
  }
  if (fields === undefined) {
    fields = Object.entries(schema.fields)
      .filter(([, f]) => f.searchable && f.returned && f.type === 'text')
      .map(([n]) => n);
  }
  for (const f of fields) {
    const spec = Object.hasOwn(schema.fields, f) ? schema.fields[f] : undefined;
    if (!spec) throw fieldError('INVALID_FIELD', `highlight: unknown field "${f}"`, f);
    if (!spec.searchable || !isTextual(spec.type))
      throw fieldError('INVALID_FIELD', `highlight: field "${f}" is not searchable`, f);
  }
  if (!hasText || fields.length === 0) return null;
  for (const [name, tag] of [
    ['pre_tag', pre],
    ['post_tag', post],
  ] as const) {
    if (tag !== undefined && tag.length > 64)
      throw new SiftError('INVALID_REQUEST', `highlight ${name} must be at most 64 characters`);
  }
  return { fields, pre_tag: pre ?? '<mark>', post_tag: post ?? '</mark>', snippet_tokens: 24 };
}

/**
 * A total exact up to this many matches unless the client asks for more: enough for "1-10 of 734" and for
 * paging within the result window's first pages, while a query matching half the corpus stops counting early.
 */
export const DEFAULT_TRACK_TOTAL = 1000;
/** The largest bound (nine digits, so the query-string form is one simple pattern); `true` counts beyond it. */
export const MAX_TRACK_TOTAL = 999_999_999;
/** track_total in a query string: `true` or a bound from 1 to MAX_TRACK_TOTAL. */
export const TRACK_TOTAL_PATTERN = /^(?:true|[1-9][0-9]{0,8})$/;

function parseTrackTotal(raw: RawSearchInput['track_total']): true | number {
  if (raw === undefined) return DEFAULT_TRACK_TOTAL;
  if (raw === true || raw === 'true') return true;
  const n = typeof raw === 'string' && TRACK_TOTAL_PATTERN.test(raw) ? Number(raw) : raw;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_TRACK_TOTAL) return n;
  throw new SiftError(
    'INVALID_REQUEST',
    `track_total must be true (an exact count) or an integer from 1 to ${MAX_TRACK_TOTAL}, got ${JSON.stringify(raw)}`,
    { field: 'track_total' },
  );
}

function parseTypo(raw: RawSearchInput['typo']): boolean {
  if (raw === undefined || raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new SiftError('INVALID_REQUEST', `typo must be true or false, got ${JSON.stringify(raw)}`, {
    field: 'typo',
  });
}

function parseFields(raw: RawSearchInput['fields'], schema: IndexSchema): string[] {
  const list = csv(raw);
  if (list === undefined)
    return Object.entries(schema.fields)
      .filter(([, f]) => f.returned)
      .map(([n]) => n);
  for (const f of list) {
    if (!Object.hasOwn(schema.fields, f))
      throw fieldError('INVALID_FIELD', `fields: unknown field "${f}"`, f);
    if (!schema.fields[f]!.returned)
      throw fieldError('INVALID_FIELD', `fields: field "${f}" is not returned by this index`, f);
  }
  return list;
}

/**
 * Turns what the client sent into the engine-neutral SearchRequest, checking it against the index schema and
 * the limits, so engines never see a field that does not exist or a window they cannot serve.
 */
export function buildSearchRequest(
  input: RawSearchInput,
  schema: IndexSchema,
  limits: QueryLimits = DEFAULT_LIMITS,
  cursors?: CursorContext,
): { request: SearchRequest; fingerprint: string; curatedPosition: number | null } {
  const parsed =
    input.q === undefined
      ? null
      : parseTextQuery(input.q, { maxLength: limits.maxQueryLength, maxTerms: limits.maxQueryTerms });
  const typos = parseTypo(input.typo);
  const relevant = applyRelevance(parsed, schema, { typos });
  const searchFields = parseSearchFields(input.search_fields, schema);
  const text = relevant && searchFields ? { ...relevant, fields: searchFields } : relevant;
  checkTextBreadth(text, schema);
  let filter = null;
  if (input.filter !== undefined && input.filter !== '') {
    const parsed =
      typeof input.filter === 'string' ? parseFilterExpression(input.filter) : parseFilterTree(input.filter);
    filter = checkFilter(parsed, schema);
  }
  const sort = parseSort(input.sort, schema);
  const facets = parseFacets(input.facets, schema, limits, typos);
  const size = input.size ?? 10;
  if (!Number.isInteger(size) || size < 0 || size > limits.maxPageSize) {
    throw new SiftError(
      'INVALID_REQUEST',
      `size must be an integer from 0 to ${limits.maxPageSize}, got ${size}`,
      { field: 'size' },
    );
  }
  const page = input.page ?? 1;
  if (!Number.isInteger(page) || page < 1)
    throw new SiftError('INVALID_REQUEST', `page must be an integer >= 1, got ${page}`, { field: 'page' });
  if (page * size > limits.maxResultWindow) {
    throw new SiftError(
      'WINDOW_TOO_LARGE',
      `page ${page} x size ${size} goes beyond the result window of ${limits.maxResultWindow}; use next_cursor to page deeper`,
      { max_result_window: limits.maxResultWindow },
    );
  }
  const vector = parseVectorQuery(input, schema, {
    size,
    maxPageSize: limits.maxPageSize,
    sort,
    hasText: text !== null && text.must.length + text.mustNot.length > 0,
  });
  const fingerprint = queryFingerprint([
    text?.must,
    text?.mustNot,
    text?.normalized,
    filter,
    sort,
    ...(text?.fields ? [text.fields] : []),
    // A cursor of one kNN search must not page another's hits.
    ...(vector ? [vector] : []),
  ]);
  const distinct = parseDistinct(input, schema);
  let after: SearchAfter | null = null;
  // A cursor from a curated page (pinned results) also carries the merged position its next page starts at.
  let curatedPosition: number | null = null;
  let fromCursor = false;
  if (input.cursor !== undefined && input.cursor !== '') {
    if (input.page !== undefined && input.page !== 1)
      throw new SiftError('INVALID_REQUEST', 'use either page or cursor, not both');
    if (!cursors) throw new SiftError('INVALID_CURSOR', 'cursors are not accepted here');
    fromCursor = true;
    ({ after, position: curatedPosition } = decodeCursorAt(
      input.cursor,
      { index: cursors.index, fingerprint },
      cursors.keys,
      sort,
      schema,
    ));
    // A distinct search issues no cursor, so any cursor here belongs to another query.
    if (distinct)
      throw new SiftError(
        'INVALID_CURSOR',
        'a cursor cannot page a distinct search: page it with page (groups are counted by offset)',
        { field: 'cursor' },
      );
  }
  const highlight = parseHighlight(input, schema, text !== null);
  const request: SearchRequest = {
    text,
    filter,
    facets,
    sort,
    size,
    // A curated cursor without a ranking position (its page held only pins) pages by offset from its position.
    from: fromCursor ? (after ? 0 : (curatedPosition ?? 0)) : (page - 1) * size,
    after,
    // A kNN hit need not contain the query's words: highlights are for text searches only.
    highlight: vector ? null : highlight,
    fields: parseFields(input.fields, schema),
    trackTotal: parseTrackTotal(input.track_total),
    ...(distinct ? { distinct } : {}),
    ...(vector ? { vector } : {}),
  };
  return { request, fingerprint, curatedPosition };
}
