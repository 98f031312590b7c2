/**
 * Known-item relevance, on the embedded engine and the cluster engines.
 *
 * Exact names: for the 1,000 most-downloaded packages, search by the exact name and record where that package
 * ranks (mean reciprocal rank, how many rank first), with typo tolerance on (the default) and off.
 *
 * Typos: one-word names of popular packages, each misspelt by one edit (names of 5+ characters) or two (9+),
 * drawn by a fixed seed: a deletion, insertion, substitution or swap of neighbours after the first character (the
 * first character is kept: no engine of Sift corrects it). A misspelling that is itself a word of the index is
 * left out (it is a different query, which exact matching answers first by design) and counted. Recall@10 and MRR
 * of the intended package with typo tolerance on and off, and the latency of each against the exact name.
 *
 * On every engine: `--engine embedded,opensearch,elasticsearch` runs the same sets on each in one run (a cluster
 * index is loaded through Sift's bulk path into the node the project's service script runs, and dropped after)
 * and prints them side by side with the latency ratios. `--docs N` uses the N most downloaded packages (at least
 * 20,000, so every name of the sets is in) where loading the whole corpus into a cluster would take too long.
 *
 * `npx tsx bench/relevance.ts [--engine e1,e2] [--docs N] [--write]`: --write records the result in
 * bench/results/.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tokenize } from '../src/query/text-query.js';
import type { SearchService } from '../src/service/search-service.js';
import { clusterIndex, type ClusterProduct } from './lib/cluster-index.js';
import { readCorpus, rng, WORK_DIR, type Pkg } from './lib/corpus.js';
import { fullIndex } from './lib/full-index.js';
import { percentile, round } from './lib/stats.js';

const SEARCH = { size: 100, facets: '', highlight: [] as string[], fields: 'name' };

async function rankOf(service: SearchService, q: string, target: string, typo: boolean): Promise<number> {
  const res = await service.search('packages', { ...SEARCH, q, typo });
  return res.hits.findIndex((h) => h.id === target) + 1;
}

async function exactNames(service: SearchService, pkgs: Pkg[], typo: boolean) {
  const top = [...pkgs].sort((a, b) => (b.downloads ?? 0) - (a.downloads ?? 0)).slice(0, 1000);
  let rr = 0;
  let first = 0;
  let missing = 0;
  const misses: string[] = [];
  for (const p of top) {
    const rank = await rankOf(service, p.name, p.name, typo);
    if (rank === 0) missing++;
    else rr += 1 / rank;
    if (rank === 1) first++;
    else if (misses.length < 10) misses.push(`${p.name} -> ${rank || '>100'}`);
  }
  return { queries: top.length, mrr: rr / top.length, rank_first: first, not_in_top_100: missing, misses };
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** One random edit at a position after the first character. */
function edit(word: string, rand: () => number): string {
  const at = 1 + Math.floor(rand() * (word.length - 1));
  const letter = LETTERS[Math.floor(rand() * LETTERS.length)]!;
  switch (Math.floor(rand() * 4)) {
    case 0:
      return word.slice(0, at) + word.slice(at + 1);
    case 1:
      return word.slice(0, at) + letter + word.slice(at);
    case 2:
      return word.slice(0, at) + (letter === word[at] ? 'z' : letter) + word.slice(at + 1);
    default:
      return at + 1 < word.length
        ? word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2)
        : word + letter;
  }
}

export interface TypoQuery {
  q: string;
  target: string;
  edits: 1 | 2;
}

/** The typo set: popular one-word names, misspelt by a fixed seed. */
export function typoSet(pkgs: Pkg[], perKind = 200): TypoQuery[] {
  const rand = rng(1616);
  const words = [...pkgs]
    .sort((a, b) => (b.downloads ?? 0) - (a.downloads ?? 0))
    .slice(0, 20_000)
    .map((p) => p.name)
    .filter((n) => /^[a-z]+$/.test(n) && tokenize(n).length === 1);
  const out: TypoQuery[] = [];
  const seen = new Set<string>();
  for (const [edits, minLength] of [
    [1, 5],
    [2, 9],
  ] as const) {
    const pool = words.filter((w) => w.length >= minLength);
    let made = 0;
    for (let guard = 0; made < perKind && guard < perKind * 20; guard++) {
      const target = pool[Math.floor(rand() * pool.length)]!;
      let q = edit(target, rand);
      if (edits === 2) q = edit(q, rand);
      // The typed word must be long enough for its edits: the budget follows what was typed.
      if (q === target || seen.has(q) || q.length < minLength) continue;
      seen.add(q);
      out.push({ q, target, edits });
      made++;
    }
  }
  return out;
}

