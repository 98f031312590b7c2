// @services opensearch, elasticsearch
/**
 * Vector fields on real Elasticsearch and OpenSearch nodes, where the clusters differ from each other and from the
 * contract (the conformance vector cases cover what every engine shares): the exact and approximate searches
 * against a brute force computed here, for every similarity; the filter inside the search; a dot_product vector
 * Sift accepts but Elasticsearch's own dot_product would refuse; vectors kept through get and a reindex; an
 * OpenSearch index whose only vector field is exact (no k-NN graph at all) beside one that mixes both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterEngine } from '../../../src/engines/cluster/engine.js';
import { exportDocuments } from '../../../src/engines/export.js';
import { DEFAULT_LIMITS } from '../../../src/query/request.js';
import type { Filter } from '../../../src/query/types.js';
import { parseSchema } from '../../../src/schema/validate.js';
import type { Similarity } from '../../../src/schema/types.js';
import { clusterEngine, uniquePrefix, type Product } from '../../support/cluster.js';
import { seededRandom } from '../../support/seeded-random.js';

const DIMS = 8;
const DOCS = 300;
const CATEGORIES = 20;

const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

/** The contract's score: Elasticsearch's formulas. */
function score(similarity: Similarity, a: number[], b: number[]): number {
  if (similarity === 'cosine') return (1 + dot(a, b) / (Math.hypot(...a) * Math.hypot(...b))) / 2;
  if (similarity === 'dot_product') return (1 + dot(a, b)) / 2;
  return 1 / (1 + a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0));
}

interface Doc {
  id: string;
  cat: string;
  v: number[];
}

const rng = seededRandom(21);
const DATA: Doc[] = Array.from({ length: DOCS }, (_, i) => ({
  id: `d${String(i).padStart(3, '0')}`,
  cat: `c${i % CATEGORIES}`,
  // Unit length, as dot_product needs; the other similarities do not care.
  v: unit(Array.from({ length: DIMS }, () => rng() * 2 - 1)),
}));
const QUERIES = Array.from({ length: 5 }, () => unit(Array.from({ length: DIMS }, () => rng() * 2 - 1)));

