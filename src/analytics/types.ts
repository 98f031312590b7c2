/**
 * What search analytics records and answers. Rows never hold a client address: a search or an event is
 * attributed to the principal's credential (`key:<id>`, `jwt:<sub>`, `scoped:<parent key id>`) or to
 * "anonymous".
 */

/** One recorded search, as it is stored. */
export interface SearchRecord {
  /** Epoch milliseconds. */
  at: number;
  index: string;
  /** The query as normalizeQuery() left it ('' for a match-all search). */
  query: string;
  /** The fields the filter named, sorted and distinct (never their values). */
  filterFields: readonly string[];
  /** The total the search reported. */
  hits: number;
  /** Server time from the request's arrival to its answer, in milliseconds. */
  latencyMs: number;
  principal: string;
}

export const EVENT_TYPES = ['click', 'conversion'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** A click or conversion posted by a search page or a client, joined to searches by (index, query). */
export interface EventRecord {
  at: number;
  type: EventType;
  index: string;
  query: string;
  docId: string;
  /** 1-based rank of the document in the results it was chosen from. */
  position: number;
  principal: string;
}

/** The rows a report covers: searches and events with `from <= at < to`, of one index or of all. */
export interface ReportRange {
  index?: string;
  from: number;
  to: number;
  limit: number;
}

export interface QueryCount {
  index: string;
  query: string;
  searches: number;
  /** Of those searches, how many found nothing. */
  no_results: number;
}

export interface NoResultQuery {
  index: string;
  query: string;
  searches: number;
}

export interface QueryClicks {
  index: string;
  query: string;
  searches: number;
  clicks: number;
  conversions: number;
  /** clicks / searches, 0 when nothing was searched. */
  ctr: number;
  /** Mean 1-based position of the clicks; null without clicks. */
  avg_click_position: number | null;
}

export interface IndexLatency {
  index: string;
  searches: number;
  /** Nearest-rank percentiles of the recorded latencies, in milliseconds. */
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
}
