/**
 * Bulk import, end to end: the real CLI (`sift import <corpus> --json`) in a child process into a fresh data
 * directory. Measures the wall clock from spawn to exit (process start, TypeScript loading, gunzip, parsing,
 * validation, indexing, fsync, close), the CLI's own rate, and the size of the database it leaves behind.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { REPO } from './lib/child.js';
import { CORPUS, WORK_DIR } from './lib/corpus.js';
import { round } from './lib/stats.js';

const TIMEOUT_MS = Number(process.env.BENCH_IMPORT_TIMEOUT_MS ?? 15 * 60_000);

interface CliSummary {
  indexed: number;
  failed: number;
  seconds: number;
  docs_per_second: number;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const f of readdirSync(dir)) {
    const s = statSync(join(dir, f));
    if (s.isFile()) total += s.size;
  }
  return total;
}

function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'bin/sift.ts', ...args], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
      if (stderr.length < 20_000) stderr += s;
    });
    proc.once('error', (err) => {
      clearTimeout(timer);
      process.off('exit', kill);
      reject(err);
    });
    proc.once('close', (code) => {
      clearTimeout(timer);
      process.off('exit', kill);
      resolve({ code, stdout, stderr });
    });
  });
}

export async function importBench(): Promise<Record<string, number>> {
  const dataDir = join(WORK_DIR, 'import');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const args = [
    'import',
    CORPUS,
    '--index',
    'packages',
    '--schema',
    'data/sample/packages.schema.yaml',
    '--json',
  ];
  const env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', LOAD_SAMPLE_DATA: 'false' };

  const started = performance.now();
  const { code, stdout, stderr } = await runCli(args, env);
  const wall = (performance.now() - started) / 1000;

  let summary: CliSummary;
  try {
    summary = JSON.parse(stdout) as CliSummary;
  } catch {
    throw new Error(
      `sift import exited ${code} without a JSON summary\nstdout: ${stdout.slice(0, 2000)}\nstderr: ${stderr}`,
    );
  }
  if (code !== 0 && summary.failed === 0) throw new Error(`sift import exited ${code}\n${stderr}`);

  const bytesAsLeft = dirBytes(dataDir);
  const db = new Database(join(dataDir, 'sift.db'));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const bytes = dirBytes(dataDir);
  if (!process.env.BENCH_KEEP) rmSync(dataDir, { recursive: true, force: true });

  const out = {
    docs: summary.indexed,
    failed: summary.failed,
    wall_seconds: round(wall, 2),
    docs_per_second: Math.round(summary.indexed / wall),
    cli_seconds: summary.seconds,
    cli_docs_per_second: summary.docs_per_second,
    index_mb: round(bytes / 1e6, 1),
    index_mb_as_left: round(bytesAsLeft / 1e6, 1),
    corpus_gz_mb: round(statSync(CORPUS).size / 1e6, 1),
  };
  console.log('import (sift import of the full corpus, CLI in a child process, wall clock end to end)');
  console.table(out);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) await importBench();
