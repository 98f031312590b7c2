import { conjuncts, filterFields } from '../../query/facet-filter.js';
import { rangeBuckets } from '../../query/range-buckets.js';
import type { FacetRequest, FacetResult, Filter, Scalar } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import { allOf, filterToDsl, type QueryDsl } from './filter.js';
import { valuePath } from './mapping.js';

/**
 * Disjunctive facets: the top-level filter conjuncts that concern only one faceted field move to post_filter
 * (they narrow the hits, not the aggregations), and each facet's aggregation is wrapped in a filter holding those
 * conjuncts except its own field's. Conjuncts that no facet drops stay in the query, where the cluster can cache
 * them and skip non-matching documents early. Same semantics as src/query/facet-filter.ts.
 */
export interface FacetPlan {
  /** Filters every hit and every facet must pass. */
  shared: QueryDsl[];
  /** Narrows hits only; null when nothing moves. */
  postFilter: QueryDsl | null;
  aggs: Record<string, QueryDsl>;
}

const soleField = (f: Filter): string | null => {
  const fields = filterFields(f);
  return fields.size === 1 ? [...fields][0]! : null;
};

export function planFacets(filter: Filter | null, facets: FacetRequest[], schema: IndexSchema): FacetPlan {
  const faceted = new Set(facets.map((f) => f.field));
  const shared: QueryDsl[] = [];
  const movable: { field: string; dsl: QueryDsl }[] = [];
  for (const c of conjuncts(filter)) {
    const field = soleField(c);
    if (field !== null && faceted.has(field)) movable.push({ field, dsl: filterToDsl(c, schema) });
    else shared.push(filterToDsl(c, schema));
  }
  const aggs: Record<string, QueryDsl> = {};
  facets.forEach((facet, i) => {
    const own = movable.filter((m) => m.field !== facet.field).map((m) => m.dsl);
    aggs[`f${i}`] = { filter: allOf(own), aggs: facetAggs(facet, schema) };
  });
  return { shared, postFilter: movable.length ? allOf(movable.map((m) => m.dsl)) : null, aggs };
}

function facetAggs(facet: FacetRequest, schema: IndexSchema): Record<string, QueryDsl> {
  const field = valuePath(schema, facet.field);
  const out: Record<string, QueryDsl> = {};
  if (!facet.ranges && !facet.stats) {
    out.terms = {
      terms: {
        field,
        size: facet.size,
        order: [{ _count: 'desc' }, { _key: 'asc' }],
        // `map` keeps the regex off OpenSearch's ordinal prefix filter, which fails the whole search (500,
        // IndexOutOfBoundsException) when no value has the prefix until a later 2.19 release (OpenSearch issue
        // 19636); the test node runs 2.19.1 for its k-NN plugin. The buckets are the same either way.
        ...(facet.prefix !== undefined
          ? { include: prefixPattern(facet.prefix), execution_hint: 'map' }
          : {}),
      },
    };
  }
  if (facet.ranges) {
    out.ranges = {
      range: {
        field,
        keyed: false,
        // The cluster answers its buckets ordered by bounds, not as asked: each carries its position as key.
        ranges: facet.ranges.map((r, j) => ({
          key: String(j),
          ...(r.from !== undefined ? { from: r.from } : {}),
          ...(r.to !== undefined ? { to: r.to } : {}),
        })),
      },
    };
  }
  if (facet.stats) out.stats = { stats: { field } };
  return out;
}

/**
 * A facet value search as a Lucene regular expression over the bucket values: the prefix with every reserved
 * character escaped and ASCII letters in either case (what SQLite's LIKE does on the embedded engine), then `.*`.
 */
export function prefixPattern(prefix: string): string {
  let out = '';
  for (const c of prefix) {
    if (/[a-zA-Z]/.test(c)) out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
    else if (/[.?+*|{}[\]()"\\#@&<>~]/.test(c)) out += `\\${c}`;
    else out += c;
  }
  return `${out}.*`;
}

interface TermsBucket {
  key: Scalar;
  key_as_string?: string;
  doc_count: number;
}
interface RangeAggBucket {
  key: string;
  doc_count: number;
}
interface StatsAgg {
  count: number;
  min: number | null;
  max: number | null;
  avg: number | null;
  sum: number | null;
}

export function readFacets(
  facets: FacetRequest[],
  schema: IndexSchema,
  aggregations: Record<string, Record<string, unknown>> | undefined,
): Record<string, FacetResult> {
  const out: Record<string, FacetResult> = {};
  facets.forEach((facet, i) => {
    const agg = aggregations?.[`f${i}`] ?? {};
    const result: FacetResult = {};
    const isBool = schema.fields[facet.field]?.type === 'boolean';
    const terms = agg.terms as { buckets: TermsBucket[] } | undefined;
    if (terms) {
      result.buckets = terms.buckets.map((b) => ({
        value: isBool ? b.key_as_string === 'true' || b.key === 1 : b.key,
        count: b.doc_count,
      }));
    }
    const ranges = agg.ranges as { buckets: RangeAggBucket[] } | undefined;
    if (ranges && facet.ranges) {
      result.ranges = rangeBuckets(
        facet.ranges,
        (j) => ranges.buckets.find((b) => b.key === String(j))?.doc_count ?? 0,
      );
    }
    const stats = agg.stats as StatsAgg | undefined;
    if (stats) {
      result.stats = {
        min: stats.count ? stats.min : null,
        max: stats.count ? stats.max : null,
        avg: stats.count ? stats.avg : null,
        sum: stats.count ? stats.sum : null,
        count: stats.count,
      };
    }
    out[facet.field] = result;
  });
  return out;
}
