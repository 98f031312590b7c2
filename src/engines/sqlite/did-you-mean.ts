import type Database from 'better-sqlite3';
import type { SearchRequest, SearchResult } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import { runSearch } from './search.js';
import { correctedQuery } from './typo.js';

/**
 * Adds a "did you mean" to a search that found nothing, when the index's vocabulary offers a correction and the
 * corrected query, with the same filter, finds at least one document.
 */
export function didYouMean(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  req: SearchRequest,
  result: SearchResult,
): SearchResult {
  if (result.total > 0 || !req.text || req.after || req.from > 0) return result;
  const fix = correctedQuery(db, tid, req.text);
  if (!fix) return result;
  const probe = runSearch(db, tid, schema, {
    ...req,
    text: fix.text,
    size: 0,
    from: 0,
    facets: [],
    highlight: null,
    trackTotal: 1,
  });
  return probe.total > 0 ? { ...result, did_you_mean: fix.q } : result;
}
