/**
 * Bulk import, end to end: the real CLI (`sift import <file> --json`, compiled as installed) in a child process, into an empty index
 * (the bulk-load path: rows first, text and B-tree indexes built once) and into a live index (batch by batch),
 * with a raw FTS5 load of the same rows as the peer in the same run, interleaved round by round so that a busy
 * machine slows both alike. Reports docs/s by the CLI's own timer (input read to last commit) and by the wall
 * clock from spawn to exit, the ratio to raw FTS5, the child's peak RSS and the bytes per document on disk.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  createReadStream,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { createGunzip, gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { REPO } from './lib/child.js';
import { CORPUS, WORK_DIR } from './lib/corpus.js';
import { round } from './lib/stats.js';

const TIMEOUT_MS = Number(process.env.BENCH_IMPORT_TIMEOUT_MS ?? 15 * 60_000);
const ROUNDS = Number(process.env.BENCH_IMPORT_ROUNDS ?? 2);
const SCHEMA_FILE = 'data/sample/packages.schema.yaml';
/** The CLI as installed (`bin` of package.json): compiled, so the wall clock holds no transpiling. */
const CLI = 'dist/bin/sift.js';

/** Compiles the CLI from the current source, as `npm run build` does (the page's assets are not needed here). */
function buildCli(): void {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: REPO,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) throw new Error(`compiling the CLI failed (exit ${tsc.status})`);
}

interface CliSummary {
  indexed: number;
  failed: number;
  seconds: number;
  docs_per_second: number;
  load: string;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const f of readdirSync(dir)) {
    const s = statSync(join(dir, f));
    if (s.isFile()) total += s.size;
  }
  return total;
}

