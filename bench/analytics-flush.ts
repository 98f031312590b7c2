/**
 * What the analytics flush costs the main thread per recorded search, as a flush of front-door cache hits sees
 * it (issue 20: cache hits cost tens of microseconds, so microseconds of recording per hit are the on/off gap).
 * In process, peers measured in turns on the same searches:
 *   flush_row_per_search - the flush as it was before searches were folded: the memos (SearchRecords.of), then
 *                          one stored row per search, 64 rows per INSERT, into the schema-1 table;
 *   flush_folded         - the recorder's flush: the memos, the searches folded per second (SearchRecords.fold),
 *                          the folded rows and latencies through SqliteAnalyticsStore.insert;
 *   derive_memo          - the memos alone, a record per search (the part of the first that stays);
 *   fold                 - the memos and the folding alone (the part of the second before the insert);
 *   push                 - the request's part, the same before and after: what the front door's hook does per
 *                          hit (its query string sliced from the URL, a RawSearch made and pushed into the
 *                          buffer), the buffer dropped every batch, as a flush does;
 *   push_columnar        - an alternative evaluated, not built: the same values written into preallocated
 *                          columns (typed arrays for the numbers), no object per hit.
 * The searches: ANALYTICS_FLUSH_ROWS of them over 300 real queries of the npm corpus, each query always answered
 * by one Buffer (as the response cache hands out), arriving at ANALYTICS_FLUSH_RATE a second (their times, so
 * the folding per second sees what a server at that rate would), latencies spread over 53 values from 8 to 60
 * µs (a front-door hit's, to the microsecond), flushed in batches of ANALYTICS_FLUSH_BATCH. CPU time (user +
 * system, so a busy neighbour moves it less than wall time), per search, per round; writes
 * bench/results/analytics-flush-<time>.json with the load average.
 *
 * Settings: ANALYTICS_FLUSH_ROWS (100000), ANALYTICS_FLUSH_RATE (20000 a second), ANALYTICS_FLUSH_BATCH (20000:
 * a second of searches at that rate), ANALYTICS_FLUSH_ROUNDS (5).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { REPO } from './lib/child.js';
import { answerBuffers, readCorpus, realQueries, WORK_DIR } from './lib/corpus.js';
import { round } from './lib/stats.js';
import { SearchRecords, type RawSearch } from '../src/analytics/search-record.js';
import { SqliteAnalyticsStore } from '../src/analytics/sqlite-store.js';
import { migrations, SEARCHES, SQLITE } from '../src/analytics/sql.js';
import { SqliteRowsInsert } from '../src/analytics/sqlite-rows-insert.js';
import type { SearchRecord } from '../src/analytics/types.js';
import { cpuUs, loadavg } from './lib/stats.js';

const ROWS = Number(process.env.ANALYTICS_FLUSH_ROWS ?? 100_000);
const RATE = Number(process.env.ANALYTICS_FLUSH_RATE ?? 20_000);
const BATCH = Number(process.env.ANALYTICS_FLUSH_BATCH ?? 20_000);
const ROUNDS = Number(process.env.ANALYTICS_FLUSH_ROUNDS ?? 5);

/** The store as it was before the folding: schema 1, one row per search, 64 rows per statement. */
class RowPerSearchStore {
  private readonly db: Database.Database;
  private readonly rows: SqliteRowsInsert;
  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    for (const s of migrations(SQLITE)[0]!.statements) this.db.exec(s);
    this.rows = new SqliteRowsInsert(this.db, SEARCHES, [
      'at',
      'index_name',
      'query',
      'filter_fields',
      'hits',
      'latency_ms',
      'principal',
    ]);
  }
  insert(searches: readonly SearchRecord[]): void {
    this.db.transaction(() => {
      this.rows.run(searches, (s, p, i) => {
        p[i] = s.at;
        p[i + 1] = s.index;
        p[i + 2] = s.query;
        p[i + 3] = s.filterFields.join(',');
        p[i + 4] = s.hits;
        p[i + 5] = s.latencyMs;
        p[i + 6] = s.principal;
      });
    })();
  }
  close(): void {
    this.db.close();
  }
}

const pkgs = (await readCorpus()).slice(0, 50_000);
const queries = realQueries(pkgs, 300);
const answers = answerBuffers(pkgs, queries.length);
const inputs = queries.map((q) => `q=${encodeURIComponent(q)}&facets=&highlight=`);
const now = Date.now();
const rows: RawSearch[] = Array.from({ length: ROWS }, (_, i) => ({
  at: now + Math.floor((i * 1000) / RATE),
  index: 'packages',
  // A new string per search, as the front door slices each request's own.
  input: inputs[i % inputs.length]!.slice(0),
  answer: answers[i % answers.length]!,
  latencyMs: (8 + ((i * 7919) % 53)) / 1000,
  principal: 'anonymous',
}));
const batches: RawSearch[][] = [];
for (let i = 0; i < rows.length; i += BATCH) batches.push(rows.slice(i, i + BATCH));

const dir = join(WORK_DIR, 'analytics-flush');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

/** A new analytics file with the tables made, its path. */
async function migrated(name: string): Promise<string> {
  const path = join(dir, name);
  const store = new SqliteAnalyticsStore(path);
  await store.migrate();
  await store.close();
  return path;
}

/** CPU µs per search of `work` over every batch. */
function perRow(work: (batch: RawSearch[]) => unknown): number {
  const t0 = cpuUs();
  for (const batch of batches) work(batch);
  return (cpuUs() - t0) / rows.length;
}

