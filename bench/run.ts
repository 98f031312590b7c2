/**
 * All benchmarks in sequence (relevance, import, search, hardening), a summary table, and
 * bench/results/latest.json with the machine, the versions and every number.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { hardeningBench } from './hardening.js';
import { importBench } from './import.js';
import { CORPUS } from './lib/corpus.js';
import { relevance } from './relevance.js';
import { searchBench, type LoadResult } from './search.js';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

function machine() {
  const db = new Database(':memory:');
  const sqlite = (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
  db.close();
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu_model: cpus[0]?.model ?? 'unknown',
    cpu_count: cpus.length,
    total_memory_gb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    sqlite,
    corpus: basename(CORPUS),
  };
}

export async function runAll() {
  const started = Date.now();
  const info = machine();
  console.log(
    `sift benchmarks on ${info.cpu_count} x ${info.cpu_model}, node ${info.node}, sqlite ${info.sqlite}\n`,
  );
  const rel = await relevance();
  console.log();
  const imp = await importBench();
  console.log();
  const search = await searchBench();
  console.log();
  const hardening = await hardeningBench();

  const row = (rate: number, p50: number, p99: number, errors: number) => ({
    'rate (/s)': rate,
    p50_ms: p50,
    p99_ms: p99,
    errors,
  });
  const http = (r: LoadResult) => row(r.rps, r.p50_ms, r.p99_ms, r.errors + r.non2xx);
  const table: Record<string, ReturnType<typeof row>> = {};
  for (const set of ['plain', 'default'] as const) {
    const e = search.engine[set];
    table[`${set}: engine, in process`] = row(e.qps, e.p50_ms, e.p99_ms, e.errors);
    table[`${set}: HTTP c=1`] = http(search.http[set].c1);
    table[`${set}: HTTP c=50`] = http(search.http[set].c50);
  }
  table['ceiling: bare Fastify c=1'] = http(search.ceiling.c1);
  table['ceiling: bare Fastify c=50'] = http(search.ceiling.c50);

  console.log('\n=== summary ===');
  console.log(
    `relevance: MRR ${rel.mrr?.toFixed(3)}, ${rel.rank_first}/${rel.queries} exact names ranked first, ` +
      `${rel.not_in_top_100} not in the top 100`,
  );
  console.log(
    `import: ${imp.docs} docs, into an empty index ${imp.empty_docs_per_second} docs/s ` +
      `(${imp.empty_vs_raw} of raw FTS5 at ${imp.raw_fts5_docs_per_second}), into a live index ` +
      `${imp.live_docs_per_second} docs/s, peak RSS ${imp.peak_rss_mb_empty} MB, ${imp.bytes_per_doc} bytes/doc`,
  );
  console.log(`search (${search.queries} real queries, ${search.seconds_per_run} s per HTTP run):`);
  console.table(table);
  for (const set of ['plain', 'default'] as const) {
    const l = search.http[set].liveness_during_c50;
    console.log(
      `liveness during ${set} c=50: ${l.probes} probes, max ${l.max_ms} ms, p99 ${l.p99_ms} ms, ` +
        `${l.failures} failed (1 s timeout)`,
    );
  }
  console.log(
    `reference (c=1, interleaved): plain Sift / FTS5 top-10 = ${search.reference.plain_vs_reference} ` +
      `(requests/s); default / plain = ${search.reference.default_vs_plain_p50} (p50)`,
  );
  console.log(
    `cached search (one worker, c=50): ${hardening.cached_c50.rps}/s, p99 ${hardening.cached_c50.p99_ms} ms = ` +
      `${hardening.cached_vs_ceiling} of the bare ceiling (${hardening.ceiling_c50.rps}/s); SIGHUP under load: ` +
      `${hardening.rolling_restart.failed} failed of ${hardening.rolling_restart.requests}`,
  );

  const results = {
    machine: info,
    duration_s: Math.round((Date.now() - started) / 1000),
    relevance: rel,
    import: imp,
    search,
    hardening,
  };
  mkdirSync(RESULTS, { recursive: true });
  const file = `${RESULTS}latest.json`;
  writeFileSync(`${file}.tmp`, JSON.stringify(results, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
  console.log(`\nwrote ${file}`);
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) await runAll();
