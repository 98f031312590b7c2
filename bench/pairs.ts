/**
 * Sift against its references, each pair interleaved in one run (A, B, A, B... short runs, so both sides see the
 * same machine load), printing the ratios:
 *   a. cached   - Sift, every request a response-cache hit, against a bare Fastify handler answering a fixed 2 KB
 *                 JSON (bench/lib/bare-child.ts); autocannon c=50.
 *   b. peer     - Sift on Elasticsearch (cache off) against the guide's stack: FastAPI + elasticsearch.dsl on
 *                 uvicorn, one worker (bench/peers/fastapi_es), sending the same query body; c=1 and c=50.
 *   c. overhead - Sift on Elasticsearch (cache off), one request at a time, against the very body Sift sends
 *                 POSTed straight to `_search`: Sift's time outside the engine at p50.
 *   d. import   - SearchService.importDocuments (validation, translation, bulk with retries) against the
 *                 engine's own `_bulk` fed the same translated documents, same batch size and concurrency.
 * Sift runs in production mode, one process, rate limit off, anonymous reads. Elasticsearch is the running one
 * (scripts/services/elasticsearch.sh start prints its URL). Results go to bench/results/pairs-<time>.json with
 * the load average before and after.
 *
 * Settings: PAIR_SECONDS (5) per load run, PAIR_ROUNDS (3) A/B rounds, PAIR_IMPORT_DOCS (40000) per import run,
 * PAIRS (a,b,c,d) which pairs to run; ELASTICSEARCH_BULK_DOCS and ELASTICSEARCH_BULK_CONCURRENCY, when set, for both
 * sides of pair d.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, homedir, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { limitsFromConfig } from '../src/app.js';
import { createClusterEngine } from '../src/engines/cluster/create.js';
import { ClusterEngine } from '../src/engines/cluster/engine.js';
import { DEFAULT_BATCH } from '../src/cli/commands/import.js';
import { toSource } from '../src/engines/cluster/mapping.js';
import type { ClusterTransport } from '../src/engines/cluster/transport.js';
import { loadSchemaFile } from '../src/schema/load.js';
import { SearchService } from '../src/service/search-service.js';
import { REPO, startChild, type ServerChild } from './lib/child.js';
import { readCorpus, realQueries, SCHEMA, WORK_DIR, type Pkg } from './lib/corpus.js';
import {
  clusterConfig,
  elasticsearchUrl,
  ensureElasticsearchIndex,
  importLikeTheCli,
  INDEX,
  productionEnv,
} from './lib/pairs-env.js';
import { percentile, round } from './lib/stats.js';
import { load, warmHttp, type LoadResult } from './search.js';

const SECONDS = Number(process.env.PAIR_SECONDS ?? 5);
const ROUNDS = Number(process.env.PAIR_ROUNDS ?? 3);
const IMPORT_DOCS = Number(process.env.PAIR_IMPORT_DOCS ?? 40_000);
const PAIRS = new Set((process.env.PAIRS ?? 'a,b,c,d').split(',').map((p) => p.trim()));
const PEER_DIR = join(REPO, 'bench/peers/fastapi_es');
/**
 * What Sift is asked in pairs b and c: hits, the scope facet, exact totals, no highlights, and no typo tolerance,
 * which the guide's stack does not have: with it Sift sends fuzzy clauses the peer does not, and the pair would
 * no longer compare the same query work.
 */
const siftPath = (q: string) =>
  `/api/search?q=${encodeURIComponent(q)}&size=10&facets=scope&highlight=&typo=false`;
const peerPath = (q: string) => `/api/search?q=${encodeURIComponent(q)}&size=10`;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/**
 * A query body with the order of `should` clauses, `_source` fields and a combined_fields query's `fields` set aside
 * (none changes the work: Sift lists them in the order of the schema it read back from the cluster), and object keys
 * in one order.
 */
function canonical(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v));
    return key === 'should' || key === '_source' || key === 'fields'
      ? items.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))
      : items;
  }
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([k, v]) => [k, canonical(v, k)]),
    );
  return value;
}

