import type { Document } from '../schema/document.js';
import { encodeCursor, type CursorKeys } from './cursor.js';
import type { FacetResult, SearchRequest, SearchResult } from './types.js';

/** A search answer as the contract gives it (HTTP, CLI): hits, totals, facets and the cursor of the next page. */
export interface SearchResponse {
  hits: { id: string; score: number | null; document: Document; highlights?: Record<string, string[]> }[];
  total: number;
  total_relation: 'eq' | 'gte';
  facets: Record<string, FacetResult>;
  next_cursor: string | null;
  took_ms: number;
  partial: boolean;
  /** Present when nothing matched and a corrected query would find something. */
  did_you_mean?: string;
}

/**
 * Shapes an engine's result for the contract. A full page may have more behind it, so it carries a cursor
 * signed for this index and query (`fingerprint` from buildSearchRequest); a short page is the end.
 */
export function searchResponse(
  result: SearchResult,
  request: SearchRequest,
  scope: { index: string; fingerprint: string; keys: CursorKeys; startedAt: number },
): SearchResponse {
  const last = result.hits.at(-1);
  // A distinct page is paged by offset only (a cursor position would be a group's, not a hit's).
  const more = last !== undefined && result.hits.length === request.size && !request.distinct;
  return {
    hits: result.hits.map((h) => ({
      id: h.id,
      score: h.score,
      document: h.document,
      ...(h.highlights ? { highlights: h.highlights } : {}),
    })),
    total: result.total,
    total_relation: result.total_relation,
    facets: result.facets,
    next_cursor: more
      ? encodeCursor(
          { values: last.sortValues, id: last.id },
          { index: scope.index, fingerprint: scope.fingerprint },
          scope.keys,
        )
      : null,
    took_ms: Math.round((performance.now() - scope.startedAt) * 100) / 100,
    partial: result.partial,
    ...(result.did_you_mean ? { did_you_mean: result.did_you_mean } : {}),
  };
}
