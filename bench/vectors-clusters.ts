/**
 * Vector search on Elasticsearch and OpenSearch (not a test): recall@10 of each cluster's approximate (HNSW) index
 * against exact brute force computed here, search latency p50/p99, the import rate of vectors, and the index's size
 * on disk and the node's heap after the load. Two generated sets of 384-dimension unit vectors, fixed seeds:
 *   random    - uniform directions (the hard case for a graph index: no structure to follow);
 *   clustered - 100 centres with points scattered around them (closer to real embeddings).
 * Queries come from the same distribution but are not in the index. The default row is Sift's own search
 * (`Engine.knn`, the default candidates for k = 10); the sweep sends the same body with more candidates. Searches
 * run one at a time, over the segments the import left and, with BENCH_MERGE=1, again after a merge to one.
 *
 *   npx tsx bench/vectors-clusters.ts                      # 100,000 vectors per set, both products
 *   BENCH_VECTORS=20000 BENCH_PRODUCTS=opensearch BENCH_SETS=random BENCH_CANDIDATES=200,400 \
 *     npx tsx bench/vectors-clusters.ts
 *
 * Each product runs on its own node started by the project's scripts (instance "bench"). Writes
 * bench/results/vectors-clusters-<products>-<vectors>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterEngine } from '../src/engines/cluster/engine.js';
import { candidatesFor, knnBody } from '../src/engines/cluster/knn-query.js';
import { isVectorField } from '../src/schema/types.js';
import { parseSchema } from '../src/schema/validate.js';
import { benchEngine, benchNode, type Product } from './lib/bench-node.js';
import { REPO } from './lib/child.js';
import { percentile, round } from './lib/stats.js';
import { seededRandom } from '../test/support/seeded-random.js';

const N = Number(process.env.BENCH_VECTORS ?? 100_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const PRODUCTS = (process.env.BENCH_PRODUCTS ?? 'elasticsearch,opensearch').split(',') as Product[];
const DIMS = 384;
const K = 10;
const BATCH = 500;
const CONCURRENCY = 2;
const CENTRES = 100;
/** Candidate counts swept besides the default (Elasticsearch's num_candidates, OpenSearch's ef_search). */
const SWEEP = (process.env.BENCH_CANDIDATES ?? '200,400,800,1600').split(',').map(Number);
/** Also merge the index to one segment (one graph) and measure again: slow, the graph is rebuilt. */
const MERGE = process.env.BENCH_MERGE === '1';

/** A standard normal number (Box-Muller): directions of normal vectors are uniform on the sphere. */
const gaussian = (rng: () => number) => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());

function normalise(v: Float64Array): Float64Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

type Kind = 'random' | 'clustered';

function generator(kind: Kind, seed: number): () => Float64Array {
  const rng = seededRandom(seed);
  const gauss = () => Float64Array.from({ length: DIMS }, () => gaussian(rng));
  if (kind === 'random') return () => normalise(gauss());
  const centres = Array.from({ length: CENTRES }, () => normalise(gauss()));
  // Noise of this size keeps a point's cosine to its centre around 0.7: clusters that overlap a little.
  const spread = 0.05;
  return () => {
    const c = centres[Math.floor(rng() * CENTRES)]!;
    const v = gauss();
    for (let i = 0; i < DIMS; i++) v[i] = c[i]! + spread * v[i]!;
    return normalise(v);
  };
}

/** Rounded to float32's precision on the wire: what the clusters store anyway, and a third of the JSON. */
const toList = (v: Float64Array) => Array.from(v, (x) => Number(x.toPrecision(7)));

/** The exact top K by cosine (dot product of unit vectors), ties by id, over every indexed vector. */
function exactTopK(data: Float32Array, q: Float64Array): number[] {
  const best: { i: number; s: number }[] = [];
  for (let i = 0; i < N; i++) {
    let s = 0;
    const off = i * DIMS;
    for (let d = 0; d < DIMS; d++) s += data[off + d]! * q[d]!;
    if (best.length < K || s > best[best.length - 1]!.s) {
      best.push({ i, s });
      best.sort((a, b) => b.s - a.s || a.i - b.i);
      if (best.length > K) best.pop();
    }
  }
  return best.map((b) => b.i);
}

const idOf = (i: number) => `v${String(i).padStart(7, '0')}`;

const SCHEMA = parseSchema({
  id_field: 'id',
  fields: {
    id: { type: 'keyword', searchable: true },
    embedding: { type: 'vector', dimensions: DIMS, similarity: 'cosine', index: true },
  },
});

interface SetResult {
  product: Product;
  set: Kind;
  vectors: number;
  queries: number;
  k: number;
  import_vectors_per_s: number;
  /** Import plus the refresh that makes every vector searchable. */
  import_s: number;
  segments: number;
  /** The first row is the default (Engine.knn), the others the sweep. */
  searches: Measured[];
  /** After a merge to one segment (BENCH_MERGE=1). */
  force_merge_s?: number;
  merged?: Measured[];
  store_mb: number;
  heap_used_mb: number;
}

interface Measured {
  candidates: number;
  recall_at_10: number;
  latency_ms_p50: number;
  latency_ms_p99: number;
}

/**
 * Recall@10 and latency of one search per query: Sift's own `Engine.knn` at the default candidates, or the same
 * body with other candidates sent straight to the cluster (the sweep).
 */