/** Highest resident set size of a process so far (Linux); null where /proc is not there. */
function peakRss(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const CLOCK_TICKS = 100; // USER_HZ: /proc reports CPU time in these on Linux

/**
 * CPU seconds (user + system, all threads) a process has used so far (Linux); null where /proc is not there.
 * Less noisy than rates on a shared machine: other processes slow the import down, they add little to its CPU.
 */
function cpuSeconds(pid: number): number | null {
  try {
    // The fields after the command name, which is in parentheses and may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** The 1, 5 and 15 minute load averages (Linux), for the log of a round. */
function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{
  code: number | null;
  stdout: string;
  stderr: string;
  wall: number;
  peakRss: number | null;
  cpu: number | null;
}> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const proc = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let peak: number | null = null;
    let cpu: number | null = null;
    // The kernel keeps the high-water mark and the CPU time; they are gone once the process exits, so they are
    // read while it runs (the CPU time misses at most the last 50 ms).
    const sampler = setInterval(() => {
      const now = proc.pid ? peakRss(proc.pid) : null;
      if (now !== null) peak = Math.max(peak ?? 0, now);
      cpu = (proc.pid ? cpuSeconds(proc.pid) : null) ?? cpu;
    }, 50);
    const kill = () => proc.kill('SIGKILL');
    process.once('exit', kill);
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`sift import did not finish within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    proc.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr = (stderr + s).slice(-20_000);
    });
    const done = () => {
      clearInterval(sampler);
      clearTimeout(timer);
      process.off('exit', kill);
    };
    proc.once('error', (err) => {
      done();
      reject(err);
    });
    proc.once('close', (code) => {
      done();
      resolve({ code, stdout, stderr, wall: (performance.now() - started) / 1000, peakRss: peak, cpu });
    });
  });
}

async function importCli(dataDir: string, file: string, withSchema: boolean) {
  const args = ['import', file, '--index', 'packages', '--json'];
  if (withSchema) args.push('--schema', SCHEMA_FILE);
  const env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', LOAD_SAMPLE_DATA: 'false' };
  const { code, stdout, stderr, wall, peakRss, cpu } = await runCli(args, env);
  let summary: CliSummary;
  try {
    summary = JSON.parse(stdout) as CliSummary;
  } catch {
    throw new Error(
      `sift import exited ${code} without a JSON summary\nstdout: ${stdout.slice(0, 2000)}\nstderr: ${stderr}`,
    );
  }
  if (code !== 0 && summary.failed === 0) throw new Error(`sift import exited ${code}\n${stderr}`);
  return { summary, wall, peakRss, cpu };
}

async function readRows(): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  const lines = createInterface({
    input: createReadStream(CORPUS).pipe(createGunzip()),
    crlfDelay: Infinity,
  });
  for await (const line of lines) if (line.trim()) rows.push(JSON.parse(line) as Record<string, unknown>);
  return rows;
}

/**
 * The peer: the same rows into one plain FTS5 table (same tokenizer and prefix indexes, its own copy of the
 * text), WAL and synchronous=FULL like the engine, one transaction, reading and parsing the same gzip file.
 * What it does not do (typed columns, the original JSON, validation, B-tree indexes, the rank table) is what
 * the ratio prices.
 */
async function rawFts5(dir: string): Promise<{ docs: number; seconds: number; bytes: number }> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(
    `CREATE VIRTUAL TABLE f USING fts5(name, scope, summary, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')`,
  );
  const insert = db.prepare('INSERT INTO f (name, scope, summary) VALUES (?, ?, ?)');
  let docs = 0;
  db.exec('BEGIN');
  const lines = createInterface({
    input: createReadStream(CORPUS).pipe(createGunzip()),
    crlfDelay: Infinity,
  });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const p = JSON.parse(line) as { name: string; scope: string | null; summary: string };
    insert.run(p.name, p.scope, p.summary);
    docs++;
  }
  db.exec('COMMIT');
  db.close();
  const seconds = (performance.now() - started) / 1000;
  return { docs, seconds, bytes: dirBytes(dir) };
}

export async function importBench(): Promise<Record<string, number | string | null>> {
  buildCli();
  const base = join(WORK_DIR, 'import');
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  // The live-index input: the same packages under new names, so every one is a new document of a live index.
  const renamed = join(base, 'renamed.ndjson.gz');
  const rows = await readRows();
  writeFileSync(
    renamed,
    gzipSync(rows.map((r) => JSON.stringify({ ...r, name: `live-${String(r.name)}` })).join('\n') + '\n'),
  );

  type Run = { rate: number; wall: number; rss: number | null; docs: number; perCpu: number | null };
  const empty: (Run & { bytes: number })[] = [];
  const live: Run[] = [];
  const perCpu = (docs: number, cpu: number | null) => (cpu ? docs / cpu : null);
  const raw: { rate: number; bytes: number }[] = [];
  for (let round_ = 0; round_ < ROUNDS; round_++) {
    const r = await rawFts5(join(base, 'raw'));
    raw.push({ rate: r.docs / r.seconds, bytes: r.bytes / r.docs });

    const dataDir = join(base, 'sift');
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    const first = await importCli(dataDir, CORPUS, true);
    if (first.summary.load !== 'rebuild') throw new Error(`expected a bulk load, got ${first.summary.load}`);
    const db = new Database(join(dataDir, 'sift.db'));
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const bytes = dirBytes(dataDir);
    empty.push({
      rate: first.summary.docs_per_second,
      wall: first.summary.indexed / first.wall,
      rss: first.peakRss,
      bytes: bytes / first.summary.indexed,
      docs: first.summary.indexed,
      perCpu: perCpu(first.summary.indexed, first.cpu),
    });

    const second = await importCli(dataDir, renamed, false);
    if (second.summary.load !== 'batches') throw new Error(`expected batches, got ${second.summary.load}`);
    live.push({
      rate: second.summary.docs_per_second,
      wall: second.summary.indexed / second.wall,
      rss: second.peakRss,
      docs: second.summary.indexed,
      perCpu: perCpu(second.summary.indexed, second.cpu),
    });
    console.log(
      `round ${round_ + 1}: raw FTS5 ${Math.round(r.docs / r.seconds)} docs/s, empty ${first.summary.docs_per_second}, ` +
        `live ${second.summary.docs_per_second} (${Math.round(live.at(-1)!.perCpu ?? 0)} per CPU-second), ` +
        `load ${loadAverage()}`,
    );
  }
  if (!process.env.BENCH_KEEP) rmSync(base, { recursive: true, force: true });

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const medianOrNull = (xs: (number | null)[]) =>
    xs.some((x) => x === null) ? null : Math.round(median(xs as number[]));
  const maxOf = (xs: (number | null)[]) =>
    xs.some((x) => x === null) ? null : Math.max(...(xs as number[]));
  const rawRate = median(raw.map((x) => x.rate));
  const emptyRate = median(empty.map((x) => x.rate));
  const liveRate = median(live.map((x) => x.rate));
  const mb = (b: number | null) => (b === null ? null : round(b / 1e6, 1));
  const out = {
    docs: empty[0]!.docs,
    rounds: ROUNDS,
    raw_fts5_docs_per_second: Math.round(rawRate),
    empty_docs_per_second: Math.round(emptyRate),
    empty_vs_raw: round(emptyRate / rawRate, 2),
    empty_wall_docs_per_second: Math.round(median(empty.map((x) => x.wall))),
    live_docs_per_second: Math.round(liveRate),
    live_vs_raw: round(liveRate / rawRate, 2),
    live_wall_docs_per_second: Math.round(median(live.map((x) => x.wall))),
    empty_docs_per_cpu_second: medianOrNull(empty.map((x) => x.perCpu)),
    live_docs_per_cpu_second: medianOrNull(live.map((x) => x.perCpu)),
    peak_rss_mb_empty: mb(maxOf(empty.map((x) => x.rss))),
    peak_rss_mb_live: mb(maxOf(live.map((x) => x.rss))),
    bytes_per_doc: Math.round(median(empty.map((x) => x.bytes))),
    raw_fts5_bytes_per_doc: Math.round(median(raw.map((x) => x.bytes))),
    corpus_gz_mb: round(statSync(CORPUS).size / 1e6, 1),
  };
  console.log(
    `import (sift import in a child process; rates by the CLI's timer, wall = spawn to exit; raw FTS5 interleaved)`,
  );
  console.table(out);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) await importBench();
