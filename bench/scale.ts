/**
 * Scale: the embedded engine on generated corpora of the npm corpus's size (~227k) and of 1M documents, built
 * reproducibly (seeded) from the npm corpus: new names made of real name parts, real summaries with their words
 * shuffled, popularity resampled from the real download counts. The small corpus is the first documents of the
 * large one, so every query has the same meaning at both sizes. Per size: import rate (through SearchService,
 * the path `sift import` takes), bytes per document on disk, and in a separate process (so its peak RSS is the
 * serving process's) p50/p99 per query class, with and without facets. Then the growth ratios.
 * Indexes are kept in bench/.work/scale-<docs>/ and reused while the generator and the size are unchanged.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SqliteEngine } from '../src/engines/sqlite/engine.js';
import type { RawSearchInput } from '../src/query/request.js';
import { loadSchemaFile } from '../src/schema/load.js';
import { SearchService } from '../src/service/search-service.js';
import { readCorpus, rng, SCHEMA, WORK_DIR, type Pkg } from './lib/corpus.js';
import { percentile, round } from './lib/stats.js';

const LARGE = Number(process.env.BENCH_SCALE_DOCS ?? 1_000_000);
const SEED = 20261206;
/** Bump when the generator changes, so stale indexes are rebuilt. */
const GENERATOR = 1;
const INDEX = 'packages';
const PER_CLASS = Number(process.env.BENCH_SCALE_PER_CLASS ?? 100);

const words = (s: string) => s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

/** The generated documents, in a fixed order, produced batch by batch (memory stays flat). */
export function* generate(source: Pkg[], n: number, batch = 10_000): Generator<Pkg[]> {
  const rand = rng(SEED);
  const pick = <T>(arr: T[]) => arr[Math.floor(rand() * arr.length)]!;
  const parts = [...new Set(source.flatMap((p) => p.name.split(/[@/._-]+/).filter((x) => x.length > 1)))];
  const taken = new Set<string>();
  for (let i = 0; i < n;) {
    const out: Pkg[] = [];
    for (; out.length < batch && i < n; i++) {
      const base = pick(source);
      const k = 1 + Math.floor(rand() * 3);
      let name = Array.from({ length: k }, () => pick(parts)).join('-');
      if (base.scope) name = `${base.scope}/${name}`;
      while (taken.has(name)) name = `${name}-${Math.floor(rand() * 100)}`;
      taken.add(name);
      const summary = words(pick(source).summary);
      for (let j = summary.length - 1; j > 0; j--) {
        const r = Math.floor(rand() * (j + 1));
        [summary[j], summary[r]] = [summary[r]!, summary[j]!];
      }
      // Real download counts, resampled with a little jitter: the heavy tail of npm as it is.
      const real = pick(source).downloads;
      const downloads = real === null ? null : Math.round(real * Math.exp((rand() - 0.5) * 0.4));
      out.push({ name, version: base.version, downloads, scope: base.scope, summary: summary.join(' ') });
    }
    yield out;
  }
}

interface QueryClass {
  name: string;
  queries: string[];
}

/** Query classes from the corpus (deterministic): names of the small corpus exist at both sizes. */
function queryClasses(source: Pkg[], smallNames: string[]): QueryClass[] {
  const rand = rng(SEED + 1);
  const pick = <T>(arr: T[]) => arr[Math.floor(rand() * arr.length)]!;
  const df = new Map<string, number>();
  for (const p of source) for (const w of new Set(words(p.summary))) df.set(w, (df.get(w) ?? 0) + 1);
  const byDf = [...df.entries()].filter(([w]) => w.length > 2).sort((a, b) => b[1] - a[1]);
  const rare = byDf.filter(([, n]) => n >= 2 && n <= 10).map(([w]) => w);
  const sample = (arr: string[], n: number) => {
    const out = new Set<string>();
    while (out.size < Math.min(n, arr.length)) out.add(pick(arr));
    return [...out];
  };
  const pairs: string[] = [];
  while (pairs.length < PER_CLASS) {
    const w = words(pick(source).summary).filter((x) => x.length > 2);
    if (w.length >= 2) {
      const i = Math.floor(rand() * (w.length - 1));
      pairs.push(`${w[i]} ${w[i + 1]}`);
    }
  }
  return [
    { name: 'exact names', queries: sample(smallNames, PER_CLASS) },
    { name: 'rare words', queries: sample(rare, PER_CLASS) },
    { name: 'common words', queries: byDf.slice(0, PER_CLASS).map(([w]) => w) },
    { name: 'two words', queries: pairs },
  ];
}

const FACETS: RawSearchInput = {
  facets: [{ field: 'scope' }, { field: 'downloads', stats: true }] as RawSearchInput['facets'],
};

