import type { IndexLatency, NoResultQuery, PopularQuery, QueryClicks, QueryCount } from './types.js';

/**
 * Report rows as the databases return them, turned into the documented shapes. PostgreSQL returns COUNT and SUM
 * of integers as text (they are 64-bit), SQLite as numbers; both become numbers here, and the ratios are computed
 * and rounded here, once for both stores.
 */
type Raw = Record<string, unknown>;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const round = (v: number, digits: number): number => Number(v.toFixed(digits));

export const toQueryCount = (r: Raw): QueryCount => ({
  index: String(r.index_name),
  query: String(r.query),
  searches: num(r.searches),
  no_results: num(r.no_results),
});

export const toNoResult = (r: Raw): NoResultQuery => ({
  index: String(r.index_name),
  query: String(r.query),
  searches: num(r.searches),
});

export function toQueryClicks(r: Raw): QueryClicks {
  const searches = num(r.searches);
  const clicks = num(r.clicks);
  return {
    index: String(r.index_name),
    query: String(r.query),
    searches,
    clicks,
    conversions: num(r.conversions),
    ctr: searches === 0 ? 0 : round(clicks / searches, 4),
    avg_click_position: clicks === 0 ? null : round(num(r.position_sum) / clicks, 2),
  };
}

export const toIndexLatency = (r: Raw): IndexLatency => ({
  index: String(r.index_name),
  searches: num(r.searches),
  p50_ms: round(num(r.p50), 3),
  p95_ms: round(num(r.p95), 3),
  p99_ms: round(num(r.p99), 3),
});

export const toPopularQuery = (r: Raw): PopularQuery => ({
  index: String(r.index_name),
  query: String(r.query),
  searches: num(r.searches),
});