interface Pair {
  a: string;
  b: string;
  rounds: { a: number; b: number; ratio: number }[];
  /** Sum of B over sum of A: the ratio of the whole run. */
  ratio: number;
}

/** A, B, A, B... for ROUNDS rounds; `run` measures one side once and returns a rate. */
async function interleave(a: string, b: string, run: (side: 'a' | 'b') => Promise<number>): Promise<Pair> {
  const rounds: Pair['rounds'] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const x = await run('a');
    const y = await run('b');
    rounds.push({ a: x, b: y, ratio: round(y / x, 3) });
    console.log(`  round ${i + 1}: ${a} ${x} | ${b} ${y} | ratio ${round(y / x, 3)}`);
  }
  const sum = (k: 'a' | 'b') => rounds.reduce((n, r) => n + r[k], 0);
  return { a, b, rounds, ratio: round(sum('b') / sum('a'), 3) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
    srv.on('error', reject);
  });
}

/** The peer's venv in the user cache, made once per requirements file (versions pinned there). */
function peerVenv(): string {
  const reqs = readFileSync(join(PEER_DIR, 'requirements.txt'));
  const hash = createHash('sha256').update(reqs).digest('hex').slice(0, 12);
  const venv = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sift', `bench-peer-${hash}`);
  if (!existsSync(join(venv, 'bin', 'uvicorn'))) {
    console.log(`installing the peer's packages into ${venv}`);
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(join(venv, 'bin', 'pip'), ['install', '--quiet', '-r', join(PEER_DIR, 'requirements.txt')], {
      stdio: 'inherit',
    });
  }
  return venv;
}

