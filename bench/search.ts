/**
 * Query throughput and latency on the full corpus, for two parameter sets:
 *   plain   - facets= and highlight= empty: only the hits;
 *   default - no extra parameters: default facets and highlights, what a user of GET /api/search gets.
 * Three measurements each:
 *   engine  - SearchService in this process, one query at a time (after one warm-up pass);
 *   http    - the real server (bench/lib/serve-child.ts) in a child process, loaded with autocannon from this
 *             process at 1 and 50 connections, cycling through the same queries;
 *   ceiling - a bare Fastify server (bench/lib/bare-child.ts) answering a fixed 2 KB body, loaded the same way;
 *   reference - Sift (plain and default) and a plain FTS5 top-10 server on the same database
 *             (bench/peers/fts5-reference.ts), one request at a time, taking turns on the same queries.
 * During each c=50 run against Sift, /health/live is polled every 100 ms (1 s timeout).
 */
import { request } from 'node:http';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { SqliteEngine } from '../src/engines/sqlite/engine.js';
import type { RawSearchInput } from '../src/query/request.js';
import { SearchService } from '../src/service/search-service.js';
import { startChild, type ServerChild } from './lib/child.js';
import { readCorpus, realQueries, WORK_DIR } from './lib/corpus.js';
import { fullIndex } from './lib/full-index.js';
import { interleaved, type PeerResult } from './lib/interleave.js';
import { percentile, round } from './lib/stats.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = [1, 50] as const;
const INDEX = 'packages';

/** The two parameter sets, as query parameters; the in-process run passes the same values. */
const PARAM_SETS = {
  plain: { facets: '', highlight: '' },
  default: {},
} as const satisfies Record<string, Record<string, string>>;
type ParamSet = keyof typeof PARAM_SETS;

export interface EngineResult {
  queries: number;
  qps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  avg_response_bytes: number;
}

export interface LivenessResult {
  probes: number;
  max_ms: number;
  p99_ms: number;
  failures: number;
}

export interface SearchBenchResult {
  seconds_per_run: number;
  queries: number;
  engine: Record<ParamSet, EngineResult>;
  http: Record<ParamSet, { c1: LoadResult; c50: LoadResult; liveness_during_c50: LivenessResult }>;
  ceiling: { c1: LoadResult; c50: LoadResult };
  reference: {
    interleaved_c1: Record<'sift_plain' | 'sift_default' | 'fts5_reference', PeerResult>;
    /** Sift plain requests/s over the reference's (goal >= 0.8). */
    plain_vs_reference: number;
    /** Sift default p50 over Sift plain p50 (goal <= 1.3). */
    default_vs_plain_p50: number;
  };
}

export function searchPath(q: string, set: ParamSet): string {
  const params: Record<string, string> = { q, ...PARAM_SETS[set] };
  return (
    '/api/search?' +
    Object.entries(params)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&')
  );
}

async function engineRun(service: SearchService, queries: string[], set: ParamSet): Promise<EngineResult> {
  const input = (q: string): RawSearchInput => ({ q, ...PARAM_SETS[set] });
  for (const q of queries) await service.search(INDEX, input(q)).catch(() => undefined);
  let errors = 0;
  const times: number[] = [];
  const started = performance.now();
  for (const q of queries) {
    const t0 = performance.now();
    try {
      await service.search(INDEX, input(q));
    } catch {
      errors++;
    }
    times.push(performance.now() - t0);
  }
  const total = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return {
    queries: queries.length,
    qps: Math.round(queries.length / total),
    p50_ms: round(percentile(times, 50), 3),
    p99_ms: round(percentile(times, 99), 3),
    errors,
  };
}