/** Brute force over the documents the category (if any) keeps: the k best, ties by id. */
function exact(similarity: Similarity, q: number[], k: number, cat?: string) {
  return DATA.filter((d) => !cat || d.cat === cat)
    .map((d) => ({ id: d.id, score: score(similarity, d.v, q) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .slice(0, k);
}

const schemaFor = (similarity: Similarity, index: boolean) =>
  parseSchema({
    id_field: 'id',
    fields: {
      id: { type: 'keyword', searchable: true },
      cat: { type: 'keyword', filterable: true },
      v: { type: 'vector', dimensions: DIMS, similarity, index },
    },
  });

const SIMILARITIES: Similarity[] = ['cosine', 'dot_product', 'euclidean'];
const catFilter = (cat: string): Filter => ({ kind: 'term', field: 'cat', value: cat });

describe.each<Product>(['elasticsearch', 'opensearch'])('vector search on %s', (product) => {
  let engine: ClusterEngine;
  const name = (similarity: Similarity, index: boolean) => `v-${similarity}-${index ? 'hnsw' : 'exact'}`;

  beforeAll(async () => {
    engine = clusterEngine(product, { prefix: uniquePrefix('vec') });
    const items = DATA.map((d) => ({ id: d.id, document: { ...d } }));
    await Promise.all(
      SIMILARITIES.flatMap((similarity) =>
        [true, false].map(async (index) => {
          await engine.putIndex(name(similarity, index), schemaFor(similarity, index));
          const results = await engine.bulkUpsert(name(similarity, index), items, { refresh: true });
          expect(results.filter((r) => r.error)).toEqual([]);
        }),
      ),
    );
  });
  afterAll(async () => {
    await engine?.close();
  });

  for (const similarity of SIMILARITIES) {
    for (const index of [false, true]) {
      it(`finds the k nearest by ${similarity} with ${index ? 'the HNSW index' : 'an exact search'}, scored as Elasticsearch does`, async () => {
        for (const q of QUERIES) {
          const found = await engine.knn(name(similarity, index), {
            field: 'v',
            vector: q,
            k: 10,
            filter: null,
          });
          const want = exact(similarity, q, 10);
          expect(found.map((c) => c.id)).toEqual(want.map((c) => c.id));
          // The clusters score in 32-bit floats.
          found.forEach((c, i) => expect(c.score).toBeCloseTo(want[i]!.score, 5));
        }
      });

      it(`filters inside the ${similarity} ${index ? 'HNSW' : 'exact'} search: k hits when k match`, async () => {
        // 15 documents per category: a filter applied after a top-10 search would keep about one of them.
        const found = await engine.knn(name(similarity, index), {
          field: 'v',
          vector: QUERIES[0]!,
          k: 10,
          filter: catFilter('c3'),
        });
        expect(found.map((c) => c.id)).toEqual(exact(similarity, QUERIES[0]!, 10, 'c3').map((c) => c.id));
      });
    }
  }

  it('scores a negative dot product as (1 + dot) / 2 too (the clusters answer 1 / (1 - dot) for it)', async () => {
    for (const index of [false, true]) {
      const found = await engine.knn(name('dot_product', index), {
        field: 'v',
        vector: QUERIES[3]!,
        k: DOCS,
        filter: null,
      });
      const want = new Map(exact('dot_product', QUERIES[3]!, DOCS).map((c) => [c.id, c.score]));
      expect(found.some((c) => c.score < 0.5)).toBe(true);
      for (const c of found) expect(c.score).toBeCloseTo(want.get(c.id)!, 5);
    }
  });

  it('accepts a dot_product vector a little off unit length (Elasticsearch dot_product would refuse it)', async () => {
    const off = DATA[0]!.v.map((x) => x * 1.0009);
    const idx = name('dot_product', true);
    const [result] = await engine.bulkUpsert(
      idx,
      [{ id: 'off', document: { id: 'off', cat: 'x', v: off } }],
      {
        refresh: true,
      },
    );
    expect(result!.error).toBeUndefined();
    const [best] = await engine.knn(idx, { field: 'v', vector: DATA[0]!.v, k: 1, filter: catFilter('x') });
    expect(best!.id).toBe('off');
    expect(best!.score).toBeCloseTo((1 + dot(off, DATA[0]!.v)) / 2, 5);
    await engine.delete(idx, 'off', { refresh: true });
  });

  it('keeps vectors exactly as written through get, a reindex and an export imported elsewhere', async () => {
    const idx = name('cosine', true);
    expect((await engine.get(idx, DATA[7]!.id))?.v).toEqual(DATA[7]!.v);
    await engine.reindex(idx);
    expect((await engine.get(idx, DATA[7]!.id))?.v).toEqual(DATA[7]!.v);
    const found = await engine.knn(idx, { field: 'v', vector: QUERIES[1]!, k: 5, filter: null });
    expect(found.map((c) => c.id)).toEqual(exact('cosine', QUERIES[1]!, 5).map((c) => c.id));

    const schema = schemaFor('cosine', true);
    const exported: { id: string; document: Record<string, unknown> }[] = [];
    for await (const item of exportDocuments(engine, idx, schema, DEFAULT_LIMITS)) exported.push(item);
    expect(exported.map((e) => e.document.v)).toEqual(DATA.map((d) => d.v));
    await engine.putIndex('v-imported', schema);
    expect(
      (await engine.bulkUpsert('v-imported', exported, { refresh: true })).filter((r) => r.error),
    ).toEqual([]);
    const again = await engine.knn('v-imported', { field: 'v', vector: QUERIES[1]!, k: 5, filter: null });
    expect(again).toEqual(found);
  });

  it('adds an approximate vector field to a live index (OpenSearch needs a new version with index.knn)', async () => {
    const idx = 'v-added';
    const fields = { id: { type: 'keyword', searchable: true }, cat: { type: 'keyword', filterable: true } };
    await engine.putIndex(idx, parseSchema({ id_field: 'id', fields }));
    await engine.upsert(idx, { id: 'old', document: { id: 'old', cat: 'a' } }, { refresh: true });
    await engine.putIndex(
      idx,
      parseSchema({ id_field: 'id', fields: { ...fields, v: { type: 'vector', dimensions: DIMS } } }),
    );
    const v = DATA[0]!.v;
    await engine.upsert(idx, { id: 'new', document: { id: 'new', cat: 'a', v } }, { refresh: true });
    expect(await engine.get(idx, 'old')).toEqual({ id: 'old', cat: 'a' });
    const found = await engine.knn(idx, { field: 'v', vector: v, k: 5, filter: null });
    expect(found.map((c) => c.id)).toEqual(['new']);
    expect(found[0]!.score).toBeCloseTo(1, 5);
  });

  it('searches an index with an exact and an approximate vector field side by side', async () => {
    const idx = 'v-mixed';
    await engine.putIndex(
      idx,
      parseSchema({
        id_field: 'id',
        fields: {
          id: { type: 'keyword', searchable: true },
          cat: { type: 'keyword', filterable: true },
          v: { type: 'vector', dimensions: DIMS, similarity: 'euclidean', index: false },
          w: { type: 'vector', dimensions: DIMS, similarity: 'cosine', index: true },
        },
      }),
    );
    const items = DATA.slice(0, 50).map((d) => ({
      id: d.id,
      document: { id: d.id, cat: d.cat, v: d.v, w: d.v },
    }));
    expect((await engine.bulkUpsert(idx, items, { refresh: true })).filter((r) => r.error)).toEqual([]);
    const byV = await engine.knn(idx, { field: 'v', vector: QUERIES[2]!, k: 3, filter: null });
    const byW = await engine.knn(idx, { field: 'w', vector: QUERIES[2]!, k: 3, filter: null });
    const sub = (s: Similarity) =>
      DATA.slice(0, 50)
        .map((d) => ({ id: d.id, score: score(s, d.v, QUERIES[2]!) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 3)
        .map((c) => c.id);
    expect(byV.map((c) => c.id)).toEqual(sub('euclidean'));
    expect(byW.map((c) => c.id)).toEqual(sub('cosine'));
  });
});
