import { SiftError } from '../../errors.js';
import { parseTextQuery } from '../../query/text-query.js';
import type { Hit, SearchRequest, SearchResult, SuggestRequest, Suggestion } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import { readFacets } from './aggregations.js';
import { fromClusterSortValue } from './cursor.js';
import { fromSource, ID_PATH, SUGGEST_LENGTH_PATH, SUGGEST_PATH, tokenPath, valuePath } from './mapping.js';
import { analyzedToken } from './stemming.js';
import { clusterDidYouMean } from './did-you-mean.js';
import { groupHits, groupTotal } from './distinct.js';
import { searchBody } from './query.js';
import { errorReason, errorType, type ClusterResponse, type ClusterTransport } from './transport.js';

/** What a search needs from the engine: the transport, names, the time budget, error mapping and the log. */
export interface SearchContext {
  transport: ClusterTransport;
  alias(name: string): string;
  timeoutMs: number;
  check<T>(res: ClusterResponse<T>, what: string, index?: string): ClusterResponse<T>;
  log?: { warn(obj: object, msg: string): void };
}

interface SearchResponseBody {
  timed_out?: boolean;
  _shards?: { total: number; successful: number; failed: number; failures?: unknown[] };
  /** With the response filtered, a search without hits may have no `hits.hits` (a suggestion none at all). */
  hits?: {
    total?: { value: number; relation: 'eq' | 'gte' };
    hits?: {
      _id: string;
      _score: number | null;
      _source?: Record<string, unknown>;
      sort?: unknown[];
      highlight?: Record<string, string[]>;
      inner_hits?: Record<string, { hits?: { hits?: ClusterHit[] } }>;
    }[];
  };
  aggregations?: Record<string, Record<string, unknown>>;
}

/** A hit as the cluster answers it (also inside a group's inner hits). */
interface ClusterHit {
  _id: string;
  _score: number | null;
  _source?: Record<string, unknown>;
  sort?: unknown[];
  highlight?: Record<string, string[]>;
}

interface ErrorBody {
  error?: { type?: string; reason?: string };
}

/**
 * Only what an answer is read from (the hits' ids, scores, sources, sort values and highlights, the total, the
 * facets, the partial flags, and an error's type and reason): the cluster then leaves out every hit's `_index`,
 * `_ignored`, `max_score`, `took` and the shard counts, which it would otherwise write and we would parse.
 */
const SEARCH_FILTER = [
  'timed_out',
  '_shards',
  'hits.total',
  'hits.hits._id',
  'hits.hits._score',
  'hits.hits._source',
  'hits.hits.sort',
  'hits.hits.highlight',
  'hits.hits.inner_hits',
  'aggregations',
  'error',
  'status',
].join(',');
const SUGGEST_FILTER = 'hits.hits._id,hits.hits._source,hits.hits.sort,error,status';

/** One search: the body from query.ts, the answer back into hits, facets and the partial flag. */
export async function runSearch(
  ctx: SearchContext,
  index: string,
  schema: IndexSchema,
  request: SearchRequest,
): Promise<SearchResult> {
  const bodyOf = (req: SearchRequest) =>
    searchBody(schema, req, {
      timeoutMs: Math.max(100, ctx.timeoutMs - 500),
      // OpenSearch has no combined_fields (it came to Elasticsearch after the fork).
      combinedFields: ctx.transport.product === 'elasticsearch',
    });
  const body = bodyOf(request);
  const path = `/${encodeURIComponent(ctx.alias(index))}/_search`;
  const res = await ctx.transport.request<SearchResponseBody & ErrorBody>(
    { method: 'POST', path, body, querystring: { filter_path: SEARCH_FILTER } },
    { timeoutMs: ctx.timeoutMs },
  );
  if (res.status === 400 && request.after) {
    throw new SiftError('INVALID_CURSOR', `the cursor does not fit this index: ${errorReason(res.body)}`);
  }
  if (res.status === 400 && errorType(res.body) === 'search_phase_execution_exception') {
    throw new SiftError('INVALID_REQUEST', `the cluster refused the query: ${errorReason(res.body)}`);
  }
  ctx.check(res, 'search', index);
  const shards = res.body._shards;
  const partial = Boolean(res.body.timed_out) || (shards?.failed ?? 0) > 0;
  if (partial) {
    ctx.log?.warn(
      { index, timed_out: res.body.timed_out, shards: shards, failures: shards?.failures?.slice(0, 3) },
      'partial search result: the cluster timed out or some shards failed',
    );
  }
  const withScore = request.sort.some((c) => c.field === '_score');
  const top = res.body.hits?.hits ?? [];
  // A distinct search with several hits per group: each group's hits, group after group.
  const listed = request.distinct && request.distinct.limit > 1 ? top.flatMap((h) => groupHits(h)) : top;
  const hits: Hit[] = listed.map((h) => {
    const sort = h.sort ?? [];
    const id = String(sort[sort.length - 1] ?? h._id);
    const hit: Hit = {
      id,
      score: withScore ? (h._score ?? null) : null,
      document: fromSource(schema, h._source ?? {}),
      sortValues: request.sort.map((c, i) => fromClusterSortValue(schema, c, sort[i])),
    };
    if (h.highlight) {
      const marks: Record<string, string[]> = {};
      for (const [path, frags] of Object.entries(h.highlight)) {
        if (frags.length) marks[path.endsWith('.hl') ? path.slice(0, -3) : path] = [frags[0]!];
      }
      if (Object.keys(marks).length) hit.highlights = marks;
    }
    return hit;
  });
  const facets = readFacets(request.facets, schema, res.body.aggregations);
  const total = request.distinct
    ? groupTotal(res.body.aggregations, request)
    : boundedTotal(res.body.hits?.total, request.trackTotal, hits.length);
  const didYouMean =
    total.total === 0 && request.text && !request.after && request.from === 0
      ? await clusterDidYouMean(ctx.transport, path, schema, request, bodyOf, ctx.timeoutMs)
      : undefined;
  return {
    hits,
    ...total,
    facets: facets.facets,
    partial: partial || !facets.complete,
    ...(didYouMean ? { did_you_mean: didYouMean } : {}),
  };
}

