import type { SearchResponse } from './response.js';

/** One search of a federated multi-search: the index, its weight and its answer (the first offset+limit hits). */
export interface FederatedList {
  index: string;
  weight: number;
  hits: SearchResponse['hits'];
}

export interface FederatedHit {
  /** The index the hit comes from. */
  index: string;
  id: string;
  /** The federated score: weight x (the hit's score / the best score of its search). */
  score: number;
  /** The score the hit had in its own search (null when that search's order is not by score, e.g. a pin). */
  search_score: number | null;
  /** Position of the search (in `searches`) the hit comes from. */
  search: number;
  document: SearchResponse['hits'][number]['document'];
  highlights?: Record<string, string[]>;
}

/**
 * Merges the answers of several searches into one ranked list. Raw scores are not comparable across searches
 * (BM25 depends on each index's statistics, boosts and popularity terms, and differs between engines), so each
 * search's scores are first divided by its own best score: every search's best hit is 1, and the gaps below it
 * keep their proportions, which a rank-only fusion would throw away. The per-search weight then multiplies that.
 * A hit without a score (a pinned result, or a search that matched everything without text) counts as 1.
 * Ties go to the better rank within its search, then to the earlier search. A document that two searches of the
 * same index found appears once, with its better score. Since each search's scores fall with its rank, taking
 * each search's first offset+limit hits is enough to rank the merged window.
 */
export function federate(lists: FederatedList[], window: { offset: number; limit: number }): FederatedHit[] {
  const all: (FederatedHit & { rank: number })[] = [];
  lists.forEach((list, search) => {
    const scores = list.hits.map((h) => h.score).filter((s): s is number => typeof s === 'number');
    const top = scores.length ? Math.max(...scores) : 0;
    list.hits.forEach((hit, rank) => {
      const normalised = typeof hit.score === 'number' && top > 0 ? Math.max(0, hit.score) / top : 1;
      all.push({
        index: list.index,
        id: hit.id,
        score: list.weight * normalised,
        search_score: hit.score,
        search,
        document: hit.document,
        ...(hit.highlights ? { highlights: hit.highlights } : {}),
        rank,
      });
    });
  });
  all.sort((a, b) => b.score - a.score || a.rank - b.rank || a.search - b.search);
  const seen = new Set<string>();
  const unique = all.filter((h) => {
    const key = JSON.stringify([h.index, h.id]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.slice(window.offset, window.offset + window.limit).map(({ rank: _rank, ...hit }) => hit);
}
