import type { Filter } from '../../query/types.js';
import type { IndexSchema, Similarity, VectorFieldSpec } from '../../schema/types.js';
import { filterToDsl, MATCH_ALL, type QueryDsl } from './filter.js';
import { ID_PATH } from './mapping.js';
import { SPACE, type Product } from './vector-mapping.js';

/**
 * A kNN search on the clusters (mappings in vector-mapping.ts): the query each product is asked, and how their
 * scores become Sift's (Elasticsearch's formulas on every engine: cosine `(1 + cos) / 2`, dot_product
 * `(1 + dot) / 2`, euclidean `1 / (1 + d^2)`).
 */

/**
 * Candidates the approximate search visits for k hits: Elasticsearch's `num_candidates`, the HNSW `ef_search` of
 * OpenSearch's lucene engine. More candidates, better recall and slower searches. Chosen by measurement
 * (bench/vectors-clusters.ts, bench/README.md): uniformly random 384-dimension vectors are the hard case for a
 * graph index, and merged into one segment of 20,000 their recall@10 was 0.42 at 100 candidates, 0.81 at 400,
 * 0.95 at 800 and 0.99 at 1,600 on both products; a larger index needs more for the same recall.
 */
export const MIN_CANDIDATES = 2_000;
export const CANDIDATES_PER_HIT = 20;
/** Elasticsearch's limit of num_candidates. */
const MAX_CANDIDATES = 10_000;
export const candidatesFor = (k: number) =>
  Math.min(MAX_CANDIDATES, Math.max(k, MIN_CANDIDATES, CANDIDATES_PER_HIT * k));

export interface KnnQuery {
  field: string;
  vector: number[];
  k: number;
  filter: Filter | null;
}

/**
 * The search body of a kNN search: the k nearest among the documents the filter matches (the filter runs inside
 * the search on both products, so k come back when k match), best first, ties by id. `candidates` is for the
 * benchmark's sweep; searches use the default.
 */
export function knnBody(
  schema: IndexSchema,
  spec: VectorFieldSpec,
  q: KnnQuery,
  product: Product,
  candidates = candidatesFor(q.k),
): QueryDsl {
  const filter = q.filter ? filterToDsl(q.filter, schema) : null;
  let query: QueryDsl;
  if (product === 'elasticsearch') {
    query = {
      knn: {
        field: q.field,
        query_vector: q.vector,
        k: q.k,
        num_candidates: spec.index ? candidates : q.k,
        ...(filter ? { filter } : {}),
      },
    };
  } else if (spec.index) {
    query = {
      knn: {
        [q.field]: {
          vector: q.vector,
          k: q.k,
          method_parameters: { ef_search: candidates },
          ...(filter ? { filter } : {}),
        },
      },
    };
  } else {
    query = {
      script_score: {
        query: filter ?? MATCH_ALL,
        script: {
          source: 'knn_score',
          lang: 'knn',
          params: { field: q.field, query_value: q.vector, space_type: SPACE.opensearch[spec.similarity] },
        },
      },
    };
  }
  return {
    query,
    size: q.k,
    _source: false,
    track_total_hits: false,
    sort: [{ _score: { order: 'desc' } }, { [ID_PATH]: { order: 'asc' } }],
  };
}

/**
 * The cluster's score of a hit as Sift's. Cosine and euclidean already are Elasticsearch's formulas on both
 * products; the inner product comes back as `1 + dot` when it is at least 0 and `1 / (1 - dot)` below, so the dot
 * product is recovered and scored `(1 + dot) / 2`.
 */
export function siftScore(similarity: Similarity, score: number): number {
  if (similarity !== 'dot_product') return score;
  const dot = score >= 1 ? score - 1 : 1 - 1 / score;
  return (1 + dot) / 2;
}
