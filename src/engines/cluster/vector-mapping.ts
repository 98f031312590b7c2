import { vectorFields, type IndexSchema, type Similarity, type VectorFieldSpec } from '../../schema/types.js';
import type { ClusterTransport } from './transport.js';

/**
 * Vector fields in the clusters' mappings: Elasticsearch's `dense_vector` and the `knn_vector` of OpenSearch's k-NN
 * plugin (knn-query.ts searches them).
 *
 * - The approximate index is HNSW over float vectors, never quantized (Elasticsearch 8.14+ quantizes to int8 by
 *   default, which changes the scores), with both products' default graph parameters said out loud.
 * - dot_product is `max_inner_product` on Elasticsearch: its `dot_product` refuses vectors whose length is off by
 *   more than about 1e-4, while Sift accepts 1e-3 (the documents are checked before they reach the cluster).
 * - OpenSearch uses the k-NN plugin's `lucene` engine, pure Java: its other engines need native libraries, and a
 *   `knn_vector` they would index (one without a method in a k-NN index) takes the whole node down where those
 *   libraries are missing. So every vector field of a k-NN index names the lucene method, even one searched
 *   exactly.
 * - `index: false` searches exactly: a `flat` index on Elasticsearch (brute force over the filtered vectors), the
 *   plugin's `knn_score` script over the filtered documents on OpenSearch.
 */

export type Product = ClusterTransport['product'];

const HNSW = { m: 16, ef_construction: 100 } as const;

/** The cluster's name for each similarity; dot_product as maximum inner product (see above). */
export const SPACE: Record<Product, Record<Similarity, string>> = {
  elasticsearch: { cosine: 'cosine', dot_product: 'max_inner_product', euclidean: 'l2_norm' },
  opensearch: { cosine: 'cosinesimil', dot_product: 'innerproduct', euclidean: 'l2' },
};

/** Does the index need OpenSearch's `index.knn` (an HNSW graph for some vector field)? */
const needsKnnIndex = (schema: IndexSchema) => vectorFields(schema).some(([, spec]) => spec.index);

export function vectorMapping(
  spec: VectorFieldSpec,
  schema: IndexSchema,
  product: Product,
): Record<string, unknown> {
  const space = SPACE[product][spec.similarity];
  if (product === 'elasticsearch') {
    return {
      type: 'dense_vector',
      dims: spec.dimensions,
      index: true,
      similarity: space,
      index_options: spec.index ? { type: 'hnsw', ...HNSW } : { type: 'flat' },
    };
  }
  const field: Record<string, unknown> = { type: 'knn_vector', dimension: spec.dimensions };
  // Outside a k-NN index the field keeps its vectors for the exact script only.
  if (!needsKnnIndex(schema)) return field;
  return {
    ...field,
    method: { name: 'hnsw', engine: 'lucene', space_type: space, parameters: HNSW },
  };
}

/** Index settings vector fields need: OpenSearch's `index.knn` when one field has an HNSW graph. */
export function vectorSettings(schema: IndexSchema, product: Product): Record<string, unknown> {
  return product === 'opensearch' && needsKnnIndex(schema) ? { 'index.knn': true } : {};
}

/** What a change of the vector fields needs rebuilt: `index.knn` is fixed when an OpenSearch index is created. */
export const vectorShape = (schema: IndexSchema) => needsKnnIndex(schema);