interface ClassResult {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** Child process: every class once to warm up, then once measured; prints JSON with peak RSS. */
async function queryPhase(dir: string, classes: QueryClass[]): Promise<void> {
  const engine = new SqliteEngine({ dataDir: dir });
  await engine.open();
  const svc = new SearchService(engine);
  const out: Record<string, ClassResult> = {};
  for (const facets of [false, true]) {
    for (const c of classes) {
      const input = (q: string): RawSearchInput => ({ q, ...(facets ? FACETS : {}) });
      for (const q of c.queries) await svc.search(INDEX, input(q));
      const times: number[] = [];
      for (const q of c.queries) {
        const t0 = performance.now();
        await svc.search(INDEX, input(q));
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      out[`${c.name}${facets ? ' + facets' : ''}`] = {
        p50_ms: round(percentile(times, 50), 3),
        p99_ms: round(percentile(times, 99), 3),
        max_ms: round(times.at(-1)!, 2),
      };
    }
  }
  const zero: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await svc.search(INDEX, { q: `qqzx${i}nomatch`, ...FACETS });
    zero.push(performance.now() - t0);
  }
  zero.sort((a, b) => a - b);
  await engine.close();
  process.stdout.write(
    JSON.stringify({
      classes: out,
      zero_hit_with_facets_p50_ms: round(percentile(zero, 50), 3),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    }) + '\n',
  );
}

function runQueryChild(dir: string, classesFile: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, BENCH_SCALE_QUERY_DIR: dir, BENCH_SCALE_CLASSES: classesFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    proc.once('error', reject);
    proc.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(`exit ${code}`)),
    );
  });
}

/** Builds (or reuses) the index of the first `n` generated documents; returns its import rate, if built. */
async function build(source: Pkg[], n: number, dir: string): Promise<{ docs_per_s: number | null }> {
  const marker = join(dir, 'generator.json');
  const want = JSON.stringify({ generator: GENERATOR, seed: SEED, docs: n });
  if (existsSync(marker) && readFileSync(marker, 'utf8') === want) return { docs_per_s: null };
  rmSync(dir, { recursive: true, force: true });
  const engine = new SqliteEngine({ dataDir: dir });
  await engine.open();
  const svc = new SearchService(engine);
  await svc.putIndex(INDEX, loadSchemaFile(SCHEMA));
  const t0 = performance.now();
  let done = 0;
  // The path `sift import` takes: batches streamed into the engine's bulk load (an empty index is built once).
  async function* batches() {
    for (const batch of generate(source, n)) yield batch;
  }
  let failed = 0;
  await svc.importStream(INDEX, batches(), {
    written: (r) => {
      failed += r.failed;
      done += r.indexed + r.failed;
      if (done % 100_000 === 0)
        console.log(`  ${done} documents, ${Math.round(done / ((performance.now() - t0) / 1000))}/s`);
    },
    durable: () => undefined,
  });
  if (failed) throw new Error(`${failed} generated documents refused`);
  const rate = Math.round(n / ((performance.now() - t0) / 1000));
  await engine.close();
  writeFileSync(marker, want);
  return { docs_per_s: rate };
}

function bytesPerDoc(dir: string, n: number): number {
  const db = new Database(join(dir, 'sift.db'));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return Math.round(statSync(join(dir, 'sift.db')).size / n);
}

export async function scaleBench() {
  const source = await readCorpus();
  const sizes = [source.length, LARGE];
  const smallNames: string[] = [];
  for (const batch of generate(source, source.length)) smallNames.push(...batch.map((p) => p.name));
  const classes = queryClasses(source, smallNames);
  const classesFile = join(WORK_DIR, 'scale-queries.json');
  writeFileSync(classesFile, JSON.stringify(classes));
  const results: Record<string, Record<string, unknown>> = {};
  for (const n of sizes) {
    const dir = join(WORK_DIR, `scale-${n}`);
    console.log(`scale: ${n} generated documents in ${dir}`);
    const built = await build(source, n, dir);
    if (process.env.BENCH_SCALE_BUILD_ONLY) continue;
    const measured = await runQueryChild(dir, classesFile);
    results[n] = {
      docs: n,
      import_docs_per_s: built.docs_per_s,
      bytes_per_doc: bytesPerDoc(dir, n),
      ...measured,
    };
  }
  if (process.env.BENCH_SCALE_BUILD_ONLY) return { sizes, results, growth: {} };
  const [small, large] = sizes.map((n) => results[n]!) as [Record<string, unknown>, Record<string, unknown>];
  const table: Record<string, Record<string, number>> = {};
  const sc = small.classes as Record<string, ClassResult>;
  const lc = large.classes as Record<string, ClassResult>;
  for (const k of Object.keys(sc)) {
    table[k] = {
      [`p50 ${sizes[0]}`]: sc[k]!.p50_ms,
      [`p99 ${sizes[0]}`]: sc[k]!.p99_ms,
      [`p50 ${sizes[1]}`]: lc[k]!.p50_ms,
      [`p99 ${sizes[1]}`]: lc[k]!.p99_ms,
      'p99 growth': round(lc[k]!.p99_ms / sc[k]!.p99_ms, 2),
    };
  }
  console.log(`scale: ms per query (in process, one at a time, ${PER_CLASS} queries per class)`);
  console.table(table);
  console.table(
    Object.fromEntries(
      sizes.map((n) => [n, Object.fromEntries(Object.entries(results[n]!).filter(([k]) => k !== 'classes'))]),
    ),
  );
  return { sizes, results, growth: table };
}

if (process.env.BENCH_SCALE_QUERY_DIR) {
  const classes = JSON.parse(readFileSync(process.env.BENCH_SCALE_CLASSES!, 'utf8')) as QueryClass[];
  await queryPhase(process.env.BENCH_SCALE_QUERY_DIR, classes);
  process.exit(0);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  await scaleBench();
  process.exit(0);
}
