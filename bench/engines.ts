/**
 * The embedded engine next to a real Elasticsearch, on the full npm corpus, in one run:
 *   import      - Sift's bulk path (SearchService.importDocuments -> engine.bulkUpsert) against the engine's own
 *                 `_bulk` fed the same documents, already translated, with the same batch size and concurrency;
 *   overhead    - one query at a time: GET /api/indexes/packages/search on a real Sift server (cache off) against
 *                 the very query body Sift builds, POSTed straight to `_search`: Sift's added latency at p50/p99;
 *   equivalence - for the same real queries on both engines: the overlap of the top 10 by relevance, the share of
 *                 queries whose hits agree exactly under a deterministic sort (downloads desc, id tie-break), and
 *                 the known-item MRR (exact names of the 1,000 most-downloaded packages) on each engine.
 * Elasticsearch is started by the project's own script (scripts/services/elasticsearch.sh, instance "bench").
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { createClusterEngine } from '../src/engines/cluster/create.js';
import { toSource } from '../src/engines/cluster/mapping.js';
import { searchBody } from '../src/engines/cluster/query.js';
import { buildSearchRequest, type RawSearchInput } from '../src/query/request.js';
import { loadSchemaFile } from '../src/schema/load.js';
import type { IndexSchema } from '../src/schema/types.js';
import { limitsFromConfig } from '../src/app.js';
import { SearchService } from '../src/service/search-service.js';
import { REPO, startChild } from './lib/child.js';
import { readCorpus, realQueries, SCHEMA, WORK_DIR, type Pkg } from './lib/corpus.js';
import { fullIndex } from './lib/full-index.js';
import { percentile, round } from './lib/stats.js';

const INDEX = 'packages';
const QUERIES = Number(process.env.BENCH_QUERIES ?? 300);
const PASSES = Number(process.env.BENCH_PASSES ?? 3);
const PLAIN: RawSearchInput = { size: 10, facets: '', highlight: [], fields: 'name' };

function startElasticsearch(): string {
  const out = execFileSync('bash', [join(REPO, 'scripts/services/elasticsearch.sh'), 'start', 'bench'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return (JSON.parse(out.trim().split('\n').at(-1)!) as { url: string }).url;
}

function clusterConfig(url: string, extra: Record<string, string> = {}) {
  return loadConfig(
    {
      SEARCH_ENGINE: 'elasticsearch',
      ELASTICSEARCH_URL: url,
      ELASTICSEARCH_REFRESH: 'false',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      ...extra,
    },
    '/nonexistent',
  );
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

interface ImportResult {
  docs: number;
  batch_docs: number;
  concurrency: number;
  sift_docs_per_s: number;
  direct_bulk_docs_per_s: number;
  sift_share_of_direct: number;
}

async function importBench(url: string, pkgs: Pkg[], schema: IndexSchema): Promise<ImportResult> {
  const config = clusterConfig(url);
  const engine = createClusterEngine(config, 'elasticsearch');
  const service = new SearchService(engine);
  const batch = config.ELASTICSEARCH_BULK_DOCS;
  const concurrency = config.ELASTICSEARCH_BULK_CONCURRENCY;

  // The floor: the engine's own _bulk, fed documents Sift already translated, same batch size and concurrency.
  await engine.dropIndex('bench-direct');
  await engine.putIndex('bench-direct', schema);
  const alias = engine.catalogue.names.alias('bench-direct');
  const bodies: string[] = [];
  for (let i = 0; i < pkgs.length; i += batch) {
    bodies.push(
      pkgs
        .slice(i, i + batch)
        .map((p) => {
          const doc = p as unknown as Record<string, unknown>;
          return `${JSON.stringify({ index: { _index: alias, _id: p.name } })}\n${JSON.stringify(toSource(schema, p.name, doc as never))}\n`;
        })
        .join(''),
    );
  }
  let t0 = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const res = await fetch(`${url}/_bulk`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body,
        });
        const json = (await res.json()) as { errors: boolean };
        if (!res.ok || json.errors) throw new Error(`direct _bulk failed: ${res.status}`);
      }
    }),
  );
  const directMs = ms(t0);

  // Sift: validation, translation and bulk with its retries and per-item outcomes.
  await engine.dropIndex(INDEX);
  await service.putIndex(INDEX, schema);
  t0 = process.hrtime.bigint();
  for (let i = 0; i < pkgs.length; i += 10_000) {
    const r = await service.importDocuments(INDEX, pkgs.slice(i, i + 10_000));
    if (r.failed > 0) throw new Error(`sift import: ${r.failed} failed`);
  }
  const siftMs = ms(t0);
  await fetch(`${url}/${engine.catalogue.names.alias(INDEX)}/_refresh`, { method: 'POST' });
  await engine.dropIndex('bench-direct');
  await engine.close();

  const direct = pkgs.length / (directMs / 1000);
  const sift = pkgs.length / (siftMs / 1000);
  return {
    docs: pkgs.length,
    batch_docs: batch,
    concurrency,
    sift_docs_per_s: Math.round(sift),
    direct_bulk_docs_per_s: Math.round(direct),
    sift_share_of_direct: round(sift / direct, 3),
  };
}

interface OverheadResult {
  queries: number;
  requests_each: number;
  sift_p50_ms: number;
  sift_p99_ms: number;
  direct_p50_ms: number;
  direct_p99_ms: number;
  added_p50_ms: number;
  added_p99_ms: number;
}

async function overheadBench(url: string, queries: string[], schema: IndexSchema): Promise<OverheadResult> {
  const sift = await startChild('bench/lib/serve-child.ts', {
    SEARCH_ENGINE: 'elasticsearch',
    ELASTICSEARCH_URL: url,
    DATA_DIR: join(WORK_DIR, 'es-serve'),
    HOST: '127.0.0.1',
    PORT: '0',
    ENVIRONMENT: 'development',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    LOAD_SAMPLE_DATA: 'false',
    CACHE_TTL_SECONDS: '0',
    RATE_LIMIT_ENABLED: 'false',
    WORKERS: '1',
  });
  const config = clusterConfig(url);
  const engine = createClusterEngine(config, 'elasticsearch');
  const limits = limitsFromConfig(config);
  const alias = engine.catalogue.names.alias(INDEX);
  const direct = queries.map((q) => {
    const { request } = buildSearchRequest({ ...PLAIN, q }, schema, limits);
    return JSON.stringify(searchBody(schema, request, { timeoutMs: 29_000, combinedFields: true }));
  });
  const siftUrls = queries.map(
    (q) =>
      `${sift.url}/api/indexes/${INDEX}/search?q=${encodeURIComponent(q)}&size=10&facets=&highlight=&fields=name`,
  );
  const siftTimes: number[] = [];
  const directTimes: number[] = [];
  // Interleaved, one request at a time, so both see the same cluster state and machine load.
  for (let pass = 0; pass <= PASSES; pass++) {
    for (let i = 0; i < queries.length; i++) {
      let t0 = process.hrtime.bigint();
      const a = await fetch(siftUrls[i]!);
      await a.arrayBuffer();
      const siftMs = ms(t0);
      if (!a.ok) throw new Error(`sift answered ${a.status} for ${queries[i]}`);
      t0 = process.hrtime.bigint();
      const b = await fetch(`${url}/${alias}/_search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: direct[i],
      });
      await b.arrayBuffer();
      const directMs = ms(t0);
      if (!b.ok) throw new Error(`direct _search answered ${b.status}`);
      if (pass > 0) {
        siftTimes.push(siftMs);
        directTimes.push(directMs);
      }
    }
  }
  await sift.stop();
  await engine.close();
  siftTimes.sort((x, y) => x - y);
  directTimes.sort((x, y) => x - y);
  const s50 = percentile(siftTimes, 50);
  const s99 = percentile(siftTimes, 99);
  const d50 = percentile(directTimes, 50);
  const d99 = percentile(directTimes, 99);
  return {
    queries: queries.length,
    requests_each: siftTimes.length,
    sift_p50_ms: round(s50),
    sift_p99_ms: round(s99),
    direct_p50_ms: round(d50),
    direct_p99_ms: round(d99),
    added_p50_ms: round(s50 - d50),
    added_p99_ms: round(s99 - d99),
  };
}

async function mrr(service: SearchService, pkgs: Pkg[]): Promise<{ mrr: number; rank_first: number }> {
  const top = [...pkgs].sort((a, b) => (b.downloads ?? 0) - (a.downloads ?? 0)).slice(0, 1000);
  let rr = 0;
  let first = 0;
  for (const p of top) {
    const res = await service.search(INDEX, { ...PLAIN, q: p.name, size: 100 });
    const rank = res.hits.findIndex((h) => h.id === p.name) + 1;
    if (rank > 0) rr += 1 / rank;
    if (rank === 1) first++;
  }
  return { mrr: round(rr / top.length, 4), rank_first: first };
}

async function equivalenceBench(url: string, pkgs: Pkg[], queries: string[]) {
  const { engine: embedded, service: local } = await fullIndex(join(WORK_DIR, 'full'), pkgs);
  const es = createClusterEngine(clusterConfig(url), 'elasticsearch');
  const remote = new SearchService(es);
  let overlap = 0;
  let exact = 0;
  let totalsEqual = 0;
  const disagreements: string[] = [];
  for (const q of queries) {
    const [a, b] = await Promise.all([
      local.search(INDEX, { ...PLAIN, q }),
      remote.search(INDEX, { ...PLAIN, q }),
    ]);
    const ids = new Set(a.hits.map((h) => h.id));
    const denom = Math.max(a.hits.length, b.hits.length);
    overlap += denom === 0 ? 1 : b.hits.filter((h) => ids.has(h.id)).length / denom;

    const sorted = { ...PLAIN, q, sort: '-downloads' };
    const [c, d] = await Promise.all([local.search(INDEX, sorted), remote.search(INDEX, sorted)]);
    const same = c.hits.map((h) => h.id).join('\n') === d.hits.map((h) => h.id).join('\n');
    if (same) exact++;
    else if (disagreements.length < 8) disagreements.push(q);
    if (c.total === d.total) totalsEqual++;
  }
  const embeddedMrr = await mrr(local, pkgs);
  const esMrr = await mrr(remote, pkgs);
  await embedded.close();
  await es.close();
  return {
    queries: queries.length,
    top10_overlap: round(overlap / queries.length, 3),
    sorted_hits_identical: round(exact / queries.length, 3),
    totals_identical: round(totalsEqual / queries.length, 3),
    embedded_mrr: embeddedMrr.mrr,
    embedded_rank_first: embeddedMrr.rank_first,
    elasticsearch_mrr: esMrr.mrr,
    elasticsearch_rank_first: esMrr.rank_first,
    first_sorted_disagreements: disagreements,
  };
}

export async function enginesBench() {
  const pkgs = await readCorpus();
  const schema = loadSchemaFile(SCHEMA);
  const queries = realQueries(pkgs, QUERIES);
  console.log(`engines: embedded vs Elasticsearch, ${pkgs.length} documents, ${queries.length} queries`);
  const url = startElasticsearch();
  // The minimal distribution has no `GET /` (no main module): read the version off the local node.
  const nodes = (await (await fetch(`${url}/_nodes/_local`)).json()) as {
    nodes: Record<string, { version: string }>;
  };
  const version = Object.values(nodes.nodes)[0]?.version ?? 'unknown';
  console.log(`elasticsearch ${version} at ${url}`);

  const imported = await importBench(url, pkgs, schema);
  console.log('import (docs/s):');
  console.table(imported);
  const overhead = await overheadBench(url, queries, schema);
  console.log('added latency per search, one at a time (ms):');
  console.table(overhead);
  const { first_sorted_disagreements: firstDisagreements, ...equivalence } = await equivalenceBench(
    url,
    pkgs,
    queries,
  );
  console.log('equivalence (embedded vs elasticsearch):');
  console.table(equivalence);
  if (firstDisagreements.length) console.log('first sorted disagreements:', firstDisagreements.join(' | '));
  return { elasticsearch: version, import: imported, overhead, equivalence };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await enginesBench();
  process.exit(0);
}