type Sample = Record<
  'flush_row_per_search' | 'flush_folded' | 'derive_memo' | 'fold' | 'push' | 'push_columnar',
  number
>;

/** The URLs the front door sees, one per query. */
const urls = inputs.map((input) => `/api/indexes/packages/search?${input}`);

/** The request's part of recording a hit, as the front door's hook does it, over BATCH-sized buffers. */
function pushAll(): void {
  let buffer: RawSearch[] = [];
  for (let i = 0; i < ROWS; i++) {
    const url = urls[i % urls.length]!;
    buffer.push({
      at: Date.now(),
      index: 'packages',
      input: url.slice(url.indexOf('?') + 1),
      answer: answers[i % answers.length]!,
      latencyMs: 0.012,
      principal: 'anonymous',
    });
    if (buffer.length === BATCH) buffer = [];
  }
}

/** The same into preallocated columns: no object per hit (the evaluated alternative). */
const columns = {
  at: new Float64Array(BATCH),
  latency: new Float64Array(BATCH),
  index: new Array<string>(BATCH),
  input: new Array<unknown>(BATCH),
  answer: new Array<unknown>(BATCH),
  principal: new Array<string>(BATCH),
};
function pushColumnar(): void {
  let n = 0;
  for (let i = 0; i < ROWS; i++) {
    const url = urls[i % urls.length]!;
    columns.at[n] = Date.now();
    columns.index[n] = 'packages';
    columns.input[n] = url.slice(url.indexOf('?') + 1);
    columns.answer[n] = answers[i % answers.length]!;
    columns.latency[n] = 0.012;
    columns.principal[n] = 'anonymous';
    if (++n === BATCH) {
      // What a flush would do once it has read them: let the strings and Buffers go.
      columns.input.fill(undefined);
      columns.answer.fill(undefined);
      n = 0;
    }
  }
}

const before = loadavg();
const samples: Sample[] = [];
const stored = { row_per_search: 0, folded_searches: 0, folded_latencies: 0 };
for (let r = 0; r < ROUNDS; r++) {
  // New memos, stores and files each round: the memos start cold, as after a restart, and fill.
  const oldStore = new RowPerSearchStore(join(dir, `old-${r}.sqlite`));
  const newStore = new SqliteAnalyticsStore(await migrated(`new-${r}.sqlite`));
  const oldMemo = new SearchRecords();
  const newMemo = new SearchRecords();
  const deriveMemo = new SearchRecords();
  const foldMemo = new SearchRecords();
  const sample = {} as Sample;
  const peers: [keyof Sample, (batch: RawSearch[]) => unknown][] = [
    ['flush_row_per_search', (b) => oldStore.insert(b.map((s) => oldMemo.of(s)))],
    [
      'flush_folded',
      (b) => {
        const batch = newMemo.fold(b);
        if (r === 0) {
          stored.row_per_search += b.length;
          stored.folded_searches += batch.searches.length;
          stored.folded_latencies += batch.latencies.length;
        }
        return newStore.insert(batch, []);
      },
    ],
    ['derive_memo', (b) => b.map((s) => deriveMemo.of(s))],
    ['fold', (b) => foldMemo.fold(b)],
    // Over every search at once (they batch themselves): run on the first batch only.
    ['push', (b) => b === batches[0] && pushAll()],
    ['push_columnar', (b) => b === batches[0] && pushColumnar()],
  ];
  // Who goes first turns each round, so a trend in the machine's load falls on every peer.
  for (let p = 0; p < peers.length; p++) {
    const [name, work] = peers[(p + r) % peers.length]!;
    sample[name] = round(perRow(work), 3);
  }
  samples.push(sample);
  console.log(`round ${r + 1}: ${JSON.stringify(sample)} (CPU µs per search)`);
  oldStore.close();
  await newStore.close();
}
const after = loadavg();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const med = (peer: keyof Sample) => median(samples.map((s) => s[peer]));
const summary = {
  benchmark: 'analytics flush, main-thread CPU per recorded search (front-door hits)',
  at: new Date().toISOString(),
  rows: ROWS,
  rate_per_second: RATE,
  batch: BATCH,
  rounds: ROUNDS,
  distinct_queries: queries.length,
  answer_bytes: Math.round(answers.reduce((s, a) => s + a.length, 0) / answers.length),
  rows_stored_per_round: stored,
  loadavg_before: before,
  loadavg_after: after,
  median_cpu_us_per_search: Object.fromEntries(
    (Object.keys(samples[0]!) as (keyof Sample)[]).map((p) => [p, med(p)]),
  ),
  ratios: {
    flush_folded_over_row_per_search: round(med('flush_folded') / med('flush_row_per_search'), 3),
    push_and_flush_folded_over_push_and_row_per_search: round(
      (med('push') + med('flush_folded')) / (med('push') + med('flush_row_per_search')),
      3,
    ),
    push_columnar_over_push: round(med('push_columnar') / med('push'), 3),
  },
  rounds_cpu_us_per_search: samples,
};
console.log('stored rows per round:', stored);
console.log('median CPU µs per search:', summary.median_cpu_us_per_search);
console.log('ratios:', summary.ratios);
console.log(`load average before ${before}, after ${after}`);
rmSync(dir, { recursive: true, force: true });
const out = join(REPO, 'bench/results', `analytics-flush-${summary.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify(summary, null, 2) + '\n');
console.log(`written to ${out}`);
