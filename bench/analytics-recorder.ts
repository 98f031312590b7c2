/**
 * The whole of recording a front-door cache hit, in process, before against after a change: for every hit what
 * the front door's hook does (its query string sliced from the URL, a RawSearch made and handed to
 * recordSearch), and a flush every ANALYTICS_RECORDER_FLUSH hits, through the real AnalyticsRecorder and its
 * SQLite store. Process CPU time (user + system: garbage collection included, on whichever thread it runs) per
 * hit, for three sides in turns: no recorder, the recorder of ANALYTICS_RECORDER_BASELINE (a git revision,
 * extracted beside the work files), and this checkout's. The hits: 300 real queries of the npm corpus, each
 * answered by one ~2.4 kB Buffer, arriving at ANALYTICS_RECORDER_RATE a second (their times), latencies over 53
 * values (8-60 µs). No buffer limit on either side, so both record every hit. Writes
 * bench/results/analytics-recorder-<time>.json with the load average.
 *
 * Settings: ANALYTICS_RECORDER_BASELINE (required), ANALYTICS_RECORDER_HITS (400000), ANALYTICS_RECORDER_RATE
 * (20000), ANALYTICS_RECORDER_FLUSH (20000: a second at that rate), ANALYTICS_RECORDER_ROUNDS (5).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from './lib/child.js';
import { answerBuffers, readCorpus, realQueries, WORK_DIR } from './lib/corpus.js';
import { round } from './lib/stats.js';
import { AnalyticsRecorder } from '../src/analytics/recorder.js';
import type { RawSearch } from '../src/analytics/search-record.js';
import { SqliteAnalyticsStore } from '../src/analytics/sqlite-store.js';
import { cpuUs, loadavg } from './lib/stats.js';

const BASELINE = process.env.ANALYTICS_RECORDER_BASELINE;
if (!BASELINE) throw new Error('set ANALYTICS_RECORDER_BASELINE to the git revision to compare against');
const HITS = Number(process.env.ANALYTICS_RECORDER_HITS ?? 400_000);
const RATE = Number(process.env.ANALYTICS_RECORDER_RATE ?? 20_000);
const FLUSH = Number(process.env.ANALYTICS_RECORDER_FLUSH ?? 20_000);
const ROUNDS = Number(process.env.ANALYTICS_RECORDER_ROUNDS ?? 5);

interface Recorder {
  recordSearch(s: RawSearch): boolean;
  flush(): Promise<void>;
}
interface Store {
  migrate(): Promise<void>;
  close(): Promise<void>;
}
type RecorderClass = new (store: never, opts: object) => Recorder;
type StoreClass = new (path: string) => Store;

/**
 * The baseline's analytics code, extracted from git with this checkout's packages. Its metrics module is this
 * checkout's (a link): prom-client's registry is global, and two copies would register every metric twice.
 */
async function baseline(revision: string): Promise<{ Recorder: RecorderClass; Store: StoreClass }> {
  const dir = join(WORK_DIR, `recorder-baseline-${revision.replace(/[^\w.-]/g, '_')}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync(
    'bash',
    ['-c', 'git archive "$1" src package.json tsconfig.json | tar -x -C "$2"', '-', revision, dir],
    { cwd: REPO },
  );
  symlinkSync(realpathSync(join(REPO, 'node_modules')), join(dir, 'node_modules'));
  rmSync(join(dir, 'src/metrics'), { recursive: true, force: true });
  symlinkSync(join(REPO, 'src/metrics'), join(dir, 'src/metrics'));
  const recorder = await import(pathToFileURL(join(dir, 'src/analytics/recorder.ts')).href);
  const store = await import(pathToFileURL(join(dir, 'src/analytics/sqlite-store.ts')).href);
  return { Recorder: recorder.AnalyticsRecorder, Store: store.SqliteAnalyticsStore };
}

const old = await baseline(BASELINE);
const pkgs = (await readCorpus()).slice(0, 50_000);
const queries = realQueries(pkgs, 300);
const answers = answerBuffers(pkgs, queries.length);
const urls = queries.map((q) => `/api/indexes/packages/search?q=${encodeURIComponent(q)}&facets=&highlight=`);
const options = { sampleRate: 1, bufferSize: 1e9, flushIntervalMs: 1e9, retentionMs: 1e12, now: () => 0 };
let sink = 0;

/** Every hit's hand-over as the front door does it, and a flush every FLUSH hits. */
async function drive(recorder: Recorder | null): Promise<void> {
  const t0 = Date.now();
  for (let i = 0; i < HITS; i++) {
    const url = urls[i % urls.length]!;
    sink += url.length;
    if (!recorder) continue;
    recorder.recordSearch({
      at: t0 + Math.floor((i * 1000) / RATE),
      index: 'packages',
      input: url.slice(url.indexOf('?') + 1),
      answer: answers[i % answers.length]!,
      latencyMs: (8 + ((i * 7919) % 53)) / 1000,
      principal: 'anonymous',
    });
    if ((i + 1) % FLUSH === 0) await recorder.flush();
  }
  await recorder?.flush();
}

const dir = join(WORK_DIR, 'analytics-recorder');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

type Side = 'none' | 'before' | 'after';
const before = loadavg();
const samples: Record<Side, number>[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const oldStore = new old.Store(join(dir, `before-${r}.sqlite`));
  const newStore = new SqliteAnalyticsStore(join(dir, `after-${r}.sqlite`));
  await oldStore.migrate();
  await newStore.migrate();
  const sides: [Side, () => Promise<void>][] = [
    ['none', () => drive(null)],
    ['before', () => drive(new old.Recorder(oldStore as never, options))],
    ['after', () => drive(new AnalyticsRecorder(newStore, options))],
  ];
  const sample = {} as Record<Side, number>;
  // Who goes first turns each round, so a trend in the machine's load falls on every side.
  for (let p = 0; p < sides.length; p++) {
    const [name, run] = sides[(p + r) % sides.length]!;
    const t = cpuUs();
    await run();
    sample[name] = round((cpuUs() - t) / HITS, 3);
  }
  samples.push(sample);
  console.log(`round ${r + 1}: ${JSON.stringify(sample)} (CPU µs per hit)`);
  await oldStore.close();
  await newStore.close();
}
const after = loadavg();
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const med = (side: Side) => median(samples.map((s) => s[side]));
const summary = {
  benchmark: 'analytics recorder, process CPU per front-door hit (hand-over and flush, GC included)',
  at: new Date().toISOString(),
  baseline: BASELINE,
  hits: HITS,
  rate_per_second: RATE,
  flush_every: FLUSH,
  rounds: ROUNDS,
  loadavg_before: before,
  loadavg_after: after,
  median_cpu_us_per_hit: { none: med('none'), before: med('before'), after: med('after') },
  recording_cpu_us_per_hit: {
    before: round(med('before') - med('none'), 3),
    after: round(med('after') - med('none'), 3),
  },
  rounds_cpu_us_per_hit: samples,
  sink,
};
console.log('recording, CPU µs per hit:', summary.recording_cpu_us_per_hit);
console.log(`load average before ${before}, after ${after}`);
const out = join(REPO, 'bench/results', `analytics-recorder-${summary.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify(summary, null, 2) + '\n');
console.log(`written to ${out}`);
