/**
 * Search throughput with analytics on against off (issue 20: within 5 %). Two real servers in their own processes
 * over one embedded index of the npm corpus (the first ANALYTICS_BENCH_DOCS packages), identical but for
 * ANALYTICS_ENABLED, loaded with autocannon in turns (on, off, off, on, ...: both see the same machine load), two
 * modes:
 *   uncached - CACHE_TTL_SECONDS=0: every search runs on the engine and is recorded from the answer Fastify sends;
 *   cached   - every search a response-cache hit answered by the front door, where recording is the largest share
 *              of the work (the harshest case for the recorder).
 * Production mode, one process each, rate limit off, anonymous reads, the analytics store the SQLite file beside
 * the data. Prints the ratio on/off per mode (sum of requests over sum of seconds) and per round, the servers' CPU
 * time per request on/off (the whole process, and the main thread alone: the recorder's flush runs there, GC helpers
 * and the SQLite read pool do not), and writes
 * bench/results/analytics-<time>.json with /proc/loadavg before and after: the machine may be shared, so read the
 * rounds' spread before the ratio.
 *
 * ANALYTICS_BENCH_BASELINE=<git revision> adds a third server, analytics on, running that revision's code (its own
 * copy of the data), in the same rounds: before against after a change, under the same load.
 *
 * Settings: ANALYTICS_BENCH_DOCS (50000), ANALYTICS_BENCH_ROUNDS (4), ANALYTICS_BENCH_SECONDS (5),
 * ANALYTICS_BENCH_CONNECTIONS (16), ANALYTICS_BENCH_BASELINE (none).
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { startChild, REPO, type ServerChild } from './lib/child.js';
import { readCorpus, realQueries, WORK_DIR } from './lib/corpus.js';
import { fullIndex } from './lib/full-index.js';
import { productionEnv } from './lib/pairs-env.js';
import { loadavg, round } from './lib/stats.js';
import { load, warmHttp, type LoadResult } from './search.js';
import { metricValue } from '../test/support/http-client.js';

const DOCS = Number(process.env.ANALYTICS_BENCH_DOCS ?? 50_000);
const ROUNDS = Number(process.env.ANALYTICS_BENCH_ROUNDS ?? 4);
const SECONDS = Number(process.env.ANALYTICS_BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.ANALYTICS_BENCH_CONNECTIONS ?? 16);
const BASELINE = process.env.ANALYTICS_BENCH_BASELINE || undefined;
const MODES = { uncached: '0', cached: '3600' } as const;
type Mode = keyof typeof MODES;

/** CPU time (user + system) used so far, in ms, from a /proc stat file (clock ticks of 10 ms). */
function statCpuMs(file: string): number {
  const stat = readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
/** The whole process: every thread (GC helpers, the SQLite read pool, libuv). */
const cpuMs = (pid: number) => statCpuMs(`/proc/${pid}/stat`);
/** The main thread alone: the one that answers requests, and runs the recorder's flush. */
const mainThreadCpuMs = (pid: number) => statCpuMs(`/proc/${pid}/task/${pid}/stat`);

interface Run extends LoadResult {
  /** Server CPU time per answered request: what the machine's load moves least. */
  cpu_ms_per_request: number;
  /** Of it, the main thread's: where recording a hit costs throughput. */
  main_thread_cpu_ms_per_request: number;
}

type Side = 'on' | 'off' | 'baseline';
type Round = Partial<Record<Side, Run>> & { on: Run; off: Run; ratio: number };

/** A side against off: throughput, CPU per request and main-thread CPU per request, each side over off. */
interface Ratios {
  ratio_over_off: number;
  cpu_ratio_over_off: number;
  main_thread_cpu_ratio_over_off: number;
  recorded_searches: number;
  dropped_searches: number;
}

interface ModeResult {
  ratio_on_over_off: number;
  /** Server CPU per request, on over off: the recorder's cost on the server, whatever the neighbours do. */
  cpu_ratio_on_over_off: number;
  /** The same for the main thread alone. */
  main_thread_cpu_ratio_on_over_off: number;
  rounds: Round[];
  recorded_searches: number;
  dropped_searches: number;
  /** With ANALYTICS_BENCH_BASELINE: the baseline revision's server, analytics on, measured in the same rounds. */
  baseline?: Ratios & { revision: string };
}

/**
 * The server script of another revision (ANALYTICS_BENCH_BASELINE), extracted from git beside the work files with
 * this checkout's packages, so the recorder before a change runs in the same rounds as after it.
 */
function baselineServer(revision: string): string {
  const dir = join(WORK_DIR, `baseline-${revision.replace(/[^\w.-]/g, '_')}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync(
    'bash',
    [
      '-c',
      'git archive "$1" src bench/lib/serve-child.ts package.json tsconfig.json | tar -x -C "$2"',
      '-',
      revision,
      dir,
    ],
    { cwd: REPO },
  );
  symlinkSync(realpathSync(join(REPO, 'node_modules')), join(dir, 'node_modules'));
  return join(dir, 'bench/lib/serve-child.ts');
}

const measured = async (server: ServerChild, paths: string[]): Promise<Run> => {
  const cpu0 = cpuMs(server.pid);
  const main0 = mainThreadCpuMs(server.pid);
  const result = await load(server.url, paths, CONNECTIONS, SECONDS);
  const cpu = cpuMs(server.pid) - cpu0;
  const main = mainThreadCpuMs(server.pid) - main0;
  const requests = Math.max(1, result.requests);
  return {
    ...result,
    cpu_ms_per_request: round(cpu / requests, 4),
    main_thread_cpu_ms_per_request: round(main / requests, 4),
  };
};

const describeRun = (side: Side, run: Run) =>
  `${side} ${run.rps} req/s (${run.cpu_ms_per_request} CPU ms/req, ${run.main_thread_cpu_ms_per_request} main thread)`;

async function runMode(dir: string, mode: Mode, paths: string[], baseline?: string): Promise<ModeResult> {
  const start = (analytics: boolean, script = 'bench/lib/serve-child.ts', dataDir = dir) =>
    startChild(
      script,
      productionEnv({
        DATA_DIR: dataDir,
        CACHE_TTL_SECONDS: MODES[mode],
        ANALYTICS_ENABLED: String(analytics),
      }),
    );
  const servers = new Map<Side, ServerChild>();
  try {
    servers.set('on', await start(true));
    servers.set('off', await start(false));
    if (baseline) {
      // Its own copy of the data: two recorders writing one analytics file would wait on each other's lock.
      const baselineDir = `${dir}-baseline`;
      mkdirSync(baselineDir, { recursive: true });
      copyFileSync(join(dir, 'sift.db'), join(baselineDir, 'sift.db'));
      rmSync(join(baselineDir, 'analytics.sqlite'), { force: true });
      servers.set('baseline', await start(true, baselineServer(baseline), baselineDir));
    }
    for (const server of servers.values()) await warmHttp(server.url, paths);
    const sides = [...servers.keys()];
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Who goes first turns each round, so a trend in the machine's load falls on every side.
      const runs = {} as Partial<Record<Side, Run>>;
      for (let i = 0; i < sides.length; i++) {
        const side = sides[(i + r) % sides.length]!;
        runs[side] = await measured(servers.get(side)!, paths);
      }
      const entry = { ...runs, on: runs.on!, off: runs.off!, ratio: round(runs.on!.rps / runs.off!.rps, 3) };
      rounds.push(entry);
      console.log(
        `${mode} round ${r + 1}: ${sides.map((side) => describeRun(side, runs[side]!)).join(', ')}, ` +
          `ratio on/off ${entry.ratio}`,
      );
    }
    const rate = (side: Side) =>
      rounds.reduce((s, x) => s + x[side]!.requests, 0) / rounds.reduce((s, x) => s + x[side]!.seconds, 0);
    const cpu = (side: Side, of: 'cpu_ms_per_request' | 'main_thread_cpu_ms_per_request') =>
      rounds.reduce((s, x) => s + x[side]![of] * x[side]!.requests, 0) /
      rounds.reduce((s, x) => s + x[side]!.requests, 0);
    const against = async (side: Side): Promise<Ratios> => {
      const metrics = await (await fetch(`${servers.get(side)!.url}/metrics`)).text();
      return {
        ratio_over_off: round(rate(side) / rate('off'), 3),
        cpu_ratio_over_off: round(cpu(side, 'cpu_ms_per_request') / cpu('off', 'cpu_ms_per_request'), 3),
        main_thread_cpu_ratio_over_off: round(
          cpu(side, 'main_thread_cpu_ms_per_request') / cpu('off', 'main_thread_cpu_ms_per_request'),
          3,
        ),
        recorded_searches: metricValue(metrics, 'sift_analytics_recorded_total', { kind: 'search' }),
        dropped_searches: metricValue(metrics, 'sift_analytics_dropped_total', { kind: 'search' }),
      };
    };
    const on = await against('on');
    return {
      ratio_on_over_off: on.ratio_over_off,
      cpu_ratio_on_over_off: on.cpu_ratio_over_off,
      main_thread_cpu_ratio_on_over_off: on.main_thread_cpu_ratio_over_off,
      rounds,
      recorded_searches: on.recorded_searches,
      dropped_searches: on.dropped_searches,
      ...(baseline ? { baseline: { revision: baseline, ...(await against('baseline')) } } : {}),
    };
  } finally {
    for (const server of servers.values()) await server.stop();
  }
}

const before = loadavg();
const dir = join(WORK_DIR, `analytics-${DOCS}`);
mkdirSync(dir, { recursive: true });
const pkgs = (await readCorpus()).slice(0, DOCS);
{
  const { engine } = await fullIndex(dir, pkgs);
  await engine.close();
}
// Each run starts with no analytics rows.
rmSync(join(dir, 'analytics.sqlite'), { force: true });
const paths = realQueries(pkgs, 300).map((q) => `/api/search?q=${encodeURIComponent(q)}&facets=&highlight=`);
const results = {} as Record<Mode, ModeResult>;
for (const mode of Object.keys(MODES) as Mode[]) results[mode] = await runMode(dir, mode, paths, BASELINE);
const after = loadavg();

const summary = {
  benchmark: 'analytics on vs off, search throughput',
  at: new Date().toISOString(),
  docs: DOCS,
  rounds: ROUNDS,
  seconds: SECONDS,
  connections: CONNECTIONS,
  baseline: BASELINE ?? null,
  loadavg_before: before,
  loadavg_after: after,
  results,
};
for (const mode of Object.keys(MODES) as Mode[])
  console.log(
    `${mode}: throughput with analytics on / off = ${results[mode].ratio_on_over_off}; ` +
      `server CPU per request on / off = ${results[mode].cpu_ratio_on_over_off} ` +
      `(main thread ${results[mode].main_thread_cpu_ratio_on_over_off})` +
      (results[mode].baseline
        ? `; baseline ${BASELINE} on / off = ${results[mode].baseline.ratio_over_off}, CPU ` +
          `${results[mode].baseline.cpu_ratio_over_off} (main thread ${results[mode].baseline.main_thread_cpu_ratio_over_off})`
        : ''),
  );
console.log(`load average before ${before}, after ${after}`);
const out = join(REPO, 'bench/results', `analytics-${summary.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify(summary, null, 2) + '\n');
console.log(`written to ${out}`);
