/**
 * What search analytics records and answers. Rows never hold a client address: a search or an event is
 * attributed to the principal's credential (`key:<id>`, `jwt:<sub>`, `scoped:<parent key id>`) or to
 * "anonymous".
 */

/** One recorded search, as the recorder works it out (stores keep them aggregated: see SearchBatch). */
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

/**
 * Searches as they are stored: identical searches of one second in one row with their count. "Identical" is
 * everything a report reads of a search but its latency: the index, the query, the filter's fields, the total
 * and the principal. `at` is the start of the second (search times are kept to the second).
 */
export interface SearchRow {
  at: number;
  index: string;
  query: string;
  filterFields: readonly string[];
  hits: number;
  principal: string;
  /** How many searches the row stands for (1 or more). */
  searches: number;
}

/**
 * Latencies as they are stored: per index and second, each distinct latency (to the microsecond, as it was
 * recorded) with how many searches took it, so percentiles stay exact while cache hits, which mostly repeat a
 * handful of latencies, cost one row per value rather than one per search.
 */
export interface LatencyRow {
  at: number;
  index: string;
  latencyMs: number;
  searches: number;
}

/** What a flush writes of its searches. */
export interface SearchBatch {
  searches: readonly SearchRow[];
  latencies: readonly LatencyRow[];
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

/** What popular-query suggestions are chosen from: per UTC day, index, query and principal, the searches. */
export interface PopularityRow {
  /** Epoch ms of the UTC day's start. */
  day: number;
  index: string;
  query: string;
  principal: string;
  searches: number;
}

/** A query that passes the suggestion rule, with its searches in the window. */
export interface PopularQuery {
  index: string;
  query: string;
  searches: number;
}
