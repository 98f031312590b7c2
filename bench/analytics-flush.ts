/**
 * What the analytics flush costs the main thread per recorded search, as a flush of front-door cache hits sees
 * it (issue 20: cache hits cost tens of microseconds, so microseconds of recording per hit are the on/off gap).
 * In process, peers measured in turns on the same rows:
 *   derive - the stored record from the raw search: worked out every time (query string parsed, NFKC, the filter
 *            parsed, the answer decoded to read its total) against the recorder's memos (SearchRecords);
 *   insert - the SQLite batch: one INSERT per row against the store's 64-row statements (SqliteAnalyticsStore);
 *   flush  - both together, before against after;
 *   post   - what moving the insert to a worker thread would leave on the main thread: the hits read (memo) and
 *            the rows cloned into postMessage to a worker that drops them. Wall time of the synchronous post
 *            (process CPU would count the worker's thread too): an upper bound of what a worker could save is
 *            flush_after minus this.
 * The rows: ANALYTICS_FLUSH_ROWS searches over 300 real queries of the npm corpus, each query always answered by
 * one Buffer (as the response cache hands out), flushed in batches of ANALYTICS_FLUSH_BATCH. CPU time (user +
 * system, so a busy neighbour moves it less than wall time), per row, per round; writes
 * bench/results/analytics-flush-<time>.json with the load average.
 *
 * Settings: ANALYTICS_FLUSH_ROWS (50000), ANALYTICS_FLUSH_BATCH (5000: a second of hits), ANALYTICS_FLUSH_ROUNDS (5).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { REPO } from './lib/child.js';
import { readCorpus, realQueries, WORK_DIR } from './lib/corpus.js';
import { round } from './lib/stats.js';
import { answerTotal, AnswerTotals } from '../src/analytics/answer-total.js';
import { searchInputFields } from '../src/analytics/search-input.js';
import { SearchRecords, type RawSearch } from '../src/analytics/search-record.js';
import { SqliteAnalyticsStore } from '../src/analytics/sqlite-store.js';
import { SEARCHES } from '../src/analytics/sql.js';
import type { SearchRecord } from '../src/analytics/types.js';

const ROWS = Number(process.env.ANALYTICS_FLUSH_ROWS ?? 50_000);
const BATCH = Number(process.env.ANALYTICS_FLUSH_BATCH ?? 5_000);
const ROUNDS = Number(process.env.ANALYTICS_FLUSH_ROUNDS ?? 5);

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim();
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** The derivation as it was before the memos: everything worked out per row, the answer decoded to a string. */
function derivedEveryTime(s: RawSearch): SearchRecord {
  const { query, filterFields } = searchInputFields(s.input);
  return {
    at: s.at,
    index: s.index,
    query,
    filterFields,
    hits: answerTotal(typeof s.answer === 'string' ? s.answer : s.answer.toString('utf8')),
    latencyMs: Math.round(s.latencyMs * 1000) / 1000,
    principal: s.principal,
  };
}

