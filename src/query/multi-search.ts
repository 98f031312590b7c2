import { isSiftError, SiftError } from '../errors.js';
import { federate, type FederatedHit } from './federation.js';
import type { RawSearchInput } from './request.js';
import type { SearchResponse } from './response.js';

/** Searches one request may hold: each is a full search, so this bounds the work one request asks for. */
export const MAX_SEARCHES = 20;
/** The largest weight of one search in a federated multi-search. */
export const MAX_WEIGHT = 100;

/** A multi-search as it arrives (HTTP body, CLI file): the searches, and `federation` to merge them. */
export interface MultiSearchBody {
  searches: unknown[];
  federation?: { limit?: number; offset?: number };
}

/** One search of a multi-search once its shape is checked: an index, its weight, and a search body. */
export type MultiSearchEntry = RawSearchInput & { index: string; weight?: number };

export interface MultiSearchDeps {
  /** Runs one search (the caller's: authorization, a scoped key's restriction and deadline included). */
  search: (index: string, input: RawSearchInput) => Promise<SearchResponse>;
  /**
   * Checks one raw search's shape, throwing a SiftError that names `searches[pos]` (HTTP checks it against the
   * route's schema). The check below it only makes sure there is an index to search and a usable weight.
   */
  checkEntry?: (raw: unknown, pos: number) => void;
  /** The largest page: the federated window (offset + limit) may not pass it. */
  maxPageSize: number;
}

export interface EntryError {
  index: string | null;
  status: number;
  error: { code: string; message: string; details?: object };
}
export type EntryAnswer = { index: string | null; status: 200 } & SearchResponse;
/** A federated search's own answer: its hits are in the merged list, and it has no next page. */
export type FederatedEntryAnswer = { index: string | null; status: 200 } & Omit<
  SearchResponse,
  'hits' | 'next_cursor'
>;

export interface MultiSearchResults {
  results: (EntryAnswer | EntryError)[];
  took_ms: number;
}
export interface FederatedResults {
  hits: FederatedHit[];
  total: number;
  total_relation: 'eq' | 'gte';
  limit: number;
  offset: number;
  searches: (FederatedEntryAnswer | EntryError)[];
  partial: boolean;
  took_ms: number;
}

type Outcome = { index: string | null; status: 200; answer: SearchResponse; weight: number } | EntryError;

/** What a federated search may not set: the merged list is paged by federation.limit/offset, ranked by score. */
const FEDERATED_REFUSED = ['size', 'page', 'cursor', 'sort'] as const;

/** A search's answer in a federated response: its hits are in the merged list, and it has no next page. */
const withoutHits = ({ hits: _hits, next_cursor: _cursor, ...rest }: SearchResponse) => rest;

const refuse = (pos: number, message: string, field?: string) =>
  new SiftError('INVALID_REQUEST', `searches[${pos}]: ${message}`, field ? { field } : undefined);

/** The part of an entry's check every caller needs, whoever checked its full shape. */
function entryOf(raw: unknown, pos: number, federated: boolean): MultiSearchEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw refuse(pos, 'must be an object');
  const entry = raw as Partial<MultiSearchEntry>;
  if (typeof entry.index !== 'string') throw refuse(pos, '"index" is required (a string)', 'index');
  const { weight } = entry;
  if (weight !== undefined && (typeof weight !== 'number' || !(weight > 0) || weight > MAX_WEIGHT))
    throw refuse(pos, `"weight" must be a number > 0 and <= ${MAX_WEIGHT}`, 'weight');
  if (federated) {
    const refused = FEDERATED_REFUSED.find((f) => entry[f] !== undefined);
    if (refused)
      throw refuse(
        pos,
        `"${refused}" does not apply in a federated search: federation.limit and offset page the merged list, ranked by score`,
        refused,
      );
  } else if (weight !== undefined)
    throw refuse(pos, '"weight" only applies to a federated search (give "federation")', 'weight');
  return entry as MultiSearchEntry;
}

/**
 * Runs several searches side by side (same or different indexes), each checked and answered on its own: a search
 * that is refused or fails answers in its place with its own error envelope and status, and the others still
 * answer. With `federation`, the hits are merged into one ranked list (see federate). Anything that is not a
 * SiftError (a bug) fails the whole multi-search, as it would fail a single search.
 */
export async function multiSearch(
  body: MultiSearchBody,
  deps: MultiSearchDeps,
): Promise<MultiSearchResults | FederatedResults> {
  const started = performance.now();
  const { searches, federation } = body;
  if (searches.length < 1 || searches.length > MAX_SEARCHES)
    throw new SiftError(
      'INVALID_REQUEST',
      `searches: give 1 to ${MAX_SEARCHES} searches, got ${searches.length}`,
      { field: 'searches' },
    );
  const window = federation ? { offset: federation.offset ?? 0, limit: federation.limit ?? 10 } : null;
  if (window && window.offset + window.limit > deps.maxPageSize)
    throw new SiftError(
      'WINDOW_TOO_LARGE',
      `federation: offset + limit is at most ${deps.maxPageSize}, got ${window.offset + window.limit}`,
      { field: 'federation' },
    );

  const runOne = async (raw: unknown, pos: number): Promise<Outcome> => {
    const named = (raw as { index?: unknown } | null)?.index;
    const index = typeof named === 'string' ? named : null;
    try {
      deps.checkEntry?.(raw, pos);
      const { index: name, weight, ...input } = entryOf(raw, pos, window !== null);
      const search: RawSearchInput = window
        ? { ...input, size: window.offset + window.limit, sort: '_score' }
        : input;
      return { index, status: 200, answer: await deps.search(name, search), weight: weight ?? 1 };
    } catch (err) {
      if (!isSiftError(err)) throw err;
      return {
        index,
        status: err.status,
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
      };
    }
  };

  const outcomes = await Promise.all(searches.map(runOne));
  const took_ms = () => Math.round((performance.now() - started) * 100) / 100;
  if (!window)
    return {
      results: outcomes.map((o) => ('answer' in o ? { index: o.index, status: o.status, ...o.answer } : o)),
      took_ms: took_ms(),
    };
  const answered = outcomes.flatMap((o) => ('answer' in o ? [o] : []));
  const hits = federate(
    outcomes.map((o) => ({
      index: o.index ?? '',
      weight: 'answer' in o ? o.weight : 1,
      hits: 'answer' in o ? o.answer.hits : [],
    })),
    window,
  );
  return {
    hits,
    total: answered.reduce((n, o) => n + o.answer.total, 0),
    total_relation: answered.some((o) => o.answer.total_relation === 'gte') ? 'gte' : 'eq',
    limit: window.limit,
    offset: window.offset,
    searches: outcomes.map((o) => {
      if (!('answer' in o)) return o;
      return { index: o.index, status: o.status, ...withoutHits(o.answer) };
    }),
    partial: outcomes.some((o) => !('answer' in o) || o.answer.partial),
    took_ms: took_ms(),
  };
}

/** Whether an answer is the federated form. */
export const isFederated = (answer: MultiSearchResults | FederatedResults): answer is FederatedResults =>
  'hits' in answer;
