import { describe, expect, it } from 'vitest';
import { parseSchema } from '../../schema/validate.js';
import { siftScore } from './knn-query.js';
import { mappingsFor } from './mapping.js';
import { vectorSettings } from './vector-mapping.js';

const schema = (fields: Record<string, unknown>) =>
  parseSchema({ id_field: 'id', fields: { id: { type: 'keyword', searchable: true }, ...fields } });
const META = { index: 'x', version: 1, created_at: '2026-01-01T00:00:00.000Z', generation_base: 0 };
const props = (s: ReturnType<typeof schema>, product: 'elasticsearch' | 'opensearch') =>
  (mappingsFor(s, { ...META, schema: s }, product) as { properties: Record<string, Record<string, unknown>> })
    .properties;

describe('vector fields in the cluster mappings', () => {
  const mixed = schema({
    exact: { type: 'vector', dimensions: 3, similarity: 'euclidean', index: false },
    approx: { type: 'vector', dimensions: 3, similarity: 'dot_product' },
  });

  it('names the lucene engine for every vector of an OpenSearch k-NN index, an exact one too', () => {
    // Without a method, the plugin's default engine (faiss) needs native libraries; where they are missing the
    // node exits on the first refresh.
    expect(vectorSettings(mixed, 'opensearch')).toEqual({ 'index.knn': true });
    for (const field of ['exact', 'approx'])
      expect(props(mixed, 'opensearch')[field]).toMatchObject({
        type: 'knn_vector',
        method: { engine: 'lucene' },
      });
    expect(props(mixed, 'opensearch').approx!.method).toMatchObject({ space_type: 'innerproduct' });
  });

  it('leaves an OpenSearch index whose vectors are all exact without a k-NN graph', () => {
    const s = schema({ v: { type: 'vector', dimensions: 3, index: false } });
    expect(vectorSettings(s, 'opensearch')).toEqual({});
    expect(props(s, 'opensearch').v).toEqual({ type: 'knn_vector', dimension: 3 });
  });

  it('asks Elasticsearch for float HNSW (never quantized) or a flat index, and maximum inner product', () => {
    expect(vectorSettings(mixed, 'elasticsearch')).toEqual({});
    expect(props(mixed, 'elasticsearch').approx).toMatchObject({
      type: 'dense_vector',
      dims: 3,
      similarity: 'max_inner_product',
      index_options: { type: 'hnsw' },
    });
    expect(props(mixed, 'elasticsearch').exact).toMatchObject({
      similarity: 'l2_norm',
      index_options: { type: 'flat' },
    });
  });
});

describe('cluster scores as Sift scores', () => {
  it('turns the inner product score (1 + dot, or 1 / (1 - dot) below 0) into (1 + dot) / 2', () => {
    for (const dot of [1, 0.6, 0, -0.25, -1]) {
      const cluster = dot >= 0 ? 1 + dot : 1 / (1 - dot);
      expect(siftScore('dot_product', cluster)).toBeCloseTo((1 + dot) / 2, 12);
    }
  });

  it('keeps cosine and euclidean scores, already Elasticsearch formulas on both products', () => {
    expect(siftScore('cosine', 0.75)).toBe(0.75);
    expect(siftScore('euclidean', 0.2)).toBe(0.2);
  });
});
