import { SiftError } from '../../errors.js';
import type { KnnCandidate, KnnRequest } from '../../query/types.js';
import { isVectorField, type IndexSchema } from '../../schema/types.js';
import { knnBody, siftScore } from './knn-query.js';
import type { SearchContext } from './search.js';
import { errorReason, errorType } from './transport.js';

interface KnnResponseBody {
  hits?: { hits?: { _id: string; _score: number | null; sort?: unknown[] }[] };
}

/** Only what the candidates are read from: ids (the last sort value is Sift's id), scores, errors. */
const KNN_FILTER = 'hits.hits._id,hits.hits._score,hits.hits.sort,error,status';

/** One kNN search: the k nearest documents the filter matches, best first (ties by id), with Sift's scores. */
export async function runKnn(
  ctx: SearchContext,
  index: string,
  schema: IndexSchema,
  request: KnnRequest,
): Promise<KnnCandidate[]> {
  const spec = schema.fields[request.field];
  // The query layer checks the field against the schema before it asks; this is a bug if it fires.
  if (!isVectorField(spec))
    throw new SiftError('INVALID_FIELD', `"${request.field}" is not a vector field`, {
      field: request.field,
    });
  const body = {
    ...knnBody(schema, spec, request, ctx.transport.product),
    timeout: `${Math.max(100, ctx.timeoutMs - 500)}ms`,
  };
  const res = await ctx.transport.request<KnnResponseBody>(
    {
      method: 'POST',
      path: `/${encodeURIComponent(ctx.alias(index))}/_search`,
      body,
      querystring: { filter_path: KNN_FILTER },
    },
    { timeoutMs: ctx.timeoutMs },
  );
  if (res.status === 400 && errorType(res.body) === 'search_phase_execution_exception') {
    throw new SiftError('INVALID_REQUEST', `the cluster refused the vector search: ${errorReason(res.body)}`);
  }
  ctx.check(res, 'vector search', index);
  return (res.body.hits?.hits ?? []).map((h) => ({
    id: String(h.sort?.[h.sort.length - 1] ?? h._id),
    score: siftScore(spec.similarity, h._score ?? 0),
  }));
}