/** autocannon at `connections` for SECONDS, each request taking the next path of `paths`. */
export function load(
  url: string,
  paths: string[],
  connections: number,
  seconds = SECONDS,
): Promise<LoadResult> {
  let next = 0;
  const latencies: number[] = [];
  let bytes = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: seconds,
        timeout: 10,
        requests: [
          { method: 'GET', setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] }) },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        latencies.sort((a, b) => a - b);
        const requests = latencies.length;
        resolve({
          connections,
          seconds: result.duration,
          requests,
          rps: Math.round(requests / result.duration),
          p50_ms: round(percentile(latencies, 50), 3),
          p99_ms: round(percentile(latencies, 99), 3),
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx: result.non2xx,
          avg_response_bytes: requests ? Math.round(bytes / requests) : 0,
        });
      },
    );
    instance.on('response', (_client, status, resBytes, ms) => {
      if (status >= 200 && status < 300) {
        latencies.push(ms);
        bytes += resBytes;
      }
    });
  });
}

/** One GET on a fresh connection (as a kubelet probe does); resolves with its latency, rejects on failure. */
function probe(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.once('end', () =>
        res.statusCode === 200
          ? resolve(performance.now() - t0)
          : reject(new Error(`status ${res.statusCode}`)),
      );
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end();
  });
}

/** Polls /health/live every 100 ms until `done` resolves. A failed or timed-out probe counts as 1 s. */
async function pollLiveness(url: string, done: Promise<unknown>): Promise<LivenessResult> {
  let finished = false;
  void done.finally(() => (finished = true)).catch(() => undefined);
  const times: number[] = [];
  let failures = 0;
  while (!finished) {
    const t0 = performance.now();
    try {
      times.push(await probe(`${url}/health/live`, 1000));
    } catch {
      failures++;
      times.push(performance.now() - t0);
    }
    const wait = 100 - (performance.now() - t0);
    if (wait > 0 && !finished) await new Promise((r) => setTimeout(r, wait));
  }
  times.sort((a, b) => a - b);
  return {
    probes: times.length,
    max_ms: round(times.at(-1) ?? NaN, 1),
    p99_ms: round(percentile(times, 99), 1),
    failures,
  };
}