async function startPeer(
  esUrl: string,
  alias: string,
  timeout: string,
): Promise<{ url: string; proc: ChildProcess }> {
  const venv = peerVenv();
  const port = await freePort();
  const proc = spawn(
    join(venv, 'bin', 'uvicorn'),
    ['app:app', '--app-dir', PEER_DIR, '--host', '127.0.0.1', '--port', String(port)],
    {
      env: {
        ...process.env,
        ES_URL: esUrl,
        ES_INDEX: alias,
        PEER_SEARCH_TIMEOUT: timeout,
        PYTHONDONTWRITEBYTECODE: '1',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  process.on('exit', () => proc.kill('SIGKILL'));
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-10_000)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) throw new Error(`peer exited:\n${stderr}`);
    const ok = await fetch(`${url}/debug/body?q=x`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return { url, proc };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`peer did not start:\n${stderr}`);
}

/** The bodies Sift's engine sends to `_search` for these queries, recorded at its transport. */
async function siftBodies(esUrl: string, queries: string[]): Promise<string[]> {
  const config = clusterConfig(esUrl, productionEnv());
  const real = createClusterEngine(config, 'elasticsearch');
  let last = '';
  const recording: ClusterTransport = {
    product: real.transport.product,
    request: (req, opts) => {
      if (req.path.endsWith('/_search')) last = JSON.stringify(req.body);
      return real.transport.request(req, opts);
    },
    openPointInTime: (i, k) => real.transport.openPointInTime(i, k),
    closePointInTime: (id) => real.transport.closePointInTime(id),
    close: () => real.transport.close(),
  };
  const engine = new ClusterEngine({ ...real.opts, transport: recording });
  const service = new SearchService(engine, limitsFromConfig(config));
  const bodies: string[] = [];
  for (const q of queries) {
    await service.search(INDEX, { q, size: 10, facets: 'scope', highlight: '', typo: false });
    bodies.push(last);
  }
  await engine.close();
  return bodies;
}

/**
 * PAIR_D_NODE_OWN_CORE=1: pair d with the node on the first core and this process on the others, as when the
 * cluster runs on machines of its own. On a shared machine Sift's translation takes CPU from the node's indexing
 * while the direct side's bodies were built before the clock started; apart, that difference is gone.
 */
const NODE_OWN_CORE = process.env.PAIR_D_NODE_OWN_CORE === '1';

/** Pins the node (every thread) to core 0 and this process to the other cores; returns the undo. */
async function pinNodeApart(esUrl: string): Promise<() => void> {
  const res = await fetch(`${esUrl}/_nodes/_local/process`);
  const body = (await res.json()) as { nodes: Record<string, { process: { id: number } }> };
  const nodePid = String(Object.values(body.nodes)[0]!.process.id);
  const all = (2 ** cpus().length - 1).toString(16);
  const others = (2 ** cpus().length - 2).toString(16);
  const pin = (mask: string, pid: string) =>
    execFileSync('taskset', ['-a', '-p', mask, pid], { stdio: 'ignore' });
  pin('1', nodePid);
  pin(others, String(process.pid));
  console.log(`  the node (pid ${nodePid}) on core 0, this process on the others`);
  return () => {
    pin(all, nodePid);
    pin(all, String(process.pid));
  };
}

/** The bulk settings of this environment, when set: both sides of pair d use them, to compare sizes. */
const bulkSettings = (): Record<string, string> =>
  Object.fromEntries(
    ['ELASTICSEARCH_BULK_DOCS', 'ELASTICSEARCH_BULK_CONCURRENCY']
      .filter((k) => process.env[k])
      .map((k) => [k, process.env[k]!]),
  );

async function importPair(
  esUrl: string,
  pkgs: Pkg[],
): Promise<Pair & { docs: number; batch_docs: number; concurrency: number }> {
  // No merge after the load: the direct side does not merge either, and a merge is not loading.
  const config = clusterConfig(esUrl, { ...bulkSettings(), ELASTICSEARCH_MERGE_AFTER_LOAD: 'false' });
  const engine = createClusterEngine(config, 'elasticsearch');
  const service = new SearchService(engine, limitsFromConfig(config));
  const schema = loadSchemaFile(SCHEMA);
  const docs = pkgs.slice(0, IMPORT_DOCS);
  const batch = config.ELASTICSEARCH_BULK_DOCS;
  const concurrency = config.ELASTICSEARCH_BULK_CONCURRENCY;
  const direct = 'import-direct';
  const through = 'import-sift';
  const alias = engine.catalogue.names.alias(direct);
  const bodies: string[] = [];
  for (let i = 0; i < docs.length; i += batch) {
    bodies.push(
      docs
        .slice(i, i + batch)
        .map(
          (p) =>
            `${JSON.stringify({ index: { _index: alias, _id: p.name } })}\n${JSON.stringify(
              toSource(schema, p.name, p as never),
            )}\n`,
        )
        .join(''),
    );
  }
  const pair = await interleave('engine _bulk (docs/s)', 'Sift import (docs/s)', async (side) => {
    const name = side === 'a' ? direct : through;
    await engine.dropIndex(name);
    await service.putIndex(name, schema);
    const t0 = process.hrtime.bigint();
    if (side === 'a') {
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < bodies.length) {
            const res = await fetch(`${esUrl}/_bulk`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-ndjson' },
              body: bodies[next++],
            });
            const json = (await res.json()) as { errors: boolean };
            if (!res.ok || json.errors) throw new Error(`direct _bulk failed: ${res.status}`);
          }
        }),
      );
      // Both sides end with the documents searchable: Sift's bulk load ends with one refresh.
      await fetch(`${esUrl}/${alias}/_refresh`, { method: 'POST' });
    } else {
      // The path `sift import` takes (the engine's bulk load), in the CLI's default batches.
      await importLikeTheCli(service, name, docs, DEFAULT_BATCH);
    }
    const rate = Math.round(docs.length / (ms(t0) / 1000));
    await engine.dropIndex(name);
    return rate;
  });
  await engine.close();
  return { ...pair, docs: docs.length, batch_docs: batch, concurrency };
}

