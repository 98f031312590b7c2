/**
 * CPU profile of one Sift server under load: `npx tsx bench/profile.ts [cached|uncached|elasticsearch]`.
 * Starts the real server (bench/lib/serve-child.ts, production settings, rate limit off) under `--cpu-prof`,
 * warms it, loads it with autocannon at c=50 for BENCH_SECONDS, stops it and prints the functions with the most
 * self time and the files they are in. The .cpuprofile is kept in bench/.work/profiles (open it in Chrome's
 * DevTools for the call tree).
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO, startChild } from './lib/child.js';
import { readCorpus, realQueries, WORK_DIR } from './lib/corpus.js';
import { fullIndex } from './lib/full-index.js';
import { load, searchPath, warmHttp } from './search.js';
import { productionEnv, elasticsearchUrl, ensureElasticsearchIndex } from './lib/pairs-env.js';

const mode = (process.argv[2] ?? 'cached') as 'cached' | 'uncached' | 'elasticsearch';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

function summarize(file: string, top = 30): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[] };
  const self = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    total += hits;
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    const where = url.startsWith(REPO) ? relative(REPO, url) : url || '(native)';
    const key = `${n.callFrame.functionName || '(anonymous)'}  ${where}:${n.callFrame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + hits);
    const group = where.replace(/node_modules\/((?:@[^/]+\/)?[^/]+).*/, 'node_modules/$1');
    byFile.set(group, (byFile.get(group) ?? 0) + hits);
  }
  const pct = (h: number) => `${((100 * h) / total).toFixed(1)}%`;
  // Inclusive time: a node's own samples plus its subtree's, counted once per function on each stack.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const inclusive = new Map<string, number>();
  const walk = (n: Node, onStack: Set<string>): number => {
    let hits = n.hitCount ?? 0;
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    const where = url.startsWith(REPO) ? relative(REPO, url) : url || '(native)';
    const key = `${n.callFrame.functionName || '(anonymous)'}  ${where}:${n.callFrame.lineNumber + 1}`;
    const fresh = !onStack.has(key);
    if (fresh) onStack.add(key);
    for (const c of n.children ?? []) hits += walk(byId.get(c)!, onStack);
    if (fresh) {
      onStack.delete(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + hits);
    }
    return hits;
  };
  walk(profile.nodes[0]!, new Set());
  console.log(`\nself time by function (${total} samples):`);
  for (const [k, h] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(pct(h).padStart(6), k);
  console.log('\ninclusive time of Sift and Fastify functions:');
  for (const [k, h] of [...inclusive]
    .filter(([k]) => k.includes('src/') || k.includes('fastify'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top))
    console.log(pct(h).padStart(6), k);
  console.log('\nself time by file or package:');
  for (const [k, h] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(pct(h).padStart(6), k);
}

const pkgs = await readCorpus();
const queries = realQueries(pkgs, 300);
const paths = queries.map((q) => searchPath(q, 'default'));
const env = productionEnv({
  CACHE_TTL_SECONDS: mode === 'cached' ? '3600' : '0',
  DATA_DIR: join(WORK_DIR, mode === 'elasticsearch' ? 'es-serve' : 'full'),
});
if (mode === 'elasticsearch') {
  const url = elasticsearchUrl();
  await ensureElasticsearchIndex(url, pkgs);
  Object.assign(env, { SEARCH_ENGINE: 'elasticsearch', ELASTICSEARCH_URL: url });
} else {
  const { engine } = await fullIndex(join(WORK_DIR, 'full'), pkgs);
  await engine.close();
}
const dir = join(WORK_DIR, 'profiles');
mkdirSync(dir, { recursive: true });
const started = Date.now();
const child = await startChild('bench/lib/serve-child.ts', env, 120_000, [
  '--cpu-prof',
  `--cpu-prof-dir=${dir}`,
]);
await warmHttp(child.url, paths, 120_000);
if (mode === 'cached') await warmHttp(child.url, paths, 60_000);
const result = await load(child.url, paths, 50, SECONDS);
console.log(
  `${mode}: ${result.rps} req/s, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms (c=50, ${SECONDS} s)`,
);
await child.stop(30_000);
const profiles = readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .map((f) => join(dir, f))
  .filter((f) => statSync(f).mtimeMs >= started)
  // The main thread's profile is the biggest (the TypeScript loader's thread writes one too).
  .sort((a, b) => statSync(b).size - statSync(a).size);
if (!profiles[0]) throw new Error('no profile written');
console.log(`profile: ${relative(REPO, profiles[0])}`);
summarize(profiles[0]);
process.exit(0);
