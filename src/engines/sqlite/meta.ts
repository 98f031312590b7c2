import { hostname } from 'node:os';
import type Database from 'better-sqlite3';

/**
 * The meta table `sift_indexes`: one row per logical index, naming the physical version (table set `tid`) it
 * points at, the version kept for rollback, and the reindex or rollback running on it (a job), if any. Every
 * process sharing the database reads the name -> tid mapping from here, so a switch is one row update.
 */
export interface IndexRow {
  name: string;
  tid: number;
  schema: string;
  created_at: string;
  generation: number;
  version: number;
  prev_tid: number | null;
  prev_version: number | null;
  prev_schema: string | null;
  /** JSON of a Job while a reindex or rollback runs. */
  job: string | null;
}

export interface Job {
  kind: 'reindex' | 'rollback';
  /** The version being written: the new table set of a reindex, the previous version for a rollback. */
  tid: number;
  version: number;
  token: string;
  pid: number;
  host: string;
  started_at: string;
  /** Epoch ms of the last batch; a job whose owner stopped beating is taken over. */
  heartbeat: number;
}

const COLUMNS: [string, string][] = [
  ['version', 'INTEGER NOT NULL DEFAULT 1'],
  ['prev_tid', 'INTEGER'],
  ['prev_version', 'INTEGER'],
  ['prev_schema', 'TEXT'],
  ['job', 'TEXT'],
];

/** Creates the meta table, or adds the columns that versioning brought to a database made before it. */
export function ensureMetaTable(db: Database.Database): void {
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS sift_indexes (
      name TEXT PRIMARY KEY, tid INTEGER NOT NULL UNIQUE, schema TEXT NOT NULL,
      created_at TEXT NOT NULL, generation INTEGER NOT NULL DEFAULT 0)`);
    const have = new Set((db.pragma('table_info(sift_indexes)') as { name: string }[]).map((c) => c.name));
    for (const [col, type] of COLUMNS) {
      if (!have.has(col)) db.exec(`ALTER TABLE sift_indexes ADD COLUMN ${col} ${type}`);
    }
  }).immediate();
}

/**
 * The next free table-set number: above every tid the meta table names (current, previous, being built) and
 * every documents table on disk, so a table set left by a crash is never reused by accident.
 */
export function allocateTid(db: Database.Database): number {
  const meta = db
    .prepare(
      `SELECT max(coalesce(max(tid), 0), coalesce(max(prev_tid), 0),
              coalesce(max(CAST(json_extract(job, '$.tid') AS INTEGER)), 0)) AS t FROM sift_indexes`,
    )
    .pluck()
    .get() as number;
  const tables = db
    .prepare(
      `SELECT coalesce(max(CAST(substr(name, 3) AS INTEGER)), 0) FROM sqlite_schema
       WHERE type = 'table' AND name GLOB 'd_[0-9]*'`,
    )
    .pluck()
    .get() as number;
  return Math.max(meta, tables) + 1;
}

/** A job is abandoned when its process is gone (same host) or it has not made progress for this long. */
export const JOB_STALE_MS = 60_000;
/** Jobs run by this process, so a leftover of an earlier engine instance in the same process is recognised. */
const liveTokens = new Set<string>();
export const jobTokens = {
  add: (t: string) => liveTokens.add(t),
  delete: (t: string) => liveTokens.delete(t),
};

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function parseJob(row: IndexRow): Job | null {
  return row.job ? (JSON.parse(row.job) as Job) : null;
}

export function isStale(job: Job, now = Date.now()): boolean {
  if (now - job.heartbeat > JOB_STALE_MS) return true;
  if (job.host !== hostname()) return false;
  if (job.pid === process.pid) return !liveTokens.has(job.token);
  return !pidAlive(job.pid);
}

export function newJob(kind: Job['kind'], tid: number, version: number): Job {
  return {
    kind,
    tid,
    version,
    token: crypto.randomUUID(),
    pid: process.pid,
    host: hostname(),
    started_at: new Date().toISOString(),
    heartbeat: Date.now(),
  };
}