/**
 * The total as every engine reports it: exact up to the bound, the bound itself with "gte" past it. The cluster
 * may count past the bound when it can do so cheaply (a count from index statistics), so it is clamped here.
 */
function boundedTotal(
  total: { value: number; relation: 'eq' | 'gte' } | undefined,
  bound: true | number,
  hits: number,
): { total: number; total_relation: 'eq' | 'gte' } {
  const value = total?.value ?? hits;
  if (bound !== true && value > bound) return { total: bound, total_relation: 'gte' };
  return { total: value, total_relation: total?.relation ?? 'eq' };
}

export async function runSuggest(
  ctx: SearchContext,
  index: string,
  schema: IndexSchema,
  request: SuggestRequest,
): Promise<Suggestion[]> {
  const field = schema.suggest?.field;
  if (!field) return [];
  const text = parseTextQuery(request.prefix);
  // The token field holds stems under the english analyzer; FTS5 stems the typed words, the last one too.
  const tokens = text ? text.must.flatMap((c) => c.tokens).map((t) => analyzedToken(schema, t)) : [];
  if (!tokens.length) return [];
  const lowered = request.prefix.toLowerCase();
  const matching = schema.fields[field]?.searchable
    ? tokens.map((t, i) =>
        i === tokens.length - 1 ? { prefix: { [tokenPath(field)]: t } } : { term: { [tokenPath(field)]: t } },
      )
    : [{ prefix: { [SUGGEST_PATH]: lowered } }];
  const pop = schema.ranking.popularity;
  const body = {
    size: request.size,
    _source: [field],
    track_total_hits: false,
    timeout: `${Math.max(100, ctx.timeoutMs - 500)}ms`,
    // Values that start with the whole typed text score 1, the rest 0; then popularity, shortness and id.
    query: {
      bool: {
        filter: matching,
        should: [{ constant_score: { filter: { prefix: { [SUGGEST_PATH]: lowered } }, boost: 1 } }],
      },
    },
    sort: [
      { _score: { order: 'desc' } },
      ...(pop ? [{ [valuePath(schema, pop.field)]: { order: 'desc', missing: 0 } }] : []),
      { [SUGGEST_LENGTH_PATH]: { order: 'asc', missing: '_last' } },
      { [ID_PATH]: { order: 'asc' } },
    ],
  };
  const res = ctx.check(
    await ctx.transport.request<SearchResponseBody>(
      {
        method: 'POST',
        path: `/${encodeURIComponent(ctx.alias(index))}/_search`,
        body,
        querystring: { filter_path: SUGGEST_FILTER },
      },
      { timeoutMs: ctx.timeoutMs },
    ),
    'suggest',
    index,
  );
  return (res.body.hits?.hits ?? [])
    .filter((h) => typeof h._source?.[field] === 'string')
    .map((h) => ({ text: h._source![field] as string, id: String(h.sort?.[h.sort.length - 1] ?? h._id) }));
}
