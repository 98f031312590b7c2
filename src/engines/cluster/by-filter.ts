import type { Filter } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import { tooManyMatches } from '../by-filter.js';
import { filterToDsl, MATCH_ALL } from './filter.js';
import { ID_PATH } from './mapping.js';
import type { ClusterResponse, ClusterTransport } from './transport.js';

/** Matches read per search request while collecting what a write by filter touches. */
const PAGE = 1000;

/** One matched document: its cluster `_id`, the version it was read at, and its source when asked for. */
export interface ClusterMatch {
  docId: string;
  seqNo: number;
  primaryTerm: number;
  source?: Record<string, unknown>;
}

interface PageBody {
  hits?: {
    total?: { value: number; relation: 'eq' | 'gte' };
    hits?: {
      _id: string;
      _seq_no?: number;
      _primary_term?: number;
      _source?: Record<string, unknown>;
      sort?: unknown[];
    }[];
  };
}

export interface CollectContext {
  transport: ClusterTransport;
  check<T>(res: ClusterResponse<T>, what: string, index?: string): ClusterResponse<T>;
  timeoutMs: number;
}

/**
 * Every document a filter matches, in id order (search_after on the hidden id, so no result window applies),
 * with the sequence number and primary term each was read at. The first page counts exactly: above `limit`
 * nothing more is read and TOO_MANY_MATCHES is thrown. A page that brings the total past the limit (documents
 * written meanwhile) is refused the same way, so a write by filter never touches more than its limit.
 */
export async function collectMatches(
  ctx: CollectContext,
  index: string,
  alias: string,
  schema: IndexSchema,
  filter: Filter | null,
  limit: number,
  withSource: boolean,
): Promise<ClusterMatch[]> {
  const query = filter ? { bool: { filter: [filterToDsl(filter, schema)] } } : MATCH_ALL;
  const matches: ClusterMatch[] = [];
  let after: unknown[] | null = null;
  for (let first = true; ; first = false) {
    const res: ClusterResponse<PageBody> = ctx.check(
      await ctx.transport.request<PageBody>(
        {
          method: 'POST',
          path: `/${encodeURIComponent(alias)}/_search`,
          body: {
            query,
            size: PAGE,
            sort: [{ [ID_PATH]: { order: 'asc' } }],
            seq_no_primary_term: true,
            _source: withSource,
            track_total_hits: first,
            ...(after ? { search_after: after } : {}),
          },
        },
        { timeoutMs: ctx.timeoutMs },
      ),
      'search by filter',
      index,
    );
    const total = res.body.hits?.total?.value ?? 0;
    if (first && total > limit) throw tooManyMatches(index, total, limit);
    const hits = res.body.hits?.hits ?? [];
    for (const h of hits)
      matches.push({
        docId: h._id,
        seqNo: h._seq_no!,
        primaryTerm: h._primary_term!,
        ...(withSource ? { source: h._source ?? {} } : {}),
      });
    if (matches.length > limit) throw tooManyMatches(index, matches.length, limit);
    if (hits.length < PAGE) return matches;
    after = hits[hits.length - 1]!.sort ?? null;
  }
}