async function main() {
  const load0 = readFileSync('/proc/loadavg', 'utf8').trim();
  console.log(
    `pairs ${[...PAIRS].join(',')}: ${ROUNDS} interleaved rounds, ${SECONDS} s per load run; loadavg ${load0}`,
  );
  const pkgs = await readCorpus();
  const queries = realQueries(pkgs, 300);
  const esUrl = elasticsearchUrl();
  await ensureElasticsearchIndex(esUrl, pkgs);
  const alias = `${productionEnv().ELASTICSEARCH_INDEX_PREFIX}${INDEX}`;
  const es = {
    SEARCH_ENGINE: 'elasticsearch',
    ELASTICSEARCH_URL: esUrl,
    DATA_DIR: join(WORK_DIR, 'es-serve'),
  };
  const siftPaths = queries.map(siftPath);
  const barePaths = queries.map((q) => `/api/search?q=${encodeURIComponent(q)}`);
  const peerPaths = queries.map(peerPath);

  const children: ServerChild[] = [];
  let peer: ChildProcess | undefined;
  const runs: Record<string, LoadResult[]> = {};
  const measured = (key: string, r: LoadResult) => {
    (runs[key] ??= []).push(r);
    if (r.errors + r.timeouts + r.non2xx) console.log(`  ${key}: ${r.errors + r.timeouts + r.non2xx} failed`);
    return r.rps;
  };
  let a: Pair | undefined;
  const b: Record<string, Pair> = {};
  let overhead: Record<string, number> | undefined;
  let d: Awaited<ReturnType<typeof importPair>> | undefined;
  let same = 0;
  try {
    if (PAIRS.has('a')) {
      const bare = await startChild('bench/lib/bare-child.ts', { HOST: '127.0.0.1', PORT: '0' });
      children.push(bare);
      const cached = await startChild(
        'bench/lib/serve-child.ts',
        productionEnv({ ...es, CACHE_TTL_SECONDS: '3600' }),
      );
      children.push(cached);
      await warmHttp(bare.url, barePaths);
      await warmHttp(cached.url, siftPaths, 120_000);
      await warmHttp(cached.url, siftPaths, 60_000);
      console.log('a. cached Sift (all hits) vs bare Fastify, c=50 (req/s)');
      a = await interleave('bare Fastify', 'Sift cached', async (side) =>
        side === 'a'
          ? measured('bare_c50', await load(bare.url, barePaths, 50, SECONDS))
          : measured('sift_cached_c50', await load(cached.url, siftPaths, 50, SECONDS)),
      );
    }
    const bodies = PAIRS.has('b') || PAIRS.has('c') ? await siftBodies(esUrl, queries) : [];
    const uncached =
      PAIRS.has('b') || PAIRS.has('c')
        ? await startChild('bench/lib/serve-child.ts', productionEnv({ ...es, CACHE_TTL_SECONDS: '0' }))
        : undefined;
    if (uncached) {
      children.push(uncached);
      await warmHttp(uncached.url, siftPaths, 120_000);
    }
    if (PAIRS.has('b') && uncached) {
      // The same query work: the peer's body must be the one Sift sends, query by query (its search timeout too).
      const timeout = (JSON.parse(bodies[0]!) as { timeout: string }).timeout;
      const started = await startPeer(esUrl, alias, timeout);
      peer = started.proc;
      const differ: string[] = [];
      for (let i = 0; i < queries.length; i++) {
        const res = await fetch(`${started.url}/debug/body?q=${encodeURIComponent(queries[i]!)}&size=10`);
        const theirs = (await res.json()) as unknown;
        if (isDeepStrictEqual(canonical(theirs), canonical(JSON.parse(bodies[i]!)))) same++;
        else if (differ.length < 3)
          differ.push(`${queries[i]}:\n  sift ${bodies[i]}\n  peer ${JSON.stringify(theirs)}`);
      }
      console.log(
        `query bodies identical (Sift's recorded at its transport vs the peer's): ${same}/${queries.length}`,
      );
      for (const diff of differ) console.log(`  differs: ${diff}`);
      await warmHttp(started.url, peerPaths, 120_000);
      for (const c of [1, 50]) {
        console.log(`b. Sift on Elasticsearch vs FastAPI + elasticsearch.dsl, c=${c} (req/s)`);
        b[`c${c}`] = await interleave('FastAPI peer', 'Sift', async (side) =>
          side === 'a'
            ? measured(`peer_c${c}`, await load(started.url, peerPaths, c, SECONDS))
            : measured(`sift_es_c${c}`, await load(uncached.url, siftPaths, c, SECONDS)),
        );
      }
    }

    if (PAIRS.has('c') && uncached) {
      console.log('c. Sift vs the same body straight to _search, one at a time');
      const siftTimes: number[] = [];
      const directTimes: number[] = [];
      for (let pass = 0; pass < 2; pass++) {
        for (let i = 0; i < queries.length; i++) {
          let t0 = process.hrtime.bigint();
          const x = await fetch(uncached.url + siftPaths[i]);
          await x.arrayBuffer();
          siftTimes.push(ms(t0));
          t0 = process.hrtime.bigint();
          const y = await fetch(`${esUrl}/${alias}/_search`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: bodies[i],
          });
          await y.arrayBuffer();
          directTimes.push(ms(t0));
          if (!x.ok || !y.ok) throw new Error(`overhead pair: ${x.status} / ${y.status}`);
        }
      }
      siftTimes.sort((p, q) => p - q);
      directTimes.sort((p, q) => p - q);
      overhead = {
        requests_each: siftTimes.length,
        sift_p50_ms: round(percentile(siftTimes, 50), 3),
        direct_p50_ms: round(percentile(directTimes, 50), 3),
        added_p50_ms: round(percentile(siftTimes, 50) - percentile(directTimes, 50), 3),
        sift_p99_ms: round(percentile(siftTimes, 99), 3),
        direct_p99_ms: round(percentile(directTimes, 99), 3),
      };
      console.log(`  ${JSON.stringify(overhead)}`);
    }

    if (PAIRS.has('d')) {
      console.log(`d. import of ${IMPORT_DOCS} documents: Sift vs the engine's _bulk (docs/s)`);
      const restore = NODE_OWN_CORE ? await pinNodeApart(esUrl) : () => undefined;
      try {
        d = await importPair(esUrl, pkgs);
      } finally {
        restore();
      }
    }

    const load1 = readFileSync('/proc/loadavg', 'utf8').trim();
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memory_gb: round(totalmem() / 2 ** 30, 1) },
      node: process.version,
      pairs: [...PAIRS],
      loadavg_before: load0,
      loadavg_after: load1,
      loadavg_1m_now: round(loadavg()[0]!, 2),
      seconds_per_run: SECONDS,
      rounds: ROUNDS,
      ...(PAIRS.has('b') ? { bodies_identical: `${same}/${queries.length}` } : {}),
      a_cached_vs_bare_c50: a,
      b_sift_vs_fastapi: PAIRS.has('b') ? b : undefined,
      c_overhead: overhead,
      d_import: d && { ...d, node_own_core: NODE_OWN_CORE },
      runs,
    };
    mkdirSync(join(REPO, 'bench/results'), { recursive: true });
    const file = join(REPO, 'bench/results', `pairs-${result.date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nloadavg before: ${load0}\nloadavg after:  ${load1}`);
    const table: Record<string, { ratio: number; goal: string }> = {};
    if (a) table['a. cached Sift / bare Fastify, c=50'] = { ratio: a.ratio, goal: '>= 0.6' };
    if (b.c1) table['b. Sift / FastAPI peer, c=1'] = { ratio: b.c1.ratio, goal: '>= 1.5' };
    if (b.c50) table['b. Sift / FastAPI peer, c=50'] = { ratio: b.c50.ratio, goal: '>= 1.5' };
    if (overhead)
      table['c. Sift time outside the engine, p50 ms'] = { ratio: overhead.added_p50_ms!, goal: '<= 0.5' };
    if (d) table['d. Sift import / engine _bulk'] = { ratio: d.ratio, goal: '>= 0.95' };
    console.table(table);
    console.log(`written to ${file}`);
  } finally {
    peer?.kill('SIGTERM');
    for (const c of children) await c.stop();
  }
}

await main();
process.exit(0);
