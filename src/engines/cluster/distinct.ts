import type { DistinctRequest, SearchRequest } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import type { QueryDsl } from './filter.js';
import { valuePath } from './mapping.js';

/**
 * Distinct (group by) on the clusters: `collapse` on the field keeps each group's best hit (in the request's
 * sort) and pages over groups with `from`/`size`; `inner_hits` brings a group's first `limit` hits when more than
 * one is asked for. The number of groups comes from a `cardinality` aggregation (HyperLogLog++ with the highest
 * precision threshold: exact in practice below 40,000 groups, approximate above) plus one for the documents
 * without the field (a `missing` aggregation), which collapse puts in one group as the embedded engine does. The
 * aggregation runs under the post filter too, so it counts what the hits are drawn from.
 */
const PRECISION_THRESHOLD = 40_000;
const INNER = 'distinct';
const AGG = 'distinct_groups';

export function addDistinct(
  body: QueryDsl,
  schema: IndexSchema,
  distinct: DistinctRequest,
  postFilter: QueryDsl | null,
): void {
  const field = valuePath(schema, distinct.field);
  body.collapse = {
    field,
    ...(distinct.limit > 1
      ? {
          inner_hits: {
            name: INNER,
            size: distinct.limit,
            sort: body.sort,
            _source: body._source,
            ...(body.highlight ? { highlight: body.highlight } : {}),
          },
        }
      : {}),
  };
  body.aggs = {
    ...((body.aggs as Record<string, QueryDsl> | undefined) ?? {}),
    [AGG]: {
      filter: postFilter ?? { match_all: {} },
      aggs: {
        values: { cardinality: { field, precision_threshold: PRECISION_THRESHOLD } },
        missing: { missing: { field } },
      },
    },
  };
  // The hit count is of documents, and the total of a distinct search is the group count above.
  body.track_total_hits = false;
}

interface GroupAggregation {
  values?: { value?: number };
  missing?: { doc_count?: number };
}

/** The number of groups, bounded like every total. */
export function groupTotal(
  aggregations: Record<string, Record<string, unknown>> | undefined,
  request: SearchRequest,
): { total: number; total_relation: 'eq' | 'gte' } {
  const agg = aggregations?.[AGG] as GroupAggregation | undefined;
  const n = (agg?.values?.value ?? 0) + ((agg?.missing?.doc_count ?? 0) > 0 ? 1 : 0);
  const bound = request.trackTotal;
  return bound !== true && n > bound
    ? { total: bound, total_relation: 'gte' }
    : { total: n, total_relation: 'eq' };
}

/** A collapsed hit's group, when inner hits were asked for: its hits in order (the collapsed hit first). */
export function groupHits<H>(hit: H & { inner_hits?: Record<string, { hits?: { hits?: H[] } }> }): H[] {
  return hit.inner_hits?.[INNER]?.hits?.hits ?? [hit];
}
