/**
 * Production-hardening benchmark on the full corpus, with one worker (WORKERS=1 under the worker pool's primary):
 *   cached  - GET /api/search cycling through the 300 real queries after a warm-up pass, so every measured
 *             request is a result-cache hit, at c=50; next to the bare-handler ceiling (bench/lib/bare-child.ts)
 *             at c=50 on the same URLs. Target: cached >= 60% of the ceiling's requests/s.
 *   rolling - the same load for ROLL_SECONDS while the primary gets SIGHUP (replace the worker: start a new one,
 *             wait until it listens, hand over, stop the old one). Target: zero failed requests.
 * Rate limiting is off (the load generator is one client), searches are anonymous (AUTH_PUBLIC_READS); the
 * cache is in process (no Redis).
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { startChild, REPO, type ServerChild } from './lib/child.js';
import { readCorpus, realQueries, WORK_DIR } from './lib/corpus.js';
import { fullIndex } from './lib/full-index.js';
import { round } from './lib/stats.js';
import { load, searchPath, warmHttp, type LoadResult } from './search.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROLL_SECONDS = Math.max(20, SECONDS);
const CONNECTIONS = 50;

export interface HardeningBenchResult {
  seconds_per_run: number;
  cached_c50: LoadResult;
  ceiling_c50: LoadResult;
  cached_vs_ceiling: number;
  rolling_restart: LoadResult & { restart_completed: boolean; restart_ms: number | null; failed: number };
}

interface WorkerPoolChild {
  url: string;
  /** The primary's workers (its child processes) right now. */
  workers(): number[];
  output(): string;
  hangup(): void;
  stop(): Promise<void>;
}

/** The worker pool child, with its stdout kept (the primary's log says when a rolling restart completed). */
async function startWorkerPool(env: Record<string, string>): Promise<WorkerPoolChild> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/worker-pool-child.ts'], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  process.on('exit', () => proc.kill('SIGKILL'));
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => (out = (out + s).slice(-200_000)));
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (out = (out + s).slice(-200_000)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker pool did not start:\n${out}`)), 120_000);
    const check = () => {
      const m = /^SIFT_URL (\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => reject(new Error(`worker pool exited (${code}):\n${out}`)));
  });
  return {
    url,
    workers: () => {
      try {
        // Node children only: the TypeScript loader keeps an esbuild service process of its own.
        return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(proc.pid)], { encoding: 'utf8' })
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
          .filter(([pid, comm]) => pid && comm === 'node')
          .map(([pid]) => Number(pid));
      } catch {
        return []; // ps exits 1 when there are none
      }
    },
    output: () => out,
    hangup: () => proc.kill('SIGHUP'),
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function hardeningBench(): Promise<HardeningBenchResult> {
  const dir = join(WORK_DIR, 'full');
  const pkgs = await readCorpus();
  const queries = realQueries(pkgs, 300);
  {
    const { engine } = await fullIndex(dir, pkgs);
    await engine.close();
  }
  const paths = queries.map((q) => searchPath(q, 'default'));

  let ceiling: LoadResult;
  let bare: ServerChild | undefined;
  try {
    bare = await startChild('bench/lib/bare-child.ts', { HOST: '127.0.0.1', PORT: '0' });
    await warmHttp(bare.url, paths);
    ceiling = await load(bare.url, paths, CONNECTIONS);
  } finally {
    await bare?.stop();
  }

  const sift = await startWorkerPool({
    DATA_DIR: dir,
    HOST: '127.0.0.1',
    PORT: '0',
    WORKERS: '1',
    // As in production: request logging at info would measure the log pipe, not the server.
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    LOAD_SAMPLE_DATA: 'false',
    ENVIRONMENT: 'production',
    JWT_SECRET: 'bench-only-secret-0123456789abcdef0123456789',
    DEFAULT_INDEX: 'packages',
    CACHE_TTL_SECONDS: '3600',
    RATE_LIMIT_ENABLED: 'false',
    // Anonymous searches, as a public search box would send.
    AUTH_PUBLIC_READS: 'true',
  });
  let cached: LoadResult;
  let rolling: HardeningBenchResult['rolling_restart'];
  try {
    // Warm twice: the first pass fills the cache, the second runs the hit path through the JIT.
    await warmHttp(sift.url, paths, 120_000);
    await warmHttp(sift.url, paths, 60_000);
    cached = await load(sift.url, paths, CONNECTIONS);

    const run = load(sift.url, paths, CONNECTIONS, ROLL_SECONDS);
    await new Promise((r) => setTimeout(r, 2000));
    const before = sift.workers();
    const signalled = Date.now();
    sift.hangup();
    let restartMs: number | null = null;
    // Complete when none of the old workers is left and a new one serves alone.
    while (restartMs === null && Date.now() - signalled < (ROLL_SECONDS - 2) * 1000) {
      await new Promise((r) => setTimeout(r, 100));
      const now = sift.workers();
      if (now.length === before.length && now.every((pid) => !before.includes(pid)))
        restartMs = Date.now() - signalled;
    }
    const result = await run;
    rolling = {
      ...result,
      restart_completed: restartMs !== null,
      restart_ms: restartMs,
      failed: result.errors + result.timeouts + result.non2xx,
    };
  } finally {
    await sift.stop();
  }

  const ratio = round(cached.rps / ceiling.rps, 3);
  console.log(
    `hardening: one worker, ${queries.length} real queries, c=${CONNECTIONS}, ${SECONDS} s per run`,
  );
  console.table({
    'cached search (all hits)': pick(cached),
    'ceiling: bare Fastify': pick(ceiling),
    [`SIGHUP rolling restart (${ROLL_SECONDS} s)`]: { ...pick(rolling), failed: rolling.failed },
  });
  console.log(
    `cached / ceiling = ${ratio} (target >= 0.6); rolling restart ${
      rolling.restart_completed ? `completed in ${rolling.restart_ms} ms` : 'DID NOT COMPLETE'
    } with ${rolling.failed} failed requests (target 0)`,
  );
  return {
    seconds_per_run: SECONDS,
    cached_c50: cached,
    ceiling_c50: ceiling,
    cached_vs_ceiling: ratio,
    rolling_restart: rolling,
  };
}

const pick = (r: LoadResult) => ({
  'rate (/s)': r.rps,
  p50_ms: r.p50_ms,
  p99_ms: r.p99_ms,
  errors: r.errors + r.timeouts + r.non2xx,
});

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await hardeningBench();
  console.log(JSON.stringify(result));
  process.exit(0);
}
