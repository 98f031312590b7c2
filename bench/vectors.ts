/**
 * Vector search per engine: recall@10 against exact brute force, latency p50/p99 (unfiltered and with a filter
 * keeping 10%), memory and import rate, on 100k random and 100k clustered vectors of 384 dimensions generated with
 * a fixed seed. Cosine similarity; values written with 5 decimals (about what embedding APIs return). The exact
 * answer is computed here in JavaScript (float64) over the same vectors. Queries go through SearchService, the
 * path the HTTP API takes.
 *
 *   npx tsx bench/vectors.ts                   # both data sets, 100k each
 *   BENCH_VECTORS_DOCS=20000 npx tsx bench/vectors.ts
 *   BENCH_VECTORS_ENGINES=elasticsearch,opensearch npx tsx bench/vectors.ts
 *
 * Writes bench/results/vectors-<time>.json. The embedded engine searches exactly, so its recall is 1 up to float32
 * rounding of near ties; the cluster engines (approximate, HNSW) run on their "bench" nodes.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { SqliteEngine } from '../src/engines/sqlite/engine.js';
import { benchEngine, benchNode, type Product } from './lib/bench-node.js';
import type { Engine } from '../src/engines/engine.js';
import { SearchService } from '../src/service/search-service.js';
import { rng, WORK_DIR } from './lib/corpus.js';
import { percentile, round } from './lib/stats.js';

const DOCS = Number(process.env.BENCH_VECTORS_DOCS ?? 100_000);
const DIMS = 384;
const QUERIES = Number(process.env.BENCH_VECTORS_QUERIES ?? 50);
const SEED = 384_2026;
const INDEX = 'vectors';

const SCHEMA = {
  fields: {
    id: { type: 'keyword' },
    title: { type: 'text' },
    bucket: { type: 'integer' },
    embedding: { type: 'vector', dimensions: DIMS, similarity: 'cosine' },
  },
};

interface Engines {
  name: string;
  make(dir: string): Engine;
  /** Bytes the engine keeps on disk for the index, when it can tell. */
  size(engine: Engine): number | null;
}
/**
 * A cluster on its "bench" node (bench/lib/bench-node.ts), its index dropped on close. Its disk size is not read
 * here: bench/vectors-clusters.ts reports the store size, the recall against the candidates and the segments.
 */
function cluster(product: Product): Engines {
  let url: string | undefined;
  return {
    name: product,
    make: () => {
      url ??= benchNode(product);
      const engine = benchEngine(product, url, 'vbench-svc-');
      // The import does not wait for the cluster's refresh: the first search makes every vector visible first.
      const knn = engine.knn.bind(engine);
      let refreshed = false;
      engine.knn = async (index, request) => {
        if (!refreshed) {
          const alias = engine.catalogue.names.alias(index);
          await engine.transport.request({ method: 'POST', path: `/${alias}/_refresh` });
          refreshed = true;
        }
        return knn(index, request);
      };
      const close = engine.close.bind(engine);
      engine.close = async () => {
        await engine.dropIndex(INDEX);
        await close();
      };
      return engine;
    },
    size: () => null,
  };
}
const ALL_ENGINES: Engines[] = [
  {
    name: 'embedded',
    make: (dir) => new SqliteEngine({ dataDir: dir }),
    size: (engine) => statSync((engine as SqliteEngine).path).size,
  },
  cluster('elasticsearch'),
  cluster('opensearch'),
];
/** BENCH_VECTORS_ENGINES=embedded,elasticsearch,opensearch (the default: all three). */
const CHOSEN = (process.env.BENCH_VECTORS_ENGINES ?? 'embedded,elasticsearch,opensearch').split(',');
const ENGINES = ALL_ENGINES.filter((e) => CHOSEN.includes(e.name));

const unit = (v: Float64Array) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const gauss = (rand: () => number) =>
  Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());

/** Data set and queries: uniform random directions, or 100 clusters with points spread around their centres. */
function dataset(kind: 'random' | 'clustered'): { docs: Float64Array[]; queries: Float64Array[] } {
  const rand = rng(SEED + (kind === 'random' ? 0 : 1));
  const random = () => unit(Float64Array.from({ length: DIMS }, () => gauss(rand)));
  const round5 = (v: Float64Array) => v.map((x) => Math.round(x * 1e5) / 1e5);
  if (kind === 'random') {
    return {
      docs: Array.from({ length: DOCS }, () => round5(random())),
      queries: Array.from({ length: QUERIES }, () => round5(random())),
    };
  }
  const centres = Array.from({ length: 100 }, random);
  const near = () => {
    const c = centres[Math.floor(rand() * centres.length)]!;
    return round5(unit(c.map((x) => x + gauss(rand) * 0.03)));
  };
  return {
    docs: Array.from({ length: DOCS }, near),
    queries: Array.from({ length: QUERIES }, near),
  };
}