interface Timing {
  p50_ms: number;
  p95_ms: number;
  mean_ms: number;
}
const timing = (ms: number[]): Timing => {
  const s = [...ms].sort((a, b) => a - b);
  return {
    p50_ms: round(percentile(s, 50), 3),
    p95_ms: round(percentile(s, 95), 3),
    mean_ms: round(s.reduce((a, b) => a + b, 0) / s.length, 3),
  };
};

async function typos(service: SearchService, pkgs: Pkg[]) {
  const drawn = typoSet(pkgs);
  // A misspelling the index holds as a word is another query: left out, and counted.
  const set: TypoQuery[] = [];
  let realWords = 0;
  for (const t of drawn) {
    const exact = await service.search('packages', { q: `${t.q} `, size: 0, typo: false });
    if (exact.total > 0) realWords++;
    else set.push(t);
  }
  const score = async (typo: boolean, edits?: 1 | 2) => {
    let rr = 0;
    let top10 = 0;
    const subset = set.filter((t) => edits === undefined || t.edits === edits);
    for (const t of subset) {
      const rank = await rankOf(service, t.q, t.target, typo);
      if (rank) rr += 1 / rank;
      if (rank && rank <= 10) top10++;
    }
    return {
      queries: subset.length,
      recall_at_10: round(top10 / subset.length, 3),
      mrr: round(rr / subset.length, 3),
    };
  };
  const quality = {
    typo_on: await score(true),
    typo_on_one_edit: await score(true, 1),
    typo_on_two_edits: await score(true, 2),
    typo_off: await score(false),
  };
  // Latency, interleaved so drift on a shared machine hits every kind alike: the misspelt query (typos on), the
  // exact name with typos on (it is widened too) and off (what a search cost before typo tolerance).
  const kinds = {
    typo_query: (t: TypoQuery) => ({ q: t.q, typo: true }),
    exact_query_typo_on: (t: TypoQuery) => ({ q: t.target, typo: true }),
    exact_query_typo_off: (t: TypoQuery) => ({ q: t.target, typo: false }),
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  const page = { size: 10, facets: '', highlight: [], fields: 'name' };
  for (let round = 0; round < 3; round++) {
    for (const t of set) {
      for (const [kind, make] of Object.entries(kinds)) {
        const started = performance.now();
        await service.search('packages', { ...page, ...make(t) });
        if (round > 0) times[kind]!.push(performance.now() - started);
      }
    }
  }
  const latency = Object.fromEntries(Object.entries(times).map(([k, ms]) => [k, timing(ms)]));
  const examples = set.slice(0, 8).map((t) => `${t.q} -> ${t.target}`);
  return { drawn: drawn.length, left_out_real_words: realWords, quality, latency, examples };
}

export async function relevance(): Promise<Record<string, number>> {
  const pkgs = await readCorpus();
  const { engine, service } = await fullIndex(join(WORK_DIR, 'full'), pkgs);
  const exact = await exactNames(service, pkgs, true);
  await engine.close();
  const out = {
    queries: exact.queries,
    mrr: exact.mrr,
    rank_first: exact.rank_first,
    not_in_top_100: exact.not_in_top_100,
  };
  console.log('relevance (exact-name queries for the 1,000 most-downloaded packages)');
  console.table(out);
  if (exact.misses.length) console.log('first misses:', exact.misses.join(', '));
  return out;
}

/** The queries issue 16 names, and where the package meant ranks (1 = first). */
const NAMED: [string, string][] = [
  ['reakt', 'react'],
  ['expres', 'express'],
  ['lodsh', 'lodash'],
  ['react', 'react'],
  ['the react', 'react'],
];

async function namedQueries(service: SearchService) {
  const out: Record<string, number | string> = {};
  for (const [q, target] of NAMED) {
    const rank = await rankOf(service, q, target, true);
    const top = (await service.search('packages', { ...SEARCH, q, size: 1 })).hits[0]?.id ?? '-';
    out[`${q} -> ${target}`] = rank ? `${rank} (first: ${top})` : `>100 (first: ${top})`;
  }
  return out;
}

type EngineName = 'embedded' | ClusterProduct;
const ENGINES: readonly EngineName[] = ['embedded', 'opensearch', 'elasticsearch'];

/** The index the sets run against: the embedded engine's (built once and kept), or a cluster's (loaded each run). */
async function openIndex(name: EngineName, pkgs: Pkg[], all: boolean) {
  if (name === 'embedded') {
    const { engine, service } = await fullIndex(join(WORK_DIR, all ? 'full' : `top-${pkgs.length}`), pkgs);
    return { service, load_seconds: null, close: () => engine.close() };
  }
  const started = performance.now();
  const index = await clusterIndex(name, pkgs);
  return {
    service: index.service,
    load_seconds: round((performance.now() - started) / 1000, 1),
    close: index.close,
  };
}

/** Exact names with typos on and off, and the typo set, on one engine. */
export async function relevanceWithTypos(name: EngineName, pkgs: Pkg[], all: boolean) {
  const { service, load_seconds, close } = await openIndex(name, pkgs, all);
  const load_before = loadavg().map((x) => round(x, 2));
  try {
    const exactOn = await exactNames(service, pkgs, true);
    const exactOff = await exactNames(service, pkgs, false);
    const typo = await typos(service, pkgs);
    const named = await namedQueries(service);
    const result = {
      date: new Date().toISOString(),
      engine: name,
      documents: pkgs.length,
      load_seconds,
      loadavg_before: load_before,
      loadavg_after: loadavg().map((x) => round(x, 2)),
      exact_names: {
        typo_on: { ...exactOn, misses: undefined },
        typo_off: { ...exactOff, misses: undefined },
      },
      typos: typo,
      named_queries: named,
    };
    console.log(`${name}: exact names (1,000 most downloaded): typo tolerance on / off`);
    console.table({ on: result.exact_names.typo_on, off: result.exact_names.typo_off });
    console.log(
      `typo set: ${typo.drawn} drawn, ${typo.left_out_real_words} left out (real words of the index)`,
    );
    console.table(typo.quality);
    console.table(typo.latency);
    console.log('examples:', typo.examples.join(', '));
    console.table(named);
    return result;
  } finally {
    await close();
  }
}

type EngineResult = Awaited<ReturnType<typeof relevanceWithTypos>>;

/**
 * The engines side by side: quality, what typo tolerance costs on each (misspelt query, and exact query with typos
 * on, over the exact query with typos off, at p50) and each engine's p50 over the first engine's.
 */
function compare(results: EngineResult[]) {
  const base = results[0]!;
  const p50 = (r: EngineResult, kind: string) => r.typos.latency[kind]!.p50_ms;
  const rows = Object.fromEntries(
    results.map((r) => [
      r.engine,
      {
        exact_mrr: round(r.exact_names.typo_on.mrr, 3),
        typo_mrr: r.typos.quality.typo_on.mrr,
        typo_recall_at_10: r.typos.quality.typo_on.recall_at_10,
        typo_off_mrr: r.typos.quality.typo_off.mrr,
        typo_p50_ms: p50(r, 'typo_query'),
        exact_p50_ms: p50(r, 'exact_query_typo_off'),
        typo_over_exact: round(p50(r, 'typo_query') / p50(r, 'exact_query_typo_off'), 2),
        exact_typo_on_over_off: round(p50(r, 'exact_query_typo_on') / p50(r, 'exact_query_typo_off'), 2),
        [`typo_p50_over_${base.engine}`]: round(p50(r, 'typo_query') / p50(base, 'typo_query'), 2),
        [`exact_p50_over_${base.engine}`]: round(
          p50(r, 'exact_query_typo_off') / p50(base, 'exact_query_typo_off'),
          2,
        ),
      },
    ]),
  );
  console.log('engines side by side (latency ratios at p50)');
  console.table(rows);
  return rows;
}

function option(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const engines = (option('--engine') ?? 'embedded').split(',').map((e) => e.trim()) as EngineName[];
  const bad = engines.filter((e) => !ENGINES.includes(e));
  if (bad.length || !engines.length)
    throw new Error(`--engine takes ${ENGINES.join(', ')} (comma-separated)`);
  const corpus = await readCorpus();
  const docs = Number(option('--docs') ?? corpus.length);
  if (!Number.isInteger(docs) || docs < 20_000) throw new Error('--docs takes an integer of at least 20000');
  // A subset is the most downloaded packages: every exact name and typo target of the sets is among them.
  const all = docs >= corpus.length;
  const pkgs = all
    ? corpus
    : [...corpus].sort((a, b) => (b.downloads ?? 0) - (a.downloads ?? 0)).slice(0, docs);
  const results: EngineResult[] = [];
  for (const name of engines) results.push(await relevanceWithTypos(name, pkgs, all));
  const comparison = results.length > 1 ? compare(results) : undefined;
  if (process.argv.includes('--write')) {
    const date = results[0]!.date;
    const kind = results.length > 1 || engines[0] !== 'embedded' ? 'relevance-engines' : 'relevance-typos';
    const file = fileURLToPath(
      new URL(`./results/${kind}-${date.replace(/[:.]/g, '-')}.json`, import.meta.url),
    );
    const record =
      results.length > 1 ? { date, documents: pkgs.length, comparison, engines: results } : results[0];
    writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
    console.log(`recorded in bench/results/${file.split('/').pop()}`);
  }
}
