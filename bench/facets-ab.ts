/**
 * Facets A/B on the embedded engine: the engine's search function before the facet table (any earlier commit,
 * `BENCH_AB_OLD`, checked out of git into bench/.work) and now, taking turns per query on one read-only connection
 * over a generated corpus of bench/scale.ts (run that first: it builds bench/.work/scale-<docs>/ and the query
 * classes). Per class: old and new with the scale benchmark's facets (scope terms + downloads stats), and new
 * without facets, after one warm-up pass of each. Every query's facets are compared between old and new.
 *
 *   BENCH_AB_OLD=<commit> BENCH_SCALE_DOCS=1000000 npx tsx bench/facets-ab.ts
 *
 * Then (BENCH_AB_MIGRATION=1) the facet table is dropped and the engine opened, which builds it again: the time a
 * database made before the facet table takes to open once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { dropFacetSql } from '../src/engines/sqlite/ddl.js';
import { SqliteEngine } from '../src/engines/sqlite/engine.js';
import { runSearch } from '../src/engines/sqlite/search.js';
import { buildSearchRequest, type RawSearchInput } from '../src/query/request.js';
import type { SearchRequest, SearchResult } from '../src/query/types.js';
import type { IndexSchema } from '../src/schema/types.js';
import { WORK_DIR } from './lib/corpus.js';
import { percentile, round } from './lib/stats.js';

type Search = (db: Database.Database, tid: number, schema: IndexSchema, req: SearchRequest) => SearchResult;

const DOCS = Number(process.env.BENCH_SCALE_DOCS ?? 1_000_000);
const OLD = process.env.BENCH_AB_OLD;
const PER_CLASS = Number(process.env.BENCH_AB_PER_CLASS ?? 50);
const FACETS: RawSearchInput = {
  facets: [{ field: 'scope' }, { field: 'downloads', stats: true }] as RawSearchInput['facets'],
};

async function oldSearch(commit: string): Promise<Search> {
  const dir = join(WORK_DIR, `old-${commit}`);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    const tar = execFileSync('git', ['archive', commit, 'src'], { maxBuffer: 1 << 30 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
  }
  return ((await import(join(dir, 'src/engines/sqlite/search.ts'))) as { runSearch: Search }).runSearch;
}

const dbDir = join(WORK_DIR, `scale-${DOCS}`);
if (!OLD) throw new Error('BENCH_AB_OLD=<commit before the change> is required');
const before = await oldSearch(OLD);
const db = new Database(join(dbDir, 'sift.db'), { readonly: true, fileMustExist: true });
// As the reader threads set them.
db.pragma('cache_size = -32768');
db.pragma('mmap_size = 268435456');
const row = db.prepare(`SELECT tid, schema FROM sift_indexes WHERE name = 'packages'`).get() as {
  tid: number;
  schema: string;
};
const schema = JSON.parse(row.schema) as IndexSchema;
const classes = JSON.parse(readFileSync(join(WORK_DIR, 'scale-queries.json'), 'utf8')) as {
  name: string;
  queries: string[];
}[];

const req = (q: string, facets: boolean) =>
  buildSearchRequest({ q, ...(facets ? FACETS : {}) }, schema).request;
const time = (search: Search, r: SearchRequest) => {
  const t0 = performance.now();
  const out = search(db, row.tid, schema, r);
  return { ms: performance.now() - t0, out };
};

const results: Record<string, Record<string, number>> = {};
let differ = 0;
for (const c of classes) {
  const queries = c.queries.slice(0, PER_CLASS);
  for (const q of queries) {
    before(db, row.tid, schema, req(q, true));
    runSearch(db, row.tid, schema, req(q, true));
    runSearch(db, row.tid, schema, req(q, false));
  }
  const t = { old: [] as number[], new: [] as number[], plain: [] as number[] };
  queries.forEach((q, i) => {
    // Alternating which goes first, so neither always finds the other's pages in cache.
    const a = i % 2 === 0 ? time(before, req(q, true)) : null;
    const b = time(runSearch, req(q, true));
    const a2 = a ?? time(before, req(q, true));
    t.old.push(a2.ms);
    t.new.push(b.ms);
    t.plain.push(time(runSearch, req(q, false)).ms);
    if (JSON.stringify(a2.out.facets) !== JSON.stringify(b.out.facets)) {
      differ++;
      console.error(`facets differ for ${JSON.stringify(q)}`);
    }
  });
  for (const k of Object.keys(t) as (keyof typeof t)[]) t[k].sort((x, y) => x - y);
  results[c.name] = {
    old_facets_p50: round(percentile(t.old, 50), 2),
    old_facets_p99: round(percentile(t.old, 99), 2),
    new_facets_p50: round(percentile(t.new, 50), 2),
    new_facets_p99: round(percentile(t.new, 99), 2),
    new_plain_p50: round(percentile(t.plain, 50), 2),
    new_plain_p99: round(percentile(t.plain, 99), 2),
  };
}
db.close();
console.log(
  `facets A/B, ${DOCS} documents, ${PER_CLASS} queries per class, ms; loadavg ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
);
console.table(results);
console.log(JSON.stringify({ docs: DOCS, old: OLD, per_class: PER_CLASS, differ, classes: results }));

if (process.env.BENCH_AB_MIGRATION) {
  const raw = new Database(join(dbDir, 'sift.db'));
  for (const sql of dropFacetSql(row.tid)) raw.exec(sql);
  raw.close();
  const engine = new SqliteEngine({ dataDir: dbDir });
  const t0 = performance.now();
  await engine.open();
  const ms = performance.now() - t0;
  await engine.close();
  console.log(
    JSON.stringify({
      migration_open_ms: round(ms, 0),
      loadavg: readFileSync('/proc/loadavg', 'utf8').trim(),
    }),
  );
}