/** The exact top 10 by cosine (vectors compared as given), ties by id, among documents `keep` accepts. */
function exactTop10(docs: Float64Array[], q: Float64Array, keep: (i: number) => boolean): string[] {
  const qn = Math.hypot(...q);
  const scored: [number, number][] = [];
  for (let i = 0; i < docs.length; i++) {
    if (!keep(i)) continue;
    const d = docs[i]!;
    let dot = 0;
    let dn = 0;
    for (let j = 0; j < DIMS; j++) {
      dot += d[j]! * q[j]!;
      dn += d[j]! * d[j]!;
    }
    scored.push([dot / Math.sqrt(dn) / qn, i]);
  }
  scored.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  return scored.slice(0, 10).map(([, i]) => idOf(i));
}
const idOf = (i: number) => `v${String(i).padStart(6, '0')}`;

async function* batches(docs: Float64Array[], size = 1000) {
  for (let i = 0; i < docs.length; i += size)
    yield docs.slice(i, i + size).map((v, j) => ({
      id: idOf(i + j),
      title: `vector ${i + j}`,
      bucket: (i + j) % 10,
      embedding: [...v],
    }));
}

async function measure(engineSpec: Engines, kind: 'random' | 'clustered') {
  const { docs, queries } = dataset(kind);
  const dir = join(WORK_DIR, `vectors-${engineSpec.name}-${kind}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const engine = engineSpec.make(dir);
  await engine.open();
  const svc = new SearchService(engine);
  try {
    await svc.putIndex(INDEX, SCHEMA);
    const started = performance.now();
    const { mode } = await svc.importStream(INDEX, batches(docs), { written: () => {}, durable: () => {} });
    const importSeconds = (performance.now() - started) / 1000;
    const rssAfterImport = process.memoryUsage().rss;

    const run = async (filter: string | undefined, keep: (i: number) => boolean) => {
      const times: number[] = [];
      let found = 0;
      for (const q of queries) {
        const t0 = performance.now();
        const r = await svc.search(INDEX, { vector: [...q], k: 10, ...(filter ? { filter } : {}) });
        times.push(performance.now() - t0);
        const want = new Set(exactTop10(docs, q, keep));
        found += r.hits.filter((h) => want.has(h.id)).length;
      }
      times.sort((a, b) => a - b);
      return {
        recall_at_10: round(found / (10 * queries.length), 4),
        p50_ms: round(percentile(times, 50), 1),
        p99_ms: round(percentile(times, 99), 1),
      };
    };
    // One query first, so the reader threads are started outside the measurement.
    await svc.search(INDEX, { vector: [...queries[0]!], k: 10 });
    const unfiltered = await run(undefined, () => true);
    const filtered = await run('bucket = 3', (i) => i % 10 === 3);
    return {
      engine: engineSpec.name,
      data: kind,
      documents: DOCS,
      dimensions: DIMS,
      import: { mode, seconds: round(importSeconds, 1), docs_per_second: Math.round(DOCS / importSeconds) },
      unfiltered,
      filter_keeps_10_percent: filtered,
      rss_mb_after_import: Math.round(rssAfterImport / 2 ** 20),
      rss_mb_after_queries: Math.round(process.memoryUsage().rss / 2 ** 20),
      disk_mb: (() => {
        const b = engineSpec.size(engine);
        return b === null ? null : Math.round(b / 2 ** 20);
      })(),
    };
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [];
const load = [loadavg().map((x) => round(x, 1))];
for (const spec of ENGINES) {
  for (const kind of ['random', 'clustered'] as const) {
    const r = await measure(spec, kind);
    console.log(JSON.stringify(r));
    results.push(r);
    load.push(loadavg().map((x) => round(x, 1)));
  }
}
const file = join(
  import.meta.dirname,
  'results',
  `vectors-${new Date().toISOString().slice(0, 16).replace(':', '-')}Z.json`,
);
writeFileSync(file, JSON.stringify({ loadavg: load, results }, null, 2) + '\n');
console.log(`written to ${file}`);