/** The SQLite insert as it was: one prepared single-row INSERT run per row, in one transaction. */
class RowAtATimeStore {
  private readonly db: Database.Database;
  private readonly insertRow: Database.Statement;
  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.insertRow = this.db.prepare(
      `INSERT INTO ${SEARCHES} (at, index_name, query, filter_fields, hits, latency_ms, principal)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
  }
  insert(rows: readonly SearchRecord[]): void {
    this.db.transaction(() => {
      for (const s of rows)
        this.insertRow.run(
          s.at,
          s.index,
          s.query,
          s.filterFields.join(','),
          s.hits,
          s.latencyMs,
          s.principal,
        );
    })();
  }
  close(): void {
    this.db.close();
  }
}

const pkgs = (await readCorpus()).slice(0, 50_000);
const queries = realQueries(pkgs, 300);
// One answer Buffer per query, of the size and shape a 10-hit answer has.
const answers = queries.map((_, k) =>
  Buffer.from(
    JSON.stringify({
      hits: pkgs.slice(k * 10, k * 10 + 10).map((p) => ({ id: p.name, score: 1.5, document: p })),
      total: k * 7,
      total_relation: 'eq',
      facets: {},
      next_cursor: null,
      took_ms: 1.2,
      partial: false,
    }),
  ),
);
const inputs = queries.map((q) => `q=${encodeURIComponent(q)}&facets=&highlight=`);
const now = Date.now();
const rows: RawSearch[] = Array.from({ length: ROWS }, (_, i) => ({
  at: now + i,
  index: 'packages',
  input: inputs[i % inputs.length]!,
  answer: answers[i % answers.length]!,
  latencyMs: 0.0123,
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

/** CPU µs per row of `work` over every batch. */
function perRow(work: (batch: RawSearch[]) => void): number {
  const t0 = cpuUs();
  for (const batch of batches) work(batch);
  return (cpuUs() - t0) / rows.length;
}

/** Wall µs per row: for the post to a worker, whose own thread process CPU time would count. */
function wallPerRow(work: (batch: RawSearch[]) => void): number {
  const t0 = performance.now();
  for (const batch of batches) work(batch);
  return ((performance.now() - t0) * 1000) / rows.length;
}

const sink = new Worker('require("node:worker_threads").parentPort.on("message", () => {});', { eval: true });

type Sample = Record<
  | 'derive_every_time'
  | 'derive_memo'
  | 'insert_row_at_a_time'
  | 'insert_64_rows'
  | 'flush_before'
  | 'flush_after'
  | 'post_to_worker_wall',
  number
>;

const before = loadavg();
const records = rows.map(derivedEveryTime);
const recordBatches: SearchRecord[][] = [];
for (let i = 0; i < records.length; i += BATCH) recordBatches.push(records.slice(i, i + BATCH));
const samples: Sample[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // A new memo, new stores and new files each round: the memo starts cold, as after a restart, and fills.
  const memo = new SearchRecords();
  const rowAtATime = new RowAtATimeStore(await migrated(`insert-old-${r}.sqlite`));
  const batched = new SqliteAnalyticsStore(await migrated(`insert-new-${r}.sqlite`));
  const flushOld = new RowAtATimeStore(await migrated(`flush-old-${r}.sqlite`));
  const flushNew = new SqliteAnalyticsStore(await migrated(`flush-new-${r}.sqlite`));
  const flushMemo = new SearchRecords();
  const postTotals = new AnswerTotals();
  let k = 0;
  const insertRows = (store: { insert(rows: SearchRecord[], e: []): unknown }) => () =>
    store.insert(recordBatches[k++ % recordBatches.length]!, []);
  const sample = {} as Sample;
  const post = (b: RawSearch[]) =>
    sink.postMessage(
      b.map((s) => [s.at, s.index, s.input, postTotals.of(s.answer), s.latencyMs, s.principal]),
    );
  const peers: [keyof Sample, (batch: RawSearch[]) => void, typeof perRow?][] = [
    ['derive_every_time', (b) => void b.map(derivedEveryTime)],
    ['derive_memo', (b) => void b.map((s) => memo.of(s))],
    ['insert_row_at_a_time', insertRows({ insert: (x) => rowAtATime.insert(x) })],
    ['insert_64_rows', insertRows(batched)],
    ['flush_before', (b) => flushOld.insert(b.map(derivedEveryTime))],
    [
      'flush_after',
      (b) =>
        void flushNew.insert(
          b.map((s) => flushMemo.of(s)),
          [],
        ),
    ],
    ['post_to_worker_wall', post, wallPerRow],
  ];
  // Who goes first turns each round, so a trend in the machine's load falls on every peer.
  for (let p = 0; p < peers.length; p++) {
    const [name, work, measure = perRow] = peers[(p + r) % peers.length]!;
    sample[name] = round(measure(work), 3);
  }
  samples.push(sample);
  console.log(`round ${r + 1}: ${JSON.stringify(sample)} (CPU µs per row)`);
  rowAtATime.close();
  flushOld.close();
  await batched.close();
  await flushNew.close();
}
const after = loadavg();
await sink.terminate();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const med = (peer: keyof Sample) => median(samples.map((s) => s[peer]));
const summary = {
  benchmark: 'analytics flush, main-thread CPU per recorded search (front-door hits)',
  at: new Date().toISOString(),
  rows: ROWS,
  batch: BATCH,
  rounds: ROUNDS,
  distinct_queries: queries.length,
  answer_bytes: Math.round(answers.reduce((s, a) => s + a.length, 0) / answers.length),
  loadavg_before: before,
  loadavg_after: after,
  median_cpu_us_per_row: Object.fromEntries(
    (Object.keys(samples[0]!) as (keyof Sample)[]).map((p) => [p, med(p)]),
  ),
  ratios: {
    derive_memo_over_every_time: round(med('derive_memo') / med('derive_every_time'), 3),
    insert_64_rows_over_row_at_a_time: round(med('insert_64_rows') / med('insert_row_at_a_time'), 3),
    flush_after_over_before: round(med('flush_after') / med('flush_before'), 3),
    post_to_worker_over_flush_after: round(med('post_to_worker_wall') / med('flush_after'), 3),
  },
  rounds_cpu_us_per_row: samples,
};
console.log('median CPU µs per row:', summary.median_cpu_us_per_row);
console.log('ratios:', summary.ratios);
console.log(`load average before ${before}, after ${after}`);
rmSync(dir, { recursive: true, force: true });
const out = join(REPO, 'bench/results', `analytics-flush-${summary.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify(summary, null, 2) + '\n');
console.log(`written to ${out}`);
