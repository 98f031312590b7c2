import type Database from 'better-sqlite3';
import type { AnalyticsStore } from './store.js';
import {
  clicksSql,
  CREATE_VERSION_TABLE,
  EVENTS,
  latencySql,
  migrations,
  noResultsSql,
  SEARCHES,
  SQLITE,
  topQueriesSql,
  VERSION_TABLE,
  type Statement,
} from './sql.js';
import { packRows } from './packed-rows.js';
import { openAnalyticsDb, SqliteAnalyticsWrites } from './sqlite-writes.js';
import { toIndexLatency, toNoResult, toQueryClicks, toQueryCount } from './rows.js';
import type { EventRecord, ReportRange, SearchRecord } from './types.js';

/** The file name of the analytics database inside DATA_DIR. */
export const ANALYTICS_DB_FILE = 'analytics.sqlite';

/**
 * Analytics in an SQLite file of its own beside the engine's database, not inside it: SQLite has one writer per
 * file, and the engine's writer holds long transactions (bulk loads, reindex steps) that analytics flushes would
 * wait behind; a snapshot or export of the search data would also carry every visitor's queries. A separate file
 * keeps the two apart, is deleted on its own, and works with every engine (a cluster engine has no SQLite file).
 * Several workers share the file: WAL, a busy timeout, and migrations under BEGIN IMMEDIATE.
 *
 * This store writes on the caller's thread (a CLI command, tests); a server writes through SqliteThreadStore
 * (sqlite-thread-store.ts), which keeps this store for migrations and reports and moves the writes to a thread.
 */
export class SqliteAnalyticsStore implements AnalyticsStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly writes: SqliteAnalyticsWrites;

  constructor(path: string) {
    this.db = openAnalyticsDb(path);
    this.writes = new SqliteAnalyticsWrites(this.db);
  }

  async migrate(): Promise<void> {
    const run = this.db.transaction(() => {
      this.db.exec(CREATE_VERSION_TABLE);
      const current = this.currentVersion();
      for (const m of migrations(SQLITE)) {
        if (m.version <= current) continue;
        for (const s of m.statements) this.db.exec(s);
        this.db
          .prepare(`INSERT INTO ${VERSION_TABLE} (version, applied_at) VALUES (?, ?)`)
          .run(m.version, Date.now());
      }
    });
    run.immediate();
  }

  private currentVersion(): number {
    const row = this.db.prepare(`SELECT MAX(version) AS v FROM ${VERSION_TABLE}`).get() as {
      v: number | null;
    };
    return row.v ?? 0;
  }

  async schemaVersion(): Promise<number> {
    return this.currentVersion();
  }

  async insert(searches: readonly SearchRecord[], events: readonly EventRecord[]): Promise<void> {
    this.writes.insert(packRows(searches, events));
  }

  async deleteBefore(before: number): Promise<number> {
    return this.writes.deleteBefore(before);
  }

  private all(s: Statement): Record<string, unknown>[] {
    return this.db.prepare(s.sql).all(...s.params) as Record<string, unknown>[];
  }

  async topQueries(range: ReportRange) {
    return this.all(topQueriesSql(SQLITE, range)).map(toQueryCount);
  }

  async noResults(range: ReportRange) {
    return this.all(noResultsSql(SQLITE, range)).map(toNoResult);
  }

  async clicks(range: ReportRange) {
    return this.all(clicksSql(SQLITE, range)).map(toQueryClicks);
  }

  async latency(range: ReportRange) {
    return this.all(latencySql(SQLITE, range)).map(toIndexLatency);
  }

  async columns(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const table of [SEARCHES, EVENTS]) {
      const cols = this.db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[];
      out[table] = cols.map((c) => c.name);
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