/** Sequential warm-up of a server (JIT, caches), bounded in time. */
export async function warmHttp(url: string, paths: string[], maxMs = 30_000): Promise<void> {
  const until = Date.now() + maxMs;
  for (const p of paths) {
    if (Date.now() > until) return;
    const res = await fetch(url + p, { signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`warm-up: GET ${p} answered ${res.status}`);
  }
}

export async function searchBench(): Promise<SearchBenchResult> {
  // Everything is bounded: past this, exit (bench/lib/child.ts kills the children on exit).
  const limitMs = Number(process.env.BENCH_SEARCH_TIMEOUT_MS ?? 15 * 60_000 + 8 * SECONDS * 1000);
  const watchdog = setTimeout(() => {
    console.error(`search benchmark did not finish within ${limitMs} ms; stopping`);
    process.exit(1);
  }, limitMs);
  watchdog.unref();
  try {
    return await searchBenchInner();
  } finally {
    clearTimeout(watchdog);
  }
}

async function searchBenchInner(): Promise<SearchBenchResult> {
  const dir = join(WORK_DIR, 'full');
  const pkgs = await readCorpus();
  const queries = realQueries(pkgs, 300);
  {
    const { engine } = await fullIndex(dir, pkgs);
    await engine.close();
  }
  const sets = Object.keys(PARAM_SETS) as ParamSet[];

  // In-process engine rate.
  const engineResults = {} as Record<ParamSet, EngineResult>;
  {
    const engine = new SqliteEngine({ dataDir: dir });
    await engine.open();
    try {
      const service = new SearchService(engine);
      for (const set of sets) engineResults[set] = await engineRun(service, queries, set);
    } finally {
      await engine.close();
    }
  }
  console.log(`search: engine in process, ${queries.length} queries sequentially after a warm-up pass`);
  console.table(engineResults);

  const http = {} as SearchBenchResult['http'];
  let reference: SearchBenchResult['reference'];
  let child: ServerChild | undefined;
  try {
    child = await startChild('bench/lib/serve-child.ts', {
      DATA_DIR: dir,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      LOAD_SAMPLE_DATA: 'false',
      ENVIRONMENT: 'production',
      JWT_SECRET: 'bench-only-secret-0123456789abcdef0123456789',
      DEFAULT_INDEX: INDEX,
      // This benchmark measures the search itself: no result cache, no rate limit (bench/hardening.ts measures
      // the cached path).
      CACHE_TTL_SECONDS: '0',
      RATE_LIMIT_ENABLED: 'false',
      AUTH_PUBLIC_READS: 'true',
    });
    for (const set of sets) {
      const paths = queries.map((q) => searchPath(q, set));
      await warmHttp(child.url, paths);
      const c1 = await load(child.url, paths, CONCURRENCY[0]);
      const run = load(child.url, paths, CONCURRENCY[1]);
      const liveness = pollLiveness(child.url, run);
      const c50 = await run;
      http[set] = { c1, c50, liveness_during_c50: await liveness };
    }
    reference = await referenceRun(child.url, dir, queries);
  } finally {
    await child?.stop();
  }
  console.log(
    `reference: Sift and a plain FTS5 top-10 server on the same database, c=1, taking turns, ${SECONDS} s`,
  );
  console.table(reference.interleaved_c1);
  console.log(
    `plain Sift / FTS5 reference (requests/s): ${reference.plain_vs_reference}; ` +
      `default / plain (p50): ${reference.default_vs_plain_p50}`,
  );
  const httpRows: Record<string, object> = {};
  for (const set of sets) {
    httpRows[`${set} c=1`] = http[set].c1;
    httpRows[`${set} c=50`] = http[set].c50;
  }
  console.log(
    `search: HTTP GET /api/search against the Sift server in a child process, ${SECONDS} s per run`,
  );
  console.table(httpRows);
  console.log('liveness (/health/live every 100 ms) during the c=50 runs');
  console.table(Object.fromEntries(sets.map((s) => [s, http[s].liveness_during_c50])));

  let bare: ServerChild | undefined;
  let ceiling: SearchBenchResult['ceiling'];
  try {
    bare = await startChild('bench/lib/bare-child.ts', { HOST: '127.0.0.1', PORT: '0' });
    const paths = queries.map((q) => searchPath(q, 'plain'));
    await warmHttp(bare.url, paths);
    ceiling = { c1: await load(bare.url, paths, 1), c50: await load(bare.url, paths, 50) };
  } finally {
    await bare?.stop();
  }
  console.log('ceiling: bare Fastify, fixed 2 KB JSON body, same URLs');
  console.table({ 'c=1': ceiling.c1, 'c=50': ceiling.c50 });

  return {
    seconds_per_run: SECONDS,
    queries: queries.length,
    engine: engineResults,
    http,
    ceiling,
    reference,
  };
}

/** Sift (plain, default) against the FTS5 reference peer on the same database, interleaved at c=1. */
async function referenceRun(
  siftUrl: string,
  dir: string,
  queries: string[],
): Promise<SearchBenchResult['reference']> {
  const peer = await startChild('bench/peers/fts5-reference.ts', {
    SIFT_DB: join(dir, 'sift.db'),
    SIFT_INDEX: INDEX,
    HOST: '127.0.0.1',
    PORT: '0',
  });
  try {
    const refPaths = queries.map((q) => `/api/search?q=${encodeURIComponent(q)}`);
    await warmHttp(peer.url, refPaths);
    const r = await interleaved(
      [
        { name: 'sift_plain', url: siftUrl, paths: queries.map((q) => searchPath(q, 'plain')) },
        { name: 'sift_default', url: siftUrl, paths: queries.map((q) => searchPath(q, 'default')) },
        { name: 'fts5_reference', url: peer.url, paths: refPaths },
      ],
      SECONDS * 3,
    );
    const out = r as SearchBenchResult['reference']['interleaved_c1'];
    return {
      interleaved_c1: out,
      plain_vs_reference: round(out.sift_plain.rps / out.fts5_reference.rps, 3),
      default_vs_plain_p50: round(out.sift_default.p50_ms / out.sift_plain.p50_ms, 3),
    };
  } finally {
    await peer.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await searchBench();