async function measure(
  engine: ClusterEngine,
  queries: Float64Array[],
  truth: number[][],
  candidates: number | null,
): Promise<Measured> {
  const spec = SCHEMA.fields.embedding;
  if (!isVectorField(spec)) throw new Error('embedding is a vector field');
  const path = `/${engine.catalogue.names.alias('vectors')}/_search`;
  let hits = 0;
  const took: number[] = [];
  for (let q = 0; q < queries.length; q++) {
    const request = { field: 'embedding', vector: toList(queries[q]!), k: K, filter: null };
    const t0 = performance.now();
    let ids: string[];
    if (candidates === null) {
      ids = (await engine.knn('vectors', request)).map((c) => c.id);
    } else {
      const res = await engine.transport.request<{ hits: { hits: { _id: string }[] } }>({
        method: 'POST',
        path,
        body: knnBody(SCHEMA, spec, request, engine.transport.product, candidates),
      });
      ids = res.body.hits.hits.map((h) => h._id);
    }
    took.push(performance.now() - t0);
    const want = new Set(truth[q]!.map(idOf));
    hits += ids.filter((id) => want.has(id)).length;
  }
  took.sort((a, b) => a - b);
  return {
    candidates: candidates ?? candidatesFor(K),
    recall_at_10: round(hits / (queries.length * K), 4),
    latency_ms_p50: round(percentile(took, 50), 1),
    latency_ms_p99: round(percentile(took, 99), 1),
  };
}

async function sweep(engine: ClusterEngine, queries: Float64Array[], truth: number[][]) {
  const rows = [await measure(engine, queries, truth, null)];
  for (const c of SWEEP) rows.push(await measure(engine, queries, truth, c));
  return rows;
}

async function runSet(product: Product, url: string, kind: Kind): Promise<SetResult> {
  const seed = kind === 'random' ? 384_001 : 384_002;
  const next = generator(kind, seed);
  const data = new Float32Array(N * DIMS);
  const engine = benchEngine(product, url, 'vbench-');
  await engine.dropIndex('vectors');
  await engine.putIndex('vectors', SCHEMA);
  const t0 = performance.now();
  let pending: Promise<unknown>[] = [];
  for (let start = 0; start < N; start += BATCH) {
    const items = [];
    for (let i = start; i < Math.min(N, start + BATCH); i++) {
      const list = toList(next());
      data.set(list, i * DIMS);
      items.push({ id: idOf(i), document: { id: idOf(i), embedding: list } });
    }
    pending.push(
      engine.bulkUpsert('vectors', items, { refresh: false }).then((r) => {
        const failed = r.filter((x) => x.error);
        if (failed.length) throw new Error(`${failed.length} refused: ${failed[0]!.error!.message}`);
      }),
    );
    if (pending.length >= CONCURRENCY) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  const alias = engine.catalogue.names.alias('vectors');
  await engine.transport.request({ method: 'POST', path: `/${alias}/_refresh` });
  const importS = (performance.now() - t0) / 1000;

  const qNext = generator(kind, seed + 1_000);
  const queries = Array.from({ length: QUERIES }, () => qNext());
  const truth = queries.map((q) => exactTopK(data, q));
  const segs = await engine.transport.request<{ index: string }[]>({
    method: 'GET',
    path: `/_cat/segments/${alias}`,
    querystring: { format: 'json', h: 'index' },
  });
  const result: SetResult = {
    product,
    set: kind,
    vectors: N,
    queries: QUERIES,
    k: K,
    import_vectors_per_s: round(N / importS, 0),
    import_s: round(importS, 1),
    segments: segs.body.length,
    searches: await sweep(engine, queries, truth),
    store_mb: 0,
    heap_used_mb: 0,
  };
  if (MERGE) {
    const m0 = performance.now();
    await engine.transport.request(
      { method: 'POST', path: `/${alias}/_forcemerge`, querystring: { max_num_segments: 1 } },
      { timeoutMs: 3_600_000 },
    );
    await engine.transport.request({ method: 'POST', path: `/${alias}/_refresh` });
    result.force_merge_s = round((performance.now() - m0) / 1000, 1);
    result.merged = await sweep(engine, queries, truth);
  }
  const stats = await engine.transport.request<{
    _all?: { primaries?: { store?: { size_in_bytes?: number } } };
  }>({ method: 'GET', path: `/${alias}/_stats/store` });
  const nodes = await engine.transport.request<{
    nodes?: Record<string, { jvm?: { mem?: { heap_used_in_bytes?: number } } }>;
  }>({ method: 'GET', path: '/_nodes/stats/jvm' });
  result.store_mb = round((stats.body._all?.primaries?.store?.size_in_bytes ?? 0) / 1e6, 1);
  result.heap_used_mb = round(
    (Object.values(nodes.body.nodes ?? {})[0]?.jvm?.mem?.heap_used_in_bytes ?? 0) / 1e6,
    0,
  );
  await engine.dropIndex('vectors');
  await engine.close();
  return result;
}

const SETS = (process.env.BENCH_SETS ?? 'random,clustered').split(',') as Kind[];
const results: SetResult[] = [];
for (const product of PRODUCTS) {
  const url = benchNode(product);
  for (const kind of SETS) {
    const r = await runSet(product, url, kind);
    console.log(JSON.stringify(r));
    results.push(r);
  }
}
mkdirSync(join(REPO, 'bench/results'), { recursive: true });
writeFileSync(
  join(REPO, `bench/results/vectors-clusters-${PRODUCTS.join('-')}-${N}.json`),
  `${JSON.stringify({ at: new Date().toISOString(), results }, null, 2)}\n`,
);
