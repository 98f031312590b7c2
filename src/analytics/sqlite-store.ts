import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AnalyticsStore } from './store.js';
import {
  clicksSql,
  CREATE_VERSION_TABLE,
  EVENTS,
  LATENCIES,
  latencySql,
  migrations,
  noResultsSql,
  POPULARITY,
  POPULARITY_UPSERT,
  popularQueriesSql,
  type PopularRule,
  SEARCHES,
  SQLITE,
  topQueriesSql,
  VERSION_TABLE,
  type Statement,
} from './sql.js';
import { SqliteRowsInsert } from './sqlite-rows-insert.js';
import { popularityRows } from './popularity.js';
import { toIndexLatency, toNoResult, toPopularQuery, toQueryClicks, toQueryCount } from './rows.js';
import type { EventRecord, ReportRange, SearchBatch } from './types.js';

const SEARCH_COLUMNS = ['at', 'index_name', 'query', 'filter_fields', 'hits', 'principal', 'searches'];
const LATENCY_COLUMNS = ['at', 'index_name', 'latency_ms', 'searches'];
const POPULARITY_COLUMNS = ['day', 'index_name', 'query', 'principal', 'searches'];
const EVENT_COLUMNS = ['at', 'type', 'index_name', 'query', 'doc_id', 'position', 'principal'];

/** The file name of the analytics database inside DATA_DIR. */
export const ANALYTICS_DB_FILE = 'analytics.sqlite';

/**
 * Analytics in an SQLite file of its own beside the engine's database, not inside it: SQLite has one writer per
 * file, and the engine's writer holds long transactions (bulk loads, reindex steps) that analytics flushes would
 * wait behind; a snapshot or export of the search data would also carry every visitor's queries. A separate file
 * keeps the two apart, is deleted on its own, and works with every engine (a cluster engine has no SQLite file).
 * Several workers share the file: WAL, a busy timeout, and migrations under BEGIN IMMEDIATE.
 */
export class SqliteAnalyticsStore implements AnalyticsStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly searchRows: SqliteRowsInsert;
  private readonly latencyRows: SqliteRowsInsert;
  private readonly eventRows: SqliteRowsInsert;
  private readonly popularityRows: SqliteRowsInsert;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // Analytics may lose the last flush on a power cut; it must not make every flush wait for the disk.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.searchRows = new SqliteRowsInsert(this.db, SEARCHES, SEARCH_COLUMNS);
    this.latencyRows = new SqliteRowsInsert(this.db, LATENCIES, LATENCY_COLUMNS);
    this.eventRows = new SqliteRowsInsert(this.db, EVENTS, EVENT_COLUMNS);
    this.popularityRows = new SqliteRowsInsert(this.db, POPULARITY, POPULARITY_COLUMNS, POPULARITY_UPSERT);
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

  async insert(searches: SearchBatch, events: readonly EventRecord[]): Promise<void> {
    this.db.transaction(() => {
      this.searchRows.run(searches.searches, (s, p, i) => {
        p[i] = s.at;
        p[i + 1] = s.index;
        p[i + 2] = s.query;
        p[i + 3] = s.filterFields.join(',');
        p[i + 4] = s.hits;
        p[i + 5] = s.principal;
        p[i + 6] = s.searches;
      });
      this.latencyRows.run(searches.latencies, (l, p, i) => {
        p[i] = l.at;
        p[i + 1] = l.index;
        p[i + 2] = l.latencyMs;
        p[i + 3] = l.searches;
      });
      this.popularityRows.run(popularityRows(searches.searches), (r, p, i) => {
        p[i] = r.day;
        p[i + 1] = r.index;
        p[i + 2] = r.query;
        p[i + 3] = r.principal;
        p[i + 4] = r.searches;
      });
      this.eventRows.run(events, (e, p, i) => {
        p[i] = e.at;
        p[i + 1] = e.type;
        p[i + 2] = e.index;
        p[i + 3] = e.query;
        p[i + 4] = e.docId;
        p[i + 5] = e.position;
        p[i + 6] = e.principal;
      });
    })();
  }

  async deleteBefore(before: number): Promise<number> {
    return this.db.transaction(() => {
      const a = this.db.prepare(`DELETE FROM ${SEARCHES} WHERE at < ?`).run(before).changes;
      const b = this.db.prepare(`DELETE FROM ${EVENTS} WHERE at < ?`).run(before).changes;
      this.db.prepare(`DELETE FROM ${LATENCIES} WHERE at < ?`).run(before);
      // A day's counts go once the day began before the cut: a day early rather than a day late.
      this.db.prepare(`DELETE FROM ${POPULARITY} WHERE day < ?`).run(before);
      return a + b;
    })();
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

  async popularQueries(rule: PopularRule) {
    return this.all(popularQueriesSql(SQLITE, rule)).map(toPopularQuery);
  }

  async columns(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const table of [SEARCHES, LATENCIES, EVENTS, POPULARITY]) {
      const cols = this.db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[];
      out[table] = cols.map((c) => c.name);
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
